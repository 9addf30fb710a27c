// Re-exported under the same names: `facade::load` is `blocking::load`.
pub use blocking::load;
pub use ::blocking::Store;
// And renamed: `facade::Memo::fetch` is `blocking::Cache::fetch`.
pub use blocking::Cache as Memo;
// And everything, through a glob: `facade::all::tally` is `blocking::tally`.
pub mod all {
    pub use blocking::*;
}
