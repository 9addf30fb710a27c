//! Verified fixes: `cargo check` on the packages the fixes touch, before and after they are
//! written, with the user's target selection, features and `--locked/--offline/--frozen`.

use std::collections::BTreeMap;
use std::process::Command;

use anyhow::{Context, Result};
use camino::Utf8Path;

use crate::cli::{ApplyArgs, ScanArgs};

/// The `cargo check` flags that mirror the user's selection.
pub fn check_flags(args: &ApplyArgs) -> Vec<String> {
    let scan: &ScanArgs = &args.scan;
    let mut flags = Vec::new();
    let mut targets = Vec::new();
    for (on, flag) in [
        (scan.lib, "--lib"),
        (scan.bins, "--bins"),
        (scan.tests, "--tests"),
        (scan.examples, "--examples"),
        (scan.benches, "--benches"),
        (scan.all_targets, "--all-targets"),
    ] {
        if on {
            targets.push(flag.to_owned());
        }
    }
    for (names, flag) in [
        (&scan.bin, "--bin"),
        (&scan.test, "--test"),
        (&scan.example, "--example"),
        (&scan.bench, "--bench"),
    ] {
        for name in names {
            targets.push(flag.to_owned());
            targets.push(name.clone());
        }
    }
    // The fixes may touch any target: check them all unless told otherwise.
    if targets.is_empty() {
        targets.push("--all-targets".to_owned());
    }
    flags.extend(targets);
    for features in &args.features {
        flags.push("--features".to_owned());
        flags.push(features.clone());
    }
    for (on, flag) in [
        (args.all_features, "--all-features"),
        (args.no_default_features, "--no-default-features"),
        (args.locked, "--locked"),
        (args.offline, "--offline"),
        (args.frozen, "--frozen"),
    ] {
        if on {
            flags.push(flag.to_owned());
        }
    }
    flags
}

/// `cargo check` of `packages` (by name; `ids` maps package ids to names) in the workspace of
/// `manifest`: the first error of each package that has one.
pub fn check(
    manifest: &Utf8Path,
    packages: &[String],
    ids: &BTreeMap<String, String>,
    flags: &[String],
) -> Result<BTreeMap<String, String>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "check",
            "--quiet",
            "--message-format",
            "json",
            "--manifest-path",
        ])
        .arg(manifest)
        .args(flags);
    for p in packages {
        command.args(["-p", p]);
    }
    let out = command.output().context("could not run `cargo check`")?;
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-message" || message["message"]["level"] != "error" {
            continue;
        }
        let Some(name) = message["package_id"].as_str().and_then(|id| ids.get(id)) else {
            continue;
        };
        let rendered = message["message"]["rendered"]
            .as_str()
            .or_else(|| message["message"]["message"].as_str())
            .unwrap_or_default()
            .trim_end()
            .to_owned();
        errors.entry(name.clone()).or_insert(rendered);
    }
    // Cargo failed without a compiler error (resolution, a build script): every package fails.
    if !out.status.success() && errors.is_empty() {
        let reason = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        for p in packages {
            errors.insert(p.clone(), reason.clone());
        }
    }
    Ok(errors)
}
