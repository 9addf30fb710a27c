//! A sync command-line tool: it owns its runtimes, so `block_on` is how it should use them.

fn main() {
    println!("{}", storage::only_from_sync_main());
    // Tokio's "bridging with sync code" pattern: a runtime kept in a struct, used from sync code.
    let client = storage::SyncClient::new();
    println!("{}", client.get());
    // Sixty sync calls down to a `block_on`: still sync code.
    println!("{}", storage::chain::step0());
}
