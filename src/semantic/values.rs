//! What runtime object an expression evaluates to, when the code makes it evident: a local bound
//! from `Runtime::new()`, a `Builder` chain, `Handle::current()`, a parameter, field or static
//! declared as `Runtime`/`&Handle`/`Arc<Runtime>`/`LazyLock<Runtime>`. Anything else is unknown.

use ra_ap_syntax::{
    AstNode, SyntaxNode, TextSize,
    ast::{self, HasArgList, HasGenericArgs, HasName},
    match_ast,
};

use super::FileModel;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeKind {
    /// `tokio::runtime::Runtime`
    Runtime,
    /// `tokio::runtime::Handle`
    Handle,
    /// `tokio::task::LocalSet`
    LocalSet,
    /// `tokio::runtime::Builder`
    Builder,
}

/// What evaluating an expression does besides producing its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// Reads a variable, a field, the current handle: removing it changes nothing.
    Pure,
    /// Builds a runtime and nothing else: removing it only saves the work.
    BuildsRuntime,
    /// Anything else (a user function call...): removing it may change behaviour.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeValue {
    pub kind: RuntimeKind,
    /// Wrapped in `Result`/`Option` (needs `.unwrap()`, `?`...).
    pub wrapped: bool,
    pub effect: Effect,
}

impl RuntimeValue {
    fn new(kind: RuntimeKind, effect: Effect) -> RuntimeValue {
        RuntimeValue {
            kind,
            wrapped: false,
            effect,
        }
    }
}

const MAX_DEPTH: u8 = 16;

/// Methods that keep the runtime object they are called on (or unwrap it).
const TRANSPARENT_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "clone",
    "as_ref",
    "borrow",
    "get",
    "get_or_init",
    "deref",
    "unwrap_or_else",
];

impl FileModel<'_> {
    /// The runtime object `expr` evaluates to, if evident from the code.
    pub fn runtime_value(&self, expr: &ast::Expr) -> Option<RuntimeValue> {
        self.value_of(expr, 0)
    }

    fn value_of(&self, expr: &ast::Expr, depth: u8) -> Option<RuntimeValue> {
        if depth > MAX_DEPTH {
            return None;
        }
        match expr {
            ast::Expr::ParenExpr(e) => self.value_of(&e.expr()?, depth + 1),
            ast::Expr::RefExpr(e) => self.value_of(&e.expr()?, depth + 1),
            ast::Expr::TryExpr(e) => {
                let v = self.value_of(&e.expr()?, depth + 1)?;
                Some(RuntimeValue {
                    wrapped: false,
                    ..v
                })
            }
            ast::Expr::MethodCallExpr(mc) => self.method_value(mc, depth),
            ast::Expr::CallExpr(call) => {
                let ast::Expr::PathExpr(pe) = call.expr()? else {
                    return None;
                };
                let callee = self.resolve_path(&pe.path()?)?;
                let args: Vec<ast::Expr> = call.arg_list()?.args().collect();
                use RuntimeKind::*;
                let value = match callee.as_str() {
                    "tokio::runtime::Runtime::new" => RuntimeValue {
                        kind: Runtime,
                        wrapped: true,
                        effect: Effect::BuildsRuntime,
                    },
                    "tokio::runtime::Builder::new_multi_thread"
                    | "tokio::runtime::Builder::new_current_thread"
                    | "tokio::runtime::Builder::new_multi_thread_alt" => {
                        RuntimeValue::new(Builder, Effect::Pure)
                    }
                    "tokio::runtime::Handle::current" => RuntimeValue::new(Handle, Effect::Pure),
                    "tokio::runtime::Handle::try_current" => RuntimeValue {
                        kind: Handle,
                        wrapped: true,
                        effect: Effect::Pure,
                    },
                    "tokio::task::LocalSet::new" => RuntimeValue::new(LocalSet, Effect::Pure),
                    "std::sync::Arc::new" | "std::rc::Rc::new" | "std::boxed::Box::new" => {
                        return self.value_of(args.first()?, depth + 1);
                    }
                    _ => return None,
                };
                Some(value)
            }
            ast::Expr::PathExpr(pe) => {
                let path = pe.path()?;
                let name = path.as_single_name_ref()?;
                let text = name.text();
                let decl = self.binding_type(pe.syntax(), text, depth)?;
                Some(RuntimeValue {
                    effect: Effect::Pure,
                    ..decl
                })
            }
            ast::Expr::FieldExpr(fe) => {
                let ty = self.field_type(fe)?;
                let v = self.type_value(&ty)?;
                Some(RuntimeValue {
                    effect: Effect::Pure,
                    ..v
                })
            }
            _ => None,
        }
    }

    fn method_value(&self, mc: &ast::MethodCallExpr, depth: u8) -> Option<RuntimeValue> {
        let name = mc.name_ref()?.text().to_string();
        let receiver = self.value_of(&mc.receiver()?, depth + 1)?;
        let args_effect = mc
            .arg_list()
            .map(|l| {
                l.args()
                    .map(|a| simple_effect(&a))
                    .max()
                    .unwrap_or(Effect::Pure)
            })
            .unwrap_or(Effect::Pure);
        let effect = receiver.effect.max(args_effect);
        use RuntimeKind::*;
        let value = match (receiver.kind, name.as_str()) {
            (_, m) if TRANSPARENT_METHODS.contains(&m) => RuntimeValue {
                wrapped: receiver.wrapped && !matches!(m, "unwrap" | "expect" | "unwrap_or_else"),
                effect,
                ..receiver
            },
            (Runtime, "handle") => RuntimeValue::new(Handle, effect),
            (Builder, "build") => RuntimeValue {
                kind: Runtime,
                wrapped: true,
                effect: effect.max(Effect::BuildsRuntime),
            },
            // Every other builder method configures and returns the builder.
            (Builder, _) => RuntimeValue::new(Builder, effect),
            _ => return None,
        };
        Some(value)
    }

    /// The declared or inferred type of the binding `name` visible at `at`: a `let`, a parameter,
    /// or a `static`/`const` of this file.
    fn binding_type(&self, at: &SyntaxNode, name: &str, depth: u8) -> Option<RuntimeValue> {
        let offset = at.text_range().start();
        for anc in self.ancestors(at).skip(1) {
            match_ast! {
                match anc {
                    ast::StmtList(list) => {
                        if let Some(v) = self.let_in(&list, name, offset, depth) { return v }
                    },
                    ast::Fn(f) => {
                        for param in f.param_list()?.params() {
                            if pat_binds(param.pat(), name) {
                                return self.type_value(&param.ty()?);
                            }
                        }
                        if f.param_list()?.self_param().is_some() && name == "self" {
                            return None;
                        }
                    },
                    ast::ClosureExpr(c) => {
                        for param in c.param_list()?.params() {
                            if pat_binds(param.pat(), name) {
                                return self.type_value(&param.ty()?);
                            }
                        }
                    },
                    _ => (),
                }
            }
        }
        self.static_type(name)
    }

    /// The last `let name` in `list` before `offset`; `Some(None)` when found but unknown.
    fn let_in(
        &self,
        list: &ast::StmtList,
        name: &str,
        offset: TextSize,
        depth: u8,
    ) -> Option<Option<RuntimeValue>> {
        let stmt = list
            .statements()
            .filter(|s| s.syntax().text_range().end() <= offset)
            .filter_map(|s| match s {
                ast::Stmt::LetStmt(l) => Some(l),
                _ => None,
            })
            .filter(|l| pat_binds(l.pat(), name))
            .last()?;
        if let Some(ty) = stmt.ty() {
            return Some(self.type_value(&ty));
        }
        Some(
            stmt.initializer()
                .and_then(|init| self.value_of(&init, depth + 1)),
        )
    }

    fn static_type(&self, name: &str) -> Option<RuntimeValue> {
        for node in self.module_items() {
            match_ast! {
                match node {
                    ast::Static(s) => if s.name().is_some_and(|n| n.text() == name) {
                        return self.type_value(&s.ty()?);
                    },
                    ast::Const(c) => if c.name().is_some_and(|n| n.text() == name) {
                        return self.type_value(&c.ty()?);
                    },
                    _ => (),
                }
            }
        }
        None
    }

    /// The declared type of `self.field` when `self` is a struct of this file.
    fn field_type(&self, fe: &ast::FieldExpr) -> Option<ast::Type> {
        let field = fe.name_ref()?.text().to_string();
        let ast::Expr::PathExpr(recv) = fe.expr()? else {
            return None;
        };
        if recv.path()?.to_string() != "self" {
            return None;
        }
        let imp = self.ancestors(fe.syntax()).find_map(ast::Impl::cast)?;
        let self_name = match imp.self_ty()? {
            ast::Type::PathType(pt) => pt.path()?.segment()?.name_ref()?.text().to_string(),
            _ => return None,
        };
        let strukt = self
            .module_items()
            .filter_map(ast::Struct::cast)
            .find(|s| s.name().is_some_and(|n| n.text() == self_name))?;
        let ast::FieldList::RecordFieldList(fields) = strukt.field_list()? else {
            return None;
        };
        fields
            .fields()
            .find(|f| f.name().is_some_and(|n| n.text() == field))?
            .ty()
    }

    /// The runtime object a written type holds: `Runtime`, `&Handle`, `Arc<Runtime>`,
    /// `LazyLock<Runtime>`, `OnceLock<Handle>`...
    pub fn type_value(&self, ty: &ast::Type) -> Option<RuntimeValue> {
        match ty {
            ast::Type::RefType(r) => self.type_value(&r.ty()?),
            ast::Type::ParenType(p) => self.type_value(&p.ty()?),
            ast::Type::PathType(pt) => {
                let path = pt.path()?;
                let resolved = self.resolve_path(&path);
                let last = path.segment()?;
                let kind = match resolved.as_deref() {
                    Some("tokio::runtime::Runtime") => RuntimeKind::Runtime,
                    Some("tokio::runtime::Handle") => RuntimeKind::Handle,
                    Some("tokio::task::LocalSet") => RuntimeKind::LocalSet,
                    _ => {
                        let wrapper = last.name_ref()?.text().to_string();
                        if !matches!(
                            wrapper.as_str(),
                            "Arc" | "Rc" | "Box" | "LazyLock" | "Lazy" | "OnceLock" | "OnceCell"
                        ) {
                            return None;
                        }
                        let arg = last.generic_arg_list()?.generic_args().next()?;
                        let ast::GenericArg::TypeArg(t) = arg else {
                            return None;
                        };
                        return self.type_value(&t.ty()?);
                    }
                };
                Some(RuntimeValue::new(kind, Effect::Pure))
            }
            _ => None,
        }
    }
}

fn pat_binds(pat: Option<ast::Pat>, name: &str) -> bool {
    match pat {
        Some(ast::Pat::IdentPat(p)) => p.name().is_some_and(|n| n.text() == name),
        _ => false,
    }
}

/// The effect of evaluating an argument: literals and variables are pure.
pub fn simple_effect(expr: &ast::Expr) -> Effect {
    match expr {
        ast::Expr::Literal(_) | ast::Expr::PathExpr(_) => Effect::Pure,
        ast::Expr::RefExpr(r) => r.expr().map_or(Effect::Other, |e| simple_effect(&e)),
        ast::Expr::ParenExpr(p) => p.expr().map_or(Effect::Other, |e| simple_effect(&e)),
        ast::Expr::FieldExpr(f) => f.expr().map_or(Effect::Other, |e| simple_effect(&e)),
        _ => Effect::Other,
    }
}
