use std::sync::atomic::{AtomicU32, Ordering};

/// What the background job saved.
static SAVED: AtomicU32 = AtomicU32::new(0);

async fn save(value: u32) {
    tokio::task::yield_now().await;
    SAVED.store(value, Ordering::SeqCst);
}

#[tokio::main(flavor = "current_thread")]
async fn run() {
    tokio::spawn(save(42));
}

fn main() {
    run();
    let saved = SAVED.load(Ordering::SeqCst);
    assert_eq!(saved, 42, "the spawned task was cancelled when its runtime shut down: its work is lost");
    println!("answer: {saved}");
}
