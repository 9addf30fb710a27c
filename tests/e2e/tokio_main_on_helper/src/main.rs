#[tokio::main]
async fn answer() -> u32 {
    tokio::task::yield_now().await;
    42
}

#[tokio::main]
async fn main() {
    // `answer` builds its own runtime and blocks on it: this panics.
    let n = answer();
    println!("answer: {n}");
}
