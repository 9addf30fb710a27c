use std::time::Duration;

async fn answer() -> u32 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    42
}

#[async_std::main]
async fn main() {
    println!("answer: {}", answer().await);
}
