// A second hop: `outer::Store` is `facade::Store`, which is `blocking::Store`.
pub use facade::Store;
