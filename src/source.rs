//! The set of source files of a run: discovered from the targets' roots by following `mod`
//! declarations, each read once, in parallel, and parsed on demand. A check lets go of the texts
//! its prefilter finds it does not need (most of them) and reads again the few it then does.

use std::collections::HashMap;

use camino::{Utf8Path, Utf8PathBuf};
use line_index::LineIndex;
use ra_ap_syntax::{
    AstNode, Edition, Parse, SourceFile as AstSourceFile, SyntaxError, TextRange,
    ast::HasModuleItem,
};
use rayon::prelude::*;

use crate::tree::Tree;
use crate::workspace::{Kind, Workspace};

/// Where a file sits in the crate graph. A file may be reached from several targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub package: usize,
    pub target: usize,
    pub kind: Kind,
    /// `["crate", "net", "client"]`.
    pub module_path: Vec<String>,
}

/// One file of the run. Its text is read up front; its syntax tree is built on demand
/// ([`SourceFile::parse`]) and not kept: a run parses only the files that can matter, and drops
/// each tree when it is done with it. A check lets go of the texts of the files the prefilter
/// left out ([`SourceSet::release_texts`]) and reads one again only if it is asked for.
#[derive(Clone)]
pub struct SourceFile {
    pub path: Utf8PathBuf,
    /// Relative to the workspace root, `/`-separated.
    pub rel_path: String,
    /// The text as read; absent once released, until asked for again ([`SourceFile::text`]).
    text: std::sync::OnceLock<String>,
    /// The text's length in bytes.
    len: usize,
    /// The text's fingerprint ([`SourceFile::content_hash`]), made on first use: the cache's key
    /// of the file, and what a released text read again must match.
    hash: std::sync::OnceLock<u128>,
    /// Why a released text read again is not the one the run started with.
    changed: std::sync::OnceLock<String>,
    pub edition: Edition,
    /// Built on first use: most files of a run are never reported on.
    line_index: std::sync::OnceLock<LineIndex>,
    pub owners: Vec<Owner>,
    /// What the first parse found (or, for a file too deep to parse, its depth).
    syntax: std::sync::OnceLock<SyntaxFacts>,
    /// Syntax errors (parser and validation), from the first parse that validated.
    errors: std::sync::OnceLock<Vec<SyntaxError>>,
    /// Where something is reported: the errors of the parse the rules walked (where that tree
    /// is a recovery guess), to warn about.
    reported_errors: std::sync::OnceLock<Vec<SyntaxError>>,
}

#[derive(Clone, Debug)]
struct SyntaxFacts {
    /// Brackets nested deeper than [`crate::nesting::MAX_DEPTH`] (the parser recurses per level:
    /// the file is not parsed), or a tree deeper than [`crate::nesting::MAX_TREE_DEPTH`]: the
    /// tree is empty. Measured when the file is first parsed, not as it is read: most files of a
    /// run are never parsed.
    too_deep: Option<usize>,
}

impl SourceFile {
    pub fn new(path: Utf8PathBuf, rel_path: String, text: String, edition: Edition) -> SourceFile {
        SourceFile {
            path,
            rel_path,
            len: text.len(),
            text: std::sync::OnceLock::from(text),
            hash: std::sync::OnceLock::new(),
            changed: std::sync::OnceLock::new(),
            edition,
            line_index: std::sync::OnceLock::new(),
            owners: Vec::new(),
            syntax: std::sync::OnceLock::new(),
            errors: std::sync::OnceLock::new(),
            reported_errors: std::sync::OnceLock::new(),
        }
    }

    /// The file's text. One released by [`SourceSet::release_texts`] is read again from disk
    /// (once): if it changed since the run began, or cannot be read any more, the run goes on
    /// with what is there now (nothing, if unreadable) and [`SourceFile::changed_warning`] says
    /// so.
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| {
            READ_AGAIN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (text, problem) = match self.read_again() {
                Ok(text) if Some(&text_hash(&text)) == self.hash.get() => (text, None),
                Ok(text) => (text, Some("changed".to_string())),
                Err(problem) => (String::new(), Some(problem)),
            };
            if let Some(problem) = problem {
                let _ = self.changed.set(format!(
                    "{}: {problem} while the run read it: its findings may be off; run again",
                    self.rel_path
                ));
            }
            text
        })
    }

    /// The text without keeping it: the one in memory, or a released one read from disk for this
    /// call only (`None` if it cannot be read), for a search of every file that must not bring
    /// every text back.
    fn text_transient(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self.text.get() {
            Some(text) => Some(text.as_str().into()),
            None => self.read_again().ok().map(Into::into),
        }
    }

    /// The file as it is on disk now, or why it cannot be read.
    fn read_again(&self) -> Result<String, String> {
        let bytes =
            std::fs::read(&self.path).map_err(|e| format!("could not be read again: {e}"))?;
        String::from_utf8(bytes).map_err(|_| "is no longer valid UTF-8".to_string())
    }

    /// The length of the text in bytes (without reading a released text again).
    pub fn text_len(&self) -> usize {
        self.len
    }

    /// Whether the text is in memory (not released, or read again).
    pub fn text_loaded(&self) -> Option<&str> {
        self.text.get().map(String::as_str)
    }

    /// The fingerprint of the text as first read (kept when the text is released).
    pub fn content_hash(&self) -> u128 {
        *self.hash.get_or_init(|| text_hash(self.text()))
    }

    /// Lets go of the text (the file's path reads it again when it is asked for).
    fn release_text(&mut self) {
        self.content_hash();
        self.text.take();
    }

    /// A warning for a released text that was not the same when read again.
    pub fn changed_warning(&self) -> Option<&str> {
        self.changed.get().map(String::as_str)
    }

    /// The file's syntax tree, parsed now (each call parses again: keep it while you need it).
    /// The first parse also records its syntax errors.
    pub fn parse(&self) -> Parse<AstSourceFile> {
        let empty = || AstSourceFile::parse("", self.edition);
        let Some(text) = self.text_to_parse() else {
            return empty();
        };
        let parse = AstSourceFile::parse(&text, self.edition);
        if self.too_deep(&parse.syntax_node()) {
            return empty();
        }
        if self.errors.get().is_none() {
            let _ = self.errors.set(parse.errors());
        }
        parse
    }

    /// The file's syntax tree for reading only (a [`Tree`], with the errors of its parse but not
    /// validated): for the files that feed the call graph and the ones the rules walk.
    pub fn parse_unvalidated(&self) -> Tree {
        self.parse_unvalidated_finding(&[]).0
    }

    /// [`SourceFile::parse_unvalidated`], and the ranges of the tree's nodes of each of `kinds`,
    /// found as the tree is built ([`Tree::parse_checked`]; none in a file too deep).
    pub fn parse_unvalidated_finding(
        &self,
        kinds: &[ra_ap_syntax::SyntaxKind],
    ) -> (Tree, Vec<Vec<TextRange>>) {
        let empty = || (Tree::parse("", self.edition), vec![Vec::new(); kinds.len()]);
        if self.syntax.get().is_some_and(|s| s.too_deep.is_some()) {
            return empty();
        }
        // The tree builder measures the depth (brackets before parsing, the tree as it builds
        // it) and finds `kinds` as it builds.
        match Tree::parse_checked(&self.text_without_bom(), self.edition, kinds) {
            Ok(parsed) => {
                let _ = self.syntax.set(SyntaxFacts { too_deep: None });
                parsed
            }
            Err(depth) => {
                let _ = self.syntax.set(SyntaxFacts {
                    too_deep: Some(depth),
                });
                let _ = self.errors.set(Vec::new());
                empty()
            }
        }
    }

    /// The text to give the parser; `None` for a file too deep to parse.
    fn text_to_parse(&self) -> Option<std::borrow::Cow<'_, str>> {
        if self.syntax.get().is_some_and(|s| s.too_deep.is_some()) {
            return None;
        }
        if self.syntax.get().is_none() {
            // The parser recurses per nesting level: a pathologically deep file gets an empty tree.
            let depth = crate::nesting::depth(self.text(), self.edition);
            if depth > crate::nesting::MAX_DEPTH {
                let _ = self.syntax.set(SyntaxFacts {
                    too_deep: Some(depth),
                });
                let _ = self.errors.set(Vec::new());
                return None;
            }
        }
        Some(self.text_without_bom())
    }

    /// rust-analyzer's parser rejects a byte-order mark, rustc skips it: the text with it as
    /// three spaces (the same three bytes), so every offset still points into `text`.
    fn text_without_bom(&self) -> std::borrow::Cow<'_, str> {
        match self.text().strip_prefix('\u{feff}') {
            Some(rest) => format!("   {rest}").into(),
            None => self.text().into(),
        }
    }

    /// Whether the tree of a parse, `root`, is too deep to walk: measured on the file's first
    /// parse (and recorded), known after. Long chains (`a.b().c()...`, `1 + 1 + ...`) nest the
    /// tree without brackets: every walk up from a node would cost the whole chain.
    fn too_deep(&self, root: &ra_ap_syntax::SyntaxNode) -> bool {
        if let Some(facts) = self.syntax.get() {
            return facts.too_deep.is_some();
        }
        let too_deep = crate::nesting::tree_too_deep(root);
        let _ = self.syntax.set(SyntaxFacts { too_deep });
        if too_deep.is_some() {
            let _ = self.errors.set(Vec::new());
        }
        too_deep.is_some()
    }

    pub fn tree(&self) -> AstSourceFile {
        self.parse().tree()
    }

    /// Whether the file has been parsed in this run.
    pub fn is_parsed(&self) -> bool {
        self.syntax.get().is_some()
    }

    fn syntax_facts(&self) -> &SyntaxFacts {
        if self.syntax.get().is_none() {
            drop(self.parse());
        }
        self.syntax.get().expect("set by the first parse")
    }

    /// Syntax errors (parser and validation); parses the file if they are not known yet.
    pub fn errors(&self) -> &[SyntaxError] {
        if self.errors.get().is_none() {
            drop(self.parse());
        }
        self.errors.get().expect("set by a validating parse")
    }

    /// How deep the file nests when it is too deep to parse (brackets, or the tree of a long
    /// chain); parses the file if needed.
    pub fn nesting_exceeded(&self) -> Option<usize> {
        self.syntax_facts().too_deep
    }

    /// Warnings about the file that its parse found: code too deep to parse or walk; syntax
    /// errors where something is reported ([`SourceFile::broken_regions`]). Empty for a file not
    /// parsed in this run (it cannot matter to it).
    pub fn parse_warning(&self) -> Option<String> {
        let facts = self.syntax.get()?;
        if let Some(depth) = facts.too_deep {
            return Some(nested_too_deep(&self.rel_path, depth));
        }
        let err = self.reported_errors.get()?.first()?;
        let (line, col) = self.line_col_chars(err.range().start());
        Some(format!(
            "{}:{line}:{col}: syntax error: {err}; findings there are reported, but no fix will edit the affected item",
            self.rel_path
        ))
    }

    /// Ranges in which no fix may edit: the items (or, outside items, the whole file) that hold a
    /// syntax error, since their tree is a recovery guess. `tree` is this file's parse, in which
    /// something is reported: its errors are warned about.
    pub fn broken_regions(&self, tree: &Tree) -> Vec<TextRange> {
        let errors = self.reported_errors.get_or_init(|| tree.errors().to_vec());
        if errors.is_empty() {
            return Vec::new();
        }
        let root = tree.tree();
        let mut regions: Vec<TextRange> = errors
            .iter()
            .map(|err| {
                let offset = err.range().start();
                root.items()
                    .map(|item| item.syntax().text_range())
                    .find(|r| r.contains_inclusive(offset))
                    .unwrap_or_else(|| root.syntax().text_range())
            })
            .collect();
        regions.sort_by_key(|r| (r.start(), r.end()));
        regions.dedup();
        regions
    }

    /// The packages that own the file, sorted, each once (`[]` outside any package).
    pub fn packages(&self) -> Vec<usize> {
        let mut packages: Vec<usize> = self.owners.iter().map(|o| o.package).collect();
        packages.sort_unstable();
        packages.dedup();
        packages
    }

    fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| LineIndex::new(self.text()))
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: ra_ap_syntax::TextSize) -> u32 {
        self.line_index().line_col(offset).line + 1
    }

    /// 1-based line and 1-based column in characters (rustc's convention) of a byte offset.
    pub fn line_col_chars(&self, offset: ra_ap_syntax::TextSize) -> (u32, u32) {
        let lc = self.line_index().line_col(offset);
        let col = self
            .line_index()
            .to_wide(line_index::WideEncoding::Utf32, lc)
            .map_or(lc.col, |w| w.col);
        (lc.line + 1, col + 1)
    }

    /// 1-based line and 1-based column in UTF-8 bytes of a byte offset (reviewdog's convention).
    pub fn line_col_bytes(&self, offset: ra_ap_syntax::TextSize) -> (u32, u32) {
        let lc = self.line_index().line_col(offset);
        (lc.line + 1, lc.col + 1)
    }

    /// The text of the 1-based line `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        self.text()
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or_default()
    }
}

/// How many released texts were read again in this process (for [`crate::passes`]).
pub static READ_AGAIN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A text's fingerprint, as the cache has always keyed files.
fn text_hash(text: &str) -> u128 {
    crate::fingerprint::hash128(|h| std::hash::Hash::hash(text, h))
}

/// A problem found while loading files: shown as `warning:`, never fatal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LoadWarning {
    pub message: String,
}

/// All files of the selected targets, sorted by (absolute) path.
#[derive(Clone)]
pub struct SourceSet {
    pub files: Vec<SourceFile>,
    pub warnings: Vec<LoadWarning>,
}

struct Pending {
    path: Utf8PathBuf,
    edition: Edition,
    owner: Owner,
    /// Directory in which this file's out-of-line child modules live.
    child_dir: Utf8PathBuf,
    /// Reached through a `#[cfg(..)]`-gated (or macro-gated) `mod`: its own missing children are
    /// not reported either (published crates often leave out the files of test modules).
    gated: bool,
    /// `path` made canonical, when it already is (by the parallel load of the parent).
    key: Option<Utf8PathBuf>,
}

/// A file read and parsed, with its `mod` declarations; or why it could not be.
type Loaded = Result<(SourceFile, Vec<ModDecl>), String>;

#[cfg_attr(test, derive(Debug, PartialEq))]
struct ModDecl {
    name: String,
    candidates: Vec<Utf8PathBuf>,
    /// The first candidate that is a file, and its canonical path: looked up as the declaring
    /// file is loaded (in parallel), not between rounds.
    found: Option<(Utf8PathBuf, Utf8PathBuf)>,
    /// The file's directory for children when found via `#[path]` (treated like `mod.rs`).
    by_path_attr: bool,
    cfg_gated: bool,
    line: u32,
}

impl SourceSet {
    /// Per file, a value made from the packages that own it (`[]` outside any package), made
    /// once per distinct set of packages and shared: per-package tables (dependencies, features)
    /// are not copied into each of thousands of files.
    pub fn shared_by_packages<T>(&self, make: impl Fn(&[usize]) -> T) -> Vec<std::sync::Arc<T>> {
        let mut made: HashMap<Vec<usize>, std::sync::Arc<T>> = HashMap::new();
        self.files
            .iter()
            .map(|file| {
                made.entry(file.packages())
                    .or_insert_with_key(|p| std::sync::Arc::new(make(p)))
                    .clone()
            })
            .collect()
    }

    /// The files whose text holds `ident` as a whole word anywhere, comments and strings
    /// included (a conservative search: where a name may be used that no resolved use shows).
    /// A released text is read for this search only; a file that cannot be read counts.
    pub fn files_mentioning<'s>(&'s self, ident: &'s str) -> impl Iterator<Item = usize> + 's {
        self.files.iter().enumerate().filter_map(move |(i, f)| {
            f.text_transient()
                .is_none_or(|text| crate::semantic::relevance::holds_word(&text, ident))
                .then_some(i)
        })
    }

    /// Lets go of the texts of the files `keep` says no to, to hold memory down: a check needs
    /// the text of only the files that can matter, which it learns from one pass over them all
    /// ([`crate::analysis::Prefiltered`]). A released text asked for again is read again
    /// ([`SourceFile::text`]).
    pub fn release_texts(&mut self, keep: impl Fn(usize) -> bool + Sync) {
        self.files.par_iter_mut().enumerate().for_each(|(i, file)| {
            if !keep(i) {
                file.release_text();
            } else if let Some(text) = file.text.get_mut() {
                // A kept text moves to a new block: the pages that held the texts, read
                // side by side, are then wholly free for what the run allocates next (the
                // corpus: 425 -> 380 MB at the peak).
                *text = text.as_str().to_owned();
            }
        });
    }

    /// Discover and read every file reachable from the selected targets' roots (parsed later, on
    /// demand: [`SourceFile::parse`]).
    pub fn load(workspace: &Workspace) -> SourceSet {
        SourceSet::load_observed(workspace, &|| {})
    }

    /// [`SourceSet::load`], calling `on_file` as each file is read.
    pub fn load_observed(workspace: &Workspace, on_file: &(dyn Fn() + Sync)) -> SourceSet {
        let mut queue = Vec::new();
        for (pi, package) in workspace.packages.iter().enumerate() {
            for (ti, target) in package.targets.iter().enumerate() {
                let root = target.meta.src_path.clone();
                let child_dir = root.parent().map(Utf8Path::to_owned).unwrap_or_default();
                queue.push(Pending {
                    path: root,
                    edition: target.edition,
                    owner: Owner {
                        package: pi,
                        target: ti,
                        kind: target.kind,
                        module_path: vec!["crate".into()],
                    },
                    child_dir,
                    gated: false,
                    key: None,
                });
            }
        }
        // Each target's root by its canonical path (many syscalls each: on all cores).
        queue
            .par_iter_mut()
            .for_each(|p| p.key = Some(normalize(&p.path)));
        let dirs = CanonicalDirs::default();
        let mut files: Vec<SourceFile> = Vec::new();
        let mut by_path: HashMap<Utf8PathBuf, usize> = HashMap::new();
        let mut warnings = Vec::new();
        while !queue.is_empty() {
            // Files already loaded only gain an owner; the rest are read and parsed in parallel.
            let mut fresh: Vec<Pending> = Vec::new();
            let mut late_owners: Vec<(Utf8PathBuf, Owner)> = Vec::new();
            let mut in_wave: std::collections::HashSet<Utf8PathBuf> = Default::default();
            for mut p in queue.drain(..) {
                let key = p.key.take().unwrap_or_else(|| normalize(&p.path));
                if by_path.contains_key(&key) || in_wave.contains(&key) {
                    late_owners.push((key, p.owner));
                } else {
                    in_wave.insert(key.clone());
                    p.path = key;
                    fresh.push(p);
                }
            }
            let loaded: Vec<(Pending, Loaded)> = fresh
                .into_par_iter()
                .map(|p| {
                    let result = load_one(workspace, &p, &dirs);
                    on_file();
                    (p, result)
                })
                .collect();
            for (pending, result) in loaded {
                match result {
                    Err(message) => warnings.push(LoadWarning { message }),
                    Ok((mut file, decls)) => {
                        for decl in decls {
                            match &decl.found {
                                Some((found, key)) => {
                                    let mut module_path = pending.owner.module_path.clone();
                                    module_path.push(decl.name.clone());
                                    let child_dir = child_dir_of(found, decl.by_path_attr);
                                    queue.push(Pending {
                                        path: found.clone(),
                                        edition: pending.edition,
                                        owner: Owner {
                                            module_path,
                                            ..pending.owner.clone()
                                        },
                                        child_dir,
                                        gated: pending.gated || decl.cfg_gated,
                                        key: Some(key.clone()),
                                    });
                                }
                                None if decl.cfg_gated || pending.gated => {}
                                None => {
                                    let tried: Vec<String> = decl
                                        .candidates
                                        .iter()
                                        .map(|c| workspace.relative(c))
                                        .collect();
                                    warnings.push(LoadWarning {
                                        message: format!(
                                            "{}:{}: file not found for module `{}` (looked for {})",
                                            file.rel_path,
                                            decl.line,
                                            decl.name,
                                            tried.join(", ")
                                        ),
                                    });
                                }
                            }
                        }
                        file.owners.push(pending.owner);
                        by_path.insert(file.path.clone(), files.len());
                        files.push(file);
                    }
                }
            }
            for (key, owner) in late_owners {
                if let Some(&i) = by_path.get(&key)
                    && !files[i].owners.contains(&owner)
                {
                    files[i].owners.push(owner);
                }
            }
        }
        // Paths compare component by component: 15k of them take a core 15-20 ms. (Unique: the
        // order is the same as a stable sort's.)
        files.par_sort_unstable_by(|a, b| a.path.cmp(&b.path));
        warnings.sort();
        warnings.dedup();
        SourceSet { files, warnings }
    }

    /// The file at `path`; `files` is sorted by path.
    pub fn get(&self, path: &Utf8Path) -> Option<&SourceFile> {
        let i = self
            .files
            .binary_search_by(|f| f.path.as_path().cmp(path))
            .ok()?;
        Some(&self.files[i])
    }

    /// Put rewritten (already parsed) files in place of the files at their paths.
    pub fn replace(&mut self, files: impl IntoIterator<Item = SourceFile>) {
        for file in files {
            if let Ok(i) = self.files.binary_search_by(|f| f.path.cmp(&file.path)) {
                self.files[i] = file;
            }
        }
    }
}

fn normalize(path: &Utf8Path) -> Utf8PathBuf {
    path.canonicalize_utf8().unwrap_or_else(|_| path.to_owned())
}

/// Canonical paths of directories, each worked out once (a module file's canonical path is its
/// directory's and its name, unless the file is a link).
#[derive(Default)]
struct CanonicalDirs(std::sync::Mutex<HashMap<Utf8PathBuf, Utf8PathBuf>>);

impl CanonicalDirs {
    /// `path` and its canonical path, if it is a file (or a link to one).
    fn file(&self, path: &Utf8Path) -> Option<(Utf8PathBuf, Utf8PathBuf)> {
        let kind = std::fs::symlink_metadata(path).ok()?.file_type();
        let canonical = match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) if kind.is_file() => self.dir(dir).join(name),
            _ if kind.is_file() || kind.is_symlink() && path.is_file() => normalize(path),
            _ => return None,
        };
        Some((path.to_owned(), canonical))
    }

    fn dir(&self, dir: &Utf8Path) -> Utf8PathBuf {
        let known = self.0.lock().ok().and_then(|d| d.get(dir).cloned());
        known.unwrap_or_else(|| {
            let canonical = normalize(dir);
            if let Ok(mut d) = self.0.lock() {
                d.insert(dir.to_owned(), canonical.clone());
            }
            canonical
        })
    }
}

/// `foo.rs` keeps its children in `foo/`; `mod.rs`, `lib.rs`, `main.rs` and `#[path]` files in
/// their own directory.
fn child_dir_of(file: &Utf8Path, by_path_attr: bool) -> Utf8PathBuf {
    let dir = file.parent().map(Utf8Path::to_owned).unwrap_or_default();
    if by_path_attr || file.file_name() == Some("mod.rs") {
        dir
    } else {
        dir.join(file.file_stem().unwrap_or_default())
    }
}

fn load_one(workspace: &Workspace, p: &Pending, dirs: &CanonicalDirs) -> Loaded {
    let rel = workspace.relative(&p.path);
    let bytes = std::fs::read(&p.path).map_err(|e| format!("{rel}: could not read file: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{rel}: skipped: not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let file = SourceFile::new(p.path.clone(), rel, text, p.edition);
    let mut decls = Vec::new();
    // Only a file that declares an out-of-line module (`mod x;`, also inside an inline module or
    // a macro) is scanned for its children: by its tokens, never by a parse.
    if declares_modules(file.text()) {
        let file_dir = p.path.parent().map(Utf8Path::to_owned).unwrap_or_default();
        collect_mods(&file, &p.child_dir, &file_dir, &mut decls);
        for decl in &mut decls {
            decl.found = decl.candidates.iter().find_map(|c| dirs.file(c));
        }
    }
    Ok((file, decls))
}

/// The warning for a file skipped because it nests too deep.
fn nested_too_deep(rel_path: &str, depth: usize) -> String {
    format!(
        "{rel_path}: skipped: code nested {depth} levels deep (more than the parsers can take safely)"
    )
}

/// Whether `text` holds `mod <name> ;` (with whitespace between): the shape of every
/// out-of-line module declaration. Comments and strings may match: a few more files are scanned,
/// never fewer.
pub fn declares_modules(text: &str) -> bool {
    use crate::semantic::relevance::is_ident_byte;
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, b"mod").any(|at| {
        if at > 0 && is_ident_byte(bytes[at - 1]) {
            return false;
        }
        let after = &bytes[at + 3..];
        let rest = after.trim_ascii_start();
        if rest.len() == after.len() {
            return false;
        }
        let rest = rest.strip_prefix(b"r#").unwrap_or(rest);
        let name = rest.iter().take_while(|&&b| is_ident_byte(b)).count();
        name > 0 && rest[name..].trim_ascii_start().first() == Some(&b';')
    })
}

/// Where a token sits: in a module (the file, or an inline `mod x { .. }` with the directory
/// of its children), in the arguments of an item macro (`cfg_if! { .. }`), or anywhere else
/// (a function body, a `macro_rules!`, a type...).
enum Frame {
    Module(Utf8PathBuf),
    Macro,
    Other,
}

/// Attributes written before an item, as far as modules care.
#[derive(Default)]
struct PendingAttrs {
    path: Option<String>,
    cfg: bool,
}

/// A token of code as [`collect_mods`] reads it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ModTok<'t> {
    Word(&'t str),
    Punct(u8),
    End,
}

/// The `mod` declarations of `file`, found in its tokens: `mod x;` at module level (in the file or
/// an inline module, with `#[path]` and `#[cfg]`/`#[cfg_attr]`), and `mod x;` anywhere in the
/// arguments of an item-level macro call (`cfg_if! { if #[cfg(unix)] { mod unix; } }`), which is
/// gated: a missing file is not reported. The tokens are [`crate::semantic::words`]' (no lexer:
/// files are read at several hundred MB/s); a test holds this to a scan of the lexer's tokens.
fn collect_mods(
    file: &SourceFile,
    child_dir: &Utf8Path,
    file_dir: &Utf8Path,
    out: &mut Vec<ModDecl>,
) {
    use crate::semantic::words::{Token, for_each_code_token};
    let text = file.text().strip_prefix('\u{feff}').unwrap_or(file.text());
    let mut toks: Vec<(ModTok<'_>, usize)> = Vec::new();
    for_each_code_token(text, |token| {
        toks.push(match token {
            Token::Word { start, text, .. } => (ModTok::Word(text), start),
            Token::Punct { at, byte, .. } => (ModTok::Punct(byte), at),
        })
    });
    mods_in_tokens(file, &toks, child_dir, file_dir, out);
}

/// The `mod` declarations that `toks` (the code tokens of `file`'s text after any byte-order mark,
/// with their offsets there) hold. A string literal is no token here: `#[path = "x.rs"]` is
/// `path`, `=` and `]` with the literal between the last two.
fn mods_in_tokens(
    file: &SourceFile,
    toks: &[(ModTok<'_>, usize)],
    child_dir: &Utf8Path,
    file_dir: &Utf8Path,
    out: &mut Vec<ModDecl>,
) {
    let text = file.text().strip_prefix('\u{feff}').unwrap_or(file.text());
    let bom = file.text().len() - text.len();
    let kind = |j: usize| toks.get(j).map_or(ModTok::End, |t| t.0);
    let word = |j: usize| match kind(j) {
        ModTok::Word(w) => w,
        _ => "",
    };
    let is = |j: usize, b: u8| kind(j) == ModTok::Punct(b);
    // The index just past the group opened at `j` (`[`, `(` or `{`).
    let close = |j: usize| {
        let mut depth = 0usize;
        for k in j..toks.len() {
            match kind(k) {
                ModTok::Punct(b'[' | b'(' | b'{') => depth += 1,
                ModTok::Punct(b']' | b')' | b'}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return k + 1;
                    }
                }
                _ => {}
            }
        }
        toks.len()
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut pending = PendingAttrs::default();
    let mut j = 0;
    while j < toks.len() {
        let in_macro = stack.iter().any(|f| matches!(f, Frame::Macro));
        let at_item_level = matches!(stack.last(), None | Some(Frame::Module(_)));
        let dir = stack
            .iter()
            .rev()
            .find_map(|f| match f {
                Frame::Module(d) => Some(d.as_path()),
                _ => None,
            })
            .unwrap_or(child_dir);
        let inside_inline = stack.iter().any(|f| matches!(f, Frame::Module(_)));
        match kind(j) {
            // `#[..]` before an item; `#![..]` applies to the enclosing module.
            ModTok::Punct(b'#') if at_item_level && !in_macro => {
                let inner = is(j + 1, b'!');
                let open = if inner { j + 2 } else { j + 1 };
                if !is(open, b'[') {
                    j += 1;
                    continue;
                }
                let end = close(open);
                if !inner {
                    match word(open + 1) {
                        "cfg" | "cfg_attr" => pending.cfg = true,
                        // `#[path = "x/y.rs"]`: the string is what lies between `=` and `]`.
                        "path" if is(open + 2, b'=') && is(open + 3, b']') => {
                            let (from, to) = (toks[open + 2].1 + 1, toks[open + 3].1);
                            let lit = text[from..to].trim();
                            if let Some(v) = lit.strip_prefix('"').and_then(|l| l.strip_suffix('"'))
                                && !v.contains(['\\', '"'])
                            {
                                pending.path = Some(v.to_owned());
                            }
                        }
                        _ => {}
                    }
                }
                j = end;
                continue;
            }
            // `pub(crate)`, `pub(in path)`: part of the item that follows.
            ModTok::Word("pub") => {
                j += 1;
                if is(j, b'(') {
                    j = close(j);
                }
                continue;
            }
            ModTok::Word("mod")
                if matches!(kind(j + 1), ModTok::Word(_)) && (at_item_level || in_macro) =>
            {
                let name = word(j + 1).to_owned();
                let (line, _) = file.line_col_chars(((toks[j].1 + bom) as u32).into());
                let attrs = std::mem::take(&mut pending);
                match kind(j + 2) {
                    ModTok::Punct(b';') if in_macro => {
                        out.push(ModDecl {
                            candidates: vec![
                                dir.join(format!("{name}.rs")),
                                dir.join(&name).join("mod.rs"),
                            ],
                            name,
                            by_path_attr: false,
                            cfg_gated: true,
                            line,
                            found: None,
                        });
                        j += 3;
                    }
                    ModTok::Punct(b';') => {
                        let (candidates, by_path_attr) = match attrs.path {
                            // Outside inline modules `#[path]` is relative to the file's directory.
                            Some(rel) if !inside_inline => (vec![file_dir.join(rel)], true),
                            Some(rel) => (vec![dir.join(rel)], true),
                            None => (
                                vec![
                                    dir.join(format!("{name}.rs")),
                                    dir.join(&name).join("mod.rs"),
                                ],
                                false,
                            ),
                        };
                        out.push(ModDecl {
                            name,
                            candidates,
                            by_path_attr,
                            cfg_gated: attrs.cfg,
                            line,
                            found: None,
                        });
                        j += 3;
                    }
                    ModTok::Punct(b'{') if !in_macro => {
                        let inner_dir = dir.join(attrs.path.as_deref().unwrap_or(&name));
                        stack.push(Frame::Module(inner_dir));
                        j += 3;
                    }
                    _ => j += 2,
                }
                continue;
            }
            ModTok::Punct(b'{' | b'(' | b'[') => {
                // `name! { .. }` at item level is an item macro; `macro_rules! name { .. }` is not.
                let macro_call = at_item_level
                    && !in_macro
                    && j >= 2
                    && is(j - 1, b'!')
                    && matches!(kind(j - 2), ModTok::Word(_));
                stack.push(if macro_call {
                    Frame::Macro
                } else {
                    Frame::Other
                });
            }
            ModTok::Punct(b'}' | b')' | b']') => {
                stack.pop();
            }
            _ => {}
        }
        pending = PendingAttrs::default();
        j += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A released text is read again when asked for: the same text, silently; a text that
    /// changed meanwhile, as it is now, with a warning; a file gone, as empty, with a warning.
    /// What was never released is not read again.
    #[test]
    fn released_texts_are_read_again_and_checked_against_what_was_read() {
        let tmp = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        let names = ["same.rs", "edited.rs", "gone.rs", "kept.rs"];
        let mut files = Vec::new();
        for name in names {
            let path = root.join(name);
            let text = format!("fn {}() {{}}\n", name.trim_end_matches(".rs"));
            std::fs::write(&path, &text).unwrap();
            files.push(SourceFile::new(path, name.into(), text, Edition::CURRENT));
        }
        let mut set = SourceSet {
            files,
            warnings: Vec::new(),
        };
        set.release_texts(|i| names[i] == "kept.rs");
        assert!(set.files[..3].iter().all(|f| f.text_loaded().is_none()));
        assert_eq!(set.files[3].text_loaded(), Some("fn kept() {}\n"));
        assert_eq!(set.files[1].text_len(), "fn edited() {}\n".len());
        std::fs::write(root.join("edited.rs"), "fn edited() { changed(); }\n").unwrap();
        std::fs::remove_file(root.join("gone.rs")).unwrap();
        std::fs::remove_file(root.join("kept.rs")).unwrap();
        // A search of every file reads a released text for one look, without keeping it; a file
        // gone counts as a mention.
        let found = |word| set.files_mentioning(word).collect::<Vec<_>>();
        assert_eq!(found("same"), [0, 2]);
        assert_eq!(found("edited"), [1, 2]);
        assert_eq!(found("kept"), [2, 3]);
        assert_eq!(found("ke"), [2]);
        assert_eq!(set.files[0].text_loaded(), None);

        assert_eq!(set.files[0].text(), "fn same() {}\n");
        assert_eq!(set.files[0].changed_warning(), None);
        assert_eq!(set.files[1].text(), "fn edited() { changed(); }\n");
        assert_eq!(
            set.files[1].changed_warning(),
            Some("edited.rs: changed while the run read it: its findings may be off; run again")
        );
        assert_eq!(set.files[2].text(), "");
        assert!(
            set.files[2]
                .changed_warning()
                .is_some_and(|w| w.starts_with("gone.rs: could not be read again: ")),
            "{:?}",
            set.files[2].changed_warning()
        );
        assert_eq!(set.files[3].text(), "fn kept() {}\n");
        assert_eq!(set.files[3].changed_warning(), None);
    }

    /// A module file's canonical path, through a linked directory, a linked file, and not for a
    /// missing file, a directory or a dangling link: what `canonicalize` says.
    #[cfg(unix)]
    #[test]
    fn module_files_get_their_canonical_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("a/x.rs"), "").unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("b")).unwrap();
        std::os::unix::fs::symlink("x.rs", root.join("a/y.rs")).unwrap();
        std::os::unix::fs::symlink("gone.rs", root.join("a/dangling.rs")).unwrap();
        let dirs = CanonicalDirs::default();
        let x = root.join("a/x.rs").canonicalize_utf8().unwrap();
        for path in ["a/x.rs", "b/x.rs", "a/y.rs", "b/y.rs", "a/../a/x.rs"] {
            let path = root.join(path);
            assert_eq!(dirs.file(&path), Some((path.clone(), x.clone())), "{path}");
        }
        for path in ["a/missing.rs", "a", "b", "a/dangling.rs"] {
            assert_eq!(dirs.file(&root.join(path)), None, "{path}");
        }
    }

    /// [`collect_mods`] on rust-analyzer's lexer's tokens (literals, comments and lifetimes left
    /// out, as the code tokens leave them out): the reference its own tokens are held to.
    fn collect_mods_lexed(
        file: &SourceFile,
        child_dir: &Utf8Path,
        file_dir: &Utf8Path,
        out: &mut Vec<ModDecl>,
    ) {
        use ra_ap_syntax::SyntaxKind as K;
        let text = file.text().strip_prefix('\u{feff}').unwrap_or(file.text());
        let lexed = ra_ap_parser::LexedStr::new(file.edition, text);
        let toks: Vec<(ModTok<'_>, usize)> = (0..lexed.len())
            .filter_map(|i| {
                let (kind, token) = (lexed.kind(i), lexed.text(i));
                let at = lexed.text_start(i);
                if kind.is_trivia()
                    || kind.is_literal()
                    || matches!(kind, K::EOF | K::LIFETIME_IDENT | K::SHEBANG | K::ERROR)
                {
                    None
                } else if token.len() == 1 && token.as_bytes()[0].is_ascii_punctuation() {
                    Some((ModTok::Punct(token.as_bytes()[0]), at))
                } else {
                    // Raw identifiers by their name, as the code tokens give them.
                    let name = token.strip_prefix("r#").unwrap_or(token);
                    Some((ModTok::Word(name), at + (token.len() - name.len())))
                }
            })
            .collect();
        mods_in_tokens(file, &toks, child_dir, file_dir, out);
    }

    fn decls(text: &str) -> Vec<(String, Vec<String>, bool)> {
        let file = SourceFile::new(
            "/w/src/lib.rs".into(),
            "src/lib.rs".into(),
            text.into(),
            Edition::LATEST,
        );
        let mut out = Vec::new();
        collect_mods(
            &file,
            Utf8Path::new("/w/src"),
            Utf8Path::new("/w/src"),
            &mut out,
        );
        out.into_iter()
            .map(|d| {
                (
                    d.name,
                    d.candidates.iter().map(|c| c.to_string()).collect(),
                    d.cfg_gated,
                )
            })
            .collect()
    }

    /// The code tokens find the declarations the lexer's tokens find, on every file of this
    /// repository (and of `LOOPFIX_TEST_CORPUS`), whole and cut anywhere.
    #[test]
    fn module_declarations_are_found_as_with_the_lexer() {
        let files = crate::semantic::test_rust_files();
        assert!(files.len() > 20);
        let dir = Utf8Path::new("/w/src");
        let mut compared = 0;
        for (path, text) in &files {
            let mut cuts = vec![0];
            cuts.extend(
                (0..text.len())
                    .step_by(4099)
                    .skip(1)
                    .filter(|c| text.is_char_boundary(*c)),
            );
            for cut in cuts {
                let file = SourceFile::new(
                    "/w/src/lib.rs".into(),
                    "src/lib.rs".into(),
                    text[cut..].to_owned(),
                    // The lexer knows the keywords of an edition (`gen` in 2024), the code tokens
                    // none: a module named by a keyword does not compile anyway.
                    Edition::Edition2021,
                );
                if !declares_modules(file.text()) {
                    continue;
                }
                let (mut tokens, mut lexed) = (Vec::new(), Vec::new());
                collect_mods(&file, dir, dir, &mut tokens);
                collect_mods_lexed(&file, dir, dir, &mut lexed);
                assert_eq!(tokens, lexed, "{} from byte {cut}", path.display());
                compared += 1;
            }
        }
        assert!(compared > 10, "{compared}");
    }

    /// Trees are freed where they are dropped, not handed to rust-analyzer's dropper thread
    /// (`.cargo/config.toml` sets `no_salsa_async_drops`; about 10 % of a check's time).
    #[test]
    #[cfg(target_os = "linux")]
    fn trees_are_freed_where_they_are_dropped() {
        let file = SourceFile::new(
            "a.rs".into(),
            "a.rs".into(),
            "fn f() {}".into(),
            Edition::CURRENT,
        );
        drop(file.parse());
        // Linux keeps 15 bytes of a thread's name ("ParseNodeDroppe"), and a new thread names
        // itself once it runs: look for a while before concluding there is none.
        let dropper = || {
            std::fs::read_dir("/proc/self/task")
                .expect("Linux lists a process's threads")
                .flatten()
                .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
                .any(|name| name.starts_with("ParseNodeDrop"))
        };
        for _ in 0..50 {
            assert!(
                !dropper(),
                "ra_ap_syntax drops trees on its own thread: is `.cargo/config.toml` in effect?"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    #[test]
    fn module_declarations_are_found_in_the_tokens() {
        let found = decls(
            "//! mod in_doc;\n\
             pub(crate) mod a;\n\
             #[cfg_attr(test, allow(dead_code))]\n/// doc\nmod b;\n\
             #[path = \"x/y.rs\"]\nmod c;\n\
             mod outer { pub mod d; #[path = \"e2.rs\"] mod e; }\n\
             cfg_if::cfg_if! { if #[cfg(unix)] { mod f; } }\n\
             macro_rules! m { () => { mod not_followed; } }\n\
             fn body() { let s = \"mod in_string;\"; }\n\
             mod r#ref;\n",
        );
        let expect = |name: &str, first: &str, gated: bool| {
            let d = found
                .iter()
                .find(|d| d.0 == name)
                .unwrap_or_else(|| panic!("{name}: {found:?}"));
            assert_eq!((d.1[0].as_str(), d.2), (first, gated), "{name}");
        };
        expect("a", "/w/src/a.rs", false);
        expect("b", "/w/src/b.rs", true);
        expect("c", "/w/src/x/y.rs", false);
        expect("d", "/w/src/outer/d.rs", false);
        expect("e", "/w/src/outer/e2.rs", false);
        expect("f", "/w/src/f.rs", true);
        expect("ref", "/w/src/ref.rs", false);
        let names: Vec<&str> = found.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e", "f", "ref"]);
    }
}
