//! Property tests over generated programs: each rule's positive fixture with random unrelated
//! items (functions, structs, modules, comments, non-ASCII strings full of brackets) inserted
//! before its top-level items, checked with every rule. For each program:
//! - every fix's edits are in bounds, on character boundaries, sorted and non-overlapping, and
//!   applying a fix leaves the text outside its edits byte-identical;
//! - fixing everything (unsafe fixes too) converges, and no fixed file has more syntax errors;
//! - fixing again changes nothing (idempotence), and no fix is left to apply (fixpoint).

use std::path::Path;

use cargo_loopfix::analysis::{self, RuleSet};
use cargo_loopfix::fix;
use cargo_loopfix::rules;
use cargo_loopfix::source::{SourceFile, SourceSet};
use proptest::prelude::*;
use ra_ap_syntax::Edition;

fn fixtures() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| std::fs::read_to_string(d.join("positive.rs")).unwrap())
        .collect()
}

const FILLERS: &[&str] = &[
    "// an unrelated comment ( [ {\n",
    "fn filler_N() -> u32 {\n    (1 + 2) * 3\n}\n",
    "#[allow(dead_code)]\nstruct FillerN {\n    a: u32,\n}\n",
    "async fn filler_async_N() {\n    let v = vec![1, 2, 3];\n    println!(\"{:?}\", v);\n}\n",
    "mod filler_mod_N {\n    pub fn inner() -> &'static str {\n        \"é🦀\"\n    }\n}\n",
    "const FILLER_N: &str = \"é🦀 { ( [ \\\" ] ) }\";\n",
    "\n",
    "fn filler_sync_N() {\n    let rt = 1;\n    let _ = rt;\n}\n",
];

/// Offsets where a top-level item starts.
fn item_starts(text: &str) -> Vec<usize> {
    let mut out = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let starts_item = [
            "fn ",
            "async fn ",
            "pub ",
            "#[",
            "static ",
            "use ",
            "mod ",
            "struct ",
            "impl ",
            "//",
        ]
        .iter()
        .any(|p| line.starts_with(p));
        if starts_item && offset > 0 {
            out.push(offset);
        }
        offset += line.len();
    }
    out.push(text.len());
    out
}

fn program(fixture: &str, insertions: &[(usize, usize)]) -> String {
    let starts = item_starts(fixture);
    let mut at: Vec<(usize, String)> = insertions
        .iter()
        .enumerate()
        .map(|(n, (pos, filler))| {
            let offset = starts[pos % starts.len()];
            let text = FILLERS[filler % FILLERS.len()].replace('N', &n.to_string());
            // After the last item the text may not end with a newline.
            (offset, text)
        })
        .collect();
    at.sort_by_key(|(o, _)| std::cmp::Reverse(*o));
    let mut out = fixture.to_owned();
    for (offset, text) in at {
        if offset == out.len() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.insert_str(offset.min(out.len()), &text);
    }
    out
}

fn sources(text: &str) -> SourceSet {
    SourceSet {
        files: vec![SourceFile::new(
            "/virtual/src/lib.rs".into(),
            "src/lib.rs".to_owned(),
            text.to_owned(),
            Edition::Edition2024,
        )],
        warnings: vec![],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn fixes_are_local_convergent_idempotent_and_parse(
        which in 0usize..64,
        insertions in proptest::collection::vec((0usize..64, 0usize..64), 0..6),
    ) {
        let all = fixtures();
        let fixture = &all[which % all.len()];
        let text = program(fixture, &insertions);
        let rules = RuleSet::new(rules::all().to_vec());
        let original = sources(&text);
        let file = &original.files[0];
        let analyze = |s: &SourceSet| analysis::analyze(None, s, &rules);

        for diag in analyze(&original) {
            let Some(f) = &diag.fix else { continue };
            let mut previous_end = 0usize;
            let mut edits: Vec<_> = f.edits.iter().filter(|e| e.path == file.path).collect();
            edits.sort_by_key(|e| (e.range.start(), e.range.end()));
            for e in &edits {
                let (start, end) = (usize::from(e.range.start()), usize::from(e.range.end()));
                prop_assert!(end <= text.len() && text.is_char_boundary(start) && text.is_char_boundary(end));
                prop_assert!(start >= previous_end, "overlapping edits in {}: {:?}", diag.rule, f.edits);
                previous_end = end;
            }
            // Outside its edits, a fix leaves the text as it was.
            let fixed = fix::apply_one(file, f);
            let mut at = 0usize;
            let mut cursor = 0usize;
            for e in &edits {
                let start = usize::from(e.range.start());
                let unchanged = &text[at..start];
                prop_assert_eq!(&fixed[cursor..cursor + unchanged.len()], unchanged);
                cursor += unchanged.len() + e.content.len();
                at = usize::from(e.range.end());
            }
            prop_assert_eq!(&fixed[cursor..], &text[at..]);
        }

        let outcome = fix::fix_loop(original.clone(), true, analyze);
        prop_assert!(outcome.converged, "did not converge:\n{text}");
        let fixed = &outcome.sources.files[0];
        prop_assert!(
            fixed.errors().len() <= file.errors().len(),
            "new syntax errors:\n{}\n{:?}", fixed.text(), fixed.errors()
        );
        // Again: nothing changes, and nothing is left to fix.
        let again = fix::fix_loop(outcome.sources.clone(), true, analyze);
        prop_assert_eq!(&again.sources.files[0].text(), &fixed.text(), "not idempotent");
        let left: Vec<_> = analyze(&outcome.sources)
            .into_iter()
            .filter(|d| d.fix.is_some())
            .map(|d| d.rule)
            .collect();
        let rejected: Vec<_> = outcome.rejected.iter().map(|r| r.rule).collect();
        prop_assert!(
            left.iter().all(|r| rejected.contains(r)),
            "fixes left after the fixpoint: {left:?}\n{}", fixed.text()
        );
    }
}
