// Depends on `blocking` without re-exporting it: its `quiet` is its own, and does not block.
pub(crate) use blocking::quiet as _unused;

pub fn quiet() -> u32 {
    0
}
