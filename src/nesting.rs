//! How deeply a text nests brackets, counted before parsing: the parsers (rust-analyzer's and
//! syn's) recurse once per level, so a file nested thousands deep would overflow the stack. Such
//! a file is skipped with a warning, and a fix that would make one is refused.

/// Deeper than this, a file is not parsed. Real code stays far below (rustc's own recursion
/// limit for macro expansion is 128); generated code that goes deeper is not worth a crash.
pub const MAX_DEPTH: usize = 1000;

/// Deeper than this, a parsed tree is dropped too (chains of calls or operators).
pub const MAX_TREE_DEPTH: usize = 4000;

/// What one walk of a parsed tree finds: [`scan_tree`].
#[derive(Debug, Default)]
pub struct TreeScan {
    /// The tree is deeper than [`MAX_TREE_DEPTH`]: its depth (then `ranges` is not filled).
    pub too_deep: Option<usize>,
    /// Per kind asked for, the ranges of the tree's non-empty nodes of that kind, in text order.
    pub ranges: Vec<Vec<ra_ap_syntax::TextRange>>,
}

/// One walk of `root`'s green tree (no cursor is built per node): the ranges of its nodes of
/// each of `kinds`, and, with `check_depth`, whether the tree is too deep ([`tree_too_deep`]).
/// A file's first parse with `ra_ap_syntax` needs the depth before anything walks up the tree.
/// (Our own tree builder finds both as it builds: [`crate::tree::Tree::parse_checked`].)
pub fn scan_tree(
    root: &ra_ap_syntax::SyntaxNode,
    check_depth: bool,
    kinds: &[ra_ap_syntax::SyntaxKind],
) -> TreeScan {
    use ra_ap_syntax::{NodeOrToken, SyntaxKind, TextRange};
    let mut ranges = vec![Vec::new(); kinds.len()];
    let mut stack = vec![(root.green(), root.text_range().start(), 1usize)];
    while let Some((node, start, depth)) = stack.pop() {
        if check_depth && depth > MAX_TREE_DEPTH {
            return TreeScan {
                too_deep: Some(tree_depth(root)),
                ranges: Vec::new(),
            };
        }
        let kind = SyntaxKind::from(node.kind().0);
        if let Some(k) = kinds.iter().position(|&k| k == kind)
            && node.text_len() != ra_ap_syntax::TextSize::from(0)
        {
            ranges[k].push(TextRange::at(start, node.text_len()));
        }
        let first_child = stack.len();
        let mut at = start;
        for child in node.children() {
            if let NodeOrToken::Node(child) = child {
                stack.push((child, at, depth + 1));
            }
            at += child.text_len();
        }
        // Children are popped in text order.
        stack[first_child..].reverse();
    }
    TreeScan {
        too_deep: None,
        ranges,
    }
}

/// Whether `root`'s tree is deeper than [`MAX_TREE_DEPTH`]: its depth if it is.
pub fn tree_too_deep(root: &ra_ap_syntax::SyntaxNode) -> Option<usize> {
    scan_tree(root, true, &[]).too_deep
}

/// The depth of the deepest node of `root`'s tree, by an iterative walk.
pub fn tree_depth(root: &ra_ap_syntax::SyntaxNode) -> usize {
    // On the green tree: no cursor is built (or freed) per node.
    let mut stack = vec![(root.green(), 1usize)];
    let mut max = 0;
    while let Some((node, depth)) = stack.pop() {
        max = max.max(depth);
        stack.extend(
            node.children()
                .filter_map(|child| child.into_node())
                .map(|child| (child, depth + 1)),
        );
    }
    max
}

/// The deepest nesting of `(`, `[` and `{` in `text`'s code (comments, strings and character
/// literals are tokens of their own to the lexer).
pub fn depth(text: &str, edition: ra_ap_syntax::Edition) -> usize {
    bracket_depth(&ra_ap_parser::LexedStr::new(edition, text))
}

/// [`depth`] of a text already lexed: what the parser will recurse on.
pub fn bracket_depth(lexed: &ra_ap_parser::LexedStr<'_>) -> usize {
    use ra_ap_syntax::SyntaxKind;
    let (mut depth, mut max) = (0usize, 0usize);
    for i in 0..lexed.len() {
        match lexed.kind(i) {
            SyntaxKind::L_PAREN | SyntaxKind::L_BRACK | SyntaxKind::L_CURLY => {
                depth += 1;
                max = max.max(depth);
            }
            SyntaxKind::R_PAREN | SyntaxKind::R_BRACK | SyntaxKind::R_CURLY => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    /// [`super::depth`] of a 2021 text.
    fn depth(text: &str) -> usize {
        super::depth(text, ra_ap_syntax::Edition::Edition2021)
    }

    #[test]
    fn a_tree_is_too_deep_where_its_depth_is_past_the_limit() {
        use super::{MAX_TREE_DEPTH, tree_depth, tree_too_deep};
        for n in [
            10,
            MAX_TREE_DEPTH - 10,
            MAX_TREE_DEPTH,
            MAX_TREE_DEPTH + 500,
        ] {
            let text = format!("fn f() {{ x{} }}", ".a()".repeat(n));
            let root = ra_ap_syntax::SourceFile::parse(&text, ra_ap_syntax::Edition::Edition2021)
                .syntax_node();
            let depth = tree_depth(&root);
            assert_eq!(
                tree_too_deep(&root),
                (depth > MAX_TREE_DEPTH).then_some(depth),
                "{n}"
            );
        }
    }

    #[test]
    fn one_scan_finds_every_kind_asked_for_and_measures_the_depth() {
        use ra_ap_syntax::{SyntaxKind, TextRange};
        let text = "use a::b;\nmod m { use c::{d, e as f}; fn g() { use h::i; vec![j!(1)]; } }\nprintln!(\"{}\", o!());\n";
        let root =
            ra_ap_syntax::SourceFile::parse(text, ra_ap_syntax::Edition::Edition2021).syntax_node();
        let kinds = [SyntaxKind::USE, SyntaxKind::MACRO_CALL, SyntaxKind::FN];
        let scan = super::scan_tree(&root, true, &kinds);
        assert_eq!(scan.too_deep, None);
        for (kind, found) in kinds.iter().zip(&scan.ranges) {
            let expected: Vec<TextRange> = root
                .descendants()
                .filter(|n| n.kind() == *kind)
                .map(|n| n.text_range())
                .collect();
            assert!(!expected.is_empty(), "{kind:?}");
            assert_eq!(*found, expected, "{kind:?}");
        }
        let deep = format!("fn f() {{ x{} }}", ".a()".repeat(super::MAX_TREE_DEPTH));
        let root = ra_ap_syntax::SourceFile::parse(&deep, ra_ap_syntax::Edition::Edition2021)
            .syntax_node();
        let depth = super::tree_depth(&root);
        assert!(depth > super::MAX_TREE_DEPTH);
        assert_eq!(super::scan_tree(&root, true, &kinds).too_deep, Some(depth));
        // Without the depth check, the walk goes on and finds the function.
        assert_eq!(super::scan_tree(&root, false, &kinds).ranges[2].len(), 1);
    }

    #[test]
    fn chains_nest_the_tree() {
        let text = format!("fn f() {{ x{} }}", ".a()".repeat(100));
        let parse = ra_ap_syntax::SourceFile::parse(&text, ra_ap_syntax::Edition::Edition2024);
        assert!(super::tree_depth(&parse.syntax_node()) > 100);
    }

    #[test]
    fn brackets_in_code_count_and_in_literals_and_comments_do_not() {
        assert_eq!(depth("fn f() { g([1, (2)]) }"), 4);
        assert_eq!(depth("fn f() { g(\"((((\", '(', r#\"{{{\"#) }"), 2);
        assert_eq!(
            depth("// ((((\n/* (( /* nested (( */ */ fn f<'a>(x: &'a u8) {}"),
            1
        );
        assert_eq!(
            depth(&format!(
                "fn f() {{ {}1{} }}",
                "(".repeat(5000),
                ")".repeat(5000)
            )),
            5001
        );
    }
}
