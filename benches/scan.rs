//! Throughput of a whole `check` minus printing: load the workspace, discover and parse every file
//! (rayon), build the semantic model and run every rule.
//!
//!     cargo bench --bench scan                                   # this repository
//!     LOOPFIX_BENCH_MANIFEST=/path/to/Cargo.toml cargo bench --bench scan
//!     RAYON_NUM_THREADS=1 cargo bench --bench scan                # one core
//!
//! Prints the median of several runs for each phase, and MB/s over the source bytes; next to it,
//! the floor: reading and parsing the same files with rust-analyzer's parser alone (all cores),
//! and the peak memory of the process.

use std::time::{Duration, Instant};

use camino::Utf8PathBuf;
use cargo_loopfix::analysis::{RuleSet, analyze_with_stats, model};
use cargo_loopfix::rules;
use cargo_loopfix::source::SourceSet;
use cargo_loopfix::workspace::{Selection, Workspace};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// The process's peak resident memory (Linux), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() {
    // As the binary does: deep files need more than the default 2 MiB of stack to parse.
    rayon::ThreadPoolBuilder::new()
        .stack_size(64 << 20)
        .build_global()
        .expect("the pool is built once");
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

    let (mut load, mut semantic, mut check, mut bare) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut lines = 0;
    let mut graph = Default::default();
    let (mut files, mut bytes, mut findings) = (0, 0, 0);
    for _ in 0..runs {
        let t0 = Instant::now();
        let sources = SourceSet::load(&workspace);
        let t1 = Instant::now();
        let model_only = model(Some(&workspace), &sources);
        let t2 = Instant::now();
        drop(model_only);
        let t3 = Instant::now();
        let (diagnostics, stats) = analyze_with_stats(Some(&workspace), &sources, &rules);
        let t4 = Instant::now();
        // The floor: read and parse the same files, nothing else.
        let paths: Vec<_> = sources.files.iter().map(|f| f.path.clone()).collect();
        let t5 = Instant::now();
        use rayon::prelude::*;
        paths.par_iter().for_each(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let parse = ra_ap_syntax::SourceFile::parse(&text, ra_ap_syntax::Edition::Edition2024);
            std::hint::black_box(parse);
        });
        bare.push(t5.elapsed());
        lines = sources
            .files
            .iter()
            .map(|f| f.text.lines().count())
            .sum::<usize>();
        load.push(t1 - t0);
        semantic.push(t2 - t1);
        check.push(t4 - t3);
        graph = stats;
        files = sources.files.len();
        bytes = sources.files.iter().map(|f| f.text.len()).sum::<usize>();
        findings = diagnostics.len();
    }
    let (load, semantic, check, bare) =
        (median(load), median(semantic), median(check), median(bare));
    let total = load + check;
    let mb = bytes as f64 / 1e6;
    println!("workspace: {manifest}");
    println!("threads:   {}", rayon::current_num_threads());
    println!("input:     {files} files, {lines} lines, {mb:.2} MB, {findings} findings");
    println!("cargo metadata:            {metadata:>10.1?} (once)");
    println!("discover + read + parse:   {load:>10.1?} median of {runs}");
    println!(
        "semantic model alone:      {semantic:>10.1?}  (per-file summaries + workspace call graph)"
    );
    println!("semantic model + rules:    {check:>10.1?}");
    let cg: cargo_loopfix::semantic::graph::GraphStats = graph;
    println!(
        "call graph: {} functions, {} call sites: {} resolved to workspace functions, {} to dependencies, {} unknown ({} of them methods on receivers of unknown type)",
        cg.functions,
        cg.call_sites,
        cg.to_workspace,
        cg.to_dependencies,
        cg.unknown,
        cg.unknown_methods
    );
    println!(
        "total after metadata:      {total:>10.1?}  ({:.1} MB/s, {:.0} files/s)",
        mb / total.as_secs_f64(),
        files as f64 / total.as_secs_f64()
    );
    println!(
        "floor: read + parse only:  {bare:>10.1?}  ({:.1} MB/s); check / floor = {:.2}",
        mb / bare.as_secs_f64(),
        total.as_secs_f64() / bare.as_secs_f64()
    );
    if let Some(peak) = peak_rss() {
        println!(
            "peak memory:               {:>7.0} MB  ({:.1}x the source bytes)",
            peak as f64 / 1e6,
            peak as f64 / bytes as f64
        );
    }
}
