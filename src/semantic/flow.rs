//! Where a value goes: into a `let`, used as a temporary receiver, or moved away; and how a
//! binding is used after its `let`. Enough to tell whether a runtime built here is also dropped
//! here.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasArgList},
};

use super::FileModel;

/// Where the value of an expression goes.
#[derive(Clone, Debug)]
pub enum Destination {
    /// `let name = <expr>;`, possibly through `.unwrap()`, `.expect(..)`, `.ok()` or `?`
    /// (`fallible`).
    Bound {
        stmt: ast::LetStmt,
        name: String,
        fallible: bool,
    },
    /// `<expr>.method(..)`: a temporary, dropped at the end of its statement.
    Receiver {
        method: String,
        call: ast::MethodCallExpr,
    },
    /// Anywhere else: an argument, a return value, a field, a tail expression.
    Moved,
}

/// How a `let` binding is used after the `let`.
#[derive(Clone, Debug, Default)]
pub struct BindingUses {
    /// Every path expression naming the binding.
    pub uses: Vec<SyntaxNode>,
    /// Moved somewhere (an argument, a `move` closure, returned...): it may be dropped elsewhere.
    pub moved: bool,
    /// Passed to `drop(..)`.
    pub dropped_explicitly: bool,
    /// Where it is first passed to `drop(..)`.
    pub dropped_at: Option<TextRange>,
    /// Consumed by `shutdown_background()` / `shutdown_timeout(..)`: a runtime shut down without
    /// blocking, the way to get rid of one in async code.
    pub shut_down: bool,
}

impl FileModel<'_> {
    /// Where the value of `expr` goes.
    pub fn destination(&self, expr: &SyntaxNode) -> Destination {
        let mut current = expr.clone();
        let mut fallible = false;
        loop {
            let Some(parent) = current.parent() else {
                return Destination::Moved;
            };
            match parent.kind() {
                SyntaxKind::PAREN_EXPR => current = parent,
                SyntaxKind::TRY_EXPR => {
                    fallible = true;
                    current = parent;
                }
                SyntaxKind::METHOD_CALL_EXPR => {
                    let Some(mc) = ast::MethodCallExpr::cast(parent.clone()) else {
                        return Destination::Moved;
                    };
                    if mc.receiver().map(|r| r.syntax().clone()) != Some(current.clone()) {
                        return Destination::Moved;
                    }
                    let method = mc
                        .name_ref()
                        .map(|n| n.text().to_string())
                        .unwrap_or_default();
                    if matches!(method.as_str(), "unwrap" | "expect" | "ok") {
                        current = parent;
                    } else {
                        return Destination::Receiver { method, call: mc };
                    }
                }
                SyntaxKind::LET_STMT => {
                    let Some(stmt) = ast::LetStmt::cast(parent) else {
                        return Destination::Moved;
                    };
                    let Some(ast::Pat::IdentPat(pat)) = stmt.pat() else {
                        return Destination::Moved;
                    };
                    let Some(name) = ast::HasName::name(&pat) else {
                        return Destination::Moved;
                    };
                    return Destination::Bound {
                        name: name.text().to_string(),
                        stmt,
                        fallible,
                    };
                }
                _ => return Destination::Moved,
            }
        }
    }

    /// How the binding `name` introduced by `stmt` is used in the rest of its block.
    pub fn binding_uses(&self, stmt: &ast::LetStmt, name: &str) -> BindingUses {
        let mut out = BindingUses::default();
        let Some(block) = stmt.syntax().parent() else {
            return out;
        };
        let after = stmt.syntax().text_range().end();
        let within = TextRange::new(after, block.text_range().end());
        // Uses inside macro arguments (`println!("{}", rt.block_on(f))`) count too.
        for node in self
            .nodes_within(&block)
            .filter(|n| within.contains_range(n.text_range()))
        {
            let Some(pe) = ast::PathExpr::cast(node.clone()) else {
                continue;
            };
            if pe
                .path()
                .and_then(|p| p.as_single_name_ref())
                .is_none_or(|n| n.text() != name)
            {
                continue;
            }
            let in_move_closure = node
                .ancestors()
                .take_while(|a| a != &block)
                .filter_map(ast::ClosureExpr::cast)
                .any(|c| c.move_token().is_some());
            let in_async_move = node
                .ancestors()
                .take_while(|a| a != &block)
                .filter_map(ast::BlockExpr::cast)
                .any(|b| b.async_token().is_some() && b.move_token().is_some());
            let method = node
                .parent()
                .and_then(ast::MethodCallExpr::cast)
                .and_then(|m| m.name_ref());
            if method
                .is_some_and(|n| matches!(n.text(), "shutdown_background" | "shutdown_timeout"))
            {
                out.shut_down = true;
            }
            match node.parent().map(|p| p.kind()) {
                _ if in_move_closure || in_async_move => out.moved = true,
                // Borrowing uses: a method call, a field, `&x`, `*x`, `x[i]`.
                Some(
                    SyntaxKind::METHOD_CALL_EXPR
                    | SyntaxKind::FIELD_EXPR
                    | SyntaxKind::REF_EXPR
                    | SyntaxKind::PREFIX_EXPR
                    | SyntaxKind::INDEX_EXPR,
                ) => {}
                Some(SyntaxKind::ARG_LIST) if self.is_drop_call(&node) => {
                    out.dropped_explicitly = true;
                    out.dropped_at.get_or_insert(node.text_range());
                }
                _ => out.moved = true,
            }
            out.uses.push(node);
        }
        out
    }

    /// Whether `arg` is the argument of `drop(..)` / `std::mem::drop(..)`.
    fn is_drop_call(&self, arg: &SyntaxNode) -> bool {
        let call = arg
            .parent()
            .and_then(|l| l.parent())
            .and_then(ast::CallExpr::cast);
        let Some(ast::Expr::PathExpr(pe)) = call.as_ref().and_then(|c| c.expr()) else {
            return false;
        };
        let single_arg = call
            .and_then(|c| c.arg_list())
            .is_some_and(|l| l.args().count() == 1);
        single_arg
            && pe.path().and_then(|p| self.resolve_path(&p)).as_deref() == Some("std::mem::drop")
    }
}
