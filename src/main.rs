fn main() -> std::process::ExitCode {
    cargo_loopfix::run(std::env::args_os().collect())
}
