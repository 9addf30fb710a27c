async fn fetch_setting() -> u32 {
    tokio::task::yield_now().await;
    7
}

async fn read_setting() -> u32 {
    fetch_setting().await
}

async fn load() -> u32 {
    read_setting().await * 2
}

async fn handler() -> u32 {
    load().await
}

#[tokio::main]
async fn main() {
    println!("setting: {}", handler().await);
}
