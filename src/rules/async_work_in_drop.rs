//! `async_work_in_drop`: runtime work in `Drop::drop`, which runs wherever the value dies.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasArgList},
};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::semantic::{ExecContext, SyncContext};

pub struct AsyncWorkInDrop;

pub const DOCS: &str = r#"## What it does
Finds `tokio::spawn`, `tokio::task::spawn`, `Handle::current()` and `block_on` (of any executor)
written directly in a `Drop::drop` implementation.

## Why is this bad?
A value is dropped wherever its last owner lets go of it: after the runtime has shut down (at the
end of `main`, in a test's teardown), or on a runtime worker. `tokio::spawn` and
`Handle::current()` then panic with "there is no reactor running, must be called from the context
of a Tokio 1.x runtime", and `block_on` on a worker panics with "Cannot start a runtime from
within a runtime"; a panic in `drop` while unwinding aborts the process.

## Example
```rust
struct Connection;

impl Drop for Connection {
    fn drop(&mut self) {
        tokio::spawn(async {});
    }
}
```

## Use instead
```rust
struct Connection;

impl Drop for Connection {
    fn drop(&mut self) {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async {});
        }
    }
}
```

## Fix safety
`tokio::spawn(f);` as a statement becomes a spawn guarded by `Handle::try_current()`: unsafe,
because the work is now skipped when no runtime is running (it used to panic there). Other forms
get no fix: decide where the cleanup should run (an explicit `async fn close(self)` is the usual
answer).

## Known problems
Work reached from `drop` through other functions is not followed yet.
"#;

static META: RuleMeta = RuleMeta {
    id: "async_work_in_drop",
    summary: "runtime work in a `Drop` implementation",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

impl Rule for AsyncWorkInDrop {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::CALL_EXPR, SyntaxKind::METHOD_CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        Gate::when(runtime_work(cx, node).is_some() && in_drop(cx, node))
    }

    /// It reports only in `Drop::drop`, whose `impl` names the trait `Drop` (`impl Drop for ..`,
    /// `impl std::ops::Drop for ..`): many more files call `drop(x)`.
    fn file_words(&self) -> &'static [&'static str] {
        &["Drop"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        // What the call is first (most calls are none of these), then where it runs.
        let Some(found) = runtime_work(cx, node) else {
            return;
        };
        if !in_drop(cx, node) {
            return;
        }
        let (range, what, panic, spawn) = found;
        let fix = spawn.and_then(|call| guarded_spawn(cx, &call));
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: format!("{what} in `Drop::drop`"),
            path: cx.file.path.clone(),
            range,
            primary_label: Some("runs wherever the value is dropped".to_owned()),
            labels: Vec::new(),
            notes: vec![format!(
                "dropped after the runtime has shut down (or, for `block_on`, on one of its workers), this \
                 panics: \"{panic}\"; a panic in `drop` during unwinding aborts the process"
            )],
            helps: vec![
                "guard it with `tokio::runtime::Handle::try_current()`, or do the cleanup in an explicit \
                 `async fn close(self)`"
                    .to_owned(),
            ],
            fix,
        });
    }
}

/// The runtime work `node` does: `block_on`, `tokio::spawn` (with its call, for the fix) or
/// `Handle::current()`; where, what, and the panic it causes.
type RuntimeWork = (
    ra_ap_syntax::TextRange,
    &'static str,
    &'static str,
    Option<ast::CallExpr>,
);

fn runtime_work(cx: &RuleContext<'_>, node: &SyntaxNode) -> Option<RuntimeWork> {
    let panic =
        "there is no reactor running, must be called from the context of a Tokio 1.x runtime";
    if let Some(b) = cx.model.block_on(node) {
        return Some((
            b.callee_range,
            "`block_on`",
            "Cannot start a runtime from within a runtime",
            None,
        ));
    }
    let call = ast::CallExpr::cast(node.clone())?;
    let ast::Expr::PathExpr(pe) = call.expr()? else {
        return None;
    };
    let path = pe.path()?;
    match cx.model.resolve_path(&path).as_deref() {
        Some("tokio::spawn" | "tokio::task::spawn") => Some((
            path.syntax().text_range(),
            "`tokio::spawn`",
            panic,
            Some(call),
        )),
        Some("tokio::runtime::Handle::current") => Some((
            path.syntax().text_range(),
            "`Handle::current()`",
            panic,
            None,
        )),
        _ => None,
    }
}

/// Whether `node` runs in `Drop::drop`.
fn in_drop(cx: &RuleContext<'_>, node: &SyntaxNode) -> bool {
    matches!(
        cx.model.exec_context(node),
        ExecContext::Sync(SyncContext::Fn { is_drop: true, .. })
    )
}

/// `tokio::spawn(f);` -> `if let Ok(handle) = Handle::try_current() { handle.spawn(f); }`.
fn guarded_spawn(cx: &RuleContext<'_>, call: &ast::CallExpr) -> Option<Fix> {
    let stmt = call.syntax().parent().and_then(ast::ExprStmt::cast)?;
    stmt.semicolon_token()?;
    let future = call.arg_list()?.args().next()?;
    let content = format!(
        "if let Ok(handle) = tokio::runtime::Handle::try_current() {{\n{indent}    handle.spawn({});\n{indent}}}",
        // The future moves one level deeper: so do its continuation lines.
        future.syntax().text().to_string().replace('\n', "\n    "),
        indent = common::indentation_at(cx.file.text(), stmt.syntax().text_range().start()),
    );
    Some(Fix::new(
        "spawn only when a runtime is running (`Handle::try_current()`)",
        Applicability::Unsafe,
        vec![Edit::replace(
            cx.file.path.clone(),
            stmt.syntax().text_range(),
            content,
        )],
    ))
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "async_work_in_drop";

    #[test]
    fn spawn_in_drop_is_guarded() {
        let before = "struct C;\nimpl Drop for C {\n    fn drop(&mut self) {\n        tokio::spawn(async {});\n    }\n}\n";
        let after = "struct C;\nimpl Drop for C {\n    fn drop(&mut self) {\n        if let Ok(handle) = tokio::runtime::Handle::try_current() {\n            handle.spawn(async {});\n        }\n    }\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), before, "unsafe");
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn handle_current_and_block_on_are_reported() {
        let code = "struct C(tokio::runtime::Runtime);\nimpl Drop for C {\n    fn drop(&mut self) {\n        let h = tokio::runtime::Handle::current();\n        self.0.block_on(async {});\n    }\n}\n";
        assert_eq!(check_text(code, &[RULE]).len(), 2);
    }

    #[test]
    fn silent_outside_drop_and_with_try_current() {
        let code = "struct C;\nimpl Drop for C {\n    fn drop(&mut self) {\n        if let Ok(h) = tokio::runtime::Handle::try_current() { h.spawn(async {}); }\n    }\n}\nimpl C { fn drop(&self) { tokio::spawn(async {}); } }\nfn other() { tokio::spawn(async {}); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
