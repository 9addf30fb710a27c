//! Suppressions written in the code. Rust has no stable way to register a tool's lints
//! (`#[allow(loopfix::x)]` is E0710), so:
//!
//! - `// loopfix: allow(rule, .., reason = "..")` at the end of a line covers that line; alone on
//!   a line it covers the next line, or, right before an item, the whole item; `//! loopfix:
//!   allow(..)` at the top covers the file;
//! - `// loopfix: expect(rule)`: the same, and says so when nothing was suppressed;
//! - `#[cfg_attr(any(), allow(loopfix::rule))]` or `#[cfg_attr(loopfix, allow(loopfix::rule))]` on
//!   an item (or `#![..]` for the file), which compile cleanly.
//!
//! A suppression that suppresses nothing is reported as `unused_suppression`, with a fix that
//! removes it.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize, ast};

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::names::nearest;
use crate::rules::common::statement_deletion as line_deletion;
use crate::source::SourceFile;

/// One suppression in a file.
#[derive(Clone, Debug)]
pub struct Suppression {
    /// Rule ids, without `loopfix::`.
    pub rules: Vec<String>,
    /// The code it covers.
    pub covers: TextRange,
    /// The directive itself (comment or attribute), to point at and to delete.
    pub directive: TextRange,
    /// `expect(..)`: reported when it suppresses nothing, even if its rules did not run.
    pub expect: bool,
}

const ITEM_KINDS: &[SyntaxKind] = &[
    SyntaxKind::FN,
    SyntaxKind::IMPL,
    SyntaxKind::MODULE,
    SyntaxKind::STATIC,
    SyntaxKind::CONST,
    SyntaxKind::STRUCT,
    SyntaxKind::ENUM,
    SyntaxKind::TRAIT,
    SyntaxKind::MACRO_CALL,
    SyntaxKind::USE,
];

/// `loopfix: allow(a, b, reason = "..")` in a comment's text: (expect, rules).
fn parse_directive(comment: &str) -> Option<(bool, Vec<String>)> {
    let body = comment
        .trim_start_matches('/')
        .trim_start_matches('!')
        .trim_start_matches('*')
        .trim_end_matches("*/")
        .trim();
    let rest = body.strip_prefix("loopfix:")?.trim_start();
    let (expect, rest) = if let Some(r) = rest.strip_prefix("allow") {
        (false, r)
    } else {
        (true, rest.strip_prefix("expect")?)
    };
    let inner = rest.trim_start().strip_prefix('(')?;
    let inner = &inner[..inner.rfind(')')?];
    let rules = inner
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty() && !item.starts_with("reason"))
        .map(|item| item.trim_start_matches("loopfix::").to_owned())
        .collect();
    Some((expect, rules))
}

/// The range of the line holding `offset`, line break included.
fn line_at(text: &str, offset: TextSize) -> TextRange {
    let at = usize::from(offset);
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    TextRange::new(TextSize::from(start as u32), TextSize::from(end as u32))
}

/// What a comment directive covers.
fn coverage(file: &SourceFile, root: &SyntaxNode, token: &SyntaxToken) -> TextRange {
    let text = file.text();
    let range = token.text_range();
    if token.text().starts_with("//!") || token.text().starts_with("/*!") {
        return root.text_range();
    }
    let line = line_at(text, range.start());
    let before = &text[usize::from(line.start())..usize::from(range.start())];
    if !before.trim().is_empty() {
        // At the end of a line of code: that line.
        return line;
    }
    // Right before an item (whose range starts at its leading comments): the item.
    if let Some(item) = token
        .parent()
        .filter(|p| ITEM_KINDS.contains(&p.kind()))
        .filter(|p| {
            p.first_token()
                .into_iter()
                .flat_map(|t| std::iter::successors(Some(t), |t| t.next_token()))
                .find(|t| !t.kind().is_trivia())
                .is_some_and(|t| t.text_range().start() > range.start())
        })
    {
        return item.text_range();
    }
    // Alone on its line: the next line.
    if usize::from(line.end()) >= text.len() {
        return line;
    }
    line_at(text, line.end())
}

/// Every suppression written in `file`, whose tree is `root`.
pub fn parse(file: &SourceFile, root: &ra_ap_syntax::SyntaxNode) -> Vec<Suppression> {
    let mut out = Vec::new();
    for element in root.descendants_with_tokens() {
        let Some(token) = element.into_token() else {
            continue;
        };
        if token.kind() != SyntaxKind::COMMENT || !token.text().contains("loopfix:") {
            continue;
        }
        let Some((expect, rules)) = parse_directive(token.text()) else {
            continue;
        };
        out.push(Suppression {
            rules,
            covers: coverage(file, root, &token),
            directive: token.text_range(),
            expect,
        });
    }
    // `#[cfg_attr(any(), allow(loopfix::x))]` / `#[cfg_attr(loopfix, allow(loopfix::x))]`.
    for attr in root.descendants().filter_map(ast::Attr::cast) {
        let text = attr.syntax().text().to_string();
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if !(compact.starts_with("#[cfg_attr(any(),allow(")
            || compact.starts_with("#[cfg_attr(loopfix,allow(")
            || compact.starts_with("#![cfg_attr(any(),allow(")
            || compact.starts_with("#![cfg_attr(loopfix,allow("))
        {
            continue;
        }
        let rules: Vec<String> = compact
            .split("loopfix::")
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            })
            .collect();
        if rules.is_empty() {
            continue;
        }
        let covers = match attr.syntax().parent() {
            Some(p) if attr.excl_token().is_some() => p.text_range(),
            Some(p) if p.kind() == SyntaxKind::SOURCE_FILE => root.text_range(),
            Some(p) => p.text_range(),
            None => continue,
        };
        out.push(Suppression {
            rules,
            covers,
            directive: attr.syntax().text_range(),
            expect: false,
        });
    }
    out.sort_by_key(|s| s.directive.start());
    out
}

/// Drop the findings of `diagnostics` that a suppression of `file` covers, and report the
/// suppressions that covered nothing: for rules in `ran` (an `allow` of a rule that did not run
/// says nothing), or any `expect`. `known` are all rule ids, for unknown names.
pub fn apply(
    file: &SourceFile,
    root: &ra_ap_syntax::SyntaxNode,
    diagnostics: Vec<Diagnostic>,
    ran: &[&str],
    known: &[&str],
    report_unused: bool,
) -> Vec<Diagnostic> {
    // Most files hold no directive: no second walk over their tokens.
    if !file.text().contains("loopfix") {
        return diagnostics;
    }
    let suppressions = parse(file, root);
    if suppressions.is_empty() {
        return diagnostics;
    }
    let mut used = vec![Vec::<String>::new(); suppressions.len()];
    let mut out: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| {
            let hit = suppressions.iter().enumerate().find(|(_, s)| {
                s.covers.contains(d.range.start())
                    && s.rules.iter().any(|r| r == d.rule || r == "all")
            });
            match hit {
                Some((i, _)) => {
                    used[i].push(d.rule.to_owned());
                    false
                }
                None => true,
            }
        })
        .collect();
    if !report_unused {
        return out;
    }
    for (s, used) in suppressions.iter().zip(&used) {
        let mut unused = Vec::new();
        let mut unknown = Vec::new();
        for rule in &s.rules {
            if rule != "all" && !known.contains(&rule.as_str()) {
                unknown.push(rule.clone());
            } else if !used.iter().any(|u| u == rule || rule == "all")
                && (s.expect || rule == "all" || ran.contains(&rule.as_str()))
            {
                unused.push(rule.clone());
            }
        }
        if unused.is_empty() && unknown.is_empty() {
            continue;
        }
        let mut notes = Vec::new();
        for name in &unknown {
            notes.push(match nearest(name, known) {
                Some(near) => format!("`{name}` is not a rule; did you mean `{near}`?"),
                None => format!("`{name}` is not a rule (`cargo loopfix rules` lists them)"),
            });
        }
        let every = unused.len() + unknown.len() == s.rules.len();
        let fix = every.then(|| {
            Fix::new(
                "remove the suppression",
                Applicability::Safe,
                vec![Edit::replace(
                    file.path.clone(),
                    deletion(file.text(), s.directive),
                    "",
                )],
            )
        });
        let names: Vec<String> = unused
            .iter()
            .chain(&unknown)
            .map(|r| format!("`{r}`"))
            .collect();
        out.push(Diagnostic {
            rule: crate::rules::unused_suppression::ID,
            severity: Severity::Warning,
            message: if s.expect {
                format!(
                    "expected a finding of {} here, found none",
                    names.join(", ")
                )
            } else {
                format!("suppression of {} suppresses nothing", names.join(", "))
            },
            path: file.path.clone(),
            range: s.directive,
            primary_label: Some("nothing here is reported by these rules".to_owned()),
            labels: Vec::new(),
            notes,
            helps: vec!["remove it, or fix the rule name".to_owned()],
            fix,
        });
    }
    out
}

/// What to delete to remove the directive at `range`: its whole line when alone on it, else the
/// directive and the blanks before it.
fn deletion(text: &str, range: TextRange) -> TextRange {
    let whole = line_deletion(text, range);
    if whole != range {
        return whole;
    }
    let before = &text[..usize::from(range.start())];
    let blanks = before.len() - before.trim_end_matches([' ', '\t']).len();
    TextRange::new(range.start() - TextSize::from(blanks as u32), range.end())
}

/// Comment lines that suppress every finding in `diagnostics` (for `apply --add-suppressions`):
/// `// loopfix: allow(rule, ..)` above each flagged line, indented like it.
pub fn directives_for(file: &SourceFile, diagnostics: &[&Diagnostic]) -> Vec<Edit> {
    let root = file.tree().syntax().clone();
    let mut by_line: std::collections::BTreeMap<TextSize, Vec<&str>> = Default::default();
    for d in diagnostics {
        let line = line_at(file.text(), d.range.start());
        // A line that starts inside a multi-line string cannot take a comment above it.
        let in_string = root
            .token_at_offset(line.start())
            .right_biased()
            .is_some_and(|t| {
                t.text_range().start() < line.start()
                    && matches!(
                        t.kind(),
                        SyntaxKind::STRING | SyntaxKind::BYTE_STRING | SyntaxKind::C_STRING
                    )
            });
        if in_string {
            continue;
        }
        let rules = by_line.entry(line.start()).or_default();
        if !rules.contains(&d.rule) {
            rules.push(d.rule);
        }
    }
    by_line
        .into_iter()
        .map(|(start, rules)| {
            let line = &file.text()[usize::from(start)..];
            let indent: String = line
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            Edit::insert(
                file.path.clone(),
                start,
                format!("{indent}// loopfix: allow({})\n", rules.join(", ")),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new(
            "/virtual/lib.rs".into(),
            "lib.rs".into(),
            text.to_owned(),
            ra_ap_syntax::Edition::LATEST,
        )
    }

    fn covered(text: &str) -> Vec<(Vec<String>, String, bool)> {
        let f = file(text);
        parse(&f, ra_ap_syntax::AstNode::syntax(&f.tree()))
            .into_iter()
            .map(|s| {
                (
                    s.rules,
                    f.text()[std::ops::Range::<usize>::from(s.covers)].to_owned(),
                    s.expect,
                )
            })
            .collect()
    }

    #[test]
    fn directives_cover_their_line_the_next_line_an_item_or_the_file() {
        let text = "fn a() {\n    x(); // loopfix: allow(nested_block_on)\n    // loopfix: expect(loopfix::client_per_request, reason = \"benchmark\")\n    y();\n}\n// loopfix: allow(runtime_per_call, blocking_call_in_async)\nfn b() {\n    z();\n}\n";
        assert_eq!(
            covered(text),
            [
                (vec!["nested_block_on".to_owned()], "    x(); // loopfix: allow(nested_block_on)\n".to_owned(), false),
                (vec!["client_per_request".to_owned()], "    y();\n".to_owned(), true),
                (
                    vec!["runtime_per_call".to_owned(), "blocking_call_in_async".to_owned()],
                    "// loopfix: allow(runtime_per_call, blocking_call_in_async)\nfn b() {\n    z();\n}".to_owned(),
                    false
                ),
            ]
        );
        let file_level = "//! loopfix: allow(all)\nfn a() {}\n";
        assert_eq!(covered(file_level)[0].1, file_level);
        let attr = "#[cfg_attr(any(), allow(loopfix::nested_block_on))]\nfn c() { d(); }\n";
        assert_eq!(covered(attr)[0].1, attr.trim_end());
        assert!(covered("// loopfix allow(x)\n// loopfix: deny(x)\nfn e() {}\n").is_empty());
    }
}
