//! JUnit XML (`--message-format junit`): one failing test case per finding, for CI systems that
//! show test reports (GitLab, Jenkins, Azure). No finding: an empty suite.

use crate::diagnostic::Diagnostic;
use crate::source::SourceSet;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

pub fn render(diagnostics: &[Diagnostic], sources: &SourceSet) -> String {
    let n = diagnostics.len();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cargo-loopfix\" tests=\"{n}\" failures=\"{n}\">\n  <testsuite name=\"cargo-loopfix\" tests=\"{n}\" failures=\"{n}\" errors=\"0\">\n"
    );
    for d in diagnostics {
        let Some(file) = sources.get(&d.path) else {
            continue;
        };
        let (line, col) = file.line_col_chars(d.range.start());
        let mut body = format!("{}:{line}:{col}: {}", file.rel_path, d.message);
        for note in &d.notes {
            body.push_str(&format!("\nnote: {note}"));
        }
        if let Some(fix) = &d.fix {
            body.push_str(&format!(
                "\nfix: {} ({})",
                fix.message,
                fix.applicability.as_str()
            ));
        }
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{} at {line}:{col}\" file=\"{}\" line=\"{line}\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
            escape(&file.rel_path),
            escape(&d.code()),
            escape(&file.rel_path),
            escape(&d.code()),
            escape(&d.message),
            escape(&body),
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
