//! GitLab Code Quality (`--message-format gitlab`): a JSON array of issues with stable
//! fingerprints, shown in merge requests.

use serde_json::{Value, json};

use super::position::fingerprints;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceSet;

pub fn render(diagnostics: &[Diagnostic], sources: &SourceSet) -> String {
    let prints = fingerprints(diagnostics, sources);
    let issues: Vec<Value> = diagnostics
        .iter()
        .zip(prints)
        .filter_map(|(d, print)| {
            let file = sources.get(&d.path)?;
            let (begin, _) = file.line_col_chars(d.range.start());
            let (end, _) = file.line_col_chars(d.range.end());
            Some(json!({
                "description": format!("{}: {}", d.code(), d.message),
                "check_name": d.code(),
                "fingerprint": print?,
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                "location": { "path": file.rel_path, "lines": { "begin": begin, "end": end } },
            }))
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).expect("JSON values serialize");
    text.push('\n');
    text
}
