//! The README's workflow and hook blocks are what users copy: they must parse as YAML, and every
//! `cargo loopfix` command in them must be one the CLI accepts.

use clap::Parser;
use yaml_rust2::{Yaml, YamlLoader};

use cargo_loopfix::cli::Cli;

/// The fenced ```yaml blocks of README.md.
fn yaml_blocks() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    readme
        .split("```yaml\n")
        .skip(1)
        .map(|rest| rest.split("\n```").next().unwrap().to_owned())
        .collect()
}

/// Every string value in a YAML document (step `run:` scripts, hook `entry:` lines).
fn strings(yaml: &Yaml, out: &mut Vec<String>) {
    match yaml {
        Yaml::String(s) => out.push(s.clone()),
        Yaml::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Yaml::Hash(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The `cargo loopfix ...` invocations in a shell script: line continuations joined, each up to
/// a pipe or the end of the line, split on whitespace (the README uses no quoting).
fn invocations(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|line| {
            let at = line.find("cargo loopfix ")?;
            let command = line[at + "cargo loopfix ".len()..].split('|').next()?;
            Some(command.split_whitespace().map(str::to_owned).collect())
        })
        .collect()
}

#[test]
fn the_workflow_and_the_hook_parse_and_run_real_commands() {
    let blocks = yaml_blocks();
    assert!(blocks.len() >= 2, "the workflow and the pre-commit hook");
    let mut commands = Vec::new();
    for block in &blocks {
        let docs = YamlLoader::load_from_str(block).unwrap_or_else(|e| panic!("{e}\n{block}"));
        assert_eq!(docs.len(), 1);
        assert!(matches!(docs[0], Yaml::Hash(_)), "{block}");
        let mut all = Vec::new();
        strings(&docs[0], &mut all);
        for s in &all {
            commands.extend(invocations(s));
        }
    }
    let workflow = YamlLoader::load_from_str(&blocks[0]).unwrap().remove(0);
    let steps = workflow["jobs"]["loopfix"]["steps"]
        .as_vec()
        .expect("a job with steps");
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@")),
        "{uses:?}"
    );
    assert!(
        uses.iter()
            .any(|u| u.starts_with("reviewdog/action-setup@")),
        "{uses:?}"
    );
    assert!(commands.len() >= 3, "{commands:?}");
    for args in commands {
        let argv = std::iter::once("cargo-loopfix".to_owned()).chain(args.iter().cloned());
        if let Err(e) = Cli::try_parse_from(argv) {
            panic!(
                "`cargo loopfix {}` is not a valid command:\n{e}",
                args.join(" ")
            );
        }
    }
}

#[test]
fn the_readme_workflow_is_the_one_init_writes() {
    assert_eq!(
        format!("{}\n", yaml_blocks()[0]),
        cargo_loopfix::commands::config::GITHUB_WORKFLOW
    );
}

#[test]
fn the_readme_configuration_example_is_valid_configuration() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let block = readme
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest.split("\n```").next().unwrap())
        .find(|b| b.starts_with("[workspace.metadata.loopfix]"))
        .expect("a configuration example");
    let body = block.trim_start_matches("[workspace.metadata.loopfix]\n");
    let config = cargo_loopfix::config::parse_toml(body, "README").unwrap();
    assert!(config.enables("nested_block_on"));
    assert!(!config.enables("runtime_per_call"), "ignored");
    assert!(!config.enables("blocking_call_in_async"), "level allow");
}
