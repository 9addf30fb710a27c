//! Spawned tasks: which calls spawn one, what becomes of the handle, and whether the task's output
//! is a `Result` someone should look at.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasArgList, HasName},
};

use super::{FileModel, RuntimeKind};

/// How a task is spawned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnKind {
    /// `tokio::spawn`, `tokio::task::spawn`.
    Tokio,
    /// `tokio::task::spawn_local`.
    TokioLocal,
    /// `rt.spawn(..)`, `handle.spawn(..)` on a Tokio runtime or handle.
    Runtime,
    /// `set.spawn(..)` on a `tokio::task::JoinSet`.
    JoinSet,
}

#[derive(Clone, Debug)]
pub struct Spawn {
    pub kind: SpawnKind,
    /// The spawned future (the argument).
    pub future: ast::Expr,
    /// The callee: the path (`tokio::spawn`) or the method name (`spawn` in `rt.spawn(..)`).
    pub callee: ra_ap_syntax::TextRange,
}

/// What becomes of a spawned task's `JoinHandle`.
#[derive(Clone, Debug)]
pub enum HandleFate {
    /// Dropped at once: `tokio::spawn(..);` or `let _ = tokio::spawn(..);`. The task is detached.
    Dropped(ast::Stmt),
    /// Bound (`let h = tokio::spawn(..);`) and never used afterwards: detached too.
    Unused(ast::LetStmt),
    /// `let _ = h.await;` (or `h.await;`): joined, with the task's output thrown away.
    JoinIgnored {
        stmt: ast::LetStmt,
        ignored: SyntaxNode,
    },
    /// Awaited, stored, passed on, aborted...: somebody looks after it.
    Kept,
}

impl FileModel<'_> {
    /// `node` as a call that spawns a Tokio task.
    pub fn spawn(&self, node: &SyntaxNode) -> Option<Spawn> {
        self.memo.spawn.call(node, || self.find_spawn(node))
    }

    fn find_spawn(&self, node: &SyntaxNode) -> Option<Spawn> {
        if let Some((path, resolved)) = self.called_path(node) {
            let kind = match &*resolved {
                "tokio::spawn" | "tokio::task::spawn" => SpawnKind::Tokio,
                "tokio::task::spawn_local" => SpawnKind::TokioLocal,
                _ => return None,
            };
            let call = ast::CallExpr::cast(node.clone())?;
            return Some(Spawn {
                kind,
                future: call.arg_list()?.args().next()?,
                callee: path.syntax().text_range(),
            });
        }
        let mc = ast::MethodCallExpr::cast(node.clone())?;
        let name = mc.name_ref()?;
        if name.text() != "spawn" {
            return None;
        }
        let receiver = mc.receiver()?;
        let kind = if self
            .runtime_value(&receiver)
            .is_some_and(|v| matches!(v.kind, RuntimeKind::Runtime | RuntimeKind::Handle))
        {
            SpawnKind::Runtime
        } else if self.value_type(&receiver).as_deref() == Some("tokio::task::JoinSet") {
            SpawnKind::JoinSet
        } else {
            return None;
        };
        Some(Spawn {
            kind,
            future: mc.arg_list()?.args().next()?,
            callee: name.syntax().text_range(),
        })
    }

    /// What becomes of the handle the spawn call `node` returns.
    pub fn handle_fate(&self, node: &SyntaxNode) -> HandleFate {
        let parent = node.parent();
        if let Some(stmt) = parent.clone().and_then(ast::ExprStmt::cast) {
            return HandleFate::Dropped(ast::Stmt::ExprStmt(stmt));
        }
        let Some(stmt) = parent.and_then(ast::LetStmt::cast) else {
            return HandleFate::Kept;
        };
        match stmt.pat() {
            Some(ast::Pat::WildcardPat(_)) => HandleFate::Dropped(ast::Stmt::LetStmt(stmt)),
            Some(ast::Pat::IdentPat(pat)) => {
                let Some(name) = pat.name() else {
                    return HandleFate::Kept;
                };
                let uses = self.binding_uses(&stmt, name.text().as_ref());
                match uses.uses.as_slice() {
                    [] => HandleFate::Unused(stmt),
                    [only] => match ignored_join(only) {
                        Some(ignored) => HandleFate::JoinIgnored { stmt, ignored },
                        None => HandleFate::Kept,
                    },
                    _ => HandleFate::Kept,
                }
            }
            _ => HandleFate::Kept,
        }
    }

    /// Whether the spawned `future` produces a `Result`: an async block whose value is
    /// `Ok(..)`/`Err(..)` (or awaits such a call) or that uses `?`, or a call of an async
    /// function of this file declared to return a `Result`.
    pub fn task_returns_result(&self, future: &ast::Expr) -> bool {
        match future {
            ast::Expr::BlockExpr(b) if b.async_token().is_some() => {
                let Some(list) = b.stmt_list() else {
                    return false;
                };
                let tail_is_result = list.tail_expr().is_some_and(|t| {
                    is_result_value(&t)
                        || matches!(&t, ast::Expr::AwaitExpr(a)
                            if a.expr().is_some_and(|e| self.task_returns_result(&e)))
                });
                let uses_try = self.nodes_within(list.syntax()).any(|n| {
                    n.kind() == SyntaxKind::TRY_EXPR && self.in_same_body(&n, list.syntax())
                });
                tail_is_result || uses_try
            }
            ast::Expr::CallExpr(call) => {
                let Some(ast::Expr::PathExpr(pe)) = call.expr() else {
                    return false;
                };
                let Some(name) = pe.path().and_then(|p| p.as_single_name_ref()) else {
                    return false;
                };
                self.items_by_name()
                    .get(&name.text().to_string())
                    .and_then(|item| ast::Fn::cast(item.clone()))
                    .filter(|f| f.async_token().is_some())
                    .and_then(|f| f.ret_type()?.ty())
                    .is_some_and(|ty| {
                        ty.syntax()
                            .text()
                            .to_string()
                            .split('<')
                            .next()
                            .is_some_and(|head| head.trim().ends_with("Result"))
                    })
            }
            _ => false,
        }
    }
}

impl FileModel<'_> {
    /// Whether the spawned `future` is meant to run until it is cancelled: it loops around an
    /// `.await` (a server's accept loop, a periodic job) or awaits `pending()`, itself or in the
    /// async function of this file it calls (one level).
    pub fn task_runs_forever(&self, future: &ast::Expr) -> bool {
        let body = match future {
            ast::Expr::BlockExpr(b) if b.async_token().is_some() => b.syntax().clone(),
            ast::Expr::CallExpr(call) => match self.local_async_fn(call) {
                Some(f) => f,
                None => return false,
            },
            _ => return false,
        };
        if loops_around_await(&body) {
            return true;
        }
        // `async move { server().await }`
        body.descendants()
            .filter_map(ast::CallExpr::cast)
            .filter_map(|c| self.local_async_fn(&c))
            .any(|f| loops_around_await(&f))
    }

    /// The body of the async function of this file that `call` calls by a plain name.
    fn local_async_fn(&self, call: &ast::CallExpr) -> Option<SyntaxNode> {
        let ast::Expr::PathExpr(pe) = call.expr()? else {
            return None;
        };
        let name = pe.path()?.as_single_name_ref()?;
        let f = ast::Fn::cast(self.items_by_name().get(&name.text().to_string())?.clone())?;
        f.async_token()?;
        Some(f.body()?.syntax().clone())
    }
}

/// A `loop`/`while` whose body awaits, or `pending()` awaited.
fn loops_around_await(body: &SyntaxNode) -> bool {
    body.descendants().any(|n| match n.kind() {
        SyntaxKind::LOOP_EXPR | SyntaxKind::WHILE_EXPR => n
            .descendants_with_tokens()
            .any(|t| t.kind() == SyntaxKind::AWAIT_KW),
        SyntaxKind::CALL_EXPR => ast::CallExpr::cast(n)
            .and_then(|c| match c.expr()? {
                ast::Expr::PathExpr(pe) => pe.path()?.segment()?.name_ref(),
                _ => None,
            })
            .is_some_and(|name| name.text() == "pending"),
        _ => false,
    })
}

/// `Ok(..)`, `Err(..)`, `Ok::<_, E>(..)`.
fn is_result_value(e: &ast::Expr) -> bool {
    let ast::Expr::CallExpr(call) = e else {
        return false;
    };
    let Some(ast::Expr::PathExpr(pe)) = call.expr() else {
        return false;
    };
    pe.path()
        .and_then(|p| p.segment()?.name_ref())
        .is_some_and(|n| matches!(n.text(), "Ok" | "Err"))
}

/// `let _ = h.await;` or `h.await;`: the join's result thrown away. The statement, given the use
/// `h`.
fn ignored_join(used: &SyntaxNode) -> Option<SyntaxNode> {
    let await_expr = used
        .parent()
        .filter(|p| p.kind() == SyntaxKind::AWAIT_EXPR)?;
    let stmt = await_expr.parent()?;
    match stmt.kind() {
        SyntaxKind::EXPR_STMT => Some(stmt),
        SyntaxKind::LET_STMT => {
            let l = ast::LetStmt::cast(stmt.clone())?;
            matches!(l.pat()?, ast::Pat::WildcardPat(_)).then_some(stmt)
        }
        _ => None,
    }
}
