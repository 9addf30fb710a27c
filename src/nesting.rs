//! How deeply a text nests brackets, counted before parsing: the parsers (rust-analyzer's and
//! syn's) recurse once per level, so a file nested thousands deep would overflow the stack. Such
//! a file is skipped with a warning, and a fix that would make one is refused.

/// Deeper than this, a file is not parsed. Real code stays far below (rustc's own recursion
/// limit for macro expansion is 128); generated code that goes deeper is not worth a crash.
pub const MAX_DEPTH: usize = 1000;

/// Deeper than this, a parsed tree is dropped too (chains of calls or operators).
pub const MAX_TREE_DEPTH: usize = 4000;

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

/// The deepest nesting of `(`, `[` and `{` in `text`, outside comments, strings and character
/// literals.
pub fn depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut i, mut depth, mut max) = (0, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
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
