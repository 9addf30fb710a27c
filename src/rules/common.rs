//! Pieces several rules use to word and fix their findings (not a rule).

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize, ast};

use super::{Gate, RuleContext};
use crate::diagnostic::{Applicability, Edit, Fix, Label};
use crate::semantic::{AsyncContext, AsyncKind, ChainStep, ExecContext, SyncContext};

/// A label on the async context that code runs in: the runtime attribute, or the `async` keyword.
pub fn async_context_label(context: &AsyncContext) -> Label {
    let (range, message) = match (&context.entry, context.kind) {
        (Some(entry), _) => (
            entry.range,
            format!("`#[{}]` runs this function on a runtime", entry.attr),
        ),
        (None, AsyncKind::Fn) => (
            context.anchor,
            "this `async fn` runs on an executor".to_owned(),
        ),
        (None, AsyncKind::Block) => (
            context.anchor,
            "this async block runs on an executor".to_owned(),
        ),
        (None, AsyncKind::Closure) => (
            context.anchor,
            "this async closure runs on an executor".to_owned(),
        ),
    };
    Label { range, message }
}

/// For code in a sync function that async code calls: labels on the function and (when in the
/// same file) on the async call that leads to it, and the note with the whole chain ending in
/// `what`.
pub fn chain_labels(cx: &RuleContext<'_>, chain: &[ChainStep], what: &str) -> (Vec<Label>, String) {
    let graph = cx.model.graph();
    let helper = &graph.fns[chain
        .last()
        .expect("a chain ends with the function itself")
        .function];
    let mut labels = vec![Label {
        range: helper.name_range,
        message: format!("`{}` is called from async code", helper.display()),
    }];
    for step in chain.iter().rev().skip(1) {
        let f = &graph.fns[step.function];
        if f.file == helper.file && (f.is_async || step.async_site) {
            labels.push(Label {
                range: step.call_site,
                message: "called here in async code".to_owned(),
            });
            break;
        }
    }
    (
        labels,
        format!("call chain: {} -> `{what}`", graph.describe_chain(chain)),
    )
}

/// When `node` runs on an async task: directly in async code (a label on that context), or in a
/// sync function async code calls (labels along the chain, and the chain's note ending in `what`).
pub fn runs_on_the_task(
    cx: &RuleContext<'_>,
    node: &SyntaxNode,
    what: &str,
) -> Option<(Vec<Label>, Option<String>)> {
    match cx.model.exec_context(node) {
        ExecContext::Async(context) => Some((vec![async_context_label(&context)], None)),
        ExecContext::Sync(SyncContext::Fn { .. }) => {
            let chain = cx.model.async_chain(node)?;
            let (labels, note) = chain_labels(cx, &chain, what);
            Some((labels, Some(note)))
        }
        ExecContext::Sync(_) => None,
    }
}

/// [`runs_on_the_task`] as a [`Gate`]: in async code, yes; in a sync function, if async code
/// calls it.
pub fn runs_on_the_task_gate(cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
    match cx.model.exec_context(node) {
        ExecContext::Async(_) => Gate::Yes,
        ExecContext::Sync(SyncContext::Fn { .. }) => reached_from_async_gate(cx, node),
        ExecContext::Sync(_) => Gate::No,
    }
}

/// For `node` in a sync function's own body: the [`Gate`] of that function being reached from
/// async code (what [`crate::semantic::FileModel::async_chain`] then finds a chain for).
pub fn reached_from_async_gate(cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
    cx.model
        .enclosing_fn_start(node)
        .map_or(Gate::No, Gate::IfReachedFromAsync)
}

/// Whether a comment in `range` (outside `keep`, which is carried over) would be deleted.
pub fn has_comment_outside(node: &SyntaxNode, range: TextRange, keep: TextRange) -> bool {
    node.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::COMMENT)
        .any(|t| range.contains_range(t.text_range()) && !keep.contains_range(t.text_range()))
}

/// The range to delete to remove the statement at `range`: its whole lines (indentation and line
/// break included) when nothing else shares them, else just the statement.
pub fn statement_deletion(text: &str, range: TextRange) -> TextRange {
    let start = usize::from(range.start());
    let end = usize::from(range.end());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    let alone = text[line_start..start].trim().is_empty() && text[end..line_end].trim().is_empty();
    if alone {
        TextRange::new(
            TextSize::from(line_start as u32),
            TextSize::from(line_end as u32),
        )
    } else {
        range
    }
}

/// The whitespace before `offset` on its line.
pub fn indentation_at(text: &str, offset: TextSize) -> &str {
    let offset = usize::from(offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..offset];
    &prefix[..prefix.len() - prefix.trim_start().len()]
}

/// Whether the code at `region` (inside `container`) can move into a `move || { .. }` closure
/// unchanged: it awaits nothing, leaves by no other way (`return`, `?`, `break`, `continue`) and
/// uses no variable bound before it (nor `self`), so the closure owns all it uses.
pub fn closure_can_own(cx: &RuleContext<'_>, container: &SyntaxNode, region: TextRange) -> bool {
    let start = region.start();
    // `format!("{name}")` captures `name` without a path expression: refuse any such capture.
    let captures = container
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .any(|t| {
            region.contains_range(t.text_range())
                && t.kind() == SyntaxKind::STRING
                && t.text()
                    .split('{')
                    .skip(1)
                    .any(|rest| rest.starts_with(|c: char| c.is_alphabetic() || c == '_'))
        });
    if captures {
        return false;
    }
    for node in cx
        .model
        .nodes_within(container)
        .filter(|n| region.contains_range(n.text_range()))
    {
        // Inside an async block or closure of the region, code is a future of its own.
        let own_future = cx
            .model
            .ancestors(&node)
            .skip(1)
            .take_while(|a| a != container)
            .any(|a| {
                ast::BlockExpr::cast(a.clone()).is_some_and(|b| b.async_token().is_some())
                    || ast::ClosureExpr::cast(a).is_some_and(|c| c.async_token().is_some())
            });
        match node.kind() {
            SyntaxKind::AWAIT_EXPR | SyntaxKind::TRY_EXPR | SyntaxKind::RETURN_EXPR
                if !own_future =>
            {
                return false;
            }
            SyntaxKind::BREAK_EXPR | SyntaxKind::CONTINUE_EXPR | SyntaxKind::YIELD_EXPR
                if !own_future =>
            {
                return false;
            }
            SyntaxKind::PATH_EXPR => {
                let Some(pe) = ast::PathExpr::cast(node.clone()) else {
                    continue;
                };
                let Some(name) = pe.path().and_then(|p| p.as_single_name_ref()) else {
                    continue;
                };
                if name.text() == "self" {
                    return false;
                }
                // A local bound before the region would be borrowed or moved into the closure.
                let bound_before = match cx.model.binding(&node, name.text()) {
                    Some(
                        crate::semantic::values::Binding::Let(l)
                        | crate::semantic::values::Binding::Destructured(l),
                    ) => l.syntax().text_range().start() < start,
                    Some(crate::semantic::values::Binding::Param(_)) => true,
                    _ => false,
                };
                if bound_before {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// `let body = ureq::get("http://..").call();` -> the statement's expression runs in
/// `spawn_blocking(move || ..).await` (Tokio, unwrapped) or async-std's: when it can move into the
/// closure unchanged (see [`closure_can_own`]). Unsafe: a panic there becomes a panic at
/// `.unwrap()`, and a value that was borrowed is now moved.
pub fn spawn_blocking_statement(
    cx: &RuleContext<'_>,
    call: &SyntaxNode,
    message: &str,
) -> Option<Fix> {
    // The whole initializer of a `let`, or the expression of an expression statement.
    let stmt = call
        .ancestors()
        .find(|a| matches!(a.kind(), SyntaxKind::LET_STMT | SyntaxKind::EXPR_STMT))?;
    let expr = stmt_expr(&stmt)?;
    let region = expr.syntax().text_range();
    if !closure_can_own(cx, &stmt, region) {
        return None;
    }
    let spawn = if let Some(tokio) = cx.model.crate_name("tokio") {
        format!(
            "{tokio}::task::spawn_blocking(move || {}).await.unwrap()",
            expr.syntax()
        )
    } else if let Some(async_std) = cx.model.crate_name("async_std") {
        format!(
            "{async_std}::task::spawn_blocking(move || {}).await",
            expr.syntax()
        )
    } else if let Some(smol) = cx.model.crate_name("smol") {
        format!("{smol}::unblock(move || {}).await", expr.syntax())
    } else {
        return None;
    };
    Some(Fix::new(
        message,
        Applicability::Unsafe,
        vec![Edit::replace(cx.file.path.clone(), region, spawn)],
    ))
}

fn stmt_expr(stmt: &SyntaxNode) -> Option<ast::Expr> {
    if let Some(l) = ast::LetStmt::cast(stmt.clone()) {
        return l.initializer();
    }
    ast::ExprStmt::cast(stmt.clone())?.expr()
}
