//! A progress bar on stderr for long runs: shown only once a run has taken about a second, only
//! on a terminal, never with `-q` or a machine format on stdout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Runs shorter than this show no bar at all.
const DELAY: Duration = Duration::from_secs(1);

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    /// A bar that may appear (`enabled`), or one that never does.
    pub fn new(enabled: bool) -> Progress {
        let bar =
            enabled.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()));
        Progress {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    /// Start a phase of `len` steps, or of files counted as they come (`len` 0).
    pub fn phase(&self, message: &'static str, len: usize) {
        if let Some(bar) = &self.bar {
            let template = if len == 0 {
                "{spinner} {msg} {pos} files [{elapsed}]"
            } else {
                "{spinner} {msg} [{bar:30}] {percent}% [{elapsed}]"
            };
            bar.set_style(ProgressStyle::with_template(template).expect("the template is valid"));
            bar.set_message(message);
            bar.set_length(len as u64);
            bar.set_position(0);
        }
    }

    /// One step done; the bar appears once the run is older than about a second.
    pub fn step(&self) {
        let Some(bar) = &self.bar else { return };
        bar.inc(1);
        if self.started.elapsed() > DELAY && !self.shown.swap(true, Ordering::Relaxed) {
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
            bar.enable_steady_tick(Duration::from_millis(100));
        }
    }

    /// Remove the bar before the findings are printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
