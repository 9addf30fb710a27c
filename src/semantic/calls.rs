//! What a call does, when it is one of the calls the rules care about. Today: driving a future to
//! completion on an executor (`block_on` in all its forms).

use ra_ap_syntax::{
    AstNode, SyntaxNode, TextRange,
    ast::{self, HasArgList},
    match_ast,
};

use super::summary::RuntimeOwner;
use super::values::Binding;
use super::{Effect, FileModel, RuntimeKind};

/// The executor a `block_on` drives the future on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Executor {
    /// `Runtime::block_on`
    TokioRuntime,
    /// `Handle::block_on`
    TokioHandle,
    /// `LocalSet::block_on(&rt, fut)`
    TokioLocalSet,
    /// `tokio_test::block_on`
    TokioTest,
    /// `futures::executor::block_on`
    Futures,
    /// `async_std::task::block_on`
    AsyncStd,
    /// `smol::block_on` / `futures_lite::future::block_on`
    FuturesLite,
    /// `pollster::block_on` / `FutureExt::block_on`
    Pollster,
}

impl Executor {
    /// Whether blocking on it from inside a Tokio runtime panics (instead of only blocking).
    pub fn panics_inside_tokio(self) -> bool {
        matches!(
            self,
            Executor::TokioRuntime
                | Executor::TokioHandle
                | Executor::TokioLocalSet
                | Executor::TokioTest
        )
    }
}

/// How the call is written, which decides how it becomes `.await`.
#[derive(Clone, Debug)]
pub enum BlockOnForm {
    /// `recv.block_on(fut)`; `local.block_on(&rt, fut)` for a `LocalSet`.
    Method {
        receiver: ast::Expr,
        receiver_effect: Effect,
        extra_args: Vec<ast::Expr>,
    },
    /// `path::block_on(fut)`.
    Function,
    /// `fut.block_on()` through `pollster::FutureExt`: the receiver is the future.
    FutureMethod,
}

#[derive(Clone, Debug)]
pub struct BlockOn {
    pub executor: Executor,
    /// The whole call expression.
    pub call: SyntaxNode,
    /// The `block_on` name (method) or path (function): where to point.
    pub callee_range: TextRange,
    /// The `block_on` method's name and arguments: `block_on(fut)` in `rt.block_on(fut)`.
    pub method_tail: Option<TextRange>,
    /// The future being driven.
    pub future: ast::Expr,
    pub form: BlockOnForm,
}

impl FileModel<'_> {
    /// The runtime the `block_on` call `node` runs on; `None` when not a Tokio runtime or unknown (a
    /// field, a parameter, a handle).
    pub fn block_on_runtime(&self, node: &SyntaxNode) -> Option<RuntimeOwner> {
        let b = self.block_on(node)?;
        match (b.executor, &b.form) {
            (Executor::TokioTest, _) => Some(RuntimeOwner::Own),
            (
                Executor::TokioRuntime,
                BlockOnForm::Method {
                    receiver,
                    receiver_effect,
                    ..
                },
            ) => {
                if *receiver_effect == Effect::BuildsRuntime {
                    return Some(RuntimeOwner::Own);
                }
                let mut receiver = receiver.clone();
                while let ast::Expr::RefExpr(_)
                | ast::Expr::PrefixExpr(_)
                | ast::Expr::ParenExpr(_) = receiver
                {
                    receiver = match receiver {
                        ast::Expr::RefExpr(r) => r.expr()?,
                        ast::Expr::PrefixExpr(p) => p.expr()?,
                        ast::Expr::ParenExpr(p) => p.expr()?,
                        _ => unreachable!(),
                    };
                }
                let ast::Expr::PathExpr(pe) = receiver else {
                    return None;
                };
                let path = pe.path()?;
                let name = path.segment()?.name_ref()?.text().to_string();
                if path.qualifier().is_none() {
                    match self.binding(node, &name)? {
                        Binding::Let(_) => return Some(RuntimeOwner::Local(name)),
                        Binding::Item(_) => return Some(RuntimeOwner::Static(name)),
                        Binding::Param(_) | Binding::Destructured(_) => return None,
                    }
                }
                name.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    .then_some(RuntimeOwner::Static(name))
            }
            _ => None,
        }
    }

    /// `node` as a `block_on` call whose executor is known; unknown receivers are not guessed at.
    pub fn block_on(&self, node: &SyntaxNode) -> Option<BlockOn> {
        self.memo.block_on.call(node, || self.find_block_on(node))
    }

    fn find_block_on(&self, node: &SyntaxNode) -> Option<BlockOn> {
        match_ast! {
            match node {
                ast::MethodCallExpr(mc) => self.block_on_method(&mc),
                ast::CallExpr(call) => self.block_on_function(&call),
                _ => None,
            }
        }
    }

    fn block_on_method(&self, mc: &ast::MethodCallExpr) -> Option<BlockOn> {
        let name = mc.name_ref()?;
        if name.text() != "block_on" {
            return None;
        }
        let receiver = mc.receiver()?;
        let arg_list = mc.arg_list()?;
        let args: Vec<ast::Expr> = arg_list.args().collect();
        let tail = TextRange::new(
            name.syntax().text_range().start(),
            arg_list.syntax().text_range().end(),
        );
        let base = |executor, future: ast::Expr, form| BlockOn {
            executor,
            call: mc.syntax().clone(),
            callee_range: name.syntax().text_range(),
            method_tail: Some(tail),
            future,
            form,
        };
        if args.is_empty() {
            // `fut.block_on()`: pollster's extension trait, when it is in scope.
            let known = self.trait_in_scope("pollster::FutureExt", mc.syntax());
            return known.then(|| {
                base(
                    Executor::Pollster,
                    receiver.clone(),
                    BlockOnForm::FutureMethod,
                )
            });
        }
        let value = self.runtime_value(&receiver)?;
        if value.wrapped {
            return None;
        }
        let (executor, future, extra_args) = match (value.kind, args.as_slice()) {
            (RuntimeKind::Runtime, [fut]) => (Executor::TokioRuntime, fut.clone(), vec![]),
            (RuntimeKind::Handle, [fut]) => (Executor::TokioHandle, fut.clone(), vec![]),
            (RuntimeKind::LocalSet, [rt, fut]) => {
                (Executor::TokioLocalSet, fut.clone(), vec![rt.clone()])
            }
            _ => return None,
        };
        let form = BlockOnForm::Method {
            receiver,
            receiver_effect: value.effect,
            extra_args,
        };
        Some(base(executor, future, form))
    }

    fn block_on_function(&self, call: &ast::CallExpr) -> Option<BlockOn> {
        let ast::Expr::PathExpr(pe) = call.expr()? else {
            return None;
        };
        let path = pe.path()?;
        if path.segment()?.name_ref()?.text() != "block_on" && path.segments().count() > 1 {
            // Renamed imports (`use futures::executor::block_on as bo;`) are single segments.
            return None;
        }
        let executor = match &*self.resolve_path(&path)? {
            "futures::executor::block_on" | "futures_executor::block_on" => Executor::Futures,
            "async_std::task::block_on" => Executor::AsyncStd,
            "smol::block_on" | "smol::future::block_on" | "futures_lite::future::block_on" => {
                Executor::FuturesLite
            }
            "pollster::block_on" => Executor::Pollster,
            "tokio_test::block_on" => Executor::TokioTest,
            _ => return None,
        };
        let mut args = call.arg_list()?.args();
        let future = args.next()?;
        if args.next().is_some() {
            return None;
        }
        Some(BlockOn {
            executor,
            call: call.syntax().clone(),
            callee_range: path.syntax().text_range(),
            method_tail: None,
            future,
            form: BlockOnForm::Function,
        })
    }
}

/// A call that builds a Tokio runtime: `Runtime::new()` or `Builder::new_*()...build()`.
#[derive(Clone, Debug)]
pub struct RuntimeConstruction {
    /// The call expression (`Runtime::new()` or the `.build()` call).
    pub call: SyntaxNode,
    /// Where to point: `Runtime::new` or `build`.
    pub callee_range: TextRange,
    /// For a builder chain, the methods called on the builder (`enable_all`, `worker_threads`...),
    /// with the constructor first (`new_current_thread`).
    pub builder_methods: Option<Vec<String>>,
}

impl FileModel<'_> {
    /// `node` as the construction of a Tokio runtime.
    pub fn runtime_construction(&self, node: &SyntaxNode) -> Option<RuntimeConstruction> {
        self.memo
            .runtime_construction
            .call(node, || self.find_runtime_construction(node))
    }

    fn find_runtime_construction(&self, node: &SyntaxNode) -> Option<RuntimeConstruction> {
        match_ast! {
            match node {
                ast::CallExpr(call) => {
                    let ast::Expr::PathExpr(pe) = call.expr()? else { return None };
                    let path = pe.path()?;
                    if path.segment()?.name_ref()?.text() != "new"
                        || &*self.resolve_path(&path)? != "tokio::runtime::Runtime::new"
                    {
                        return None;
                    }
                    Some(RuntimeConstruction {
                        call: node.clone(),
                        callee_range: path.syntax().text_range(),
                        builder_methods: None,
                    })
                },
                ast::MethodCallExpr(mc) => {
                    let name = mc.name_ref()?;
                    if name.text() != "build" {
                        return None;
                    }
                    let value = self.runtime_value(&mc.receiver()?)?;
                    if value.kind != RuntimeKind::Builder {
                        return None;
                    }
                    Some(RuntimeConstruction {
                        call: node.clone(),
                        callee_range: name.syntax().text_range(),
                        builder_methods: Some(builder_chain(&mc)),
                    })
                },
                _ => None,
            }
        }
    }
}

/// The method names of a builder chain ending in `build`, constructor first:
/// `Builder::new_current_thread().enable_time().build()` gives `new_current_thread, enable_time`.
fn builder_chain(build: &ast::MethodCallExpr) -> Vec<String> {
    let mut names = Vec::new();
    let mut current = build.receiver();
    while let Some(expr) = current {
        current = match expr {
            ast::Expr::MethodCallExpr(mc) => {
                names.extend(mc.name_ref().map(|n| n.text().to_string()));
                mc.receiver()
            }
            ast::Expr::CallExpr(call) => {
                if let Some(ast::Expr::PathExpr(pe)) = call.expr() {
                    names.extend(
                        pe.path()
                            .and_then(|p| p.segment()?.name_ref())
                            .map(|n| n.text().to_string()),
                    );
                }
                None
            }
            ast::Expr::ParenExpr(p) => p.expr(),
            _ => None,
        };
    }
    names.reverse();
    names
}
