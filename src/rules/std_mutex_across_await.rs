//! `std_mutex_across_await`: a `std::sync::Mutex`/`RwLock` guard (or a `RefCell` borrow) alive
//! across an `.await`.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasLoopBody, HasName},
};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::ExecContext;
use crate::semantic::guards::Guard;

pub struct StdMutexAcrossAwait;

pub const DOCS: &str = r#"## What it does
Finds a guard of a blocking lock (`std::sync::Mutex`, `std::sync::RwLock`, parking_lot's) or a
`RefCell` borrow that is still alive when its async code reaches an `.await`: bound with `let` and
not dropped before the `.await`, or a temporary in a `match`, `if let` or `while let` scrutinee
whose body awaits. A guard dropped before the `.await` (`drop(guard)`, or its block ends) is fine,
unlike clippy's `await_holding_lock` (rust-clippy#6446, #9208). No compiling needed.

## Why is this bad?
While the task is suspended at the `.await` it still holds the lock. Any other task that locks it
blocks its thread; on a current-thread runtime (`#[tokio::test]`, `LocalSet`) that is the thread
the first task needs to resume: a deadlock. On a multi-thread runtime the future is not `Send`,
so `tokio::spawn` rejects it ("future cannot be sent between threads safely"). A `RefCell` borrow
held across `.await` makes another task's borrow panic ("already borrowed").

## Example
```rust
async fn bump(counter: &std::sync::Mutex<u32>) {
    let mut n = counter.lock().unwrap();
    *n += 1;
    tokio::task::yield_now().await;
}
```

## Use instead
```rust
async fn bump(counter: &std::sync::Mutex<u32>) {
    let mut n = counter.lock().unwrap();
    *n += 1;
    drop(n);
    tokio::task::yield_now().await;
}
```

A function (or impl, module, file) with `#[allow(clippy::await_holding_lock)]` (or
`await_holding_refcell_ref`) is not reported: the team has said it is deliberate.

## Fix safety
When the guard is used, but not from the statement that awaits onward, the fix drops it just
before that statement (`drop(guard);`): safe, the lock is only released earlier, when nothing uses
it. A guard that is never used (`let _guard = m.lock()..`) holds the lock on purpose: no fix.
When it is used after the `.await`, there is no automatic fix: use `tokio::sync::Mutex`, whose
guard may be held across `.await`, or restructure so the lock is taken after. A guard in a
`match`/`if let` scrutinee gets no fix either: bind the value first.

## Known problems
A guard moved somewhere (into a function or a struct) is not followed. Locks reached through
values whose type is not evident are recognised only in their `std` shape
(`x.lock().unwrap()`).
"#;

static META: RuleMeta = RuleMeta {
    id: "std_mutex_across_await",
    summary: "blocking lock guard held across an await",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

impl Rule for StdMutexAcrossAwait {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[
            SyntaxKind::LET_STMT,
            SyntaxKind::MATCH_EXPR,
            SyntaxKind::IF_EXPR,
            SyntaxKind::WHILE_EXPR,
        ]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        Gate::when(guard_held(cx, node).is_some() && in_async_body(cx, node))
    }

    /// It reports only where an `.await` follows the guard.
    fn file_words(&self) -> &'static [&'static str] {
        &["await"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        // A guard held across an `.await` first (most statements take none), then where: only
        // the async body itself, where `.await` is written.
        let Some(found) = guard_held(cx, node) else {
            return;
        };
        if !in_async_body(cx, node) {
            return;
        }
        // clippy's twins, allowed on purpose.
        if cx.model.allows_lint(node, "clippy::await_holding_lock")
            || cx
                .model
                .allows_lint(node, "clippy::await_holding_refcell_ref")
        {
            return;
        }
        out.push(found);
    }
}

/// A guard that `node` (a `let`, or the scrutinee of a `match`, `if let`, `while let`) takes and
/// holds across an `.await`: the finding.
fn guard_held(cx: &RuleContext<'_>, node: &SyntaxNode) -> Option<Diagnostic> {
    match ast::LetStmt::cast(node.clone()) {
        Some(stmt) => bound_guard(cx, &stmt),
        None => scrutinee_guard(cx, node),
    }
}

/// Whether `node` is in the async body itself, where `.await` is written (not in a closure).
fn in_async_body(cx: &RuleContext<'_>, node: &SyntaxNode) -> bool {
    matches!(cx.model.exec_context(node), ExecContext::Async(c) if !c.through_closure)
}

/// The first `.await` of the same future in `within`, after `after`.
fn first_await(
    cx: &RuleContext<'_>,
    within: &SyntaxNode,
    after: ra_ap_syntax::TextSize,
) -> Option<SyntaxNode> {
    cx.model.nodes_within(within).find(|n| {
        n.kind() == SyntaxKind::AWAIT_EXPR
            && n.text_range().start() >= after
            && cx.model.in_same_body(n, within)
    })
}

fn notes(guard: Guard) -> Vec<String> {
    vec![match guard {
        Guard::RefCell => {
            "while the task is suspended the borrow stays alive: another task's borrow panics (\"already borrowed\")"
                .to_owned()
        }
        _ => "while the task is suspended it still holds the lock: a task that locks it blocks the thread, which \
              deadlocks a current-thread runtime; the future is also not `Send`, so `tokio::spawn` rejects it"
            .to_owned(),
    }]
}

/// `let guard = m.lock().unwrap(); .. x.await;` with `guard` alive at the `.await`.
fn bound_guard(cx: &RuleContext<'_>, stmt: &ast::LetStmt) -> Option<Diagnostic> {
    let guard = cx.model.guard_taken(&stmt.initializer()?)?;
    let ast::Pat::IdentPat(pat) = stmt.pat()? else {
        return None;
    };
    let name = pat.name()?;
    let block = stmt.syntax().parent()?;
    let uses = cx.model.binding_uses(stmt, name.text().as_ref());
    if uses.moved && !uses.dropped_explicitly {
        return None;
    }
    let await_expr = first_await(cx, &block, stmt.syntax().text_range().end())?;
    let at = await_expr.text_range().start();
    if uses.dropped_at.is_some_and(|d| d.end() <= at) {
        return None;
    }
    // A guard never used holds the lock on purpose (`let _guard = ..`): releasing it earlier
    // would defeat it.
    let exclusion_only = uses.uses.is_empty();
    let fix = (!exclusion_only)
        .then(|| drop_before(cx, &block, &await_expr, name.text(), &uses.uses))
        .flatten();
    let mut helps = Vec::new();
    if exclusion_only {
        helps.push(
            "the guard only holds the lock: if it must exclude other tasks during the `.await`, use \
             `tokio::sync::Mutex`"
                .to_owned(),
        );
    }
    if fix.is_none() && !exclusion_only && guard != Guard::RefCell {
        let lock = if guard == Guard::StdRwLock {
            "tokio::sync::RwLock"
        } else {
            "tokio::sync::Mutex"
        };
        helps.push(format!(
            "the guard is used after the `.await`: use `{lock}` (its guard may be held across `.await`), or take \
             the lock again after it"
        ));
    }
    Some(Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: META.summary.to_owned(),
        path: cx.file.path.clone(),
        range: name.syntax().text_range(),
        primary_label: Some(format!(
            "this {} is alive until the end of its block",
            guard.type_name()
        )),
        labels: vec![Label {
            range: await_expr.text_range(),
            message: "the task is suspended here while holding it".to_owned(),
        }],
        notes: notes(guard),
        helps,
        fix,
    })
}

/// `drop(guard);` before the statement of `block` holding `await_expr`, when no use of `guard`
/// comes from that statement on.
fn drop_before(
    cx: &RuleContext<'_>,
    block: &SyntaxNode,
    await_expr: &SyntaxNode,
    name: &str,
    uses: &[SyntaxNode],
) -> Option<Fix> {
    let statement = cx
        .model
        .ancestors(await_expr)
        .find(|a| a.parent().as_ref() == Some(block))?;
    let start = statement.text_range().start();
    if uses.iter().any(|u| u.text_range().start() >= start) {
        return None;
    }
    // The statement must start its own line, to put the `drop` on the line above.
    let text = cx.file.text();
    let line_start = text[..usize::from(start)].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..usize::from(start)].trim().is_empty() {
        return None;
    }
    let indent = common::indentation_at(text, start);
    Some(Fix::new(
        format!("drop `{name}` before the `.await`"),
        Applicability::Safe,
        vec![Edit::insert(
            cx.file.path.clone(),
            start,
            format!("drop({name});\n{indent}"),
        )],
    ))
}

/// `match m.lock().unwrap().get(..) { .. => x.await }`: the scrutinee's temporary guard lives
/// through the whole `match` (and an `if let`/`while let` body).
fn scrutinee_guard(cx: &RuleContext<'_>, node: &SyntaxNode) -> Option<Diagnostic> {
    let (scrutinee, body): (ast::Expr, SyntaxNode) =
        if let Some(m) = ast::MatchExpr::cast(node.clone()) {
            (m.expr()?, m.match_arm_list()?.syntax().clone())
        } else if let Some(i) = ast::IfExpr::cast(node.clone()) {
            let ast::Expr::LetExpr(l) = i.condition()? else {
                return None;
            };
            (l.expr()?, i.then_branch()?.syntax().clone())
        } else {
            let w = ast::WhileExpr::cast(node.clone())?;
            let ast::Expr::LetExpr(l) = w.condition()? else {
                return None;
            };
            (l.expr()?, w.loop_body()?.syntax().clone())
        };
    // The guard is taken somewhere in the scrutinee's receiver chain.
    let (lock, guard) = scrutinee
        .syntax()
        .descendants()
        .filter_map(ast::Expr::cast)
        .find_map(|e| cx.model.guard_taken(&e).map(|g| (e, g)))?;
    let await_expr = first_await(cx, &body, body.text_range().start())?;
    Some(Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: META.summary.to_owned(),
        path: cx.file.path.clone(),
        range: lock.syntax().text_range(),
        primary_label: Some(format!(
            "this temporary {} lives until the end of the `{}`",
            guard.type_name(),
            node.first_token().map_or("match".to_owned(), |t| t.text().to_owned())
        )),
        labels: vec![Label {
            range: await_expr.text_range(),
            message: "the task is suspended here while holding it".to_owned(),
        }],
        notes: notes(guard),
        helps: vec!["bind the value in a `let` before, so the guard is dropped at the end of that statement".to_owned()],
        fix: None,
    })
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "std_mutex_across_await";

    #[test]
    fn a_guard_alive_at_an_await_is_dropped_before_it() {
        let before = "async fn bump(counter: &std::sync::Mutex<u32>) {\n    let mut n = counter.lock().unwrap();\n    *n += 1;\n    tokio::task::yield_now().await;\n}\n";
        let after = "async fn bump(counter: &std::sync::Mutex<u32>) {\n    let mut n = counter.lock().unwrap();\n    *n += 1;\n    drop(n);\n    tokio::task::yield_now().await;\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), after);
    }

    #[test]
    fn a_guard_used_after_the_await_is_reported_without_fix() {
        let code = "async fn bump(state: std::sync::Arc<std::sync::Mutex<Vec<u32>>>) {\n    let mut v = state.lock().unwrap();\n    let x = fetch().await;\n    v.push(x);\n}\nasync fn scan(c: &std::cell::RefCell<Vec<u8>>) {\n    if let Some(b) = c.borrow_mut().pop() {\n        send(b).await;\n    }\n}\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|d| d.fix.is_none()));
        assert!(found[0].helps[0].contains("tokio::sync::Mutex"));
    }

    #[test]
    fn an_exclusion_guard_is_not_dropped_and_clippy_allows_are_honoured() {
        let code = "static ENV: std::sync::Mutex<()> = std::sync::Mutex::new(());\nasync fn a() {\n    let _guard = ENV.lock().unwrap();\n    x().await;\n}\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 1);
        assert!(found[0].fix.is_none());
        let allowed = format!(
            "#[allow(clippy::await_holding_lock)]\n{}",
            &code[code.find("async fn").unwrap()..]
        );
        let allowed =
            format!("static ENV: std::sync::Mutex<()> = std::sync::Mutex::new(());\n{allowed}");
        assert_eq!(check_text(&allowed, &[RULE]), vec![]);
    }

    #[test]
    fn silent_when_dropped_scoped_temporary_or_async_lock() {
        let code = "async fn a(m: &std::sync::Mutex<u32>) {\n    let g = m.lock().unwrap();\n    drop(g);\n    x().await;\n    {\n        let g = m.lock().unwrap();\n        use_it(&g);\n    }\n    y().await;\n    let v = *m.lock().unwrap();\n    z(v).await;\n    let _ = m.lock().unwrap();\n    w().await;\n}\nasync fn b(m: &tokio::sync::Mutex<u32>) {\n    let g = m.lock().await;\n    x().await;\n}\nasync fn c(m: &std::sync::Mutex<u32>) {\n    let g = m.lock().unwrap();\n    tokio::spawn(async move { x().await });\n}\nfn d(m: &std::sync::Mutex<u32>) {\n    let g = m.lock().unwrap();\n    let f = async { x().await };\n}\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
