//! The rule registry: ids unique and matching their files, every doc section present, each doc's
//! example fires and its "use instead" does not, and the README's rule table matches.

use std::path::Path;

use cargo_loopfix::analysis::check_text;
use cargo_loopfix::rules;

const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## Known problems",
];

/// The first ```rust block after `heading`.
fn code_after(docs: &str, heading: &str) -> String {
    let rest = &docs[docs.find(heading).unwrap() + heading.len()..];
    let start = rest.find("```rust\n").unwrap() + "```rust\n".len();
    rest[start..start + rest[start..].find("```").unwrap()].to_owned()
}

#[test]
fn ids_are_unique_snake_case_and_match_their_files() {
    let mut ids: Vec<&str> = rules::all().iter().map(|r| r.meta().id).collect();
    for id in &ids {
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{id} is not snake_case"
        );
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/rules")
            .join(format!("{id}.rs"));
        assert!(file.is_file(), "rule {id} has no file {}", file.display());
    }
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
}

#[test]
fn docs_have_every_section_and_their_examples_are_true() {
    for rule in rules::all() {
        let meta = rule.meta();
        for section in SECTIONS {
            assert!(
                meta.docs.contains(section),
                "{} docs lack `{section}`",
                meta.id
            );
        }
        // clippy's message style: no capital first letter (code in backticks may lead), no period.
        let first = meta.summary.chars().next().unwrap();
        assert!(
            !meta.summary.ends_with('.') && !first.is_uppercase(),
            "{}: summary style",
            meta.id
        );
        let example = code_after(meta.docs, "## Example");
        assert!(
            !check_text(&example, &[meta.id]).is_empty(),
            "{}: the doc example does not fire",
            meta.id
        );
        let instead = code_after(meta.docs, "## Use instead");
        let found = check_text(&instead, &[meta.id]);
        assert!(
            found.is_empty(),
            "{}: the doc's `Use instead` fires: {found:?}",
            meta.id
        );
    }
}

#[test]
fn readme_rule_table_matches_the_registry() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for rule in rules::all() {
        let meta = rule.meta();
        let row = format!(
            "| `loopfix::{}` | {} | {} |",
            meta.id,
            meta.summary,
            meta.fix.as_str()
        );
        assert!(readme.contains(&row), "README lacks the row:\n{row}");
    }
    let rows = readme
        .lines()
        .filter(|l| l.starts_with("| `loopfix::"))
        .count();
    assert_eq!(
        rows,
        rules::all().len(),
        "README lists rules the registry does not have"
    );
}
