//! `path:line:col: loopfix::rule: message`, one line per finding.

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

pub fn render(diag: &Diagnostic, file: &SourceFile) -> String {
    let (line, col) = file.line_col_chars(diag.range.start());
    format!(
        "{}:{line}:{col}: {}: {}\n",
        file.rel_path,
        diag.code(),
        diag.message
    )
}
