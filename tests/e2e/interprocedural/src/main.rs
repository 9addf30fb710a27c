use tokio::runtime::Handle;

async fn fetch_setting() -> u32 {
    tokio::task::yield_now().await;
    7
}

fn read_setting() -> u32 {
    // Panics when called on a runtime thread.
    Handle::current().block_on(fetch_setting())
}

fn load() -> u32 {
    read_setting() * 2
}

async fn handler() -> u32 {
    load()
}

#[tokio::main]
async fn main() {
    println!("setting: {}", handler().await);
}
