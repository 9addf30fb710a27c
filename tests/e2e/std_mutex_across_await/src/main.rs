use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn add(total: Arc<Mutex<u32>>, n: u32) {
    let mut sum = total.lock().unwrap();
    *sum += n;
    // Let the other task run, as any real `.await` (I/O, a timer) would.
    tokio::task::yield_now().await;
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Report a deadlock instead of hanging forever.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(5));
        eprintln!("deadlock: the two tasks never finished");
        std::process::exit(1);
    });
    let total = Arc::new(Mutex::new(0));
    tokio::join!(add(total.clone(), 40), add(total.clone(), 2));
    let answer = *total.lock().unwrap();
    println!("answer: {answer}");
}
