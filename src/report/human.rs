//! rustc-style output: the snippet with labels, notes and helps, then the fix as a diff.

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use anstyle::{AnsiColor, Effects};

use crate::diagnostic::{Diagnostic, Severity};
use crate::fix;
use crate::source::SourceSet;

/// A style that renders nothing when colour is off.
#[derive(Clone, Copy, Debug)]
pub struct Paint(anstyle::Style);

impl Paint {
    pub fn render_str(&self, text: &str) -> String {
        if self.0 == anstyle::Style::new() {
            text.to_owned()
        } else {
            format!("{}{text}{}", self.0.render(), self.0.render_reset())
        }
    }
}

/// The palette of the human and diff output.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub bold: Paint,
    pub dim: Paint,
    pub hunk: Paint,
    pub removed: Paint,
    pub added: Paint,
    pub plain: Paint,
    pub warning: Paint,
}

impl Style {
    pub fn new(color: bool) -> Style {
        let s = |style: anstyle::Style| Paint(if color { style } else { anstyle::Style::new() });
        let fg = |c: AnsiColor| anstyle::Style::new().fg_color(Some(c.into()));
        Style {
            color,
            bold: s(anstyle::Style::new().effects(Effects::BOLD)),
            dim: s(anstyle::Style::new().effects(Effects::DIMMED)),
            hunk: s(fg(AnsiColor::Cyan)),
            removed: s(fg(AnsiColor::Red)),
            added: s(fg(AnsiColor::Green)),
            plain: s(anstyle::Style::new()),
            warning: s(fg(AnsiColor::Yellow).effects(Effects::BOLD)),
        }
    }
}

/// One diagnostic as rustc would show it, followed by its fix's diff (every file it edits).
pub fn render(diag: &Diagnostic, sources: &SourceSet, style: &Style) -> String {
    let Some(file) = sources.get(&diag.path) else {
        return format!("{}: {}\n", diag.code(), diag.message);
    };
    let code = diag.code();
    let level = match diag.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut primary = AnnotationKind::Primary.span(std::ops::Range::<usize>::from(diag.range));
    if let Some(label) = &diag.primary_label {
        primary = primary.label(label.as_str());
    }
    let mut snippet = Snippet::source(file.text())
        .path(file.rel_path.as_str())
        .annotation(primary);
    for label in &diag.labels {
        snippet = snippet.annotation(
            AnnotationKind::Context
                .span(std::ops::Range::<usize>::from(label.range))
                .label(label.message.as_str()),
        );
    }
    let mut group = level
        .primary_title(diag.message.as_str())
        .id(code.as_str())
        .element(snippet);
    for note in &diag.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    for help in &diag.helps {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let renderer = if style.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = renderer.render(&[group]).to_string();
    out.push('\n');
    if let Some(fix) = &diag.fix {
        let verb = if fix::allowed(fix, false) {
            "applied by `cargo loopfix apply`"
        } else if fix::allowed(fix, true) {
            "applied by `cargo loopfix apply --unsafe-fixes`"
        } else {
            "not applied automatically"
        };
        // Align `= fix:` with rustc's `= note:`, whose column follows the widest line number.
        let widest = std::iter::once(diag.range)
            .chain(diag.labels.iter().map(|l| l.range))
            .map(|r| file.line_col_chars(r.end()).0)
            .max()
            .unwrap_or(1);
        let gutter = " ".repeat(widest.to_string().len() + 1);
        let indent = format!("{gutter}  ");
        out.push_str(&format!(
            "{gutter}{} {} ({}; {verb})\n",
            style.bold.render_str("= fix:"),
            fix.message,
            fix.applicability.as_str(),
        ));
        let mut paths: Vec<&camino::Utf8PathBuf> = fix.edits.iter().map(|e| &e.path).collect();
        paths.dedup();
        // The diagnostic's own file first, then the others in path order.
        paths.sort_by_key(|p| (**p != file.path, (*p).clone()));
        paths.dedup();
        for path in paths {
            let Some(edited) = sources.get(path) else {
                continue;
            };
            let new = fix::apply_one(edited, fix);
            out.push_str(&super::diff::fix_diff(
                &edited.rel_path,
                edited.text(),
                &new,
                style,
                &indent,
            ));
        }
        // The workspace root, from this file's absolute and relative paths.
        let root = file
            .path
            .as_str()
            .strip_suffix(file.rel_path.as_str())
            .unwrap_or("");
        for feature in &fix.features {
            let manifest = feature
                .manifest
                .as_str()
                .strip_prefix(root)
                .unwrap_or(feature.manifest.as_str());
            out.push_str(&format!(
                "{indent}{}\n",
                style.added.render_str(&format!(
                    "+ {manifest}: enable feature `{}` of `{}`",
                    feature.feature, feature.dependency
                ))
            ));
        }
    }
    out
}

/// `warning: message`, for load problems and rejected fixes.
pub fn warning(message: &str, style: &Style) -> String {
    format!("{}: {message}\n", style.warning.render_str("warning"))
}
