//! Rendering what the analysis found. Reporters never compute findings.

pub mod diff;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod position;
pub mod rdjson;
pub mod sarif;
pub mod short;

use crate::diagnostic::Diagnostic;
use crate::fix;

/// Counts for the closing summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    /// (rule, count), sorted by rule.
    pub per_rule: Vec<(&'static str, usize)>,
    pub safe_fixes: usize,
    pub unsafe_fixes: usize,
}

impl Summary {
    pub fn of(diagnostics: &[Diagnostic]) -> Summary {
        let mut per_rule: std::collections::BTreeMap<&'static str, usize> = Default::default();
        let mut summary = Summary {
            total: diagnostics.len(),
            ..Summary::default()
        };
        for d in diagnostics {
            *per_rule.entry(d.rule).or_default() += 1;
            match &d.fix {
                Some(f) if fix::allowed(f, false) => summary.safe_fixes += 1,
                Some(f) if fix::allowed(f, true) => summary.unsafe_fixes += 1,
                _ => {}
            }
        }
        summary.per_rule = per_rule.into_iter().collect();
        summary
    }

    /// `found 3 problems (nested_block_on: 3); 2 fixable with `cargo loopfix apply`...`
    pub fn line(&self, files: usize) -> String {
        if self.total == 0 {
            return format!("no problems found in {files} file{}", plural(files));
        }
        let rules: Vec<String> = self
            .per_rule
            .iter()
            .map(|(r, n)| format!("{r}: {n}"))
            .collect();
        let mut line = format!(
            "found {} problem{} ({})",
            self.total,
            plural(self.total),
            rules.join(", ")
        );
        if self.safe_fixes > 0 {
            line.push_str(&format!(
                "; {} fixable with `cargo loopfix apply`",
                self.safe_fixes
            ));
        }
        if self.unsafe_fixes > 0 {
            line.push_str(&format!(
                "; {} more with `cargo loopfix apply --unsafe-fixes`",
                self.unsafe_fixes
            ));
        }
        line
    }
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
