//! `cargo loopfix apply`: fix to a fixpoint in memory, check every rewritten file parses, refuse to
//! overwrite uncommitted work, then write all files atomically.

use anyhow::Result;
use camino::Utf8PathBuf;

use super::{Output, Purpose, Scan, Status};
use crate::cli::ApplyArgs;
use crate::fix::{self, FixOutcome};
use crate::report::human::Style;
use crate::report::{Summary, diff, plural, short};
use crate::vcs::{self, Allow};

pub fn run(args: &ApplyArgs, output: &Output) -> Result<Status> {
    let scan = Scan::run(&args.scan, output, Purpose::Apply)?;
    let outcome = if args.add_suppressions {
        suppressions(&scan)
    } else {
        fix::fix_loop(scan.sources.clone(), unsafe_fixes(args, &scan), |s| {
            scan.analyze(s)
        })
    };
    report_rejected(&scan, &outcome, output);
    if !outcome.converged {
        output.warn(&format!(
            "fixes did not converge after {} passes; the result of the last pass is used",
            fix::MAX_PASSES
        ));
    }
    let changed = outcome.changes(&scan.sources, |p| scan.workspace.relative(p));
    let found = Summary::of(&scan.diagnostics);
    if args.dry_run {
        output.out(&patch(&scan, &outcome, &output.stdout_style));
        output.status(&format!(
            "{}; would fix {} in {} file{} (dry run: nothing written)",
            found.line(scan.sources.files.len()),
            outcome.applied.len(),
            changed.len(),
            plural(changed.len())
        ));
        return Ok(if scan.diagnostics.is_empty() {
            Status::Clean
        } else {
            Status::Findings
        });
    }
    if !changed.is_empty() {
        let paths: Vec<Utf8PathBuf> = changed.iter().map(|c| c.path.clone()).collect();
        let allow = Allow {
            dirty: args.allow_dirty,
            staged: args.allow_staged,
            no_vcs: args.allow_no_vcs,
        };
        if let Err(refusal) = vcs::check_writable(&scan.workspace.root, &paths, allow) {
            output.out(&patch(&scan, &outcome, &output.stdout_style));
            output.err(&format!(
                "{}: {refusal}\n",
                output.stderr_style.removed.render_str("error")
            ));
            return Ok(Status::Error);
        }
        // Test hook: another program edits a file between the analysis and the write.
        if let Some(path) = std::env::var_os("LOOPFIX_TEST_CHANGE_BEFORE_WRITE") {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
            file.write_all(b"// edited meanwhile\n")?;
        }
        // `cargo check` before, to know what compiled: only those packages can be verified.
        let verifier = (!args.no_verify).then(|| Verifier::new(args, &scan, &changed));
        let before = match &verifier {
            Some(v) => Some(v.run()?),
            None => None,
        };
        // Each file must still hold the text the fixes were computed from.
        let files: Vec<(Utf8PathBuf, Option<String>, String)> = changed
            .iter()
            .map(|c| (c.path.clone(), Some(c.old.clone()), c.new.clone()))
            .collect();
        crate::write::transaction(&files)?;
        if let (Some(v), Some(before)) = (&verifier, before)
            && !v.after(args, &before, &changed, &outcome, output)?
        {
            return Ok(Status::Findings);
        }
    }
    let remaining = scan.analyze(&outcome.sources);
    let fixed = Summary::of(&outcome.applied);
    if args.add_suppressions {
        output.status(&format!(
            "suppressed {} problem{} with comments in {} file{}",
            fixed.total,
            plural(fixed.total),
            changed.len(),
            plural(changed.len())
        ));
    } else if fixed.total > 0 {
        let rules: Vec<String> = fixed
            .per_rule
            .iter()
            .map(|(r, n)| format!("{r}: {n}"))
            .collect();
        output.status(&format!(
            "fixed {} problem{} ({}) in {} file{}",
            fixed.total,
            plural(fixed.total),
            rules.join(", "),
            changed.len(),
            plural(changed.len())
        ));
    }
    if remaining.is_empty() {
        if fixed.total == 0 {
            output.status(&found.line(scan.sources.files.len()));
        }
        return Ok(Status::Clean);
    }
    for diag in &remaining {
        if let Some(file) = outcome.sources.get(&diag.path) {
            output.err(&short::render(diag, file));
        }
    }
    let left = Summary::of(&remaining);
    let mut line = format!(
        "{} problem{} remain{}",
        left.total,
        plural(left.total),
        if left.total == 1 { "s" } else { "" }
    );
    if left.unsafe_fixes > 0 && !unsafe_fixes(args, &scan) {
        line.push_str(&format!(
            "; {} fixable with `--unsafe-fixes`",
            left.unsafe_fixes
        ));
    }
    line.push_str("; run `cargo loopfix check` for details");
    output.status(&line);
    Ok(Status::Findings)
}

/// The packages the fixes touch, and how to `cargo check` them.
struct Verifier {
    manifest: Utf8PathBuf,
    packages: Vec<String>,
    ids: std::collections::BTreeMap<String, String>,
    flags: Vec<String>,
    /// Per package: the changed files it owns.
    files: std::collections::BTreeMap<String, Vec<Utf8PathBuf>>,
}

impl Verifier {
    fn new(args: &ApplyArgs, scan: &Scan, changed: &[crate::fix::Change]) -> Verifier {
        let ws = &scan.workspace;
        let mut files: std::collections::BTreeMap<String, Vec<Utf8PathBuf>> = Default::default();
        for c in changed {
            let owners: Vec<String> = match scan.sources.get(&c.path) {
                Some(file) => file
                    .owners
                    .iter()
                    .map(|o| ws.packages[o.package].name.clone())
                    .collect(),
                None => ws
                    .packages
                    .iter()
                    .filter(|p| p.manifest_path == c.path)
                    .map(|p| p.name.clone())
                    .collect(),
            };
            for owner in owners {
                let list = files.entry(owner).or_default();
                if !list.contains(&c.path) {
                    list.push(c.path.clone());
                }
            }
        }
        Verifier {
            manifest: ws.root.join("Cargo.toml"),
            packages: files.keys().cloned().collect(),
            ids: ws
                .packages
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect(),
            flags: crate::verify::check_flags(args),
            files,
        }
    }

    /// The first error of each touched package that does not compile.
    fn run(&self) -> Result<std::collections::BTreeMap<String, String>> {
        crate::verify::check(&self.manifest, &self.packages, &self.ids, &self.flags)
    }

    /// `cargo check` after the fixes: a package that compiled before and fails now gets its
    /// files back (unless `--broken-code`). `Ok(false)` when fixes were undone or kept broken.
    fn after(
        &self,
        args: &ApplyArgs,
        before: &std::collections::BTreeMap<String, String>,
        changed: &[crate::fix::Change],
        outcome: &FixOutcome,
        output: &Output,
    ) -> Result<bool> {
        for package in before.keys() {
            output.warn(&format!(
                "the fixes in `{package}` could not be verified: it did not compile before them"
            ));
        }
        let after = self.run()?;
        let broken: Vec<&String> = self
            .packages
            .iter()
            .filter(|p| !before.contains_key(*p) && after.contains_key(*p))
            .collect();
        if broken.is_empty() {
            return Ok(true);
        }
        let mut restore: Vec<(Utf8PathBuf, Option<String>, String)> = Vec::new();
        for package in &broken {
            let paths = &self.files[*package];
            let fixes: Vec<String> = outcome
                .applied
                .iter()
                .filter(|d| paths.contains(&d.path))
                .map(|d| d.code())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            output.err(&format!(
                "{}: the fixes ({}) make `{package}` fail to compile:\n{}\n",
                output.stderr_style.removed.render_str("error"),
                fixes.join(", "),
                after[*package]
            ));
            for c in changed.iter().filter(|c| paths.contains(&c.path)) {
                if !restore.iter().any(|(p, _, _)| *p == c.path) {
                    restore.push((c.path.clone(), Some(c.new.clone()), c.old.clone()));
                }
            }
        }
        if args.broken_code {
            output.warn("the broken code is kept (`--broken-code`)");
            return Ok(false);
        }
        crate::write::transaction(&restore)?;
        output.status(&format!(
            "restored {} file{} of {} as they were: please report this as a bug in cargo-loopfix",
            restore.len(),
            plural(restore.len()),
            broken
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(false)
    }
}

/// `--add-suppressions`: a `// loopfix: allow(..)` comment above every finding's line (not for
/// `unused_suppression` itself), as one outcome, each file re-parsed like a fix.
fn suppressions(scan: &Scan) -> FixOutcome {
    let mut sources = scan.sources.clone();
    let mut applied = Vec::new();
    let mut rejected = Vec::new();
    let mut rewritten = Vec::new();
    for file in &scan.sources.files {
        let here: Vec<&crate::diagnostic::Diagnostic> = scan
            .diagnostics
            .iter()
            .filter(|d| d.path == file.path && d.rule != crate::rules::unused_suppression::ID)
            .collect();
        if here.is_empty() {
            continue;
        }
        let edits = crate::suppress::directives_for(file, &here);
        let new_text = fix::apply_edits(file.text(), &edits.iter().collect::<Vec<_>>());
        match fix::validate(file, new_text) {
            Ok(new) => {
                rewritten.push(new);
                applied.extend(here.into_iter().cloned());
            }
            Err(reason) => rejected.push(fix::RejectedFix {
                rule: here[0].rule,
                path: file.path.clone(),
                reason,
            }),
        }
    }
    sources.replace(rewritten);
    FixOutcome {
        sources,
        applied,
        rejected,
        passes: 1,
        converged: true,
        manifests: Vec::new(),
    }
}

/// Whether unsafe fixes apply: `--unsafe-fixes`, else `unsafe-fixes = true` in the workspace's
/// table (or in the table of every selected package) unless `--no-unsafe-fixes`.
fn unsafe_fixes(args: &ApplyArgs, scan: &Scan) -> bool {
    let ws = &scan.workspace;
    let configured = ws.config.unsafe_fixes.unwrap_or_else(|| {
        !ws.packages.is_empty()
            && ws
                .packages
                .iter()
                .all(|p| p.config.config.unsafe_fixes == Some(true))
    });
    args.unsafe_fixes || (!args.no_unsafe_fixes && configured)
}

/// The patch of every change in `outcome`, relative to the workspace root.
pub fn patch(scan: &Scan, outcome: &FixOutcome, style: &Style) -> String {
    outcome
        .changes(&scan.sources, |p| scan.workspace.relative(p))
        .iter()
        .map(|c| diff::file_patch(&c.rel_path, &c.old, &c.new, style))
        .collect()
}

pub fn report_rejected(scan: &Scan, outcome: &FixOutcome, output: &Output) {
    for r in &outcome.rejected {
        output.warn(&format!(
            "the fix of `loopfix::{}` in {} was not applied: {}; this is a bug in cargo-loopfix, please report it",
            r.rule,
            scan.workspace.relative(&r.path),
            r.reason
        ));
    }
}
