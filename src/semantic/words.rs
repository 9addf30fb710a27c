//! The identifiers of a file's code, found by one pass over its bytes: comments, string and
//! character literals are skipped, nothing is lexed or parsed.
//!
//! The prefilter asks whether a file names something in code many thousands of times per run;
//! rust-analyzer's lexer answers it too, at several times the cost. The pass errs one way only:
//! every identifier the lexer finds is found here at the same offset (a test holds it to that
//! on every file of this repository and on generated text); a few words more may be found
//! (lifetime names, the suffix of a number, what follows a malformed literal), never fewer.

use super::relevance::is_ident_byte;

/// Where an identifier of code stands, read from the tokens around it: comments and whitespace
/// between tokens do not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordPlace<'t> {
    /// After a single `.`: a method or a field (`x.name`), not a range (`a..name`).
    pub after_dot: bool,
    /// After a `::` (`Type::name`, `<T as Trait>::name`, `::std`).
    pub qualified: bool,
    /// The segment before a `::` in front of it (`Type` in `Type::name`).
    pub parent: Option<&'t str>,
    /// Followed by `::` and a name, `{` or `*`: a module in a path.
    pub module: bool,
    /// The name a declaration gives, not a use of one: after `fn`, `struct`, `enum`, `union`,
    /// `trait`, `mod` or `static` (`fn build(..)`), or before a lone `:` (a field, a parameter, a
    /// typed binding, a struct literal's field: `f: &mut Formatter`, `S { build: true }`).
    pub declared: bool,
    /// Followed by a `!` (not `!=`): a macro's name (`write!(f, ..)`), which names no function,
    /// type or static.
    pub macro_name: bool,
}

impl<'t> WordPlace<'t> {
    /// Whether the word can name a free function, static or re-export: not after a `.`, not as
    /// `Type::name` (a capitalised parent, `Self` included), not as a module, not where it is
    /// declared.
    pub fn plain(&self) -> bool {
        !self.after_dot
            && !self.declared
            && !self.macro_name
            && self.type_parent().is_none()
            && !self.module
    }

    /// The type before it in `Type::name` (a capitalised segment, `Self` included).
    pub fn type_parent(&self) -> Option<&'t str> {
        self.parent
            .filter(|p| p.starts_with(|c: char| c.is_ascii_uppercase()))
    }
}

/// Where the code after `i` goes on: past whitespace and comments.
fn skip_trivia(bytes: &[u8], mut i: usize) -> usize {
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'/'), Some(b'/')) => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n + 1);
            }
            (Some(b'/'), Some(b'*')) => i = skip_block_comment(bytes, i + 2),
            _ => return i,
        }
    }
}

/// Calls `word(start, text, place)` for every identifier of `text`'s code outside attributes
/// (words inside attributes name nothing the model resolves), with its [`WordPlace`].
pub fn for_each_placed_word<'t>(
    text: &'t str,
    mut word: impl FnMut(usize, &'t str, WordPlace<'t>),
) {
    let mut placer = Placer::new(text);
    for_each_code_token(text, |token| {
        if let Some((start, name, place)) = placer.place(token) {
            word(start, name, place);
        }
    });
}

/// Places the words of a file's code as its tokens come ([`for_each_code_token`], in order):
/// what [`for_each_placed_word`] does, for a pass that looks at the tokens for more.
pub struct Placer<'t> {
    bytes: &'t [u8],
    /// The last three tokens outside attributes.
    last: [Option<Token<'t>>; 3],
}

impl<'t> Placer<'t> {
    pub fn new(text: &'t str) -> Placer<'t> {
        Placer {
            bytes: text.as_bytes(),
            last: [None; 3],
        }
    }

    /// The next token of the text: a word outside attributes, with where it stands.
    #[inline]
    pub fn place(&mut self, token: Token<'t>) -> Option<(usize, &'t str, WordPlace<'t>)> {
        let in_attribute = match token {
            Token::Word { in_attribute, .. } | Token::Punct { in_attribute, .. } => in_attribute,
        };
        if in_attribute {
            return None;
        }
        let placed = match token {
            Token::Word {
                start, text: name, ..
            } => Some((start, name, self.place_word(start, name))),
            Token::Punct { .. } => None,
        };
        self.last = [Some(token), self.last[0], self.last[1]];
        placed
    }

    #[inline]
    fn place_word(&self, start: usize, name: &'t str) -> WordPlace<'t> {
        let (bytes, last) = (self.bytes, &self.last);
        let punct = |k: usize| match last[k] {
            Some(Token::Punct { byte, at, .. }) => Some((byte, at)),
            _ => None,
        };
        let after_dot =
            punct(0).is_some_and(|(b, _)| b == b'.') && punct(1).is_none_or(|(b, _)| b != b'.');
        let colons = matches!(
            (punct(0), punct(1)),
            (Some((b':', a)), Some((b':', b))) if b + 1 == a
        );
        let parent = match last[2] {
            Some(Token::Word { text, .. }) if colons => Some(text),
            _ => None,
        };
        let next = skip_trivia(bytes, start + name.len());
        let module = bytes[next..].starts_with(b"::") && {
            let after = skip_trivia(bytes, next + 2);
            bytes
                .get(after)
                .is_some_and(|b| is_ident_byte(*b) || *b == b'{' || *b == b'*')
        };
        let declared = matches!(
            last[0],
            Some(Token::Word { text, .. })
                if matches!(text, "fn" | "struct" | "enum" | "union" | "trait" | "mod" | "static")
        ) || bytes.get(next) == Some(&b':') && bytes.get(next + 1) != Some(&b':');
        let macro_name = bytes.get(next) == Some(&b'!') && bytes.get(next + 1) != Some(&b'=');
        WordPlace {
            after_dot,
            qualified: colons,
            parent,
            module,
            declared,
            macro_name,
        }
    }
}

/// A piece of code, as [`for_each_code_token`] finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'t> {
    /// An identifier. Raw identifiers (`r#match`) are reported by their name, where it starts
    /// (after the `r#`). `in_attribute`: inside an attribute's brackets
    /// (`#[cfg(all(test, unix))]`), where no call or name use can be: attribute arguments are
    /// token trees, never expressions.
    Word {
        start: usize,
        text: &'t str,
        in_attribute: bool,
    },
    /// A byte of punctuation (`{`, `;`, `<`...) outside literals and comments; an attribute's
    /// `#`, `!` and brackets, and what is inside them, count as in the attribute.
    Punct {
        at: usize,
        byte: u8,
        in_attribute: bool,
    },
}

/// Calls `token` for every identifier and piece of punctuation of `text`'s code, in order.
pub fn for_each_code_token<'t>(text: &'t str, mut token: impl FnMut(Token<'t>)) {
    for_each_code_token_while(text, |t| {
        token(t);
        true
    });
}

/// [`for_each_code_token`], until `token` returns `false`.
pub fn for_each_code_token_while<'t>(text: &'t str, mut token: impl FnMut(Token<'t>) -> bool) {
    let bytes = text.as_bytes();
    let len = bytes.len();
    // Brackets open in the attribute the pass is in (0: not in one).
    let mut attribute = 0usize;
    // A first line `#!...` (not an inner attribute `#![..]`) is a shebang.
    let mut i = 0;
    if text.starts_with("#!") && !text[2..].trim_start().starts_with('[') {
        i = memchr::memchr(b'\n', bytes).unwrap_or(len);
    }
    while i < len {
        let b = bytes[i];
        match b {
            // Runs of spaces (indentation, mostly) in a tight loop.
            b' ' | b'\n' | b'\t' | b'\r' => {
                i += 1;
                while i < len && matches!(bytes[i], b' ' | b'\n' | b'\t' | b'\r') {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(len, |n| i + n + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i + 2),
            b'#' if attribute == 0 => {
                // `#[..]` or `#![..]` (spaces allowed between): an attribute opens. Its `#`, `!`
                // and `[` are in it.
                let after = bytes[i + 1..].trim_ascii_start();
                let bang = after.first() == Some(&b'!');
                let rest = if bang { &after[1..] } else { after }.trim_ascii_start();
                if rest.first() == Some(&b'[') {
                    let open = len - rest.len();
                    if !punct(&mut token, i, b'#', 1)
                        || bang && !punct(&mut token, len - after.len(), b'!', 1)
                        || !punct(&mut token, open, b'[', 1)
                    {
                        return;
                    }
                    attribute = 1;
                    i = open + 1;
                } else {
                    if !punct(&mut token, i, b, attribute) {
                        return;
                    }
                    i += 1;
                }
            }
            b'[' | b']' if attribute > 0 => {
                if !punct(&mut token, i, b, attribute) {
                    return;
                }
                attribute = if b == b'[' {
                    attribute + 1
                } else {
                    attribute - 1
                };
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
                        if !emit_word(&mut token, start, &text[start..i], attribute) {
                            return;
                        }
                        i = skip_suffix(bytes, skip_raw_string(bytes, i));
                    }
                    // `r#name`: a raw identifier, reported by its name.
                    (b"r", Some(b'#')) if bytes.get(i + 1).is_some_and(|b| is_ident_byte(*b)) => {
                        let name_start = i + 1;
                        i = name_start;
                        while i < len && is_ident_byte(bytes[i]) {
                            i += 1;
                        }
                        if !emit_word(&mut token, name_start, &text[name_start..i], attribute) {
                            return;
                        }
                    }
                    // Byte and C strings, byte characters.
                    (b"b" | b"c", Some(b'"')) => {
                        if !emit_word(&mut token, start, &text[start..i], attribute) {
                            return;
                        }
                        i = skip_suffix(bytes, skip_string(bytes, i + 1));
                    }
                    (b"b", Some(b'\'')) => {
                        if !emit_word(&mut token, start, &text[start..i], attribute) {
                            return;
                        }
                        i = skip_suffix(bytes, skip_single_quoted(text, i + 1));
                    }
                    _ => {
                        if !emit_word(&mut token, start, &text[start..i], attribute) {
                            return;
                        }
                    }
                }
            }
            _ => {
                if !b.is_ascii_whitespace() && !punct(&mut token, i, b, attribute) {
                    return;
                }
                i += 1;
            }
        }
    }
}

fn emit_word<'t>(
    token: &mut impl FnMut(Token<'t>) -> bool,
    start: usize,
    text: &'t str,
    attribute: usize,
) -> bool {
    token(Token::Word {
        start,
        text,
        in_attribute: attribute > 0,
    })
}

fn punct<'t>(
    token: &mut impl FnMut(Token<'t>) -> bool,
    at: usize,
    byte: u8,
    attribute: usize,
) -> bool {
    token(Token::Punct {
        at,
        byte,
        in_attribute: attribute > 0,
    })
}

/// `text` with everything blanked (spaces; line breaks kept) but its module-level `use` and
/// `extern crate` items and the `mod name {` .. `}` around them: the same length, so that every
/// kept byte is at its offset. Parsing it gives a file's imports and re-exports for a fraction of
/// the cost of parsing the file (for files that matter only for what they re-export).
///
/// Module level means in the file or directly in an inline module (as the model reads `use`
/// items: not in a function, an `impl`, a macro's input). `use<..>` (precise capturing in a
/// type) is no item. Nothing inside a macro's input counts (`m! { .. }`, `macro_rules! m { .. }`):
/// its tokens are no items to the model either.
pub fn use_items_only(text: &str) -> String {
    #[derive(PartialEq)]
    enum Frame {
        Module,
        Macro,
        Other,
    }
    let mut keep: Vec<std::ops::Range<usize>> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    // The two tokens before this one (attributes aside).
    let (mut prev, mut prev2): (Option<Token<'_>>, Option<Token<'_>>) = (None, None);
    // In a `use` or `extern crate` item: where it starts, and the braces open in it.
    let mut item: Option<(usize, usize)> = None;
    let mut item_just_opened = false;
    for_each_code_token(text, |token| {
        let in_attribute = match token {
            Token::Word { in_attribute, .. } | Token::Punct { in_attribute, .. } => in_attribute,
        };
        if in_attribute {
            return;
        }
        let in_macro = stack.contains(&Frame::Macro);
        let module_level = !in_macro && stack.last().is_none_or(|f| *f == Frame::Module);
        // A bracket after `!` or `! name` opens a macro's input.
        let opens_macro = matches!(prev, Some(Token::Punct { byte: b'!', .. }))
            || matches!(
                (prev2, prev),
                (
                    Some(Token::Punct { byte: b'!', .. }),
                    Some(Token::Word { .. })
                )
            );
        if let Some((start, depth)) = item {
            if std::mem::take(&mut item_just_opened)
                && matches!(token, Token::Punct { byte: b'<', .. })
            {
                item = None;
            } else if let Token::Punct { at, byte, .. } = token {
                match byte {
                    b'{' => item = Some((start, depth + 1)),
                    b'}' if depth > 0 => item = Some((start, depth - 1)),
                    // A brace closes what the item never opened: it was no item.
                    b'}' => item = None,
                    b';' if depth == 0 => {
                        keep.push(start..at + 1);
                        item = None;
                    }
                    _ => {}
                }
            }
            if item.is_some() {
                (prev2, prev) = (prev, Some(token));
                return;
            }
        }
        match token {
            Token::Word {
                start, text: "use", ..
            } if module_level => {
                item = Some((start, 0));
                item_just_opened = true;
            }
            Token::Word { text: "crate", .. } if module_level => {
                if let Some(Token::Word {
                    start,
                    text: "extern",
                    ..
                }) = prev
                {
                    item = Some((start, 0));
                }
            }
            Token::Punct { at, byte: b'{', .. } => match (prev2, prev) {
                _ if opens_macro => stack.push(Frame::Macro),
                (
                    Some(Token::Word {
                        start, text: "mod", ..
                    }),
                    Some(Token::Word { .. }),
                ) if !in_macro => {
                    keep.push(start..at + 1);
                    stack.push(Frame::Module);
                }
                _ => stack.push(Frame::Other),
            },
            Token::Punct { at, byte: b'}', .. } => {
                let closed = stack.pop();
                if closed == Some(Frame::Module) {
                    keep.push(at..at + 1);
                }
            }
            Token::Punct {
                byte: b'(' | b'[', ..
            } => stack.push(if opens_macro {
                Frame::Macro
            } else {
                Frame::Other
            }),
            Token::Punct {
                byte: b')' | b']', ..
            } => {
                if matches!(stack.last(), Some(Frame::Other | Frame::Macro)) {
                    stack.pop();
                }
            }
            _ => {}
        }
        (prev2, prev) = (prev, Some(token));
    });
    let mut out: Vec<u8> = text
        .bytes()
        .map(|b| if b == b'\n' { b'\n' } else { b' ' })
        .collect();
    for range in keep {
        out[range.clone()].copy_from_slice(&text.as_bytes()[range]);
    }
    // Kept ranges start and end at ASCII bytes; the rest is spaces and line breaks.
    String::from_utf8(out).expect("kept ranges are whole characters")
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

    /// Calls `word(start, text, in_attribute)` for every identifier of `text`'s code.
    fn for_each_code_word<'t>(text: &'t str, mut word: impl FnMut(usize, &'t str, bool)) {
        for_each_code_token(text, |token| {
            if let Token::Word {
                start,
                text,
                in_attribute,
            } = token
            {
                word(start, text, in_attribute);
            }
        });
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
    fn words_are_placed_by_the_tokens_around_them() {
        fn placed(text: &str) -> Vec<(&str, bool)> {
            let mut out = Vec::new();
            for_each_placed_word(text, |_, word, place| out.push((word, place.plain())));
            out
        }
        let plain = |text: &str, word: &str| {
            placed(text)
                .iter()
                .find(|(w, _)| *w == word)
                .unwrap_or_else(|| panic!("`{word}` in {text:?}"))
                .1
        };
        assert!(!plain("x.name()", "name"));
        assert!(plain("0..name()", "name"), "a range");
        assert!(!plain("Type::name()", "name"));
        assert!(!plain("Self :: name()", "name"));
        assert!(plain("util::name()", "name"), "a module's function");
        assert!(!plain("name::f()", "name"), "a module");
        assert!(!plain("name::{a, b}", "name"));
        // Where a name is declared, it names nothing; where it is used, it does.
        assert!(!plain("pub fn name(self) {}", "name"));
        assert!(!plain("async fn name() {}", "name"));
        assert!(!plain("static name: u8 = 0;", "name"));
        assert!(!plain("struct S { pub name: u8 }", "name"));
        assert!(!plain("fn f(name: &mut F) {}", "name"));
        assert!(!plain("S { name : true }", "name"));
        assert!(plain("S { x: name }", "name"));
        assert!(plain("S { name }", "name"));
        assert!(plain("fn f(x: u8) { name(x) }", "name"));
        assert!(plain("f: name::<u8>", "name"));
        assert!(plain("let x = name", "name"));
        // A macro's name is no function's.
        assert!(!plain("name!(f, \"x\")", "name"));
        assert!(!plain("name ! [1]", "name"));
        assert!(plain("name != 1", "name"));
        // Comments between tokens are not tokens.
        assert!(plain("// see the docs.\nname()", "name"));
        assert!(!plain("x /* . */ . /* */ name()", "name"));
        assert!(!plain("Type:: /* x */ name()", "name"));
        assert!(!plain("name // here\n :: f()", "name"));
        // Words in attributes are left out.
        assert!(
            placed("#[cfg(all(test))] fn f() {}")
                .iter()
                .all(|(w, _)| !matches!(*w, "cfg" | "all" | "test"))
        );
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
        let files = crate::semantic::test_rust_files();
        for (_, text) in &files {
            assert_covers(text);
        }
        assert!(files.len() > 100, "only {} files", files.len());
    }

    /// The module-level aliases the summary finds in `text`.
    fn aliases(text: &str) -> Vec<crate::semantic::summary::ModuleAlias> {
        use crate::semantic::{FileModel, Imports, MacroBodies, summary::FileSummary};
        let edition = ra_ap_syntax::Edition::Edition2021;
        let tree = ra_ap_syntax::SourceFile::parse(text, edition).tree();
        let imports = Imports::new(&tree, FileModel::default_externs());
        let macros = MacroBodies::build(&tree, text, edition);
        let mut aliases =
            FileSummary::build(&FileModel::local(&tree, &imports, &macros, 0)).aliases;
        // One `use` tree's names come in no set order.
        aliases.sort();
        aliases
    }

    /// The `use` items alone give the summary the same aliases as the whole file.
    fn assert_same_aliases(text: &str) {
        let light = use_items_only(text);
        assert_eq!(light.len(), text.len());
        assert_eq!(aliases(&light), aliases(text), "{text}\n---\n{light}");
    }

    #[test]
    fn use_items_alone_give_the_same_aliases() {
        let text = "use a::b;\npub use c::{d, e as f, g::{self, h}};\npub(crate) use self::g::*;\nextern crate h as i;\nmod m { pub use super::b as j; pub mod n { use k::l; } }\nfn f<'a>() -> impl Sized + use<'a> { use inner::x; mod local { pub use y::z; } }\nimpl S { fn g() { use w::v; } }\nmacro_rules! mm { () => { use q::r; mod in_rules { use q2::r2; } } }\ncfg_if::cfg_if! { if #[cfg(x)] { pub use s::t; mod gated { pub use s2::t2; } } }\nfn g() { if !ready { return; } }\n#[cfg(feature = \"x\")]\npub use u::v as w2;\n/* use commented::out; */ const S: &str = \"use not::this;\";\nstruct T { x: [u8; 2] }\npub use after::all;\n";
        let light = use_items_only(text);
        for kept in [
            "use a::b;",
            "pub(crate)",
            "use u::v as w2;",
            "use after::all;",
            "mod m {",
        ] {
            assert!(
                light.contains(kept.trim_start_matches("pub(crate)")),
                "{kept}: {light}"
            );
        }
        for blanked in [
            "use inner::x",
            "use w::v",
            "use q::r",
            "use q2",
            "use s::t",
            "use s2",
            "in_rules",
            "gated",
            "commented",
            "not::this",
            "fn f",
        ] {
            assert!(!light.contains(blanked), "{blanked}: {light}");
        }
        assert_same_aliases(text);
        assert!(!aliases(text).is_empty());
    }

    /// Every Rust file of this repository: the same aliases from the `use` items alone.
    #[test]
    fn use_items_alone_give_the_same_aliases_on_this_repository() {
        for (_, text) in crate::semantic::test_rust_files() {
            assert_same_aliases(&text);
        }
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
