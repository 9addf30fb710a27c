//! Unified diffs: one per fix under a human diagnostic, and a whole git-style patch for
//! `check --diff` / `apply --dry-run` that `git apply` accepts.

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use super::human::{Paint, Style};

/// A git-style patch of `old` -> `new` for `rel_path` (relative to the workspace root).
pub fn file_patch(rel_path: &str, old: &str, new: &str, style: &Style) -> String {
    if old == new {
        return String::new();
    }
    let header = style
        .bold
        .render_str(&format!("diff --git a/{rel_path} b/{rel_path}"));
    format!(
        "{header}\n{}",
        unified(rel_path, old, new, style, &style.bold, 3, "")
    )
}

/// The diff of one fix, indented under its diagnostic, with little context.
pub fn fix_diff(rel_path: &str, old: &str, new: &str, style: &Style, indent: &str) -> String {
    unified(rel_path, old, new, style, &style.dim, 1, indent)
}

fn unified(
    rel_path: &str,
    old: &str,
    new: &str,
    style: &Style,
    header: &Paint,
    context: usize,
    indent: &str,
) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    for line in [format!("--- a/{rel_path}"), format!("+++ b/{rel_path}")] {
        let _ = writeln!(out, "{indent}{}", header.render_str(&line));
    }
    for hunk in diff.unified_diff().context_radius(context).iter_hunks() {
        write_hunk(&mut out, &hunk, style, indent);
    }
    out
}

fn write_hunk(
    out: &mut String,
    hunk: &similar::udiff::UnifiedDiffHunk<'_, '_, '_, str>,
    style: &Style,
    indent: &str,
) {
    let _ = writeln!(
        out,
        "{indent}{}",
        style.hunk.render_str(&hunk.header().to_string())
    );
    for change in hunk.iter_changes() {
        let (sign, s) = match change.tag() {
            ChangeTag::Delete => ('-', &style.removed),
            ChangeTag::Insert => ('+', &style.added),
            ChangeTag::Equal => (' ', &style.plain),
        };
        let value = change.value();
        let line = value.strip_suffix('\n').unwrap_or(value);
        let _ = writeln!(out, "{indent}{}", s.render_str(&format!("{sign}{line}")));
        if change.missing_newline() {
            let _ = writeln!(out, "{indent}\\ No newline at end of file");
        }
    }
}
