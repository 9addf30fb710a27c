//! The workspace-wide model: every function of the workspace, the call graph resolved through
//! imports, modules and crates, and which sync functions can run inside an async context (with the
//! call chain that gets them there).
//!
//! Built once per run from the per-file summaries: a definition map, one resolution per call site,
//! and one breadth-first propagation over the call edges (linear in their number).

use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, VecDeque};

use rustc_hash::FxHashMap;

use ra_ap_syntax::{TextRange, TextSize};

use super::context::RuntimeEntry;
use super::imports::Imports;
use super::relevance::word_hash;
use super::summary::{
    CallTarget, Fact, FactKind, FileSummary, FnSummary, NameUse, RuntimeOwner, SiteContext,
    StaticKind,
};
use crate::source::SourceSet;
use crate::workspace::{Kind, Workspace};

/// A function or method of the workspace.
pub type FnId = usize;

/// A static value of the workspace (`static`, `const`, `lazy_static!`, `thread_local!`).
pub type StaticId = usize;

/// A crate of the workspace: a (package, target) pair, or a lone file outside any package.
type CrateId = (usize, usize);

#[derive(Clone, Debug)]
pub struct FnInfo {
    pub file: usize,
    pub name: String,
    /// The type of the `impl` it is in, by its last path segment.
    pub self_ty: Option<String>,
    /// 1-based line of its name (see [`WorkspaceModel::location`]).
    pub line: u32,
    pub start: TextSize,
    pub name_range: TextRange,
    pub is_async: bool,
    /// Declared `pub` (or `pub(crate)`...).
    pub is_pub: bool,
    /// Where `async ` would go; `None` when it cannot be async.
    pub async_insert: Option<TextSize>,
    pub in_trait_impl: bool,
    /// `#[tokio::main]`, `#[tokio::test]`... with its flavor and where to edit it.
    pub entry: Option<RuntimeEntry>,
    /// What it does directly: blocks on a runtime, builds one, sleeps, spawns...
    pub facts: Vec<Fact>,
    /// It runs once per request: its route attribute, or the routing function that registers it
    /// (`axum::routing::get`).
    pub handler: Option<String>,
}

impl FnInfo {
    /// `Client::get` for methods, `load_config` for functions: how users are shown it.
    pub fn display(&self) -> String {
        match &self.self_ty {
            Some(ty) => format!("{ty}::{}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct StaticInfo {
    pub file: usize,
    pub name: String,
    pub kind: StaticKind,
    pub name_range: TextRange,
    /// As written: `LazyLock<reqwest::Client>`.
    pub ty: String,
    /// What it holds, wrappers off, resolved where possible: `reqwest::Client`.
    pub holds: Option<String>,
    pub location: String,
}

/// A place that reads a static.
#[derive(Clone, Debug)]
pub struct StaticUse {
    pub static_id: StaticId,
    pub file: usize,
    pub range: TextRange,
    pub context: SiteContext,
    pub function: Option<FnId>,
    /// The target kinds of the file the use is in (a test target, a bin...).
    pub kinds: Vec<Kind>,
}

#[derive(Clone, Copy, Debug)]
pub struct Edge {
    pub caller: FnId,
    pub callee: FnId,
    /// The callee's name at the call site, in the caller's file.
    pub site: TextRange,
    pub context: SiteContext,
    /// The whole call expression.
    pub call: TextRange,
    /// `.await` can be written after the call.
    pub awaitable: bool,
    /// Inside a closure of the caller.
    pub in_closure: bool,
}

/// What it takes to make a sync function async: these functions become `async fn`, and these calls
/// (file, end of the call expression) get `.await`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MakeAsync {
    pub functions: Vec<FnId>,
    pub awaits: Vec<(usize, TextSize)>,
}

/// One step of a call chain: a function, and where it calls the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainStep {
    pub function: FnId,
    pub call_site: TextRange,
    /// The call is made in async code (for the first step: the async fn's body, or an async
    /// block or closure inside the function).
    pub async_site: bool,
}

/// Counts for `-v` and the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GraphStats {
    pub functions: usize,
    pub call_sites: usize,
    /// Resolved to a function of the workspace.
    pub to_workspace: usize,
    /// Resolved to a dependency or `std` (`tokio::spawn`).
    pub to_dependencies: usize,
    /// Not resolved: paths to local closures, tuple-struct and enum constructors, trait
    /// functions, items of dependencies not written with their crate...
    pub unknown: usize,
    /// Of `unknown`: method calls on receivers whose type the model does not know.
    pub unknown_methods: usize,
    /// Files summarised (the prefilter's seeds and what they pull in), and of them the seed
    /// files that the rules walk.
    pub parsed_files: usize,
    pub checked_files: usize,
    /// Of `parsed_files`: files summarised only for their `use` items (they re-export, and name
    /// nothing the closure looks for).
    #[serde(default)]
    pub use_items_files: usize,
    /// Of `checked_files`: those the rules walked (the others' first pass found nothing any
    /// rule can report: [`crate::rules::Rule::gate`]).
    #[serde(default)]
    pub walked_files: usize,
}

/// A runtime that code runs on: a runtime entry's (`#[tokio::main]`, `#[tokio::test]`), or a
/// `block_on`'s on a Tokio runtime the code shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeScope {
    /// The same key means the same runtime: an entry, a runtime built for one `block_on`, a
    /// function's local `rt`, a static `RUNTIME`.
    pub key: String,
    /// The entry, or the function that calls `block_on`.
    pub function: FnId,
    /// The `block_on` call; `None` for an entry.
    pub block_on: Option<TextRange>,
    /// A Tokio runtime (Tokio's or actix's entries, `block_on` on a Tokio runtime or handle);
    /// else another executor (`futures::executor::block_on`, `#[async_std::main]`).
    pub tokio: bool,
    /// Which runtime it is, is known (`key` tells runtimes apart); not for a `Handle::block_on`.
    pub identified: bool,
}

pub struct WorkspaceModel {
    pub fns: Vec<FnInfo>,
    pub edges: Vec<Edge>,
    /// Per file: function start -> id.
    by_file: Vec<FxHashMap<TextSize, FnId>>,
    /// For a sync function reachable from async code: the edge through which it was first reached.
    reached_by: Vec<Option<usize>>,
    pub statics: Vec<StaticInfo>,
    /// Every resolved read of a static, in file order.
    pub static_uses: Vec<StaticUse>,
    /// Per static: its uses (indexes into `static_uses`).
    uses_by_static: Vec<Vec<usize>>,
    pub stats: GraphStats,
    /// Call sites (file, start of the callee's name) to the workspace functions they call.
    callees_at: FxHashMap<(usize, TextSize), Vec<FnId>>,
    /// Per function: it uses Tokio's timer / I/O driver, itself or through what it calls.
    needs: Vec<DriverNeeds>,
    /// Per file: its absolute path, for edits in other files.
    pub paths: Vec<camino::Utf8PathBuf>,
    /// Per file: its path relative to the workspace root, for locations shown to users.
    rel_paths: Vec<String>,
    /// Versions of tokio in `Cargo.lock` that cannot share a runtime (`0.2.25`, `1.40.0`): one per
    /// semver-incompatible line.
    pub tokio_versions: Vec<String>,
    /// Per binary (package, target): how many runtimes its code builds, `#[tokio::main]` included.
    runtimes_per_binary: HashMap<CrateId, usize>,
    /// Per file: the binaries it is compiled into.
    binaries_of: Vec<Vec<CrateId>>,
    /// Per function: the indices of the edges that call it.
    callers: Vec<Vec<usize>>,
    /// Per file: the manifest of the (first) package that owns it.
    pub manifests: Vec<Option<camino::Utf8PathBuf>>,
    /// Per file: the features its packages enable on each dependency (`None` outside a package);
    /// shared by the files of the same packages.
    features: Vec<std::sync::Arc<Option<DependencyFeatures>>>,
}

/// Features enabled on each dependency (crate name -> features, `default` included).
type DependencyFeatures = BTreeMap<String, Vec<String>>;

/// What code needs of a Tokio runtime: `enable_time` for timers, `enable_io` for sockets, signals
/// and processes, and any Tokio runtime at all for libraries built on Tokio (reqwest, hyper,
/// tonic, sqlx...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DriverNeeds {
    pub time: bool,
    pub io: bool,
    pub tokio_based: bool,
}

impl DriverNeeds {
    fn get(&self, which: usize) -> bool {
        [self.time, self.io, self.tokio_based][which]
    }

    fn set(&mut self, which: usize) {
        match which {
            0 => self.time = true,
            1 => self.io = true,
            _ => self.tokio_based = true,
        }
    }

    pub fn union(&mut self, other: DriverNeeds) {
        self.time |= other.time;
        self.io |= other.io;
        self.tokio_based |= other.tokio_based;
    }
}

/// Where a file sits, for resolving the paths written in it.
struct Place {
    krate: CrateId,
    /// `["crate", "net"]`
    module: Vec<String>,
}

/// A path as written at a place in a file.
struct Written<'a> {
    segments: &'a [String],
    absolute: bool,
    offset: TextSize,
}

/// What a workspace path can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Def {
    Fn(FnId),
    Static(StaticId),
}

struct Resolver<'a> {
    /// By fingerprint of the path: a path's segments are not kept once per definition.
    defs: FxHashMap<PathKey, Def>,
    /// Module-level `use` names: (crate, module ++ [name]) -> the path they stand for, absolute.
    aliases: FxHashMap<PathKey, (CrateId, Vec<String>)>,
    /// Module-level glob `use` items: (crate, module) -> the modules whose items a path through
    /// it can name, its globs' and theirs in turn (`use super::*` in a module its parent
    /// glob-imports makes a cycle: each module once).
    globs: FxHashMap<PathKey, Vec<PathKey>>,
    /// The last segments any definition or alias can be found under (hashed): a path ending in
    /// another name names nothing of the workspace, through globs or not.
    last_names: rustc_hash::FxHashSet<u64>,
    /// Library crate names of the workspace -> crate.
    libs: HashMap<String, CrateId>,
    imports: &'a [&'a Imports],
}

/// A path in a crate, by fingerprint.
type PathKey = (CrateId, u128);

/// The fingerprint of a path, one segment at a time: the fingerprint of each prefix comes on the
/// way to the whole path's.
fn extend_path_fingerprint(prefix: u128, segment: &str) -> u128 {
    crate::fingerprint::hash128(|h| {
        std::hash::Hash::hash(&prefix, h);
        std::hash::Hash::hash(segment, h);
    })
}

/// The key of the path made of `segments` in `krate`.
fn path_key<'s>(krate: CrateId, segments: impl IntoIterator<Item = &'s String>) -> PathKey {
    (
        krate,
        segments
            .into_iter()
            .fold(0, |fp, segment| extend_path_fingerprint(fp, segment)),
    )
}

/// The fingerprints of every prefix of `path`, shortest first (`[a]`, `[a, b]`, ...).
fn prefix_fingerprints(path: &[String]) -> Vec<u128> {
    path.iter()
        .scan(0, |fp, segment| {
            *fp = extend_path_fingerprint(*fp, segment);
            Some(*fp)
        })
        .collect()
}

/// The 1-based line of each of `offsets` in `text`, in their order: one count of line breaks
/// over the text (no line index is built: most files' lines are never shown).
fn lines_at(text: &str, offsets: impl Iterator<Item = TextSize>) -> Vec<u32> {
    let offsets: Vec<usize> = offsets.map(usize::from).collect();
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_unstable_by_key(|&i| offsets[i]);
    let mut lines = vec![0; offsets.len()];
    let (mut at, mut line) = (0usize, 1u32);
    for i in order {
        let to = offsets[i].min(text.len()).max(at);
        line += memchr::memchr_iter(b'\n', &text.as_bytes()[at..to]).count() as u32;
        at = to;
        lines[i] = line;
    }
    lines
}

impl WorkspaceModel {
    /// Where function `f` is defined, for call chains shown to users: `src/api.rs:12`.
    pub fn location(&self, f: FnId) -> String {
        let info = &self.fns[f];
        format!("{}:{}", self.rel_paths[info.file], info.line)
    }

    pub fn build(
        workspace: Option<&Workspace>,
        sources: &SourceSet,
        imports: &[&Imports],
        summaries: Vec<FileSummary>,
    ) -> WorkspaceModel {
        let libs: HashMap<String, CrateId> = workspace
            .into_iter()
            .flat_map(|ws| ws.libraries())
            .map(|(name, pi, ti)| (name, (pi, ti)))
            .collect();
        let places: Vec<Vec<Place>> = sources
            .files
            .iter()
            .enumerate()
            .map(|(fi, file)| {
                if file.owners.is_empty() {
                    vec![Place {
                        krate: (usize::MAX, fi),
                        module: vec!["crate".into()],
                    }]
                } else {
                    file.owners
                        .iter()
                        .map(|o| Place {
                            krate: (o.package, o.target),
                            module: o.module_path.clone(),
                        })
                        .collect()
                }
            })
            .collect();

        // Definitions and module-level aliases: their keys are worked out per file in parallel,
        // then entered in file order (the first definition of a path wins).
        let fn_count: usize = summaries.iter().map(|s| s.fns.len()).sum();
        let mut fns = Vec::with_capacity(fn_count);
        let mut by_file = vec![FxHashMap::default(); summaries.len()];
        let mut resolver = Resolver {
            defs: FxHashMap::default(),
            aliases: FxHashMap::default(),
            globs: FxHashMap::default(),
            last_names: Default::default(),
            libs,
            imports,
        };
        let keys_of = |fi: usize, inline: &[String], rest: &[&String]| -> Vec<PathKey> {
            places[fi]
                .iter()
                .map(|place| {
                    let path = place
                        .module
                        .iter()
                        .chain(inline)
                        .chain(rest.iter().copied());
                    path_key(place.krate, path)
                })
                .collect()
        };
        // Per file, in parallel: its functions and statics as the graph keeps them (a function's
        // line is counted in one pass over its file's text), with the keys of their paths.
        type Defined<T> = Vec<(T, Vec<PathKey>)>;
        let per_file_defs: Vec<(Defined<FnInfo>, Defined<StaticInfo>)> = summaries
            .par_iter()
            .enumerate()
            .map(|(fi, summary)| {
                let file = &sources.files[fi];
                // (A file with no function may be one whose text a check let go of.)
                let lines = if summary.fns.is_empty() {
                    Vec::new()
                } else {
                    lines_at(
                        file.text(),
                        summary.fns.iter().map(|f| f.name_range.start()),
                    )
                };
                let fns = summary
                    .fns
                    .iter()
                    .zip(lines)
                    .map(|(f, line)| {
                        let rest: Vec<&String> =
                            f.self_ty.iter().chain(std::iter::once(&f.name)).collect();
                        let info = FnInfo {
                            file: fi,
                            name: f.name.clone(),
                            self_ty: f.self_ty.clone(),
                            line,
                            start: f.start,
                            name_range: f.name_range,
                            is_async: f.is_async,
                            entry: f.entry.clone(),
                            is_pub: f.is_pub,
                            async_insert: f.async_insert,
                            in_trait_impl: f.in_trait_impl,
                            facts: f.facts.clone(),
                            handler: f.route.clone(),
                        };
                        (info, keys_of(fi, &f.inline_modules, &rest))
                    })
                    .collect();
                let statics = summary
                    .statics
                    .iter()
                    .map(|st| {
                        let info = StaticInfo {
                            file: fi,
                            name: st.name.clone(),
                            kind: st.kind,
                            name_range: st.name_range,
                            ty: st.ty.clone(),
                            holds: st.holds.clone(),
                            location: format!(
                                "{}:{}",
                                file.rel_path,
                                file.line_of(st.name_range.start())
                            ),
                        };
                        (info, keys_of(fi, &st.inline_modules, &[&st.name]))
                    })
                    .collect();
                (fns, statics)
            })
            .collect();
        resolver.defs.reserve(
            per_file_defs
                .iter()
                .flat_map(|(f, s)| {
                    f.iter()
                        .map(|d| d.1.len())
                        .chain(s.iter().map(|d| d.1.len()))
                })
                .sum::<usize>(),
        );
        // Entered in file order: the first definition of a path wins.
        let mut statics = Vec::new();
        let mut static_defs = Vec::new();
        for (fi, (file_fns, file_statics)) in per_file_defs.into_iter().enumerate() {
            for (info, keys) in file_fns {
                let id = fns.len();
                by_file[fi].insert(info.start, id);
                fns.push(info);
                for key in keys {
                    resolver.defs.entry(key).or_insert(Def::Fn(id));
                }
            }
            static_defs.push(file_statics);
        }
        for (info, keys) in static_defs.into_iter().flatten() {
            let id = statics.len();
            statics.push(info);
            for key in keys {
                resolver.defs.entry(key).or_insert(Def::Static(id));
            }
        }
        // Module-level `use` items, at each place their file is compiled at, files in parallel:
        // an alias keyed by its module and the name it binds, a glob by its module, each with the
        // absolute path it stands for (through the definitions, not through other aliases).
        let aliases: Vec<(PathKey, (CrateId, Vec<String>))> = summaries
            .par_iter()
            .enumerate()
            .flat_map_iter(|(fi, summary)| {
                let (resolver, places) = (&resolver, &places[fi]);
                summary
                    .aliases
                    .iter()
                    .flat_map(move |(modules, name, target)| {
                        resolver.use_at_places(fi, places, modules, Some(name), target)
                    })
            })
            .collect();
        let globs: Vec<(PathKey, (CrateId, Vec<String>))> = summaries
            .par_iter()
            .enumerate()
            .flat_map_iter(|(fi, summary)| {
                let (resolver, places) = (&resolver, &places[fi]);
                summary.globs.iter().flat_map(move |(modules, target)| {
                    resolver.use_at_places(fi, places, modules, None, target)
                })
            })
            .collect();
        resolver.aliases.reserve(aliases.len());
        resolver.aliases.extend(aliases);
        let mut direct: FxHashMap<PathKey, Vec<PathKey>> = FxHashMap::default();
        for (key, (k, target)) in globs {
            let target = path_key(k, &target);
            let at = direct.entry(key).or_default();
            if target != key && !at.contains(&target) {
                at.push(target);
            }
        }
        resolver.globs = direct
            .keys()
            .map(|&from| {
                let mut reach: Vec<PathKey> = Vec::new();
                let mut todo = direct[&from].clone();
                while let Some(module) = todo.pop() {
                    if module != from && !reach.contains(&module) {
                        reach.push(module);
                        todo.extend(direct.get(&module).into_iter().flatten().copied());
                    }
                }
                (from, reach)
            })
            .collect();
        if !resolver.globs.is_empty() {
            resolver.last_names = fns
                .iter()
                .map(|f| &f.name)
                .chain(statics.iter().map(|s| &s.name))
                .chain(
                    summaries
                        .iter()
                        .flat_map(|s| s.aliases.iter().map(|a| &a.1)),
                )
                .map(|name| word_hash(name))
                .collect();
        }

        // One resolution per call site, files in parallel (the resolver is read-only here).
        let per_file: Vec<(Vec<Edge>, GraphStats)> = summaries
            .par_iter()
            .enumerate()
            .map(|(fi, summary)| {
                let mut edges = Vec::new();
                let mut stats = GraphStats::default();
                for f in &summary.fns {
                    let caller = by_file[fi][&f.start];
                    let untyped = f.untyped_method_calls as usize;
                    stats.call_sites += untyped;
                    stats.unknown += untyped;
                    stats.unknown_methods += untyped;
                    // The function's module at each of the file's places, once for its calls.
                    let modules: Vec<(CrateId, Vec<String>)> = if f.calls.is_empty() {
                        Vec::new()
                    } else {
                        places[fi]
                            .iter()
                            .map(|place| {
                                let mut module = place.module.clone();
                                module.extend(f.inline_modules.iter().cloned());
                                (place.krate, module)
                            })
                            .collect()
                    };
                    for site in &f.calls {
                        stats.call_sites += 1;
                        let mut callees: Vec<FnId> = modules
                            .iter()
                            .filter_map(|(krate, module)| {
                                resolver.callee(fi, *krate, module, f, site.offset, &site.target)
                            })
                            .collect();
                        callees.sort_unstable();
                        callees.dedup();
                        if callees.is_empty() {
                            let external = match &site.target {
                                CallTarget::Path { segments, absolute } => imports[fi]
                                    .resolve(segments, site.offset, *absolute)
                                    .is_some(),
                                _ => false,
                            };
                            if external {
                                stats.to_dependencies += 1;
                            } else {
                                stats.unknown += 1;
                                // Untyped method calls are counted above, not kept.
                                if matches!(site.target, CallTarget::TypedMethod { .. }) {
                                    stats.unknown_methods += 1;
                                }
                            }
                        } else {
                            stats.to_workspace += 1;
                        }
                        for callee in callees {
                            edges.push(Edge {
                                caller,
                                callee,
                                site: site.range,
                                context: site.context,
                                call: site.call,
                                awaitable: site.awaitable,
                                in_closure: site.in_closure,
                            });
                        }
                    }
                }
                (edges, stats)
            })
            .collect();
        let mut edges = Vec::new();
        let mut stats = GraphStats {
            functions: fns.len(),
            ..GraphStats::default()
        };
        for (file_edges, s) in per_file {
            edges.extend(file_edges);
            stats.call_sites += s.call_sites;
            stats.to_workspace += s.to_workspace;
            stats.to_dependencies += s.to_dependencies;
            stats.unknown += s.unknown;
            stats.unknown_methods += s.unknown_methods;
        }

        // Reads of statics, resolved like calls, files in parallel.
        let static_uses: Vec<StaticUse> = summaries
            .par_iter()
            .enumerate()
            .flat_map_iter(|(fi, summary)| {
                let kinds: Vec<Kind> = sources.files[fi].owners.iter().map(|o| o.kind).collect();
                let (resolver, places, by_file) = (&resolver, &places[fi], &by_file[fi]);
                summary.name_uses.iter().filter_map(move |u| {
                    let static_id =
                        resolver.resolve_name(fi, places, summary, u, true, |d| match d {
                            Def::Static(id) => Some(id),
                            Def::Fn(_) => None,
                        })?;
                    Some(StaticUse {
                        static_id,
                        file: fi,
                        range: u.range,
                        context: u.context,
                        function: u.in_fn.and_then(|start| by_file.get(&start).copied()),
                        kinds: kinds.clone(),
                    })
                })
            })
            .collect();

        // Functions registered as request handlers, resolved like calls.
        for (fi, summary) in summaries.iter().enumerate() {
            for (u, route) in &summary.handler_refs {
                let found =
                    resolver.resolve_name(fi, &places[fi], summary, u, false, |d| match d {
                        Def::Fn(id) => Some(id),
                        Def::Static(_) => None,
                    });
                if let Some(id) = found {
                    fns[id].handler.get_or_insert_with(|| route.clone());
                }
            }
        }

        // The summaries and the definitions have given all they hold. They are freed on a
        // thread of their own, beside the serial rest and whatever follows (nothing waits for it:
        // freeing them takes longer than the rest of the graph).
        drop(resolver);
        drop_elsewhere(summaries);
        let reached_by = propagate(&fns, &edges);
        let needs = driver_needs(&fns, &edges);
        let mut callees_at: FxHashMap<(usize, TextSize), Vec<FnId>> = FxHashMap::default();
        for e in &edges {
            callees_at
                .entry((fns[e.caller].file, e.site.start()))
                .or_default()
                .push(e.callee);
        }
        let features = sources.shared_by_packages(|packages| {
            let ws = workspace?;
            let mut merged: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for &package in packages {
                for (dep, f) in &ws.packages[package].dependency_features {
                    merged
                        .entry(dep.clone())
                        .or_default()
                        .extend(f.iter().cloned());
                }
            }
            (!packages.is_empty()).then_some(merged)
        });
        let runtimes_per_binary = runtimes_per_binary(sources, &fns);
        let mut callers = vec![Vec::new(); fns.len()];
        for (i, e) in edges.iter().enumerate() {
            callers[e.callee].push(i);
        }
        let mut uses_by_static = vec![Vec::new(); statics.len()];
        for (i, u) in static_uses.iter().enumerate() {
            uses_by_static[u.static_id].push(i);
        }
        WorkspaceModel {
            fns,
            edges,
            by_file,
            reached_by,
            statics,
            static_uses,
            uses_by_static,
            stats,
            callees_at,
            needs,
            paths: sources.files.iter().map(|f| f.path.clone()).collect(),
            rel_paths: sources.files.iter().map(|f| f.rel_path.clone()).collect(),
            tokio_versions: workspace
                .map(incompatible_tokio_versions)
                .unwrap_or_default(),
            runtimes_per_binary,
            callers,
            binaries_of: sources.files.iter().map(binaries).collect(),
            manifests: sources
                .files
                .iter()
                .map(|f| {
                    Some(
                        workspace?.packages[f.owners.first()?.package]
                            .manifest_path
                            .clone(),
                    )
                })
                .collect(),
            features,
        }
    }

    /// The most runtimes any binary that `file` belongs to builds (`#[tokio::main]` included).
    pub fn runtimes_in_binaries_of(&self, file: usize) -> usize {
        self.binaries_of
            .get(file)
            .into_iter()
            .flatten()
            .filter_map(|b| self.runtimes_per_binary.get(b))
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// Whether the package of `file` enables `feature` on its dependency `krate` (directly, or
    /// through `full`); `None` when unknown (a file outside any package, or no such dependency).
    pub fn dependency_feature(&self, file: usize, krate: &str, feature: &str) -> Option<bool> {
        let features = self.features.get(file)?.as_ref().as_ref()?.get(krate)?;
        Some(features.iter().any(|f| f == feature || f == "full"))
    }

    /// What it takes to make the sync function `f` async: `f`, and the sync functions that call it
    /// from async code (transitively), become `async fn`, and every call of them gets `.await`.
    /// `Err` says why it cannot be done: a caller where `.await` cannot be written (sync code not
    /// reached from async code, a closure), a `const`/`extern` function, a trait method, recursion.
    pub fn make_async(&self, f: FnId) -> Result<MakeAsync, String> {
        const MAX_FUNCTIONS: usize = 16;
        let mut functions = vec![f];
        let mut awaits = Vec::new();
        let mut i = 0;
        while i < functions.len() {
            let g = functions[i];
            i += 1;
            let info = &self.fns[g];
            if info.async_insert.is_none() {
                return Err(format!(
                    "`{}` is a `const` or `extern` function",
                    info.display()
                ));
            }
            if info.in_trait_impl {
                return Err(format!(
                    "`{}` implements a trait method, whose signature is the trait's",
                    info.display()
                ));
            }
            for e in self.callers_of(g) {
                let caller = &self.fns[e.caller];
                if e.caller == g {
                    return Err(format!(
                        "`{}` is recursive: an async fn would need boxing",
                        info.display()
                    ));
                }
                let becomes_async = !caller.is_async
                    && e.context == SiteContext::Direct
                    && !e.in_closure
                    && self.async_chain(e.caller).is_some();
                if !e.awaitable && !becomes_async {
                    return Err(format!(
                        "`{}` ({}) calls `{}` where `.await` cannot be written",
                        caller.display(),
                        self.location(e.caller),
                        info.display()
                    ));
                }
                if becomes_async && !functions.contains(&e.caller) {
                    if functions.len() == MAX_FUNCTIONS {
                        return Err(format!(
                            "more than {MAX_FUNCTIONS} functions would become async"
                        ));
                    }
                    functions.push(e.caller);
                }
                awaits.push((caller.file, e.call.end()));
            }
        }
        // Calls among the functions that become async must not form a cycle (async recursion).
        let inside = |e: &&Edge| functions.contains(&e.caller) && functions.contains(&e.callee);
        let internal: Vec<&Edge> = self.edges.iter().filter(inside).collect();
        let mut remaining = functions.clone();
        while !remaining.is_empty() {
            // Peel functions that call nothing left in the set; a cycle leaves some unpeelable.
            let before = remaining.len();
            let snapshot = remaining.clone();
            remaining.retain(|f| {
                internal
                    .iter()
                    .any(|e| e.caller == *f && snapshot.contains(&e.callee))
            });
            if remaining.len() == before {
                return Err(
                    "these functions call each other: async recursion would need boxing".to_owned(),
                );
            }
        }
        awaits.sort_unstable();
        awaits.dedup();
        Ok(MakeAsync { functions, awaits })
    }

    /// The statics of the file `file` (ids, in source order).
    pub fn statics_in_file(&self, file: usize) -> std::ops::Range<usize> {
        // Statics are collected file by file, in file order.
        let start = self.statics.partition_point(|s| s.file < file);
        let end = self.statics.partition_point(|s| s.file <= file);
        start..end
    }

    /// Every resolved read of the static `id`.
    pub fn uses_of_static(&self, id: usize) -> impl Iterator<Item = &StaticUse> {
        self.uses_by_static
            .get(id)
            .into_iter()
            .flatten()
            .map(|&i| &self.static_uses[i])
    }

    /// Every call of `f` in the workspace.
    pub fn callers_of(&self, f: FnId) -> impl Iterator<Item = &Edge> {
        self.callers
            .get(f)
            .into_iter()
            .flatten()
            .map(|&i| &self.edges[i])
    }

    /// The runtimes (executors) that code at `at` in `f` runs on: the innermost `block_on` around
    /// it or around a call that leads to it, else the runtime entries (`#[tokio::main]`,
    /// `#[tokio::test]`, `#[async_std::main]`...) that reach it. Followed up the callers, every kind of
    /// call; one key per runtime, sorted.
    pub fn runtimes_reaching(&self, f: FnId, at: TextRange) -> Vec<RuntimeScope> {
        let mut out: Vec<RuntimeScope> = Vec::new();
        let mut queue = vec![(f, at)];
        let mut seen_edges = std::collections::HashSet::new();
        let mut visits = 0;
        while let Some((g, range)) = queue.pop() {
            visits += 1;
            if visits > 256 {
                break;
            }
            let info = &self.fns[g];
            let block_on = info
                .facts
                .iter()
                .filter(|fact| {
                    matches!(fact.kind, FactKind::BlockOn(_))
                        && fact.call.contains_range(range)
                        && range.start() >= fact.range.end()
                })
                .min_by_key(|fact| fact.call.len());
            if let Some(fact) = block_on {
                let FactKind::BlockOn(executor) = fact.kind else {
                    unreachable!("filtered")
                };
                let key = match &fact.runtime {
                    Some(RuntimeOwner::Own) => format!("own {g} {:?}", fact.call),
                    Some(RuntimeOwner::Local(name)) => format!("local {g} {name}"),
                    Some(RuntimeOwner::Static(name)) => format!("static {name}"),
                    None => format!("other {g} {:?}", fact.call),
                };
                out.push(RuntimeScope {
                    key,
                    function: g,
                    block_on: Some(fact.range),
                    tokio: executor.panics_inside_tokio(),
                    identified: fact.runtime.is_some(),
                });
                continue;
            }
            if info.entry.is_some() {
                let attr = info.entry.as_ref().map_or("", |e| e.attr.as_str());
                out.push(RuntimeScope {
                    key: format!("entry {g}"),
                    function: g,
                    block_on: None,
                    tokio: ["tokio::", "actix_rt::", "actix_web::"]
                        .iter()
                        .any(|p| attr.starts_with(p)),
                    identified: true,
                });
                continue;
            }
            for &i in self.callers.get(g).into_iter().flatten() {
                if seen_edges.insert(i) {
                    let e = &self.edges[i];
                    queue.push((e.caller, e.site));
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out.dedup_by(|a, b| a.key == b.key);
        out
    }

    /// The workspace functions the call whose callee name starts at `name_start` calls.
    pub fn callees_at(&self, file: usize, name_start: TextSize) -> &[FnId] {
        self.callees_at
            .get(&(file, name_start))
            .map_or(&[], Vec::as_slice)
    }

    /// The Tokio drivers `f` needs, itself or through what it calls (not through closures that
    /// are stored for later).
    pub fn driver_needs(&self, f: FnId) -> DriverNeeds {
        self.needs[f]
    }

    /// The function of `file` whose `fn` item starts at `start`.
    pub fn fn_at(&self, file: usize, start: TextSize) -> Option<FnId> {
        self.by_file.get(file)?.get(&start).copied()
    }

    /// Whether the sync function `f` can run on an async task (async code calls it, directly or
    /// through sync functions): what [`WorkspaceModel::async_chain`] finds a chain for.
    pub fn reached_from_async(&self, f: FnId) -> bool {
        self.reached_by.get(f).is_some_and(Option::is_some)
    }

    /// `handler (async fn, src/api.rs:12) -> load_config (src/config.rs:40)`.
    pub fn describe_chain(&self, chain: &[ChainStep]) -> String {
        chain
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let f = &self.fns[step.function];
                let kind = match (i, f.is_async, step.async_site) {
                    (0, true, _) => "async fn, ",
                    (0, false, true) => "async block in fn, ",
                    _ => "",
                };
                format!("`{}` ({kind}{})", f.display(), self.location(step.function))
            })
            .collect::<Vec<_>>()
            .join(" -> ")
    }

    /// When the sync function `f` can run inside an async context: the chain of calls from the
    /// async function that starts it, ending with `f` (whose `call_site` is empty).
    pub fn async_chain(&self, f: FnId) -> Option<Vec<ChainStep>> {
        let mut edge = self.reached_by.get(f).copied().flatten()?;
        let mut chain = vec![ChainStep {
            function: f,
            call_site: TextRange::empty(0.into()),
            async_site: false,
        }];
        loop {
            let e = self.edges[edge];
            let async_site = e.context == SiteContext::Async;
            chain.push(ChainStep {
                function: e.caller,
                call_site: e.site,
                async_site,
            });
            // Each function was reached through one discovered before it: the walk ends.
            match self.reached_by[e.caller] {
                Some(prev) if !async_site => edge = prev,
                _ => break,
            }
        }
        chain.reverse();
        Some(chain)
    }
}

/// Drops `value` on a thread of its own: freeing a large structure is serial work that nothing
/// needs to wait for.
pub fn drop_elsewhere<T: Send + 'static>(value: T) {
    // Where no thread can be started, the closure, and the value with it, is dropped here.
    let _ = std::thread::Builder::new()
        .name("loopfix-free".into())
        .spawn(move || drop(value));
}

/// The binaries (package, target) a file is compiled into.
fn binaries(file: &crate::source::SourceFile) -> Vec<CrateId> {
    file.owners
        .iter()
        .filter(|o| o.kind == Kind::Bin)
        .map(|o| (o.package, o.target))
        .collect()
}

/// How many runtimes each binary's code builds: constructions (outside closures kept for later)
/// and `#[tokio::main]` functions.
fn runtimes_per_binary(sources: &SourceSet, fns: &[FnInfo]) -> HashMap<CrateId, usize> {
    let mut counts = HashMap::new();
    for f in fns {
        let built = f
            .facts
            .iter()
            .filter(|x| x.kind == FactKind::BuildsRuntime && x.context != SiteContext::Deferred)
            .count()
            + usize::from(f.entry.as_ref().is_some_and(|e| e.attr == "tokio::main"));
        if built == 0 {
            continue;
        }
        for binary in binaries(&sources.files[f.file]) {
            *counts.entry(binary).or_insert(0) += built;
        }
    }
    counts
}

/// One tokio version per semver-incompatible line (`0.1`, `0.2`, `1`) in `Cargo.lock`.
fn incompatible_tokio_versions(workspace: &Workspace) -> Vec<String> {
    let mut by_line: BTreeMap<String, String> = BTreeMap::new();
    for (name, version) in &workspace.lock_packages {
        if name != "tokio" {
            continue;
        }
        let mut parts = version.split('.');
        let major = parts.next().unwrap_or_default();
        let line = if major == "0" {
            format!("0.{}", parts.next().unwrap_or_default())
        } else {
            major.to_owned()
        };
        by_line.entry(line).or_insert_with(|| version.clone());
    }
    by_line.into_values().collect()
}

/// What each function needs, propagated from callees to callers over every edge but deferred
/// ones: one backwards breadth-first walk per driver.
fn driver_needs(fns: &[FnInfo], edges: &[Edge]) -> Vec<DriverNeeds> {
    let mut callers: Vec<Vec<FnId>> = vec![Vec::new(); fns.len()];
    for e in edges.iter().filter(|e| e.context != SiteContext::Deferred) {
        callers[e.callee].push(e.caller);
    }
    let mut needs = vec![DriverNeeds::default(); fns.len()];
    for (id, f) in fns.iter().enumerate() {
        for fact in f
            .facts
            .iter()
            .filter(|x| x.context != SiteContext::Deferred)
        {
            match &fact.kind {
                FactKind::UsesTimer(_) => {
                    needs[id].time = true;
                    needs[id].tokio_based = true;
                }
                FactKind::UsesIo(_) => {
                    needs[id].io = true;
                    needs[id].tokio_based = true;
                }
                FactKind::UsesTokioLibrary(_) => needs[id].tokio_based = true,
                FactKind::Spawns(path) if path.starts_with("tokio::") => {
                    needs[id].tokio_based = true
                }
                _ => {}
            }
        }
    }
    for which in 0..3 {
        let mut queue: VecDeque<FnId> = (0..fns.len()).filter(|&i| needs[i].get(which)).collect();
        while let Some(f) = queue.pop_front() {
            for &caller in &callers[f] {
                if !needs[caller].get(which) {
                    needs[caller].set(which);
                    queue.push_back(caller);
                }
            }
        }
    }
    needs
}

/// Breadth-first from every call made in async code to a sync function, through direct calls:
/// each function is visited once and each edge looked at once.
fn propagate(fns: &[FnInfo], edges: &[Edge]) -> Vec<Option<usize>> {
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); fns.len()];
    for (i, e) in edges.iter().enumerate() {
        out_edges[e.caller].push(i);
    }
    let mut reached_by: Vec<Option<usize>> = vec![None; fns.len()];
    let mut queue = VecDeque::new();
    for (i, e) in edges.iter().enumerate() {
        if e.context == SiteContext::Async
            && !fns[e.callee].is_async
            && reached_by[e.callee].is_none()
        {
            reached_by[e.callee] = Some(i);
            queue.push_back(e.callee);
        }
    }
    while let Some(f) = queue.pop_front() {
        for &i in &out_edges[f] {
            let e = edges[i];
            let runs_here = matches!(e.context, SiteContext::Direct);
            if runs_here && !fns[e.callee].is_async && reached_by[e.callee].is_none() {
                reached_by[e.callee] = Some(i);
                queue.push_back(e.callee);
            }
        }
    }
    reached_by
}

impl Resolver<'_> {
    /// A module-level `use` item of file `fi` (in its inline `modules`; binding `name`, or a glob
    /// without one) at each of the file's `places`: the key of the module (and name) with the
    /// absolute path `target` stands for there.
    fn use_at_places<'r>(
        &'r self,
        fi: usize,
        places: &'r [Place],
        modules: &'r [String],
        name: Option<&'r String>,
        target: &'r [String],
    ) -> impl Iterator<Item = (PathKey, (CrateId, Vec<String>))> + 'r {
        places.iter().filter_map(move |place| {
            let mut module = place.module.clone();
            module.extend(modules.iter().cloned());
            let abs = self.absolute(fi, place.krate, &module, None, target)?;
            module.extend(name.cloned());
            Some((path_key(place.krate, &module), abs))
        })
    }

    /// The workspace function a call site of `f` names, if any, where `f` is in `module` of
    /// `krate` (one of its file's places, with its inline modules).
    fn callee(
        &self,
        file: usize,
        krate: CrateId,
        module: &[String],
        f: &FnSummary,
        offset: TextSize,
        target: &CallTarget,
    ) -> Option<FnId> {
        let def = match target {
            CallTarget::SelfMethod(name) => {
                let mut path = module.to_vec();
                path.push(f.self_ty.clone()?);
                path.push(name.clone());
                self.lookup(krate, path, 0)?
            }
            CallTarget::Method => return None,
            CallTarget::TypedMethod { ty, method } => {
                let written = self.imports[file].expand_local(ty, offset);
                let (krate, mut path) =
                    self.absolute(file, krate, module, f.self_ty.as_deref(), &written)?;
                path.push(method.clone());
                self.lookup(krate, path, 0)?
            }
            CallTarget::Path { segments, absolute } => {
                let written = Written {
                    segments,
                    absolute: *absolute,
                    offset,
                };
                self.resolve(file, krate, module, f.self_ty.as_deref(), &written)?
            }
        };
        match def {
            Def::Fn(id) => Some(id),
            Def::Static(_) => None,
        }
    }

    /// The item of the kind `want` keeps that a name written in file `fi` (at one of its
    /// `places`) names: in its function's inline modules, and with `use_self_ty` its `Self`.
    fn resolve_name<T>(
        &self,
        fi: usize,
        places: &[Place],
        summary: &FileSummary,
        u: &NameUse,
        use_self_ty: bool,
        want: impl Fn(Def) -> Option<T>,
    ) -> Option<T> {
        let enclosing = u
            .in_fn
            .and_then(|start| summary.fns.iter().find(|f| f.start == start));
        let self_ty = enclosing
            .filter(|_| use_self_ty)
            .and_then(|f| f.self_ty.as_deref());
        let inline = enclosing
            .map(|f| f.inline_modules.as_slice())
            .unwrap_or_default();
        places.iter().find_map(|place| {
            let mut module = place.module.clone();
            module.extend(inline.iter().cloned());
            let written = Written {
                segments: &u.segments,
                absolute: false,
                offset: u.offset,
            };
            want(self.resolve(fi, place.krate, &module, self_ty, &written)?)
        })
    }

    /// The workspace item a path written at `offset` (in `module` of `krate`) names.
    fn resolve(
        &self,
        file: usize,
        krate: CrateId,
        module: &[String],
        self_ty: Option<&str>,
        written: &Written<'_>,
    ) -> Option<Def> {
        let segments = written.segments;
        if written.absolute {
            let krate = *self
                .libs
                .get(self.imports[file].extern_crate(&segments[0])?)?;
            let path = std::iter::once("crate".to_owned())
                .chain(segments[1..].iter().cloned())
                .collect();
            return self.lookup(krate, path, 0);
        }
        let expanded = self.imports[file].expand_local(segments, written.offset);
        if let Some((k, path)) = self.absolute(file, krate, module, self_ty, &expanded)
            && let Some(def) = self.lookup(k, path, 0)
        {
            return Some(def);
        }
        // Plain names may come from a glob import of a workspace module.
        if segments.len() == 1 {
            for glob in self.imports[file].globs_at(written.offset) {
                let Some((k, mut path)) = self.absolute(file, krate, module, None, glob) else {
                    continue;
                };
                path.push(segments[0].clone());
                if let Some(def) = self.lookup(k, path, 0) {
                    return Some(def);
                }
            }
        }
        // 2015-style paths are relative to the crate root.
        let mut rooted = vec!["crate".to_owned()];
        rooted.extend(expanded.iter().cloned());
        self.lookup(krate, rooted, 0)
    }

    /// `written` (in `module` of `krate`) as an absolute `(crate, ["crate", ...])` path.
    fn absolute(
        &self,
        file: usize,
        krate: CrateId,
        module: &[String],
        self_ty: Option<&str>,
        written: &[String],
    ) -> Option<(CrateId, Vec<String>)> {
        let (first, rest) = written.split_first()?;
        let mut base: Vec<String>;
        let mut rest = rest;
        match first.as_str() {
            "crate" => base = vec!["crate".into()],
            "self" => base = module.to_vec(),
            "super" => {
                base = module.to_vec();
                base.pop();
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop();
                    rest = &rest[1..];
                }
                if base.is_empty() {
                    return None;
                }
            }
            "Self" => {
                base = module.to_vec();
                base.push(self_ty?.to_owned());
            }
            name => {
                if let Some(lib) = self.imports[file]
                    .extern_crate(name)
                    .and_then(|c| self.libs.get(c))
                {
                    let path = std::iter::once("crate".to_owned())
                        .chain(rest.iter().cloned())
                        .collect();
                    return Some((*lib, path));
                }
                base = module.to_vec();
                rest = written;
            }
        }
        base.extend(rest.iter().cloned());
        Some((krate, base))
    }

    fn lookup(&self, krate: CrateId, path: Vec<String>, depth: u8) -> Option<Def> {
        let prefixes = prefix_fingerprints(&path);
        if let Some(&id) = prefixes.last().and_then(|fp| self.defs.get(&(krate, *fp))) {
            return Some(id);
        }
        if depth > 8 {
            return None;
        }
        // A prefix of the path may be a `use` alias: `helpers::f` after `use crate::util as helpers;`,
        // or `f` re-exported by `pub use`.
        for split in (2..=path.len()).rev() {
            if let Some((k, target)) = self.aliases.get(&(krate, prefixes[split - 1])) {
                let mut full = target.clone();
                full.extend(path[split..].iter().cloned());
                return self.lookup(*k, full, depth + 1);
            }
        }
        // Through globs once, and once more behind an alias found there (the reach of a glob
        // is already every module it leads to): a search per alias would grow with each level.
        if depth > 1
            || self.globs.is_empty()
            || !path
                .last()
                .is_some_and(|name| self.last_names.contains(&word_hash(name)))
        {
            return None;
        }
        // Or a module of it may glob-import what the rest names: `crate::f` after
        // `pub use inner::*;` in the crate root, `facade::Client` after `pub use dep::*;`. Items
        // defined in the module itself were found above: they shadow what a glob brings.
        for split in (1..path.len()).rev() {
            let Some(reach) = self.globs.get(&(krate, prefixes[split - 1])) else {
                continue;
            };
            let rest = &path[split..];
            for &(k, module) in reach {
                // The rest's prefixes under that module, longest first: a definition, or an alias
                // (`pub use x::f;` there) to go on from.
                let mut fps = Vec::with_capacity(rest.len());
                let mut fp = module;
                for segment in rest {
                    fp = extend_path_fingerprint(fp, segment);
                    fps.push(fp);
                }
                if let Some(&def) = self.defs.get(&(k, fp)) {
                    return Some(def);
                }
                for j in (1..=rest.len()).rev() {
                    if let Some((k2, target)) = self.aliases.get(&(k, fps[j - 1])) {
                        let mut full = target.clone();
                        full.extend(rest[j..].iter().cloned());
                        if let Some(def) = self.lookup(*k2, full, depth + 1) {
                            return Some(def);
                        }
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{model_all, text_source};

    fn build(text: &str) -> WorkspaceModel {
        model_all(None, &text_source(text)).graph
    }

    /// The functions `caller` calls that the model resolved, as `name (context)`.
    #[track_caller]
    fn callees(text: &str, caller: &str) -> Vec<String> {
        let g = build(text);
        let mut out: Vec<String> = g
            .edges
            .iter()
            .filter(|e| g.fns[e.caller].display() == caller)
            .map(|e| format!("{} ({:?})", g.fns[e.callee].display(), e.context))
            .collect();
        out.sort();
        out
    }

    #[track_caller]
    fn chain(text: &str, f: &str) -> Option<String> {
        let g = build(text);
        let id = g
            .fns
            .iter()
            .position(|x| x.display() == f)
            .expect("function exists");
        g.async_chain(id).map(|c| g.describe_chain(&c))
    }

    #[test]
    fn plain_self_super_crate_and_inline_module_paths() {
        let text = "fn top() {}\nmod a {\n    pub fn f() { super::top(); self::g(); g(); crate::b::h(); }\n    fn g() {}\n}\nmod b { pub fn h() { crate::a::f(); } }\nfn caller() { top(); a::f(); b::h(); }\n";
        assert_eq!(
            callees(text, "f"),
            ["g (Direct)", "g (Direct)", "h (Direct)", "top (Direct)"]
        );
        assert_eq!(
            callees(text, "caller"),
            ["f (Direct)", "h (Direct)", "top (Direct)"]
        );
    }

    #[test]
    fn use_renames_nested_braces_globs_and_reexports() {
        let text = "mod util {\n    pub fn load() {}\n    pub fn save() {}\n    pub mod deep { pub fn go() {} }\n    pub use self::deep::go as run;\n}\nmod api {\n    use crate::util::{self, load as fetch, deep::{go}};\n    use crate::util::*;\n    pub fn handler() { fetch(); util::save(); go(); save(); crate::util::run(); }\n}\n";
        assert_eq!(
            callees(text, "handler"),
            [
                "go (Direct)",
                "go (Direct)",
                "load (Direct)",
                "save (Direct)",
                "save (Direct)"
            ]
        );
    }

    #[test]
    fn paths_through_glob_imports_of_other_modules() {
        // `crate::load` through the root's `pub use inner::*;`, `Store::get` through a module's
        // glob (two segments), and the cycle `use super::*;` in a module its parent
        // glob-imports, which names nothing new and must end. A module's own item shadows
        // what a glob brings.
        let text = "mod inner {\n    use super::*;\n    pub fn load() {}\n    pub fn save() {}\n    pub struct Store;\n    impl Store { pub fn get() {} }\n}\npub use inner::*;\npub fn save() {}\nmod shelf { pub use crate::inner::*; }\nmod api {\n    pub fn handler() { crate::load(); crate::shelf::Store::get(); crate::save(); crate::missing(); }\n}\n";
        assert_eq!(
            callees(text, "handler"),
            ["Store::get (Direct)", "load (Direct)", "save (Direct)"]
        );
        let g = build(text);
        let save = |file_line: &str| {
            (0..g.fns.len())
                .any(|id| g.fns[id].name == "save" && g.location(id).ends_with(file_line))
        };
        assert!(save(":9"), "the root's own `save`");
        let edges_to_save: Vec<String> = g
            .edges
            .iter()
            .filter(|e| g.fns[e.callee].name == "save")
            .map(|e| g.location(e.callee))
            .collect();
        assert!(
            edges_to_save.iter().all(|l| l.ends_with(":9")),
            "{edges_to_save:?}"
        );
    }

    #[test]
    fn methods_through_self_and_the_type_path() {
        let text = "struct Client;\nimpl Client {\n    fn new() -> Self { Self::init(); Client }\n    fn init() {}\n    fn get(&self) { self.send(); }\n    fn send(&self) {}\n}\nfn use_it(c: Client) { Client::new(); c.get(); }\n";
        assert_eq!(callees(text, "Client::new"), ["Client::init (Direct)"]);
        assert_eq!(callees(text, "Client::get"), ["Client::send (Direct)"]);
        // `c.get()`: `c` is declared as `Client`.
        assert_eq!(
            callees(text, "use_it"),
            ["Client::get (Direct)", "Client::new (Direct)"]
        );
        assert_eq!(build(text).stats.unknown, 0);
    }

    #[test]
    fn dependencies_are_not_workspace_functions() {
        let g = build(
            "async fn f() { tokio::spawn(async {}); std::thread::sleep(d()); helper(); }\nfn helper() {}\n",
        );
        assert_eq!(g.edges.len(), 1);
        assert_eq!(
            (
                g.stats.to_workspace,
                g.stats.to_dependencies,
                g.stats.unknown
            ),
            (1, 2, 1)
        );
    }

    #[test]
    fn call_site_contexts() {
        let text = "fn helper() {}\nasync fn a() { helper(); }\nfn b() { let f = async { helper() }; tokio::task::spawn_blocking(|| helper()); let later = || helper(); }\n";
        assert_eq!(callees(text, "a"), ["helper (Async)"]);
        assert_eq!(
            callees(text, "b"),
            ["helper (Async)", "helper (Deferred)", "helper (OffThread)"]
        );
    }

    #[test]
    fn async_reachability_and_its_chain() {
        let text = "#[tokio::main]\nasync fn main() { load(); }\nfn load() { parse(); }\nfn parse() {}\nfn only_sync() {}\nfn entry() { only_sync(); }\n";
        assert_eq!(
            chain(text, "parse").as_deref(),
            Some("`main` (async fn, lib.rs:2) -> `load` (lib.rs:3) -> `parse` (lib.rs:4)")
        );
        assert_eq!(chain(text, "only_sync"), None);
        assert_eq!(
            chain(text, "main"),
            None,
            "async functions are async contexts themselves"
        );
    }

    #[test]
    fn off_thread_and_deferred_calls_stop_the_propagation() {
        let text = "async fn a() { tokio::task::spawn_blocking(|| work()); std::thread::spawn(move || work()); let f = || work(); }\nfn work() {}\n";
        assert_eq!(chain(text, "work"), None);
    }

    #[test]
    fn async_block_in_a_sync_function_is_an_origin() {
        let text = "fn start() { let fut = async { work() }; }\nfn work() {}\n";
        assert_eq!(
            chain(text, "work").as_deref(),
            Some("`start` (async block in fn, lib.rs:1) -> `work` (lib.rs:2)")
        );
    }

    #[test]
    fn cycles_terminate_and_long_chains_are_linear() {
        let cycle = "async fn a() { b(); }\nfn b() { c(); }\nfn c() { b(); c(); }\n";
        assert_eq!(
            chain(cycle, "c").as_deref(),
            Some("`a` (async fn, lib.rs:1) -> `b` (lib.rs:2) -> `c` (lib.rs:3)")
        );
        let mut long = String::from("async fn start() { f0(); }\n");
        for i in 0..2000 {
            long.push_str(&format!("fn f{i}() {{ f{}(); f0(); }}\n", i + 1));
        }
        long.push_str("fn f2000() {}\n");
        let found = chain(&long, "f2000").unwrap();
        assert_eq!(found.matches(" -> ").count(), 2001);
    }

    #[test]
    fn facts_of_a_function() {
        let text = "use tokio::runtime::{Builder, Runtime};\nfn f() {\n    let rt = Runtime::new().unwrap();\n    let _g = rt.enter();\n    rt.block_on(async {});\n    std::thread::sleep(d);\n    std::fs::read_to_string(p);\n    tokio::spawn(async {});\n    let b = Builder::new_current_thread().build();\n    rt.spawn(async {});\n}\n";
        let g = build(text);
        let mut facts: Vec<String> = g.fns[0]
            .facts
            .iter()
            .map(|f| format!("{:?}", f.kind))
            .collect();
        facts.sort();
        assert_eq!(
            facts,
            [
                "BlockOn(TokioRuntime)",
                "BlockingIo(\"std::fs::read_to_string\")",
                "BuildsRuntime",
                "BuildsRuntime",
                "EntersRuntime",
                "Sleeps",
                "Spawns(\"tokio::runtime::Handle::spawn\")",
                "Spawns(\"tokio::spawn\")",
            ]
        );
    }

    #[test]
    fn statics_what_they_hold_and_where_they_are_read() {
        let text = "use std::sync::LazyLock;\nstatic CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);\nconst LIMIT: usize = 3;\nlazy_static::lazy_static! { static ref POOL: std::sync::Mutex<Pool> = make(); }\nthread_local! { static RT: tokio::runtime::Runtime = tokio::runtime::Runtime::new().unwrap(); }\nmod inner { pub async fn get() { super::CLIENT.get(); crate::LIMIT; } }\n#[tokio::test]\nasync fn t() { CLIENT.get(); RT.with(|r| ()); }\nfn s() { let _ = &*POOL; }\nfn unrelated() { let NOT_STATIC = 1; }\n";
        let g = build(text);
        let statics: Vec<String> = g
            .statics
            .iter()
            .map(|st| {
                format!(
                    "{} {:?} holds {}",
                    st.name,
                    st.kind,
                    st.holds.as_deref().unwrap_or("?")
                )
            })
            .collect();
        assert_eq!(
            statics,
            [
                "CLIENT Static holds reqwest::Client",
                "LIMIT Const holds usize",
                "POOL LazyStatic holds Pool",
                "RT ThreadLocal holds tokio::runtime::Runtime",
            ]
        );
        let uses: Vec<String> = g
            .static_uses
            .iter()
            .map(|u| {
                let f = u.function.map_or("-".to_owned(), |f| g.fns[f].display());
                let entry = u
                    .function
                    .and_then(|f| g.fns[f].entry.as_ref().map(|e| e.attr.clone()))
                    .unwrap_or_default();
                format!(
                    "{} in {f} {:?} {entry}",
                    g.statics[u.static_id].name, u.context
                )
            })
            .collect();
        assert_eq!(
            uses,
            [
                "CLIENT in get Async ",
                "LIMIT in get Async ",
                "CLIENT in t Async tokio::test",
                "RT in t Async tokio::test",
                "POOL in s Direct ",
            ]
        );
    }

    #[test]
    fn methods_on_receivers_whose_type_is_evident() {
        let text = "mod store {\n    pub struct Store { pub inner: Inner }\n    pub struct Inner;\n    impl Store { pub fn open() -> Store { Store { inner: Inner } } pub fn load(&self) { self.inner.read(); } }\n    impl Inner { pub fn read(&self) {} }\n}\nuse store::Store;\nfn by_param(s: &Store) { s.load(); }\nfn by_ctor() { let s = Store::open(); s.load(); let t = store::Store::open().clone(); t.load(); }\nfn by_literal() { let s = Store { inner: store::Inner }; s.load(); }\nfn by_annotation(x: u32) { let s: std::sync::Arc<Store> = make(); s.load(); }\nfn unknown(s: impl Loader) { s.load(); }\n";
        assert_eq!(callees(text, "by_param"), ["Store::load (Direct)"]);
        assert_eq!(
            callees(text, "by_ctor"),
            [
                "Store::load (Direct)",
                "Store::load (Direct)",
                "Store::open (Direct)",
                "Store::open (Direct)"
            ]
        );
        assert_eq!(callees(text, "by_literal"), ["Store::load (Direct)"]);
        assert_eq!(callees(text, "by_annotation"), ["Store::load (Direct)"]);
        assert_eq!(callees(text, "Store::load"), ["Inner::read (Direct)"]);
        assert!(callees(text, "unknown").is_empty());
    }
}
