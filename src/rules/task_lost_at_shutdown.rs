//! `task_lost_at_shutdown`: a spawned task left behind by a runtime scope that then ends, so the
//! runtime shuts down and cancels it; and a `JoinSet` dropped with its tasks, which aborts them.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasLoopBody, HasName},
};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::summary::RuntimeOwner;
use crate::semantic::tasks::{HandleFate, SpawnKind};

pub struct TaskLostAtShutdown;

pub const DOCS: &str = r#"## What it does
Finds a task spawned with `tokio::spawn` whose `JoinHandle` is dropped (`tokio::spawn(..);`,
`let _ = ..`, or a handle never used) in the body of `#[tokio::main]`, a `#[tokio::test]`, or an
async block driven by `block_on` on a runtime that ends with it, when nothing after the spawn in
that body awaits anything: the body returns right away and the runtime shuts down. Also a
`tokio::task::JoinSet` that tasks are spawned into but that is never drained (`join_next`,
`join_all`, `shutdown`): dropping it aborts every task in it. A server whose `main` spawns
background tasks and then awaits the server (or a loop of `accept().await`) is fine.

## Why is this bad?
When the runtime shuts down it cancels every task still running, at its next `.await`, without a
trace: the work is lost, half done, and a panic inside the task is never reported. On a
current-thread runtime (`#[tokio::test]`) a task spawned just before the end never runs at all.
It is Python's "Task was destroyed but it is pending!", without the warning.

## Example
```rust
#[tokio::main]
async fn main() {
    tokio::spawn(async {
        tokio::task::yield_now().await;
        println!("saved");
    });
}
```

## Use instead
```rust
#[tokio::main]
async fn main() {
    let task = tokio::spawn(async {
        tokio::task::yield_now().await;
        println!("saved");
    });
    task.await.unwrap();
}
```

## Fix safety
The fix keeps the handle and awaits it at the end of the body (`task.await.unwrap()`, which also
surfaces a panic in the task); for a spawn in a loop, the tasks go into a `JoinSet` that is
drained after the loop; an undrained `JoinSet` is drained at the end of its block. Unsafe: the
scope now waits for the tasks, which may take long or forever (a task meant to run until the
process exits).

## Known problems
Only the shapes above: a handle kept in a variable that is moved or stored is taken as looked
after. A task meant to run until cancelled (it loops around an `.await`, like a server, or awaits
`pending()`) is not reported. `runtime.spawn(..)` in sync code followed by `shutdown_background()`
is reported without a fix; `shutdown_timeout` is taken as deliberate.
"#;

static META: RuleMeta = RuleMeta {
    id: "task_lost_at_shutdown",
    summary: "spawned task cancelled when its runtime shuts down",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

impl Rule for TaskLostAtShutdown {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[
            SyntaxKind::CALL_EXPR,
            SyntaxKind::METHOD_CALL_EXPR,
            SyntaxKind::LET_STMT,
        ]
    }

    /// The check itself: all it asks is in the file (what becomes of the handle, where the
    /// runtime's scope ends, what awaits after), and spawns and `JoinSet`s are few.
    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        let mut found = Vec::new();
        self.check(cx, node, &mut found);
        Gate::when(!found.is_empty())
    }

    /// It reports only `spawn` calls and `JoinSet`s.
    fn file_words(&self) -> &'static [&'static str] {
        &["spawn", "JoinSet"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        if let Some(stmt) = ast::LetStmt::cast(node.clone()) {
            out.extend(undrained_join_set(cx, &stmt));
            return;
        }
        let Some(spawn) = cx.model.spawn(node) else {
            return;
        };
        // A task meant to run until cancelled (a server loop) ends with its runtime by design.
        if cx.model.task_runs_forever(&spawn.future) {
            return;
        }
        match spawn.kind {
            SpawnKind::Tokio => out.extend(lost_at_scope_end(cx, node, spawn.callee)),
            SpawnKind::Runtime => out.extend(shut_down_after_spawn(cx, node, spawn.callee)),
            SpawnKind::TokioLocal | SpawnKind::JoinSet => {}
        }
    }
}

/// The body whose end shuts the runtime down, around `node`: the body of a runtime entry, or an
/// async block given to `block_on` on a runtime built for it (or a local runtime used no more).
/// With a description for messages.
fn runtime_scope(cx: &RuleContext<'_>, node: &SyntaxNode) -> Option<(ast::StmtList, String)> {
    for anc in cx.model.ancestors(node).skip(1) {
        match anc.kind() {
            SyntaxKind::CLOSURE_EXPR => return None,
            SyntaxKind::FN => {
                let f = ast::Fn::cast(anc)?;
                let entry = cx.model.runtime_entry(&f)?;
                if !entry.attr.starts_with("tokio::") {
                    return None;
                }
                let name = f.name()?;
                return Some((
                    f.body()?.stmt_list()?,
                    format!(
                        "`{name}` (#[{}]) returns and its runtime shuts down",
                        entry.attr
                    ),
                ));
            }
            SyntaxKind::BLOCK_EXPR => {
                let block = ast::BlockExpr::cast(anc.clone())?;
                if block.async_token().is_none() {
                    continue;
                }
                // `rt.block_on(async { .. })`
                let call = anc.parent()?.parent()?;
                let b = cx.model.block_on(&call)?;
                if b.future.syntax() != &anc {
                    return None;
                }
                let ends = match cx.model.block_on_runtime(&call)? {
                    RuntimeOwner::Own => true,
                    RuntimeOwner::Static(_) => false,
                    // A local runtime not used after this `block_on`: dropped with its scope.
                    RuntimeOwner::Local(name) => {
                        let Some(crate::semantic::values::Binding::Let(stmt)) =
                            cx.model.binding(&call, &name)
                        else {
                            return None;
                        };
                        let uses = cx.model.binding_uses(&stmt, &name);
                        !uses.moved
                            && uses
                                .uses
                                .iter()
                                .all(|u| u.text_range().start() <= call.text_range().start())
                    }
                };
                if !ends {
                    return None;
                }
                return Some((
                    block.stmt_list()?,
                    "this `block_on` returns and its runtime is dropped".to_owned(),
                ));
            }
            _ => {}
        }
    }
    None
}

/// An `.await`, or a macro that awaits: `select!`, `join!`, `try_join!`, or one whose arguments
/// hold an `.await` (`assert_ok!(rx.await)`, not parsed as code).
fn awaits(node: &SyntaxNode) -> bool {
    match node.kind() {
        SyntaxKind::AWAIT_EXPR => true,
        SyntaxKind::MACRO_CALL => {
            let Some(call) = ast::MacroCall::cast(node.clone()) else {
                return false;
            };
            let name = call
                .path()
                .and_then(|p| p.segment()?.name_ref())
                .map(|n| n.text().to_string())
                .unwrap_or_default();
            matches!(name.as_str(), "select" | "join" | "try_join")
                || call.token_tree().is_some_and(|tt| {
                    tt.syntax()
                        .descendants_with_tokens()
                        .any(|t| t.kind() == SyntaxKind::AWAIT_KW)
                })
        }
        _ => false,
    }
}

/// Whether the body `list` awaits anything after `after`, or anywhere in a loop around `at`
/// (the loop comes back to it): then the body may live long enough.
fn awaits_later(
    cx: &RuleContext<'_>,
    list: &ast::StmtList,
    at: &SyntaxNode,
    after: TextSize,
) -> bool {
    let loops: Vec<TextRange> = cx
        .model
        .ancestors(at)
        .take_while(|a| a != list.syntax())
        .filter(|a| {
            matches!(
                a.kind(),
                SyntaxKind::LOOP_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::FOR_EXPR
            )
        })
        .map(|a| a.text_range())
        .collect();
    cx.model.nodes_within(list.syntax()).any(|n| {
        awaits(&n)
            && (n.text_range().start() >= after
                || loops.iter().any(|l| l.contains_range(n.text_range())))
            && cx.model.in_same_body(&n, list.syntax())
    })
}

fn lost_at_scope_end(
    cx: &RuleContext<'_>,
    node: &SyntaxNode,
    callee: TextRange,
) -> Option<Diagnostic> {
    let fate = cx.model.handle_fate(node);
    let statement = match &fate {
        HandleFate::Dropped(stmt) => stmt.syntax().clone(),
        HandleFate::Unused(stmt) => stmt.syntax().clone(),
        HandleFate::JoinIgnored { .. } | HandleFate::Kept => return None,
    };
    let (list, why) = runtime_scope(cx, node)?;
    if awaits_later(cx, &list, node, statement.text_range().end()) {
        return None;
    }
    Some(Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: META.summary.to_owned(),
        path: cx.file.path.clone(),
        range: callee,
        primary_label: Some("the task's handle is dropped: nothing waits for it".to_owned()),
        labels: vec![Label {
            range: list
                .r_curly_token()
                .map_or(list.syntax().text_range(), |t| t.text_range()),
            message: why,
        }],
        notes: vec![
            "nothing after the spawn awaits, so the body ends at once and the runtime cancels the task: its work is \
             lost, and a panic in it is never reported"
                .to_owned(),
        ],
        helps: vec!["keep the handle and `.await` it before the end (a `JoinSet` for several tasks)".to_owned()],
        fix: keep_and_await(cx, node, &fate, &statement, &list),
    })
}

/// A name not used in `scope`: `base`, else `base2`, `base3`...
fn fresh_name(scope: &SyntaxNode, base: &str) -> String {
    let taken = |n: &str| {
        scope
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .any(|t| t.kind() == SyntaxKind::IDENT && t.text() == n)
    };
    if !taken(base) {
        return base.to_owned();
    }
    (2..)
        .map(|i| format!("{base}{i}"))
        .find(|n| !taken(n))
        .expect("some name is free")
}

/// Where a statement goes at the end of `list` (after its last statement, before a tail
/// expression), and the indentation.
fn end_of(cx: &RuleContext<'_>, list: &ast::StmtList) -> Option<(TextSize, String, bool)> {
    let text = cx.file.text();
    if let Some(tail) = list.tail_expr() {
        let range = tail.syntax().text_range();
        let indent = common::indentation_at(text, range.start()).to_owned();
        // A loop or block at the end is a statement that returns `()`: after it. A value is
        // what the body returns: before it.
        let block_like = matches!(
            tail.syntax().kind(),
            SyntaxKind::FOR_EXPR
                | SyntaxKind::WHILE_EXPR
                | SyntaxKind::LOOP_EXPR
                | SyntaxKind::IF_EXPR
                | SyntaxKind::MATCH_EXPR
                | SyntaxKind::BLOCK_EXPR
        );
        return Some(if block_like {
            (range.end(), indent, false)
        } else {
            (range.start(), indent, true)
        });
    }
    let last = list.statements().last()?;
    let indent = common::indentation_at(text, last.syntax().text_range().start()).to_owned();
    Some((last.syntax().text_range().end(), indent, false))
}

/// The edit that adds `statement(indent)` as the last statement of `list`.
fn append(
    cx: &RuleContext<'_>,
    list: &ast::StmtList,
    statement: impl FnOnce(&str) -> String,
) -> Option<Edit> {
    let (end, indent, before_tail) = end_of(cx, list)?;
    let text = statement(&indent);
    Some(if before_tail {
        Edit::insert(cx.file.path.clone(), end, format!("{text}\n{indent}"))
    } else {
        Edit::insert(cx.file.path.clone(), end, format!("\n{indent}{text}"))
    })
}

/// Keep the handle and await it at the end of the body; in a loop, a `JoinSet` drained after it.
fn keep_and_await(
    cx: &RuleContext<'_>,
    node: &SyntaxNode,
    fate: &HandleFate,
    statement: &SyntaxNode,
    list: &ast::StmtList,
) -> Option<Fix> {
    let path = cx.file.path.clone();
    let text = cx.file.text();
    // The statement must start its own line.
    let start = statement.text_range().start();
    let line_start = text[..usize::from(start)].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..usize::from(start)].trim().is_empty() {
        return None;
    }
    let in_loop = cx
        .model
        .ancestors(node)
        .take_while(|a| a != list.syntax())
        .find(|a| {
            matches!(
                a.kind(),
                SyntaxKind::LOOP_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::FOR_EXPR
            )
        });
    if let Some(the_loop) = in_loop {
        // The loop is a statement of the body, and the spawn a statement of the loop's body.
        let loop_stmt = if the_loop.parent().as_ref() == Some(list.syntax()) {
            the_loop.clone()
        } else {
            the_loop
                .parent()
                .filter(|p| p.parent().as_ref() == Some(list.syntax()))?
        };
        let loop_body = match_loop_body(&the_loop)?;
        if statement.parent().as_ref() != Some(loop_body.syntax())
            || !matches!(fate, HandleFate::Dropped(_))
        {
            return None;
        }
        let tokio = cx.model.crate_name("tokio")?;
        let set = fresh_name(list.syntax(), "tasks");
        let callee = ast::CallExpr::cast(node.clone())?
            .expr()?
            .syntax()
            .text_range();
        let loop_start = loop_stmt.text_range().start();
        let loop_indent = common::indentation_at(text, loop_start).to_owned();
        let drain = format!(
            "\n{loop_indent}while let Some(task) = {set}.join_next().await {{\n{loop_indent}    task.unwrap();\n{loop_indent}}}"
        );
        return Some(Fix::new(
            "spawn into a `JoinSet` and drain it after the loop",
            Applicability::Unsafe,
            vec![
                Edit::insert(
                    path.clone(),
                    loop_start,
                    format!("let mut {set} = {tokio}::task::JoinSet::new();\n{loop_indent}"),
                ),
                Edit::replace(path.clone(), callee, format!("{set}.spawn")),
                Edit::insert(path, loop_stmt.text_range().end(), drain),
            ],
        ));
    }
    let (name, mut edits) = match fate {
        HandleFate::Dropped(ast::Stmt::ExprStmt(_)) => {
            let name = fresh_name(list.syntax(), "task");
            (
                name.clone(),
                vec![Edit::insert(path.clone(), start, format!("let {name} = "))],
            )
        }
        HandleFate::Dropped(ast::Stmt::LetStmt(l)) => {
            let name = fresh_name(list.syntax(), "task");
            let pat = l.pat()?.syntax().text_range();
            (name.clone(), vec![Edit::replace(path.clone(), pat, name)])
        }
        HandleFate::Unused(l) => {
            let ast::Pat::IdentPat(p) = l.pat()? else {
                return None;
            };
            (p.name()?.text().to_string(), Vec::new())
        }
        _ => return None,
    };
    edits.push(append(cx, list, |_| format!("{name}.await.unwrap();"))?);
    Some(Fix::new(
        "keep the task's handle and await it before the end",
        Applicability::Unsafe,
        edits,
    ))
}

fn match_loop_body(the_loop: &SyntaxNode) -> Option<ast::StmtList> {
    let body = if let Some(l) = ast::LoopExpr::cast(the_loop.clone()) {
        l.loop_body()
    } else if let Some(w) = ast::WhileExpr::cast(the_loop.clone()) {
        w.loop_body()
    } else {
        ast::ForExpr::cast(the_loop.clone())?.loop_body()
    };
    body?.stmt_list()
}

/// `rt.spawn(..)` (handle dropped) and then `rt.shutdown_background()` with no `block_on` in
/// between: the task is cancelled. (`shutdown_timeout` is a deliberate, bounded shutdown.)
fn shut_down_after_spawn(
    cx: &RuleContext<'_>,
    node: &SyntaxNode,
    callee: TextRange,
) -> Option<Diagnostic> {
    if !matches!(
        cx.model.handle_fate(node),
        HandleFate::Dropped(_) | HandleFate::Unused(_)
    ) {
        return None;
    }
    let mc = ast::MethodCallExpr::cast(node.clone())?;
    let ast::Expr::PathExpr(pe) = mc.receiver()? else {
        return None;
    };
    let name = pe.path()?.as_single_name_ref()?;
    let Some(crate::semantic::values::Binding::Let(stmt)) =
        cx.model.binding(node, name.text().as_ref())
    else {
        return None;
    };
    let uses = cx.model.binding_uses(&stmt, name.text().as_ref());
    let after: Vec<&SyntaxNode> = uses
        .uses
        .iter()
        .filter(|u| u.text_range().start() > node.text_range().end())
        .collect();
    let shutdown = after.iter().find_map(|u| {
        let m = ast::MethodCallExpr::cast(u.parent()?)?;
        let n = m.name_ref()?;
        matches!(n.text(), "shutdown_background" | "shutdown_timeout")
            .then(|| m.syntax().text_range())
    })?;
    // A `block_on` before the shutdown drives the runtime: the task may have finished.
    let driven = after.iter().any(|u| {
        u.text_range().start() < shutdown.start()
            && u.parent()
                .and_then(ast::MethodCallExpr::cast)
                .and_then(|m| m.name_ref())
                .is_some_and(|n| n.text() == "block_on")
    });
    if driven {
        return None;
    }
    Some(Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: META.summary.to_owned(),
        path: cx.file.path.clone(),
        range: callee,
        primary_label: Some("the task's handle is dropped: nothing waits for it".to_owned()),
        labels: vec![Label {
            range: shutdown,
            message: "the runtime shuts down here, cancelling it".to_owned(),
        }],
        notes: vec![
            "shutting the runtime down cancels its tasks at their next `.await`: the work is lost"
                .to_owned(),
        ],
        helps: vec!["keep the handle and `rt.block_on(handle)` before shutting down".to_owned()],
        fix: None,
    })
}

/// `let mut set = JoinSet::new();` whose only uses spawn into it: dropping it at the end of its
/// block aborts the tasks.
/// Whether `init` is `JoinSet::new()`.
fn builds_join_set(cx: &RuleContext<'_>, init: &ast::Expr) -> bool {
    cx.model
        .called_path(init.syntax())
        .is_some_and(|(_, resolved)| &*resolved == "tokio::task::JoinSet::new")
}

fn undrained_join_set(cx: &RuleContext<'_>, stmt: &ast::LetStmt) -> Option<Diagnostic> {
    let ast::Pat::IdentPat(pat) = stmt.pat()? else {
        return None;
    };
    let name = pat.name()?;
    let init = stmt.initializer()?;
    if !builds_join_set(cx, &init) {
        return None;
    }
    let uses = cx.model.binding_uses(stmt, name.text().as_ref());
    if uses.moved || uses.uses.is_empty() {
        return None;
    }
    let spawns_only = uses.uses.iter().all(|u| {
        u.parent()
            .and_then(ast::MethodCallExpr::cast)
            .and_then(|m| m.name_ref())
            .is_some_and(|n| {
                matches!(
                    n.text(),
                    "spawn" | "spawn_local" | "spawn_on" | "spawn_blocking"
                )
            })
    });
    if !spawns_only {
        return None;
    }
    // Spawned into from a `loop` with no `break`: the set is never dropped (a server's accept
    // loop keeps its connections' tasks).
    let forever = uses.uses.iter().any(|u| {
        cx.model
            .ancestors(u)
            .find(|a| a.kind() == SyntaxKind::LOOP_EXPR)
            .is_some_and(|l| {
                !l.descendants_with_tokens()
                    .any(|t| t.kind() == SyntaxKind::BREAK_KW)
            })
    });
    if forever {
        return None;
    }
    let list = ast::StmtList::cast(stmt.syntax().parent()?)?;
    let fix = drain_at_end(cx, &list, name.text());
    Some(Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: "`JoinSet` dropped with its tasks, which aborts them".to_owned(),
        path: cx.file.path.clone(),
        range: name.syntax().text_range(),
        primary_label: Some("tasks are spawned into this set, but nothing joins them".to_owned()),
        labels: list
            .r_curly_token()
            .map(|t| Label {
                range: t.text_range(),
                message: "the set is dropped here, aborting every task still in it".to_owned(),
            })
            .into_iter()
            .collect(),
        notes: vec!["dropping a `JoinSet` aborts all its tasks: their work is lost, their panics unreported".to_owned()],
        helps: vec!["drain it: `while let Some(task) = set.join_next().await { task.unwrap(); }`".to_owned()],
        fix,
    })
}

fn drain_at_end(cx: &RuleContext<'_>, list: &ast::StmtList, set: &str) -> Option<Fix> {
    // Only in async code, where `.await` can be written.
    if !matches!(cx.model.exec_context(list.syntax()), crate::semantic::ExecContext::Async(c) if !c.through_closure)
    {
        return None;
    }
    let drain = append(cx, list, |indent| {
        format!(
            "while let Some(task) = {set}.join_next().await {{\n{indent}    task.unwrap();\n{indent}}}"
        )
    })?;
    Some(Fix::new(
        format!("drain `{set}` before it is dropped"),
        Applicability::Unsafe,
        vec![drain],
    ))
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "task_lost_at_shutdown";

    #[test]
    fn a_task_spawned_at_the_end_of_main_is_kept_and_awaited() {
        let before = "#[tokio::main]\nasync fn main() {\n    prepare().await;\n    tokio::spawn(async { save().await });\n    println!(\"bye\");\n}\n";
        let after = "#[tokio::main]\nasync fn main() {\n    prepare().await;\n    let task = tokio::spawn(async { save().await });\n    println!(\"bye\");\n    task.await.unwrap();\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), before);
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn tasks_spawned_in_a_loop_go_into_a_join_set() {
        let before = "#[tokio::test]\nasync fn saves_all() {\n    for i in 0..3 {\n        tokio::spawn(save(i));\n    }\n}\n";
        let after = "#[tokio::test]\nasync fn saves_all() {\n    let mut tasks = tokio::task::JoinSet::new();\n    for i in 0..3 {\n        tasks.spawn(save(i));\n    }\n    while let Some(task) = tasks.join_next().await {\n        task.unwrap();\n    }\n}\n";
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn an_undrained_join_set_and_a_shutdown_after_spawn() {
        let code = "async fn fan_out(items: Vec<u32>) {\n    let mut set = tokio::task::JoinSet::new();\n    for i in items {\n        set.spawn(work(i));\n    }\n}\nfn main() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.spawn(work(1));\n    rt.shutdown_background();\n}\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 2, "{found:#?}");
        let fixed = fix_text(code, &[RULE], true);
        assert!(fixed.contains("    }\n    while let Some(task) = set.join_next().await {\n        task.unwrap();\n    }\n}\n"), "{fixed}");
    }

    #[test]
    fn awaits_inside_macros_and_endless_loops_keep_the_scope_alive() {
        let code = "#[tokio::test]\nasync fn t() {\n    tokio::spawn(async {});\n    assert_ok!(f().await);\n}\n#[tokio::test]\nasync fn u() {\n    tokio::spawn(async {});\n    tokio::select! { _ = f() => {} }\n}\nasync fn serve() {\n    let mut set = tokio::task::JoinSet::new();\n    loop {\n        let c = accept().await;\n        set.spawn(handle(c));\n    }\n}\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }

    #[test]
    fn background_services_end_with_their_runtime_by_design() {
        let code = "#[tokio::main]\nasync fn main() {\n    tokio::spawn(async move { server().await });\n    client();\n}\nasync fn server() {\n    while let Ok(c) = accept().await {\n        handle(c);\n    }\n}\nfn main2() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.spawn(async { std::future::pending::<()>().await });\n    rt.shutdown_background();\n}\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }

    #[test]
    fn silent_for_awaited_kept_or_long_lived_tasks() {
        let code = "#[tokio::main]\nasync fn main() {\n    let h = tokio::spawn(work(1));\n    h.await.unwrap();\n    let mut handles = Vec::new();\n    handles.push(tokio::spawn(work(2)));\n    tokio::spawn(background());\n    serve().await;\n}\n#[tokio::main]\nasync fn server() {\n    loop {\n        let conn = accept().await;\n        tokio::spawn(handle(conn));\n    }\n}\nasync fn library() {\n    tokio::spawn(work(3));\n}\n#[tokio::main]\nasync fn drained() {\n    let mut set = tokio::task::JoinSet::new();\n    set.spawn(work(4));\n    while let Some(r) = set.join_next().await { r.unwrap(); }\n}\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
