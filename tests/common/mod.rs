//! Helpers shared by the CLI and end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `cargo` that runs the tests.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `cargo loopfix <args>` in `dir`, with our binary first on `PATH`.
pub fn loopfix(dir: &Path, args: &[&str]) -> Output {
    loopfix_command(dir, args).output().unwrap()
}

/// The command [`loopfix`] runs, to add environment variables first.
pub fn loopfix_command(dir: &Path, args: &[&str]) -> Command {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cargo-loopfix"));
    let path = std::env::join_paths(std::iter::once(bin.parent().unwrap().to_owned()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut command = cargo();
    command
        .arg("loopfix")
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY")
        // `cargo check` around `apply` compiles the test packages' dependencies: the tests of
        // verification (tests/e2e.rs) turn it back on.
        .env("LOOPFIX_NO_VERIFY", "1");
    command
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Copy the directory `from` (a small fixture package) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
