//! Any text as a crate's `lib.rs`: analysing it with every rule and fixing everything (unsafe
//! fixes too) must not panic or hang, and a fixed file must not gain syntax errors.
#![no_main]

use cargo_loopfix::analysis::{self, RuleSet};
use cargo_loopfix::fix;
use cargo_loopfix::rules;
use cargo_loopfix::source::{SourceFile, SourceSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sources = SourceSet {
        files: vec![SourceFile::new(
            "/fuzz/src/lib.rs".into(),
            "src/lib.rs".to_owned(),
            text.to_owned(),
            ra_ap_syntax::Edition::Edition2024,
        )],
        warnings: vec![],
    };
    let rules = RuleSet::new(rules::all().to_vec());
    let analyze = |s: &SourceSet| analysis::analyze(None, s, &rules);
    let outcome = fix::fix_loop(sources.clone(), true, analyze);
    let (before, after) = (&sources.files[0], &outcome.sources.files[0]);
    assert!(after.errors.len() <= before.errors.len() || after.text == before.text);
});
