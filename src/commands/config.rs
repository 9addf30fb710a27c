//! `cargo loopfix config` (the effective configuration) and `cargo loopfix init` (a starter
//! table in Cargo.toml, and on request the GitHub workflow).

use anyhow::{Context, Result, bail};
use camino::Utf8PathBuf;

use super::{Output, Status};
use crate::cli::{ConfigArgs, InitArgs};
use crate::config::Config;
use crate::workspace::{Selection, Workspace};

/// The workflow `init --github-workflow` writes; the README shows the same text.
pub const GITHUB_WORKFLOW: &str = r#"name: loopfix
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
  security-events: write
  pull-requests: write
jobs:
  loopfix:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: dtolnay/rust-toolchain@stable
      - name: Install cargo-loopfix
        run: cargo install --locked cargo-loopfix
      - name: Find runtime-lifecycle bugs
        run: cargo loopfix check --workspace --message-format sarif --output-file loopfix.sarif
        continue-on-error: true
      - name: Upload to code scanning
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: loopfix.sarif
          category: cargo-loopfix
      - name: Set up reviewdog
        if: github.event_name == 'pull_request'
        uses: reviewdog/action-setup@v1
      - name: Suggest the fixes on the pull request
        if: github.event_name == 'pull_request'
        env:
          REVIEWDOG_GITHUB_API_TOKEN: ${{ secrets.GITHUB_TOKEN }}
        run: |
          cargo loopfix check --workspace --message-format rdjson \
            | reviewdog -f=rdjson -name=cargo-loopfix -reporter=github-pr-review -filter-mode=added
"#;

const STARTER: &str = r#"
[TABLE]
# cargo-loopfix: every key is optional; `cargo loopfix config` prints what is in effect.
# Rules to run (default: all; `cargo loopfix rules` lists them), to add, and to leave out.
# select = ["nested_block_on", "runtime_dropped_in_async"]
# extend-select = []
# ignore = []
# Levels per rule: "allow" (off), "warn" or "deny".
# levels = { client_per_request = "warn" }
# Rules to leave out in some paths (globs relative to the workspace root).
# per-path-ignores = { "tests/**" = ["client_outlives_runtime"] }
# Paths not to report on. Files marked `@generated` are skipped anyway.
# exclude = ["vendor/**"]
# Let `cargo loopfix apply` write unsafe fixes too.
# unsafe-fixes = false
# Your runtime-bound client types, blocking functions, and APIs that run a closure off the task.
# clients = ["my_api::ApiClient"]
# blocking = ["legacy_db::query_sync"]
# off-thread = ["my_pool::run_blocking"]
"#;

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|i| serde_json::to_string(i).expect("strings serialize"))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// A table's effective values, as TOML lines.
fn effective(config: &Config, with_fixes: bool) -> String {
    let rules: Vec<String> = crate::rules::all()
        .iter()
        .map(|r| r.meta().id)
        .filter(|id| config.enables(id))
        .map(str::to_owned)
        .collect();
    let mut out = format!("rules = {}\n", list(&rules));
    if let Some(levels) = &config.levels {
        let items: Vec<String> = levels
            .iter()
            .map(|(rule, level)| {
                format!(
                    "{rule} = {}",
                    serde_json::to_string(level).expect("levels serialize")
                )
            })
            .collect();
        out.push_str(&format!("levels = {{ {} }}\n", items.join(", ")));
    }
    if let Some(per_path) = &config.per_path_ignores {
        let items: Vec<String> = per_path
            .iter()
            .map(|(glob, rules)| {
                format!(
                    "{} = {}",
                    serde_json::to_string(glob).expect("strings serialize"),
                    list(rules)
                )
            })
            .collect();
        out.push_str(&format!("per-path-ignores = {{ {} }}\n", items.join(", ")));
    }
    for (key, value) in [
        ("exclude", &config.exclude),
        ("clients", &config.clients),
        ("blocking", &config.blocking),
        ("off-thread", &config.off_thread),
    ] {
        out.push_str(&format!(
            "{key} = {}\n",
            list(value.as_deref().unwrap_or_default())
        ));
    }
    if with_fixes {
        out.push_str(&format!(
            "unsafe-fixes = {}\n",
            config.unsafe_fixes.unwrap_or(false)
        ));
    }
    out
}

pub fn show(args: &ConfigArgs, output: &Output) -> Result<Status> {
    let workspace = Workspace::load(&args.scan.selection())?;
    let mut text = format!(
        "# the workspace: [workspace.metadata.loopfix]{}\n[workspace]\n{}",
        if workspace.root.join("loopfix.toml").is_file() {
            ", then loopfix.toml"
        } else {
            ""
        },
        effective(&workspace.config, true)
    );
    for package in &workspace.packages {
        if package.config.config != workspace.config {
            text.push_str(&format!(
                "\n# package `{}`: its own [package.metadata.loopfix]\n[package.{}]\n{}",
                package.name,
                package.name,
                effective(&package.config.config, false)
            ));
        }
    }
    output.out(&text);
    Ok(Status::Clean)
}

pub fn init(args: &InitArgs, output: &Output) -> Result<Status> {
    let workspace = Workspace::load(&Selection {
        manifest_path: args.manifest_path.clone(),
        ..Selection::default()
    })?;
    let manifest: Utf8PathBuf = workspace.root.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&manifest).with_context(|| format!("could not read {manifest}"))?;
    let doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("{manifest} is not valid TOML"))?;
    let table = if doc.get("workspace").is_some() {
        "workspace.metadata.loopfix"
    } else {
        "package.metadata.loopfix"
    };
    let mut parts = table.split('.');
    let exists = doc
        .get(parts.next().unwrap_or_default())
        .and_then(|t| t.get(parts.next().unwrap_or_default()))
        .and_then(|t| t.get(parts.next().unwrap_or_default()))
        .is_some();
    if exists {
        bail!("{manifest} already has a [{table}] table");
    }
    let mut new_text = text.clone();
    if !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    new_text.push_str(&STARTER.replace("TABLE", table));
    new_text
        .parse::<toml_edit::DocumentMut>()
        .context("the starter table did not fit the manifest: this is a bug in cargo-loopfix")?;
    let mut files = vec![(manifest.clone(), new_text)];
    if args.github_workflow {
        let dir = workspace.root.join(".github/workflows");
        let path = dir.join("loopfix.yml");
        if path.exists() {
            bail!("{path} already exists");
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("could not create {dir}"))?;
        std::fs::write(&path, "").with_context(|| format!("could not create {path}"))?;
        files.push((path, GITHUB_WORKFLOW.to_owned()));
    }
    crate::write::write_all(&files)?;
    for (path, _) in &files {
        output.status(&format!("wrote {}", workspace.relative(path)));
    }
    Ok(Status::Clean)
}
