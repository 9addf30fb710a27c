//! Code inside the macros where async code commonly lives (`assert_eq!`, `println!`, `vec!`,
//! `tokio::join!`, `tokio::select!`...) analysed as code.
//!
//! Macro arguments are token trees, not syntax. For each level of nesting, one synthetic text the
//! length of the file is parsed: blank except that every argument list of an allowed macro is
//! copied *at its original offset*, wrapped as `fn __lf(){( ... )}`. Every node of that parse has
//! the same range as the text it came from, so diagnostics, imports and edits need no mapping, and
//! a fix there rewrites exactly the characters it names. Where a synthetic parse has errors (the
//! arms of `select!` are not expressions), the macro is still analysed but never rewritten.

use ra_ap_syntax::{
    AstNode, Edition, SourceFile, SyntaxKind, SyntaxNode, TextRange, TextSize, ast,
};

use crate::tree::Tree;

/// Macros whose arguments are expressions (or close enough to be analysed as such).
const EXPRESSION_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "println",
    "print",
    "eprintln",
    "eprint",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "vec",
    "dbg",
    "join",
    "try_join",
    "select",
    "pin",
    "info",
    "warn",
    "error",
    "debug",
    "trace",
    "matches",
    "unreachable",
    "todo",
    "unimplemented",
];

/// How deep macro calls inside macro arguments are followed.
const MAX_LEVELS: usize = 3;

const OPEN: &str = "fn __lf(){(";
const CLOSE: &str = ")}";

/// The argument list of one macro call.
#[derive(Clone, Debug)]
pub struct Region {
    /// Between the delimiters.
    pub inner: TextRange,
    /// The whole macro call, in the level above.
    pub call: TextRange,
}

#[derive(Clone)]
pub struct Level {
    pub tree: Tree,
    /// Sorted by offset, not overlapping.
    pub regions: Vec<Region>,
}

impl Level {
    /// Whether the synthetic parse has an error inside `region`, its wrapper included (analyse
    /// there, never rewrite).
    fn is_broken(&self, region: &Region) -> bool {
        let wrapped = TextRange::new(
            region.inner.start() - TextSize::of(OPEN),
            region.inner.end() + TextSize::of(CLOSE),
        );
        self.tree
            .errors()
            .iter()
            .any(|err| wrapped.contains_inclusive(err.range().start()))
    }
}

/// Every level of macro arguments of one file. Owned and `Send`: built once per file per run.
#[derive(Clone, Default)]
pub struct MacroBodies {
    pub levels: Vec<Level>,
}

impl MacroBodies {
    /// `text` is the file's text, of which `tree` is the parse.
    pub fn build(tree: &SourceFile, text: &str, edition: Edition) -> MacroBodies {
        let calls = super::nodes_of_kind(tree.syntax(), SyntaxKind::MACRO_CALL);
        MacroBodies::of_calls(tree, calls, text, edition)
    }

    /// [`MacroBodies::build`], given the file's macro calls (every one, in text order), found by
    /// a walk the caller makes anyway.
    pub fn of_calls(
        tree: &SourceFile,
        calls: Vec<SyntaxNode>,
        text: &str,
        edition: Edition,
    ) -> MacroBodies {
        let mut levels: Vec<Level> = Vec::new();
        let mut base = tree.syntax().clone();
        let mut base_text = text.to_owned();
        let mut file_calls = Some(calls);
        for _ in 0..MAX_LEVELS {
            let is_file = levels.is_empty();
            let calls = file_calls
                .take()
                .unwrap_or_else(|| super::nodes_of_kind(&base, SyntaxKind::MACRO_CALL));
            let Some((level, level_text)) =
                build_level(calls, &base_text, is_file, text.len(), edition)
            else {
                break;
            };
            base = level.tree.syntax_node();
            base_text = level_text;
            levels.push(level);
        }
        MacroBodies { levels }
    }

    /// Whether `range` lies in the arguments of a macro whose synthetic parse failed there.
    pub fn in_broken_region(&self, range: TextRange) -> bool {
        self.levels.iter().any(|l| {
            l.regions
                .iter()
                .any(|r| r.call.intersect(range).is_some() && l.is_broken(r))
        })
    }
}

/// The level made of `macro_calls`, the macro calls of a tree (every one, in text order) to follow:
/// in the file itself, or (for deeper levels) inside the arguments copied into the level above.
fn build_level(
    macro_calls: Vec<SyntaxNode>,
    source: &str,
    is_file: bool,
    text_len: usize,
    edition: Edition,
) -> Option<(Level, String)> {
    // (arguments, whole call, opening delimiter, is `select!`)
    let mut calls: Vec<(TextRange, TextRange, char, bool)> = Vec::new();
    for call in macro_calls.into_iter().filter_map(ast::MacroCall::cast) {
        if !is_file && !inside_wrapper_body(call.syntax()) {
            continue;
        }
        let Some(name) = call.path().and_then(|p| p.segment()?.name_ref()) else {
            continue;
        };
        if !EXPRESSION_MACROS.contains(&name.text()) {
            continue;
        }
        let Some(tt) = call.token_tree() else {
            continue;
        };
        let range = tt.syntax().text_range();
        if range.len() < TextSize::from(2) {
            continue;
        }
        let open = source[usize::from(range.start())..]
            .chars()
            .next()
            .unwrap_or('(');
        let inner = TextRange::new(
            range.start() + TextSize::from(1),
            range.end() - TextSize::from(1),
        );
        calls.push((
            inner,
            call.syntax().text_range(),
            open,
            name.text() == "select",
        ));
    }
    if calls.is_empty() {
        return None;
    }
    calls.sort_by_key(|(inner, ..)| inner.start());
    let mut text: Vec<u8> = source
        .bytes()
        .map(|b| if b == b'\n' { b'\n' } else { b' ' })
        .collect();
    text.resize(text_len.max(text.len()), b' ');
    let mut regions = Vec::new();
    let mut free_from = 0usize;
    for (inner, call, open, select) in calls {
        let start = usize::from(inner.start());
        let end = usize::from(inner.end());
        // The wrapper must fit in front of the arguments without touching the previous one.
        if start < OPEN.len() || start - OPEN.len() < free_from {
            continue;
        }
        let (open_text, close_text) = if open == '[' {
            ("fn __lf(){[", "]}")
        } else {
            (OPEN, CLOSE)
        };
        text[start - open_text.len()..start].copy_from_slice(open_text.as_bytes());
        text[start..end].copy_from_slice(&source.as_bytes()[start..end]);
        if select {
            // `pat = fut => handler,` arms read as `pat = fut, handler,`: a tuple of an assignment
            // and the handler, same length, so offsets still match.
            let arms = String::from_utf8_lossy(&text[start..end]).replace("=>", ", ");
            text[start..end].copy_from_slice(arms.as_bytes());
        }
        if text.len() < end + close_text.len() {
            text.resize(end + close_text.len(), b' ');
        }
        text[end..end + close_text.len()].copy_from_slice(close_text.as_bytes());
        free_from = end + close_text.len();
        regions.push(Region { inner, call });
    }
    if regions.is_empty() {
        return None;
    }
    // Copied bytes are whole token trees of valid UTF-8 text; the rest is ASCII.
    let text = String::from_utf8(text).ok()?;
    let code = regions.iter().map(|r| usize::from(r.inner.len())).sum();
    let level = Level {
        tree: Tree::parse_sized(&text, edition, code),
        regions,
    };
    Some((level, text))
}

/// Whether `node` (in a synthetic tree) is inside a wrapper's copied arguments.
fn inside_wrapper_body(node: &SyntaxNode) -> bool {
    node.ancestors().any(|a| {
        matches!(
            a.kind(),
            SyntaxKind::TUPLE_EXPR | SyntaxKind::PAREN_EXPR | SyntaxKind::ARRAY_EXPR
        ) && a
            .parent()
            .and_then(|p| p.parent())
            .and_then(|p| p.parent())
            .is_some_and(|f| is_wrapper(&f))
    })
}

/// The synthetic `fn __lf` of a macro level: a function item at the root of a synthetic tree.
pub fn is_wrapper(node: &SyntaxNode) -> bool {
    node.kind() == SyntaxKind::FN
        && node
            .parent()
            .is_some_and(|p| p.kind() == SyntaxKind::SOURCE_FILE)
        && ast::Fn::cast(node.clone())
            .and_then(|f| f.name())
            .is_some_and(|n| n.text() == "__lf")
}

/// The nodes of a level that stand for real code: everything inside the copied arguments.
pub fn real_nodes(level_root: &SyntaxNode) -> impl Iterator<Item = SyntaxNode> {
    level_root
        .children()
        .filter(is_wrapper)
        .filter_map(|f| ast::Fn::cast(f)?.body()?.stmt_list()?.tail_expr())
        .flat_map(|wrapped| wrapped.syntax().descendants().skip(1).collect::<Vec<_>>())
}

use ra_ap_syntax::ast::HasName;

#[cfg(test)]
mod tests {
    use crate::analysis::{model_all, text_source};

    /// Callees of `f` with the text at each call site's range.
    fn calls_in(text: &str) -> Vec<String> {
        let sources = text_source(text);
        let g = model_all(None, &sources).graph;
        let f = g.fns.iter().position(|x| x.name == "f").unwrap();
        g.edges
            .iter()
            .filter(|e| e.caller == f)
            .map(|e| {
                format!(
                    "{} at {:?}",
                    g.fns[e.callee].name,
                    &text[std::ops::Range::<usize>::from(e.site)]
                )
            })
            .collect()
    }

    #[test]
    fn calls_in_macro_arguments_keep_their_offsets() {
        let text = "fn a() -> u32 { 1 }\nfn b() -> u32 { 2 }\nfn f() {\n    assert_eq!(a(), 1, \"msg {}\", b());\n}\n";
        assert_eq!(calls_in(text), ["a at \"a\"", "b at \"b\""]);
    }

    #[test]
    fn nested_macros_and_brackets() {
        let text = "fn a() -> u32 { 1 }\nfn f() {\n    println!(\"{}\", vec![a(); 2].len());\n}\n";
        assert_eq!(calls_in(text), ["a at \"a\""]);
    }

    #[test]
    fn macro_definitions_and_unknown_macros_are_not_code() {
        let text =
            "fn a() {}\nmacro_rules! m { () => { a() } }\nfn f() {\n    my_macro!(a());\n}\n";
        assert!(calls_in(text).is_empty());
    }

    #[test]
    fn select_arms_are_analysed_and_unparsable_ones_never_rewritten() {
        let text = "fn a() {}\nasync fn f() {\n    tokio::select! {\n        v = g() => { a(); }\n    }\n}\n";
        assert_eq!(calls_in(text), ["a at \"a\""]);
        let sources =
            text_source("async fn f() {\n    tokio::select! { biased; v = g() => {} }\n}\n");
        let facts = model_all(None, &sources).facts;
        let whole =
            ra_ap_syntax::TextRange::up_to(ra_ap_syntax::TextSize::of(sources.files[0].text()));
        let macros = facts[0]
            .macros
            .as_ref()
            .expect("kept with the tree of a small run");
        assert!(macros.in_broken_region(whole));
        // Arms that parse are not broken.
        let sources = text_source(text);
        let facts = model_all(None, &sources).facts;
        let whole = ra_ap_syntax::TextRange::up_to(ra_ap_syntax::TextSize::of(text));
        let macros = facts[0].macros.as_ref().expect("kept");
        assert!(!macros.in_broken_region(whole));
    }
}
