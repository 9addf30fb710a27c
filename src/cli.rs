//! Command-line interface: `cargo loopfix <command>` (cargo runs `cargo-loopfix loopfix ...`) or
//! the binary run directly. Flags mean what they mean to cargo.

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::workspace::{Selection, TargetFilter};

#[derive(Parser, Debug)]
#[command(
    name = "cargo-loopfix",
    bin_name = "cargo loopfix",
    version,
    about = "Find and fix async runtime-lifecycle bugs: nested `block_on`, runtimes dropped in async code, \
             clients that outlive their runtime",
    after_help = "Exit status: 0 nothing found (or everything fixed), 1 problems remain, 2 usage, configuration or I/O error.\n\
                  Run `cargo loopfix rules` for the rules and `cargo loopfix rule ID` for one rule's documentation."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Coloring: auto, always, never (default: CARGO_TERM_COLOR, then NO_COLOR, then whether stderr is a terminal)
    #[arg(long, global = true, value_enum, value_name = "WHEN")]
    pub color: Option<ColorWhen>,

    /// Print only the findings: no summary line or loading warnings
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Say more: files scanned and time taken
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Report problems with the proposed fixes; exit 1 when something is found
    Check(CheckArgs),
    /// Apply the fixes (safe ones; unsafe ones too with --unsafe-fixes)
    Apply(ApplyArgs),
    /// List the rules
    Rules,
    /// Print the documentation of one rule
    Rule {
        /// The rule id, e.g. `nested_block_on` or `loopfix::nested_block_on`
        id: String,
    },
    /// Print the effective configuration of the workspace and of each package
    Config(ConfigArgs),
    /// Write a commented starter `[workspace.metadata.loopfix]` table into Cargo.toml
    Init(InitArgs),
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Path to Cargo.toml, or to the directory holding it
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<Utf8PathBuf>,

    /// Also write the GitHub Actions workflow (`.github/workflows/loopfix.yml`)
    #[arg(long)]
    pub github_workflow: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scan: ScanArgs,

    /// Output format of the findings
    #[arg(long, value_enum, default_value_t = MessageFormat::Human, value_name = "FMT")]
    pub message_format: MessageFormat,

    /// Write the report in --message-format to this file; the terminal gets the human output
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<Utf8PathBuf>,

    /// Print one unified patch (`git apply`-able) of the fixes instead of the findings
    #[arg(long)]
    pub diff: bool,

    /// With --diff: include unsafe fixes in the patch
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Neither read nor write the results kept under `target/loopfix/` (reused while nothing that
    /// matters changed)
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub scan: ScanArgs,

    /// Also apply fixes that may change behaviour
    #[arg(long, overrides_with = "no_unsafe_fixes")]
    pub unsafe_fixes: bool,

    /// Only safe fixes, even if the configuration says `unsafe-fixes = true`
    #[arg(long, overrides_with = "unsafe_fixes")]
    pub no_unsafe_fixes: bool,

    /// Print the patch that would be applied, write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Instead of fixing, write a `// loopfix: allow(..)` comment above every finding (to adopt
    /// the tool on a large codebase, then fix at leisure)
    #[arg(long, conflicts_with = "unsafe_fixes")]
    pub add_suppressions: bool,

    /// Fix files even if they have uncommitted changes
    #[arg(long)]
    pub allow_dirty: bool,

    /// Fix files even if they have staged changes
    #[arg(long)]
    pub allow_staged: bool,

    /// Fix files even if no version control system is found
    #[arg(long)]
    pub allow_no_vcs: bool,

    /// Do not run `cargo check` before and after the fixes
    #[arg(
        long,
        env = "LOOPFIX_NO_VERIFY",
        value_parser = clap::builder::FalseyValueParser::new(),
        help_heading = "Verification"
    )]
    pub no_verify: bool,

    /// Keep the fixes even if the code no longer compiles after them
    #[arg(long, help_heading = "Verification")]
    pub broken_code: bool,

    /// Features to activate for `cargo check` (comma-separated, repeatable)
    #[arg(long, value_name = "FEATURES", help_heading = "Verification")]
    pub features: Vec<String>,

    /// Activate all features for `cargo check`
    #[arg(long, help_heading = "Verification")]
    pub all_features: bool,

    /// Do not activate the `default` feature for `cargo check`
    #[arg(long, help_heading = "Verification")]
    pub no_default_features: bool,

    /// Passed to `cargo check`: Cargo.lock must be up to date
    #[arg(long, help_heading = "Verification")]
    pub locked: bool,

    /// Passed to `cargo check`: no network access
    #[arg(long, help_heading = "Verification")]
    pub offline: bool,

    /// Passed to `cargo check`: both --locked and --offline
    #[arg(long, help_heading = "Verification")]
    pub frozen: bool,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Path to Cargo.toml, or to the directory holding it
    #[arg(long, value_name = "PATH", help_heading = "Manifest Options")]
    pub manifest_path: Option<Utf8PathBuf>,

    /// Package to check (repeatable)
    #[arg(
        short = 'p',
        long = "package",
        value_name = "SPEC",
        help_heading = "Package Selection"
    )]
    pub package: Vec<String>,

    /// Check all packages in the workspace
    #[arg(long, visible_alias = "all", help_heading = "Package Selection")]
    pub workspace: bool,

    /// Exclude packages from the check (repeatable)
    #[arg(long, value_name = "SPEC", help_heading = "Package Selection")]
    pub exclude: Vec<String>,

    /// Check only this package's library
    #[arg(long, help_heading = "Target Selection")]
    pub lib: bool,
    /// Check all binaries
    #[arg(long, help_heading = "Target Selection")]
    pub bins: bool,
    /// Check only the specified binary (repeatable)
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    pub bin: Vec<String>,
    /// Check all targets that have `test = true` set, and integration tests
    #[arg(long, help_heading = "Target Selection")]
    pub tests: bool,
    /// Check only the specified test target (repeatable)
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    pub test: Vec<String>,
    /// Check all examples
    #[arg(long, help_heading = "Target Selection")]
    pub examples: bool,
    /// Check only the specified example (repeatable)
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    pub example: Vec<String>,
    /// Check all benchmarks
    #[arg(long, help_heading = "Target Selection")]
    pub benches: bool,
    /// Check only the specified bench target (repeatable)
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    pub bench: Vec<String>,
    /// Check all targets and build scripts (the default)
    #[arg(long, help_heading = "Target Selection")]
    pub all_targets: bool,

    /// Run only these rules (comma-separated ids, or `all`)
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "RULE",
        help_heading = "Rule Selection"
    )]
    pub select: Vec<String>,
    /// Do not run these rules (comma-separated ids)
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "RULE",
        help_heading = "Rule Selection"
    )]
    pub ignore: Vec<String>,
}

impl ScanArgs {
    pub fn selection(&self) -> Selection {
        Selection {
            manifest_path: self.manifest_path.clone(),
            packages: self.package.clone(),
            workspace: self.workspace,
            exclude: self.exclude.clone(),
            targets: TargetFilter {
                lib: self.lib,
                bins: self.bins,
                bin: self.bin.clone(),
                tests: self.tests,
                test: self.test.clone(),
                examples: self.examples,
                example: self.example.clone(),
                benches: self.benches,
                bench: self.bench.clone(),
                all_targets: self.all_targets,
            },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// rustc-style findings with the fix's diff (on stderr)
    Human,
    /// `path:line:col: loopfix::rule: message` (on stdout)
    Short,
    /// cargo-compatible JSON lines (on stdout), as `cargo check --message-format json`
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers
    Sarif,
    /// reviewdog's diagnostic format, with each fix as a suggestion
    Rdjson,
    /// reviewdog's diagnostic format, one diagnostic per line
    Rdjsonl,
    /// GitHub Actions annotations (and a table in `$GITHUB_STEP_SUMMARY` when set)
    Github,
    /// GitLab Code Quality report
    Gitlab,
    /// JUnit XML, one failing test case per finding
    Junit,
}

/// Whether to colour the output written to a stream that is (or is not) a terminal.
pub fn use_color(flag: Option<ColorWhen>, is_terminal: bool) -> bool {
    let from_env = || match std::env::var("CARGO_TERM_COLOR").ok()?.as_str() {
        "always" => Some(ColorWhen::Always),
        "never" => Some(ColorWhen::Never),
        "auto" => Some(ColorWhen::Auto),
        _ => None,
    };
    match flag.or_else(from_env) {
        Some(ColorWhen::Always) => true,
        Some(ColorWhen::Never) => false,
        Some(ColorWhen::Auto) | None => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            !no_color && is_terminal
        }
    }
}

/// Arguments as clap should see them: cargo passes the subcommand's name first
/// (`cargo-loopfix loopfix check`), which is dropped.
pub fn normalize_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).is_some_and(|a| a == "loopfix") {
        args.remove(1);
    }
    args
}
