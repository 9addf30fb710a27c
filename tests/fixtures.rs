//! Fixture tests: every file under `tests/fixtures/<rule>/` is checked with its rule, and the
//! human, short, JSON and `--diff` outputs are snapshotted under `snapshots/`. The harness also
//! proves that the fixes converge, re-parse, and are idempotent.

use std::path::{Path, PathBuf};

use cargo_loopfix::analysis::{self, RuleSet};
use cargo_loopfix::fix;
use cargo_loopfix::report::human::{self, Style};
use cargo_loopfix::report::{diff, json, short};
use cargo_loopfix::rules;
use cargo_loopfix::source::{SourceFile, SourceSet};
use ra_ap_syntax::Edition;

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs
}

fn load(path: &Path) -> SourceSet {
    let text = std::fs::read_to_string(path).unwrap();
    let rel = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap()
        .to_str()
        .unwrap()
        .replace('\\', "/");
    let abs = camino::Utf8PathBuf::from_path_buf(path.to_owned()).unwrap();
    SourceSet {
        files: vec![SourceFile::new(abs, rel, text, Edition::Edition2024)],
        warnings: vec![],
    }
}

fn snapshot(name: &str, value: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, value);
    });
}

#[test]
fn every_rule_has_positive_and_negative_fixtures() {
    for rule in rules::all() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rule.meta().id);
        assert!(
            dir.join("positive.rs").is_file(),
            "{} has no positive fixture",
            rule.meta().id
        );
        assert!(
            dir.join("negative.rs").is_file(),
            "{} has no negative fixture",
            rule.meta().id
        );
    }
}

#[test]
fn fixtures() {
    for dir in fixture_dirs() {
        let rule_id = dir.file_name().unwrap().to_str().unwrap().to_owned();
        // Whether a suppression is used depends on every other rule's findings.
        let selected = if rule_id == rules::unused_suppression::ID {
            rules::all().to_vec()
        } else {
            rules::select(std::slice::from_ref(&rule_id), &[]).unwrap()
        };
        let rules = RuleSet::new(selected);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files {
            let case = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let sources = load(&path);
            let file = &sources.files[0];
            assert!(
                file.errors().is_empty(),
                "fixture {} does not parse: {:?}",
                file.rel_path,
                file.errors()
            );
            let diags = analysis::analyze(None, &sources, &rules);
            if case.starts_with("negative") {
                let shown: Vec<String> = diags.iter().map(|d| short::render(d, file)).collect();
                assert!(
                    diags.is_empty(),
                    "false positives in {}:\n{}",
                    file.rel_path,
                    shown.concat()
                );
            } else {
                assert!(!diags.is_empty(), "no finding in {}", file.rel_path);
            }
            let name = format!("{rule_id}__{case}");

            let style = Style::new(false);
            let human: Vec<String> = diags
                .iter()
                .map(|d| human::render(d, &sources, &style))
                .collect();
            snapshot(&format!("{name}__human"), &human.join("\n"));
            let short: String = diags.iter().map(|d| short::render(d, file)).collect();
            snapshot(&format!("{name}__short"), &short);
            let mut json_lines: Vec<String> = diags
                .iter()
                .filter_map(|d| json::compiler_message(d, &sources, None))
                .collect();
            json_lines.push(json::build_finished(diags.is_empty()));
            snapshot(&format!("{name}__json"), &json_lines.join("\n"));

            // `check --diff`: the safe fixes to a fixpoint, as a patch.
            let outcome = fix::fix_loop(sources.clone(), false, |s| {
                analysis::analyze(None, s, &rules)
            });
            assert!(
                outcome.converged,
                "{}: fixes did not converge",
                file.rel_path
            );
            assert!(
                outcome.rejected.is_empty(),
                "{}: fixes broke the file: {:?}",
                file.rel_path,
                outcome.rejected
            );
            let fixed = &outcome.sources.files[0];
            snapshot(
                &format!("{name}__diff"),
                &diff::file_patch(&file.rel_path, file.text(), fixed.text(), &style),
            );
            assert!(
                fixed.errors().is_empty(),
                "{}: the fixed text does not parse",
                file.rel_path
            );
            assert!(
                syn::parse_file(fixed.text()).is_ok(),
                "{}: syn rejects the fixed text",
                file.rel_path
            );
            let remaining = analysis::analyze(None, &outcome.sources, &rules);
            assert!(
                remaining
                    .iter()
                    .all(|d| d.fix.as_ref().is_none_or(|f| !fix::allowed(f, false))),
                "{}: a safe fix is left after applying safe fixes",
                file.rel_path
            );
            // Idempotence: fixing the fixed text changes nothing.
            let again = fix::fix_loop(outcome.sources.clone(), false, |s| {
                analysis::analyze(None, s, &rules)
            });
            assert_eq!(
                again.sources.files[0].text(),
                fixed.text(),
                "{}: apply is not idempotent",
                file.rel_path
            );

            // With unsafe fixes too: still parses and converges.
            let all = fix::fix_loop(sources.clone(), true, |s| {
                analysis::analyze(None, s, &rules)
            });
            assert!(
                all.converged && all.rejected.is_empty(),
                "{}: unsafe fixes misbehave",
                file.rel_path
            );
            if case.starts_with("negative") {
                assert_eq!(all.sources.files[0].text(), file.text());
            } else {
                snapshot(
                    &format!("{name}__fixed_unsafe"),
                    all.sources.files[0].text(),
                );
            }
        }
    }
}
