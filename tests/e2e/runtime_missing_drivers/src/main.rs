use std::time::Duration;

use tokio::runtime::Builder;

async fn wait_and_answer() -> u32 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    42
}

fn main() {
    let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
    println!("answer: {}", rt.block_on(wait_and_answer()));
}
