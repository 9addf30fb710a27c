use tokio::runtime::Runtime;

async fn answer() -> u32 {
    tokio::task::yield_now().await;
    42
}

#[tokio::main]
async fn main() {
    // Left over from code that used to `block_on` here; dropping it at the end of `main` panics.
    let _rt = Runtime::new().unwrap();
    println!("answer: {}", answer().await);
}
