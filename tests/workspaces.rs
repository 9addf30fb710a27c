//! Fixture workspaces under `tests/workspaces/`: each is checked as a whole with the real binary,
//! and its findings are snapshotted (human output, then the short form).

mod common;

use std::path::Path;

use common::{code, loopfix, stderr, stdout};

fn check_workspace(name: &str) -> (String, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/workspaces")
        .join(name);
    // `--no-cache`: nothing is written into the fixture (no `target/loopfix/`).
    let human = loopfix(
        &dir,
        &["check", "--workspace", "--no-cache", "--color", "never"],
    );
    assert_eq!(code(&human), 1, "{}", stderr(&human));
    let short = loopfix(
        &dir,
        &[
            "check",
            "--workspace",
            "--no-cache",
            "-q",
            "--message-format",
            "short",
        ],
    );
    assert!(
        !dir.join("Cargo.lock").exists(),
        "checking must not write a Cargo.lock"
    );
    assert!(
        !dir.join("target/loopfix").exists(),
        "a check without the cache writes no cache"
    );
    (stderr(&human), stdout(&short))
}

fn snapshot(name: &str, value: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, value);
    });
}

#[test]
fn interprocedural_block_on_across_member_crates() {
    let (human, short) = check_workspace("interprocedural");
    // Found through `handler` (server) -> `load_config` (store, imported under a renamed
    // dependency) -> `read_blocking` (store::cache), which blocks on a runtime it builds and then
    // drops. Nothing else: the negatives stay silent.
    assert_eq!(
        short,
        "store/src/cache.rs:5:57: loopfix::runtime_dropped_in_async: runtime dropped inside an async context\n\
         store/src/cache.rs:6:8: loopfix::nested_block_on: `block_on` called inside an async context\n"
    );
    assert!(human.contains(
        "call chain: `handler` (async fn, server/src/main.rs:7) -> `load_config` (store/src/lib.rs:8) -> `read_blocking` (store/src/cache.rs:4) -> `block_on`"
    ));
    snapshot("workspace__interprocedural__human", &human);
}

#[test]
fn blocking_code_reached_through_crates_that_re_export_it() {
    let (human, short) = check_workspace("reexports");
    // `app` depends on `facade` and `outer`, not on `blocking`: `facade::load`, `outer::Store`
    // (through `facade::Store`), `facade::Memo` (`blocking::Cache` renamed, named only in
    // `app/src/memo.rs`) and `facade::all::tally` (through `pub use blocking::*;`, named only in
    // `app/src/glob.rs`) are `blocking`'s. `plain::quiet` is `plain`'s own and blocks nothing;
    // `blocking::quiet` is never reached from async code.
    assert_eq!(
        short,
        "blocking/src/lib.rs:2:5: loopfix::blocking_call_in_async: call that blocks the thread made in async code\n\
         blocking/src/lib.rs:10:9: loopfix::blocking_call_in_async: call that blocks the thread made in async code\n\
         blocking/src/lib.rs:24:9: loopfix::blocking_call_in_async: call that blocks the thread made in async code\n\
         blocking/src/lib.rs:30:5: loopfix::blocking_call_in_async: call that blocks the thread made in async code\n"
    );
    for chain in [
        "`handler` (async fn, app/src/lib.rs:4) -> `load` (blocking/src/lib.rs:1)",
        "`lookup` (async fn, app/src/lib.rs:8) -> `Store::get` (blocking/src/lib.rs:9)",
        "`recall` (async fn, app/src/memo.rs:2) -> `Cache::fetch` (blocking/src/lib.rs:23)",
        "`count` (async fn, app/src/glob.rs:2) -> `tally` (blocking/src/lib.rs:29)",
    ] {
        assert!(human.contains(chain), "{chain}\n{human}");
    }
}
