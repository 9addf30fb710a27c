//! Hostile and odd input: the analyzer never panics, never hangs, and says what it skipped. Run
//! through the real binary (which gives its parsing threads the stack they need).

mod common;

use std::path::Path;

use common::{code, loopfix, stderr, stdout};

fn write(root: &Path, path: &str, text: impl AsRef<[u8]>) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

const MANIFEST: &str = "[package]\nname = \"hostile\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n\n[workspace]\n";

const BLOCKING: &str = "std::thread::sleep(std::time::Duration::from_millis(1));";

#[test]
fn deep_long_odd_and_broken_files_are_checked_or_skipped_with_a_warning() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "Cargo.toml", MANIFEST);
    write(
        root,
        "src/lib.rs",
        "mod brackets;\nmod inert;\nmod chain;\nmod many;\nmod crlf;\nmod odd;\nmod broken;\nmod latin1;\n#[path = \"lib.rs\"]\nmod again;\nmod looped;\n",
    );
    // 10,000 nested parentheses, and a 20,000-call chain: skipped, not a stack overflow (both
    // are in async code next to a blocking call, so the prefilter does not leave them out). The
    // same brackets in a file that cannot matter: left out unparsed, without a word.
    let brackets = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    write(
        root,
        "src/brackets.rs",
        format!("pub async fn f() -> u32 {{ {BLOCKING} {brackets} }}\n"),
    );
    write(
        root,
        "src/inert.rs",
        format!("pub fn f() -> u32 {{ {brackets} }}\n"),
    );
    write(
        root,
        "src/chain.rs",
        format!(
            "pub async fn g() -> u32 {{ {BLOCKING} 1{} }}\n",
            " + 1".repeat(20_000)
        ),
    );
    // 100,000 functions in one file (4 MB).
    let many: String = (0..100_000)
        .map(|i| format!("pub fn f{i}() -> u32 {{ {i} }}\n"))
        .collect();
    write(
        root,
        "src/many.rs",
        format!("{many}pub async fn last() {{ {BLOCKING} }}\n"),
    );
    // CRLF line endings.
    write(
        root,
        "src/crlf.rs",
        format!("pub async fn c() {{\r\n    {BLOCKING}\r\n}}\r\n"),
    );
    // Raw identifiers, unicode identifiers, macros everywhere.
    write(
        root,
        "src/odd.rs",
        format!(
            "pub fn r#async() {{}}\npub fn grüße() -> u32 {{ 1 }}\nmacro_rules! m {{ ($($t:tt)*) => {{ $($t)* }} }}\nm! {{ pub async fn in_macro() {{ {BLOCKING} }} }}\npub async fn args() {{ println!(\"{{}}\", vec![format!(\"{{:?}}\", m!(1))].len()); {BLOCKING} }}\n"
        ),
    );
    // A syntax error, and a file that is not UTF-8.
    write(
        root,
        "src/broken.rs",
        format!("pub async fn b() {{ {BLOCKING} }}\npub fn oops( {{\n"),
    );
    write(root, "src/latin1.rs", b"// caf\xe9\npub fn l() {}\n");
    // A module whose file is a symlink to itself.
    #[cfg(unix)]
    std::os::unix::fs::symlink("looped.rs", root.join("src/looped.rs")).unwrap();

    let out = loopfix(root, &["check", "--message-format", "short"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        !err.contains("panicked") && !err.contains("overflow"),
        "{err}"
    );
    assert!(
        err.contains("warning: src/brackets.rs: skipped: code nested 10001 levels deep"),
        "{err}"
    );
    assert!(
        err.contains("warning: src/chain.rs: skipped: code nested"),
        "{err}"
    );
    assert!(!err.contains("src/inert.rs"), "{err}");
    assert!(
        err.contains("warning: src/latin1.rs: skipped: not valid UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("src/broken.rs:2:"),
        "the syntax error is a warning: {err}"
    );
    let found = stdout(&out);
    for place in [
        "src/broken.rs:1:",
        "src/crlf.rs:2:5",
        "src/many.rs:100001:",
        "src/odd.rs:5:",
    ] {
        assert!(found.contains(place), "{place} in:\n{found}");
    }
    // The fixed CRLF file keeps its line endings.
    let out = loopfix(
        root,
        &[
            "apply",
            "--allow-no-vcs",
            "--unsafe-fixes",
            "--select",
            "blocking_call_in_async",
        ],
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let crlf = std::fs::read_to_string(root.join("src/crlf.rs")).unwrap();
    assert_eq!(
        crlf,
        "pub async fn c() {\r\n    tokio::time::sleep(std::time::Duration::from_millis(1)).await;\r\n}\r\n"
    );
}

#[test]
fn empty_and_missing_workspaces_are_clear() {
    let empty = tempfile::tempdir().unwrap();
    write(
        empty.path(),
        "Cargo.toml",
        "[workspace]\nmembers = []\nresolver = \"2\"\n",
    );
    let out = loopfix(empty.path(), &["check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no problems found in 0 files"),
        "{}",
        stderr(&out)
    );

    let missing = tempfile::tempdir().unwrap();
    write(
        missing.path(),
        "Cargo.toml",
        "[workspace]\nmembers = [\"gone\"]\nresolver = \"2\"\n",
    );
    let out = loopfix(missing.path(), &["check"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).starts_with("error: could not load the cargo workspace"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn a_ten_megabyte_file_and_an_unreadable_module_are_handled() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "Cargo.toml", MANIFEST);
    write(root, "src/lib.rs", "mod data;\nmod unreadable;\n");
    // 10 MB of generated data (a table of numbers), and a finding at its end.
    let mut data = String::from("pub const TABLE: &[u32] = &[\n");
    let mut i = 0u64;
    while data.len() < 10 << 20 {
        data.push_str(&format!("    {i}, {}, {}, {},\n", i + 1, i + 2, i + 3));
        i += 4;
    }
    data.push_str("];\n");
    data.push_str(&format!(
        "pub async fn after_the_table() {{ {BLOCKING} }}\n"
    ));
    write(root, "src/data.rs", &data);
    // A module file nobody may read (root may read anything: then only "no crash" is checked).
    write(
        root,
        "src/unreadable.rs",
        format!("pub async fn u() {{ {BLOCKING} }}\n"),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = root.join("src/unreadable.rs");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let readable = std::fs::read(root.join("src/unreadable.rs")).is_ok();
    let out = loopfix(root, &["check", "--message-format", "short"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    if !readable {
        assert!(
            stderr(&out)
                .contains("warning: src/unreadable.rs: could not read file: Permission denied"),
            "{}",
            stderr(&out)
        );
    }
    assert!(
        stdout(&out).contains("loopfix::blocking_call_in_async"),
        "{}",
        stdout(&out)
    );
}
