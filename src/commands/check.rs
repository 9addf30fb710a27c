//! `cargo loopfix check`: report findings (human, short, JSON, SARIF, reviewdog, GitHub, GitLab,
//! JUnit), or print the fixes as a patch.

use anyhow::{Context, Result};

use super::{Output, Purpose, Scan, Status};
use crate::cli::{CheckArgs, MessageFormat};
use crate::report::{Summary, github, gitlab, human, json, junit, rdjson, sarif, short};
use crate::{fix, write};

/// The report in a machine format (or `short`).
fn render(format: MessageFormat, scan: &Scan) -> String {
    let (diagnostics, sources) = (&scan.diagnostics, &scan.sources);
    match format {
        MessageFormat::Human => unreachable!("rendered to the terminal"),
        MessageFormat::Short => diagnostics
            .iter()
            .map(|d| {
                let file = sources
                    .get(&d.path)
                    .expect("diagnostics point into loaded files");
                short::render(d, file)
            })
            .collect(),
        MessageFormat::Json => {
            let mut text = String::new();
            for diag in diagnostics {
                if let Some(line) = json::compiler_message(diag, sources, Some(&scan.workspace)) {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            text.push_str(&json::build_finished(diagnostics.is_empty()));
            text.push('\n');
            text
        }
        MessageFormat::Sarif => sarif::render(diagnostics, sources, &scan.workspace.root),
        MessageFormat::Rdjson => rdjson::render(diagnostics, sources),
        MessageFormat::Rdjsonl => rdjson::render_lines(diagnostics, sources),
        MessageFormat::Github => github::render(diagnostics, sources),
        MessageFormat::Gitlab => gitlab::render(diagnostics, sources),
        MessageFormat::Junit => junit::render(diagnostics, sources),
    }
}

/// Append `text` to the file at `path` (GitHub's step summary).
fn append(path: &std::path::Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("could not open $GITHUB_STEP_SUMMARY ({})", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

pub fn run(args: &CheckArgs, output: &Output) -> Result<Status> {
    // No progress bar beside a machine format on stdout.
    if (args.message_format != MessageFormat::Human && args.output_file.is_none()) || args.diff {
        output.progress.set(false);
    }
    let scan = Scan::run(
        &args.scan,
        output,
        Purpose::Check {
            use_cache: !args.no_cache,
        },
    )?;
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
    let human = |output: &Output| {
        for diag in &scan.diagnostics {
            output.err(&human::render(diag, &scan.sources, &output.stderr_style));
            output.err("\n");
        }
        output.status(&summary.line(scan.sources.files.len()));
    };
    if args.message_format == MessageFormat::Human {
        human(output);
        return Ok(status);
    }
    let report = render(args.message_format, &scan);
    if args.message_format == MessageFormat::Github
        && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY")
    {
        append(
            std::path::Path::new(&path),
            &github::step_summary(&scan.diagnostics, &scan.sources),
        )?;
    }
    match &args.output_file {
        Some(path) => {
            write::write_report(path, &report)
                .with_context(|| format!("could not write the report to {path}"))?;
            human(output);
        }
        None => {
            output.out(&report);
            if args.message_format == MessageFormat::Short {
                output.status(&summary.line(scan.sources.files.len()));
            }
        }
    }
    Ok(status)
}
