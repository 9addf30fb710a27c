//! The identifiers of a file's code, found by one pass over its bytes: comments, string and
//! character literals are skipped, nothing is lexed or parsed.
//!
//! The prefilter asks whether a file names something in code many thousands of times per run;
//! rust-analyzer's lexer answers it too, at several times the cost. The pass errs one way only:
//! every identifier the lexer finds is found here at the same offset (a test holds it to that
//! on every file of this repository and on generated text); a few words more may be found
//! (lifetime names, the suffix of a number, what follows a malformed literal), never fewer.

use super::relevance::is_ident_byte;

/// Calls `word(start, text, in_attribute)` for every identifier of `text`'s code, in order. Raw
/// identifiers (`r#match`) are reported by their name, where it starts (after the `r#`).
/// `in_attribute`: the word is inside an attribute's brackets (`#[cfg(all(test, unix))]`), where
/// no call or name use can be: attribute arguments are token trees, never expressions.
pub fn for_each_code_word<'t>(text: &'t str, mut word: impl FnMut(usize, &'t str, bool)) {
    let bytes = text.as_bytes();
    let len = bytes.len();
    // Brackets open in the attribute the pass is in (0: not in one).
    let mut attribute = 0usize;
    let mut word = |start: usize, w: &'t str, attribute: usize| word(start, w, attribute > 0);
    // A first line `#!...` (not an inner attribute `#![..]`) is a shebang.
    let mut i = 0;
    if text.starts_with("#!") && !text[2..].trim_start().starts_with('[') {
        i = memchr::memchr(b'\n', bytes).unwrap_or(len);
    }
    while i < len {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(len, |n| i + n + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i + 2),
            b'#' if attribute == 0 => {
                // `#[..]` or `#![..]` (spaces allowed between): an attribute opens.
                let rest = bytes[i + 1..].trim_ascii_start();
                let rest = rest.strip_prefix(b"!").unwrap_or(rest).trim_ascii_start();
                if rest.first() == Some(&b'[') {
                    attribute = 1;
                    i = len - rest.len() + 1;
                } else {
                    i += 1;
                }
            }
            b'[' if attribute > 0 => {
                attribute += 1;
                i += 1;
            }
            b']' if attribute > 0 => {
                attribute -= 1;
                i += 1;
            }
            b'"' => i = skip_suffix(bytes, skip_string(bytes, i + 1)),
            b'\'' => i = skip_quote(text, i),
            b'0'..=b'9' => {
                // A number and its suffix (`1u32`, `0xff_u8`): no identifier starts inside it.
                i += 1;
                while i < len && is_ident_byte(bytes[i]) {
                    i += 1;
                }
            }
            _ if is_ident_byte(b) => {
                let start = i;
                while i < len && is_ident_byte(bytes[i]) {
                    i += 1;
                }
                let ident = &bytes[start..i];
                let next = bytes.get(i).copied();
                match (ident, next) {
                    // Raw strings: `r"..."`, `r#"..."#`, `br#".."#`, `cr".."` (the prefix is a
                    // word too: before edition 2021, `c".."` is the identifier `c` and a string).
                    (b"r" | b"br" | b"cr", Some(b'"' | b'#')) if raw_string_opens(bytes, i) => {
                        word(start, &text[start..i], attribute);
                        i = skip_suffix(bytes, skip_raw_string(bytes, i));
                    }
                    // `r#name`: a raw identifier, reported by its name.
                    (b"r", Some(b'#')) if bytes.get(i + 1).is_some_and(|b| is_ident_byte(*b)) => {
                        let name_start = i + 1;
                        i = name_start;
                        while i < len && is_ident_byte(bytes[i]) {
                            i += 1;
                        }
                        word(name_start, &text[name_start..i], attribute);
                    }
                    // Byte and C strings, byte characters.
                    (b"b" | b"c", Some(b'"')) => {
                        word(start, &text[start..i], attribute);
                        i = skip_suffix(bytes, skip_string(bytes, i + 1));
                    }
                    (b"b", Some(b'\'')) => {
                        word(start, &text[start..i], attribute);
                        i = skip_suffix(bytes, skip_single_quoted(text, i + 1));
                    }
                    _ => word(start, &text[start..i], attribute),
                }
            }
            _ => i += 1,
        }
    }
}

/// The start offsets of the identifiers of `text`'s code, sorted.
pub fn code_word_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    for_each_code_word(text, |at, _, _| starts.push(at));
    starts
}

/// Past the suffix of a literal that ends at `i` (`"s"suffix`, `'c'x`: part of the literal's
/// token, an error for the parser).
fn skip_suffix(bytes: &[u8], mut i: usize) -> usize {
    if bytes.get(i).is_some_and(|b| !b.is_ascii_digit()) {
        while i < bytes.len() && is_ident_byte(bytes[i]) {
            i += 1;
        }
    }
    i
}

/// Past a block comment whose body starts at `i` (comments nest).
fn skip_block_comment(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 1usize;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'*', Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            (b'/', Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            _ => i += 1,
        }
    }
    i
}

/// Past a string whose body starts at `i` (escapes skip the byte after a backslash).
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
            Some(n) if bytes[i + n] == b'\\' => i += n + 2,
            Some(n) => return i + n + 1,
            None => return bytes.len(),
        }
    }
    bytes.len()
}

/// Whether `#`s then `"` follow at `i` (the prefix of a raw string ends just before `i`).
fn raw_string_opens(bytes: &[u8], i: usize) -> bool {
    let hashes = bytes[i..].iter().take_while(|&&b| b == b'#').count();
    bytes.get(i + hashes) == Some(&b'"')
}

/// Past a raw string whose `#`s start at `i`: up to a `"` followed by as many `#`s.
fn skip_raw_string(bytes: &[u8], i: usize) -> usize {
    let hashes = bytes[i..].iter().take_while(|&&b| b == b'#').count();
    let mut at = i + hashes + 1;
    while let Some(n) = memchr::memchr(b'"', &bytes[at..]) {
        let close = at + n + 1;
        if bytes[close..]
            .iter()
            .take(hashes)
            .filter(|&&b| b == b'#')
            .count()
            == hashes
            && bytes.len() >= close + hashes
        {
            return close + hashes;
        }
        at = close;
    }
    bytes.len()
}

/// Past a quote at `i`, as rustc's lexer reads it: a character literal (`'a'`, `'\n'`,
/// `'\u{1F600}'`, `'é'`, `'ab'`) or a lifetime or a label (`'a`, `'outer:`: not an identifier,
/// and `'r"` is no raw string) is skipped whole.
fn skip_quote(text: &str, i: usize) -> usize {
    let mut chars = text[i + 1..].chars();
    let (Some(first), second) = (chars.next(), chars.next()) else {
        return text.len();
    };
    let can_be_lifetime = second != Some('\'') && (first == '_' || first.is_alphanumeric());
    if !can_be_lifetime {
        return skip_suffix(text.as_bytes(), skip_single_quoted(text, i + 1));
    }
    // A name, then a quote: a character literal of several characters (an error, but a literal).
    let name_end = i
        + 1
        + first.len_utf8()
        + text[i + 1 + first.len_utf8()..]
            .bytes()
            .take_while(|b| is_ident_byte(*b))
            .count();
    if text.as_bytes().get(name_end) == Some(&b'\'') {
        skip_suffix(text.as_bytes(), name_end + 1)
    } else {
        name_end
    }
}

/// Past the body of a single-quoted literal starting at `i` (after the quote): up to its closing
/// quote, or where rustc's lexer gives up on it (before a `/`, at a line end, at the end).
fn skip_single_quoted(text: &str, i: usize) -> usize {
    let mut chars = text[i..].char_indices().peekable();
    let mut one = text[i..].chars();
    if let (Some(c), Some('\'')) = (one.next(), one.next())
        && c != '\\'
    {
        return i + c.len_utf8() + 1;
    }
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' => return i + at + 1,
            '/' => return i + at,
            '\n' if chars.peek().map(|(_, c)| *c) != Some('\'') => return i + at,
            '\\' => {
                chars.next();
            }
            _ => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The identifiers rust-analyzer's lexer finds, with their offsets (not the characters that
    /// cannot be in one, `😀`, which it reports as identifiers too: no item has such a name).
    fn lexed(text: &str) -> Vec<(usize, String)> {
        let lexed = ra_ap_parser::LexedStr::new(ra_ap_parser::Edition::LATEST, text);
        (0..lexed.len())
            .filter(|&i| lexed.kind(i) == ra_ap_syntax::SyntaxKind::IDENT)
            .filter(|&i| {
                let t = lexed.text(i).trim_start_matches("r#");
                t.chars().all(|c| c == '_' || c.is_alphanumeric())
            })
            .map(|i| {
                let word = lexed.text(i);
                let name = word.trim_start_matches("r#");
                let start = lexed.text_start(i) + word.len() - name.len();
                (start, name.to_owned())
            })
            .collect()
    }

    fn scanned(text: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for_each_code_word(text, |at, w, _| out.push((at, w.to_owned())));
        out
    }

    fn in_attributes(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for_each_code_word(text, |_, w, attribute| {
            if attribute {
                out.push(w);
            }
        });
        out
    }

    #[test]
    fn words_in_attributes_are_told_apart() {
        let text = "#![cfg_attr(docsrs, feature(doc_cfg))]\n#[cfg(all(test, any(unix, windows)))]\n# [derive(Debug, Clone)]\n#[doc = \"a ] in a string\"]\n#[serde(rename = \"x\", with = [a][0])]\nfn f(x: [u8; 2]) -> u8 { g(x[0]) }";
        assert_eq!(
            in_attributes(text),
            [
                "cfg_attr", "docsrs", "feature", "doc_cfg", "cfg", "all", "test", "any", "unix",
                "windows", "derive", "Debug", "Clone", "doc", "serde", "rename", "with", "a"
            ]
        );
        assert_covers(text);
        let code: Vec<String> = scanned(text)
            .into_iter()
            .map(|(_, w)| w)
            .filter(|w| ["f", "x", "u8", "g"].contains(&w.as_str()))
            .collect();
        assert_eq!(code, ["f", "x", "u8", "u8", "g", "x"]);
    }

    /// Every identifier the lexer finds is found, at the same offset.
    fn assert_covers(text: &str) {
        let found = scanned(text);
        for ident in lexed(text) {
            assert!(
                found.binary_search(&ident).is_ok(),
                "{ident:?} not found in {text:?}\nfound: {found:?}"
            );
        }
    }

    #[test]
    fn comments_and_literals_are_not_code() {
        let text = r####"
// tokio in a comment
/* block_on /* nested */ spawn */
/// doc: Runtime
fn real() {
    let s = "tokio \" escaped spawn";
    let r = r#"raw "block_on" "#;
    let r2 = r##"a "# b"##;
    let b = b"bytes sleep";
    let br = br#"raw bytes"#;
    let c = 'x'; let q = '\''; let e = '\u{1F600}'; let u = 'é'; let m = '😀'; let bc = b'a';
    'outer: loop { break 'outer; }
    let n = 1u32 + 0xffu8;
    r#match();
    after();
}
"####;
        let words: Vec<String> = scanned(text).into_iter().map(|(_, w)| w).collect();
        for absent in [
            "tokio", "block_on", "spawn", "Runtime", "nested", "escaped", "raw", "bytes", "sleep",
            "u32", "u8", "ffu8",
        ] {
            assert!(!words.contains(&absent.to_owned()), "{absent} in {words:?}");
        }
        for present in [
            "real", "s", "r", "r2", "b", "br", "c", "q", "e", "u", "bc", "after",
        ] {
            assert!(
                words.contains(&present.to_owned()),
                "{present} not in {words:?}"
            );
        }
        assert!(scanned(text).contains(&(text.find("match").unwrap(), "match".to_owned())));
        assert_covers(text);
    }

    #[test]
    fn unterminated_literals_end_the_file() {
        for text in [
            "let s = \"open",
            "/* open",
            "let r = r#\"open",
            "let c = '",
            "x '\\",
        ] {
            assert_covers(text);
        }
    }

    /// Every Rust file of this repository: what the lexer finds is found.
    #[test]
    fn covers_the_lexer_on_this_repository() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![root.join("src"), root.join("tests"), root.join("benches")];
        let mut files = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue;
                    };
                    assert_covers(&text);
                    files += 1;
                }
            }
        }
        assert!(files > 100, "only {files} files");
    }

    proptest::proptest! {
        /// Tokens of Rust's tricky kinds in any order, glued or spaced: on any text that lexes
        /// without errors, what the lexer finds is found. (On broken text the two may disagree:
        /// an unterminated literal runs to the end of the file here; the tests above pin those.)
        #[test]
        fn covers_the_lexer_on_generated_text(pieces in proptest::collection::vec(
            (proptest::sample::select(vec![
                "fn", "a", "b", "r", "c", "br", "_x", "é", "r#match", "1", "1u8", "0x1f", "1.0",
                ".", "::", "(", ")", "{", "}", "!", "#", "<", ">", "&", "\"s\"", "\"e\\\"s\"",
                "\"\\\\\"", "r\"raw\"", "r#\"a\"b\"#", "r##\"a\"#b\"##", "b\"x\"",
                "br#\"x\"#", "c\"x\"", "'a'", "'\\''", "'\\n'", "'é'", "'\"'", "'a", "'_",
                "b'x'", "b'\\''", "// line\n", "/// doc\n", "/* c */", "/* /* n */ */",
                "/** d */", "\n", "\t", "\r\n",
            ]), proptest::bool::ANY),
            0..40,
        )) {
            let text: String = pieces
                .iter()
                .map(|(piece, spaced)| if *spaced { format!("{piece} ") } else { piece.to_string() })
                .collect();
            let lexed = ra_ap_parser::LexedStr::new(ra_ap_parser::Edition::LATEST, &text);
            proptest::prop_assume!(lexed.errors().next().is_none());
            assert_covers(&text);
        }
    }
}
