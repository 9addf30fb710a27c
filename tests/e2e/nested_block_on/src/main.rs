use tokio::runtime::{Handle, Runtime};

async fn answer() -> u32 {
    tokio::task::yield_now().await;
    42
}

async fn double(n: u32) -> u32 {
    // Panics: this thread is a worker of the `#[tokio::main]` runtime.
    Handle::current().block_on(async move { n * 2 })
}

#[tokio::main]
async fn main() {
    let n = Runtime::new().unwrap().block_on(answer());
    println!("answer: {}", double(n).await);
}
