//! SARIF 2.1.0 (`--message-format sarif`), for GitHub code scanning and other SARIF viewers: the
//! rules with their docs, one result per finding with a stable fingerprint, and each fix as
//! `fixes[].artifactChanges`. Columns are Unicode code points (`columnKind`).

use serde_json::{Value, json};

use super::position::{Columns, Region, fingerprints};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules;
use crate::source::SourceSet;

/// Where a rule's documentation lives.
pub fn help_uri(rule: &str) -> String {
    format!(
        "https://docs.rs/cargo-loopfix/{}/cargo_loopfix/rules/{rule}/index.html",
        env!("CARGO_PKG_VERSION")
    )
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn region(r: Region) -> Value {
    json!({
        "startLine": r.start_line,
        "startColumn": r.start_column,
        "endLine": r.end_line,
        "endColumn": r.end_column,
    })
}

/// The first paragraph of a rule's "What it does".
pub fn what_it_does(docs: &str) -> String {
    docs.split("## What it does")
        .nth(1)
        .unwrap_or(docs)
        .trim()
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace('\n', " ")
}

/// The whole SARIF log for `diagnostics` (paths relative to `root`).
pub fn render(diagnostics: &[Diagnostic], sources: &SourceSet, root: &camino::Utf8Path) -> String {
    let all = rules::all();
    let descriptors: Vec<Value> = all
        .iter()
        .map(|r| {
            let meta = r.meta();
            json!({
                "id": format!("loopfix::{}", meta.id),
                "name": meta.id,
                "shortDescription": { "text": meta.summary },
                "fullDescription": { "text": what_it_does(meta.docs) },
                "help": { "text": meta.docs, "markdown": meta.docs },
                "helpUri": help_uri(meta.id),
                "defaultConfiguration": { "level": level(meta.severity) },
            })
        })
        .collect();
    let prints = fingerprints(diagnostics, sources);
    let results: Vec<Value> = diagnostics
        .iter()
        .zip(prints)
        .filter_map(|(d, print)| {
            let file = sources.get(&d.path)?;
            let location = |path: &str| json!({ "uri": path, "uriBaseId": "%SRCROOT%" });
            let mut result = json!({
                "ruleId": d.code(),
                "ruleIndex": all.iter().position(|r| r.meta().id == d.rule),
                "level": level(d.severity),
                "message": { "text": d.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": location(&file.rel_path),
                        "region": region(Region::of(file, d.range, Columns::Chars)),
                    }
                }],
                "partialFingerprints": { "loopfix/v1": print },
            });
            if let Some(fix) = &d.fix {
                let mut changes: Vec<Value> = Vec::new();
                for edit in &fix.edits {
                    let Some(f) = sources.get(&edit.path) else { continue };
                    let replacement = json!({
                        "deletedRegion": region(Region::of(f, edit.range, Columns::Chars)),
                        "insertedContent": { "text": edit.content },
                    });
                    match changes
                        .iter_mut()
                        .find(|c| c["artifactLocation"]["uri"] == f.rel_path.as_str())
                    {
                        Some(change) => change["replacements"]
                            .as_array_mut()
                            .expect("replacements is an array")
                            .push(replacement),
                        None => changes.push(json!({
                            "artifactLocation": location(&f.rel_path),
                            "replacements": [replacement],
                        })),
                    }
                }
                result["fixes"] = json!([{
                    "description": { "text": format!("{} ({})", fix.message, fix.applicability.as_str()) },
                    "artifactChanges": changes,
                }]);
            }
            Some(result)
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cargo-loopfix",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://crates.io/crates/cargo-loopfix",
                    "rules": descriptors,
                }
            },
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {
                "%SRCROOT%": { "uri": format!("file://{}/", root.as_str().trim_end_matches('/')) }
            },
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("JSON values serialize");
    text.push('\n');
    text
}
