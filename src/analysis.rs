//! Running the rules: one walk per file, in parallel, dispatching each node to the rules that
//! asked for its kind. Results are owned and sorted, so output is deterministic.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::rules::{self, Rule, RuleContext};
use crate::semantic::graph::GraphStats;
use crate::semantic::summary::FileSummary;
use crate::semantic::{FileModel, Imports, MacroBodies, WorkspaceModel};
use crate::source::{SourceFile, SourceSet};
use crate::workspace::Workspace;

/// The rules of a run, indexed by the node kinds they visit.
pub struct RuleSet {
    rules: Vec<&'static dyn Rule>,
}

impl RuleSet {
    pub fn new(rules: Vec<&'static dyn Rule>) -> RuleSet {
        RuleSet { rules }
    }

    pub fn rules(&self) -> &[&'static dyn Rule] {
        &self.rules
    }
}

/// Dependency names visible in each file: those of the packages that own it.
pub fn externs_for(workspace: Option<&Workspace>, file: &SourceFile) -> BTreeMap<String, String> {
    match workspace {
        Some(ws) if !file.owners.is_empty() => {
            let mut map = BTreeMap::new();
            for owner in &file.owners {
                map.extend(ws.packages[owner.package].extern_crates.clone());
            }
            map
        }
        _ => FileModel::default_externs(),
    }
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
        .filter_map(|d| config.admit(d, &file.rel_path, &file.text, ws.rules_from_command_line))
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
    let (facts, graph) = model_observed(workspace, sources, on_file);
    let mut diagnostics: Vec<Diagnostic> = sources
        .files
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, file)| {
            let tree = file.tree();
            let model = FileModel::new(&tree, &facts[i].imports, &facts[i].macros, &graph, i);
            let found = check_file(sources, file, &model, rules);
            on_file();
            configured_findings(workspace, file, found)
        })
        .collect();
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    (diagnostics, graph.stats)
}

/// What the model keeps of each file between its two passes (owned, `Send`).
pub struct FileFacts {
    pub imports: Imports,
    pub macros: MacroBodies,
}

/// The semantic model of a run: each file's imports and macro bodies, and the workspace's call
/// graph. Summaries are computed per file in parallel; the graph is then built once.
pub fn model(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
) -> (Vec<FileFacts>, WorkspaceModel) {
    model_observed(workspace, sources, &|| {})
}

/// [`model`], calling `on_file` as each file is summarised.
fn model_observed(
    workspace: Option<&Workspace>,
    sources: &SourceSet,
    on_file: &(dyn Fn() + Sync),
) -> (Vec<FileFacts>, WorkspaceModel) {
    let (facts, summaries): (Vec<FileFacts>, Vec<FileSummary>) = sources
        .files
        .par_iter()
        .enumerate()
        .map(|(i, file)| {
            let tree = file.tree();
            let imports = Imports::new(&tree, externs_for(workspace, file))
                .with_off_thread(configured(workspace, file, |p| &p.off_thread))
                .with_clients(configured(workspace, file, |p| &p.clients))
                .with_blocking(configured(workspace, file, |p| &p.blocking));
            let macros = MacroBodies::build(&tree, &file.text, file.edition);
            let summary = FileSummary::build(&FileModel::local(&tree, &imports, &macros, i));
            on_file();
            (FileFacts { imports, macros }, summary)
        })
        .unzip();
    let imports: Vec<&Imports> = facts.iter().map(|f| &f.imports).collect();
    let graph = WorkspaceModel::build(workspace, sources, &imports, &summaries);
    (facts, graph)
}

/// One walk over `file`, dispatching each node to the rules that asked for its kind.
pub fn check_file(
    sources: &SourceSet,
    file: &SourceFile,
    model: &FileModel<'_>,
    rules: &RuleSet,
) -> Vec<Diagnostic> {
    let cx = RuleContext {
        sources,
        file,
        model,
    };
    let mut out = Vec::new();
    for (node, _) in model.all_nodes() {
        let kind = node.kind();
        for rule in rules.rules.iter().filter(|r| r.kinds().contains(&kind)) {
            rule.check(&cx, &node, &mut out);
        }
    }
    // A `#[should_panic]` test panics on purpose: its panic is what it checks.
    out.retain(|d| !model.in_should_panic_test(d.range));
    // Where the tree is a recovery guess, report but never edit.
    let broken = file.broken_regions();
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
    crate::suppress::apply(file, out, &ran, &known, report_unused)
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
    outcome.sources.files[0].text.clone()
}
