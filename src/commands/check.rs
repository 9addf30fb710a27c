//! `cargo loopfix check`: report findings (human, short or JSON), or print the fixes as a patch.

use anyhow::Result;

use super::{Output, Scan, Status};
use crate::cli::{CheckArgs, MessageFormat};
use crate::fix;
use crate::report::{Summary, human, json, short};

pub fn run(args: &CheckArgs, output: &Output) -> Result<Status> {
    let scan = Scan::run(&args.scan, output)?;
    let status = if scan.diagnostics.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    };
    let summary = Summary::of(&scan.diagnostics);
    if args.diff {
        let outcome = fix::fix_loop(scan.sources.clone(), args.unsafe_fixes, |s| scan.analyze(s));
        output.out(&super::apply::patch(&scan, &outcome, &output.stdout_style));
        super::apply::report_rejected(&scan, &outcome, output);
        let fixed = outcome.applied.len();
        output.status(&format!(
            "{}; the patch above fixes {fixed} of them",
            summary.line(scan.sources.files.len())
        ));
        return Ok(status);
    }
    match args.message_format {
        MessageFormat::Human => {
            for diag in &scan.diagnostics {
                output.err(&human::render(diag, &scan.sources, &output.stderr_style));
                output.err("\n");
            }
            output.status(&summary.line(scan.sources.files.len()));
        }
        MessageFormat::Short => {
            for diag in &scan.diagnostics {
                let file = scan
                    .sources
                    .get(&diag.path)
                    .expect("diagnostics point into loaded files");
                output.out(&short::render(diag, file));
            }
            output.status(&summary.line(scan.sources.files.len()));
        }
        MessageFormat::Json => {
            let mut text = String::new();
            for diag in &scan.diagnostics {
                if let Some(line) =
                    json::compiler_message(diag, &scan.sources, Some(&scan.workspace))
                {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            text.push_str(&json::build_finished(scan.diagnostics.is_empty()));
            text.push('\n');
            output.out(&text);
        }
    }
    Ok(status)
}
