pub mod glob;
pub mod memo;

pub async fn handler() -> u32 {
    facade::load()
}

pub async fn lookup(store: outer::Store) -> u32 {
    store.get()
}

// Correct: `plain::quiet` does not block (`blocking::quiet` does, but nothing here calls it).
pub async fn idle() -> u32 {
    plain::quiet()
}
