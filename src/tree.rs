//! Parsing a file into rust-analyzer's syntax tree for reading only: the same parser and the same
//! tree as `ra_ap_syntax::SourceFile::parse`, built with an interner of our own.
//!
//! rowan's builder interns tokens and small nodes in a `NodeCache` that starts empty for every
//! parse and, each time its tables grow, hashes every node it holds again, recursively through
//! their children: a fifth of building the tree. Here the interner's tables start with room for
//! the file's size, and keep each entry's hash beside it (when one grows it moves entries, it
//! hashes nothing). Reading and parsing the benchmark corpus takes ~10 % less CPU this way.
//!
//! What the tree is not: a [`ra_ap_syntax::Parse`]. It has the errors of its parse (where the
//! tree is a recovery guess), not those that `ra_ap_syntax` finds by validating a finished tree
//! (which walks all of it): code that needs those, to hold a fix to "no new syntax errors",
//! parses with `ra_ap_syntax` ([`crate::source::SourceFile::errors`]).

use std::hash::{Hash, Hasher};

use ra_ap_syntax::{AstNode, Edition, SyntaxError, SyntaxKind, SyntaxNode, TextRange, TextSize};
use rowan::{GreenNode, GreenToken, NodeOrToken};

/// A parsed file's tree: its green tree, which threads may share (a [`SyntaxNode`] may not),
/// and the errors of its parse.
#[derive(Clone, Debug)]
pub struct Tree {
    green: GreenNode,
    errors: Vec<SyntaxError>,
}

impl Tree {
    /// `text` parsed as a source file of `edition`.
    pub fn parse(text: &str, edition: Edition) -> Tree {
        Tree::parse_sized(text, edition, text.len())
    }

    /// [`Tree::parse`] of a text of which `code` bytes are code, the rest blank (the synthetic
    /// files of macro arguments): the interner's room is made for the code.
    pub fn parse_sized(text: &str, edition: Edition, code: usize) -> Tree {
        let built = build(text, edition, code, &[], None).expect("no depth limit");
        built.tree
    }

    /// [`Tree::parse`] of a file of unknown origin: refused (with its depth) when its brackets
    /// nest deeper than [`crate::nesting::MAX_DEPTH`] (the parser recurses per level: seen in the
    /// lexer's tokens, before parsing) or its tree deeper than [`crate::nesting::MAX_TREE_DEPTH`]
    /// (long chains: every walk up from a node would cost the whole chain). With the ranges of
    /// the tree's non-empty nodes of each of `kinds`, in text order, found as it is built.
    pub fn parse_checked(
        text: &str,
        edition: Edition,
        kinds: &[SyntaxKind],
    ) -> Result<(Tree, Vec<Vec<TextRange>>), usize> {
        let limits = Limits {
            brackets: crate::nesting::MAX_DEPTH,
            tree: crate::nesting::MAX_TREE_DEPTH,
        };
        build(text, edition, text.len(), kinds, Some(limits)).map(|b| (b.tree, b.found))
    }

    /// The tree's root, as a node to walk (a new cursor each call).
    pub fn syntax_node(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }

    /// Where the lexer and the parser found errors: there the tree is a recovery guess. (Not the
    /// checks `ra_ap_syntax` validates a finished tree with, such as a literal's escapes: they
    /// leave the tree as written.)
    pub fn errors(&self) -> &[SyntaxError] {
        &self.errors
    }

    /// The tree's root as a source file.
    pub fn tree(&self) -> ra_ap_syntax::SourceFile {
        ra_ap_syntax::SourceFile::cast(self.syntax_node()).expect("the root of a file's parse")
    }
}

type Element = NodeOrToken<GreenNode, GreenToken>;

/// Tokens, and nodes of up to three interned children, by their content, each with its hash.
struct Interner {
    tokens: hashbrown::HashTable<(u64, GreenToken)>,
    nodes: hashbrown::HashTable<(u64, GreenNode)>,
}

/// rowan's rule: bigger nodes are rarely equal, not worth hashing.
const MAX_INTERNED_CHILDREN: usize = 3;

impl Interner {
    fn token(&mut self, kind: rowan::SyntaxKind, text: &str) -> (u64, GreenToken) {
        let mut h = rustc_hash::FxHasher::default();
        kind.0.hash(&mut h);
        text.hash(&mut h);
        let hash = h.finish();
        let entry = self.tokens.entry(
            hash,
            |(_, t)| t.kind() == kind && t.text() == text,
            |(h, _)| *h,
        );
        let token = entry
            .or_insert_with(|| (hash, GreenToken::new(kind, text)))
            .get()
            .1
            .clone();
        (hash, token)
    }

    /// The node of `kind` whose children are `children[first..]` (taken from `children`); hash 0
    /// for a node not interned (nor is any node holding it).
    fn node(
        &mut self,
        kind: rowan::SyntaxKind,
        children: &mut Vec<(u64, Element)>,
        first: usize,
    ) -> (u64, GreenNode) {
        let new = |children: &mut Vec<(u64, Element)>| {
            GreenNode::new(kind, children.drain(first..).map(|(_, e)| e))
        };
        let own = &children[first..];
        if own.len() > MAX_INTERNED_CHILDREN || own.iter().any(|(h, _)| *h == 0) {
            return (0, new(children));
        }
        let mut h = rustc_hash::FxHasher::default();
        kind.0.hash(&mut h);
        for (child, _) in own {
            child.hash(&mut h);
        }
        // Never 0: that marks a node not interned.
        let hash = h.finish() | 1;
        let same = |(_, node): &(u64, GreenNode)| {
            node.kind() == kind
                && node.children().len() == own.len()
                && node
                    .children()
                    .zip(own)
                    .all(|(a, (_, b))| same_element(a, b))
        };
        if let Some((_, node)) = self.nodes.find(hash, same) {
            let node = node.clone();
            children.truncate(first);
            return (hash, node);
        }
        let node = new(children);
        self.nodes
            .insert_unique(hash, (hash, node.clone()), |(h, _)| *h);
        (hash, node)
    }
}

/// Whether an interned node's child is `element` (interned too: the same allocation).
fn same_element(
    child: NodeOrToken<&rowan::GreenNodeData, &rowan::GreenTokenData>,
    element: &Element,
) -> bool {
    match (child, element) {
        (NodeOrToken::Node(a), NodeOrToken::Node(b)) => std::ptr::eq(a, &**b),
        (NodeOrToken::Token(a), NodeOrToken::Token(b)) => std::ptr::eq(a, &**b),
        _ => false,
    }
}

/// How deep a text may nest: its brackets, its tree.
#[derive(Clone, Copy)]
struct Limits {
    brackets: usize,
    tree: usize,
}

/// A node being built.
struct Open {
    kind: rowan::SyntaxKind,
    /// Its first child, in the children built so far.
    first: usize,
    /// Of one of the kinds asked for: that kind's index, and where its range is in those found.
    wanted: Option<(usize, usize)>,
}

struct Built {
    tree: Tree,
    /// Per kind asked for, the ranges of the tree's non-empty nodes of that kind.
    found: Vec<Vec<TextRange>>,
}

/// What `ra_ap_syntax` does to parse a source file (lex, parse, build), with an interner made
/// for `code` bytes of code: the tree, with the errors of the parser then of the lexer (as
/// `ra_ap_syntax` lists them), and the nodes of `kinds`. `Err(depth)` where `limits` refuse the
/// text.
fn build(
    text: &str,
    edition: Edition,
    code: usize,
    kinds: &[SyntaxKind],
    limits: Option<Limits>,
) -> Result<Built, usize> {
    let lexed = ra_ap_parser::LexedStr::new(edition, text);
    if let Some(limits) = limits {
        let depth = crate::nesting::bracket_depth(&lexed);
        if depth > limits.brackets {
            return Err(depth);
        }
    }
    let input = lexed.to_input(edition);
    let output = ra_ap_parser::TopEntryPoint::SourceFile.parse(&input);
    // On real code (the benchmark corpus), one distinct token per 53 bytes and one interned
    // node per 30: room for a little more, so that a table seldom grows.
    let mut interner = Interner {
        tokens: hashbrown::HashTable::with_capacity(code / 40),
        nodes: hashbrown::HashTable::with_capacity(code / 24),
    };
    let mut parents: Vec<Open> = Vec::new();
    let mut children: Vec<(u64, Element)> = Vec::new();
    let mut errors = Vec::new();
    let mut found: Vec<Vec<TextRange>> = vec![Vec::new(); kinds.len()];
    let (mut at, mut deepest) = (0usize, 0usize);
    lexed.intersperse_trivia(&output, &mut |step| match step {
        ra_ap_parser::StrStep::Token { kind, text } => {
            let (hash, token) = interner.token(raw(kind), text);
            children.push((hash, NodeOrToken::Token(token)));
            at += text.len();
        }
        ra_ap_parser::StrStep::Enter { kind } => {
            // Recorded where they open (text order), their end where they close.
            let wanted = kinds.iter().position(|&k| k == kind).map(|k| {
                found[k].push(TextRange::empty(offset(at)));
                (k, found[k].len() - 1)
            });
            parents.push(Open {
                kind: raw(kind),
                first: children.len(),
                wanted,
            });
            deepest = deepest.max(parents.len());
        }
        ra_ap_parser::StrStep::Exit => {
            let open = parents.pop().expect("the parser closes what it opens");
            if let Some((k, i)) = open.wanted {
                found[k][i] = TextRange::new(found[k][i].start(), offset(at));
            }
            let (hash, node) = interner.node(open.kind, &mut children, open.first);
            children.push((hash, NodeOrToken::Node(node)));
        }
        ra_ap_parser::StrStep::Error { msg, pos } => {
            errors.push(SyntaxError::new_at_offset(msg, offset(pos)));
        }
    });
    if let Some(limits) = limits
        && deepest > limits.tree
    {
        return Err(deepest);
    }
    for (token, msg) in lexed.errors() {
        let range = lexed.text_range(token);
        errors.push(SyntaxError::new(
            msg,
            TextRange::new(offset(range.start), offset(range.end)),
        ));
    }
    for ranges in &mut found {
        ranges.retain(|r| !r.is_empty());
    }
    match children.pop() {
        Some((_, NodeOrToken::Node(green))) if children.is_empty() => Ok(Built {
            tree: Tree { green, errors },
            found,
        }),
        _ => unreachable!("a parse has one root node"),
    }
}

fn raw(kind: SyntaxKind) -> rowan::SyntaxKind {
    rowan::SyntaxKind(kind.into())
}

/// A text offset (files are far below 4 GiB: their tree's offsets are 32-bit too).
fn offset(at: usize) -> TextSize {
    TextSize::try_from(at).expect("a parsed text is under 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree is `ra_ap_syntax`'s, node for node and token for token, and so are the parse's
    /// errors (those of `ra_ap_syntax`'s, less the ones its validation adds).
    fn same_as_ra_ap_syntax(text: &str) {
        for edition in [
            Edition::Edition2015,
            Edition::Edition2021,
            Edition::Edition2024,
        ] {
            let tree = Tree::parse(text, edition);
            let ours = tree.syntax_node();
            let parse = ra_ap_syntax::SourceFile::parse(text, edition);
            let theirs = parse.syntax_node();
            assert_eq!(format!("{ours:#?}"), format!("{theirs:#?}"), "{text}");
            assert_eq!(ours.to_string(), text);
            let all = parse.errors();
            assert!(
                tree.errors().iter().all(|e| all.contains(e)),
                "{text}: {:?} not all in {all:?}",
                tree.errors()
            );
        }
    }

    #[test]
    fn the_parse_s_errors_are_where_the_tree_is_a_guess() {
        let text = "fn ok() {}\nfn f( { let = ; }\nconst S: &str = \"open";
        let tree = Tree::parse(text, Edition::Edition2021);
        let errors: Vec<String> = tree.errors().iter().map(ToString::to_string).collect();
        assert!(errors.iter().any(|e| e.contains("expected")), "{errors:?}");
        assert!(
            errors.iter().any(|e| e.contains("Missing trailing")),
            "{errors:?}"
        );
        assert!(tree.errors().iter().all(|e| e.range().start() > 10.into()));
        // Validation's findings are not the parse's: a visibility where none may be written
        // leaves the tree as written.
        let text = "trait T { fn f(); }\nimpl T for S { pub fn f() {} }";
        assert!(
            !ra_ap_syntax::SourceFile::parse(text, Edition::Edition2021)
                .errors()
                .is_empty()
        );
        assert!(Tree::parse(text, Edition::Edition2021).errors().is_empty());
        assert!(
            Tree::parse("fn main() {}", Edition::Edition2021)
                .errors()
                .is_empty()
        );
    }

    #[test]
    fn builds_the_tree_ra_ap_syntax_builds() {
        same_as_ra_ap_syntax("");
        same_as_ra_ap_syntax("fn main() { let x = a.b(c, d)?; x + x + x }\n");
        same_as_ra_ap_syntax("// only a comment");
        // Broken code: the parser's recovery, errors and all, gives the same tree.
        same_as_ra_ap_syntax("fn f( { let = ; } impl struct 'a' \"open");
        same_as_ra_ap_syntax("async fn f() { g().await; } macro_rules! m { ($x:expr) => { $x } }");
        same_as_ra_ap_syntax(include_str!("analysis.rs"));
        same_as_ra_ap_syntax(include_str!("tree.rs"));
    }

    #[test]
    fn equal_subtrees_share_one_node_within_a_file() {
        let tree = Tree::parse("fn f() { x; x; }", Edition::Edition2021).syntax_node();
        let paths: Vec<_> = tree
            .descendants()
            .filter(|n| n.kind() == ra_ap_syntax::SyntaxKind::PATH_EXPR)
            .collect();
        assert_eq!(paths.len(), 2);
        assert!(std::ptr::eq(paths[0].green(), paths[1].green()));
        // Each parse interns on its own: a later file's equal node is its own.
        let again = Tree::parse("fn f() { x; x; }", Edition::Edition2021).syntax_node();
        let path = again
            .descendants()
            .find(|n| n.kind() == ra_ap_syntax::SyntaxKind::PATH_EXPR)
            .expect("a path");
        assert!(!std::ptr::eq(path.green(), paths[0].green()));
    }

    #[test]
    fn a_checked_parse_finds_what_a_walk_of_its_tree_finds() {
        let kinds = [SyntaxKind::USE, SyntaxKind::MACRO_CALL, SyntaxKind::FN];
        for text in [
            "use a::b;\nmod m { use c::{d, e as f}; fn g() { use h::i; vec![j!(1)]; } }\nprintln!(\"{}\", o!());\n",
            // Attached comments, recovery, an empty node where the parser expected one.
            "/// doc\nfn a() {}\n// loose\nfn ( { use ;\nm!",
            include_str!("analysis.rs"),
        ] {
            let (tree, found) =
                Tree::parse_checked(text, Edition::Edition2021, &kinds).expect("not deep");
            let walked = crate::nesting::scan_tree(&tree.syntax_node(), true, &kinds);
            assert_eq!(walked.too_deep, None);
            assert_eq!(found, walked.ranges, "{text}");
            assert!(found.iter().all(|r| !r.is_empty()));
        }
    }

    #[test]
    fn a_checked_parse_refuses_text_nested_past_the_limits() {
        use crate::nesting::{MAX_DEPTH, MAX_TREE_DEPTH, tree_depth};
        let parse = |text: &str| Tree::parse_checked(text, Edition::Edition2021, &[]).map(|_| ());
        // Brackets, counted before parsing: in code, not in literals or comments.
        let nested = |n: usize| format!("fn f() {{ {}1{} }}", "(".repeat(n), ")".repeat(n));
        assert_eq!(parse(&nested(MAX_DEPTH - 2)), Ok(()));
        assert_eq!(parse(&nested(MAX_DEPTH + 10)), Err(MAX_DEPTH + 11));
        let quoted = format!(
            "fn f() {{ g(\"{0}\", '(') }} // {0}\n/* {0} */",
            "(".repeat(2 * MAX_DEPTH)
        );
        assert_eq!(parse(&quoted), Ok(()));
        // The tree: a long chain nests it without brackets.
        for n in [10, MAX_TREE_DEPTH - 10, MAX_TREE_DEPTH + 500] {
            let text = format!("fn f() {{ x{} }}", ".a()".repeat(n));
            let depth = tree_depth(&Tree::parse(&text, Edition::Edition2021).syntax_node());
            let expected = if depth > MAX_TREE_DEPTH {
                Err(depth)
            } else {
                Ok(())
            };
            assert_eq!(parse(&text), expected, "{n}");
        }
    }
}
