//! Applying fixes: pick non-overlapping fixes, splice their edits, check that every rewritten file
//! still parses (ra_ap_syntax and syn), re-analyse, and repeat until nothing changes.

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8PathBuf;
use ra_ap_syntax::TextRange;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::source::{SourceFile, SourceSet};

/// At most this many rounds of fix, re-parse, re-analyse.
pub const MAX_PASSES: usize = 10;

/// A fix that was computed but not applied because it would have broken the file.
#[derive(Clone, Debug)]
pub struct RejectedFix {
    pub rule: &'static str,
    pub path: Utf8PathBuf,
    pub reason: String,
}

pub struct FixOutcome {
    /// The sources with every applied fix.
    pub sources: SourceSet,
    /// The findings whose fixes were applied, in the order they were applied.
    pub applied: Vec<Diagnostic>,
    pub passes: usize,
    /// False when the pass limit was reached while fixes still applied.
    pub converged: bool,
    pub rejected: Vec<RejectedFix>,
    /// Manifests the applied fixes change: (path, old text, new text).
    pub manifests: Vec<(Utf8PathBuf, String, String)>,
}

/// One file the fixes rewrite.
#[derive(Clone, Debug)]
pub struct Change {
    pub path: Utf8PathBuf,
    /// Relative to the workspace root, for patches.
    pub rel_path: String,
    pub old: String,
    pub new: String,
}

impl FixOutcome {
    /// Every file to write: rewritten sources, then manifests.
    pub fn changes(
        &self,
        original: &SourceSet,
        relative: impl Fn(&camino::Utf8Path) -> String,
    ) -> Vec<Change> {
        let sources = self
            .changed_files(original)
            .into_iter()
            .map(|(old, new)| Change {
                path: old.path.clone(),
                rel_path: old.rel_path.clone(),
                old: old.text().to_string(),
                new: new.to_owned(),
            });
        let manifests = self.manifests.iter().map(|(path, old, new)| Change {
            path: path.clone(),
            rel_path: relative(path),
            old: old.clone(),
            new: new.clone(),
        });
        sources.chain(manifests).collect()
    }

    /// Files whose text changed: path to (original, new).
    pub fn changed_files<'a>(&'a self, original: &'a SourceSet) -> Vec<(&'a SourceFile, &'a str)> {
        original
            .files
            .iter()
            .filter_map(|old| {
                let new = self.sources.get(&old.path)?;
                (new.text() != old.text()).then_some((old, new.text()))
            })
            .collect()
    }
}

/// Whether `fix` may be applied at this level.
pub fn allowed(fix: &Fix, unsafe_fixes: bool) -> bool {
    match fix.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => unsafe_fixes,
        Applicability::DisplayOnly => false,
    }
}

/// Splice `edits` (all for the same file, non-overlapping) into `text`.
pub fn apply_edits(text: &str, edits: &[&Edit]) -> String {
    let mut sorted: Vec<&&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out = String::with_capacity(text.len());
    let mut last = 0usize;
    for edit in sorted {
        let range = std::ops::Range::<usize>::from(edit.range);
        out.push_str(&text[last..range.start]);
        out.push_str(&edit.content);
        last = range.end;
    }
    out.push_str(&text[last..]);
    out
}

/// The text of `file` with only `fix` applied (for showing a finding's own diff).
pub fn apply_one(file: &SourceFile, fix: &Fix) -> String {
    let edits: Vec<&Edit> = fix.edits.iter().filter(|e| e.path == file.path).collect();
    apply_edits(file.text(), &edits)
}

/// The rewritten file, parsed; or why it may not be written.
pub fn validate(old: &SourceFile, new_text: String) -> Result<SourceFile, String> {
    let mut new = SourceFile::new(
        old.path.clone(),
        old.rel_path.clone(),
        new_text,
        old.edition,
    );
    if let Some(depth) = new.nesting_exceeded() {
        return Err(format!("the fixed text nests {depth} deep"));
    }
    if new.errors().len() > old.errors().len() {
        return Err(format!(
            "the fixed text does not parse: {}",
            new.errors()[0]
        ));
    }
    // syn is stricter than the lossless parser: hold the rewrite to it when the original passed.
    if let Err(err) = syn::parse_file(new.text())
        && syn::parse_file(old.text()).is_ok()
    {
        return Err(format!("the fixed text does not parse: {err}"));
    }
    new.owners = old.owners.clone();
    Ok(new)
}

fn overlaps(taken: &BTreeMap<Utf8PathBuf, Vec<TextRange>>, edit: &Edit) -> bool {
    let e = edit.range;
    taken.get(&edit.path).is_some_and(|ranges| {
        // Two insertions at one offset conflict too: their order would be arbitrary.
        ranges.iter().any(|r| {
            (r.start() < e.end() && e.start() < r.end())
                || (r.start() == e.start() && (r.is_empty() || e.is_empty()))
        })
    })
}

/// Fix `sources` to a fixpoint: `analyze` is re-run after every pass.
pub fn fix_loop(
    mut sources: SourceSet,
    unsafe_fixes: bool,
    analyze: impl Fn(&SourceSet) -> Vec<Diagnostic>,
) -> FixOutcome {
    let mut applied = Vec::new();
    let mut rejected: Vec<RejectedFix> = Vec::new();
    // Fixes that broke a file: (path, replaced text, replacement) so they are not retried.
    let mut poisoned: BTreeSet<(Utf8PathBuf, String, String)> = BTreeSet::new();
    let mut passes = 0;
    let mut converged = true;
    loop {
        if passes == MAX_PASSES {
            converged = false;
            break;
        }
        let diagnostics = analyze(&sources);
        let mut taken: BTreeMap<Utf8PathBuf, Vec<TextRange>> = BTreeMap::new();
        let mut chosen: Vec<Diagnostic> = Vec::new();
        for diag in diagnostics {
            let Some(fix) = &diag.fix else { continue };
            if !allowed(fix, unsafe_fixes) || fix.edits.iter().any(|e| overlaps(&taken, e)) {
                continue;
            }
            let poison = fix.edits.iter().any(|e| {
                let Some(file) = sources.get(&e.path) else {
                    return true;
                };
                let old = file
                    .text()
                    .get(std::ops::Range::<usize>::from(e.range))
                    .unwrap_or("");
                poisoned.contains(&(e.path.clone(), old.to_owned(), e.content.clone()))
            });
            if poison {
                continue;
            }
            for e in &fix.edits {
                taken.entry(e.path.clone()).or_default().push(e.range);
            }
            chosen.push(diag);
        }
        if chosen.is_empty() {
            break;
        }
        passes += 1;
        // Group edits per file, apply, validate; a file whose result does not parse keeps its text
        // and every fix that touched it is poisoned.
        let mut by_file: BTreeMap<Utf8PathBuf, Vec<&Edit>> = BTreeMap::new();
        for diag in &chosen {
            for e in &diag.fix.as_ref().expect("chosen fixes exist").edits {
                by_file.entry(e.path.clone()).or_default().push(e);
            }
        }
        let mut new_texts: BTreeMap<Utf8PathBuf, SourceFile> = BTreeMap::new();
        let mut broken_files: BTreeSet<Utf8PathBuf> = BTreeSet::new();
        for (path, edits) in &by_file {
            let Some(file) = sources.get(path) else {
                broken_files.insert(path.clone());
                continue;
            };
            let text = apply_edits(file.text(), edits);
            match validate(file, text) {
                Ok(fixed) => {
                    new_texts.insert(path.clone(), fixed);
                }
                Err(reason) => {
                    broken_files.insert(path.clone());
                    for diag in chosen.iter().filter(|d| {
                        d.fix
                            .as_ref()
                            .is_some_and(|f| f.edits.iter().any(|e| &e.path == path))
                    }) {
                        rejected.push(RejectedFix {
                            rule: diag.rule,
                            path: path.clone(),
                            reason: reason.clone(),
                        });
                        for e in &diag.fix.as_ref().expect("has fix").edits {
                            let old = file
                                .text()
                                .get(std::ops::Range::<usize>::from(e.range))
                                .unwrap_or("");
                            poisoned.insert((e.path.clone(), old.to_owned(), e.content.clone()));
                        }
                    }
                }
            }
        }
        // A multi-file fix lands whole or not at all.
        let mut landed = Vec::new();
        for diag in chosen {
            let fix = diag.fix.as_ref().expect("has fix");
            if fix.edits.iter().any(|e| broken_files.contains(&e.path)) {
                for e in &fix.edits {
                    new_texts.remove(&e.path);
                }
            } else {
                landed.push(diag);
            }
        }
        landed.retain(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.edits.iter().all(|e| new_texts.contains_key(&e.path)))
        });
        if new_texts.is_empty() {
            // Every chosen fix was rejected and poisoned: the next pass may pick others.
            if broken_files.is_empty() {
                break;
            }
            continue;
        }
        sources.replace(new_texts.into_values());
        applied.extend(landed);
    }
    let (manifests, manifest_errors) = manifest_changes(&applied);
    rejected.extend(manifest_errors);
    FixOutcome {
        sources,
        applied,
        passes,
        converged,
        rejected,
        manifests,
    }
}

/// The `Cargo.toml` changes the applied fixes need, each manifest read once.
fn manifest_changes(
    applied: &[Diagnostic],
) -> (Vec<(Utf8PathBuf, String, String)>, Vec<RejectedFix>) {
    let mut wanted: BTreeMap<&Utf8PathBuf, Vec<(&'static str, &crate::diagnostic::FeatureEdit)>> =
        BTreeMap::new();
    for diag in applied {
        for feature in diag.fix.iter().flat_map(|f| &f.features) {
            wanted
                .entry(&feature.manifest)
                .or_default()
                .push((diag.rule, feature));
        }
    }
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for (path, features) in wanted {
        let old = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                errors.push(RejectedFix {
                    rule: features[0].0,
                    path: path.clone(),
                    reason: format!("could not read: {e}"),
                });
                continue;
            }
        };
        let mut text = old.clone();
        for (rule, f) in features {
            match crate::manifest::enable_feature(&text, &f.dependency, &f.feature) {
                Ok(Some(new)) => text = new,
                Ok(None) => {}
                Err(reason) => errors.push(RejectedFix {
                    rule,
                    path: path.clone(),
                    reason,
                }),
            }
        }
        if text != old {
            changes.push((path.clone(), old, text));
        }
    }
    (changes, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Diagnostic, Severity};
    use ra_ap_syntax::{TextRange, TextSize};

    fn one_file(text: &str) -> SourceSet {
        let file = SourceFile::new(
            "/v/lib.rs".into(),
            "lib.rs".into(),
            text.to_owned(),
            ra_ap_syntax::Edition::LATEST,
        );
        SourceSet {
            files: vec![file],
            warnings: vec![],
        }
    }

    /// A rule stand-in whose fix replaces `from` with `to` wherever `from` occurs.
    fn replacing(sources: &SourceSet, from: &str, to: &str) -> Vec<Diagnostic> {
        let file = &sources.files[0];
        // Every occurrence, overlapping ones too.
        (0..file.text().len())
            .filter(|&at| file.text()[at..].starts_with(from))
            .map(|at| {
                let range = TextRange::at(TextSize::from(at as u32), TextSize::of(from));
                Diagnostic {
                    rule: "test_rule",
                    severity: Severity::Error,
                    message: "m".into(),
                    path: file.path.clone(),
                    range,
                    primary_label: None,
                    labels: vec![],
                    notes: vec![],
                    helps: vec![],
                    fix: Some(Fix::new(
                        "f",
                        Applicability::Safe,
                        vec![Edit::replace(file.path.clone(), range, to)],
                    )),
                }
            })
            .collect()
    }

    #[test]
    fn a_fix_that_breaks_the_syntax_is_rejected_and_the_text_kept() {
        let text = "fn f() { let x = 1; }\n";
        let outcome = fix_loop(one_file(text), false, |s| replacing(s, "= 1;", "= (1;"));
        assert_eq!(outcome.sources.files[0].text(), text);
        assert_eq!(outcome.rejected.len(), 1);
        assert!(
            outcome.rejected[0]
                .reason
                .starts_with("the fixed text does not parse")
        );
        assert!(outcome.applied.is_empty());
        assert!(outcome.converged);
    }

    #[test]
    fn overlapping_fixes_take_several_passes_and_converge() {
        // `aaa` holds two overlapping `aa`: a pass applies one, the next pass the one that is left.
        let outcome = fix_loop(one_file("fn f() { aaa; }\n"), false, |s| {
            replacing(s, "aa", "a")
        });
        assert_eq!(outcome.sources.files[0].text(), "fn f() { a; }\n");
        assert!(outcome.converged);
        assert_eq!(outcome.passes, 2);
    }

    #[test]
    fn a_fix_that_never_settles_stops_at_the_pass_limit() {
        let outcome = fix_loop(one_file("fn f() { a; }\n"), false, |s| {
            replacing(s, "a", "aa")
        });
        assert!(!outcome.converged);
        assert_eq!(outcome.passes, MAX_PASSES);
    }
}
