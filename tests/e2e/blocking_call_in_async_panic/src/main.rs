use tokio::sync::Mutex;

async fn add(total: &Mutex<u32>, n: u32) {
    *total.blocking_lock() += n;
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let total = Mutex::new(40);
    add(&total, 2).await;
    println!("answer: {}", *total.lock().await);
}
