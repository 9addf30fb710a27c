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

/// The bytes [`depth`] dispatches on; any other byte is skipped.
static SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let special = b"/r\"'([{)]}";
    let mut k = 0;
    while k < special.len() {
        table[special[k] as usize] = true;
        k += 1;
    }
    table
};

/// The deepest nesting of `(`, `[` and `{` in `text`, outside comments, strings and character
/// literals.
pub fn depth(text: &str) -> usize {
    depth_scan::<true>(text)
}

/// [`depth`]; with `SKIP`, bytes no arm below looks at are passed in a tight loop (most of them:
/// every file is measured as it is read), without it one at a time (the tests hold the two to
/// the same answers).
fn depth_scan<const SKIP: bool>(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut i, mut depth, mut max) = (0, 0usize, 0usize);
    while i < bytes.len() {
        while SKIP && i < bytes.len() && !SPECIAL[usize::from(bytes[i])] {
            i += 1;
        }
        let Some(&byte) = bytes.get(i) else {
            break;
        };
        match byte {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut level = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        level += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !is_ident(bytes[i - 1])) =>
            {
                // A raw string: r"..", r#".."#, with as many `#` at the end as at the start.
                let mut j = i + 1;
                let mut hashes = 0;
                while bytes.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if bytes.get(j) == Some(&b'"') {
                    j += 1;
                    loop {
                        match bytes.get(j) {
                            None => break,
                            Some(b'"')
                                if bytes[j + 1..]
                                    .iter()
                                    .take(hashes)
                                    .filter(|b| **b == b'#')
                                    .count()
                                    == hashes =>
                            {
                                j += 1 + hashes;
                                break;
                            }
                            _ => j += 1,
                        }
                    }
                    i = j;
                    continue;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            // A character literal (`'('`, `'\''`), not a lifetime (`'a`).
            b'\'' => {
                if bytes.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < bytes.len() && bytes[i] != b'\'' {
                        i += 1;
                    }
                } else if bytes.get(i + 2) == Some(&b'\'') {
                    i += 2;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::depth;

    /// The scan without its skipping loop.
    fn depth_reference(text: &str) -> usize {
        super::depth_scan::<false>(text)
    }

    #[test]
    fn the_skipping_scan_measures_as_the_bytewise_one() {
        let mut files = Vec::new();
        for dir in ["src", "tests", "benches"] {
            let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).unwrap().flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs") {
                        files.push(std::fs::read_to_string(&path).unwrap());
                    }
                }
            }
        }
        assert!(files.len() > 20);
        for text in &files {
            assert_eq!(depth(text), depth_reference(text));
            // Cut anywhere: literals and comments left open.
            for cut in (0..text.len())
                .step_by(997)
                .filter(|c| text.is_char_boundary(*c))
            {
                assert_eq!(depth(&text[cut..]), depth_reference(&text[cut..]));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn generated_text_measures_as_the_bytewise_scan(pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "(", ")", "[", "]", "{", "}", "\"", "'", "r", "#", "/", "*", "\\", "\n", " ",
                "a", "b'", "r#\"", "\"#", "//", "/*", "*/", "'a", "'(", "x",
            ]),
            0..60,
        )) {
            let text: String = pieces.concat();
            proptest::prop_assert_eq!(depth(&text), depth_reference(&text));
        }
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
