// Only through the renaming re-export: `facade::Memo` is `blocking::Cache`.
pub async fn recall(memo: facade::Memo) -> u32 {
    memo.fetch()
}
