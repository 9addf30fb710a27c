//! Where a run's wall time goes, as rustc's `-Z time-passes`: with `LOOPFIX_TIME_PASSES=1`, each
//! [`mark`] prints the time since the previous one to stderr, with the CPU time the process used
//! meanwhile (how many cores the pass kept busy), the resident memory then and at its peak so far,
//! and the minor page faults taken meanwhile (Linux). For developers measuring the pipeline;
//! nothing is printed otherwise.

use std::sync::Mutex;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether marks are printed (to skip work done only for their labels).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("LOOPFIX_TIME_PASSES").is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// Prints `label` with the wall time since the previous mark (or since the first).
pub fn mark(label: &str) {
    if !enabled() {
        return;
    }
    /// The previous mark's wall time, CPU time and minor page faults.
    type Mark = (Instant, Option<Duration>, Option<u64>);
    static LAST: Mutex<Option<Mark>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let (cpu, faults) = (cpu_time(), minor_faults());
    let (since, cpu_since, faults_since) = match *last {
        Some((l, l_cpu, l_faults)) => (
            now - l,
            cpu.zip(l_cpu).map(|(c, l)| c.saturating_sub(l)),
            faults.zip(l_faults).map(|(f, l)| f.saturating_sub(l)),
        ),
        None => (Duration::ZERO, None, faults),
    };
    *last = Some((now, cpu, faults));
    // Cores kept busy: CPU time over wall time (this process's threads; not a child's).
    let busy = match cpu_since {
        Some(c) if !since.is_zero() => {
            format!(
                "  cpu: {c:>9.1?} (x{:.2})",
                c.as_secs_f64() / since.as_secs_f64()
            )
        }
        _ => String::new(),
    };
    let faults = faults_since.map_or(String::new(), |f| format!("  faults: {f:>6}"));
    match rss_mb() {
        Some((rss, peak)) => {
            eprintln!(
                "time: {since:>9.1?}{busy}  rss: {rss:>5} MB (peak {peak:>5} MB){faults}  {label}"
            )
        }
        None => eprintln!("time: {since:>9.1?}{busy}  {label}"),
    }
}

/// The CPU time (user and system) of the process's threads so far (Linux), from the scheduler's
/// nanosecond count of each thread.
fn cpu_time() -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok();
        // `schedstat`: time on the CPU (ns), time waiting for it, time slices.
        total += stat
            .as_deref()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(Duration::from_nanos(total))
}

/// Minor page faults of the process so far (Linux): each is a page the kernel zeroes (or maps)
/// on first touch, a few microseconds apiece on a virtual machine.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name (in parentheses, which may hold spaces): state, ppid, pgrp,
    // session, tty_nr, tpgid, flags, minflt.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(7)?.parse().ok()
}

/// The process's resident memory and its peak so far, in MB (Linux only), as rustc's
/// `-Z time-passes` shows them.
fn rss_mb() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
