//! Which files can matter to a run, decided from their text before any of them is parsed.
//!
//! Parsing is most of the cost of a check, and most files of a workspace never touch a runtime.
//! A file is parsed when its text holds a *seed* word (a runtime, executor, client or blocking API
//! name; the crates the model knows; `loopfix` directives), or an `.await` next to a lock or a
//! borrow. The call graph then stays sound through a closure: every function of a parsed file
//! that does something (a seed identifier in its code, a runtime fact, an entry or route
//! attribute) or calls such a function is *tainted*, and any file that names a tainted function,
//! static or re-export is parsed too, until nothing new is named. Files that re-export (`pub use`)
//! are read as well, for their `use` items alone ([`super::words::use_items_only`]): paths
//! resolve through them, and a glob names nothing; the whole file is parsed only if it names
//! something tainted. A file left out names none of them, so it can hold no call into the part of
//! the graph that rules look at.
//!
//! Seed words match whole identifiers (`tokio`, not `tokio_util`; words ending in `_` match as
//! prefixes, `aws_sdk_`) in code, not in comments, docs or strings ([`super::words`] finds the
//! code's identifiers without lexing); `loopfix` counts in comments too (its directives live
//! there). A seed word where it is declared (`pub Command: u8`, a field of generated bindings)
//! does not count, and a guard word counts only where it takes a guard (`m.lock()`, no
//! arguments). Names of the closure count only in code too, only where a path or a call can
//! name them (not after a `.`, not as `Type::name` for a function, not as a module `name::..`,
//! not where they are declared, not as a macro's name; a method's name after a `.`, `Self::` or
//! `<..>::` with its type's name used, or as `Type::name` with its own type's name or one a
//! renaming import gives), and only in files of crates that can name the crate that defines
//! them ([`Scope`]).

use std::collections::{HashMap, HashSet};

use ra_ap_syntax::TextSize;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::imports::KNOWN_CRATES;
use super::summary::{CallTarget, FileSummary, FnSummary};
use crate::source::SourceSet;
use crate::workspace::{Kind, Workspace};

/// API names a rule or the model starts from. Most APIs are reached through their crate's name
/// (a path or an import names it: `tokio`, `reqwest`); the leaf names here are the ones that a
/// glob import or a re-export can bring in without it, and `std`'s blocking types and modules.
/// Generic words (`timeout`, `Client`, `connect`, `runtime`) are left out on purpose: they would
/// pull in most files of an async codebase and add nothing a crate name does not.
const SEED_WORDS: &[&str] = &[
    // Runtimes, executors, tasks.
    "block_on",
    "block_in_place",
    "Runtime",
    "LocalSet",
    "spawn",
    "spawn_blocking",
    "spawn_local",
    "unblock",
    "JoinSet",
    "JoinHandle",
    // Blocking std APIs: `std::thread::sleep`, `std::fs`, sockets, stdin, processes, channels,
    // barriers; Tokio's `blocking_*` methods.
    "sleep",
    "fs",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "UnixStream",
    "UnixListener",
    "stdin",
    "Stdin",
    "Command",
    "Child",
    "mpsc",
    "Barrier",
    "Condvar",
    "blocking_",
    // Crates of clients and runtimes beyond `KNOWN_CRATES`.
    "aws_sdk_",
    "aws_config",
    "opentelemetry",
    "opentelemetry_",
    "deadpool",
    "deadpool_",
    "bb8",
    "tokio_postgres",
    "warp",
    "tower_http",
    "rdkafka",
    "lapin",
    // Suppression directives and `cfg_attr(.., allow(loopfix::..))`.
    "loopfix",
];

/// Crates of `KNOWN_CRATES` whose APIs the seed words above already cover (their executors'
/// `block_on` and `spawn`): naming the crate alone does not make a file matter.
const COVERED_CRATES: &[&str] = &["futures", "futures_executor", "futures_lite", "pollster"];

/// Guards and borrows: they matter next to an `.await`.
const GUARD_WORDS: &[&str] = &["lock", "read", "write", "borrow", "borrow_mut"];

/// Decides from a file's text whether it must be parsed.
pub struct Prefilter {
    /// For each first byte, the lengths (bit `len.min(31)`) of the words below that start with
    /// it: one lookup rules out most identifiers.
    quick: Box<[u32; 256]>,
    /// Seed words, guard words and `await`, by what they are.
    words: FxHashMap<String, WordKind>,
    /// Seed words ending in `_`, which match as prefixes (`aws_sdk_`).
    prefixes: Vec<String>,
}

/// What a word of code is to the prefilter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WordKind {
    Seed,
    Guard,
    Await,
}

/// A byte of an identifier (any byte of a non-ASCII character counts).
pub(crate) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Whether `text` holds the word `loopfix` anywhere, comments included: where suppression
/// directives (`// loopfix: allow(..)`, `#[allow(loopfix::..)]`) can be.
pub fn names_loopfix(text: &str) -> bool {
    holds_word(text, "loopfix")
}

/// Whether `text` holds `word` as a whole identifier, anywhere (comments and strings too).
pub fn holds_word(text: &str, word: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, word.as_bytes()).any(|at| {
        (at == 0 || !is_ident_byte(bytes[at - 1]))
            && bytes
                .get(at + word.len())
                .is_none_or(|b| !is_ident_byte(*b))
    })
}

impl Prefilter {
    /// The built-in words plus `extra` ones: the last segments of configured clients, blocking
    /// functions and off-thread wrappers, and the local names of renamed dependencies.
    pub fn new(extra: impl IntoIterator<Item = String>) -> Prefilter {
        let seeds: Vec<String> = SEED_WORDS
            .iter()
            .chain(KNOWN_CRATES.iter().filter(|c| !COVERED_CRATES.contains(c)))
            .map(|w| w.to_string())
            .chain(extra.into_iter().filter(|w| !w.is_empty()))
            .collect();
        let mut quick = Box::new([0u32; 256]);
        let mut words = FxHashMap::default();
        let mut prefixes = Vec::new();
        let others = GUARD_WORDS
            .iter()
            .map(|w| (w.to_string(), WordKind::Guard))
            .chain([("await".to_owned(), WordKind::Await)]);
        // A seed word that is also a guard word is a seed.
        for (word, kind) in others.chain(seeds.into_iter().map(|w| (w, WordKind::Seed))) {
            let first = usize::from(word.as_bytes()[0]);
            if word.ends_with('_') {
                for len in word.len().min(31)..32 {
                    quick[first] |= 1 << len;
                }
                prefixes.push(word);
            } else {
                quick[first] |= 1 << word.len().min(31);
                words.insert(word, kind);
            }
        }
        Prefilter {
            quick,
            words,
            prefixes,
        }
    }

    /// What the identifier `word` is to the prefilter, if anything.
    fn kind_of(&self, word: &str) -> Option<WordKind> {
        let first = *word.as_bytes().first()?;
        if self.quick[usize::from(first)] & (1 << word.len().min(31)) == 0 {
            return None;
        }
        if let Some(kind) = self.words.get(word) {
            return Some(*kind);
        }
        self.prefixes
            .iter()
            .any(|p| word.starts_with(p.as_str()))
            .then_some(WordKind::Seed)
    }

    /// The prefilter of a run: the built-in words, and those the workspace adds (the last
    /// segments of configured clients, blocking functions and off-thread wrappers; the local
    /// names of renamed dependencies that stand for a crate that matters,
    /// `tokio_crate = { package = "tokio" }`).
    pub fn for_workspace(workspace: Option<&Workspace>) -> Prefilter {
        let builtin = Prefilter::new(Vec::new());
        let Some(ws) = workspace else {
            return builtin;
        };
        let mut words = Vec::new();
        for package in &ws.packages {
            for api in package
                .clients
                .iter()
                .chain(&package.blocking)
                .chain(&package.off_thread)
            {
                words.extend(api.rsplit("::").next().map(str::to_owned));
            }
            for (local, krate) in &package.extern_crates {
                if local != krate && builtin.has_seed_word(krate) {
                    words.push(local.clone());
                }
            }
        }
        if words.is_empty() {
            builtin
        } else {
            Prefilter::new(words)
        }
    }

    /// Whether `text` holds a seed word (the guard words and `.await` aside) as a whole
    /// identifier, anywhere (comments and strings included).
    pub fn has_seed_word(&self, text: &str) -> bool {
        text.split(|c: char| c.is_ascii() && !is_ident_byte(c as u8))
            .any(|word| self.is_seed_ident(word))
    }

    /// Whether the identifier `ident` is a seed word (or starts with a seed prefix).
    pub fn is_seed_ident(&self, ident: &str) -> bool {
        self.kind_of(ident) == Some(WordKind::Seed)
    }

    /// Whether `text`'s code holds a seed word, or an `.await` and a guard taken (`m.lock()`,
    /// `rw.read()`, `c.borrow_mut()`: a guard word called with no arguments, as
    /// [`FileModel::guard_taken`](super::FileModel::guard_taken) needs); or whether a comment
    /// holds a `loopfix` directive. Words in comments, docs and strings do not count: no rule
    /// reports there. Nor does a seed word that a single `:` follows: it is the name a field, a
    /// parameter or a binding declares (`pub Command: u8` in generated FFI bindings, `fs: Fs`),
    /// never a path, a type or a call the model resolves.
    pub fn is_seed(&self, text: &str) -> bool {
        self.scan_with(text, false).is_none()
    }

    /// [`Prefilter::is_seed`], and for a file that is not a seed its [`WordIndex`] and whether
    /// it re-exports, found in the same pass over its tokens (the closure searches most files
    /// that are not seeds).
    pub fn scan(&self, text: &str) -> Scan {
        match self.scan_with(text, true) {
            None => Scan::Seed,
            Some((index, reexports, seed_words)) => Scan::Other {
                index,
                reexports,
                seed_words,
            },
        }
    }

    /// `None` for a seed; otherwise the file's word index (empty unless `index`), whether its
    /// code re-exports something, and whether a seed word is in its code at all.
    fn scan_with(&self, text: &str, index: bool) -> Option<(WordIndex, bool, bool)> {
        // A directive counts in a comment (`loopfix` is a seed word).
        if names_loopfix(text) {
            return None;
        }
        let (mut awaits, mut guards, mut seed) = (false, false, false);
        let mut seed_words = false;
        // The last word found, waiting for the punctuation after it to decide.
        let mut pending = Pending::None;
        let mut reexport = Reexport::default();
        let mut placer = super::words::Placer::new(text);
        let mut entries = IndexBuilder::default();
        super::words::for_each_code_token_while(text, |token| {
            reexport.see(&token);
            if index && let Some((_, word, place)) = placer.place(token) {
                entries.push(word, &place);
            }
            let word = match token {
                super::words::Token::Punct { byte, .. } => {
                    pending = match (pending, byte) {
                        (Pending::Seed, b':') => Pending::SeedColon,
                        (Pending::Guard, b'(') => Pending::GuardOpen,
                        (Pending::GuardOpen, b')') => {
                            guards = true;
                            Pending::None
                        }
                        // `name::` is a path; `name:` alone declares `name`.
                        (Pending::SeedColon, b':') | (Pending::Seed, _) => {
                            seed = true;
                            Pending::None
                        }
                        _ => Pending::None,
                    };
                    return !(seed || awaits && guards);
                }
                super::words::Token::Word { text, .. } => text,
            };
            if pending == Pending::Seed {
                seed = true;
                return false;
            }
            pending = match self.kind_of(word) {
                Some(WordKind::Seed) => {
                    seed_words = true;
                    Pending::Seed
                }
                Some(WordKind::Guard) => Pending::Guard,
                Some(WordKind::Await) => {
                    awaits = true;
                    Pending::None
                }
                None => Pending::None,
            };
            !(seed || awaits && guards)
        });
        let is_seed = seed || pending == Pending::Seed || awaits && guards;
        (!is_seed).then(|| (entries.finish(), reexport.found, seed_words))
    }
}

/// The first segments of the paths `text` re-exports to other crates: `d` for `pub use d::x;`,
/// `pub use ::d::{x, y};` and `pub extern crate d;`; `None` for `pub use {..}`, whose paths are
/// not read. A byte search for `pub` (comments and strings included: a word too many only widens
/// what the closure searches); `pub(crate) use` re-exports nothing outside its crate.
fn reexport_roots(text: &str) -> Vec<Option<&str>> {
    let bytes = text.as_bytes();
    let skip_space = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let word_at = |i: usize| {
        let end = bytes[i.min(bytes.len())..]
            .iter()
            .position(|b| !is_ident_byte(*b))
            .map_or(bytes.len(), |n| i + n);
        (&text[i.min(end)..end], end)
    };
    let mut roots = Vec::new();
    for at in memchr::memmem::find_iter(bytes, b"pub") {
        if at > 0 && is_ident_byte(bytes[at - 1])
            || bytes.get(at + 3).is_some_and(|b| is_ident_byte(*b))
        {
            continue;
        }
        let (keyword, end) = word_at(skip_space(at + 3));
        let mut i = skip_space(end);
        match keyword {
            "use" => {
                if bytes[i..].starts_with(b"::") {
                    i = skip_space(i + 2);
                }
                if bytes.get(i) == Some(&b'{') {
                    roots.push(None);
                } else {
                    roots.push(Some(word_at(i).0));
                }
            }
            "extern" => {
                let (krate, end) = word_at(i);
                if krate == "crate" {
                    roots.push(Some(word_at(skip_space(end)).0));
                }
            }
            _ => {}
        }
    }
    roots
}

/// Finds a re-export in a file's code tokens: `pub use`, `pub(crate) use`, `pub(in a::b) use`.
#[derive(Default)]
struct Reexport {
    /// After `pub`: 1; inside its `(..)`: 2 and more, one per bracket open.
    state: u32,
    found: bool,
}

impl Reexport {
    #[inline]
    fn see(&mut self, token: &super::words::Token<'_>) {
        use super::words::Token;
        self.state = match (self.state, token) {
            (_, Token::Word { text: "pub", .. }) if self.state < 2 => 1,
            (1, Token::Word { text: "use", .. }) => {
                self.found = true;
                0
            }
            (1, Token::Punct { byte: b'(', .. }) => 2,
            (2.., Token::Punct { byte: b'(', .. }) => self.state + 1,
            (2, Token::Punct { byte: b')', .. }) => 1,
            (3.., Token::Punct { byte: b')', .. }) => self.state - 1,
            (2.., _) => self.state,
            _ => 0,
        };
    }
}

/// What [`Prefilter::scan`] found in a file.
pub enum Scan {
    /// A seed: parsed and checked.
    Seed,
    /// Not a seed; the words of its code, for the closure's name search, whether its code
    /// re-exports something (`pub use`): other files resolve paths through it, and whether a
    /// seed word is in its code as a name it declares (`fs: Fs`).
    Other {
        index: WordIndex,
        reexports: bool,
        seed_words: bool,
    },
}

/// A word of [`Prefilter::is_seed`] whose meaning the punctuation after it decides.
#[derive(Clone, Copy, PartialEq)]
enum Pending {
    None,
    /// A seed word; then a `:` after it.
    Seed,
    SeedColon,
    /// A guard word; then a `(` after it.
    Guard,
    GuardOpen,
}

/// Which crates can name the items of which, as the model resolves paths: a target's items are
/// named from the same target, a library's also from the package's other targets and from the
/// packages that depend on it (their files name it by its crate name), and from the packages that
/// depend on a library that re-exports it (`pub use dep::Client;` in `c` lets `c::Client` name
/// `dep`'s type from crates that depend on `c` alone). Crates are *units*: unit
/// `p` is the library of package `p`; the other targets (binaries, tests, examples, benches,
/// build scripts) are units from the package count on. Without a workspace, every file is in
/// unit 0.
pub struct Scope {
    /// For each file, the units it is compiled into.
    pub file_units: Vec<Vec<usize>>,
    /// For each unit, the units whose items it can name.
    pub sees: Vec<FxHashSet<usize>>,
}

impl Scope {
    pub fn of(workspace: Option<&Workspace>, sources: &SourceSet) -> Scope {
        let Some(ws) = workspace.filter(|ws| !ws.packages.is_empty()) else {
            return Scope {
                file_units: vec![vec![0]; sources.files.len()],
                sees: vec![FxHashSet::from_iter([0])],
            };
        };
        // The first unit of each package's targets but its library.
        let mut first_target = Vec::with_capacity(ws.packages.len());
        let mut units = ws.packages.len();
        for p in &ws.packages {
            first_target.push(units);
            units += p.targets.len();
        }
        let file_units = sources
            .files
            .iter()
            .map(|f| {
                let mut units: Vec<usize> = f
                    .owners
                    .iter()
                    .map(|o| match o.kind {
                        Kind::Lib => o.package,
                        _ => first_target[o.package] + o.target,
                    })
                    .collect();
                units.sort_unstable();
                units.dedup();
                if units.is_empty() { vec![0] } else { units }
            })
            .collect();
        let mut by_lib: HashMap<String, Vec<usize>> = HashMap::new();
        for (name, package, _) in ws.libraries() {
            by_lib.entry(name).or_default().push(package);
        }
        let deps = |p: &crate::workspace::Package, local: &str| {
            p.extern_crates
                .get(local)
                .and_then(|krate| by_lib.get(krate))
                .into_iter()
                .flatten()
                .copied()
        };
        let direct: Vec<FxHashSet<usize>> = ws
            .packages
            .iter()
            .map(|p| {
                p.extern_crates
                    .keys()
                    .flat_map(|local| deps(p, local))
                    .collect()
            })
            .collect();
        // The libraries each library re-exports from: the dependencies its code names right
        // after `pub use` or `pub extern crate` (all of them after `pub use {`).
        let mut reexported: Vec<FxHashSet<usize>> = vec![FxHashSet::default(); ws.packages.len()];
        let roots: Vec<(usize, Vec<Option<&str>>)> = sources
            .files
            .par_iter()
            .zip(&file_units)
            .flat_map_iter(|(file, units): (_, &Vec<usize>)| {
                // Libraries only: what other crates name.
                let libs: Vec<usize> = units
                    .iter()
                    .copied()
                    .filter(|&u| u < ws.packages.len())
                    .collect();
                let roots = if libs.is_empty() {
                    Vec::new()
                } else {
                    reexport_roots(file.text())
                };
                libs.into_iter().map(move |u| (u, roots.clone()))
            })
            .collect();
        for (lib, roots) in roots {
            let p = &ws.packages[lib];
            for root in roots {
                match root {
                    Some(local) => reexported[lib].extend(deps(p, local)),
                    None => reexported[lib].extend(direct[lib].iter().copied()),
                }
            }
        }
        let libraries: Vec<FxHashSet<usize>> = direct
            .iter()
            .enumerate()
            .map(|(i, direct)| {
                let mut seen = FxHashSet::from_iter([i]);
                // Through re-exports, transitively: `c` re-exports `d`, which re-exports `e`.
                let mut todo: Vec<usize> = direct.iter().copied().collect();
                while let Some(lib) = todo.pop() {
                    if seen.insert(lib) {
                        todo.extend(reexported[lib].iter().copied());
                    }
                }
                seen
            })
            .collect();
        let mut sees = libraries.clone();
        for (i, p) in ws.packages.iter().enumerate() {
            for t in 0..p.targets.len() {
                let mut seen = libraries[i].clone();
                seen.insert(first_target[i] + t);
                sees.push(seen);
            }
        }
        Scope { file_units, sees }
    }

    /// Whether code in `units` can name an item of unit `defined_in`.
    fn visible(&self, units: &[usize], defined_in: usize) -> bool {
        units
            .iter()
            .any(|&u| self.sees.get(u).is_some_and(|s| s.contains(&defined_in)))
    }
}

/// What the closure of a run decided: the files it summarised and every name it tainted. A file
/// that was left out and still holds no seed word, no re-export and none of these names would be
/// left out again, and the closure would be the same: the run's findings still hold after an edit
/// to such files only (the cache relies on this).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Closure {
    pub names: Names,
    pub summarised: Vec<bool>,
}

impl Closure {
    /// Whether editing only the files `changed` of `sources` (which has the same files as the
    /// run's) leaves the closure as it was.
    pub fn unaffected_by(
        &self,
        workspace: Option<&Workspace>,
        sources: &SourceSet,
        changed: &[usize],
    ) -> bool {
        if self.summarised.len() != sources.files.len()
            || changed
                .iter()
                .any(|&i| self.summarised.get(i) != Some(&false))
        {
            return false;
        }
        let prefilter = Prefilter::for_workspace(workspace);
        let texts: Vec<&str> = changed.iter().map(|&i| sources.files[i].text()).collect();
        let matters = |t: &str| !matches!(prefilter.scan_with(t, false), Some((_, false, _)));
        if texts.iter().any(|t| matters(t)) {
            return false;
        }
        let scope = Scope::of(workspace, sources);
        let search = self.names.search();
        !changed
            .iter()
            .zip(&texts)
            .any(|(&i, text)| search.names_any(text, &scope, i))
    }
}

/// Names that pull a file into the parsed set, each with the units ([`Scope`]) that define it: free
/// functions, statics and re-exports by their own name (not after a `.`: a method call on an
/// unknown receiver resolves to nothing); methods by their name together with their type's name.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(from = "StoredNames", into = "StoredNames")]
pub struct Names {
    plain: HashMap<String, HashSet<usize>>,
    methods: HashMap<(String, String), HashSet<usize>>,
}

/// [`Names`] as a file stores them (JSON maps have string keys).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredNames {
    plain: Vec<(String, Vec<usize>)>,
    methods: Vec<(String, String, Vec<usize>)>,
}

impl From<Names> for StoredNames {
    fn from(names: Names) -> StoredNames {
        StoredNames {
            plain: names
                .plain
                .into_iter()
                .map(|(n, p)| (n, p.into_iter().collect()))
                .collect(),
            methods: names
                .methods
                .into_iter()
                .map(|((t, m), p)| (t, m, p.into_iter().collect()))
                .collect(),
        }
    }
}

impl From<StoredNames> for Names {
    fn from(stored: StoredNames) -> Names {
        Names {
            plain: stored
                .plain
                .into_iter()
                .map(|(n, p)| (n, p.into_iter().collect()))
                .collect(),
            methods: stored
                .methods
                .into_iter()
                .map(|(t, m, p)| ((t, m), p.into_iter().collect()))
                .collect(),
        }
    }
}

impl Names {
    /// Adds `other`'s names (and units) to these.
    pub fn merge(&mut self, other: Names) {
        for (name, units) in other.plain {
            self.plain.entry(name).or_default().extend(units);
        }
        for (key, units) in other.methods {
            self.methods.entry(key).or_default().extend(units);
        }
    }

    pub fn add(&mut self, name: &str, units: &[usize]) {
        self.plain.entry(name.to_owned()).or_default().extend(units);
    }

    pub fn add_method(&mut self, ty: &str, name: &str, units: &[usize]) {
        self.methods
            .entry((ty.to_owned(), name.to_owned()))
            .or_default()
            .extend(units);
    }

    pub fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.methods.is_empty()
    }

    /// A matcher for these names.
    pub fn search(&self) -> NameSearch {
        let mut methods: FxHashMap<u64, Vec<(u64, Vec<usize>)>> = FxHashMap::default();
        let mut typed: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
        for ((ty, name), units) in &self.methods {
            let (ty, name) = (word_hash(ty), word_hash(name));
            methods
                .entry(name)
                .or_default()
                .push((ty, units.iter().copied().collect()));
            typed
                .entry(pair_hash(ty, name))
                .or_default()
                .extend(units.iter().copied());
        }
        NameSearch {
            defined_in: self
                .plain
                .values()
                .chain(self.methods.values())
                .flatten()
                .copied()
                .collect(),
            plain: self
                .plain
                .iter()
                .map(|(name, units)| (word_hash(name), units.iter().copied().collect()))
                .collect(),
            methods,
            typed,
        }
    }
}

/// The hash of a word, as [`WordIndex`] and [`NameSearch`] compare them (a collision can only
/// pull in a file more, never leave one out). Its three lowest bits are 0: [`WordIndex`] keeps
/// flags there.
pub(crate) fn word_hash(word: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    std::hash::Hasher::write(&mut h, word.as_bytes());
    std::hash::Hasher::finish(&h) & !FLAGS
}

/// [`WordIndex`]'s flags: where a word occurs.
const FLAGS: u64 = 0b111;
/// Where it can name a free function, static or re-export ([`WordPlace::plain`]).
const PLAIN: u64 = 0b001;
/// Where it can name a method of any type the file uses: after a `.` or a `::` without a type's
/// name before it (`x.name()`, `Self::name`, `<T>::name`); `Type::name` is a pair of its own
/// ([`pair_hash`]).
const METHOD: u64 = 0b010;
/// Anywhere but where it is declared (a type's name in a path, a type, an import).
const USED: u64 = 0b100;

/// The identifiers of one file's code, as the closure's name search asks for them: each distinct
/// word (by hash), and where its occurrences stand: whether one can name a free function, static
/// or re-export (not after a `.`, not as `Type::name`, not as a module `name::..`, not where it
/// is declared), whether one can name a method, whether one is a use at all; and each
/// `Type::name` written (a method of that type). Words inside attributes are left out (`all` in
/// `#[cfg(all(..))]`): the model resolves no call or name there. Built once per file and asked
/// once per round of the closure.
pub struct WordIndex {
    /// Sorted, one entry per hash: the hash, with its [`FLAGS`] (of all its occurrences); a
    /// `Type::name` pair has none.
    words: Vec<u64>,
}

/// The hash of `Type::name` written with its type ([`WordIndex`] keeps it beside the words):
/// mixed so that it is no word's hash (a collision only pulls a file in).
fn pair_hash(ty: u64, name: u64) -> u64 {
    (ty.rotate_left(29) ^ name).wrapping_mul(0x9E37_79B9_7F4A_7C15) & !FLAGS
}

/// The entries of one file's words, as its tokens come ([`WordIndex::of`]).
#[derive(Default)]
struct IndexBuilder {
    entries: Vec<u64>,
    /// `Type::name` with a type's name (not `Self`) before it, by the hashes of both: a method
    /// of that type only, unless the file renames a type to that name.
    typed: Vec<(u64, u64)>,
    /// The words after an `as` (renaming imports: `use a::Store as Db;`; casts' types too).
    renames: FxHashSet<u64>,
    after_as: bool,
}

impl IndexBuilder {
    fn push(&mut self, word: &str, place: &super::words::WordPlace<'_>) {
        let hash = word_hash(word);
        if std::mem::replace(&mut self.after_as, word == "as") {
            self.renames.insert(hash);
        }
        let mut flags = 0;
        if place.plain() {
            flags |= PLAIN;
        }
        if !place.declared && !place.macro_name {
            flags |= USED;
            match place.type_parent().filter(|ty| *ty != "Self") {
                // `Type::name` keys the method by that type (as the closure does).
                Some(ty) if !place.after_dot => self.typed.push((word_hash(ty), hash)),
                _ if place.after_dot || place.qualified => flags |= METHOD,
                _ => {}
            }
        }
        self.entries.push(hash | flags);
    }

    fn finish(mut self) -> WordIndex {
        for (ty, name) in self.typed {
            self.entries.push(pair_hash(ty, name));
            // Through a renaming import the method is the renamed type's (`Db::get` is
            // `Store::get`): its name counts after any type the file uses.
            if self.renames.contains(&ty) {
                self.entries.push(name | USED | METHOD);
            }
        }
        WordIndex::from_entries(self.entries)
    }
}

impl WordIndex {
    pub fn of(text: &str) -> WordIndex {
        let mut builder = IndexBuilder::default();
        super::words::for_each_placed_word(text, |_, word, place| builder.push(word, &place));
        builder.finish()
    }

    /// The index of the entries of every word of a file, and of every `Type::name` pair.
    fn from_entries(mut words: Vec<u64>) -> WordIndex {
        words.sort_unstable();
        // One entry per hash, with the flags of all of them.
        words.dedup_by(|later, kept| {
            let same = *later & !FLAGS == *kept & !FLAGS;
            if same {
                *kept |= *later & FLAGS;
            }
            same
        });
        words.shrink_to_fit();
        WordIndex { words }
    }

    /// Whether a word of this hash occurs with one of `flags`.
    fn has(&self, hash: u64, flags: u64) -> bool {
        self.words
            .binary_search_by_key(&hash, |entry| entry & !FLAGS)
            .is_ok_and(|at| self.words[at] & flags != 0)
    }

    /// Each word's hash, and its flags.
    fn entries(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.words
            .iter()
            .map(|entry| (entry & !FLAGS, entry & FLAGS))
    }
}

pub struct NameSearch {
    /// Every unit that defines one of the names.
    defined_in: FxHashSet<usize>,
    /// Free functions, statics and re-exports: their units, by name.
    plain: FxHashMap<u64, Vec<usize>>,
    /// Methods, by their own name: their type's name and their units.
    methods: FxHashMap<u64, Vec<(u64, Vec<usize>)>>,
    /// Methods, by the hash of `Type::name` ([`pair_hash`]): their units.
    typed: FxHashMap<u64, Vec<usize>>,
}

impl NameSearch {
    /// Whether `text`, in file `file` of `scope`, names one of the names that its units see.
    pub fn names_any(&self, text: &str, scope: &Scope, file: usize) -> bool {
        self.may_name(scope, file) && self.names_any_in(&WordIndex::of(text), scope, file)
    }

    /// Whether file `file` can see a unit that defines one of the names (most files cannot:
    /// no search).
    pub fn may_name(&self, scope: &Scope, file: usize) -> bool {
        scope.file_units[file].iter().any(|p| {
            scope
                .sees
                .get(*p)
                .is_some_and(|s| !s.is_disjoint(&self.defined_in))
        })
    }

    /// [`NameSearch::names_any`], on the file's [`WordIndex`].
    pub fn names_any_in(&self, index: &WordIndex, scope: &Scope, file: usize) -> bool {
        let units = &scope.file_units[file];
        let sees = |defined: &[usize]| defined.iter().any(|&d| scope.visible(units, d));
        index.entries().any(|(hash, flags)| {
            flags & PLAIN != 0 && self.plain.get(&hash).is_some_and(|d| sees(d))
                || flags & METHOD != 0
                    && self.methods.get(&hash).is_some_and(|types| {
                        types.iter().any(|(ty, d)| index.has(*ty, USED) && sees(d))
                    })
                // A `Type::name` pair (no flags).
                || flags == 0 && self.typed.get(&hash).is_some_and(|d| sees(d))
        })
    }
}

/// What a call or a use names, as the closure matches it: names by their [`word_hash`] (a
/// collision can only taint more, never less).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// A function, static or re-export, by name.
    Plain(u64),
    /// A method, by its type's name and its own.
    Method(u64, u64),
}

/// What a tainted thing is called: the names a round of the closure hands on ([`Names`]).
#[derive(Clone, Debug)]
enum Named {
    Plain(String),
    Method(String, String),
}

impl Named {
    fn key(&self) -> Key {
        match self {
            Named::Plain(name) => Key::Plain(word_hash(name)),
            Named::Method(ty, name) => Key::Method(word_hash(ty), word_hash(name)),
        }
    }
}

/// What waits for a key to be tainted: a function (file, index in its summary) or a re-export
/// (by its local name), what it taints in turn (an index into [`Taint`]'s names; none for what
/// nothing can call), and the file it is in.
#[derive(Clone, Copy, Debug)]
struct Waiter {
    id: (usize, usize),
    emits: Option<u32>,
    file: usize,
}

/// The closure over the parsed files: the functions, statics and re-exports that do something a
/// rule looks at, or call (name, re-export) something that does. Their names pull more files in:
/// the files of the packages that can name them.
///
/// Taint goes through async functions too: the runtimes that reach a function (which the client
/// and sleep rules ask for) are found through the callers that await it. It stops at `main` and at
/// tests and benchmarks (`#[test]`, `#[tokio::test]`, `#[bench]`...), which nothing calls: their
/// names pull no file in.
pub struct Taint<'s> {
    scope: &'s Scope,
    /// Keys tainted, with the units that define them.
    tainted: FxHashMap<Key, FxHashSet<usize>>,
    fired: FxHashSet<(usize, usize)>,
    waiting: FxHashMap<Key, Vec<Waiter>>,
    /// What waiters taint when they fire, by the index they hold.
    named: Vec<Named>,
    /// Names tainted in a file (by index in `named`), not propagated yet.
    queue: Vec<(u32, usize)>,
    /// Ids for re-exports (`usize::MAX` as their file).
    next_alias: usize,
    /// Renaming imports and re-exports (`pub use store::Store as Db;`), by the hash of the name
    /// they rename: the new name, and the file. A method of the renamed type is one of the new
    /// name too (`Db::get`).
    renamed_types: FxHashMap<u64, Vec<(String, usize)>>,
    /// The methods tainted on each type, by the type's hash: for renames found later.
    methods_of: FxHashMap<u64, Vec<String>>,
}

/// The key of a call. `renames` maps the file's renaming imports (`use a::Cache as MokaCache`)
/// back to the name the definition has.
fn call_key(f: &FnSummary, target: &CallTarget, renames: &HashMap<&str, &str>) -> Option<Key> {
    let method = |ty: &str, name: &str| {
        let ty = renames.get(ty).copied().unwrap_or(ty);
        Some(Key::Method(word_hash(ty), word_hash(name)))
    };
    match target {
        // `Type::f` and `Self::f` name a method; `module::f` and `f` a function.
        CallTarget::Path { segments, .. } => match segments.as_slice() {
            [.., ty, name] if ty == "Self" => method(f.self_ty.as_deref()?, name),
            [.., ty, name] if ty.starts_with(char::is_uppercase) => method(ty, name),
            [.., name] => Some(Key::Plain(word_hash(name))),
            [] => None,
        },
        CallTarget::SelfMethod(name) => method(f.self_ty.as_deref()?, name),
        CallTarget::TypedMethod { ty, method: name } => method(ty.last()?, name),
        CallTarget::Method => None,
    }
}

/// What a tainted function taints in turn (nothing for `main` and tests).
fn own_name(f: &FnSummary) -> Option<Named> {
    if f.is_test || (f.self_ty.is_none() && f.name == "main") {
        return None;
    }
    Some(match &f.self_ty {
        Some(ty) => Named::Method(ty.clone(), f.name.clone()),
        None => Named::Plain(f.name.clone()),
    })
}

impl<'s> Taint<'s> {
    pub fn new(scope: &'s Scope) -> Taint<'s> {
        Taint {
            scope,
            tainted: FxHashMap::default(),
            fired: FxHashSet::default(),
            waiting: FxHashMap::default(),
            named: Vec::new(),
            queue: Vec::new(),
            next_alias: 0,
            renamed_types: FxHashMap::default(),
            methods_of: FxHashMap::default(),
        }
    }

    /// The index of a new name.
    fn name(&mut self, named: Named) -> u32 {
        self.named.push(named);
        (self.named.len() - 1) as u32
    }

    /// Adds newly parsed files; returns the names tainted since the last call, which the files not
    /// parsed yet are searched for.
    pub fn add<'t>(
        &mut self,
        prefilter: &Prefilter,
        text: impl Fn(usize) -> &'t str,
        new: &[(usize, &FileSummary)],
    ) -> Names {
        for &(file, summary) in new {
            let text = text(file);
            for st in &summary.statics {
                let init = st
                    .initializer
                    .and_then(|r| text.get(usize::from(r.start())..usize::from(r.end())))
                    .unwrap_or_default();
                if prefilter.has_seed_word(&st.ty) || prefilter.has_seed_word(init) {
                    let named = self.name(Named::Plain(st.name.clone()));
                    self.queue.push((named, file));
                }
            }
            for (_, local, path) in &summary.aliases {
                let Some(leaf) = path.last() else { continue };
                if prefilter.has_seed_word(leaf) {
                    let named = self.name(Named::Plain(local.clone()));
                    self.queue.push((named, file));
                } else if local != leaf {
                    self.next_alias += 1;
                    let waiter = Waiter {
                        id: (usize::MAX, self.next_alias),
                        emits: Some(self.name(Named::Plain(local.clone()))),
                        file,
                    };
                    self.wait(Key::Plain(word_hash(leaf)), waiter);
                    self.rename_type(leaf, local, file);
                }
            }
            let renames: HashMap<&str, &str> = summary
                .aliases
                .iter()
                .filter_map(|(_, local, path)| {
                    let leaf = path.last()?;
                    (leaf != local).then_some((local.as_str(), leaf.as_str()))
                })
                .collect();
            // The names each function uses, by the function's start (one pass, not one per
            // function).
            let mut uses_in: FxHashMap<TextSize, Vec<&str>> = FxHashMap::default();
            for u in &summary.name_uses {
                if let (Some(start), Some(name)) = (u.in_fn, u.segments.last()) {
                    uses_in.entry(start).or_default().push(name);
                }
            }
            for (j, f) in summary.fns.iter().enumerate() {
                let emits = own_name(f).map(|named| self.name(named));
                let waiter = Waiter {
                    id: (file, j),
                    emits,
                    file,
                };
                if !f.facts.is_empty() || f.entry.is_some() || f.route.is_some() || f.seeded {
                    self.fire(waiter);
                    continue;
                }
                for c in &f.calls {
                    if let Some(key) = call_key(f, &c.target, &renames) {
                        self.wait(key, waiter);
                    }
                }
                for name in uses_in.get(&f.start).into_iter().flatten() {
                    self.wait(Key::Plain(word_hash(name)), waiter);
                }
            }
        }
        // Propagate: each key tainted wakes what waits for it and sees the file that taints it.
        let mut fresh = Names::default();
        while let Some((named, file)) = self.queue.pop() {
            let named = &self.named[named as usize];
            let key = named.key();
            let units = &self.scope.file_units[file];
            let known = self.tainted.entry(key).or_default();
            let added: Vec<usize> = units.iter().copied().filter(|p| known.insert(*p)).collect();
            if added.is_empty() {
                continue;
            }
            match named {
                Named::Plain(name) => fresh.add(name, &added),
                Named::Method(ty, name) => {
                    fresh.add_method(ty, name, &added);
                    let (ty, name) = (word_hash(ty), name.clone());
                    self.taint_renamed(ty, &name, &added);
                    self.methods_of.entry(ty).or_default().push(name);
                }
            }
            let waiters = self.waiting.remove(&key).unwrap_or_default();
            let (wake, keep): (Vec<Waiter>, Vec<Waiter>) = waiters.into_iter().partition(|w| {
                let at = &self.scope.file_units[w.file];
                added.iter().any(|&d| self.scope.visible(at, d))
            });
            if !keep.is_empty() {
                self.waiting.insert(key, keep);
            }
            for waiter in wake {
                self.fire(waiter);
            }
        }
        fresh
    }

    /// `local` is `leaf` renamed in `file`: the methods of `leaf` tainted so far (where `file`
    /// can name them) are `local`'s too, and so are those tainted later.
    fn rename_type(&mut self, leaf: &str, local: &str, file: usize) {
        let ty = word_hash(leaf);
        self.renamed_types
            .entry(ty)
            .or_default()
            .push((local.to_owned(), file));
        let at = &self.scope.file_units[file];
        let methods: Vec<String> = self
            .methods_of
            .get(&ty)
            .into_iter()
            .flatten()
            .filter(|m| {
                self.tainted
                    .get(&Key::Method(ty, word_hash(m)))
                    .is_some_and(|d| d.iter().any(|&d| self.scope.visible(at, d)))
            })
            .cloned()
            .collect();
        for method in methods {
            let named = self.name(Named::Method(local.to_owned(), method));
            self.queue.push((named, file));
        }
    }

    /// The method `name` of the type hashed `ty` was tainted in the units `added`: so is the
    /// method of that name of every rename of the type that can name them.
    fn taint_renamed(&mut self, ty: u64, name: &str, added: &[usize]) {
        let renames: Vec<(String, usize)> = self
            .renamed_types
            .get(&ty)
            .into_iter()
            .flatten()
            .filter(|(_, file)| {
                let at = &self.scope.file_units[*file];
                added.iter().any(|&d| self.scope.visible(at, d))
            })
            .cloned()
            .collect();
        for (local, file) in renames {
            let named = self.name(Named::Method(local, name.to_owned()));
            self.queue.push((named, file));
        }
    }

    fn fire(&mut self, waiter: Waiter) {
        if self.fired.insert(waiter.id)
            && let Some(named) = waiter.emits
        {
            self.queue.push((named, waiter.file));
        }
    }

    fn wait(&mut self, key: Key, waiter: Waiter) {
        let at = &self.scope.file_units[waiter.file];
        let seen = self
            .tainted
            .get(&key)
            .is_some_and(|d| d.iter().any(|&d| self.scope.visible(at, d)));
        if seen {
            self.fire(waiter);
        } else {
            self.waiting.entry(key).or_default().push(waiter);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn re_exports_to_other_crates_are_found_by_their_first_segment() {
        let roots = reexport_roots(
            "pub use d::load;\npub   use ::e::{A, B};\npub extern crate f;\npub use {g::x, h::y};\n\
             pub(crate) use i::x;\npub fn republic() {}\nuse j::x;\npub mod k;\nfn pubuse() {}",
        );
        assert_eq!(roots, [Some("d"), Some("e"), Some("f"), None]);
    }

    #[test]
    fn seeds_are_whole_identifiers() {
        let p = Prefilter::new(Vec::new());
        assert!(p.is_seed("fn f() { rt.block_on(x) }"));
        assert!(p.is_seed("use tokio::sync::Mutex;"));
        assert!(p.is_seed("let c = aws_sdk_s3::Client::new(&cfg);"));
        assert!(p.is_seed("m.blocking_lock()"));
        // Inside longer identifiers: no.
        assert!(!p.is_seed("fn block_online() {} struct Tokiox; let nonblocking_io = 1;"));
        assert!(!p.is_seed("fn add(a: u32, b: u32) -> u32 { a + b }"));
        // A guard word alone is not enough; next to an `.await` it is.
        assert!(!p.is_seed("fn f(m: &M) { m.lock(); }"));
        assert!(!p.is_seed("async fn f() { g().await }"));
        assert!(p.is_seed("async fn f(m: &M) { let g = m.lock(); h().await; }"));
        // Only code counts: not comments, docs (their examples included) or strings; but a
        // `loopfix` directive lives in a comment.
        assert!(!p.is_seed("// uses tokio::spawn\nfn f() {}"));
        assert!(!p.is_seed("/// ```\n/// rt.block_on(x);\n/// ```\nfn f() {}"));
        assert!(!p.is_seed("fn f() -> &'static str { \"block_on\" }"));
        assert!(!p.is_seed("fn f() -> &'static str { r#\"tokio\"# } /* Runtime */"));
        assert!(p.is_seed("fn f() {} // loopfix: allow(nested_block_on)"));
        assert!(!p.is_seed("async fn f() { g().await } // m.lock()"));
        // A guard is a guard word called with no arguments: `read(&mut buf)` is I/O.
        assert!(p.is_seed("async fn f(m: &M) { let g = m.lock /* */ ( ).unwrap(); h().await; }"));
        assert!(p.is_seed("async fn f(c: &C) { let b = c.borrow_mut(); h().await; }"));
        assert!(!p.is_seed("async fn f(r: R) { r.read(&mut buf).await; w.write(b\"x\").await }"));
        assert!(!p.is_seed("async fn f(r: R) { r.read.await } let lock = 1;"));
        // A seed word that a lone `:` follows is a name being declared (a field, a parameter, a
        // binding); a path (`Command::new`), a type (`c: Command`), an import or a call is not.
        assert!(!p.is_seed("pub struct S { pub Command: u8, pub fs: u32 }"));
        assert!(!p.is_seed("fn f(sleep: Duration) {} let s = S { spawn: 1 };"));
        assert!(p.is_seed("fn f() { Command::new(\"ls\"); }"));
        assert!(p.is_seed("fn f() { Command :: new(\"ls\"); }"));
        assert!(p.is_seed("fn f(c: &mut Command) {}"));
        assert!(p.is_seed("use std::process::{Command, Stdio};"));
        assert!(p.is_seed("fn f() { sleep(d) }"));
        assert!(p.is_seed("use std::fs"));
        assert!(p.is_seed("struct S { rt: Runtime }"));
        // In a static's type or a re-export's path, words count anywhere, as whole identifiers.
        assert!(p.has_seed_word("Lazy<tokio::runtime::Runtime>"));
        assert!(p.has_seed_word("aws_sdk_s3::Client"));
        assert!(!p.has_seed_word("Mutex<Option<Runtimé>>"));
        assert!(!p.has_seed_word("MyRuntime::spawner, lock"));
        // Configured names.
        let p = Prefilter::new(vec!["ApiClient".to_owned()]);
        assert!(p.is_seed("let c = api::ApiClient::new();"));
    }

    /// Every API the model's tables name holds a seed word: a file that uses one is parsed. (The
    /// tables and the seed words live apart; this keeps them in step.)
    #[test]
    fn every_table_path_holds_a_seed_word() {
        use crate::semantic::{blocking, clients, handlers, summary};
        let prefilter = Prefilter::new(Vec::new());
        let mut paths: Vec<String> = Vec::new();
        paths.extend(clients::RUNTIME_BOUND.iter().map(|s| s.to_string()));
        paths.extend(clients::POOLED_CONSTRUCTORS.iter().map(|s| s.to_string()));
        paths.extend(clients::BLOCKING.iter().map(|s| s.to_string()));
        paths.extend(clients::BLOCKING_TYPES.iter().map(|s| s.to_string()));
        paths.extend(clients::CONNECTING.iter().map(|(s, _)| s.to_string()));
        paths.extend(summary::TOKIO_BASED.iter().map(|s| format!("{s}::x")));
        paths.extend(summary::TIMER_FNS.iter().map(|s| s.to_string()));
        paths.extend(handlers::ROUTE_ATTRS.iter().map(|s| s.to_string()));
        paths.extend(handlers::ROUTE_FNS.iter().map(|s| s.to_string()));
        paths.extend(blocking::STD_METHODS.iter().map(|(s, _)| s.to_string()));
        paths.extend(
            blocking::TOKIO_BLOCKING
                .iter()
                .map(|(s, _)| format!("m.{s}()")),
        );
        paths.extend(blocking::TOKIO_FS.iter().map(|s| format!("std::fs::{s}")));
        paths.extend(
            crate::rules::no_runtime_context::EAGER
                .iter()
                .map(|s| s.to_string()),
        );
        paths.extend(
            [
                "std::thread::sleep",
                "std::io::stdin",
                "std::fs::File::open",
            ]
            .map(String::from),
        );
        let missing: Vec<&String> = paths
            .iter()
            .filter(|path| !prefilter.has_seed_word(path))
            .collect();
        assert!(missing.is_empty(), "no seed word in {missing:?}");
    }

    /// The scan's word index of a file that is no seed is the file's [`WordIndex`]; a seed is
    /// what `is_seed` says: on every file of this repository, whole and cut.
    #[test]
    fn the_scan_indexes_what_word_index_does() {
        let p = Prefilter::new(Vec::new());
        let (mut seeds, mut others, mut seeded_names) = (0, 0, 0);
        for (path, text) in crate::semantic::test_rust_files() {
            let cuts = (0..text.len())
                .step_by(7919)
                .filter(|c| text.is_char_boundary(*c));
            for cut in cuts {
                let text = &text[cut..];
                match p.scan(text) {
                    Scan::Seed => {
                        assert!(p.is_seed(text), "{}", path.display());
                        seeds += 1;
                    }
                    Scan::Other {
                        index,
                        reexports,
                        seed_words,
                    } => {
                        use ra_ap_syntax::AstNode;
                        use ra_ap_syntax::ast::HasVisibility;
                        assert!(!p.is_seed(text), "{}", path.display());
                        // No identifier of the file is a seed unless the scan saw a seed word.
                        // (Edition 2021: 2024 reserves `#"`, a guarded string, which the code
                        // tokens read as `#` and a string, as earlier editions do; only a cut
                        // through a string literal makes one here: `"..."r#"`.)
                        let parse = ra_ap_syntax::SourceFile::parse(
                            text,
                            ra_ap_syntax::Edition::Edition2021,
                        );
                        let seed_ident = parse
                            .syntax_node()
                            .descendants_with_tokens()
                            .filter_map(|t| t.into_token())
                            .any(|t| {
                                t.kind() == ra_ap_syntax::SyntaxKind::IDENT
                                    && p.is_seed_ident(t.text())
                            });
                        assert!(seed_words || !seed_ident, "{} {cut}", path.display());
                        seeded_names += usize::from(seed_words);
                        assert_eq!(index.words, WordIndex::of(text).words, "{}", path.display());
                        // Every `use` item with a visibility is seen (a few more may be: in a
                        // macro's body).
                        let parsed = parse.syntax_node().descendants().any(|n| {
                            ra_ap_syntax::ast::Use::cast(n)
                                .is_some_and(|u| u.visibility().is_some())
                        });
                        assert!(reexports || !parsed, "{}", path.display());
                        others += 1;
                    }
                }
            }
        }
        assert!(seeds > 10 && others > 10, "{seeds} {others}");
        assert!(seeded_names < others, "{seeded_names} of {others}");
    }

    /// What the scan says of `text`, which is no seed: whether it re-exports, whether it holds a
    /// seed word.
    fn scan_other(text: &str) -> (bool, bool) {
        match Prefilter::new(Vec::new()).scan(text) {
            Scan::Other {
                reexports,
                seed_words,
                ..
            } => (reexports, seed_words),
            Scan::Seed => panic!("not a seed: {text}"),
        }
    }

    /// A seed word in a file that is no seed: a name it declares.
    #[test]
    fn seed_words_as_declared_names_are_seen() {
        let seed_words = |text: &str| scan_other(text).1;
        assert!(seed_words("fn f(fs: Fs) -> u8 { 1 }"));
        assert!(!seed_words("fn f(x: u8) -> u8 { x } // tokio::spawn"));
    }

    #[test]
    fn reexports_are_found_in_code() {
        let reexports = |text: &str| scan_other(text).0;
        assert!(reexports("mod cache;\npub use cache::Cache;\n"));
        assert!(reexports("pub(crate) use self::inner::*;"));
        assert!(reexports("pub (in crate::a) use x::y;"));
        assert!(reexports("#[doc(inline)]\npub /* here */ use x::{y, z};"));
        assert!(reexports("mod m { pub(in super::super) use a::b; }"));
        assert!(!reexports("use a::b;\npub fn used() {}\nrepub use_x;"));
        assert!(!reexports("pub(crate) fn f() { use a::b; }"));
        // Comments, docs and strings hold no items.
        assert!(!reexports(
            "//! ```\n//! pub use a::b;\n//! ```\nfn f() -> &'static str { \"pub use c;\" }"
        ));
    }

    #[test]
    fn names_match_functions_alone_and_methods_with_their_type() {
        let scope = Scope {
            file_units: vec![vec![0], vec![1]],
            sees: vec![FxHashSet::from_iter([0]), FxHashSet::from_iter([1])],
        };
        let mut names = Names::default();
        names.add("load_config", &[0]);
        names.add_method("Store", "open", &[0]);
        let s = names.search();
        let named = |text: &str| s.names_any(text, &scope, 0);
        assert!(named("fn main() { load_config(); }"));
        assert!(named("use crate::util::{load_config, other};"));
        assert!(!named("fn main() { load_configs(); }"));
        // A method call on an unknown receiver resolves to nothing; a method of a type is not the
        // free function; comments, docs and strings are not code.
        assert!(!named("fn main() { cfg.load_config(); }"));
        assert!(!named("fn main() { Config::load_config(); }"));
        assert!(!named(
            "/// load_config\nfn main() { // load_config()\n let s = \"load_config()\"; }"
        ));
        assert!(named("fn main() { util::load_config(); }"));
        assert!(named("fn main() { load_config::<u8>(); }"));
        assert!(!named("use crate::load_config::other;"));
        assert!(!named("fn main() { file.open(); }"));
        assert!(named("fn main() { let s = Store::open(); }"));
        // Where a word stands is read from the tokens around it, not the bytes: a comment that
        // ends in `.` or `Type::` before a call hides nothing, a `..` range is no method call.
        assert!(named(
            "fn main() {\n    // see the docs.\n    load_config();\n}"
        ));
        assert!(named("fn main() {\n    /* Type:: */ load_config();\n}"));
        assert!(named("fn main() { for _ in 0..load_config() {} }"));
        assert!(named("fn main() { util:: /* here */ load_config(); }"));
        assert!(named("use crate::Store;\nfn f(s: &Store) { s.open() }"));
        assert!(named("fn f(s: &Store) { <Store>::open(s) }"));
        // Where a name is declared or a macro is called, it names nothing: a function of the same
        // name, a field, a parameter, `write!`.
        assert!(!named("pub fn load_config() {}"));
        assert!(!named(
            "struct S { load_config: bool }\nfn f(load_config: u8) {}"
        ));
        assert!(!named("fn f() { load_config!(x); }"));
        assert!(named("fn f() { if load_config != x {} }"));
        // A method is named after a `.` or a `::`, with its type named where it is not declared.
        assert!(!named(
            "use crate::Store;\nimpl Other { fn open(&self) {} }"
        ));
        assert!(!named("struct Store;\nfn f(x: X) { x.open() }"));
        assert!(!named("use crate::Store;\nfn f() { open() }"));
        // Written with another type before it, the name is that type's method, whichever types
        // the file uses elsewhere; `Self::` and a renamed type can be the method's own.
        assert!(!named(
            "use crate::Store;\nfn f(s: &Store) { let f = File::open(p); }"
        ));
        assert!(named("use crate::Store;\nfn f() { store::Store::open(); }"));
        assert!(named("impl Store {\n    fn f() { Self::open() }\n}"));
        assert!(named("use crate::Store as Db;\nfn f() { Db::open(); }"));
        // A package that does not depend on package 0 cannot name its functions.
        assert!(!s.names_any("fn main() { load_config(); }", &scope, 1));
        assert!(!Names::default().search().names_any("anything", &scope, 0));
    }
}
