//! reviewdog's diagnostic format (`rdjson`: one `DiagnosticResult`; `rdjsonl`: one `Diagnostic`
//! per line). Each fix's edits become `suggestions`, which reviewdog posts as GitHub "suggested
//! changes". Columns are 1-based UTF-8 byte counts, as reviewdog expects.

use serde_json::{Value, json};

use super::position::{Columns, Region};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceSet;

fn range(r: Region) -> Value {
    json!({
        "start": { "line": r.start_line, "column": r.start_column },
        "end": { "line": r.end_line, "column": r.end_column },
    })
}

fn source() -> Value {
    json!({ "name": "cargo-loopfix", "url": "https://crates.io/crates/cargo-loopfix" })
}

/// One reviewdog `Diagnostic`.
pub fn diagnostic(d: &Diagnostic, sources: &SourceSet) -> Option<Value> {
    let file = sources.get(&d.path)?;
    let mut out = json!({
        "message": d.message,
        "location": {
            "path": file.rel_path,
            "range": range(Region::of(file, d.range, Columns::Bytes)),
        },
        "severity": match d.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        },
        "source": source(),
        "code": { "value": d.code(), "url": super::sarif::help_uri(d.rule) },
    });
    // Suggestions apply to the finding's own file (a review comment belongs to one file).
    if let Some(fix) = &d.fix {
        let suggestions: Vec<Value> = fix
            .edits
            .iter()
            .filter(|e| e.path == d.path)
            .map(|e| {
                json!({
                    "range": range(Region::of(file, e.range, Columns::Bytes)),
                    "text": e.content,
                })
            })
            .collect();
        if !suggestions.is_empty() {
            out["suggestions"] = json!(suggestions);
        }
    }
    Some(out)
}

/// `--message-format rdjson`: the whole `DiagnosticResult`.
pub fn render(diagnostics: &[Diagnostic], sources: &SourceSet) -> String {
    let all: Vec<Value> = diagnostics
        .iter()
        .filter_map(|d| diagnostic(d, sources))
        .collect();
    let result = json!({ "source": source(), "diagnostics": all });
    let mut text = serde_json::to_string_pretty(&result).expect("JSON values serialize");
    text.push('\n');
    text
}

/// `--message-format rdjsonl`: one `Diagnostic` per line.
pub fn render_lines(diagnostics: &[Diagnostic], sources: &SourceSet) -> String {
    diagnostics
        .iter()
        .filter_map(|d| diagnostic(d, sources))
        .map(|v| format!("{v}\n"))
        .collect()
}
