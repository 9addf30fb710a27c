//! Where a run's wall time goes, as rustc's `-Z time-passes`: with `LOOPFIX_TIME_PASSES=1`, each
//! [`mark`] prints the time since the previous one to stderr. For developers measuring the
//! pipeline; nothing is printed otherwise.

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
    eprintln!("time: {:>9.1?}  {label}", since);
}
