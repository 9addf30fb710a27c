//! One file per subcommand. Each returns the process's exit status.

pub mod apply;
pub mod check;
pub mod config;
pub mod rules;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

use crate::analysis::{self, RuleSet};
use crate::cache::Hit;
use crate::cli::{ColorWhen, ScanArgs, use_color};
use crate::diagnostic::Diagnostic;
use crate::report::human::{self, Style};
use crate::source::SourceSet;
use crate::workspace::Workspace;

/// Exit statuses, as cargo tools use them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Nothing found, or everything fixed.
    Clean = 0,
    /// Problems remain.
    Findings = 1,
    /// Usage, configuration or I/O error.
    Error = 2,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// Where and how to print.
pub struct Output {
    pub stderr_style: Style,
    pub stdout_style: Style,
    pub quiet: bool,
    pub verbose: u8,
    /// A progress bar may be drawn on stderr: it is a terminal, not `-q`, and the command did not
    /// turn it off (a machine format on stdout).
    pub progress: std::cell::Cell<bool>,
}

impl Output {
    pub fn new(color: Option<ColorWhen>, quiet: bool, verbose: u8) -> Output {
        Output {
            stderr_style: Style::new(use_color(color, std::io::stderr().is_terminal())),
            stdout_style: Style::new(use_color(color, std::io::stdout().is_terminal())),
            quiet,
            progress: std::cell::Cell::new(!quiet && std::io::stderr().is_terminal()),
            verbose,
        }
    }

    /// Write to stdout; a closed pipe (`| head`) is not an error worth a panic.
    pub fn out(&self, text: &str) {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }

    pub fn err(&self, text: &str) {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    pub fn warn(&self, message: &str) {
        if !self.quiet {
            self.err(&human::warning(message, &self.stderr_style));
        }
    }

    /// A closing status line, on stderr, unless `-q`.
    pub fn status(&self, line: &str) {
        if !self.quiet {
            self.err(&format!("{}\n", self.stderr_style.bold.render_str(line)));
        }
    }
}

/// A loaded, parsed and analysed workspace.
pub struct Scan {
    pub workspace: Workspace,
    pub rules: RuleSet,
    pub sources: SourceSet,
    pub diagnostics: Vec<Diagnostic>,
}

/// What a [`Scan`] is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Findings to show. `use_cache`: read the results of an identical earlier run, and keep
    /// these for the next. The texts of the files that cannot matter are let go of once read
    /// ([`analysis::analyze_releasing`]).
    Check { use_cache: bool },
    /// Fixes to write: every text stays (the fixes are computed again on a copy).
    Apply,
}

impl Scan {
    /// Load, read and analyse, for `purpose`.
    pub fn run(args: &ScanArgs, output: &Output, purpose: Purpose) -> Result<Scan> {
        let use_cache = matches!(purpose, Purpose::Check { use_cache: true });
        let started = Instant::now();
        crate::passes::mark("start");
        let mut workspace = Workspace::load(&args.selection())?;
        crate::passes::mark("cargo metadata");
        // The command line's `--select` overrides the tables; otherwise every rule a package's
        // table enables runs, and each file keeps the findings its package enables.
        let rules = if args.select.is_empty() {
            let ignored = crate::rules::select(&[], &args.ignore)?;
            RuleSet::new(
                ignored
                    .into_iter()
                    .filter(|r| {
                        workspace.packages.is_empty()
                            || workspace
                                .packages
                                .iter()
                                .any(|p| p.config.config.enables(r.meta().id))
                    })
                    .collect(),
            )
        } else {
            workspace.rules_from_command_line = true;
            RuleSet::new(crate::rules::select(&args.select, &args.ignore)?)
        };
        let progress = crate::progress::Progress::new(output.progress.get());
        progress.phase("reading", 0);
        let mut sources = SourceSet::load_observed(&workspace, &|| progress.step());
        crate::passes::mark("discover + read");
        for warning in &sources.warnings {
            output.warn(&warning.message);
        }
        // Each file is summarised, then checked; or an unchanged workspace's results are read.
        let cache = if use_cache {
            crate::cache::Cache::new(&workspace, &rules, &sources)
        } else {
            None
        };
        // An earlier run answers this one if nothing changed, or if only files changed that the
        // prefilter left out and that still cannot matter.
        let cached = cache.as_ref().and_then(|c| {
            c.load(|closure, changed| closure.unaffected_by(Some(&workspace), &sources, changed))
        });
        let (entry, hit) = match cached {
            Some((entry, hit)) => (entry, Some(hit)),
            None => {
                progress.phase("checking", 2 * sources.files.len());
                let release = matches!(purpose, Purpose::Check { .. });
                let (diagnostics, stats, closure) = if release && analysis::prefilter_enabled() {
                    analysis::analyze_releasing(Some(&workspace), &mut sources, &rules, &|| {
                        progress.step()
                    })
                } else {
                    analysis::analyze_traced(
                        Some(&workspace),
                        &sources,
                        &rules,
                        &|| progress.step(),
                        !analysis::prefilter_enabled(),
                    )
                };
                // Syntax errors of the files that were parsed (the others could not matter),
                // and files that changed while the run read them.
                let warnings = sources
                    .files
                    .iter()
                    .flat_map(|f| {
                        f.parse_warning()
                            .into_iter()
                            .chain(f.changed_warning().map(str::to_string))
                    })
                    .collect();
                let entry = crate::cache::Entry {
                    diagnostics,
                    warnings,
                    stats,
                    closure,
                };
                (entry, None)
            }
        };
        progress.finish();
        for warning in &entry.warnings {
            output.warn(warning);
        }
        // Stored for this input (after an edit that could not matter too: the next run is then
        // an exact hit).
        // Not when a file changed while the run read it: its findings may be off.
        let changed = sources.files.iter().any(|f| f.changed_warning().is_some());
        if let Some(cache) = cache
            .as_ref()
            .filter(|_| !changed && !matches!(hit, Some(Hit::Same)))
        {
            // A cache that cannot be written (a read-only target directory) costs the next run
            // its time, nothing else.
            if let Err(err) = cache.store(&entry)
                && output.verbose > 0
            {
                output.warn(&format!("could not write the cache: {err:#}"));
            }
        }
        let crate::cache::Entry {
            mut diagnostics,
            stats: graph,
            ..
        } = entry;
        guard_fixes(&workspace, &mut diagnostics);
        if output.verbose > 0 {
            let bytes: usize = sources.files.iter().map(|f| f.text_len()).sum();
            let peak = peak_memory()
                .map(|b| format!(", peak memory {} MiB", b >> 20))
                .unwrap_or_default();
            output.err(&format!(
                "scanned {} files ({} KiB) in {} packages with {} rules in {:.1?}{peak}\n",
                sources.files.len(),
                bytes / 1024,
                workspace.packages.len(),
                rules.rules().len(),
                started.elapsed()
            ));
            if let (Some(cache), Some(hit)) = (&cache, &hit) {
                let from = workspace.relative(&cache.path());
                output.err(&match hit {
                    Hit::Same => format!("cache: the results of an identical earlier run, from {from}\n"),
                    Hit::Unaffected(n) => format!(
                        "cache: the results of an earlier run, kept as {from}: the {n} files changed since cannot change them\n"
                    ),
                });
            }
            let use_items = match graph.use_items_files {
                0 => String::new(),
                n => format!(" ({n} only for their `use` items)"),
            };
            output.err(&format!(
                "prefilter: {} files summarised{use_items}, {} of them checked by the rules ({} walked: where a rule can report)\n",
                graph.parsed_files, graph.checked_files, graph.walked_files
            ));
            output.err(&format!(
                "call graph: {} functions, {} call sites: {} to workspace functions, {} to dependencies, {} unknown ({} methods on receivers of unknown type)\n",
                graph.functions,
                graph.call_sites,
                graph.to_workspace,
                graph.to_dependencies,
                graph.unknown,
                graph.unknown_methods
            ));
        }
        Ok(Scan {
            workspace,
            rules,
            sources,
            diagnostics,
        })
    }

    pub fn analyze(&self, sources: &SourceSet) -> Vec<Diagnostic> {
        let mut diagnostics = analysis::analyze(Some(&self.workspace), sources, &self.rules);
        guard_fixes(&self.workspace, &mut diagnostics);
        diagnostics
    }
}

/// The process's peak resident memory so far, in bytes (Linux: `VmHWM`; elsewhere unknown).
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib << 10)
}

/// Whether a fix may write `path`: inside the workspace root (paths are canonical, so a symlink
/// out of it is outside), and not in `target/`, a top-level `vendor/` or a cargo registry.
pub fn writable(workspace: &Workspace, path: &camino::Utf8Path) -> bool {
    let canonical = path.canonicalize_utf8().ok();
    let Ok(rel) = path.strip_prefix(&workspace.root).or_else(|_| {
        canonical
            .as_deref()
            .unwrap_or(path)
            .strip_prefix(&workspace.root)
    }) else {
        return false;
    };
    let first = rel.components().next().map(|c| c.as_str());
    !matches!(first, Some("target" | "vendor")) && !path.as_str().contains("/.cargo/registry/")
}

/// Drop the fixes that would write where `apply` never writes; the finding stays, with a note.
fn guard_fixes(workspace: &Workspace, diagnostics: &mut [Diagnostic]) {
    for diag in diagnostics {
        let Some(fix) = &diag.fix else { continue };
        let outside = fix
            .edits
            .iter()
            .map(|e| e.path.as_path())
            .chain(fix.features.iter().map(|f| f.manifest.as_path()))
            .find(|p| !writable(workspace, p));
        if let Some(path) = outside {
            let shown = workspace.relative(path);
            diag.fix = None;
            diag.notes.push(format!(
                "no fix is offered: it would edit `{shown}`, outside the workspace's own files"
            ));
        }
    }
}
