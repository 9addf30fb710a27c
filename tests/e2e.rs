//! End-to-end: real packages (tokio from crates.io) that fail at run time, fixed by
//! `cargo loopfix apply`, then built and run again. This is the proof that a fix fixes.
//! All packages share one target directory so tokio is built once.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{cargo, code, copy_dir, loopfix, stderr, stdout};

fn shared_target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-target")
}

fn run_package(dir: &Path) -> Output {
    cargo()
        .args(["run", "--quiet", "--locked"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("RUST_BACKTRACE", "0")
        .env_remove("CARGO_TERM_COLOR")
        .output()
        .unwrap()
}

/// `cargo test` in the package at `dir`, two tests at a time as on any multi-core machine.
fn test_package(dir: &Path) -> Output {
    cargo()
        .args(["test", "--quiet", "--locked"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("RUST_BACKTRACE", "0")
        .env("RUST_TEST_THREADS", "2")
        .env_remove("CARGO_TERM_COLOR")
        .output()
        .unwrap()
}

/// Build and run the package at `dir`, and check that it fails with `panic`.
fn fails_with(dir: &Path, panic: &str) {
    let before = run_package(dir);
    assert!(
        !before.status.success(),
        "the unfixed program must fail: {}",
        stdout(&before)
    );
    assert!(
        stderr(&before).contains(panic),
        "unexpected failure: {}",
        stderr(&before)
    );
}

/// `cargo loopfix apply` (with unsafe fixes if asked) in `dir`, which must leave nothing behind.
fn apply(dir: &Path, unsafe_fixes: bool) {
    let mut args = vec!["apply", "--allow-no-vcs"];
    if unsafe_fixes {
        args.push("--unsafe-fixes");
    }
    let out = loopfix(dir, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// Build and run the fixed package at `dir`: it must succeed and print `expected`.
fn runs_with(dir: &Path, expected: &str) {
    let after = run_package(dir);
    assert!(
        after.status.success(),
        "the fixed program must run: {}",
        stderr(&after)
    );
    assert_eq!(stdout(&after), expected);
}

/// A temporary copy of `tests/e2e/<name>`.
fn package(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/e2e")
            .join(name),
        dir.path(),
    );
    dir
}

#[test]
fn nested_block_on_panics_before_and_runs_after_apply() {
    let pkg = package("nested_block_on");
    fails_with(pkg.path(), "Cannot start a runtime from within a runtime");

    let check = loopfix(pkg.path(), &["check", "--message-format", "short"]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    assert_eq!(stdout(&check).lines().count(), 2, "{}", stdout(&check));

    apply(pkg.path(), false);

    runs_with(pkg.path(), "answer: 84\n");
    assert_eq!(code(&loopfix(pkg.path(), &["check"])), 0);
}

#[test]
fn block_on_two_calls_from_async_is_found_with_its_chain() {
    let pkg = package("interprocedural");
    fails_with(pkg.path(), "Cannot start a runtime from within a runtime");

    let check = loopfix(pkg.path(), &["check", "--color", "never"]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    assert!(
        stderr(&check).contains(
            "call chain: `handler` (async fn, src/main.rs:17) -> `load` (src/main.rs:13) -> `read_setting` (src/main.rs:8) -> `block_on`"
        ),
        "{}",
        stderr(&check)
    );

    // Making the helpers async changes their signatures: an unsafe fix, applied on request.
    let safe_only = loopfix(pkg.path(), &["apply", "--allow-no-vcs"]);
    assert_eq!(code(&safe_only), 1, "{}", stderr(&safe_only));
    apply(pkg.path(), true);
    let fixed = std::fs::read_to_string(pkg.path().join("src/main.rs")).unwrap();
    assert!(fixed.contains("async fn read_setting() -> u32"), "{fixed}");
    assert!(fixed.contains("read_setting().await * 2"), "{fixed}");
    runs_with(pkg.path(), "setting: 14\n");
    assert_eq!(code(&loopfix(pkg.path(), &["check"])), 0);
}

#[test]
fn runtime_dropped_in_async_panics_before_and_runs_after_apply() {
    let pkg = package("runtime_dropped_in_async");
    fails_with(
        pkg.path(),
        "Cannot drop a runtime in a context where blocking is not allowed",
    );
    let check = loopfix(pkg.path(), &["check", "--message-format", "short"]);
    assert_eq!(
        stdout(&check),
        "src/main.rs:11:15: loopfix::runtime_dropped_in_async: runtime dropped inside an async context\n"
    );
    apply(pkg.path(), false);
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn runtime_missing_drivers_panics_before_and_runs_after_apply() {
    let pkg = package("runtime_missing_drivers");
    fails_with(pkg.path(), "timers are disabled");
    apply(pkg.path(), false);
    assert!(
        std::fs::read_to_string(pkg.path().join("src/main.rs"))
            .unwrap()
            .contains(".enable_all()")
    );
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn block_in_place_current_thread_panics_before_and_runs_after_apply() {
    let pkg = package("block_in_place_current_thread");
    fails_with(
        pkg.path(),
        "can call blocking only when running on the multi-threaded runtime",
    );
    // The package enables `rt-multi-thread`, so the fix is safe and applies by default.
    apply(pkg.path(), false);
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn tokio_main_on_helper_panics_before_and_runs_after_apply() {
    let pkg = package("tokio_main_on_helper");
    fails_with(pkg.path(), "Cannot start a runtime from within a runtime");
    apply(pkg.path(), false);
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn no_runtime_context_panics_before_and_runs_after_apply() {
    let pkg = package("no_runtime_context");
    fails_with(pkg.path(), "there is no reactor running");
    apply(pkg.path(), false);
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn async_work_in_drop_panics_before_and_runs_after_apply_with_unsafe_fixes() {
    let pkg = package("async_work_in_drop");
    fails_with(pkg.path(), "there is no reactor running");
    // The guard skips the work when no runtime runs: an unsafe fix, applied on request.
    let safe_only = loopfix(pkg.path(), &["apply", "--allow-no-vcs"]);
    assert_eq!(code(&safe_only), 1, "{}", stderr(&safe_only));
    apply(pkg.path(), true);
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn spawn_local_outside_localset_panics_before_and_runs_after_apply_with_unsafe_fixes() {
    let pkg = package("spawn_local_outside_localset");
    fails_with(
        pkg.path(),
        "`spawn_local` called from outside of a `task::LocalSet`",
    );
    apply(pkg.path(), true);
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn runtime_per_call_fails_before_and_runs_after_unifying_runtimes() {
    let pkg = package("runtime_per_call");
    fails_with(pkg.path(), "the worker task is gone");
    apply(pkg.path(), true);
    let fixed = std::fs::read_to_string(pkg.path().join("src/main.rs")).unwrap();
    assert!(
        fixed.contains("static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime>"),
        "{fixed}"
    );
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn mixed_runtimes_panics_before_and_runs_after_apply_with_unsafe_fixes() {
    let pkg = package("mixed_runtimes");
    fails_with(pkg.path(), "there is no reactor running");
    apply(pkg.path(), true);
    assert!(
        std::fs::read_to_string(pkg.path().join("src/main.rs"))
            .unwrap()
            .contains("#[tokio::main]\nasync fn main()")
    );
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn client_outlives_runtime_fails_in_parallel_tests_and_passes_after_apply() {
    let pkg = package("client_outlives_runtime");
    let before = test_package(pkg.path());
    assert!(!before.status.success(), "{}", stdout(&before));
    assert!(
        stdout(&before).contains("DispatchGone), \"runtime dropped the dispatch task\""),
        "unexpected failure: {}",
        stdout(&before)
    );
    // A constructor function builds a client at each use: unsafe, applied on request.
    let safe_only = loopfix(pkg.path(), &["apply", "--allow-no-vcs"]);
    assert_eq!(code(&safe_only), 1, "{}", stderr(&safe_only));
    apply(pkg.path(), true);
    let after = test_package(pkg.path());
    assert!(after.status.success(), "{}", stdout(&after));
    assert!(stdout(&after).contains("2 passed"), "{}", stdout(&after));
    assert_eq!(code(&loopfix(pkg.path(), &["check"])), 0);
}

#[test]
fn blocking_client_in_async_panics_before_and_runs_after_apply_with_unsafe_fixes() {
    let pkg = package("blocking_client_in_async");
    fails_with(
        pkg.path(),
        "Cannot drop a runtime in a context where blocking is not allowed",
    );
    apply(pkg.path(), true);
    let fixed = std::fs::read_to_string(pkg.path().join("src/main.rs")).unwrap();
    assert!(
        fixed.contains("client.get(url).send().await.unwrap().text().await.unwrap()"),
        "{fixed}"
    );
    runs_with(pkg.path(), "answer: 42\n");
    assert_eq!(code(&loopfix(pkg.path(), &["check"])), 0);
}

#[test]
fn client_per_request_opens_a_connection_per_request_until_apply() {
    let pkg = package("client_per_request");
    fails_with(pkg.path(), "42 requests opened 42 connections");
    // Building the client does no I/O: hoisting it is safe and applies by default.
    apply(pkg.path(), false);
    runs_with(pkg.path(), "answer: 42\n");
    assert_eq!(code(&loopfix(pkg.path(), &["check"])), 0);
}

#[test]
fn blocking_call_in_async_stalls_the_executor_until_apply() {
    let pkg = package("blocking_call_in_async");
    fails_with(
        pkg.path(),
        "the executor stalled: no other task ran during the 200 ms step",
    );
    // `tokio::time::sleep` needs tokio's `time` feature: the fix enables it in Cargo.toml.
    apply(pkg.path(), false);
    let manifest = std::fs::read_to_string(pkg.path().join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(r#"features = ["rt", "macros", "time"]"#),
        "{manifest}"
    );
    runs_with(pkg.path(), "answer: 42\n");
    assert_eq!(code(&loopfix(pkg.path(), &["check"])), 0);
}

#[test]
fn blocking_call_in_async_panics_on_tokio_blocking_lock_until_apply() {
    let pkg = package("blocking_call_in_async_panic");
    fails_with(
        pkg.path(),
        "Cannot block the current thread from within a runtime",
    );
    apply(pkg.path(), false);
    runs_with(pkg.path(), "answer: 42\n");
}

#[test]
fn std_mutex_across_await_deadlocks_before_and_runs_after_apply() {
    let pkg = package("std_mutex_across_await");
    fails_with(pkg.path(), "deadlock: the two tasks never finished");
    apply(pkg.path(), false);
    let fixed = std::fs::read_to_string(pkg.path().join("src/main.rs")).unwrap();
    assert!(fixed.contains("    drop(sum);\n"), "{fixed}");
    runs_with(pkg.path(), "answer: 42\n");
    assert_eq!(code(&loopfix(pkg.path(), &["check"])), 0);
}

#[test]
fn task_lost_at_shutdown_loses_work_before_and_keeps_it_after_apply() {
    let pkg = package("task_lost_at_shutdown");
    fails_with(
        pkg.path(),
        "the spawned task was cancelled when its runtime shut down",
    );
    // Waiting for the task changes when the function returns: unsafe, applied on request.
    let safe_only = loopfix(pkg.path(), &["apply", "--allow-no-vcs"]);
    assert_eq!(code(&safe_only), 1, "{}", stderr(&safe_only));
    apply(pkg.path(), true);
    runs_with(pkg.path(), "answer: 42\n");
    assert_eq!(code(&loopfix(pkg.path(), &["check"])), 0);
}

/// `cargo loopfix <args>` with `cargo check` verification on, in the shared target directory.
fn loopfix_verified(dir: &Path, args: &[&str]) -> Output {
    common::loopfix_command(dir, args)
        .env_remove("LOOPFIX_NO_VERIFY")
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .output()
        .unwrap()
}

#[test]
fn a_fix_that_breaks_the_build_is_undone_by_verification() {
    let pkg = package("verify_macro_caller");
    let original = std::fs::read_to_string(pkg.path().join("src/main.rs")).unwrap();
    let out = loopfix_verified(pkg.path(), &["apply", "--allow-no-vcs", "--locked"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the fixes (loopfix::tokio_main_on_helper) make `e2e-verify-macro-caller` fail to compile"),
        "{err}"
    );
    assert!(
        err.contains("mismatched types"),
        "the compiler's error is shown: {err}"
    );
    assert_eq!(
        std::fs::read_to_string(pkg.path().join("src/main.rs")).unwrap(),
        original,
        "restored byte for byte"
    );
    // `--broken-code` keeps the result, as `cargo fix` does.
    let out = loopfix_verified(
        pkg.path(),
        &["apply", "--allow-no-vcs", "--locked", "--broken-code"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_ne!(
        std::fs::read_to_string(pkg.path().join("src/main.rs")).unwrap(),
        original
    );
}

#[test]
fn a_package_that_did_not_compile_is_fixed_without_verification() {
    let pkg = package("verify_macro_caller");
    // A name of its own: packages of one name and version share artifacts in the shared target
    // directory, wherever they are.
    let manifest = pkg.path().join("Cargo.toml");
    let renamed = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("e2e-verify-macro-caller", "e2e-verify-unverifiable");
    std::fs::write(&manifest, renamed).unwrap();
    let lock = pkg.path().join("Cargo.lock");
    let relocked = std::fs::read_to_string(&lock)
        .unwrap()
        .replace("e2e-verify-macro-caller", "e2e-verify-unverifiable");
    std::fs::write(&lock, relocked).unwrap();
    let main = pkg.path().join("src/main.rs");
    // No macro caller this time, and an unrelated type error.
    let source = std::fs::read_to_string(&main)
        .unwrap()
        .replace("    answer!()\n", "    1\n")
        .replace(
            "fn main() {",
            "fn broken() -> u32 {\n    \"not a number\"\n}\n\nfn main() {",
        );
    std::fs::write(&main, &source).unwrap();
    let out = loopfix_verified(pkg.path(), &["apply", "--allow-no-vcs", "--locked"]);
    assert!(
        stderr(&out).contains("the fixes in `e2e-verify-unverifiable` could not be verified: it did not compile before them"),
        "{}",
        stderr(&out)
    );
    assert!(
        !std::fs::read_to_string(&main)
            .unwrap()
            .contains("#[tokio::main]\nasync fn compute")
    );
}
