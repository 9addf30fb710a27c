//! `runtime_dropped_in_async`: a Tokio runtime built in async code and dropped there.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::calls::RuntimeConstruction;
use crate::semantic::flow::Destination;

pub struct RuntimeDroppedInAsync;

pub const DOCS: &str = r#"## What it does
Finds a Tokio runtime (`Runtime::new()`, `Builder::new_*()...build()`) built inside async code
and dropped there: bound to a variable that goes out of scope (or is passed to `drop`), or used as
a temporary (`Runtime::new().unwrap().spawn(f)`). It also finds a sync function that builds and
drops a runtime when async code calls it, directly or through other functions in the workspace, and
shows the call chain.

A runtime that is moved away (returned, passed by value, captured by a `move` closure, stored in a
struct or a static) may be dropped elsewhere and is not reported, nor one shut down with
`shutdown_background()` or `shutdown_timeout(..)`. A runtime used only as
`Runtime::new().unwrap().block_on(f)` is reported by `nested_block_on`, which panics first.

## Why is this bad?
Dropping a runtime waits for its worker threads, which is blocking. Tokio forbids it on a thread
that drives async tasks and panics at run time: "Cannot drop a runtime in a context where blocking
is not allowed. This happens when a runtime is dropped from within an asynchronous context."

## Example
```rust
#[tokio::main]
async fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.spawn(async {});
}
```

## Use instead
```rust
#[tokio::main]
async fn main() {
    tokio::spawn(async {});
}
```

## Fix safety
When the runtime is bound to a variable that is not used any more (typically after
`nested_block_on` turned `rt.block_on(f)` into `f.await`), the `let` is removed: safe, since
building a runtime has no other effect. It is unsafe when the construction uses `?` (an error
return disappears) or the removed text holds a comment.

When the runtime is still used, the fix moves the work off the async task: the `let` and the rest
of its block run in `tokio::task::spawn_blocking(move || { .. }).await.unwrap()`, where a runtime
may be built and dropped. It is unsafe (the code now runs on another thread, after the task yields),
and offered only when that code awaits nothing, does not `return`, `?`, `break` or `continue`, and
uses no variable bound before it (so the closure owns everything it uses). Otherwise, build the
runtime once outside async code (in a sync `main`, or a struct owned by it).

## Known problems
A runtime moved into an `async move` block or a spawned task is not reported, though it may still
be dropped on a worker thread. Ownership is followed within one function only.
"#;

static META: RuleMeta = RuleMeta {
    id: "runtime_dropped_in_async",
    summary: "runtime dropped inside an async context",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

const TOKIO_PANIC: &str = "Cannot drop a runtime in a context where blocking is not allowed. This happens when a runtime is dropped from within an asynchronous context.";

impl Rule for RuntimeDroppedInAsync {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::METHOD_CALL_EXPR, SyntaxKind::CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        if cx.model.runtime_construction(node).is_none() {
            return Gate::No;
        }
        common::runs_on_the_task_gate(cx, node)
    }

    /// It reports only runtimes built here: `Runtime::new()` or a builder's `.build()`.
    fn file_words(&self) -> &'static [&'static str] {
        &["Runtime", "build"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some(construction) = cx.model.runtime_construction(node) else {
            return;
        };
        let Some((labels, chain_note)) = common::runs_on_the_task(cx, node, "Runtime::drop") else {
            return;
        };
        let in_async = chain_note.is_none();
        let Some(drop) = dropped_here(cx, &construction, in_async) else {
            return;
        };
        let mut notes = vec![format!("this panics at run time: \"{TOKIO_PANIC}\"")];
        notes.extend(chain_note);
        let mut all_labels = labels;
        all_labels.push(Label {
            range: drop.at,
            message: drop.label,
        });
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range: construction.callee_range,
            primary_label: Some("a runtime is built here".to_owned()),
            labels: all_labels,
            notes,
            helps: vec![
                "build the runtime once outside async code (in a sync `main`, or a struct it owns), \
                 or run the code that needs it in `tokio::task::spawn_blocking`"
                    .to_owned(),
            ],
            fix: drop.fix,
        });
    }
}

/// Where the runtime is dropped, when it is dropped in the function that builds it.
struct DropSite {
    at: TextRange,
    label: String,
    fix: Option<Fix>,
}

fn dropped_here(
    cx: &RuleContext<'_>,
    construction: &RuntimeConstruction,
    in_async: bool,
) -> Option<DropSite> {
    match cx.model.destination(&construction.call) {
        // `nested_block_on` reports this one; it panics before the drop.
        Destination::Receiver { method, .. } if method == "block_on" => None,
        Destination::Receiver { .. } => {
            let statement = construction
                .call
                .ancestors()
                .find(|a| a.kind() == SyntaxKind::EXPR_STMT || a.kind() == SyntaxKind::LET_STMT)?;
            let end = statement.text_range().end();
            Some(DropSite {
                at: TextRange::new(end - ra_ap_syntax::TextSize::from(1), end),
                label: "the temporary runtime is dropped at the end of this statement".to_owned(),
                fix: None,
            })
        }
        Destination::Bound {
            stmt,
            name,
            fallible,
        } => {
            let uses = cx.model.binding_uses(&stmt, &name);
            if uses.moved || uses.shut_down {
                return None;
            }
            let block = stmt.syntax().parent()?;
            let close = block
                .last_token()
                .filter(|t| t.kind() == SyntaxKind::R_CURLY)?;
            let fix = if !uses.uses.is_empty() {
                if in_async {
                    off_the_task(cx, &stmt)
                } else {
                    None
                }
            } else {
                Some({
                    let range =
                        common::statement_deletion(cx.file.text(), stmt.syntax().text_range());
                    let commented = common::has_comment_outside(
                        stmt.syntax(),
                        range,
                        TextRange::empty(range.start()),
                    );
                    let applicability = if fallible || commented {
                        Applicability::Unsafe
                    } else {
                        Applicability::Safe
                    };
                    Fix::new(
                        format!("remove the unused runtime `{name}`"),
                        applicability,
                        vec![Edit::replace(cx.file.path.clone(), range, "")],
                    )
                })
            };
            let label = if uses.dropped_explicitly {
                format!("`{name}` is dropped by `drop({name})`, and at the latest here")
            } else {
                format!("`{name}` is dropped here, still in async code")
            };
            Some(DropSite {
                at: close.text_range(),
                label,
                fix,
            })
        }
        Destination::Moved => None,
    }
}

/// "Move the work to `spawn_blocking`": the `let` of the runtime and everything after it in its
/// block run in `spawn_blocking(move || { .. }).await`, where building and dropping a runtime is
/// allowed. Only when that code awaits nothing, leaves the block by no other way (`return`, `?`,
/// `break`, `continue`) and uses no variable bound before it, so that the closure owns all it uses.
fn off_the_task(cx: &RuleContext<'_>, stmt: &ast::LetStmt) -> Option<Fix> {
    let list = ast::StmtList::cast(stmt.syntax().parent()?)?;
    let start = stmt.syntax().text_range().start();
    let end = list.r_curly_token()?.text_range().start();
    let region = TextRange::new(start, end);
    let tokio = cx.model.crate_name("tokio")?;
    if !common::closure_can_own(cx, list.syntax(), region) {
        return None;
    }
    let text = &cx.file.text()[std::ops::Range::<usize>::from(region)];
    let body = text.trim_end();
    let indent = common::indentation_at(cx.file.text(), start);
    let moved: String = body.replace('\n', "\n    ");
    let has_tail = list.tail_expr().is_some();
    let content = format!(
        "{tokio}::task::spawn_blocking(move || {{\n{indent}    {moved}\n{indent}}})\n{indent}.await\n{indent}.unwrap(){}\n{}",
        if has_tail { "" } else { ";" },
        &indent[..indent.len().saturating_sub(4)],
    );
    Some(Fix::new(
        "run the runtime and the code that uses it in `spawn_blocking`",
        Applicability::Unsafe,
        vec![Edit::replace(cx.file.path.clone(), region, content)],
    ))
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "runtime_dropped_in_async";

    #[track_caller]
    fn check_fix(before: &str, after: &str) {
        assert_eq!(fix_text(before, &[RULE], false), after);
    }

    #[track_caller]
    fn count(code: &str) -> usize {
        check_text(code, &[RULE]).len()
    }

    #[test]
    fn unused_runtime_in_async_fn_is_removed() {
        check_fix(
            "async fn f() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    work().await;\n}\n",
            "async fn f() {\n    work().await;\n}\n",
        );
    }

    #[test]
    fn with_nested_block_on_both_fixes_compose() {
        let before = "use tokio::runtime::Runtime;\n#[tokio::main]\nasync fn main() {\n    let rt = Runtime::new().unwrap();\n    let n = rt.block_on(work());\n}\n";
        let after = "use tokio::runtime::Runtime;\n#[tokio::main]\nasync fn main() {\n    let n = work().await;\n}\n";
        assert_eq!(fix_text(before, &["nested_block_on", RULE], false), after);
    }

    #[test]
    fn used_runtime_is_reported_and_only_moved_off_the_task_by_unsafe_fixes() {
        let code = "async fn f() {\n    let rt = tokio::runtime::Builder::new_multi_thread().build().unwrap();\n    rt.spawn(async {});\n}\n";
        assert_eq!(count(code), 1);
        assert_eq!(fix_text(code, &[RULE], false), code);
        assert!(fix_text(code, &[RULE], true).contains("spawn_blocking(move || {"));
        assert_eq!(
            count(
                "async fn f() {\n    tokio::runtime::Runtime::new().unwrap().spawn(async {});\n}\n"
            ),
            1
        );
        assert_eq!(
            count(
                "async fn f() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    drop(rt);\n}\n"
            ),
            1
        );
    }

    #[test]
    fn a_runtime_used_only_inside_a_macro_is_not_removed() {
        let code = "async fn f() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    println!(\"{:?}\", rt.handle());\n}\n";
        assert_eq!(check_text(code, &[RULE]).len(), 1);
        let fixed = fix_text(code, &[RULE], true);
        assert!(
            fixed.contains("let rt = tokio::runtime::Runtime::new().unwrap();"),
            "`rt` is still used in `println!`: {fixed}"
        );
    }

    #[test]
    fn the_runtime_and_its_work_move_to_spawn_blocking() {
        let before = "async fn f() {\n    work().await;\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.spawn(async { tick().await });\n    rt.block_on(async {});\n}\n";
        let after = "async fn f() {\n    work().await;\n    tokio::task::spawn_blocking(move || {\n        let rt = tokio::runtime::Runtime::new().unwrap();\n        rt.spawn(async { tick().await });\n        rt.block_on(async {});\n    })\n    .await\n    .unwrap();\n}\n";
        assert_eq!(fix_text(before, &[RULE], true), after);
        // Awaits after the runtime, or locals from before it: no fix.
        let awaits = "async fn f() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.spawn(async {});\n    work().await;\n}\n";
        assert_eq!(fix_text(awaits, &[RULE], true), awaits);
        let borrows = "async fn f(name: &str) {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.spawn(async {});\n    println!(\"{name}\");\n}\n";
        assert_eq!(fix_text(borrows, &[RULE], true), borrows);
    }

    #[test]
    fn question_mark_makes_the_removal_unsafe() {
        let code = "async fn f() -> std::io::Result<()> {\n    let rt = tokio::runtime::Runtime::new()?;\n    Ok(())\n}\n";
        assert_eq!(fix_text(code, &[RULE], false), code);
        assert_eq!(
            fix_text(code, &[RULE], true),
            "async fn f() -> std::io::Result<()> {\n    Ok(())\n}\n"
        );
    }

    #[test]
    fn through_a_sync_helper() {
        let code = "fn helper() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.spawn(async {});\n}\nasync fn handler() {\n    helper();\n}\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 1);
        assert!(found[0].notes.iter().any(|n| {
            n.contains("call chain: `handler` (async fn, lib.rs:5) -> `helper` (lib.rs:1)")
        }));
    }

    #[test]
    fn silent_where_the_runtime_is_not_dropped_in_async_code() {
        // Sync code, off-thread closures, runtimes moved away, `block_on` temporaries (reported by
        // `nested_block_on`), helpers only sync code calls.
        let code = "use tokio::runtime::Runtime;\nfn main() { let rt = Runtime::new().unwrap(); rt.block_on(async {}); }\nasync fn a() { tokio::task::spawn_blocking(|| { let rt = Runtime::new().unwrap(); rt.block_on(async {}) }); }\nasync fn b() -> Runtime { Runtime::new().unwrap() }\nasync fn c() { let rt = Runtime::new().unwrap(); keep(rt); }\nasync fn d() { let rt = Runtime::new().unwrap(); std::thread::spawn(move || rt.block_on(async {})); }\nasync fn e() { Runtime::new().unwrap().block_on(async {}); }\nstruct S { rt: Runtime }\nasync fn g() -> S { S { rt: Runtime::new().unwrap() } }\nasync fn h() { let rt = Runtime::new().unwrap(); rt.shutdown_background(); }\nfn sync_helper() { let rt = Runtime::new().unwrap(); rt.spawn(async {}); }\nfn entry() { sync_helper(); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
