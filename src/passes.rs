//! Where a run's wall time goes, as rustc's `-Z time-passes`: with `LOOPFIX_TIME_PASSES=1`, each
//! [`mark`] prints the time since the previous one to stderr, with the resident memory then and at
//! its peak so far (Linux). For developers measuring the pipeline; nothing is printed otherwise.

use std::sync::Mutex;
use std::sync::OnceLock;
use std::time::Instant;

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
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let since = last.map_or(std::time::Duration::ZERO, |l| now - l);
    *last = Some(now);
    match rss_mb() {
        Some((rss, peak)) => {
            eprintln!("time: {since:>9.1?}  rss: {rss:>5} MB (peak {peak:>5} MB)  {label}")
        }
        None => eprintln!("time: {since:>9.1?}  {label}"),
    }
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
