// mimalloc, configured before its first allocation: see `cargo_loopfix::allocator`.
cargo_loopfix::use_mimalloc!();

/// Stack for the main work and for each parsing thread: parsers recurse per nesting level (files
/// nested deeper than `nesting::MAX_DEPTH` are skipped), which a default 2 MiB thread stack does
/// not always hold. Only reserved address space: untouched pages cost nothing.
const MAIN_STACK: usize = 256 << 20;

fn main() -> std::process::ExitCode {
    let args = std::env::args_os().collect();
    std::thread::Builder::new()
        .name("cargo-loopfix".to_owned())
        .stack_size(MAIN_STACK)
        .spawn(move || cargo_loopfix::run(args))
        .expect("the main thread starts")
        .join()
        .unwrap_or(std::process::ExitCode::from(101))
}
