//! The rule registry. One rule per file, each with its docs next to its code.

pub mod async_work_in_drop;
pub mod block_in_place_current_thread;
pub mod blocking_call_in_async;
pub mod blocking_client_in_async;
pub mod client_outlives_runtime;
pub mod client_per_request;
pub(crate) mod common;
pub mod mixed_runtimes;
pub mod nested_block_on;
pub mod no_runtime_context;
pub mod runtime_dropped_in_async;
pub mod runtime_missing_drivers;
pub mod runtime_per_call;
pub mod spawn_local_outside_localset;
pub mod std_mutex_across_await;
pub mod task_lost_at_shutdown;
pub mod tokio_main_on_helper;
pub mod unobserved_task_error;
pub mod unused_suppression;

use anyhow::{Result, bail};
use ra_ap_syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};

use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::FileModel;
use crate::source::SourceFile;

/// Whether a rule offers fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    Always,
    Sometimes,
    None,
}

impl FixAvailability {
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::Always => "always",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::None => "none",
        }
    }
}

/// What users see of a rule: `cargo loopfix rules` and `cargo loopfix rule ID`.
pub struct RuleMeta {
    /// snake_case id; shown as `loopfix::<id>`.
    pub id: &'static str,
    /// One line, lower case, no trailing period.
    pub summary: &'static str,
    pub severity: Severity,
    pub fix: FixAvailability,
    /// Markdown with the sections `## What it does`, `## Why is this bad?`, `## Example`,
    /// `## Use instead`, `## Fix safety` and `## Known problems`.
    pub docs: &'static str,
}

/// What a rule sees of the file it checks. Rules never read files or print.
pub struct RuleContext<'a> {
    /// Every file of the run, for fixes that edit other files too.
    pub sources: &'a crate::source::SourceSet,
    pub file: &'a SourceFile,
    pub model: &'a FileModel<'a>,
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// The node kinds the rule wants to see; the single walk over each file dispatches on these.
    fn kinds(&self) -> &'static [SyntaxKind];
    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>);
    /// Whether [`Rule::check`] can report anything at `node`: its cheap first tests (what the
    /// call is, where it runs), answered from the file alone. `cx.model` has no workspace graph
    /// here (it is being built): what needs the graph is a [`Gate`] decided once it is. A file
    /// where every rule says [`Gate::No`] at every node is not parsed and walked again; so this
    /// must never say `No` where `check` would report (debug builds check it on every run).
    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate;
    /// Words one of which a file must hold (as a whole identifier) for the rule to report in it,
    /// tested once per file before any node is looked at: `drop` for what runs in `Drop::drop`.
    /// Empty (the default): no such test. Like [`Rule::gate`], it must never leave out a file
    /// where [`Rule::check`] would report.
    fn file_words(&self) -> &'static [&'static str] {
        &[]
    }
}

/// What a rule's first tests say about a node, before the workspace graph exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// `check` reports nothing here.
    No,
    /// `check` may report here.
    Yes,
    /// Only if the function starting at this offset (the innermost `fn` around the node) can
    /// run on an async task: async code calls it, directly or through sync functions.
    IfReachedFromAsync(TextSize),
    /// Only if a static declared in this range holds a client bound to a runtime.
    IfStaticHoldsClient(TextRange),
    /// Only if the workspace's `Cargo.lock` has two incompatible Tokio versions.
    IfTwoTokios,
    /// Only if a workspace function called at one of these offsets (the callee's name, as
    /// [`crate::semantic::WorkspaceModel::callees_at`] keys calls) is built on Tokio.
    IfCalleesNeedTokio(Vec<TextSize>),
}

impl Gate {
    /// `Yes` when `test` holds, else `No`.
    pub fn when(test: bool) -> Gate {
        if test { Gate::Yes } else { Gate::No }
    }
}

/// Every rule, in id order.
pub fn all() -> &'static [&'static dyn Rule] {
    &[
        &async_work_in_drop::AsyncWorkInDrop,
        &block_in_place_current_thread::BlockInPlaceCurrentThread,
        &blocking_call_in_async::BlockingCallInAsync,
        &blocking_client_in_async::BlockingClientInAsync,
        &client_outlives_runtime::ClientOutlivesRuntime,
        &client_per_request::ClientPerRequest,
        &mixed_runtimes::MixedRuntimes,
        &nested_block_on::NestedBlockOn,
        &no_runtime_context::NoRuntimeContext,
        &runtime_dropped_in_async::RuntimeDroppedInAsync,
        &runtime_missing_drivers::RuntimeMissingDrivers,
        &runtime_per_call::RuntimePerCall,
        &spawn_local_outside_localset::SpawnLocalOutsideLocalset,
        &std_mutex_across_await::StdMutexAcrossAwait,
        &task_lost_at_shutdown::TaskLostAtShutdown,
        &tokio_main_on_helper::TokioMainOnHelper,
        &unobserved_task_error::UnobservedTaskError,
        &unused_suppression::UnusedSuppression,
    ]
}

pub fn find(id: &str) -> Option<&'static dyn Rule> {
    let id = id.strip_prefix("loopfix::").unwrap_or(id).replace('-', "_");
    all().iter().copied().find(|r| r.meta().id == id)
}

/// The rules to run after `--select` and `--ignore` (ids with or without `loopfix::`, or `all`).
pub fn select(select: &[String], ignore: &[String]) -> Result<Vec<&'static dyn Rule>> {
    let lookup = |id: &String| -> Result<Vec<&'static dyn Rule>> {
        if id == "all" || id == "ALL" {
            return Ok(all().to_vec());
        }
        match find(id) {
            Some(rule) => Ok(vec![rule]),
            None => {
                let known: Vec<&str> = all().iter().map(|r| r.meta().id).collect();
                bail!("unknown rule `{id}` (known rules: {})", known.join(", "))
            }
        }
    };
    let mut rules: Vec<&'static dyn Rule> = if select.is_empty() {
        all().to_vec()
    } else {
        let mut chosen = Vec::new();
        for id in select {
            chosen.extend(lookup(id)?);
        }
        chosen
    };
    for id in ignore {
        let ignored = lookup(id)?;
        rules.retain(|r| !ignored.iter().any(|i| i.meta().id == r.meta().id));
    }
    rules.sort_by_key(|r| r.meta().id);
    rules.dedup_by_key(|r| r.meta().id);
    Ok(rules)
}
