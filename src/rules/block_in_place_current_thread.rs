//! `block_in_place_current_thread`: `tokio::task::block_in_place` on a current-thread runtime.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::{ExecContext, Flavor, RuntimeEntry, SyncContext};

pub struct BlockInPlaceCurrentThread;

pub const DOCS: &str = r#"## What it does
Finds `tokio::task::block_in_place` called where the runtime is a current-thread one: in the body
of `#[tokio::test]` (current-thread unless `flavor = "multi_thread"`) or
`#[tokio::main(flavor = "current_thread")]`, or in a sync function such a body calls (the note
shows the call chain).

## Why is this bad?
`block_in_place` hands the worker's other tasks to another worker while it blocks; a
current-thread runtime has no other worker, so it panics at run time: "can call blocking only when
running on the multi-threaded runtime".

## Example
```rust
#[tokio::test]
async fn reads_config() {
    let text = tokio::task::block_in_place(|| std::fs::read_to_string("Cargo.toml"));
    assert!(text.is_ok());
}
```

## Use instead
```rust
#[tokio::test(flavor = "multi_thread")]
async fn reads_config() {
    let text = tokio::task::block_in_place(|| std::fs::read_to_string("Cargo.toml"));
    assert!(text.is_ok());
}
```

## Fix safety
The fix sets `flavor = "multi_thread"` on the attribute, and enables tokio's `rt-multi-thread`
feature in the package's `Cargo.toml` when it is missing: safe. When the manifest cannot be read (a
file outside any package) the fix is unsafe. No fix is offered with `start_paused = true`, which only a current-thread runtime
supports. A multi-thread runtime runs tasks in parallel: code that relied on a single thread
(`!Send` data through `spawn_local`, ordering between tasks) may need `tokio::task::spawn_blocking`
instead.

## Known problems
Runtimes built with `Builder::new_current_thread()` and async functions called (awaited) from a
test are not followed yet: only sync functions reached from the attribute's body are.
"#;

static META: RuleMeta = RuleMeta {
    id: "block_in_place_current_thread",
    summary: "`block_in_place` called on a current-thread runtime",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

const TOKIO_PANIC: &str = "can call blocking only when running on the multi-threaded runtime";

impl Rule for BlockInPlaceCurrentThread {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        if cx
            .model
            .called_path(node)
            .is_none_or(|(_, resolved)| &*resolved != "tokio::task::block_in_place")
        {
            return Gate::No;
        }
        match cx.model.exec_context(node) {
            ExecContext::Async(context) => Gate::when(context.entry.is_some()),
            ExecContext::Sync(SyncContext::Fn { .. }) => common::reached_from_async_gate(cx, node),
            ExecContext::Sync(_) => Gate::No,
        }
    }

    /// It reports only calls of `tokio::task::block_in_place`, which a file names by that word.
    fn file_words(&self) -> &'static [&'static str] {
        &["block_in_place"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some((path, resolved)) = cx.model.called_path(node) else {
            return;
        };
        if &*resolved != "tokio::task::block_in_place" {
            return;
        }
        let graph = cx.model.graph();
        // The runtime attribute whose body runs this call: here, or at the start of a call chain.
        let (entry, entry_file, mut labels, chain_note) = match cx.model.exec_context(node) {
            ExecContext::Async(context) => {
                let Some(entry) = context.entry else { return };
                (entry, cx.model.file_id(), Vec::new(), None)
            }
            ExecContext::Sync(SyncContext::Fn { .. }) => {
                let Some(chain) = cx.model.async_chain(node) else {
                    return;
                };
                let origin = &graph.fns[chain[0].function];
                let Some(entry) = origin.entry.clone() else {
                    return;
                };
                if !chain[0].async_site || !origin.is_async {
                    return;
                }
                let (labels, note) = common::chain_labels(cx, &chain, "block_in_place");
                (entry, origin.file, labels, Some(note))
            }
            ExecContext::Sync(_) => return,
        };
        if entry.flavor != Flavor::CurrentThread {
            return;
        }
        if entry_file == cx.model.file_id() {
            labels.push(Label {
                range: entry.range,
                message: current_thread_label(&entry),
            });
        }
        let mut notes = vec![format!("this panics at run time: \"{TOKIO_PANIC}\"")];
        notes.extend(chain_note);
        let feature = graph.dependency_feature(entry_file, "tokio", "rt-multi-thread");
        let manifest = graph.manifests[entry_file].clone();
        if entry.start_paused {
            notes.push(
                "`start_paused` only works on a current-thread runtime, so the flavor cannot change: \
                 move the blocking work to `tokio::task::spawn_blocking`"
                    .to_owned(),
            );
        }
        let fix = (!entry.start_paused).then(|| {
            let (range, text) = entry.to_multi_thread();
            // Outside a package the manifest cannot be checked: unsafe.
            let applicability = if feature.is_some() {
                Applicability::Safe
            } else {
                Applicability::Unsafe
            };
            let path = graph.paths[entry_file].clone();
            let fix = Fix::new(
                format!("run `#[{}]` on a multi-thread runtime", entry.attr),
                applicability,
                vec![Edit::replace(path, range, text)],
            );
            match (feature, manifest) {
                (Some(false), Some(manifest)) => {
                    fix.with_feature(manifest, "tokio", "rt-multi-thread")
                }
                _ => fix,
            }
        });
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range: path.syntax().text_range(),
            primary_label: Some("needs a multi-thread runtime".to_owned()),
            labels,
            notes,
            helps: vec![
                "use `flavor = \"multi_thread\"`, or move the blocking work to `tokio::task::spawn_blocking`"
                    .to_owned(),
            ],
            fix,
        });
    }
}

fn current_thread_label(entry: &RuntimeEntry) -> String {
    if entry.current_thread_literal.is_some() {
        "this runtime is current-thread".to_owned()
    } else {
        format!(
            "`#[{}]` builds a current-thread runtime by default",
            entry.attr
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "block_in_place_current_thread";

    #[test]
    fn default_tokio_test_gets_the_multi_thread_flavor() {
        let before =
            "#[tokio::test]\nasync fn t() {\n    tokio::task::block_in_place(|| work());\n}\n";
        let after = "#[tokio::test(flavor = \"multi_thread\")]\nasync fn t() {\n    tokio::task::block_in_place(|| work());\n}\n";
        // Outside a package the manifest's features are unknown: the fix is unsafe.
        assert_eq!(fix_text(before, &[RULE], false), before);
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn explicit_current_thread_and_other_arguments() {
        let before = "use tokio::task::block_in_place;\n#[tokio::main(flavor = \"current_thread\")]\nasync fn main() {\n    block_in_place(|| work());\n}\n#[tokio::test(start_paused = true)]\nasync fn t() {\n    block_in_place(|| work());\n}\n#[tokio::test(crate = \"tokio\")]\nasync fn u() {\n    block_in_place(|| work());\n}\n";
        // `start_paused` needs a current-thread runtime: reported, not rewritten.
        let after = "use tokio::task::block_in_place;\n#[tokio::main(flavor = \"multi_thread\")]\nasync fn main() {\n    block_in_place(|| work());\n}\n#[tokio::test(start_paused = true)]\nasync fn t() {\n    block_in_place(|| work());\n}\n#[tokio::test(flavor = \"multi_thread\", crate = \"tokio\")]\nasync fn u() {\n    block_in_place(|| work());\n}\n";
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn through_a_sync_helper() {
        let code = "fn helper() {\n    tokio::task::block_in_place(|| work());\n}\n#[tokio::test]\nasync fn t() {\n    helper();\n}\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .notes
                .iter()
                .any(|n| n.contains("`t` (async fn, lib.rs:5) -> `helper` (lib.rs:1)"))
        );
    }

    #[test]
    fn silent_on_multi_thread_runtimes_and_unknown_ones() {
        let code = "#[tokio::test(flavor = \"multi_thread\")]\nasync fn t() { tokio::task::block_in_place(|| work()); }\n#[tokio::main]\nasync fn main() { tokio::task::block_in_place(|| work()); }\nasync fn unknown() { tokio::task::block_in_place(|| work()); }\nfn block_in_place<F>(f: F) {}\n#[tokio::test]\nasync fn own() { block_in_place(|| work()); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
