use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A step that waits, as a retry back-off or a rate limit would.
async fn slow_step() -> u32 {
    std::thread::sleep(Duration::from_millis(200));
    21
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Another task that should keep running while `slow_step` waits.
    let ticks = Arc::new(AtomicU64::new(0));
    let counter = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
        }
    });
    let before = ticks.load(Ordering::SeqCst);
    let value = slow_step().await;
    let during = ticks.load(Ordering::SeqCst) - before;
    ticker.abort();
    assert!(during > 0, "the executor stalled: no other task ran during the 200 ms step");
    println!("answer: {}", value * 2);
}
