//! The real binary, run as `cargo loopfix ...` on temporary workspaces: selection flags, exit
//! codes, output formats, `apply` safety (dirty trees, dry runs, fixpoint, idempotence) and bad
//! input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{code, loopfix, stderr, stdout};

const BUGGY: &str = "use tokio::runtime::Handle;\n\n#[tokio::main]\nasync fn main() {\n    let rt = Handle::current();\n    let n = rt.block_on(work());\n    println!(\"{n}\");\n}\n\nasync fn work() -> u32 {\n    1\n}\n";
const CLEAN: &str = "async fn work() -> u32 {\n    1\n}\n\n#[tokio::main]\nasync fn main() {\n    println!(\"{}\", work().await);\n}\n";
const LIB_BUGGY: &str =
    "pub async fn get() -> u32 {\n    futures::executor::block_on(async { 2 })\n}\n";

fn manifest(name: &str, extra: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = {{ version = \"1\", features = [\"full\"] }}\nfutures = \"0.3\"\n{extra}"
    )
}

/// A temporary directory holding `files`.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

/// A virtual workspace with two members: `alpha` (a bin with a bug) and `beta` (a lib with a bug).
fn two_members() -> tempfile::TempDir {
    tree(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"alpha\", \"beta\"]\nresolver = \"2\"\n",
        ),
        ("alpha/Cargo.toml", &manifest("alpha", "")),
        ("alpha/src/main.rs", BUGGY),
        ("beta/Cargo.toml", &manifest("beta", "")),
        ("beta/src/lib.rs", LIB_BUGGY),
    ])
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn committed(dir: &Path) {
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "init"]);
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap()
}

#[test]
fn check_finds_bugs_in_every_member_of_a_virtual_workspace() {
    let ws = two_members();
    let out = loopfix(ws.path(), &["check", "--message-format", "short"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "alpha/src/main.rs:6:16: loopfix::nested_block_on: `block_on` called inside an async context\n\
         beta/src/lib.rs:2:5: loopfix::nested_block_on: `block_on` called inside an async context\n"
    );
    assert!(
        stderr(&out).contains("found 2 problems (nested_block_on: 2); 2 fixable"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn package_selection_flags_mean_what_cargo_means() {
    let ws = two_members();
    let only = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["check", "--message-format", "short"];
        full.extend_from_slice(args);
        let out = loopfix(ws.path(), &full);
        stdout(&out)
            .lines()
            .map(|l| l.split(':').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(only(&["-p", "alpha"]), ["alpha/src/main.rs"]);
    assert_eq!(
        only(&["--package", "beta", "-p", "alpha"]),
        ["alpha/src/main.rs", "beta/src/lib.rs"]
    );
    assert_eq!(only(&["--exclude", "alpha"]), ["beta/src/lib.rs"]);
    assert_eq!(
        only(&["--workspace", "--exclude", "beta"]),
        ["alpha/src/main.rs"]
    );
    assert_eq!(only(&["--all"]), ["alpha/src/main.rs", "beta/src/lib.rs"]);
    assert_eq!(only(&["--lib"]), ["beta/src/lib.rs"]);
    assert_eq!(only(&["--bin", "alpha"]), ["alpha/src/main.rs"]);

    // From a member's directory, as cargo: that member only; `--workspace` widens it.
    let out = loopfix(
        &ws.path().join("beta"),
        &["check", "--message-format", "short"],
    );
    assert_eq!(
        stdout(&out),
        "beta/src/lib.rs:2:5: loopfix::nested_block_on: `block_on` called inside an async context\n"
    );
    let out = loopfix(
        &ws.path().join("beta"),
        &["check", "--message-format", "short", "--workspace"],
    );
    assert_eq!(stdout(&out).lines().count(), 2);

    // --manifest-path takes the file or its directory, from anywhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let dir = ws.path().join("alpha");
    let out = loopfix(
        elsewhere.path(),
        &[
            "check",
            "--message-format",
            "short",
            "--manifest-path",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).starts_with("alpha/src/main.rs:6:16"),
        "{}",
        stdout(&out)
    );
    let file = ws.path().join("Cargo.toml");
    let out = loopfix(
        elsewhere.path(),
        &["check", "-q", "--manifest-path", file.to_str().unwrap()],
    );
    assert_eq!(code(&out), 1);
}

#[test]
fn exit_codes_zero_one_two() {
    let clean = tree(&[
        ("Cargo.toml", &manifest("clean", "")),
        ("src/main.rs", CLEAN),
    ]);
    let out = loopfix(clean.path(), &["check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no problems found in 1 file"),
        "{}",
        stderr(&out)
    );

    let ws = two_members();
    assert_eq!(code(&loopfix(ws.path(), &["check", "-q"])), 1);
    let usage = loopfix(ws.path(), &["check", "--no-such-flag"]);
    assert_eq!(code(&usage), 2);
    let unknown_rule = loopfix(ws.path(), &["check", "--select", "no_such_rule"]);
    assert_eq!(code(&unknown_rule), 2);
    assert!(
        stderr(&unknown_rule).contains("unknown rule `no_such_rule`"),
        "{}",
        stderr(&unknown_rule)
    );
    let unknown_package = loopfix(ws.path(), &["check", "-p", "gamma"]);
    assert_eq!(code(&unknown_package), 2);
    assert!(stderr(&unknown_package).contains("`gamma` did not match any packages"));
    let unknown_bin = loopfix(ws.path(), &["check", "--bin", "gamma"]);
    assert_eq!(code(&unknown_bin), 2);
    // Ignoring the only rule leaves nothing to find.
    assert_eq!(
        code(&loopfix(
            ws.path(),
            &["check", "--ignore", "nested_block_on"]
        )),
        0
    );
    assert_eq!(
        code(&loopfix(
            ws.path(),
            &["check", "--select", "loopfix::nested_block_on"]
        )),
        1
    );
}

#[test]
fn bad_manifests_and_paths_are_clear_errors() {
    let broken = tree(&[("Cargo.toml", "[package\nname = "), ("src/main.rs", CLEAN)]);
    let out = loopfix(broken.path(), &["check"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.starts_with("error: could not load the cargo workspace"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let out = loopfix(
        broken.path(),
        &["check", "--manifest-path", "does/not/exist"],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("manifest path `does/not/exist` does not exist"),
        "{}",
        stderr(&out)
    );

    let empty = tempfile::tempdir().unwrap();
    let out = loopfix(
        empty.path(),
        &["check", "--manifest-path", empty.path().to_str().unwrap()],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("does not contain a Cargo.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn modules_are_followed_and_problem_files_are_warnings() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("mods", "")),
        (
            "src/lib.rs",
            "mod net;\nmod deep { pub mod inner; }\n#[path = \"elsewhere/custom.rs\"]\nmod custom;\nmod missing;\n#[cfg(windows)]\nmod windows_only;\nmod broken;\nmod quiet;\nmod latin1;\nmod r#ref;\ncfg_if::cfg_if! {\n    if #[cfg(unix)] { mod gated; } else { mod gated_absent; }\n}\n",
        ),
        ("src/net/mod.rs", "mod client;\n"),
        ("src/net/client.rs", LIB_BUGGY),
        ("src/deep/inner.rs", LIB_BUGGY),
        // A gated module whose own children were not shipped (as in published crates).
        ("src/gated.rs", &format!("mod not_shipped;\n{LIB_BUGGY}")),
        ("src/elsewhere/custom.rs", LIB_BUGGY),
        // A raw identifier names the file without `r#`.
        ("src/ref.rs", LIB_BUGGY),
        // A syntax error in one item: the finding in the other item keeps its fix.
        (
            "src/broken.rs",
            "pub async fn ok() -> u32 {\n    futures::executor::block_on(async { 1 })\n}\n\npub async fn bad() -> u32 {\n    futures::executor::block_on(async { 1 }) +\n}\n",
        ),
        // A syntax error where nothing is reported: nothing to withhold, nothing to say.
        (
            "src/quiet.rs",
            "use tokio::sync::Mutex;\n\npub fn oops( {\n",
        ),
        ("target/debug/build/generated.rs", LIB_BUGGY),
        ("nested/Cargo.toml", &manifest("nested", "")),
        ("nested/src/lib.rs", LIB_BUGGY),
    ]);
    std::fs::write(
        ws.path().join("src/latin1.rs"),
        b"// caf\xe9\npub fn f() {}\n",
    )
    .unwrap();
    let out = loopfix(ws.path(), &["check", "--message-format", "short"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "src/broken.rs:2:5: loopfix::nested_block_on: `block_on` called inside an async context\n\
         src/broken.rs:6:5: loopfix::nested_block_on: `block_on` called inside an async context\n\
         src/deep/inner.rs:2:5: loopfix::nested_block_on: `block_on` called inside an async context\n\
         src/elsewhere/custom.rs:2:5: loopfix::nested_block_on: `block_on` called inside an async context\n\
         src/gated.rs:3:5: loopfix::nested_block_on: `block_on` called inside an async context\n\
         src/net/client.rs:2:5: loopfix::nested_block_on: `block_on` called inside an async context\n\
         src/ref.rs:2:5: loopfix::nested_block_on: `block_on` called inside an async context\n"
    );
    let err = stderr(&out);
    assert!(
        err.contains("warning: src/lib.rs:5: file not found for module `missing`"),
        "{err}"
    );
    assert!(
        !err.contains("windows_only"),
        "cfg-gated modules may be absent: {err}"
    );
    assert!(
        !err.contains("gated_absent"),
        "macro-gated modules may be absent: {err}"
    );
    assert!(
        !err.contains("not_shipped"),
        "children of gated modules may be absent: {err}"
    );
    assert!(
        err.contains("warning: src/latin1.rs: skipped: not valid UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("warning: src/broken.rs:6:47: syntax error: expected expression"),
        "{err}"
    );
    assert!(!err.contains("src/quiet.rs"), "{err}");

    // The fix inside the broken item is withheld; the other one applies.
    let out = loopfix(ws.path(), &["apply", "--allow-no-vcs"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let broken = read(ws.path(), "src/broken.rs");
    assert!(
        broken.contains("pub async fn ok() -> u32 {\n    async { 1 }.await\n}"),
        "{broken}"
    );
    assert!(
        broken.contains("futures::executor::block_on(async { 1 }) +\n}"),
        "{broken}"
    );
    assert_eq!(
        std::fs::read(ws.path().join("src/latin1.rs")).unwrap(),
        b"// caf\xe9\npub fn f() {}\n"
    );
}

#[test]
fn apply_refuses_dirty_files_unless_allowed() {
    let ws = two_members();
    committed(ws.path());
    std::fs::write(
        ws.path().join("beta/src/lib.rs"),
        format!("// local edit\n{LIB_BUGGY}"),
    )
    .unwrap();
    let out = loopfix(ws.path(), &["apply"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("beta/src/lib.rs (dirty)"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("alpha/src/main.rs ("),
        "only touched files are checked"
    );
    assert!(
        stdout(&out).contains("+++ b/beta/src/lib.rs"),
        "the pending diff is shown: {}",
        stdout(&out)
    );
    assert_eq!(
        read(ws.path(), "alpha/src/main.rs"),
        BUGGY,
        "nothing is written on refusal"
    );
    assert!(read(ws.path(), "beta/src/lib.rs").starts_with("// local edit\n"));

    // Staged changes: refused too, unless --allow-staged.
    git(ws.path(), &["add", "beta/src/lib.rs"]);
    let out = loopfix(ws.path(), &["apply"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("beta/src/lib.rs (staged)"),
        "{}",
        stderr(&out)
    );
    let out = loopfix(ws.path(), &["apply", "--allow-staged"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(read(ws.path(), "beta/src/lib.rs").contains("async { 2 }.await"));

    // Outside version control: refused unless --allow-no-vcs.
    let plain = two_members();
    let out = loopfix(plain.path(), &["apply"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--allow-no-vcs"), "{}", stderr(&out));
    let out = loopfix(plain.path(), &["apply", "--allow-dirty"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn dry_run_writes_nothing_and_apply_reaches_a_fixpoint() {
    let ws = two_members();
    committed(ws.path());
    let out = loopfix(ws.path(), &["apply", "--dry-run"]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("-    let n = rt.block_on(work());\n+    let n = work().await;\n"),
        "{}",
        stdout(&out)
    );
    assert_eq!(read(ws.path(), "alpha/src/main.rs"), BUGGY);
    assert_eq!(read(ws.path(), "beta/src/lib.rs"), LIB_BUGGY);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = ws.path().join("beta/src/lib.rs");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let out = loopfix(ws.path(), &["apply"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("fixed 2 problems (nested_block_on: 2) in 2 files"),
        "{}",
        stderr(&out)
    );
    let once = (
        read(ws.path(), "alpha/src/main.rs"),
        read(ws.path(), "beta/src/lib.rs"),
    );
    assert!(once.0.contains("let n = work().await;"), "{}", once.0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ws.path().join("beta/src/lib.rs"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640, "permissions are kept");
    }
    let leftovers: Vec<_> = std::fs::read_dir(ws.path().join("beta/src"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("loopfix")
        })
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left behind");

    // Fixpoint: nothing fixable is left; apply twice equals apply once.
    let out = loopfix(ws.path(), &["check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    git(ws.path(), &["commit", "-qam", "fixed"]);
    let out = loopfix(ws.path(), &["apply"]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        (
            read(ws.path(), "alpha/src/main.rs"),
            read(ws.path(), "beta/src/lib.rs")
        ),
        once
    );
}

#[test]
fn check_diff_is_a_patch_git_applies() {
    let ws = two_members();
    committed(ws.path());
    let out = loopfix(ws.path(), &["check", "--diff"]);
    assert_eq!(code(&out), 1);
    let patch = stdout(&out);
    assert!(patch.starts_with("diff --git a/alpha/src/main.rs b/alpha/src/main.rs\n--- a/alpha/src/main.rs\n+++ b/alpha/src/main.rs\n"), "{patch}");
    std::fs::write(ws.path().join("fix.patch"), &patch).unwrap();
    git(ws.path(), &["apply", "fix.patch"]);
    std::fs::remove_file(ws.path().join("fix.patch")).unwrap();
    let out = loopfix(ws.path(), &["check"]);
    assert_eq!(
        code(&out),
        0,
        "the patch fixes everything: {}",
        stderr(&out)
    );
}

#[test]
fn json_is_what_cargo_and_rust_analyzer_read() {
    let ws = two_members();
    let out = loopfix(ws.path(), &["check", "--message-format", "json"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    // The schema check: cargo_metadata's typed messages are what rust-analyzer's flycheck parses.
    let messages: Vec<cargo_metadata::Message> =
        cargo_metadata::Message::parse_stream(text.as_bytes())
            .map(|m| m.unwrap())
            .collect();
    assert_eq!(messages.len(), 3);
    let cargo_metadata::Message::CompilerMessage(first) = &messages[0] else {
        panic!("{text}")
    };
    assert_eq!(first.target.name, "alpha");
    assert_eq!(
        first.message.code.as_ref().unwrap().code,
        "loopfix::nested_block_on"
    );
    assert_eq!(
        first.message.level,
        cargo_metadata::diagnostic::DiagnosticLevel::Error
    );
    let primary = first.message.spans.iter().find(|s| s.is_primary).unwrap();
    assert_eq!(
        (
            primary.file_name.as_str(),
            primary.line_start,
            primary.column_start
        ),
        ("alpha/src/main.rs", 6, 16)
    );
    let suggestion = first
        .message
        .children
        .iter()
        .flat_map(|c| &c.spans)
        .find(|s| s.suggested_replacement.is_some())
        .unwrap();
    assert_eq!(
        suggestion.suggested_replacement.as_deref(),
        Some("work().await")
    );
    assert_eq!(
        suggestion.suggestion_applicability,
        Some(cargo_metadata::diagnostic::Applicability::MachineApplicable)
    );
    assert!(matches!(messages[2], cargo_metadata::Message::BuildFinished(ref f) if !f.success));

    let root = ws.path().canonicalize().unwrap();
    let shown = text.replace(root.to_str().unwrap(), "[ROOT]");
    let pretty: Vec<String> = shown
        .lines()
        .map(|l| {
            serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(l).unwrap())
                .unwrap()
        })
        .collect();
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("cli__json_two_members", pretty.join("\n"));
    });
}

#[test]
fn colour_follows_flag_then_cargo_term_color_then_no_color() {
    let ws = two_members();
    let has_ansi = |out: &Output| stderr(out).contains("\u{1b}[");
    assert!(
        !has_ansi(&loopfix(ws.path(), &["check"])),
        "not a terminal: no colour"
    );
    assert!(has_ansi(&loopfix(
        ws.path(),
        &["check", "--color", "always"]
    )));
    let with_env = |key: &str, value: &str, args: &[&str]| {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_cargo-loopfix"));
        Command::new(bin)
            .args(args)
            .current_dir(ws.path())
            .env(key, value)
            .output()
            .unwrap()
    };
    assert!(has_ansi(&with_env(
        "CARGO_TERM_COLOR",
        "always",
        &["check"]
    )));
    assert!(!has_ansi(&with_env(
        "CARGO_TERM_COLOR",
        "always",
        &["check", "--color", "never"]
    )));
    assert!(!has_ansi(&with_env(
        "NO_COLOR",
        "1",
        &["check", "--color", "auto"]
    )));
}

#[test]
fn rules_rule_and_help() {
    let ws = two_members();
    let out = loopfix(ws.path(), &["rules"]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).contains("loopfix::nested_block_on"),
        "{}",
        stdout(&out)
    );
    let out = loopfix(ws.path(), &["rule", "nested_block_on"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("## Fix safety"));
    let out = loopfix(ws.path(), &["rule", "nope"]);
    assert_eq!(code(&out), 2);

    // `cargo help loopfix` runs `cargo-loopfix loopfix --help`.
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cargo-loopfix"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["help", "loopfix"])
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Usage: cargo loopfix"),
        "{}",
        stdout(&out)
    );

    // The binary run directly takes the same commands.
    let out = Command::new(&bin)
        .args(["check", "-q"])
        .current_dir(ws.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
}

#[test]
fn fixes_that_need_a_cargo_feature_enable_it_in_the_manifest() {
    let source = "#[tokio::main(flavor = \"current_thread\")]\nasync fn main() {\n    tokio::task::block_in_place(|| 1);\n}\n";
    let manifest = "[package]\nname = \"feat\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n# the runtime\ntokio = { version = \"1\", features = [\"rt\", \"macros\"] }\n";
    let ws = tree(&[("Cargo.toml", manifest), ("src/main.rs", source)]);
    let out = loopfix(ws.path(), &["check", "--color", "never"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("+ Cargo.toml: enable feature `rt-multi-thread` of `tokio`"),
        "{}",
        stderr(&out)
    );
    let out = loopfix(ws.path(), &["check", "--diff"]);
    let patch = stdout(&out);
    assert!(
        patch.contains("+#[tokio::main(flavor = \"multi_thread\")]"),
        "{patch}"
    );
    assert!(
        patch.contains("--- a/Cargo.toml\n+++ b/Cargo.toml\n"),
        "{patch}"
    );
    assert!(
        patch.contains(
            "+tokio = { version = \"1\", features = [\"rt\", \"macros\", \"rt-multi-thread\"] }"
        ),
        "{patch}"
    );
    let out = loopfix(ws.path(), &["apply", "--allow-no-vcs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(read(ws.path(), "Cargo.toml").contains("# the runtime\ntokio = { version = \"1\", features = [\"rt\", \"macros\", \"rt-multi-thread\"] }"));
    assert_eq!(code(&loopfix(ws.path(), &["check"])), 0);
}

#[test]
fn the_readme_demo_finds_its_bugs_and_apply_fixes_them() {
    // README: `cargo loopfix check --manifest-path examples/demo/Cargo.toml`.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = loopfix(
        repo,
        &[
            "check",
            "--manifest-path",
            "examples/demo/Cargo.toml",
            "--color",
            "never",
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).ends_with("found 4 problems (nested_block_on: 3, runtime_missing_drivers: 1); 4 fixable with `cargo loopfix apply`\n"),
        "{}",
        stderr(&out)
    );
    // Applied to a copy, every fix lands and nothing is left.
    let copy = tempfile::tempdir().unwrap();
    common::copy_dir(&repo.join("examples/demo"), copy.path());
    let out = loopfix(copy.path(), &["apply", "--allow-no-vcs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&loopfix(copy.path(), &["check"])), 0);
    assert!(
        !repo.join("examples/demo/Cargo.lock").exists(),
        "checking the demo writes no Cargo.lock"
    );
}

#[test]
fn a_sync_main_that_needs_a_runtime_can_get_tokio_main() {
    let source = "fn main() {\n    tokio::spawn(async {});\n}\n";
    let ws = tree(&[
        ("Cargo.toml", &manifest("needs_rt", "")),
        ("src/main.rs", source),
    ]);
    let out = loopfix(ws.path(), &["check", "--diff", "--unsafe-fixes"]);
    assert_eq!(code(&out), 1);
    assert!(
        // The spawned task is then lost when `main` returns: the next pass keeps and awaits it.
        stdout(&out).contains("-fn main() {\n-    tokio::spawn(async {});\n+#[tokio::main]\n+async fn main() {\n+    let task = tokio::spawn(async {});\n+    task.await.unwrap();\n"),
        "{}",
        stdout(&out)
    );
    // Safe fixes only: nothing to apply.
    assert!(stdout(&loopfix(ws.path(), &["check", "--diff"])).is_empty());
}

#[test]
fn two_tokio_versions_in_cargo_lock_are_reported_on_binaries() {
    let lock = "version = 3\n\n[[package]]\nname = \"old\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"tokio\"\nversion = \"0.2.25\"\n\n[[package]]\nname = \"tokio\"\nversion = \"1.40.0\"\n";
    let ws = tree(&[
        ("Cargo.toml", &manifest("old", "")),
        ("src/main.rs", CLEAN),
        ("Cargo.lock", lock),
    ]);
    let out = loopfix(ws.path(), &["check", "--color", "never"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "warning[loopfix::mixed_runtimes]: two incompatible Tokio versions in one build"
        ),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("Cargo.lock has tokio 0.2.25 and tokio 1.40.0"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        read(ws.path(), "Cargo.lock"),
        lock,
        "the lock file is only read"
    );
}

#[test]
fn a_second_runtime_in_a_binary_is_reported() {
    let source = "#[tokio::main]\nasync fn main() {\n    tokio::task::spawn_blocking(report).await.unwrap();\n}\n\nfn report() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.block_on(async {});\n}\n";
    let ws = tree(&[
        ("Cargo.toml", &manifest("two_rts", "")),
        ("src/main.rs", source),
    ]);
    let out = loopfix(ws.path(), &["check", "--color", "never"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("this binary builds 2 runtimes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn off_thread_apis_are_configurable_in_cargo_metadata() {
    let source = "mod pool {\n    pub fn map<F: FnOnce() + Send + 'static>(f: F) {\n        std::thread::spawn(f);\n    }\n}\n\npub async fn work() {}\n\npub async fn f() {\n    pool::map(|| futures::executor::block_on(work()));\n}\n";
    let plain = tree(&[
        ("Cargo.toml", &manifest("cfg_plain", "")),
        ("src/lib.rs", source),
    ]);
    assert_eq!(
        code(&loopfix(plain.path(), &["check", "-q"])),
        1,
        "`map` is taken to run its closure on the task"
    );
    let extra = "\n[package.metadata.loopfix]\noff-thread = [\"pool::map\"]\n";
    let configured = tree(&[
        ("Cargo.toml", &format!("{}{extra}", manifest("cfg_set", ""))),
        ("src/lib.rs", source),
    ]);
    let out = loopfix(configured.path(), &["check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn client_types_are_configurable_in_cargo_metadata() {
    let source = "pub mod api {\n    pub struct ApiClient;\n    impl ApiClient {\n        pub fn new() -> ApiClient {\n            ApiClient\n        }\n        pub async fn call(&self) {}\n    }\n}\n\nstatic API: std::sync::LazyLock<api::ApiClient> = std::sync::LazyLock::new(api::ApiClient::new);\n\npub async fn poll() {\n    for _ in 0..3 {\n        let client = api::ApiClient::new();\n        client.call().await;\n    }\n}\n\n#[tokio::test]\nasync fn first() {\n    API.call().await;\n}\n\n#[tokio::test]\nasync fn second() {\n    API.call().await;\n}\n";
    let plain = tree(&[
        ("Cargo.toml", &manifest("clients_plain", "")),
        ("src/lib.rs", source),
    ]);
    let out = loopfix(plain.path(), &["check", "-q"]);
    assert_eq!(
        code(&out),
        0,
        "a type of the crate is not a client: {}",
        stdout(&out)
    );
    let extra = "\n[workspace.metadata.loopfix]\nclients = [\"api::ApiClient\"]\n";
    let configured = tree(&[
        (
            "Cargo.toml",
            &format!("{}{extra}", manifest("clients_set", "")),
        ),
        ("src/lib.rs", source),
    ]);
    let out = loopfix(configured.path(), &["check", "--message-format", "short"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "src/lib.rs:11:8: loopfix::client_outlives_runtime: `API` holds a `api::ApiClient` shared by 2 runtimes\nsrc/lib.rs:15:13: loopfix::client_per_request: client with a connection pool built on every loop iteration\n"
    );
}

#[test]
fn a_static_client_used_from_other_files_becomes_a_constructor_everywhere() {
    let ws = tree(&[
        (
            "Cargo.toml",
            &manifest("clients_files", "reqwest = \"0.12\"\n"),
        ),
        (
            "src/lib.rs",
            "pub mod shared;\n#[cfg(test)]\nmod api_tests;\n",
        ),
        (
            "src/shared.rs",
            "use std::sync::LazyLock;\n\npub static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);\n",
        ),
        (
            "src/api_tests.rs",
            "use crate::shared::CLIENT;\n\n#[tokio::test]\nasync fn a() {\n    CLIENT.get(\"http://127.0.0.1:1\");\n}\n\n#[tokio::test]\nasync fn b() {\n    let c = &*crate::shared::CLIENT;\n    c.get(\"http://127.0.0.1:1\");\n}\n",
        ),
    ]);
    let out = loopfix(ws.path(), &["apply", "--unsafe-fixes", "--allow-no-vcs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let read = |p: &str| std::fs::read_to_string(ws.path().join(p)).unwrap();
    assert_eq!(
        read("src/shared.rs"),
        "use std::sync::LazyLock;\n\npub fn client() -> reqwest::Client {\n    reqwest::Client::new()\n}\n"
    );
    assert_eq!(
        read("src/api_tests.rs"),
        "use crate::shared::client;\n\n#[tokio::test]\nasync fn a() {\n    client().get(\"http://127.0.0.1:1\");\n}\n\n#[tokio::test]\nasync fn b() {\n    let c = &crate::shared::client();\n    c.get(\"http://127.0.0.1:1\");\n}\n"
    );
}

#[test]
fn a_public_static_client_named_in_a_file_the_check_let_go_of_gets_no_fix() {
    // `docs.rs` names `CLIENT` only in a comment (a macro elsewhere may take it): no use the
    // graph resolves, so turning the static into a function could break it. The check let go of
    // that file's text (nothing in its code matters) and reads it again for this test.
    let files = |docs: &str| {
        tree(&[
            (
                "Cargo.toml",
                &manifest("clients_released", "reqwest = \"0.12\"\n"),
            ),
            (
                "src/lib.rs",
                "pub mod docs;\npub mod shared;\n#[cfg(test)]\nmod api_tests;\n",
            ),
            (
                "src/shared.rs",
                "use std::sync::LazyLock;\n\npub static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);\n",
            ),
            (
                "src/api_tests.rs",
                "use crate::shared::CLIENT;\n\n#[tokio::test]\nasync fn a() {\n    CLIENT.get(\"http://127.0.0.1:1\");\n}\n\n#[tokio::test]\nasync fn b() {\n    CLIENT.get(\"http://127.0.0.1:1\");\n}\n",
            ),
            ("src/docs.rs", docs),
        ])
    };
    let add = "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n";
    let check = |ws: &tempfile::TempDir| {
        let out = loopfix(ws.path(), &["check", "--no-cache", "--color", "never"]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        format!("{}{}", stdout(&out), stderr(&out))
    };
    let plain = check(&files(add));
    assert!(
        plain.contains("= fix: make `CLIENT` a constructor function `client()`"),
        "{plain}"
    );
    let named = check(&files(&format!(
        "//! Share `CLIENT` through `some_macro!(CLIENT)`.\n{add}"
    )));
    assert!(
        named.contains("`CLIENT` holds a `reqwest::Client`"),
        "{named}"
    );
    assert!(!named.contains("= fix:"), "{named}");
}

#[test]
fn blocking_functions_are_configurable_in_cargo_metadata() {
    let source = "pub mod legacy {\n    pub fn query_sync() -> u32 {\n        7\n    }\n}\n\npub async fn handler() -> u32 {\n    legacy::query_sync()\n}\n";
    let plain = tree(&[
        ("Cargo.toml", &manifest("blocking_plain", "")),
        ("src/lib.rs", source),
    ]);
    assert_eq!(code(&loopfix(plain.path(), &["check", "-q"])), 0);
    let extra = "\n[package.metadata.loopfix]\nblocking = [\"legacy::query_sync\"]\n";
    let configured = tree(&[
        (
            "Cargo.toml",
            &format!("{}{extra}", manifest("blocking_set", "")),
        ),
        ("src/lib.rs", source),
    ]);
    let out = loopfix(configured.path(), &["check", "--message-format", "short"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "src/lib.rs:8:5: loopfix::blocking_call_in_async: call that blocks the thread made in async code\n"
    );
}

#[test]
fn blocking_calls_in_a_build_script_are_fine() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("with_build_rs", "")),
        (
            "build.rs",
            "fn main() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    let _ = std::fs::read_to_string(\"schema.sql\");\n}\n",
        ),
        (
            "src/lib.rs",
            "pub async fn slow() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
        ),
    ]);
    let out = loopfix(ws.path(), &["check", "--message-format", "short"]);
    // Only the library's async fn: the build script's `main` is sync code.
    assert_eq!(
        stdout(&out),
        "src/lib.rs:2:5: loopfix::blocking_call_in_async: call that blocks the thread made in async code\n",
        "{}",
        stderr(&out)
    );
}

#[test]
fn machine_reports_go_to_a_file_while_the_terminal_gets_the_human_report() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("reports", "")),
        ("src/lib.rs", LIB_BUGGY),
    ]);
    let summary = ws.path().join("summary.md");
    let out = common::loopfix_command(
        ws.path(),
        &[
            "check",
            "--message-format",
            "sarif",
            "--output-file",
            "report.sarif",
        ],
    )
    .env("GITHUB_STEP_SUMMARY", &summary)
    .output()
    .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("error[loopfix::nested_block_on]"),
        "{}",
        stderr(&out)
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("report.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);
    assert!(
        !summary.exists(),
        "only the github format writes the step summary"
    );

    for format in ["rdjson", "rdjsonl", "gitlab", "junit"] {
        let out = loopfix(ws.path(), &["check", "--message-format", format]);
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("nested_block_on"),
            "{format}: {}",
            stdout(&out)
        );
    }
    let out = common::loopfix_command(ws.path(), &["check", "--message-format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert!(
        stdout(&out).starts_with("::error file=src/lib.rs,line=2,"),
        "{}",
        stdout(&out)
    );
    let table = std::fs::read_to_string(&summary).unwrap();
    assert!(
        table.contains("| `src/lib.rs:2:5` | `loopfix::nested_block_on` |"),
        "{table}"
    );
}

#[test]
fn suppressions_can_be_added_for_every_finding_and_go_stale() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("adopt", "")),
        ("src/lib.rs", LIB_BUGGY),
    ]);
    let out = loopfix(
        ws.path(),
        &["apply", "--add-suppressions", "--allow-no-vcs"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("suppressed 1 problem with comments in 1 file"),
        "{}",
        stderr(&out)
    );
    let lib = std::fs::read_to_string(ws.path().join("src/lib.rs")).unwrap();
    assert_eq!(
        lib,
        "pub async fn get() -> u32 {\n    // loopfix: allow(nested_block_on)\n    futures::executor::block_on(async { 2 })\n}\n"
    );
    assert_eq!(code(&loopfix(ws.path(), &["check"])), 0);
    // The code is fixed by hand: the suppression now suppresses nothing, and `apply` removes it.
    std::fs::write(
        ws.path().join("src/lib.rs"),
        lib.replace("futures::executor::block_on(async { 2 })", "2"),
    )
    .unwrap();
    let out = loopfix(ws.path(), &["check", "--message-format", "short"]);
    assert_eq!(
        stdout(&out),
        "src/lib.rs:2:5: loopfix::unused_suppression: suppression of `nested_block_on` suppresses nothing\n"
    );
    assert_eq!(code(&loopfix(ws.path(), &["apply", "--allow-no-vcs"])), 0);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("src/lib.rs")).unwrap(),
        "pub async fn get() -> u32 {\n    2\n}\n"
    );
}

#[test]
fn configuration_levels_paths_exclusions_and_generated_files() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("configured", "")),
        (
            "loopfix.toml",
            "levels = { nested_block_on = \"warn\" }\nper-path-ignores = { \"src/legacy/**\" = [\"nested_block_on\"] }\nexclude = [\"src/vendored.rs\"]\n",
        ),
        (
            "src/lib.rs",
            &format!("mod legacy;\nmod vendored;\nmod generated;\n{LIB_BUGGY}"),
        ),
        ("src/legacy/mod.rs", LIB_BUGGY),
        ("src/vendored.rs", LIB_BUGGY),
        (
            "src/generated.rs",
            &format!("// @generated by a build step\n{LIB_BUGGY}"),
        ),
    ]);
    let out = loopfix(ws.path(), &["check", "--color", "never"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning[loopfix::nested_block_on]"),
        "deny by default, warn by level: {err}"
    );
    assert_eq!(
        err.matches("[loopfix::").count(),
        1,
        "only src/lib.rs: {err}"
    );
    assert!(err.contains("--> src/lib.rs:5:5"), "{err}");

    // The command line's selection wins over the table's.
    std::fs::write(
        ws.path().join("loopfix.toml"),
        "ignore = [\"nested_block_on\"]\n",
    )
    .unwrap();
    assert_eq!(code(&loopfix(ws.path(), &["check"])), 0);
    assert_eq!(
        code(&loopfix(
            ws.path(),
            &["check", "--select", "nested_block_on"]
        )),
        1
    );
    let config = stdout(&loopfix(ws.path(), &["config"]));
    assert!(
        config.contains("# the workspace: [workspace.metadata.loopfix], then loopfix.toml"),
        "{config}"
    );
    assert!(
        !config.contains("\"nested_block_on\""),
        "ignored rules are not listed: {config}"
    );
}

#[test]
fn configuration_mistakes_are_errors_that_suggest_the_fix() {
    for (extra, file, expected) in [
        (
            "\n[package.metadata.loopfix]\nselct = []\n",
            None,
            "unknown key `selct` in [package.metadata.loopfix]",
        ),
        (
            "\n[package.metadata.loopfix]\nignore = [\"runtime_per_cal\"]\n",
            None,
            "did you mean `runtime_per_call`?",
        ),
        (
            "\n[package.metadata.loopfix]\nlevels = \"deny\"\n",
            None,
            "`levels` in [package.metadata.loopfix]",
        ),
        ("", Some("select = [\n"), "loopfix.toml is not valid TOML"),
    ] {
        let mut files = vec![
            (
                "Cargo.toml".to_owned(),
                format!("{}{extra}", manifest("bad_config", "")),
            ),
            ("src/lib.rs".to_owned(), LIB_BUGGY.to_owned()),
        ];
        if let Some(text) = file {
            files.push(("loopfix.toml".to_owned(), text.to_owned()));
        }
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let ws = tree(&refs);
        let out = loopfix(ws.path(), &["check"]);
        assert_eq!(code(&out), 2, "{expected}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{expected}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn unsafe_fixes_can_be_the_default() {
    let source = "pub fn main_like() {}\n#[tokio::main]\nasync fn main() {\n    tokio::spawn(async {});\n}\n";
    let ws = tree(&[
        (
            "Cargo.toml",
            &format!(
                "{}\n[package.metadata.loopfix]\nunsafe-fixes = true\n",
                manifest("unsafe_default", "")
            ),
        ),
        ("src/main.rs", source),
    ]);
    let out = loopfix(ws.path(), &["apply", "--allow-no-vcs", "--no-unsafe-fixes"]);
    assert_eq!(code(&out), 1, "the only fix is unsafe: {}", stderr(&out));
    let out = loopfix(ws.path(), &["apply", "--allow-no-vcs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(ws.path().join("src/main.rs"))
            .unwrap()
            .contains("task.await.unwrap();")
    );
}

#[test]
fn init_writes_a_starter_table_and_the_workflow_once() {
    let original = format!("# my crate\n{}", manifest("fresh", ""));
    let ws = tree(&[("Cargo.toml", &original), ("src/lib.rs", "pub fn f() {}\n")]);
    let out = loopfix(ws.path(), &["init", "--github-workflow"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let manifest_text = std::fs::read_to_string(ws.path().join("Cargo.toml")).unwrap();
    assert!(
        manifest_text.starts_with(&original),
        "the file is kept as it was: {manifest_text}"
    );
    assert!(
        manifest_text
            .contains("\n[package.metadata.loopfix]\n# cargo-loopfix: every key is optional"),
        "{manifest_text}"
    );
    let workflow =
        std::fs::read_to_string(ws.path().join(".github/workflows/loopfix.yml")).unwrap();
    assert_eq!(workflow, cargo_loopfix::commands::config::GITHUB_WORKFLOW);
    // The starter table is valid configuration, and a second `init` refuses.
    assert_eq!(code(&loopfix(ws.path(), &["check"])), 0);
    let again = loopfix(ws.path(), &["init"]);
    assert_eq!(code(&again), 2);
    assert!(
        stderr(&again).contains("already has a [package.metadata.loopfix] table"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_package_table_replaces_the_workspace_table_or_inherits_it() {
    let workspace = "[workspace]\nmembers = [\"alpha\", \"beta\", \"gamma\"]\nresolver = \"2\"\n\n[workspace.metadata.loopfix]\nlevels = { nested_block_on = \"warn\" }\n";
    let ws = tree(&[
        ("Cargo.toml", workspace),
        // No table: the workspace's.
        ("alpha/Cargo.toml", &manifest("alpha", "")),
        ("alpha/src/lib.rs", LIB_BUGGY),
        // Its own table replaces the workspace's: `deny` is back.
        (
            "beta/Cargo.toml",
            &format!(
                "{}\n[package.metadata.loopfix]\nexclude = []\n",
                manifest("beta", "")
            ),
        ),
        ("beta/src/lib.rs", LIB_BUGGY),
        // `workspace = true`: the workspace's levels, and its own `ignore`.
        (
            "gamma/Cargo.toml",
            &format!(
                "{}\n[package.metadata.loopfix]\nworkspace = true\nignore = [\"nested_block_on\"]\n",
                manifest("gamma", "")
            ),
        ),
        ("gamma/src/lib.rs", LIB_BUGGY),
    ]);
    let out = loopfix(ws.path(), &["check", "--workspace", "--color", "never"]);
    let err = stderr(&out);
    let header = |level: &str, path: &str| {
        format!(
            "{level}[loopfix::nested_block_on]: `block_on` called inside an async context\n --> {path}"
        )
    };
    assert!(
        err.contains(&header("warning", "alpha/src/lib.rs")),
        "{err}"
    );
    assert!(err.contains(&header("error", "beta/src/lib.rs")), "{err}");
    assert!(!err.contains("gamma/src/lib.rs"), "{err}");
    let config = stdout(&loopfix(ws.path(), &["config", "--workspace"]));
    assert!(config.contains("[package.beta]"), "{config}");
    assert!(config.contains("[package.gamma]"), "{config}");
    assert!(
        !config.contains("[package.alpha]"),
        "same as the workspace: {config}"
    );
}

#[test]
fn a_failed_write_restores_every_file_already_written() {
    let ws = two_members();
    let before = (
        std::fs::read_to_string(ws.path().join("alpha/src/main.rs")).unwrap(),
        std::fs::read_to_string(ws.path().join("beta/src/lib.rs")).unwrap(),
    );
    // alpha's file is replaced first, then beta's fails.
    let out = common::loopfix_command(ws.path(), &["apply", "--workspace", "--allow-no-vcs"])
        .env("LOOPFIX_TEST_FAIL_WRITE", "beta/src/lib.rs")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("beta/src/lib.rs`: simulated failure (LOOPFIX_TEST_FAIL_WRITE); 1 already written restored"),
        "{}",
        stderr(&out)
    );
    let after = (
        std::fs::read_to_string(ws.path().join("alpha/src/main.rs")).unwrap(),
        std::fs::read_to_string(ws.path().join("beta/src/lib.rs")).unwrap(),
    );
    assert_eq!(before, after, "nothing is half written");
    let leftovers: Vec<_> = std::fs::read_dir(ws.path().join("alpha/src"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".loopfix-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_file_changed_since_it_was_read_is_not_overwritten() {
    let ws = two_members();
    let out = common::loopfix_command(ws.path(), &["apply", "--workspace", "--allow-no-vcs"])
        .env(
            "LOOPFIX_TEST_CHANGE_BEFORE_WRITE",
            ws.path().join("beta/src/lib.rs"),
        )
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("beta/src/lib.rs` changed on disk since it was read; nothing was written"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("alpha/src/main.rs")).unwrap(),
        BUGGY,
        "not even the other file"
    );
    assert!(
        std::fs::read_to_string(ws.path().join("beta/src/lib.rs"))
            .unwrap()
            .ends_with("// edited meanwhile\n")
    );
}

#[test]
fn a_byte_order_mark_and_a_missing_final_newline_survive_a_fix() {
    let source =
        "\u{feff}pub async fn get() -> u32 {\n    futures::executor::block_on(async { 2 })\n}";
    let ws = tree(&[("Cargo.toml", &manifest("bom", "")), ("src/lib.rs", source)]);
    let out = loopfix(ws.path(), &["apply", "--allow-no-vcs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(ws.path().join("src/lib.rs")).unwrap(),
        "\u{feff}pub async fn get() -> u32 {\n    async { 2 }.await\n}"
    );
}

#[test]
fn fixes_never_write_outside_the_workspace() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("outside.rs"), LIB_BUGGY).unwrap();
    let ws_dir = outer.path().join("ws");
    for (path, text) in [
        ("Cargo.toml", manifest("inside", "")),
        (
            "src/lib.rs",
            "#[path = \"../../outside.rs\"]\nmod outside;\nmod linked;\n".to_owned(),
        ),
    ] {
        let full = ws_dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    // A module file that is a symlink to a file outside the workspace.
    std::fs::write(outer.path().join("target_of_link.rs"), LIB_BUGGY).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        outer.path().join("target_of_link.rs"),
        ws_dir.join("src/linked.rs"),
    )
    .unwrap();
    let out = loopfix(&ws_dir, &["apply", "--allow-no-vcs", "--color", "never"]);
    assert_eq!(code(&out), 1, "the findings stay: {}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(outer.path().join("outside.rs")).unwrap(),
        LIB_BUGGY
    );
    assert_eq!(
        std::fs::read_to_string(outer.path().join("target_of_link.rs")).unwrap(),
        LIB_BUGGY
    );
    let check = loopfix(&ws_dir, &["check", "--color", "never"]);
    assert!(
        stderr(&check).contains("no fix is offered: it would edit"),
        "{}",
        stderr(&check)
    );
}

/// `cargo loopfix <args>` in `dir`, with the prefilter, then parsing every file.
fn with_and_without_prefilter(
    dir: &std::path::Path,
    args: &[&str],
) -> (std::process::Output, std::process::Output) {
    let filtered = loopfix(dir, args);
    let all = common::loopfix_command(dir, args)
        .env("LOOPFIX_PARSE_ALL", "1")
        .output()
        .unwrap();
    (filtered, all)
}

/// Checks `dir` with the prefilter and parsing every file (`-v`, short format): a finding at
/// `finding` (the start of its line), the same findings both ways, and the prefilter's counts
/// `filtered` and `all` (the `-v` line after `prefilter: `).
fn assert_prefiltered(dir: &std::path::Path, finding: &str, filtered: &str, all: &str) {
    let (with, without) =
        with_and_without_prefilter(dir, &["check", "-v", "--message-format", "short"]);
    assert_eq!(code(&with), 1, "{}", stderr(&with));
    assert!(stdout(&with).contains(finding), "{}", stdout(&with));
    assert_eq!(stdout(&with), stdout(&without));
    for (out, counts) in [(&with, filtered), (&without, all)] {
        let line = format!("prefilter: {counts}\n");
        assert!(stderr(out).contains(&line), "{line}{}", stderr(out));
    }
}

/// A package where async `main` reaches `std::thread::sleep` through a file without any runtime
/// word (`middle.rs`: only the names of the functions it calls), beside an unrelated file.
fn chain() -> tempfile::TempDir {
    tree(&[
        ("Cargo.toml", &manifest("chain", "")),
        (
            "src/main.rs",
            "mod middle;\nmod deep;\nmod unrelated;\n\n#[tokio::main]\nasync fn main() {\n    middle::step();\n}\n",
        ),
        (
            "src/middle.rs",
            "pub fn step() {\n    crate::deep::settle(3);\n}\n",
        ),
        (
            "src/deep.rs",
            "pub fn settle(n: u64) {\n    std::thread::sleep(std::time::Duration::from_millis(n));\n}\n",
        ),
        (
            "src/unrelated.rs",
            "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n",
        ),
    ])
}

/// The prefilter parses the files that can matter and what they pull in: a chain from async code
/// to a blocking call through a file without any runtime word is still followed, an unrelated
/// file is not parsed, and the findings are those of parsing every file.
#[test]
fn the_prefilter_keeps_chains_through_plain_files_and_skips_unrelated_ones() {
    let ws = chain();
    // main.rs and deep.rs are seeds, middle.rs names `settle`; unrelated.rs names nothing.
    assert_prefiltered(
        ws.path(),
        "src/deep.rs:2:5: loopfix::blocking_call_in_async:",
        "3 files summarised, 2 of them checked by the rules (1 walked: where a rule can report)",
        "4 files summarised, 4 of them checked by the rules (4 walked: where a rule can report)",
    );
}

/// What a file cannot name does not pull it in: a runtime word in a comment is not code, a word
/// inside an attribute (`all` in `#[cfg(all(..))]`) names no function, and a function of a test
/// target (`b`) cannot be named from the library (where `b` is only a parameter). The findings
/// are those of parsing every file.
#[test]
fn the_prefilter_skips_comments_attributes_and_names_out_of_reach() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("scoped", "")),
        (
            "src/lib.rs",
            "mod util;\n\n// Runs on tokio, in a spawned task.\n#[cfg(all(unix, not(windows)))]\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n",
        ),
        (
            "src/util.rs",
            "pub fn all() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
        ),
        (
            "tests/it.rs",
            "fn b() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n\n#[tokio::test]\nasync fn t() {\n    b();\n}\n",
        ),
    ]);
    // util.rs and tests/it.rs are seeds; lib.rs is neither a seed nor pulled in.
    assert_prefiltered(
        ws.path(),
        "tests/it.rs:2:5: loopfix::blocking_call_in_async:",
        "2 files summarised, 2 of them checked by the rules (1 walked: where a rule can report)",
        "3 files summarised, 3 of them checked by the rules (3 walked: where a rule can report)",
    );
}

/// Nothing calls a test: a test function that blocks does not pull in the files that name a
/// function of the same name (`refresh` in `plain.rs`), while the library function that blocks
/// in async code is found. The findings are those of parsing every file.
#[test]
fn the_prefilter_does_not_follow_the_names_of_tests() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("tested", "")),
        (
            "src/lib.rs",
            "mod util;
mod plain;
",
        ),
        (
            "src/util.rs",
            "pub async fn tick() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n\n#[test]\nfn refresh() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
        ),
        (
            "src/plain.rs",
            "pub fn refresh() {}\n\npub fn go() {\n    refresh();\n}\n",
        ),
    ]);
    // util.rs is the seed; plain.rs names only `refresh`, which is a test's name there.
    assert_prefiltered(
        ws.path(),
        "src/util.rs:2:5: loopfix::blocking_call_in_async:",
        "1 files summarised, 1 of them checked by the rules (1 walked: where a rule can report)",
        "3 files summarised, 3 of them checked by the rules (3 walked: where a rule can report)",
    );
}

/// A file that only re-exports is read for its `use` items alone, and paths still resolve
/// through it: the chain from `main` through `reexp::sync::store::load` is found.
#[test]
fn the_prefilter_reads_reexports_from_their_use_items() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("reexp", "")),
        ("src/lib.rs", "pub mod cache;\npub mod sync;\n"),
        (
            "src/sync.rs",
            "pub use crate::cache as store;\n\npub fn other() -> u32 {\n    2\n}\n",
        ),
        (
            "src/cache.rs",
            "pub fn load() -> u32 {\n    futures::executor::block_on(async { 1 })\n}\n",
        ),
        (
            "src/main.rs",
            "#[tokio::main]\nasync fn main() {\n    println!(\"{}\", reexp::sync::store::load());\n}\n",
        ),
    ]);
    assert_prefiltered(
        ws.path(),
        "src/cache.rs:2:5: loopfix::nested_block_on:",
        "3 files summarised (1 only for their `use` items), 2 of them checked by the rules (1 walked: where a rule can report)",
        "4 files summarised, 4 of them checked by the rules (4 walked: where a rule can report)",
    );
}

/// A runtime reaches code through async functions too: a file that only passes a future along
/// (no runtime word in it) is still parsed, so a fix that is safe only on Tokio stays unsafe when
/// a `futures` executor also drives the code through that file.
#[test]
fn the_prefilter_follows_async_callers_to_every_runtime() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("relay", "")),
        (
            "src/main.rs",
            "mod relay;\nmod deep;\n\n#[tokio::main]\nasync fn main() {\n    deep::nap().await;\n}\n\nfn other() {\n    futures::executor::block_on(relay::pass());\n}\n",
        ),
        (
            "src/relay.rs",
            "pub async fn pass() {\n    crate::deep::nap().await;\n}\n",
        ),
        (
            "src/deep.rs",
            "pub async fn nap() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
        ),
    ]);
    let (filtered, all) = with_and_without_prefilter(ws.path(), &["check"]);
    assert_eq!(code(&filtered), 1, "{}", stderr(&filtered));
    assert!(
        stderr(&filtered).contains("with `cargo loopfix apply --unsafe-fixes`"),
        "the sleep fix is unsafe here: {}",
        stderr(&filtered)
    );
    assert_eq!(stdout(&filtered), stdout(&all));
    assert_eq!(stderr(&filtered), stderr(&all));
}

/// A second check of an unchanged workspace reads the first one's results from
/// `target/loopfix/`: the same report, without analysing again. Any change to a file is a full run;
/// `--no-cache` neither reads nor writes; a corrupt entry is a miss, never an error.
#[test]
fn an_unchanged_workspace_is_checked_from_the_cache() {
    let ws = tree(&[
        ("Cargo.toml", &manifest("cached", "")),
        ("src/main.rs", BUGGY),
    ]);
    let args = ["check", "-v", "--message-format", "short"];
    let hit = "cache: the results of an identical earlier run";
    let first = loopfix(ws.path(), &args);
    assert_eq!(code(&first), 1, "{}", stderr(&first));
    assert!(!stderr(&first).contains(hit), "{}", stderr(&first));
    let entries = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir.join("target/loopfix"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    assert_eq!(entries(ws.path()).len(), 1);

    let second = loopfix(ws.path(), &args);
    assert!(stderr(&second).contains(hit), "{}", stderr(&second));
    assert_eq!(code(&second), 1);
    assert_eq!(stdout(&second), stdout(&first));
    // The human report, fixes and all, is the same too.
    let human = |dir: &Path| stderr(&loopfix(dir, &["check"]));
    assert_eq!(human(ws.path()), human(ws.path()));

    // Without the cache: analysed again, nothing written.
    let fresh = loopfix(
        ws.path(),
        &["check", "-v", "--no-cache", "--message-format", "short"],
    );
    assert!(!stderr(&fresh).contains(hit), "{}", stderr(&fresh));
    assert_eq!(stdout(&fresh), stdout(&first));

    // A corrupt entry is a miss, and is replaced.
    for entry in entries(ws.path()) {
        std::fs::write(entry, "{ not json").unwrap();
    }
    let after_corruption = loopfix(ws.path(), &args);
    assert_eq!(code(&after_corruption), 1, "{}", stderr(&after_corruption));
    assert!(!stderr(&after_corruption).contains(hit));
    assert_eq!(stdout(&after_corruption), stdout(&first));

    // The bug fixed by hand: a full run that finds nothing.
    std::fs::write(ws.path().join("src/main.rs"), CLEAN).unwrap();
    let fixed = loopfix(ws.path(), &args);
    assert_eq!(code(&fixed), 0, "{}", stderr(&fixed));
    assert!(!stderr(&fixed).contains(hit), "{}", stderr(&fixed));
    // And back: the first run's entry answers again.
    std::fs::write(ws.path().join("src/main.rs"), BUGGY).unwrap();
    let back = loopfix(ws.path(), &args);
    assert!(stderr(&back).contains(hit), "{}", stderr(&back));
    assert_eq!(stdout(&back), stdout(&first));

    // A configuration change is a change too: the rule turned off.
    std::fs::write(
        ws.path().join("loopfix.toml"),
        "levels = { nested_block_on = \"allow\" }\n",
    )
    .unwrap();
    let configured = loopfix(ws.path(), &args);
    assert!(
        !stderr(&configured).contains(hit),
        "{}",
        stderr(&configured)
    );
    assert_eq!(code(&configured), 0, "{}", stdout(&configured));
}

/// An edit to files the prefilter left out, that still name nothing the closure tainted and hold
/// no runtime word, cannot change the findings: the earlier run answers. Any other edit is a full
/// run, and the answer is always what a run without the cache gives.
#[test]
fn edits_to_files_that_cannot_matter_are_answered_from_the_cache() {
    let ws = chain();
    let args = ["check", "-v", "--message-format", "short"];
    let unaffected = "the 1 files changed since cannot change them";
    let identical = "cache: the results of an identical earlier run";
    let check = |dir: &Path| {
        let cached = loopfix(dir, &args);
        let fresh = loopfix(dir, &["check", "--no-cache", "--message-format", "short"]);
        assert_eq!(stdout(&cached), stdout(&fresh), "{}", stderr(&cached));
        assert_eq!(code(&cached), code(&fresh));
        stderr(&cached)
    };
    let first = check(ws.path());
    assert!(!first.contains("cache:"), "{first}");
    let edit = |path: &str, text: &str| std::fs::write(ws.path().join(path), text).unwrap();

    // A new function that calls nothing tainted.
    edit(
        "src/unrelated.rs",
        "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\npub fn mul(a: u32, b: u32) -> u32 {\n    a * b\n}\n",
    );
    let after = check(ws.path());
    assert!(after.contains(unaffected), "{after}");
    assert!(check(ws.path()).contains(identical));

    // Calling into the chain: the file matters now.
    edit(
        "src/unrelated.rs",
        "pub fn add(a: u32, b: u32) -> u32 {\n    crate::middle::step();\n    a + b\n}\n",
    );
    let calls = check(ws.path());
    assert!(!calls.contains("cache:"), "{calls}");

    // A runtime word: a seed file now.
    edit(
        "src/unrelated.rs",
        "pub fn add(a: u32, b: u32) -> u32 {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    a + b\n}\n",
    );
    let sleeps = check(ws.path());
    assert!(!sleeps.contains("cache:"), "{sleeps}");

    // A file the closure summarised: even a comment is a full run.
    edit(
        "src/middle.rs",
        "// the chain\npub fn step() {\n    crate::deep::settle(3);\n}\n",
    );
    let summarised = check(ws.path());
    assert!(!summarised.contains("cache:"), "{summarised}");
}
