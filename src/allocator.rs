//! The allocator the binary and the bench run with: mimalloc (parsing and the model allocate
//! many small nodes; it is about a fifth faster than glibc's allocator on the benchmark corpus),
//! with two of its options set before its first allocation:
//!
//! - no transparent huge pages: a 2 MiB page that holds a few live nodes among freed ones is
//!   resident whole;
//! - arenas committed on demand, not up front.
//!
//! Together they take the peak memory of a check on the benchmark corpus from about 655 MB to
//! about 590 MB, at the same speed. The options apply when mimalloc makes its first arena, which
//! happens at the process's first allocation, before `main`: [`crate::use_mimalloc!`] runs
//! [`configure`] from the ELF `.init_array` (Linux; elsewhere mimalloc keeps its defaults).

/// Indices into mimalloc 3's `mi_option_t` (`mimalloc.h` of libmimalloc-sys 0.1.49, pinned in
/// `Cargo.toml` because the enum is positional).
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Set mimalloc's options. Allocates nothing.
pub extern "C" fn configure() {
    // SAFETY: stores two integers in mimalloc's option table; valid at any time.
    unsafe {
        libmimalloc_sys::mi_option_set(ALLOW_THP, 0);
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
    }
}

/// mimalloc as the global allocator of this binary, configured before its first allocation.
#[macro_export]
macro_rules! use_mimalloc {
    () => {
        #[global_allocator]
        static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

        #[cfg(target_os = "linux")]
        #[used]
        #[unsafe(link_section = ".init_array")]
        static CONFIGURE_ALLOCATOR: extern "C" fn() = $crate::allocator::configure;
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_options_are_the_ones_named() {
        super::configure();
        // SAFETY: reads mimalloc's option table.
        let (thp, eager) = unsafe {
            (
                libmimalloc_sys::mi_option_get(super::ALLOW_THP),
                libmimalloc_sys::mi_option_get(super::ARENA_EAGER_COMMIT),
            )
        };
        assert_eq!((thp, eager), (0, 0));
    }
}
