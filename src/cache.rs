//! The results of `cargo loopfix check`, kept under `target/loopfix/` so that checking an unchanged
//! workspace again (the next CI step, a save that touched nothing Rust, a second look at the
//! report) reads the findings instead of computing them.
//!
//! Findings are cross-file: whether a call in one file blocks depends on what another file's
//! function does, on the runtimes of every binary, on `Cargo.lock`. So an entry answers one exact
//! input: the tool binary (version, size and modification time, so a rebuilt tool never reads an
//! older one's results), the rules of the run, the workspace as loaded (packages, targets,
//! dependencies and features, configuration, `Cargo.lock`), and every file's path, owners and
//! content. Any change to any of them is a miss and a full run. The key is a 128-bit hash of all
//! that, computed per file in parallel; reading and hashing the files costs a small part of a
//! check.
//!
//! What is stored is what the analysis returns before anything that depends on the file system
//! is applied (which fixes may write where is decided again on every run), the syntax warnings of
//! the run, and the counts `-v` prints. Entries are written atomically (a temporary file renamed
//! over); the newest [`KEEP`] are kept. A missing, unreadable, corrupt or foreign entry is a miss,
//! never an error; `--no-cache` turns the cache off.

use std::hash::Hash;

use crate::fingerprint::hash128;

use camino::Utf8PathBuf;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::RuleSet;
use crate::diagnostic::Diagnostic;
use crate::semantic::graph::GraphStats;
use crate::source::SourceSet;
use crate::workspace::Workspace;

/// How many entries (one per distinct input) the cache keeps: a few selections of rules or
/// packages, a few states of a branch.
pub const KEEP: usize = 8;

/// The format of an entry; a change makes older entries misses.
const FORMAT: u32 = 1;

/// What one run found.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub diagnostics: Vec<Diagnostic>,
    /// Warnings printed after the analysis (syntax errors of the files it parsed).
    pub warnings: Vec<String>,
    pub stats: GraphStats,
}

/// The stored form: the entry (owned when read, borrowed when written) and the key it answers,
/// checked on load.
#[derive(Serialize, Deserialize)]
struct Stored<E> {
    format: u32,
    key: String,
    entry: E,
}

/// Where the results of one exact input are (or will be) stored.
pub struct Cache {
    dir: Utf8PathBuf,
    key: String,
}

impl Cache {
    /// The cache of this run: `None` when the tool cannot identify its own binary.
    pub fn new(workspace: &Workspace, rules: &RuleSet, sources: &SourceSet) -> Option<Cache> {
        let tool = tool_identity()?;
        let files: Vec<u128> = sources
            .files
            .par_iter()
            .map(|file| {
                hash128(|h| {
                    file.path.hash(h);
                    file.rel_path.hash(h);
                    format!("{:?} {:?} {:?}", file.edition, file.owners, file.too_deep).hash(h);
                    file.text.hash(h);
                })
            })
            .collect();
        let key = hash128(|h| {
            FORMAT.hash(h);
            tool.hash(h);
            format!("{workspace:?}").hash(h);
            for rule in rules.rules() {
                rule.meta().id.hash(h);
            }
            // How the analysis runs (the prefilter can be turned off to compare).
            std::env::var_os("LOOPFIX_PARSE_ALL").hash(h);
            files.hash(h);
        });
        Some(Cache {
            dir: workspace.target_directory.join("loopfix"),
            key: format!("{key:032x}"),
        })
    }

    /// The entry's file.
    pub fn path(&self) -> Utf8PathBuf {
        self.dir.join(format!("check-{}.json", self.key))
    }

    /// The stored results of this exact input, if any.
    pub fn load(&self) -> Option<Entry> {
        let path = self.path();
        let text = std::fs::read(&path).ok()?;
        let stored: Stored<Entry> = serde_json::from_slice(&text).ok()?;
        if stored.format != FORMAT || stored.key != self.key {
            return None;
        }
        // Used: it is kept longest.
        if let Ok(file) = std::fs::File::options().append(true).open(&path) {
            let _ = file.set_modified(std::time::SystemTime::now());
        }
        Some(stored.entry)
    }

    /// Store `entry` for this input (atomically), and drop the oldest entries beyond [`KEEP`].
    pub fn store(&self, entry: &Entry) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let stored = Stored {
            format: FORMAT,
            key: self.key.clone(),
            entry,
        };
        crate::write::write_report(&self.path(), &serde_json::to_string(&stored)?)?;
        self.prune();
        Ok(())
    }

    fn prune(&self) {
        let Ok(read) = self.dir.read_dir_utf8() else {
            return;
        };
        let mut entries: Vec<(std::time::SystemTime, Utf8PathBuf)> = read
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                name.starts_with("check-") && name.ends_with(".json")
            })
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.into_path())))
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (_, path) in entries.into_iter().skip(KEEP) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The running tool: its version and its binary's size and modification time.
fn tool_identity() -> Option<(String, u64, std::time::SystemTime)> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(exe).ok()?;
    Some((
        env!("CARGO_PKG_VERSION").to_owned(),
        meta.len(),
        meta.modified().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_as_written() {
        let diagnostics = crate::analysis::check_text(
            "fn main() { let rt = tokio::runtime::Runtime::new().unwrap(); \
             async fn f() { std::thread::sleep(std::time::Duration::from_secs(1)); } \
             rt.block_on(f()); }",
            &["blocking_call_in_async"],
        );
        assert!(!diagnostics.is_empty());
        assert!(diagnostics.iter().any(|d| d.fix.is_some()));
        let stored = Stored {
            format: FORMAT,
            key: "k".into(),
            entry: Entry {
                diagnostics: diagnostics.clone(),
                warnings: vec!["w".into()],
                stats: GraphStats::default(),
            },
        };
        let text = serde_json::to_string(&stored).unwrap();
        let back: Stored<Entry> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.entry.diagnostics, diagnostics);
        assert_eq!(back.entry.warnings, ["w"]);
    }

    #[test]
    fn an_unknown_rule_or_a_reversed_range_is_not_read() {
        let diag = |rule: &str, range: &str| {
            format!(
                r#"{{"rule":"{rule}","severity":"Warning","message":"m","path":"/a.rs","range":{range},"primary_label":null,"labels":[],"notes":[],"helps":[],"fix":null}}"#
            )
        };
        assert!(serde_json::from_str::<Diagnostic>(&diag("nested_block_on", "[1,2]")).is_ok());
        assert!(serde_json::from_str::<Diagnostic>(&diag("no_such_rule", "[1,2]")).is_err());
        assert!(serde_json::from_str::<Diagnostic>(&diag("nested_block_on", "[3,2]")).is_err());
    }
}
