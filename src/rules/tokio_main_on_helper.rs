//! `tokio_main_on_helper`: `#[tokio::main]` on a function that is not the program's `main`.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasName},
};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::summary::SiteContext;
use crate::workspace::Kind;

pub struct TokioMainOnHelper;

pub const DOCS: &str = r#"## What it does
Finds `#[tokio::main]` on a function other than a binary's `main`, or on any function of a
library, when async code calls it (directly or not), or when it is in a library, where any caller
may be async.

## Why is this bad?
`#[tokio::main]` turns the `async fn` into a sync function that builds a new runtime and blocks on
it at every call. Called from async code it panics at run time: "Cannot start a runtime from
within a runtime. This happens because a function (like `block_on`) attempted to block the current
thread while the thread is being used to drive asynchronous tasks. If you are in an async
function, use `.await` on the future instead of blocking on it."

## Example
```rust
#[tokio::main]
async fn fetch_all() -> usize {
    0
}

#[tokio::main]
async fn main() {
    let n = fetch_all();
}
```

## Use instead
```rust
async fn fetch_all() -> usize {
    0
}

#[tokio::main]
async fn main() {
    let n = fetch_all().await;
}
```

## Fix safety
The fix removes the attribute and adds `.await` at every call in the workspace (a multi-file
edit). It is offered only when every call is in async code where `.await` can be written; a sync
caller would need a runtime of its own, so then no fix is offered and the note says where. It is
safe when the function is private and the attribute has no arguments: every call panicked before,
so no working behaviour changes. It is unsafe when the function is public (callers outside the
workspace would need `.await` too) or the attribute configured the runtime (`flavor`,
`worker_threads`), since the caller's runtime is used instead.

## Known problems
Calls through function pointers, trait objects or macros other than the usual expression macros are
not seen; in a library, the function's external callers cannot be seen at all.
"#;

static META: RuleMeta = RuleMeta {
    id: "tokio_main_on_helper",
    summary: "`#[tokio::main]` on a function that is not the program's `main`",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

const TOKIO_PANIC: &str = "Cannot start a runtime from within a runtime. This happens because a function (like `block_on`) attempted to block the current thread while the thread is being used to drive asynchronous tasks. If you are in an async function, use `.await` on the future instead of blocking on it.";

impl Rule for TokioMainOnHelper {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::FN]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        let Some(f) = ast::Fn::cast(node.clone()) else {
            return Gate::No;
        };
        Gate::when(
            !is_program_main(cx, &f)
                && cx
                    .model
                    .runtime_entry(&f)
                    .is_some_and(|e| e.attr == "tokio::main"),
        )
    }

    /// It reports only functions under `#[tokio::main]`.
    fn file_words(&self) -> &'static [&'static str] {
        &["main"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some(f) = ast::Fn::cast(node.clone()) else {
            return;
        };
        let graph = cx.model.graph();
        let Some(id) = graph.fn_at(cx.model.file_id(), node.text_range().start()) else {
            return;
        };
        let info = &graph.fns[id];
        let Some(entry) = info.entry.as_ref().filter(|e| e.attr == "tokio::main") else {
            return;
        };
        let in_library = in_library(cx);
        if is_program_main(cx, &f) {
            return;
        }
        let calls: Vec<_> = graph.callers_of(id).collect();
        // Calls that run on an async task: in async code, or in a sync function async code calls.
        let from_async: Vec<_> = calls
            .iter()
            .filter(|e| match e.context {
                SiteContext::Async => true,
                SiteContext::Direct => graph.async_chain(e.caller).is_some(),
                SiteContext::OffThread | SiteContext::Deferred => false,
            })
            .collect();
        if from_async.is_empty() && !in_library {
            return;
        }
        let name = info.display();
        let mut labels = vec![Label {
            range: info.name_range,
            message: format!("`{name}` builds a runtime at every call"),
        }];
        for e in &from_async {
            if graph.fns[e.caller].file == cx.model.file_id() {
                labels.push(Label {
                    range: e.call,
                    message: "called here from async code".to_owned(),
                });
            }
        }
        let mut notes = vec![format!(
            "`#[tokio::main]` makes `{name}` a sync function that builds a runtime and blocks on it; from \
             async code this panics at run time: \"{TOKIO_PANIC}\""
        )];
        let sync_calls: Vec<_> = calls.iter().filter(|e| !e.awaitable).collect();
        for e in &sync_calls {
            let caller = &graph.fns[e.caller];
            notes.push(format!(
                "no fix: `{}` ({}) calls it where `.await` cannot be written",
                caller.display(),
                graph.location(e.caller)
            ));
        }
        let fix = sync_calls.is_empty().then(|| {
            let range = common::statement_deletion(cx.file.text(), entry.range);
            let mut edits = vec![Edit::replace(cx.file.path.clone(), range, "")];
            for e in &calls {
                let path = graph.paths[graph.fns[e.caller].file].clone();
                edits.push(Edit::replace(
                    path,
                    TextRange::empty(e.call.end()),
                    ".await",
                ));
            }
            let configured = entry.args_start.is_some();
            let applicability = if info.is_pub || configured {
                Applicability::Unsafe
            } else {
                Applicability::Safe
            };
            Fix::new(
                format!(
                    "remove `#[tokio::main]` and `.await` `{name}` at its {} call(s)",
                    calls.len()
                ),
                applicability,
                edits,
            )
        });
        out.push(Diagnostic {
            rule: META.id,
            severity: if from_async.is_empty() {
                Severity::Warning
            } else {
                META.severity
            },
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range: entry.range,
            primary_label: Some(format!("`{name}` is not the program's `main`")),
            labels,
            notes,
            helps: vec![format!("make `{name}` a plain `async fn` and `.await` it")],
            fix,
        });
    }
}

/// Whether the file belongs to a library target.
fn in_library(cx: &RuleContext<'_>) -> bool {
    cx.file.owners.iter().any(|o| o.kind == Kind::Lib)
}

/// Whether `f` is a program's `main` (`#[tokio::main]` belongs there).
fn is_program_main(cx: &RuleContext<'_>, f: &ast::Fn) -> bool {
    f.name().is_some_and(|n| n.text() == "main") && !in_library(cx)
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "tokio_main_on_helper";

    #[test]
    fn helper_called_from_async_code_becomes_async() {
        let before = "#[tokio::main]\nasync fn fetch() -> u32 {\n    1\n}\n\n#[tokio::main]\nasync fn main() {\n    let n = fetch();\n    println!(\"{}\", fetch() + n);\n}\n";
        let after = "async fn fetch() -> u32 {\n    1\n}\n\n#[tokio::main]\nasync fn main() {\n    let n = fetch().await;\n    println!(\"{}\", fetch().await + n);\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), after);
    }

    #[test]
    fn sync_callers_block_the_fix_and_pub_makes_it_unsafe() {
        let code = "#[tokio::main]\nasync fn fetch() -> u32 { 1 }\nfn sync_caller() -> u32 { fetch() }\nasync fn a() { sync_caller(); }\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 1);
        assert!(found[0].fix.is_none());
        assert!(
            found[0]
                .notes
                .iter()
                .any(|n| n.contains("`sync_caller` (lib.rs:3) calls it"))
        );
        let public =
            "#[tokio::main]\npub async fn fetch() -> u32 { 1 }\nasync fn a() { fetch(); }\n";
        assert_eq!(fix_text(public, &[RULE], false), public);
        assert_eq!(
            fix_text(public, &[RULE], true),
            "pub async fn fetch() -> u32 { 1 }\nasync fn a() { fetch().await; }\n"
        );
    }

    #[test]
    fn silent_on_main_and_on_helpers_only_sync_code_calls() {
        let code = "#[tokio::main]\nasync fn main() {}\n#[tokio::main]\nasync fn helper() {}\nfn sync_entry() { helper(); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
