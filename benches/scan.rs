//! Throughput of a whole `check` minus printing, on one workspace (as users run it:
//! `cargo loopfix check --workspace`): discover and read the files, prefilter, parse and summarise
//! what can matter, build the call graph, run every rule.
//!
//!     cargo bench --bench scan                                   # this repository
//!     LOOPFIX_BENCH_MANIFEST=/path/to/Cargo.toml cargo bench --bench scan
//!     RAYON_NUM_THREADS=1 cargo bench --bench scan                # one core
//!
//! Prints the median of several runs (`LOOPFIX_BENCH_RUNS`, default 15) for each phase, files/s
//! and MB/s over the source bytes; next to it (a) the floor: reading and parsing every file with
//! rust-analyzer's parser alone (all cores), and its peak memory (one run in a process of its
//! own); the floors of the check's own work (reading every file; parsing the files it parsed,
//! with a tree and with the parser alone); the same check parsing every file (its findings must
//! be the same); ast-grep with one pattern on the same files, when it is installed
//! (`npm i -g @ast-grep/cli` or `cargo install ast-grep`; `LOOPFIX_BENCH_AST_GREP=path`); the
//! model on every other package against all of them (linear growth); a second check of the
//! unchanged workspace, and one after an edit that cannot matter, answered by the cache; and the
//! binary's own check (`cargo-loopfix check --no-cache`, a child process) end to end, with its
//! peak memory.

use std::time::{Duration, Instant};

use camino::Utf8PathBuf;
use cargo_loopfix::analysis::{RuleSet, analyze_releasing, analyze_traced, analyze_with, model};
use cargo_loopfix::cache::{Cache, Entry};
use cargo_loopfix::rules;
use cargo_loopfix::source::{SourceFile, SourceSet};
use cargo_loopfix::workspace::{Selection, Workspace};

// As the binary: the floor and the check run with the same allocator.
cargo_loopfix::use_mimalloc!();

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// The median wall time of `n` calls of `run`.
fn median_time(n: usize, mut run: impl FnMut()) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let t = Instant::now();
                run();
                t.elapsed()
            })
            .collect(),
    )
}

/// The binary's `check` of the workspace, as users run it (no cache, short format, `-v` for its
/// peak memory): its wall time and peak resident memory in bytes. (A child's `getrusage` peak
/// would be the bench's own: the child shares the parent's memory until it runs the binary.)
fn binary_check(manifest: &str) -> Option<(Duration, u64)> {
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-loopfix"))
        .args(["loopfix", "check", "--workspace", "--no-cache", "-v"])
        .args(["--message-format", "short", "--manifest-path", manifest])
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    let wall = started.elapsed();
    // 0: clean, 1: findings.
    if out.status.code().is_none_or(|c| c > 1) {
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mib: u64 = stderr
        .split(", peak memory ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((wall, mib << 20))
}

/// ast-grep's time for one pattern over `paths` (in batches, as a command line holds only so
/// many), when `LOOPFIX_BENCH_AST_GREP` or `ast-grep` on `PATH` runs.
fn ast_grep(paths: &[String]) -> Option<Duration> {
    let program = std::env::var("LOOPFIX_BENCH_AST_GREP").unwrap_or_else(|_| "ast-grep".into());
    std::process::Command::new(&program)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let started = Instant::now();
    for batch in paths.chunks(2000) {
        let status = std::process::Command::new(&program)
            .args(["run", "-p", "$A.block_on($B)", "-l", "rust"])
            .args(batch)
            .stdout(std::process::Stdio::null())
            .status()
            .ok()?;
        // 0: matches found, 1: none.
        if status.code().is_none_or(|c| c > 1) {
            return None;
        }
    }
    Some(started.elapsed())
}

/// (a), the floor: read and parse every file of `paths`, nothing else, on all cores.
fn floor(paths: &[String]) {
    use rayon::prelude::*;
    paths.par_iter().for_each(|p| {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        let parse = ra_ap_syntax::SourceFile::parse(&text, ra_ap_syntax::Edition::Edition2024);
        std::hint::black_box(parse);
    });
}

/// Read every file of `paths` into memory, nothing else, on all cores.
fn read_only(paths: &[String]) {
    use rayon::prelude::*;
    paths.par_iter().for_each(|p| {
        std::hint::black_box(std::fs::read(p).unwrap_or_default());
    });
}

/// The parser alone on `texts`, on all cores: rust-analyzer's lexer and parser, and the walk over
/// their output in text order that any tree is built from, without building one.
fn parser_events(texts: &[String]) {
    use rayon::prelude::*;
    let edition = ra_ap_syntax::Edition::Edition2024;
    texts.par_iter().for_each(|text| {
        let lexed = ra_ap_parser::LexedStr::new(edition, text);
        let output = ra_ap_parser::TopEntryPoint::SourceFile.parse(&lexed.to_input(edition));
        let mut steps = 0usize;
        lexed.intersperse_trivia(&output, &mut |_| steps += 1);
        std::hint::black_box(steps);
    });
}

/// Set in the child that measures the floor's peak memory: the file listing the paths to parse.
const FLOOR_CHILD: &str = "LOOPFIX_BENCH_FLOOR_PATHS";

/// The floor's peak resident memory in bytes: one floor run in a child process (this bench
/// binary again, fresh from `exec`, so the peak is the floor's alone), on Linux.
fn floor_peak(paths: &[String]) -> Option<u64> {
    let list = tempfile::NamedTempFile::new().ok()?;
    std::fs::write(list.path(), paths.join("\n")).ok()?;
    let out = std::process::Command::new(std::env::current_exe().ok()?)
        .env(FLOOR_CHILD, list.path())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn main() {
    // As the binary does: deep files need more than the default 2 MiB of stack to parse.
    rayon::ThreadPoolBuilder::new()
        .stack_size(64 << 20)
        .build_global()
        .expect("the pool is built once");
    if let Some(list) = std::env::var_os(FLOOR_CHILD) {
        let list = std::fs::read_to_string(list).expect("the parent wrote the list");
        let paths: Vec<String> = list.lines().map(str::to_owned).collect();
        floor(&paths);
        if let Some(peak) = cargo_loopfix::commands::peak_memory() {
            println!("{peak}");
        }
        return;
    }
    let manifest = std::env::var("LOOPFIX_BENCH_MANIFEST")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml").to_owned());
    let runs: usize = std::env::var("LOOPFIX_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    let selection = Selection {
        manifest_path: Some(Utf8PathBuf::from(manifest.clone())),
        workspace: true,
        ..Selection::default()
    };
    let started = Instant::now();
    let workspace = Workspace::load(&selection).expect("workspace loads");
    let metadata = started.elapsed();
    let rules = RuleSet::new(rules::all().to_vec());

    // (b) the check: discover and read, then the model and the rules.
    let (mut load, mut semantic, mut check) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..runs {
        // One run's data alive at a time, as in the binary.
        drop(last.take());
        let t0 = Instant::now();
        let sources = SourceSet::load(&workspace);
        let t1 = Instant::now();
        drop(model(Some(&workspace), &sources));
        let t2 = Instant::now();
        drop(sources);
        let mut fresh = SourceSet::load(&workspace);
        let t3 = Instant::now();
        // As the binary: the texts of the files left out are let go of once scanned.
        let (diagnostics, stats, _) =
            analyze_releasing(Some(&workspace), &mut fresh, &rules, &|| {});
        let t4 = Instant::now();
        load.push(t1 - t0);
        semantic.push(t2 - t1);
        check.push(t4 - t3);
        last = Some((fresh, diagnostics, stats));
    }
    // The binary alone: end to end, and its peak memory (before any other child runs).
    let binary = binary_check(&manifest);
    let (sources, diagnostics, stats) = last.expect("at least one run");
    let files = sources.files.len();
    let bytes: usize = sources.files.iter().map(|f| f.text_len()).sum();
    let lines: usize = sources.files.iter().map(|f| f.text().lines().count()).sum();
    let parsed: Vec<&SourceFile> = sources.files.iter().filter(|f| f.is_parsed()).collect();
    let parsed_bytes: usize = parsed.iter().map(|f| f.text_len()).sum();
    let paths: Vec<String> = sources.files.iter().map(|f| f.path.to_string()).collect();

    // (a) the floor: read and parse every file, nothing else, on all cores.
    let bare = median_time(runs, || floor(&paths));
    let bare_peak = floor_peak(&paths);

    // What any check that reads every file and parses what this one parsed must spend, whatever
    // it does with the trees: reading every file, and parsing the files it parsed (with a tree,
    // as the floor; and the parser alone, no tree).
    let parsed_paths: Vec<String> = parsed.iter().map(|f| f.path.to_string()).collect();
    let parsed_texts: Vec<String> = parsed.iter().map(|f| f.text().to_owned()).collect();
    let read_all = median_time(runs, || read_only(&paths));
    let parse_parsed = median_time(runs, || floor(&parsed_paths));
    let events_parsed = median_time(runs, || parser_events(&parsed_texts));

    // The prefilter must not change what is found: the same check (reading included, as in (b)),
    // parsing every file.
    let t = Instant::now();
    let everything = SourceSet::load(&workspace);
    let (all_diagnostics, _) = analyze_with(Some(&workspace), &everything, &rules, &|| {}, true);
    let parse_all = t.elapsed();
    let key = |d: &cargo_loopfix::diagnostic::Diagnostic| (d.path.clone(), d.range, d.rule);
    let same = diagnostics.len() == all_diagnostics.len()
        && diagnostics
            .iter()
            .zip(&all_diagnostics)
            .all(|(a, b)| key(a) == key(b));

    // Linear in the workspace: the model of every other package (half of the workspace, of the
    // same mix: packages are sorted by name, so a first half would be other code), then of all.
    let mut half = workspace.clone();
    half.packages = workspace.packages.iter().step_by(2).cloned().collect();
    let half_sources = SourceSet::load(&half);
    let half_bytes: usize = half_sources.files.iter().map(|f| f.text_len()).sum();
    let time_model =
        |ws: &Workspace, s: &SourceSet| median_time(runs.min(3), || drop(model(Some(ws), s)));
    let half_model = time_model(&half, &half_sources);
    let full_model = time_model(&workspace, &everything);

    let ast_grep = ast_grep(&paths);

    // A second check of the unchanged workspace: read the files, hash them, read the stored
    // results (the binary's `check` does this unless `--no-cache`).
    let (_, _, closure) = analyze_traced(Some(&workspace), &sources, &rules, &|| {}, false);
    let cache = Cache::new(&workspace, &rules, &sources).expect("the bench binary is found");
    cache
        .store(&Entry {
            diagnostics: diagnostics.clone(),
            warnings: Vec::new(),
            stats,
            closure,
        })
        .expect("the cache is written");
    // `edit`: a comment appended (in memory) to the first file the prefilter left out, which
    // cannot change the findings.
    let left_out = sources.files.iter().position(|f| !f.is_parsed());
    let again = |edit: bool| {
        median_time(runs, || {
            let mut again = SourceSet::load(&workspace);
            if let (true, Some(i)) = (edit, left_out) {
                let file = &again.files[i];
                let mut edited = SourceFile::new(
                    file.path.clone(),
                    file.rel_path.clone(),
                    format!("{}\n// an edit\n", file.text()),
                    file.edition,
                );
                edited.owners = file.owners.clone();
                again.files[i] = edited;
            }
            let (entry, _) = Cache::new(&workspace, &rules, &again)
                .and_then(|c| {
                    c.load(|closure, changed| {
                        closure.unaffected_by(Some(&workspace), &again, changed)
                    })
                })
                .expect("a cache hit");
            assert_eq!(entry.diagnostics.len(), diagnostics.len());
        })
    };
    let cached = again(false);
    let cached_edit = left_out.map(|_| again(true));

    let (load, semantic, check) = (median(load), median(semantic), median(check));
    let total = load + check;
    let mb = bytes as f64 / 1e6;
    println!("workspace: {manifest} (one workspace: `cargo loopfix check --workspace`)");
    println!("threads:   {}", rayon::current_num_threads());
    println!(
        "input:     {files} files, {lines} lines, {mb:.2} MB, {} findings",
        diagnostics.len()
    );
    println!(
        "prefilter: {} files summarised ({:.1} MB parsed), {} of them checked by the rules, {} walked again (where a rule's gate opened)",
        stats.parsed_files,
        parsed_bytes as f64 / 1e6,
        stats.checked_files,
        stats.walked_files
    );
    println!("cargo metadata:            {metadata:>10.1?} (once)");
    println!("discover + read:           {load:>10.1?} median of {runs}");
    println!("semantic model alone:      {semantic:>10.1?}  (prefilter, summaries, call graph)");
    println!("semantic model + rules:    {check:>10.1?}");
    println!(
        "call graph: {} functions, {} call sites: {} resolved to workspace functions, {} to dependencies, {} unknown ({} of them methods on receivers of unknown type)",
        stats.functions,
        stats.call_sites,
        stats.to_workspace,
        stats.to_dependencies,
        stats.unknown,
        stats.unknown_methods
    );
    println!(
        "(b) check:                 {total:>10.1?}  ({:.1} MB/s, {:.0} files/s)",
        mb / total.as_secs_f64(),
        files as f64 / total.as_secs_f64()
    );
    println!(
        "(a) floor, read + parse:   {bare:>10.1?}  ({:.1} MB/s, {:.0} files/s); b / a = {:.2}{}",
        mb / bare.as_secs_f64(),
        files as f64 / bare.as_secs_f64(),
        total.as_secs_f64() / bare.as_secs_f64(),
        bare_peak.map_or(String::new(), |peak| format!(
            "; peak memory {:.0} MB (a process of its own)",
            peak as f64 / 1e6
        ))
    );
    println!(
        "floors of this check's work: reading every file {read_all:.1?}; reading + parsing the {} files it parsed {parse_parsed:.1?}; the parser alone on them (lexer and parser, no tree) {events_parsed:.1?}",
        parsed_paths.len()
    );
    println!(
        "check parsing every file:  {parse_all:>10.1?}  same findings as with the prefilter: {}",
        if same { "yes" } else { "NO" }
    );
    println!(
        "(b) again, unchanged:      {cached:>10.1?}  (results from the cache: {:.1}x faster)",
        total.as_secs_f64() / cached.as_secs_f64()
    );
    if let Some(t) = cached_edit {
        println!(
            "(b) again, after an edit:  {t:>10.1?}  (to a file the prefilter left out: {:.1}x faster)",
            total.as_secs_f64() / t.as_secs_f64()
        );
    }
    match ast_grep {
        Some(t) => println!(
            "ast-grep, one pattern:     {t:>10.1?}  ({:.1}x the check; 5x would be a check in {:.1?}, of which reading every file and the parser alone on the parsed files take {:.0} %)",
            t.as_secs_f64() / total.as_secs_f64(),
            t / 5,
            100.0 * (read_all + events_parsed).as_secs_f64() / (t / 5).as_secs_f64()
        ),
        None => println!(
            "ast-grep, one pattern:     not run (set LOOPFIX_BENCH_AST_GREP or put ast-grep on PATH)"
        ),
    }
    if workspace.packages.len() < 2 {
        println!("model, every other package: n/a (one package)");
    } else {
        println!(
            "model, every other package: {half_model:>9.1?}  ({:.1} MB); all: {full_model:.1?} ({mb:.1} MB); time ratio {:.2} for a size ratio {:.2}",
            half_bytes as f64 / 1e6,
            full_model.as_secs_f64() / half_model.as_secs_f64(),
            bytes as f64 / half_bytes as f64
        );
    }
    if let Some((wall, peak)) = binary {
        println!(
            "the binary's check:        {wall:>10.1?}  (cargo metadata and printing included); peak memory {:.0} MB ({:.1}x the source bytes)",
            peak as f64 / 1e6,
            peak as f64 / bytes as f64
        );
    }
}
