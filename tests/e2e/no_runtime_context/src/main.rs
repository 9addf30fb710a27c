use std::time::Duration;

async fn answer() -> u32 {
    tokio::task::yield_now().await;
    42
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The timeout's timer is created here, before `block_on` enters the runtime.
    let n = rt.block_on(tokio::time::timeout(Duration::from_secs(5), answer())).unwrap();
    println!("answer: {n}");
}
