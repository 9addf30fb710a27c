//! `unobserved_task_error`: a spawned task that returns a `Result` nobody looks at.

use ra_ap_syntax::{SyntaxKind, SyntaxNode};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::semantic::tasks::{HandleFate, SpawnKind};

pub struct UnobservedTaskError;

pub const DOCS: &str = r#"## What it does
Finds a spawned task (`tokio::spawn`, `spawn_local`, `rt.spawn`) whose future returns a `Result`
(an async block ending in `Ok(..)`/`Err(..)` or using `?`, or an async function of the file
declared to return a `Result`) when its `JoinHandle` is dropped (`tokio::spawn(..);`,
`let _ = ..`, a handle never used) or joined with the result thrown away (`let _ = handle.await;`).
A detached task that returns `()` (`let _ = tokio::spawn(async { .. })`) is a deliberate
fire-and-forget and is not reported (clippy's `let_underscore_future` gets this wrong,
rust-clippy#9932).

## Why is this bad?
The task's `Err` goes nowhere: no log, no exit code, no panic. A background job fails and the
program carries on as if it had worked. It is Python's "Task exception was never retrieved",
without even the warning. A panic inside a detached task is only printed, never propagated.

## Example
```rust
async fn sync_users() -> Result<(), std::io::Error> {
    Ok(())
}

#[tokio::main]
async fn main() {
    tokio::spawn(sync_users());
    serve().await;
}
```

## Use instead
```rust
async fn sync_users() -> Result<(), std::io::Error> {
    Ok(())
}

#[tokio::main]
async fn main() {
    tokio::spawn(async {
        if let Err(error) = sync_users().await {
            eprintln!("user sync failed: {error}");
        }
    });
    serve().await;
}
```

## Fix safety
No automatic fix: whether to propagate the error (`handle.await??`) or log it inside the task is
the program's decision.

## Known problems
Tasks whose output type is not evident (a call of a function from another file, a closure
variable) are not reported.
"#;

static META: RuleMeta = RuleMeta {
    id: "unobserved_task_error",
    summary: "spawned task's error is never looked at",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    docs: DOCS,
};

impl Rule for UnobservedTaskError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::CALL_EXPR, SyntaxKind::METHOD_CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        Gate::when(cx.model.spawn(node).is_some_and(|spawn| {
            spawn.kind != SpawnKind::JoinSet && cx.model.task_returns_result(&spawn.future)
        }))
    }

    /// It reports only `spawn` and `spawn_local` calls.
    fn file_words(&self) -> &'static [&'static str] {
        &["spawn", "spawn_local"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some(spawn) = cx.model.spawn(node) else {
            return;
        };
        if spawn.kind == SpawnKind::JoinSet || !cx.model.task_returns_result(&spawn.future) {
            return;
        }
        let (label, labels) = match cx.model.handle_fate(node) {
            HandleFate::Dropped(_) | HandleFate::Unused(_) => (
                "its handle is dropped: the task's `Result` goes nowhere",
                Vec::new(),
            ),
            HandleFate::JoinIgnored { ignored, .. } => (
                "its `Result` is thrown away where it is joined",
                vec![Label {
                    range: ignored.text_range(),
                    message: "joined here, and the result ignored".to_owned(),
                }],
            ),
            HandleFate::Kept => return,
        };
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range: spawn.callee,
            primary_label: Some(label.to_owned()),
            labels,
            notes: vec![
                "an `Err` from the task (or a panic in it) is silently lost: the program carries on as if the work \
                 had succeeded"
                    .to_owned(),
            ],
            helps: vec![
                "await the handle and handle both layers (`handle.await??` in a function returning `Result`), or \
                 log the error inside the task"
                    .to_owned(),
            ],
            fix: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::check_text;

    const RULE: &str = "unobserved_task_error";

    #[test]
    fn dropped_or_ignored_results_of_tasks() {
        let code = "async fn sync_users() -> Result<(), std::io::Error> { Ok(()) }\nasync fn a() {\n    tokio::spawn(sync_users());\n    let _ = tokio::spawn(async move { let n = parse()?; Ok::<_, std::io::Error>(n) });\n    let h = tokio::spawn(async { Err::<(), _>(\"no\") });\n    let _ = h.await;\n}\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(
            found[2].labels[0].message,
            "joined here, and the result ignored"
        );
    }

    #[test]
    fn silent_for_unit_tasks_and_observed_results() {
        let code = "async fn sync_users() -> Result<(), std::io::Error> { Ok(()) }\nasync fn a() -> Result<(), Box<dyn std::error::Error>> {\n    let _ = tokio::spawn(async { tick().await });\n    tokio::spawn(async { if let Err(e) = sync_users().await { eprintln!(\"{e}\"); } });\n    let h = tokio::spawn(sync_users());\n    h.await??;\n    let j = tokio::spawn(sync_users());\n    if let Err(e) = j.await? { eprintln!(\"{e}\"); }\n    Ok(())\n}\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
