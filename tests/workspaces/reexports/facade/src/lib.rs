// Re-exported under the same names: `facade::load` is `blocking::load`.
pub use blocking::load;
pub use ::blocking::Store;
