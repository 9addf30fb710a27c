//! One internal position (a byte range in a file), converted per output format: rustc and
//! SARIF count columns in characters (Unicode code points), reviewdog in UTF-8 bytes; all
//! 1-based. Also the stable fingerprint CI formats key findings by.

use ra_ap_syntax::TextRange;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// How a format counts columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Columns {
    /// Unicode code points (rustc, SARIF's `unicodeCodePoints`, GitHub).
    Chars,
    /// UTF-8 bytes (reviewdog).
    Bytes,
}

/// A 1-based range: start and end line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Region {
    pub fn of(file: &SourceFile, range: TextRange, columns: Columns) -> Region {
        let at = |offset| match columns {
            Columns::Chars => file.line_col_chars(offset),
            Columns::Bytes => file.line_col_bytes(offset),
        };
        let (start_line, start_column) = at(range.start());
        let (end_line, end_column) = at(range.end());
        Region {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }
}

/// A fingerprint of a finding that survives edits elsewhere in the file: the rule, the file,
/// the text of the flagged line (trimmed) and of the flagged range, and which occurrence of that
/// line text it is among the findings before it. FNV-1a, 64 bits, in hex.
pub fn fingerprint(diag: &Diagnostic, file: &SourceFile, occurrence: usize) -> String {
    let (line, _) = file.line_col_chars(diag.range.start());
    let flagged = &file.text()[std::ops::Range::<usize>::from(diag.range)];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        diag.rule,
        file.rel_path.as_str(),
        file.line_text(line).trim(),
        flagged,
        &occurrence.to_string(),
    ] {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Fingerprints for `diagnostics` (sorted as reported), each with its occurrence number among
/// the findings of the same rule on the same line text of the same file.
pub fn fingerprints(
    diagnostics: &[Diagnostic],
    sources: &crate::source::SourceSet,
) -> Vec<Option<String>> {
    let mut seen: std::collections::HashMap<(String, &str, String), usize> = Default::default();
    diagnostics
        .iter()
        .map(|d| {
            let file = sources.get(&d.path)?;
            let (line, _) = file.line_col_chars(d.range.start());
            let key = (
                file.rel_path.clone(),
                d.rule,
                file.line_text(line).trim().to_owned(),
            );
            let n = seen.entry(key).or_default();
            *n += 1;
            Some(fingerprint(d, file, *n))
        })
        .collect()
}
