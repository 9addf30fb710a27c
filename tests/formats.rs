//! The CI and review formats on one file with non-ASCII text before the findings (`"é🦀"` on the
//! same line), so each format's columns are checked: characters for SARIF, GitHub, GitLab and
//! JUnit, UTF-8 bytes for reviewdog. SARIF and rdjson are validated against their schemas.

use cargo_loopfix::analysis::{self, RuleSet};
use cargo_loopfix::diagnostic::Diagnostic;
use cargo_loopfix::report::{github, gitlab, junit, rdjson, sarif};
use cargo_loopfix::rules;
use cargo_loopfix::source::{SourceFile, SourceSet};
use ra_ap_syntax::Edition;

const TEXT: &str = "use tokio as _;\n\npub async fn greet() -> u32 {\n    let s = \"é🦀\"; std::thread::sleep(std::time::Duration::from_millis(1));\n    let n = \"é🦀\".len() as u32; futures::executor::block_on(async { n })\n}\n";

fn scan() -> (SourceSet, Vec<Diagnostic>) {
    let sources = SourceSet {
        files: vec![SourceFile::new(
            "/work/project/src/lib.rs".into(),
            "src/lib.rs".to_owned(),
            TEXT.to_owned(),
            Edition::Edition2024,
        )],
        warnings: vec![],
    };
    let diagnostics = analysis::analyze(None, &sources, &RuleSet::new(rules::all().to_vec()));
    (sources, diagnostics)
}

fn snapshot(name: &str, value: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, value);
    });
}

fn validator(schema: &str) -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(schema);
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The published SARIF schema's `language` pattern (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`)
    // fails the meta-schema's `format: regex` check; we never write `language`.
    drop_language_patterns(&mut schema);
    jsonschema::validator_for(&schema).unwrap()
}

fn drop_language_patterns(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if map
                .get("pattern")
                .and_then(|p| p.as_str())
                .is_some_and(|p| p.ends_with("]?$"))
            {
                map.remove("pattern");
            }
            map.values_mut().for_each(drop_language_patterns);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_language_patterns),
        _ => {}
    }
}

#[track_caller]
fn assert_valid(validator: &jsonschema::Validator, instance: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_file_has_two_findings_after_non_ascii_text() {
    let (_, diagnostics) = scan();
    let rules: Vec<&str> = diagnostics.iter().map(|d| d.rule).collect();
    assert_eq!(rules, ["blocking_call_in_async", "nested_block_on"]);
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_code_point_columns() {
    let (sources, diagnostics) = scan();
    let text = sarif::render(&diagnostics, &sources, "/work/project".into());
    snapshot("format__sarif", &text);
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = validator("sarif-schema-2.1.0.json");
    assert_valid(&validator, &log);
    // The schema does catch mistakes: no `version`, or a region with column 0.
    assert!(!validator.is_valid(&serde_json::json!({ "runs": [] })));
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] =
        serde_json::json!(0);
    assert!(!validator.is_valid(&broken));
    let result = &log["runs"][0]["results"][0];
    // `    let s = "é🦀"; ` is 18 code points (22 bytes): the call starts at column 19 (23 in bytes).
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startColumn"],
        19
    );
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        rules::all().len()
    );
    assert!(result["partialFingerprints"]["loopfix/v1"].is_string());
    assert!(result["fixes"][0]["artifactChanges"][0]["replacements"].is_array());
}

#[test]
fn rdjson_is_valid_with_byte_columns_and_suggestions() {
    let (sources, diagnostics) = scan();
    let text = rdjson::render(&diagnostics, &sources);
    snapshot("format__rdjson", &text);
    let result: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = validator("rdjson.schema.json");
    assert_valid(&validator, &result);
    let mut broken = result.clone();
    broken["diagnostics"][0]["severity"] = serde_json::json!("FATAL");
    assert!(!validator.is_valid(&broken));
    let first = &result["diagnostics"][0];
    assert_eq!(first["location"]["range"]["start"]["column"], 23);
    assert!(first["suggestions"][0]["text"].is_string());

    let lines = rdjson::render_lines(&diagnostics, &sources);
    snapshot("format__rdjsonl", &lines);
    for line in lines.lines() {
        let diagnostic: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_valid(
            &validator,
            &serde_json::json!({ "diagnostics": [diagnostic] }),
        );
    }
}

#[test]
fn github_annotations_escape_and_count_characters() {
    let (sources, diagnostics) = scan();
    let text = github::render(&diagnostics, &sources);
    snapshot("format__github", &text);
    assert!(
        text.starts_with("::warning file=src/lib.rs,line=4,col=19,"),
        "{text}"
    );
    assert!(
        text.contains("title=loopfix%3A%3Ablocking_call_in_async::"),
        "{text}"
    );
    assert_eq!(
        text.lines().count(),
        2,
        "one line per finding: messages are escaped"
    );
    snapshot(
        "format__github_step_summary",
        &github::step_summary(&diagnostics, &sources),
    );
}

#[test]
fn gitlab_code_quality_has_stable_fingerprints() {
    let (sources, diagnostics) = scan();
    let text = gitlab::render(&diagnostics, &sources);
    snapshot("format__gitlab", &text);
    let issues: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(issues.len(), 2);
    // Code added above the findings moves them, but keeps their fingerprints.
    let shifted = SourceSet {
        files: vec![SourceFile::new(
            "/work/project/src/lib.rs".into(),
            "src/lib.rs".to_owned(),
            format!("// a new first line\n{TEXT}"),
            Edition::Edition2024,
        )],
        warnings: vec![],
    };
    let moved = analysis::analyze(None, &shifted, &RuleSet::new(rules::all().to_vec()));
    let moved: Vec<serde_json::Value> =
        serde_json::from_str(&gitlab::render(&moved, &shifted)).unwrap();
    for (a, b) in issues.iter().zip(&moved) {
        assert_eq!(a["fingerprint"], b["fingerprint"]);
        assert_ne!(
            a["location"]["lines"]["begin"],
            b["location"]["lines"]["begin"]
        );
    }
}

#[test]
fn junit_has_one_failing_case_per_finding() {
    let (sources, diagnostics) = scan();
    let text = junit::render(&diagnostics, &sources);
    snapshot("format__junit", &text);
    assert_eq!(text.matches("<testcase ").count(), 2);
    assert_eq!(text.matches("<failure ").count(), 2);
    let empty = junit::render(&[], &sources);
    assert!(empty.contains("tests=\"0\""), "{empty}");
}
