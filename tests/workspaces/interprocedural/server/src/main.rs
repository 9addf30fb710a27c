//! The async server: its handlers call into the `store` crate (renamed `storage` here).

mod routes;

use storage::load_config;

async fn handler() -> String {
    // `load_config` is sync and ends in `block_on`: found through two crates.
    load_config()
}

#[tokio::main]
async fn main() {
    println!("{}", handler().await);
    println!("{}", routes::index().await);
    // Off the async task: blocking is allowed there.
    let n = tokio::task::spawn_blocking(|| storage::offloaded()).await.unwrap();
    // A cycle of sync calls with no `block_on` in it.
    storage::ping(3);
    // A type of our own with a `block_on` method.
    storage::Pool.block_on(async { n });
}
