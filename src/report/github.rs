//! GitHub Actions workflow commands (`--message-format github`): one `::error`/`::warning` line
//! per finding, which GitHub shows as an annotation on the file. A step shows at most 10
//! annotations of each level, so the full list also goes to `$GITHUB_STEP_SUMMARY` as a table.

use super::position::{Columns, Region};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceSet;

/// Escaping of a command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(diagnostics: &[Diagnostic], sources: &SourceSet) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let Some(file) = sources.get(&d.path) else {
            continue;
        };
        let r = Region::of(file, d.range, Columns::Chars);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = d.message.clone();
        if let Some(fix) = &d.fix {
            message.push_str(&format!(
                "\nfix: {} ({})",
                fix.message,
                fix.applicability.as_str()
            ));
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            property(&file.rel_path),
            r.start_line,
            r.start_column,
            r.end_line,
            r.end_column,
            property(&d.code()),
            data(&message),
        ));
    }
    out
}

/// The Markdown table for `$GITHUB_STEP_SUMMARY`: every finding, not only the first ten.
pub fn step_summary(diagnostics: &[Diagnostic], sources: &SourceSet) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "### cargo loopfix: {} finding{}\n\n",
        diagnostics.len(),
        super::plural(diagnostics.len())
    );
    if diagnostics.is_empty() {
        return out;
    }
    out.push_str("| location | rule | message | fix |\n| --- | --- | --- | --- |\n");
    for d in diagnostics {
        let Some(file) = sources.get(&d.path) else {
            continue;
        };
        let (line, col) = file.line_col_chars(d.range.start());
        let fix = d
            .fix
            .as_ref()
            .map_or("none".to_owned(), |f| f.applicability.as_str().to_owned());
        out.push_str(&format!(
            "| `{}:{line}:{col}` | `{}` | {} | {fix} |\n",
            cell(&file.rel_path),
            d.code(),
            cell(&d.message),
        ));
    }
    out
}
