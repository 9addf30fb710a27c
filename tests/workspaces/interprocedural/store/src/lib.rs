//! Storage helpers, most of them sync.

pub mod cache;
pub mod chain;

use tokio::runtime::{Handle, Runtime};

pub fn load_config() -> String {
    cache::read_blocking("config")
}

/// Called only from a sync `main`: correct.
pub fn only_from_sync_main() -> u32 {
    Runtime::new().unwrap().block_on(async { 1 })
}

/// Called only inside `spawn_blocking`: correct.
pub fn offloaded() -> u32 {
    Handle::current().block_on(async { 3 })
}

pub fn ping(n: u32) {
    if n > 0 {
        pong(n - 1)
    }
}

pub fn pong(n: u32) {
    ping(n)
}

pub struct Pool;

impl Pool {
    pub fn block_on<F>(&self, _f: F) {}
}

pub struct SyncClient {
    rt: Runtime,
}

impl SyncClient {
    pub fn new() -> SyncClient {
        SyncClient { rt: Runtime::new().unwrap() }
    }

    pub fn get(&self) -> u32 {
        self.rt.block_on(async { 2 })
    }
}
