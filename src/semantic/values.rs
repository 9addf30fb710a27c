//! What runtime object an expression evaluates to, when the code makes it evident: a local bound
//! from `Runtime::new()`, a `Builder` chain, `Handle::current()`, a parameter, field or static
//! declared as `Runtime`/`&Handle`/`Arc<Runtime>`/`LazyLock<Runtime>`. Anything else is unknown.

use ra_ap_syntax::{
    AstNode, SyntaxNode,
    ast::{self, HasArgList, HasGenericArgs, HasName},
    match_ast,
};

use super::{FileModel, imports};

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
                let value = match &*callee {
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

    /// Where the name `name`, used at `at`, is bound: the last `let` before it in an enclosing
    /// block, a parameter, or a `static`/`const` of this file.
    pub fn binding(&self, at: &SyntaxNode, name: &str) -> Option<Binding> {
        let offset = at.text_range().start();
        for anc in self.ancestors(at).skip(1) {
            match_ast! {
                match anc {
                    ast::StmtList(list) => {
                        let lets = self.lets_of(&list);
                        let found = lets
                            .iter()
                            .rev()
                            .find(|l| l.end <= offset && l.names.iter().any(|n| n == name));
                        if let Some(l) = found {
                            return Some(if l.plain {
                                Binding::Let(l.stmt.clone())
                            } else {
                                Binding::Destructured(l.stmt.clone())
                            });
                        }
                    },
                    ast::Fn(f) => {
                        let params = f.param_list()?;
                        if name == "self" {
                            return None;
                        }
                        return params
                            .params()
                            .find(|p| pat_binds(p.pat(), name))
                            .map(|p| Binding::Param(p.ty()))
                            .or_else(|| self.static_binding(name));
                    },
                    ast::ClosureExpr(c) => {
                        if let Some(p) = c.param_list()?.params().find(|p| pat_binds(p.pat(), name)) {
                            return Some(Binding::Param(p.ty()));
                        }
                    },
                    _ => (),
                }
            }
        }
        self.static_binding(name)
    }

    /// The `let` statements of `list`, in order, with the names they bind.
    fn lets_of(&self, list: &ast::StmtList) -> std::rc::Rc<[LetInfo]> {
        if let Some(hit) = self.lets.borrow().get(list.syntax()) {
            return hit.clone();
        }
        let lets: std::rc::Rc<[LetInfo]> = list
            .statements()
            .filter_map(|s| match s {
                ast::Stmt::LetStmt(l) => Some(l),
                _ => None,
            })
            .map(|stmt| {
                let pat = stmt.pat();
                let plain = matches!(pat, Some(ast::Pat::IdentPat(_)));
                let names = match &pat {
                    // `let name = ..` binds `name` (not what an `@` sub-pattern binds).
                    Some(ast::Pat::IdentPat(p)) => {
                        p.name().map(|n| n.text().to_string()).into_iter().collect()
                    }
                    Some(pat) => pat
                        .syntax()
                        .descendants()
                        .filter_map(ast::IdentPat::cast)
                        .filter_map(|p| p.name().map(|n| n.text().to_string()))
                        .collect(),
                    None => Vec::new(),
                };
                LetInfo {
                    end: stmt.syntax().text_range().end(),
                    names,
                    plain,
                    stmt,
                }
            })
            .collect();
        self.lets
            .borrow_mut()
            .insert(list.syntax().clone(), lets.clone());
        lets
    }

    /// The runtime object the binding `name` visible at `at` holds.
    fn binding_type(&self, at: &SyntaxNode, name: &str, depth: u8) -> Option<RuntimeValue> {
        match self.binding(at, name)? {
            Binding::Let(l) => match l.ty() {
                Some(ty) => self.type_value(&ty),
                None => self.value_of(&l.initializer()?, depth + 1),
            },
            Binding::Param(ty) | Binding::Item(ty) => self.type_value(&ty?),
            Binding::Destructured(_) => None,
        }
    }

    /// The type of a method call's receiver, as a path written in this file, when the code makes
    /// it evident: a parameter or `let` with a declared type, a `let` bound from a constructor
    /// (`Store::open(..)`, `Store { .. }`), or a field of `self`. `None` when unknown.
    pub fn receiver_type(&self, expr: &ast::Expr) -> Option<Vec<String>> {
        self.receiver_type_at(expr, 0)
    }

    fn receiver_type_at(&self, expr: &ast::Expr, depth: u8) -> Option<Vec<String>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match expr {
            ast::Expr::ParenExpr(e) => self.receiver_type_at(&e.expr()?, depth + 1),
            ast::Expr::RefExpr(e) => self.receiver_type_at(&e.expr()?, depth + 1),
            ast::Expr::TryExpr(e) => self.receiver_type_at(&e.expr()?, depth + 1),
            ast::Expr::MethodCallExpr(mc) => {
                let name = mc.name_ref()?;
                if !matches!(
                    name.text(),
                    "unwrap" | "expect" | "clone" | "as_ref" | "borrow"
                ) {
                    return None;
                }
                self.receiver_type_at(&mc.receiver()?, depth + 1)
            }
            ast::Expr::CallExpr(call) => {
                let ast::Expr::PathExpr(pe) = call.expr()? else {
                    return None;
                };
                let segments = imports::segments_of(&pe.path()?);
                let (method, ty) = segments.split_last()?;
                // `Arc::new(Mutex::new(0))` is a `Mutex` for its methods.
                if method == "new" && matches!(ty.last()?.as_str(), "Arc" | "Rc" | "Box") {
                    let inner = call.arg_list()?.args().next()?;
                    return self.receiver_type_at(&inner, depth + 1);
                }
                let is_type = ty.last()?.starts_with(|c: char| c.is_ascii_uppercase());
                (is_type && is_constructor(method)).then(|| ty.to_vec())
            }
            ast::Expr::RecordExpr(r) => Some(imports::segments_of(&r.path()?)),
            ast::Expr::PathExpr(pe) => {
                let path = pe.path()?;
                let name = path.as_single_name_ref()?;
                match self.binding(pe.syntax(), name.text())? {
                    Binding::Let(l) => match l.ty() {
                        Some(ty) => type_path(&ty),
                        None => self.receiver_type_at(&l.initializer()?, depth + 1),
                    },
                    Binding::Param(ty) | Binding::Item(ty) => type_path(&ty?),
                    Binding::Destructured(_) => None,
                }
            }
            ast::Expr::FieldExpr(fe) => type_path(&self.field_type(fe)?),
            _ => None,
        }
    }

    fn static_binding(&self, name: &str) -> Option<Binding> {
        let item = self.items_by_name().get(name)?;
        match_ast! {
            match item {
                ast::Static(s) => Some(Binding::Item(s.ty())),
                ast::Const(c) => Some(Binding::Item(c.ty())),
                _ => None,
            }
        }
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
        let strukt = ast::Struct::cast(self.items_by_name().get(&self_name)?.clone())?;
        match strukt.field_list()? {
            ast::FieldList::RecordFieldList(fields) => fields
                .fields()
                .find(|f| f.name().is_some_and(|n| n.text() == field))?
                .ty(),
            ast::FieldList::TupleFieldList(fields) => {
                fields.fields().nth(field.parse().ok()?)?.ty()
            }
        }
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

/// A `let` statement of a block, as [`FileModel::binding`] looks names up in it.
pub struct LetInfo {
    end: ra_ap_syntax::TextSize,
    /// What it binds: the name of `let name`, or every name a pattern destructures.
    names: Vec<String>,
    /// `let name = ..` (not a pattern).
    plain: bool,
    stmt: ast::LetStmt,
}

/// Where a name is bound.
pub enum Binding {
    /// `let name = ..;`
    Let(ast::LetStmt),
    /// `let (a, name) = ..;`: one of the names a pattern destructures.
    Destructured(ast::LetStmt),
    /// A function or closure parameter, with its type if written.
    Param(Option<ast::Type>),
    /// A `static` or `const` item.
    Item(Option<ast::Type>),
}

/// Associated functions that, by convention, build a value of their type.
fn is_constructor(name: &str) -> bool {
    matches!(
        name,
        "new" | "default" | "open" | "connect" | "create" | "init" | "try_new" | "load"
    ) || name.starts_with("from_")
        || name.starts_with("with_")
        || name.starts_with("new_")
}

/// The path of a written type, references and smart pointers taken off: `&Arc<store::Store>` is
/// `store::Store`.
fn type_path(ty: &ast::Type) -> Option<Vec<String>> {
    match ty {
        ast::Type::RefType(r) => type_path(&r.ty()?),
        ast::Type::PathType(pt) => {
            let path = pt.path()?;
            let last = path.segment()?;
            if matches!(last.name_ref()?.text(), "Arc" | "Rc" | "Box")
                && let Some(ast::GenericArg::TypeArg(arg)) = last
                    .generic_arg_list()
                    .and_then(|l| l.generic_args().next())
            {
                return type_path(&arg.ty()?);
            }
            Some(imports::segments_of(&path))
        }
        _ => None,
    }
}

/// Whether `pat` is the plain binding `name` (a parameter `name: T`, a closure's `|name|`).
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

/// `x.unwrap()`, `x.expect(..)`, `x?`, `(x)` -> `x`, repeatedly.
pub(crate) fn strip_unwrap(mut e: ast::Expr) -> ast::Expr {
    loop {
        let inner = match &e {
            ast::Expr::TryExpr(t) => t.expr(),
            ast::Expr::ParenExpr(p) => p.expr(),
            ast::Expr::MethodCallExpr(mc)
                if mc
                    .name_ref()
                    .is_some_and(|n| matches!(n.text(), "unwrap" | "expect")) =>
            {
                mc.receiver()
            }
            _ => None,
        };
        match inner {
            Some(inner) => e = inner,
            None => return e,
        }
    }
}
