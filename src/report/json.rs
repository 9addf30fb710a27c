//! Cargo-compatible JSON lines (`--message-format json`): one `compiler-message` per finding with a
//! rustc diagnostic inside, then `build-finished`. Editors (rust-analyzer's
//! `check.overrideCommand`) and converters read it unchanged.

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, Edit};
use crate::source::{SourceFile, SourceSet};
use crate::workspace::Workspace;

use super::human::{Style, render as render_human};

/// One `{"reason":"compiler-message",...}` line.
pub fn compiler_message(
    diag: &Diagnostic,
    sources: &SourceSet,
    workspace: Option<&Workspace>,
) -> Option<String> {
    let file = sources.get(&diag.path)?;
    let (package_id, manifest_path, target) = match (workspace, file.owners.first()) {
        (Some(ws), Some(owner)) => {
            let package = &ws.packages[owner.package];
            let target =
                serde_json::to_value(&package.targets[owner.target].meta).unwrap_or(Value::Null);
            (json!(package.id), json!(package.manifest_path), target)
        }
        _ => (Value::Null, Value::Null, Value::Null),
    };
    let mut spans = vec![span(
        file,
        diag.range,
        true,
        diag.primary_label.as_deref(),
        None,
    )];
    spans.extend(
        diag.labels
            .iter()
            .map(|l| span(file, l.range, false, Some(&l.message), None)),
    );
    let mut children: Vec<Value> = Vec::new();
    children.extend(diag.notes.iter().map(|n| child("note", n, Vec::new())));
    children.extend(diag.helps.iter().map(|h| child("help", h, Vec::new())));
    if let Some(fix) = &diag.fix {
        let fix_spans = fix
            .edits
            .iter()
            .filter_map(|e: &Edit| {
                let f = sources.get(&e.path)?;
                Some(span(
                    f,
                    e.range,
                    true,
                    None,
                    Some((e.content.as_str(), fix.applicability.rustc_name())),
                ))
            })
            .collect();
        children.push(child(
            "help",
            &format!("{} ({})", fix.message, fix.applicability.as_str()),
            fix_spans,
        ));
    }
    let rendered = render_human(diag, sources, &Style::new(false));
    let message = json!({
        "$message_type": "diagnostic",
        "message": diag.message,
        "code": { "code": diag.code(), "explanation": null },
        "level": diag.severity.as_str(),
        "spans": spans,
        "children": children,
        "rendered": rendered,
    });
    let line = json!({
        "reason": "compiler-message",
        "package_id": package_id,
        "manifest_path": manifest_path,
        "target": target,
        "message": message,
    });
    Some(line.to_string())
}

pub fn build_finished(success: bool) -> String {
    json!({ "reason": "build-finished", "success": success }).to_string()
}

fn child(level: &str, message: &str, spans: Vec<Value>) -> Value {
    json!({
        "message": message,
        "code": null,
        "level": level,
        "spans": spans,
        "children": [],
        "rendered": null,
    })
}

fn span(
    file: &SourceFile,
    range: ra_ap_syntax::TextRange,
    is_primary: bool,
    label: Option<&str>,
    suggestion: Option<(&str, &str)>,
) -> Value {
    let (line_start, column_start) = file.line_col_chars(range.start());
    let (line_end, column_end) = file.line_col_chars(range.end());
    // The source lines the span covers, with 1-based character columns of the highlight.
    let text: Vec<Value> = (line_start..=line_end)
        .filter_map(|line| {
            let content = file.text().lines().nth(line as usize - 1)?;
            let content = content.strip_suffix('\r').unwrap_or(content);
            let start = if line == line_start { column_start } else { 1 };
            let end = if line == line_end {
                column_end
            } else {
                content.chars().count() as u32 + 1
            };
            Some(json!({ "text": content, "highlight_start": start, "highlight_end": end }))
        })
        .collect();
    json!({
        "file_name": file.rel_path,
        "byte_start": u32::from(range.start()),
        "byte_end": u32::from(range.end()),
        "line_start": line_start,
        "line_end": line_end,
        "column_start": column_start,
        "column_end": column_end,
        "is_primary": is_primary,
        "text": text,
        "label": label,
        "suggested_replacement": suggestion.map(|s| s.0),
        "suggestion_applicability": suggestion.map(|s| s.1),
        "expansion": null,
    })
}
