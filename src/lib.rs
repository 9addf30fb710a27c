//! cargo-loopfix: finds and fixes async runtime-lifecycle bugs in Rust workspaces.
//!
//! The pipeline flows one way: [`workspace`] (cargo metadata) -> [`source`] (files found by
//! following `mod`, read, parsed on demand, into [`tree`]s) -> [`cache`] (an unchanged workspace's findings) ->
//! [`semantic`] (the prefilter picks the files that can matter; what paths mean, where code runs,
//! the call graph) -> [`rules`] -> [`fix`] -> [`report`] / [`write`].

pub mod allocator;
pub mod analysis;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostic;
pub mod fingerprint;
pub mod fix;
pub mod manifest;
pub mod names;
pub mod nesting;
pub mod passes;
pub mod progress;
pub mod report;
pub mod rules;
pub mod semantic;
pub mod source;
pub mod suppress;
pub mod tree;
pub mod vcs;
pub mod verify;
pub mod workspace;
pub mod write;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::commands::{Output, Status};

/// Stack of each worker thread: see `main.rs`.
const WORKER_STACK: usize = 64 << 20;

/// Run the command line `args` (including the program name) and return the exit status.
pub fn run(args: Vec<OsString>) -> ExitCode {
    // Fails only if a pool was already built (a second `run` in one process): keep that one.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK)
        .build_global();
    let cli = match Cli::try_parse_from(cli::normalize_args(args)) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                Status::Error.into()
            } else {
                Status::Clean.into()
            };
        }
    };
    let output = Output::new(cli.color, cli.quiet, cli.verbose);
    let result = match &cli.command {
        Command::Check(args) => commands::check::run(args, &output),
        Command::Apply(args) => commands::apply::run(args, &output),
        Command::Rules => Ok(commands::rules::list(&output)),
        Command::Rule { id } => commands::rules::show(id, &output),
        Command::Config(args) => commands::config::show(args, &output),
        Command::Init(args) => commands::config::init(args, &output),
    };
    match result {
        Ok(status) => status.into(),
        Err(err) => {
            output.err(&format!(
                "{}: {err:#}\n",
                output.stderr_style.removed.render_str("error")
            ));
            Status::Error.into()
        }
    }
}
