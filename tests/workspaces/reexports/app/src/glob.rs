// Only through the glob re-export: `facade::all::tally` is `blocking::tally`.
pub async fn count() -> u32 {
    facade::all::tally()
}
