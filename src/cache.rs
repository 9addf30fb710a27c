//! The results of `cargo loopfix check`, kept under `target/loopfix/` so that checking a
//! workspace again reads the findings instead of computing them when they cannot have changed:
//! the next CI step, a save that touched nothing Rust, an edit to code that no runtime reaches.
//!
//! Findings are cross-file: whether a call in one file blocks depends on what another file's
//! function does, on the runtimes of every binary, on `Cargo.lock`. So an entry belongs to a
//! *frame*: the tool binary (version, size and modification time, so a rebuilt tool never reads
//! an older one's results), the rules of the run, the workspace as loaded (packages, targets,
//! dependencies and features, configuration, `Cargo.lock`), and every file's path and owners; and
//! it records a fingerprint of each file's content. (Fingerprints are 128-bit hashes, computed per
//! file in parallel; reading and hashing the files costs a small part of a check.)
//!
//! - Same frame, same contents: the entry answers.
//! - Same frame, some files edited: the entry answers if the prefilter had left every edited file
//!   out and would leave it out again: it holds no seed word and no re-export, and names nothing
//!   the run's closure tainted ([`Closure::unaffected_by`]). Then the same files are summarised,
//!   the call graph is the same, and so are the findings. On the benchmark corpus, 42 % of the
//!   files are such files.
//! - Anything else is a full run.
//!
//! What is stored is what the analysis returns before anything that depends on the file system
//! is applied (which fixes may write where is decided again on every run), the syntax warnings of
//! the run, the counts `-v` prints, and the closure. Entries are written atomically (a temporary
//! file renamed over); the newest [`KEEP`] are kept. A missing, unreadable, corrupt or foreign
//! entry is a miss, never an error; `--no-cache` turns the cache off.

use std::hash::Hash;

use crate::fingerprint::hash128;

use camino::Utf8PathBuf;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::RuleSet;
use crate::diagnostic::Diagnostic;
use crate::semantic::graph::GraphStats;
use crate::semantic::relevance::Closure;
use crate::source::{SourceFile, SourceSet};
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
    /// What the prefilter decided: which edits cannot change the findings.
    pub closure: Option<Closure>,
}

/// The stored form: the entry (owned when read, borrowed when written), the key it answers
/// (checked on load), and for reuse after an edit its frame and each file's fingerprint.
#[derive(Serialize, Deserialize)]
struct Stored<E> {
    format: u32,
    key: String,
    frame: String,
    files: Vec<u128>,
    entry: E,
}

/// Where the results of one exact input are (or will be) stored.
pub struct Cache {
    dir: Utf8PathBuf,
    key: String,
    /// Everything but the files' contents: the tool, the rules, the workspace, the files' paths
    /// and owners. Entries of the same frame differ only in what the files hold.
    frame: String,
    /// Per file: a fingerprint of its content.
    files: Vec<u128>,
}

/// How an earlier run's results answer this one.
pub enum Hit {
    /// The same input.
    Same,
    /// Edits to this many files, none of which can change the findings (see [`Closure`]).
    Unaffected(usize),
}

impl Cache {
    /// The cache of this run: `None` when the tool cannot identify its own binary.
    pub fn new(workspace: &Workspace, rules: &RuleSet, sources: &SourceSet) -> Option<Cache> {
        let tool = tool_identity()?;
        let files: Vec<u128> = sources
            .files
            .par_iter()
            .map(SourceFile::content_hash)
            .collect();
        let frame = hash128(|h| {
            FORMAT.hash(h);
            tool.hash(h);
            format!("{workspace:?}").hash(h);
            for rule in rules.rules() {
                rule.meta().id.hash(h);
            }
            // How the analysis runs (the prefilter can be turned off to compare).
            std::env::var_os("LOOPFIX_PARSE_ALL").hash(h);
            for file in &sources.files {
                file.path.hash(h);
                file.rel_path.hash(h);
                format!("{:?} {:?}", file.edition, file.owners).hash(h);
            }
        });
        let key = hash128(|h| {
            frame.hash(h);
            files.hash(h);
        });
        Some(Cache {
            dir: workspace.target_directory.join("loopfix"),
            key: format!("{key:032x}"),
            frame: format!("{frame:032x}"),
            files,
        })
    }

    /// The entry's file: named by its frame, then its key.
    pub fn path(&self) -> Utf8PathBuf {
        self.dir
            .join(format!("check-{}-{}.json", &self.frame[..16], self.key))
    }

    /// The results of this input: stored for it, or stored for an earlier state of the same
    /// frame whose changed files `unaffected` (given the earlier closure and the changed files'
    /// indices) says cannot change the findings. Newest entries first.
    pub fn load(&self, unaffected: impl Fn(&Closure, &[usize]) -> bool) -> Option<(Entry, Hit)> {
        if let Some(entry) = read(&self.path())
            .filter(|s| s.format == FORMAT && s.key == self.key)
            .map(|s| s.entry)
        {
            touch(&self.path());
            return Some((entry, Hit::Same));
        }
        let prefix = format!("check-{}-", &self.frame[..16]);
        for path in self
            .entries()
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n.starts_with(&prefix)))
        {
            let Some(stored) = read(&path) else { continue };
            if stored.format != FORMAT
                || stored.frame != self.frame
                || stored.files.len() != self.files.len()
            {
                continue;
            }
            let changed: Vec<usize> = (0..self.files.len())
                .filter(|&i| stored.files[i] != self.files[i])
                .collect();
            let Some(closure) = &stored.entry.closure else {
                continue;
            };
            if unaffected(closure, &changed) {
                touch(&path);
                return Some((stored.entry, Hit::Unaffected(changed.len())));
            }
        }
        None
    }

    /// The stored entries, newest first.
    fn entries(&self) -> Vec<Utf8PathBuf> {
        let Ok(read) = self.dir.read_dir_utf8() else {
            return Vec::new();
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
        entries.into_iter().map(|(_, p)| p).collect()
    }

    /// Store `entry` for this input (atomically), and drop the oldest entries beyond [`KEEP`].
    pub fn store(&self, entry: &Entry) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let stored = Stored {
            format: FORMAT,
            key: self.key.clone(),
            frame: self.frame.clone(),
            files: self.files.clone(),
            entry,
        };
        crate::write::write_report(&self.path(), &serde_json::to_string(&stored)?)?;
        for old in self.entries().into_iter().skip(KEEP) {
            let _ = std::fs::remove_file(old);
        }
        Ok(())
    }
}

fn read(path: &Utf8PathBuf) -> Option<Stored<Entry>> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Used: it is kept longest.
fn touch(path: &Utf8PathBuf) {
    if let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(std::time::SystemTime::now());
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
            frame: "f".into(),
            files: vec![u128::MAX, 7],
            entry: Entry {
                diagnostics: diagnostics.clone(),
                warnings: vec!["w".into()],
                stats: GraphStats::default(),
                closure: None,
            },
        };
        let text = serde_json::to_string(&stored).unwrap();
        let back: Stored<Entry> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.entry.diagnostics, diagnostics);
        assert_eq!(back.entry.warnings, ["w"]);
        assert_eq!(back.files, [u128::MAX, 7]);
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
