//! Running the rules: one walk per file, in parallel, dispatching each node to the rules that
//! asked for its kind. Results are owned and sorted, so output is deterministic.

use std::collections::BTreeMap;
use std::sync::Arc;

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};
use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::rules::{self, Gate, Rule, RuleContext};
use crate::semantic::clients::is_runtime_bound_client;
use crate::semantic::graph::GraphStats;
use crate::semantic::relevance::{
    Closure, Names, Prefilter, Scan, Scope, Taint, WordIndex, holds_word, names_loopfix,
};
use crate::semantic::summary::FileSummary;
use crate::semantic::{FileModel, Imports, KindSet, MacroBodies, WorkspaceModel};
use crate::source::{SourceFile, SourceSet};
use crate::workspace::Workspace;

/// The rules of a run, indexed by the node kinds they visit.
pub struct RuleSet {
    rules: Vec<&'static dyn Rule>,
    /// Per syntax kind (as `u16`): the rules that visit it, with their index in `rules`.
    by_kind: Vec<Vec<(usize, &'static dyn Rule)>>,
}

/// Of a [`RuleSet`], the rules that can report in one file: a bit per rule (by index) that
/// [`Rule::file_words`] leaves out.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeftOut(u64);

impl RuleSet {
    pub fn new(rules: Vec<&'static dyn Rule>) -> RuleSet {
        assert!(
            rules.len() <= 64,
            "a rule set's files mark its rules in a u64"
        );
        let mut by_kind = vec![Vec::new(); usize::from(u16::from(SyntaxKind::__LAST)) + 1];
        for (i, &rule) in rules.iter().enumerate() {
            for &kind in rule.kinds() {
                by_kind[usize::from(u16::from(kind))].push((i, rule));
            }
        }
        RuleSet { rules, by_kind }
    }

    /// The kinds of node the rules visit.
    pub fn kinds(&self) -> KindSet {
        let mut set = KindSet::default();
        for rule in &self.rules {
            for &kind in rule.kinds() {
                set.insert(kind);
            }
        }
        set
    }

    /// The rules that visit nodes of `kind`, but those `left_out`.
    fn visiting(
        &self,
        kind: SyntaxKind,
        left_out: LeftOut,
    ) -> impl Iterator<Item = &'static dyn Rule> + '_ {
        self.by_kind[usize::from(u16::from(kind))]
            .iter()
            .filter(move |(i, _)| left_out.0 & (1 << i) == 0)
            .map(|(_, rule)| *rule)
    }

    /// The rules that cannot report in `text`: none of their [`Rule::file_words`] is in it.
    pub fn left_out(&self, text: &str) -> LeftOut {
        let mut bits = 0u64;
        for (i, rule) in self.rules.iter().enumerate() {
            let words = rule.file_words();
            if !words.is_empty() && !words.iter().any(|w| holds_word(text, w)) {
                bits |= 1 << i;
            }
        }
        LeftOut(bits)
    }

    /// The ids of the rules `left_out`.
    fn named(&self, left_out: LeftOut) -> Vec<&'static str> {
        self.rules
            .iter()
            .enumerate()
            .filter(|(i, _)| left_out.0 & (1 << i) != 0)
            .map(|(_, rule)| rule.meta().id)
            .collect()
    }

    pub fn rules(&self) -> &[&'static dyn Rule] {
        &self.rules
    }
}

/// Dependency names visible in each file (those of the packages that own it), shared by the
/// files of the same packages.
fn externs_per_file(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
) -> Vec<Arc<BTreeMap<String, String>>> {
    sources.shared_by_packages(|packages| match workspace {
        Some(ws) if !packages.is_empty() => packages
            .iter()
            .flat_map(|&p| ws.packages[p].extern_crates.clone())
            .collect(),
        _ => FileModel::default_externs(),
    })
}

/// A configured list (`off-thread`, `clients`) of the packages that own `file`, merged.
fn configured(
    workspace: Option<&Workspace>,
    file: &SourceFile,
    list: fn(&crate::workspace::Package) -> &Vec<String>,
) -> Vec<String> {
    let Some(ws) = workspace else {
        return Vec::new();
    };
    let mut apis: Vec<String> = file
        .owners
        .iter()
        .flat_map(|o| list(&ws.packages[o.package]).clone())
        .collect();
    apis.sort();
    apis.dedup();
    apis
}

/// The findings of `file` that its package's configuration keeps (rules, levels, per-path
/// ignores, excluded and `@generated` files).
fn configured_findings(
    workspace: Option<&Workspace>,
    file: &SourceFile,
    found: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let Some(ws) = workspace else {
        return found;
    };
    let Some(owner) = file.owners.first() else {
        return found;
    };
    let config = &ws.packages[owner.package].config;
    found
        .into_iter()
        .filter_map(|d| config.admit(d, &file.rel_path, file.text(), ws.rules_from_command_line))
        .collect()
}

/// Every finding in `sources`, sorted by path and position.
pub fn analyze(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
    rules: &RuleSet,
) -> Vec<Diagnostic> {
    analyze_with_stats(workspace, sources, rules).0
}

/// [`analyze`], with the call graph's counts.
pub fn analyze_with_stats(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
    rules: &RuleSet,
) -> (Vec<Diagnostic>, GraphStats) {
    analyze_observed(workspace, sources, rules, &|| {})
}

/// [`analyze_with_stats`], calling `on_file` as each file is summarised and as each is checked.
pub fn analyze_observed(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
    rules: &RuleSet,
    on_file: &(dyn Fn() + Sync),
) -> (Vec<Diagnostic>, GraphStats) {
    analyze_with(workspace, sources, rules, on_file, !prefilter_enabled())
}

/// [`analyze_observed`]; `parse_all` summarises and checks every file, not only the files that
/// can matter (for comparing the two: they must find the same).
pub fn analyze_with(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
    rules: &RuleSet,
    on_file: &(dyn Fn() + Sync),
    parse_all: bool,
) -> (Vec<Diagnostic>, GraphStats) {
    let (diagnostics, stats, _) = analyze_traced(workspace, sources, rules, on_file, parse_all);
    (diagnostics, stats)
}

/// [`analyze_with`], with what the prefilter's closure decided (for the cache).
pub fn analyze_traced(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
    rules: &RuleSet,
    on_file: &(dyn Fn() + Sync),
    parse_all: bool,
) -> (Vec<Diagnostic>, GraphStats, Option<Closure>) {
    let found = analyze_once(workspace, sources, rules, on_file, parse_all, None);
    if !parse_all {
        debug_check_prefilter(workspace, sources, rules, &found.0);
    }
    found
}

/// [`analyze_traced`] with the prefilter on, as a check runs: once the prefilter has seen every
/// file, the texts of the files it leaves out are let go of (most of a workspace's bytes), and
/// read again only for a file the closure then names.
pub fn analyze_releasing(
    workspace: Option<&Workspace>,
    sources: &mut SourceSet,
    rules: &RuleSet,
    on_file: &(dyn Fn() + Sync),
) -> (Vec<Diagnostic>, GraphStats, Option<Closure>) {
    let prefiltered = Prefiltered::of(workspace, sources);
    sources.release_texts(|i| prefiltered.needs_text(i));
    crate::passes::mark("texts released");
    let found = analyze_once(workspace, sources, rules, on_file, false, Some(prefiltered));
    debug_check_prefilter(workspace, sources, rules, &found.0);
    found
}

/// Debug builds (every test) hold the prefilter to its promise: the files it leaves out change
/// no finding and no fix.
fn debug_check_prefilter(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
    rules: &RuleSet,
    found: &[Diagnostic],
) {
    if cfg!(debug_assertions) {
        // On a copy: parsing every file records facts (tree depths) that the run does not have.
        let (all, _, _) = analyze_once(workspace, &sources.clone(), rules, &|| {}, true, None);
        let key = |d: &Diagnostic| {
            (
                d.path.clone(),
                d.range,
                d.rule,
                d.fix.as_ref().map(|f| f.edits.clone()),
            )
        };
        let with: Vec<_> = found.iter().map(key).collect();
        let without: Vec<_> = all.iter().map(key).collect();
        assert!(
            with == without,
            "the prefilter changed the findings:\nwith it: {with:#?}\nparsing every file: {without:#?}"
        );
    }
}

/// [`analyze_traced`], once.
fn analyze_once(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
    rules: &RuleSet,
    on_file: &(dyn Fn() + Sync),
    parse_all: bool,
    prefiltered: Option<Prefiltered>,
) -> (Vec<Diagnostic>, GraphStats, Option<Closure>) {
    let model = model_with(
        workspace,
        sources,
        Some(rules),
        on_file,
        parse_all,
        prefiltered,
    );
    crate::passes::mark("graph");
    let walked: Vec<bool> = (0..sources.files.len())
        .into_par_iter()
        .map(|i| model.checked[i] && model.must_walk(i))
        .collect();
    // Files the prefilter left out hold nothing a rule reports, nor do the checked files where no
    // rule's gate opened. Debug builds walk those too, to hold the gates to it.
    let mut order: Vec<usize> = (0..sources.files.len())
        .filter(|&i| walked[i] || (cfg!(debug_assertions) && model.checked[i]))
        .collect();
    // Largest first, one file per task: the threads end together, not waiting on one big file.
    order.sort_by_key(|&i| std::cmp::Reverse(sources.files[i].text_len()));
    // Progress: the files not walked are done already.
    for _ in order.len()..sources.files.len() {
        on_file();
    }
    let mut diagnostics: Vec<Diagnostic> = order
        .par_iter()
        .with_max_len(1)
        .flat_map_iter(|&i| {
            let file = &sources.files[i];
            let reparsed;
            let parse = match &model.facts[i].tree {
                Some(parse) => parse,
                None => {
                    reparsed = file.parse_unvalidated();
                    &reparsed
                }
            };
            let tree = parse.tree();
            let rebuilt;
            let macros = match &model.facts[i].macros {
                Some(kept) => kept,
                None => {
                    rebuilt = MacroBodies::build(&tree, file.text(), file.edition);
                    &rebuilt
                }
            };
            let file_model =
                FileModel::new(&tree, &model.facts[i].imports, macros, &model.graph, i);
            let found = check_file(sources, file, parse, &file_model, rules);
            assert!(
                walked[i] || found.is_empty(),
                "a rule's gate said no in {} but it reports: {:?}",
                file.rel_path,
                found.iter().map(|d| d.rule).collect::<Vec<_>>()
            );
            on_file();
            configured_findings(workspace, file, found)
        })
        .collect();
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    if crate::passes::enabled() {
        let (count, bytes) = walked
            .iter()
            .zip(&sources.files)
            .filter(|(w, _)| **w)
            .fold((0, 0), |(n, b), (_, f)| (n + 1, b + f.text_len()));
        crate::passes::mark(&format!(
            "rules: {count} files walked, {:.1} MB ({} released texts read again in all)",
            bytes as f64 / 1e6,
            crate::source::READ_AGAIN.load(std::sync::atomic::Ordering::Relaxed)
        ));
    }
    let mut stats = model.graph.stats;
    stats.parsed_files = model.parsed.iter().filter(|p| **p).count();
    stats.use_items_files = model.uses_only;
    stats.checked_files = model.checked.iter().filter(|p| **p).count();
    stats.walked_files = walked.iter().filter(|w| **w).count();
    let mut model = model;
    let closure = model.closure.take();
    // The model is freed beside what the caller does next (printing, exiting).
    crate::semantic::graph::drop_elsewhere(model);
    (diagnostics, stats, closure)
}

/// What the model keeps of each file between its two passes (owned, `Send`).
pub struct FileFacts {
    pub imports: Imports,
    /// The file's macro arguments parsed as code (as large as the file, per nesting level), kept
    /// with the tree; `None`: built again by the rules.
    pub macros: Option<MacroBodies>,
    /// The file's tree, kept for the rules when the checked files are small together.
    pub tree: Option<crate::tree::Tree>,
    /// Whether the rules walk the file, as far as its own code tells (checked files only).
    pub walk: Walk,
}

/// What the rules' gates said about a checked file in the model's pass over it.
#[derive(Clone, Debug)]
pub enum Walk {
    /// Some rule may report: walk it.
    Always,
    /// Walk it if one of these holds once the workspace graph is built.
    If(Vec<Gate>),
    /// No rule reports in it.
    Never,
}

/// The rules' gates over the nodes of one file, as they are visited.
struct Gates<'r> {
    rules: &'r RuleSet,
    left_out: LeftOut,
    /// Some gate said yes (or the file has a directive): the rest need not be asked.
    always: bool,
    later: Vec<Gate>,
}

impl<'r> Gates<'r> {
    fn new(rules: &'r RuleSet, file: &SourceFile) -> Gates<'r> {
        Gates {
            rules,
            left_out: rules.left_out(file.text()),
            // Directives: `unused_suppression` reports them, and they name rules.
            always: names_loopfix(file.text()),
            later: Vec::new(),
        }
    }

    /// What the gates of the rules visiting `node` say about it.
    fn visit(&mut self, cx: &RuleContext<'_>, node: &ra_ap_syntax::SyntaxNode) {
        if self.always {
            return;
        }
        for rule in self.rules.visiting(node.kind(), self.left_out) {
            match rule.gate(cx, node) {
                Gate::No => {}
                Gate::Yes => {
                    self.always = true;
                    return;
                }
                gate => {
                    if !self.later.contains(&gate) {
                        self.later.push(gate);
                    }
                }
            }
        }
    }

    fn finish(self) -> Walk {
        if self.always {
            Walk::Always
        } else if self.later.is_empty() {
            Walk::Never
        } else {
            Walk::If(self.later)
        }
    }
}

/// Source bytes of checked files under which their trees and macro bodies are kept between the
/// model and the rules (about ten times as much memory) rather than built again.
const KEEP_TREES_BYTES: usize = 16 << 20;

/// The semantic model of a run: each file's imports and macro bodies, the workspace's call graph,
/// and which files were parsed (the others cannot matter: see [`crate::semantic::relevance`]).
pub struct Model {
    pub facts: Vec<FileFacts>,
    pub graph: WorkspaceModel,
    /// Summarised: a seed file, or one that names what a seed file does.
    pub parsed: Vec<bool>,
    /// Walked by the rules: the seed files.
    pub checked: Vec<bool>,
    /// How many of the summarised files were summarised from their `use` items only.
    pub uses_only: usize,
    /// What the prefilter's closure decided (`None` when every file was parsed).
    pub closure: Option<Closure>,
}

impl Model {
    /// Whether the rules walk the checked file `i`: what its gates said, decided with the graph.
    pub fn must_walk(&self, i: usize) -> bool {
        let graph = &self.graph;
        match &self.facts[i].walk {
            Walk::Always => true,
            Walk::Never => false,
            Walk::If(gates) => gates.iter().any(|gate| match gate {
                Gate::No => false,
                Gate::Yes => true,
                Gate::IfReachedFromAsync(start) => graph
                    .fn_at(i, *start)
                    .is_some_and(|f| graph.reached_from_async(f)),
                Gate::IfStaticHoldsClient(range) => graph.statics_in_file(i).any(|id| {
                    let st = &graph.statics[id];
                    range.contains_range(st.name_range)
                        && st
                            .holds
                            .as_deref()
                            .is_some_and(|h| is_runtime_bound_client(&self.facts[i].imports, h))
                }),
                Gate::IfTwoTokios => graph.tokio_versions.len() >= 2,
                Gate::IfCalleesNeedTokio(calls) => calls.iter().any(|&at| {
                    graph
                        .callees_at(i, at)
                        .iter()
                        .any(|&f| graph.driver_needs(f).tokio_based)
                }),
            }),
        }
    }
}

/// Whether the prefilter decides which files are parsed (`LOOPFIX_PARSE_ALL=1` parses every file:
/// for comparing the two).
pub fn prefilter_enabled() -> bool {
    std::env::var_os("LOOPFIX_PARSE_ALL").is_none_or(|v| v.is_empty() || v == "0")
}

/// What the prefilter makes of every file of a run, in one pass over all their texts: which are
/// seeds (parsed, checked), and for the others the words of their code (for the closure's name
/// search) and whether they re-export; with the crates each file can name ([`Scope`]). Made
/// before a check lets go of the texts of the files that cannot matter
/// ([`SourceSet::release_texts`]).
pub struct Prefiltered {
    prefilter: Prefilter,
    /// Each file that is no seed has its words indexed in the same pass, for the closure.
    scans: Vec<Option<Scan>>,
    scope: Option<Scope>,
}

impl Prefiltered {
    pub fn of(workspace: Option<&Workspace>, sources: &SourceSet) -> Prefiltered {
        let prefilter = Prefilter::for_workspace(workspace);
        let scans = sources
            .files
            .par_iter()
            .map(|f| Some(prefilter.scan(f.text())))
            .collect();
        let scope = Some(Scope::of(workspace, sources));
        crate::passes::mark("prefilter: seed files");
        Prefiltered {
            prefilter,
            scans,
            scope,
        }
    }

    /// Whether the run reads file `i` beyond what this pass found: a seed, or a file read for
    /// its `use` items. Any other file is read again only if the closure names it.
    pub fn needs_text(&self, i: usize) -> bool {
        !matches!(
            self.scans.get(i),
            Some(Some(Scan::Other {
                reexports: false,
                ..
            }))
        )
    }
}

/// The semantic model of a run. Files are summarised in parallel, the files that can matter
/// first and then whatever they pull in; the graph is then built once.
pub fn model(workspace: Option<&Workspace>, sources: &SourceSet) -> Model {
    model_with(workspace, sources, None, &|| {}, !prefilter_enabled(), None)
}

/// [`model`] of every file, the prefilter aside.
pub fn model_all(workspace: Option<&Workspace>, sources: &SourceSet) -> Model {
    model_with(workspace, sources, None, &|| {}, true, None)
}

/// [`model`], calling `on_file` as each file is summarised (or left out). With `rules` (and the
/// prefilter on), the checked files are also asked which of them the rules need to walk.
/// `prefiltered`: the prefilter's pass over every file, when the caller made it already (to let
/// go of texts before the model is built); made here otherwise.
fn model_with(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
    rules: Option<&RuleSet>,
    on_file: &(dyn Fn() + Sync),
    parse_all: bool,
    prefiltered: Option<Prefiltered>,
) -> Model {
    let files = &sources.files;
    let Prefiltered {
        prefilter,
        mut scans,
        scope,
    } = match prefiltered {
        Some(done) => done,
        None if parse_all => Prefiltered {
            prefilter: Prefilter::for_workspace(workspace),
            scans: Vec::new(),
            scope: None,
        },
        None => Prefiltered::of(workspace, sources),
    };
    // A file that is no seed may still hold a seed word as a name it declares (`fs: Fs`); one
    // that holds none has no function whose code names a seed.
    let seed_words: Vec<bool> = if parse_all {
        vec![true; files.len()]
    } else {
        scans
            .iter()
            .map(|s| match s {
                Some(Scan::Other { seed_words, .. }) => *seed_words,
                _ => true,
            })
            .collect()
    };
    let checked: Vec<bool> = if parse_all {
        vec![true; files.len()]
    } else {
        scans
            .iter()
            .map(|s| matches!(s, Some(Scan::Seed)))
            .collect()
    };
    // The trees of the files the rules walk are kept for them when they are small together;
    // otherwise each is parsed again, so that memory stays a few times the source bytes.
    let checked_bytes: usize = files
        .iter()
        .zip(&checked)
        .filter(|(_, c)| **c)
        .map(|(f, _)| f.text_len())
        .sum();
    let keep_trees = checked_bytes <= KEEP_TREES_BYTES;
    let externs = externs_per_file(workspace, sources);
    // A file's imports, with what its packages configure.
    let imports_of = |i: usize, tree: &ra_ap_syntax::SourceFile, uses: Vec<SyntaxNode>| {
        let file = &files[i];
        Imports::of_uses(tree, uses, externs[i].clone())
            .with_off_thread(configured(workspace, file, |p| &p.off_thread))
            .with_clients(configured(workspace, file, |p| &p.clients))
            .with_blocking(configured(workspace, file, |p| &p.blocking))
    };
    // The kinds of node the rules' gates look at.
    let visited = rules.map(RuleSet::kinds).unwrap_or_default();
    let nothing = KindSet::default();
    let summarize = |i: usize| -> (FileFacts, FileSummary) {
        let file = &files[i];
        // Syntax errors matter where the rules report (fixes never edit a broken item; warnings):
        // they are found then ([`check_file`]).
        // One walk of the new tree finds its `use` items and macro calls (and measures its
        // depth).
        let (parse, mut found) =
            file.parse_unvalidated_finding(&[SyntaxKind::USE, SyntaxKind::MACRO_CALL]);
        let tree = parse.tree();
        let root = tree.syntax();
        let macro_calls = crate::semantic::nodes_at(
            root,
            SyntaxKind::MACRO_CALL,
            found.pop().unwrap_or_default(),
        );
        let uses =
            crate::semantic::nodes_at(root, SyntaxKind::USE, found.pop().unwrap_or_default());
        let imports = imports_of(i, &tree, uses);
        let macros = MacroBodies::of_calls(&tree, macro_calls, file.text(), file.edition);
        let local = FileModel::local(&tree, &imports, &macros, i);
        // The rules' gates see each node as the summary does, in the same walk.
        let cx = RuleContext {
            sources,
            file,
            model: &local,
        };
        let mut gates = rules
            .filter(|_| checked[i] && !parse_all)
            .map(|rules| Gates::new(rules, file));
        let seed = |w: &str| prefilter.is_seed_ident(w);
        let summary = FileSummary::build_visiting(
            &local,
            checked[i],
            seed_words[i].then_some(&seed),
            if gates.is_some() { &visited } else { &nothing },
            &mut |node| {
                if let Some(gates) = &mut gates {
                    gates.visit(&cx, node);
                }
            },
        );
        let walk = gates.map_or(Walk::Always, Gates::finish);
        drop(local);
        on_file();
        // Rules walk only the seed files; what they walk is kept for them or built again.
        let keep = keep_trees && checked[i] && !matches!(walk, Walk::Never);
        (
            FileFacts {
                imports,
                macros: keep.then_some(macros),
                tree: keep.then_some(parse),
                walk,
            },
            summary,
        )
    };
    // A file that only re-exports (no seed word) is summarised from its `use` items alone, until
    // the closure finds it names something: then from the whole file.
    let summarize_uses = |i: usize| -> (FileFacts, FileSummary) {
        let file = &files[i];
        let uses = crate::semantic::words::use_items_only(file.text());
        // The parser recurses per nesting level (`use a::{b::{..}}` too): too deep, no imports.
        let kinds = [SyntaxKind::USE];
        let (tree, mut found) = crate::tree::Tree::parse_checked(&uses, file.edition, &kinds)
            .unwrap_or_else(|_| (crate::tree::Tree::parse("", file.edition), vec![Vec::new()]));
        let tree = tree.tree();
        let uses = crate::semantic::nodes_at(
            tree.syntax(),
            SyntaxKind::USE,
            found.pop().unwrap_or_default(),
        );
        let imports = imports_of(i, &tree, uses);
        let seed = |w: &str| prefilter.is_seed_ident(w);
        let summary = FileSummary::build_with(
            &FileModel::local(&tree, &imports, &MacroBodies::default(), i),
            false,
            seed_words[i].then_some(&seed),
        );
        let facts = FileFacts {
            imports,
            macros: None,
            tree: None,
            walk: Walk::Never,
        };
        (facts, summary)
    };
    let mut done: Vec<Option<(FileFacts, FileSummary)>> = (0..files.len()).map(|_| None).collect();
    // Summarised from their `use` items only.
    let mut uses_only = vec![false; files.len()];
    let mut closure_names = None;
    if let Some(scope) = scope.filter(|_| !parse_all) {
        // Files that re-export something (resolution goes through them) but are no seeds: read
        // for their `use` items first; then the seed files, whole.
        let reexporting: Vec<usize> = (0..files.len())
            .into_par_iter()
            .filter(|&i| {
                matches!(
                    scans[i],
                    Some(Scan::Other {
                        reexports: true,
                        ..
                    })
                )
            })
            .collect();
        let summarized: Vec<(usize, (FileFacts, FileSummary))> = reexporting
            .par_iter()
            .map(|&i| (i, summarize_uses(i)))
            .collect();
        for (i, done_now) in summarized {
            done[i] = Some(done_now);
            uses_only[i] = true;
        }
        crate::passes::mark("re-exporting files, by their use items");
        let mut wave: Vec<usize> = (0..files.len()).filter(|&i| checked[i]).collect();
        // Summaries the closure has not seen yet.
        let mut unseen = reexporting;
        let mut taint = Taint::new(&scope);
        // Each file's code words, found the first time the file is searched.
        let words: Vec<std::sync::OnceLock<WordIndex>> = scans
            .iter_mut()
            .map(|scan| match scan.take() {
                Some(Scan::Other { index, .. }) => std::sync::OnceLock::from(index),
                _ => std::sync::OnceLock::new(),
            })
            .collect();
        let mut tainted = Names::default();
        while !wave.is_empty() || !unseen.is_empty() {
            let bytes: usize = wave.iter().map(|&i| files[i].text_len()).sum();
            // Largest first: the threads end together, not waiting on one big file at the end.
            let mut order = wave.clone();
            order.sort_by_key(|&i| std::cmp::Reverse(files[i].text_len()));
            let summarized: Vec<(usize, (FileFacts, FileSummary))> = order
                .par_iter()
                .with_max_len(1)
                .map(|&i| (i, summarize(i)))
                .collect();
            crate::passes::mark(&format!(
                "summaries: {} files, {:.1} MB ({} released texts read again so far)",
                summarized.len(),
                bytes as f64 / 1e6,
                crate::source::READ_AGAIN.load(std::sync::atomic::Ordering::Relaxed)
            ));
            for (i, done_now) in summarized {
                done[i] = Some(done_now);
                uses_only[i] = false;
            }
            unseen.append(&mut wave);
            // Files that name what the parsed ones taint are parsed next.
            let new: Vec<(usize, &FileSummary)> = unseen
                .drain(..)
                .filter_map(|i| done[i].as_ref().map(|(_, s)| (i, s)))
                .collect();
            let fresh = taint.add(&prefilter, |i| files[i].text(), &new);
            if fresh.is_empty() {
                break;
            }
            let search = fresh.search();
            wave = (0..files.len())
                .into_par_iter()
                .filter(|&i| {
                    (done[i].is_none() || uses_only[i])
                        && search.may_name(&scope, i)
                        && search.names_any_in(
                            words[i].get_or_init(|| WordIndex::of(files[i].text())),
                            &scope,
                            i,
                        )
                })
                .collect();
            tainted.merge(fresh);
            crate::passes::mark("closure: taint, name search");
        }
        closure_names = Some(tainted);
    } else {
        let all: Vec<(FileFacts, FileSummary)> =
            (0..files.len()).into_par_iter().map(summarize).collect();
        done = all.into_iter().map(Some).collect();
    }
    // Progress: the files summarised from their `use` items count here, as those left out.
    for _ in uses_only.iter().filter(|u| **u) {
        on_file();
    }
    let parsed: Vec<bool> = done.iter().map(Option::is_some).collect();
    // Files left out: no imports to resolve through, nothing summarised.
    let empty = ra_ap_syntax::SourceFile::parse("", ra_ap_syntax::Edition::LATEST).tree();
    let (facts, summaries): (Vec<FileFacts>, Vec<FileSummary>) = done
        .into_iter()
        .zip(&externs)
        .map(|(d, externs)| {
            d.unwrap_or_else(|| {
                on_file();
                let facts = FileFacts {
                    imports: Imports::new(&empty, externs.clone()),
                    macros: None,
                    tree: None,
                    walk: Walk::Never,
                };
                (facts, FileSummary::default())
            })
        })
        .unzip();
    let imports: Vec<&Imports> = facts.iter().map(|f| &f.imports).collect();
    // The files the rules will walk whatever the graph says are parsed again beside the graph's
    // build (which leaves a core idle in its serial parts), for the rules to find ready.
    // (Where no gate was asked, every file reads `Walk::Always`: without rules nothing is walked,
    // parsing every file walks them all.)
    let gated = rules.is_some() && !parse_all;
    let walk_surely: Vec<usize> = (0..files.len())
        .filter(|&i| {
            gated && checked[i] && matches!(facts[i].walk, Walk::Always) && facts[i].tree.is_none()
        })
        .collect();
    let (graph, ready) = rayon::join(
        || WorkspaceModel::build(workspace, sources, &imports, summaries),
        || {
            walk_surely
                .par_iter()
                .map(|&i| {
                    let file = &files[i];
                    let parse = file.parse_unvalidated();
                    let macros = MacroBodies::build(&parse.tree(), file.text(), file.edition);
                    (i, parse, macros)
                })
                .collect::<Vec<_>>()
        },
    );
    drop(imports);
    let mut facts = facts;
    for (i, parse, macros) in ready {
        facts[i].tree = Some(parse);
        facts[i].macros = Some(macros);
    }
    let closure = closure_names.map(|names| Closure {
        names,
        summarised: parsed.clone(),
    });
    Model {
        facts,
        graph,
        parsed,
        checked,
        uses_only: uses_only.iter().filter(|u| **u).count(),
        closure,
    }
}

/// One walk over `file` (of which `tree` is the parse), dispatching each node to the rules that
/// asked for its kind.
pub fn check_file(
    sources: &SourceSet,
    file: &SourceFile,
    tree: &crate::tree::Tree,
    model: &FileModel<'_>,
    rules: &RuleSet,
) -> Vec<Diagnostic> {
    let cx = RuleContext {
        sources,
        file,
        model,
    };
    let mut out = Vec::new();
    // Debug builds run the rules left out too, and hold them to reporting nothing here.
    let left_out = rules.left_out(file.text());
    let walk_with = if cfg!(debug_assertions) {
        LeftOut::default()
    } else {
        left_out
    };
    // Every node of a kind some rule visits, in the order of the full walk.
    let kinds = rules.kinds();
    let mut walk = model.wanted_nodes(&kinds);
    while let Some((node, _)) = walk.next() {
        for rule in rules.visiting(node.kind(), walk_with) {
            rule.check(&cx, &node, &mut out);
        }
    }
    if cfg!(debug_assertions) {
        let wrongly = rules.named(left_out);
        assert!(
            out.iter().all(|d| !wrongly.contains(&d.rule)),
            "{}: a rule whose file words are not in the file reports: {:?}",
            file.rel_path,
            out.iter()
                .filter(|d| wrongly.contains(&d.rule))
                .map(|d| d.rule)
                .collect::<Vec<_>>()
        );
    }
    // A `#[should_panic]` test panics on purpose: its panic is what it checks.
    out.retain(|d| !model.in_should_panic_test(d.range));
    // Where the tree is a recovery guess, report but never edit. The file's syntax errors are
    // found (and warned about) where something is reported.
    let broken = if out.is_empty() {
        Vec::new()
    } else {
        file.broken_regions(tree)
    };
    for diag in &mut out {
        let Some(fix) = &diag.fix else { continue };
        if fix
            .edits
            .iter()
            .any(|e| broken.iter().any(|b| b.intersect(e.range).is_some()))
        {
            diag.fix = None;
            diag.notes
                .push("no fix is offered: this item has a syntax error".to_owned());
        } else if fix.edits.iter().any(|e| model.in_broken_macro(e.range)) {
            diag.fix = None;
            diag.notes.push(
                "no fix is offered: the macro's arguments are not plain expressions".to_owned(),
            );
        }
    }
    // Suppressions written in the code, and the ones that suppress nothing.
    let ran: Vec<&str> = rules.rules.iter().map(|r| r.meta().id).collect();
    let known: Vec<&str> = crate::rules::all().iter().map(|r| r.meta().id).collect();
    let report_unused = ran.contains(&crate::rules::unused_suppression::ID);
    crate::suppress::apply(file, &tree.syntax_node(), out, &ran, &known, report_unused)
}

/// One piece of code as the `lib.rs` of a crate outside any workspace.
pub(crate) fn text_source(text: &str) -> SourceSet {
    let file = SourceFile::new(
        "/virtual/lib.rs".into(),
        "lib.rs".into(),
        text.to_owned(),
        ra_ap_syntax::Edition::LATEST,
    );
    SourceSet {
        files: vec![file],
        warnings: Vec::new(),
    }
}

fn rule_set(ids: &[&str]) -> RuleSet {
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    RuleSet::new(rules::select(&ids, &[]).expect("known rule ids"))
}

/// Findings of the rules `ids` in one piece of code, as if it were a crate's `lib.rs`.
pub fn check_text(text: &str, ids: &[&str]) -> Vec<Diagnostic> {
    analyze(None, &text_source(text), &rule_set(ids))
}

/// `text` after applying the rules' fixes until nothing changes (unsafe ones too if asked).
pub fn fix_text(text: &str, ids: &[&str], unsafe_fixes: bool) -> String {
    let sources = text_source(text);
    let rules = rule_set(ids);
    let outcome = crate::fix::fix_loop(sources, unsafe_fixes, |s| analyze(None, s, &rules));
    outcome.sources.files[0].text().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check lets go of the texts of the files the prefilter leaves out and reads again only
    /// the ones its closure names: the same findings as with every text kept.
    #[test]
    fn a_check_reads_again_only_the_released_files_the_closure_names() {
        let tmp = tempfile::tempdir().unwrap();
        let root = camino::Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        let files = [
            (
                "Cargo.toml",
                "[package]\nname = \"released\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
            ),
            (
                "src/lib.rs",
                "pub mod caller;\npub mod other;\npub mod seed;\n",
            ),
            // A seed: it blocks.
            (
                "src/seed.rs",
                "pub fn pause() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
            ),
            // Names `pause` from async code: pulled in by the closure, so read again.
            (
                "src/caller.rs",
                "pub async fn tick() {\n    crate::seed::pause();\n}\n",
            ),
            // Names nothing the closure looks for: never read again.
            (
                "src/other.rs",
                "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n",
            ),
        ];
        std::fs::create_dir(root.join("src")).unwrap();
        for (name, text) in files {
            std::fs::write(root.join(name), text).unwrap();
        }
        let workspace = Workspace::load(&crate::workspace::Selection {
            manifest_path: Some(root.join("Cargo.toml")),
            ..Default::default()
        })
        .unwrap();
        let ids: Vec<&str> = rules::all().iter().map(|r| r.meta().id).collect();
        let rules = rule_set(&ids);
        let kept = SourceSet::load(&workspace);
        let (expected, _, _) = analyze_traced(Some(&workspace), &kept, &rules, &|| {}, false);
        let mut released = SourceSet::load(&workspace);
        let (found, _, _) = analyze_releasing(Some(&workspace), &mut released, &rules, &|| {});
        assert_eq!(found, expected);
        assert_eq!(
            found
                .iter()
                .map(|d| (d.path.clone(), d.rule))
                .collect::<Vec<_>>(),
            [(root.join("src/seed.rs"), "blocking_call_in_async")]
        );
        let loaded: Vec<(&str, bool)> = released
            .files
            .iter()
            .map(|f| (f.rel_path.as_str(), f.text_loaded().is_some()))
            .collect();
        assert_eq!(
            loaded,
            [
                ("src/caller.rs", true),
                // Its `mod` items were read as it was loaded.
                ("src/lib.rs", false),
                ("src/other.rs", false),
                ("src/seed.rs", true),
            ]
        );
        assert!(released.files.iter().all(|f| f.changed_warning().is_none()));
    }

    /// What the rules' gates say of one file as a crate's `lib.rs`, and whether it is walked.
    fn walk_of(text: &str) -> (Walk, bool) {
        let sources = text_source(text);
        let ids: Vec<&str> = rules::all().iter().map(|r| r.meta().id).collect();
        let model = model_with(None, &sources, Some(&rule_set(&ids)), &|| {}, false, None);
        assert!(model.checked[0], "a seed file");
        (model.facts[0].walk.clone(), model.must_walk(0))
    }

    #[test]
    fn files_no_rule_can_report_in_are_not_walked_again() {
        // Seed words, nothing reportable: a runtime in a sync `main`, a sleep in a sync
        // function nothing async calls, `tokio::spawn` in async code (its handle is awaited).
        let plain = "fn main() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.block_on(async {});\n}\n\nfn pause() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";
        let (walk, walked) = walk_of(plain);
        assert!(!walked, "{walk:?}");
        // The sleep becomes reportable when async code calls `pause`: decided with the graph.
        let reached = format!("{plain}\nasync fn tick() {{\n    pause();\n}}\n");
        let (walk, walked) = walk_of(&reached);
        let pause = reached.find("fn pause").unwrap() as u32;
        assert!(
            matches!(&walk, Walk::If(gates) if gates.contains(&Gate::IfReachedFromAsync(pause.into()))),
            "{walk:?}"
        );
        assert!(walked);
        // Directly in async code: walked, whatever the graph says.
        let (walk, _) = walk_of(
            "async fn tick() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
        );
        assert!(matches!(walk, Walk::Always), "{walk:?}");
        // A directive is always looked at (`unused_suppression`, rules it names).
        let (walk, _) = walk_of(&format!("#[allow(loopfix::nested_block_on)]\n{plain}"));
        assert!(matches!(walk, Walk::Always), "{walk:?}");
    }

    #[test]
    fn gates_that_the_graph_or_the_file_decides_walk_only_where_rules_report() {
        // Another executor's `block_on` in sync code: walked only if the future is built on
        // Tokio, by its own calls or through the workspace functions it calls.
        let plain = "fn run() {\n    futures::executor::block_on(async { helper().await });\n}\n\nasync fn helper() -> u32 {\n    1\n}\n";
        let (walk, walked) = walk_of(plain);
        assert!(!walked, "{walk:?}");
        assert!(
            matches!(&walk, Walk::If(gates) if gates.iter().any(|g| matches!(g, Gate::IfCalleesNeedTokio(_)))),
            "{walk:?}"
        );
        let tokio = plain.replace(
            "    1\n",
            "    reqwest::get(\"http://x\").await.ok();\n    1\n",
        );
        assert!(walk_of(&tokio).1, "through `helper`");
        // A builder that enables every driver misses none.
        let built = "fn main() {\n    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();\n    rt.block_on(async { tokio::time::sleep(std::time::Duration::from_millis(1)).await });\n}\n";
        assert!(!walk_of(built).1);
        assert!(walk_of(&built.replace("enable_all", "enable_io")).1);
        // A task spawned in `#[tokio::main]`: walked only if nothing waits for it.
        let awaited = "#[tokio::main]\nasync fn main() {\n    let handle = tokio::spawn(async {});\n    handle.await.unwrap();\n}\n";
        assert!(!walk_of(awaited).1);
        let lost = "#[tokio::main]\nasync fn main() {\n    tokio::spawn(async {});\n}\n";
        assert!(walk_of(lost).1);
    }

    #[test]
    fn rules_whose_words_a_file_lacks_are_left_out_of_it() {
        let ids: Vec<&str> = rules::all().iter().map(|r| r.meta().id).collect();
        let set = rule_set(&ids);
        let left_out = |text: &str| set.named(set.left_out(text));
        // No `Drop`, no `.await`, no `block_on`: those rules cannot report.
        let sync = "fn f() { std::thread::sleep(d); }";
        for id in [
            "async_work_in_drop",
            "std_mutex_across_await",
            "nested_block_on",
        ] {
            assert!(left_out(sync).contains(&id), "{id}");
        }
        assert!(!left_out(sync).contains(&"blocking_call_in_async"));
        // Whole words only, comments count (a word in a comment leaves a rule in: never out).
        let text = "impl Drop for S { fn drop(&mut self) {} } // rt.block_on(f)";
        assert!(!left_out(text).contains(&"async_work_in_drop"));
        assert!(!left_out(text).contains(&"nested_block_on"));
        assert!(left_out("fn dropped() { x.awaited() }").contains(&"std_mutex_across_await"));
        // Dropping a value is no `Drop` implementation.
        let drops = "async fn f(rt: Runtime) { drop(rt); tokio::spawn(async {}); }";
        assert!(left_out(drops).contains(&"async_work_in_drop"));
        let qualified = "impl std::ops::Drop for S { fn drop(&mut self) { tokio::spawn(f()); } }";
        assert!(!left_out(qualified).contains(&"async_work_in_drop"));
    }
}
