//! Per-file summaries, computed in parallel and owned (syntax trees are `!Send`): every function
//! and method of the file with its call sites (callee as written, and the context the callee runs
//! in), and the module-level `use` aliases that other files resolve through.

use ra_ap_syntax::{
    AstNode, SourceFile, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasGenericArgs, HasName},
    match_ast,
};

use super::context::{self, ExecContext, SyncContext};
use super::graph::DriverNeeds;
use super::{Executor, FileModel, KindSet, RuntimeKind, WantedWalk, imports};

/// How a call names its callee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallTarget {
    /// `helper()`, `crate::cfg::load()`, `Type::new()`, `other_crate::f()`: the path as written.
    Path {
        segments: Vec<String>,
        absolute: bool,
    },
    /// `self.helper()` inside an `impl`.
    SelfMethod(String),
    /// `store.load()` where the receiver's type is evident: the type's path as written.
    TypedMethod { ty: Vec<String>, method: String },
    /// `x.name()` on a receiver whose type the model does not know (only counted: nothing
    /// resolves it).
    Method,
}

/// Where the callee of a call site runs, relative to the calling function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteContext {
    /// In the caller's own body: the callee runs wherever the caller runs.
    Direct,
    /// In async code (the caller is `async`, or the call is in an async block or closure).
    Async,
    /// In a closure handed to `spawn_blocking`, `std::thread::spawn`...: a thread that may block.
    OffThread,
    /// In a closure stored or returned: where it runs is unknown.
    Deferred,
}

#[derive(Clone, Debug)]
pub struct CallSite {
    /// The callee's name (the last path segment or the method name): where to point.
    pub range: TextRange,
    /// Where the call is written, for import scopes.
    pub offset: TextSize,
    pub target: CallTarget,
    pub context: SiteContext,
    /// The whole call expression (`helper(x)`, `self.load()`): where `.await` would go.
    pub call: TextRange,
    /// In async code where `.await` can be written (not inside a sync closure).
    pub awaitable: bool,
    /// Inside a closure of the calling function.
    pub in_closure: bool,
}

/// What a function does directly, as far as runtimes are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FactKind {
    /// Drives a future to completion on this executor.
    BlockOn(Executor),
    /// `Runtime::new()`, `Builder::...build()`.
    BuildsRuntime,
    /// `rt.enter()` / `handle.enter()`.
    EntersRuntime,
    /// `std::thread::sleep`.
    Sleeps,
    /// Blocking I/O from `std`, e.g. `std::fs::read_to_string`.
    BlockingIo(String),
    /// Spawns a task or thread, e.g. `tokio::spawn`.
    Spawns(String),
    /// Uses Tokio's timer driver: `tokio::time::sleep`, `interval`, `timeout`...
    UsesTimer(String),
    /// Uses Tokio's I/O driver: `tokio::net`, `tokio::signal`, `tokio::process`.
    UsesIo(String),
    /// Uses a library built on Tokio (`reqwest`, `hyper`, `tonic`, `sqlx`...): needs a Tokio runtime.
    UsesTokioLibrary(String),
}

/// Libraries whose futures need a Tokio runtime to run.
pub const TOKIO_BASED: &[&str] = &[
    "reqwest",
    "hyper",
    "hyper_util",
    "tonic",
    "sqlx",
    "redis",
    "mongodb",
    "bb8",
    "deadpool_postgres",
    "tokio_postgres",
    "axum",
    "warp",
    "tower_http",
    "rdkafka",
    "lapin",
];

/// The Tokio drivers a call to the function at `path` needs.
pub fn tokio_driver_of(path: &str) -> DriverNeeds {
    let krate = path.split("::").next().unwrap_or_default();
    let time = TIMER_FNS.contains(&path);
    let io = path.starts_with("tokio::net::")
        || path.starts_with("tokio::signal::")
        || path.starts_with("tokio::process::");
    // Tokio's own runtime-bound APIs (`tokio::sync` and `tokio::io` work on any executor).
    let tokio_runtime = time
        || io
        || path.starts_with("tokio::fs::")
        || matches!(
            path,
            "tokio::spawn"
                | "tokio::task::spawn"
                | "tokio::task::spawn_blocking"
                | "tokio::runtime::Handle::current"
        );
    DriverNeeds {
        time,
        io,
        tokio_based: tokio_runtime || TOKIO_BASED.contains(&krate) || krate.starts_with("aws_sdk_"),
    }
}

/// Tokio functions that need the timer driver.
pub(crate) const TIMER_FNS: &[&str] = &[
    "tokio::time::sleep",
    "tokio::time::sleep_until",
    "tokio::time::interval",
    "tokio::time::interval_at",
    "tokio::time::timeout",
    "tokio::time::timeout_at",
];

#[derive(Clone, Debug)]
pub struct Fact {
    pub kind: FactKind,
    pub range: TextRange,
    pub context: SiteContext,
    /// The whole call expression.
    pub call: TextRange,
    /// For a `block_on` on a Tokio runtime: which runtime, when the file shows it.
    pub runtime: Option<RuntimeOwner>,
}

/// The Tokio runtime a `block_on` drives its future on, as far as the file shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RuntimeOwner {
    /// Built for this call only: `Runtime::new().unwrap().block_on(..)`, `tokio_test::block_on`.
    Own,
    /// A local variable of the function: `rt.block_on(..)`.
    Local(String),
    /// A static, by name: `RUNTIME.block_on(..)`.
    Static(String),
}

/// How a static value is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaticKind {
    Static,
    Const,
    /// `lazy_static! { static ref X: T = ..; }`
    LazyStatic,
    /// `thread_local! { static X: T = ..; }`
    ThreadLocal,
}

#[derive(Clone, Debug)]
pub struct StaticSummary {
    pub name: String,
    pub kind: StaticKind,
    pub name_range: TextRange,
    pub inline_modules: Vec<String>,
    /// The declared type as written: `LazyLock<reqwest::Client>`.
    pub ty: String,
    /// The type it holds, resolved where it names a dependency's type, with lazy/once wrappers
    /// (`LazyLock`, `OnceLock`, `Lazy`, `OnceCell`, `RefCell`, `Mutex`...) taken off:
    /// `reqwest::Client`.
    pub holds: Option<String>,
    /// Where its initializer is written (not a copy: const tables can be megabytes).
    pub initializer: Option<TextRange>,
}

/// A place where code names something that may be a static (SCREAMING_CASE paths).
#[derive(Clone, Debug)]
pub struct NameUse {
    pub segments: Vec<String>,
    pub range: TextRange,
    pub offset: TextSize,
    /// Start of the enclosing function, if any.
    pub in_fn: Option<TextSize>,
    pub context: SiteContext,
}

#[derive(Clone, Debug)]
pub struct FnSummary {
    pub name: String,
    /// Start of the `fn` item: identifies the function within its file.
    pub start: TextSize,
    /// End of the `fn` item.
    pub end: TextSize,
    /// Its code names a seed identifier of the prefilter ([`super::relevance`]).
    pub seeded: bool,
    pub name_range: TextRange,
    /// Inline `mod` names from the file's root to the function.
    pub inline_modules: Vec<String>,
    /// `Client` for a method in `impl Client` or `impl Trait for Client`.
    pub self_ty: Option<String>,
    pub is_async: bool,
    /// Has a visibility (`pub`, `pub(crate)`...): it may be called from elsewhere.
    pub is_pub: bool,
    /// Where `async ` goes to make it an `async fn` (before `unsafe`, else before `fn`); `None`
    /// for `const` and `extern` functions, which cannot be async.
    pub async_insert: Option<TextSize>,
    /// A method of a trait implementation: its signature is the trait's.
    pub in_trait_impl: bool,
    /// `#[tokio::main]`, `#[tokio::test]`... with its flavor.
    pub entry: Option<context::RuntimeEntry>,
    /// A test or a benchmark (`#[test]`, `#[tokio::test]`, `#[rstest]`, `#[bench]`...): the
    /// harness calls it, code does not.
    pub is_test: bool,
    /// The route attribute that makes it a request handler (`actix_web::get`).
    pub route: Option<String>,
    /// Its calls, but for methods on receivers of unknown type: nothing resolves those.
    pub calls: Vec<CallSite>,
    /// How many calls of methods on receivers of unknown type it makes (for the counts of `-v`).
    pub untyped_method_calls: u32,
    pub facts: Vec<Fact>,
}

/// The kinds of node a summary is made of.
const SUMMARISED: KindSet = KindSet::of(&[
    SyntaxKind::FN,
    SyntaxKind::CALL_EXPR,
    SyntaxKind::METHOD_CALL_EXPR,
    SyntaxKind::USE,
    SyntaxKind::STATIC,
    SyntaxKind::CONST,
    SyntaxKind::MACRO_CALL,
    SyntaxKind::PATH_EXPR,
]);

/// `use` items at module level: `(inline modules, local name, path as written)`.
pub type ModuleAlias = (Vec<String>, String, Vec<String>);

/// Glob `use` items at module level: `(inline modules, the module glob-imported, as written)`.
pub type ModuleGlob = (Vec<String>, Vec<String>);

#[derive(Clone, Debug, Default)]
pub struct FileSummary {
    pub fns: Vec<FnSummary>,
    pub aliases: Vec<ModuleAlias>,
    /// What the file's modules glob-import (`pub use inner::*;`): paths through them name the
    /// items of the module imported.
    pub globs: Vec<ModuleGlob>,
    pub statics: Vec<StaticSummary>,
    pub name_uses: Vec<NameUse>,
    /// Functions registered as request handlers (`get(handler)`), with the routing function.
    pub handler_refs: Vec<(NameUse, String)>,
}

impl FileSummary {
    pub fn build(model: &FileModel<'_>) -> FileSummary {
        FileSummary::build_with(model, true, Some(&|_| true))
    }

    /// [`FileSummary::build`]; without `facts`, no call is classified as a runtime fact or a
    /// handler registration: for files without a seed word, where none can be (see
    /// [`super::relevance`]). `seed` tells which identifiers make a function `seeded` (`None`:
    /// the file holds none, no function is).
    pub fn build_with(
        model: &FileModel<'_>,
        facts: bool,
        seed: Option<&dyn Fn(&str) -> bool>,
    ) -> FileSummary {
        FileSummary::build_visiting(model, facts, seed, &KindSet::default(), &mut |_| {})
    }

    /// [`FileSummary::build_with`], showing `visit` every node of the kinds in `visits` on the
    /// way (one walk over the file for the summary and whatever else looks at its nodes; `visit`
    /// may see nodes of other kinds too).
    pub fn build_visiting(
        model: &FileModel<'_>,
        facts: bool,
        seed: Option<&dyn Fn(&str) -> bool>,
        visits: &KindSet,
        visit: &mut dyn FnMut(&SyntaxNode),
    ) -> FileSummary {
        let mut summary = FileSummary::default();
        let wanted = SUMMARISED.union(visits);
        let mut walk = model.wanted_nodes(&wanted);
        while let Some((node, in_macro)) = walk.next() {
            visit(&node);
            match node.kind() {
                // Items written inside macro arguments are not items of the module.
                SyntaxKind::FN
                | SyntaxKind::USE
                | SyntaxKind::STATIC
                | SyntaxKind::CONST
                | SyntaxKind::MACRO_CALL
                    if in_macro => {}
                SyntaxKind::FN => {
                    if let Some(f) = ast::Fn::cast(node) {
                        summary.fns.push(fn_summary(model, &f, seed));
                    }
                }
                SyntaxKind::CALL_EXPR | SyntaxKind::METHOD_CALL_EXPR => {
                    let handlers = if facts {
                        model.registered_handlers(&node)
                    } else {
                        Vec::new()
                    };
                    for handler in handlers {
                        let route = model.routing_call(&node).unwrap_or_default();
                        if let Some(u) = fn_reference(model, handler.syntax()) {
                            summary.handler_refs.push((u, route));
                        }
                    }
                    let fact = if facts { fact(model, &node) } else { None };
                    let walk = (!in_macro).then_some(&walk);
                    if let Some((owner, site)) = call_site(model, &node, fact.is_some(), walk) {
                        // Functions are pushed in preorder, so the owner is already there.
                        if let Some(f) = summary.fns.iter_mut().rev().find(|f| f.start == owner) {
                            if let Some(kind) = fact {
                                f.facts.push(Fact {
                                    runtime: match kind {
                                        FactKind::BlockOn(_) => model.block_on_runtime(&node),
                                        _ => None,
                                    },
                                    kind,
                                    range: site.range,
                                    context: site.context,
                                    call: site.call,
                                });
                            }
                            // Half of all calls are methods on receivers of unknown type: count
                            // them, do not keep them.
                            if matches!(site.target, CallTarget::Method) {
                                f.untyped_method_calls += 1;
                            } else {
                                f.calls.push(site);
                            }
                        }
                    }
                }
                SyntaxKind::USE => {
                    if let Some((aliases, globs)) = module_uses(&node) {
                        summary.aliases.extend(aliases);
                        summary.globs.extend(globs);
                    }
                }
                SyntaxKind::STATIC | SyntaxKind::CONST => {
                    if let Some(st) = static_item(model, &node) {
                        summary.statics.push(st);
                    }
                }
                SyntaxKind::MACRO_CALL => {
                    summary.statics.extend(macro_statics(model, &node));
                }
                SyntaxKind::PATH_EXPR => {
                    if let Some(u) = name_use(model, &node) {
                        summary.name_uses.push(u);
                    }
                }
                _ => {}
            }
        }
        // Summaries live until the call graph is built: no spare capacity.
        for f in &mut summary.fns {
            f.calls.shrink_to_fit();
            f.facts.shrink_to_fit();
        }
        summary.fns.shrink_to_fit();
        summary.name_uses.shrink_to_fit();
        summary
    }
}

/// What the call `node` does, when it is one of the runtime-relevant calls.
fn fact(model: &FileModel<'_>, node: &SyntaxNode) -> Option<FactKind> {
    if let Some(b) = model.block_on(node) {
        return Some(FactKind::BlockOn(b.executor));
    }
    if model.runtime_construction(node).is_some() {
        return Some(FactKind::BuildsRuntime);
    }
    match_ast! {
        match node {
            ast::CallExpr(call) => {
                let ast::Expr::PathExpr(pe) = call.expr()? else { return None };
                let path = model.resolve_path(&pe.path()?)?;
                match &*path {
                    "std::thread::sleep" => Some(FactKind::Sleeps),
                    "tokio::spawn" | "tokio::task::spawn" | "tokio::task::spawn_local"
                    | "tokio::task::spawn_blocking" | "std::thread::spawn" | "async_std::task::spawn"
                    | "smol::spawn" => Some(FactKind::Spawns(path.to_string())),
                    p if tokio_driver_of(p).time => Some(FactKind::UsesTimer(path.to_string())),
                    p if tokio_driver_of(p).io => Some(FactKind::UsesIo(path.to_string())),
                    p if tokio_driver_of(p).tokio_based => Some(FactKind::UsesTokioLibrary(path.to_string())),
                    p if p.starts_with("std::fs::")
                        || p.starts_with("std::net::")
                        || p == "std::io::stdin" => Some(FactKind::BlockingIo(path.to_string())),
                    _ => None,
                }
            },
            ast::MethodCallExpr(mc) => {
                let name = mc.name_ref()?;
                if !matches!(name.text(), "enter" | "spawn") {
                    return None;
                }
                let value = model.runtime_value(&mc.receiver()?)?;
                match (value.kind, name.text()) {
                    (RuntimeKind::Runtime | RuntimeKind::Handle, "enter") => Some(FactKind::EntersRuntime),
                    (RuntimeKind::Runtime | RuntimeKind::Handle, "spawn") => {
                        Some(FactKind::Spawns("tokio::runtime::Handle::spawn".to_owned()))
                    }
                    _ => None,
                }
            },
            _ => None,
        }
    }
}

/// Wrappers whose content is what a static "holds".
const WRAPPERS: &[&str] = &[
    "LazyLock", "Lazy", "OnceLock", "OnceCell", "Arc", "Rc", "Box", "Mutex", "RwLock", "RefCell",
    "Cell", "Option",
];

/// The type a declared type holds, wrappers taken off, resolved where it names a dependency.
fn held_type(model: &FileModel<'_>, ty: &ast::Type) -> Option<String> {
    match ty {
        ast::Type::RefType(r) => held_type(model, &r.ty()?),
        ast::Type::PathType(pt) => {
            let path = pt.path()?;
            let last = path.segment()?;
            let name = last.name_ref()?.text().to_string();
            if WRAPPERS.contains(&name.as_str())
                && let Some(ast::GenericArg::TypeArg(arg)) = last
                    .generic_arg_list()
                    .and_then(|l| l.generic_args().next())
            {
                return held_type(model, &arg.ty()?);
            }
            let resolved = model
                .resolve_path(&path)
                .unwrap_or_else(|| imports::segments_of(&path).join("::").into());
            // A tonic-generated client keeps its transport in its type argument:
            // `GreeterClient<Channel>`.
            let transport = last
                .generic_arg_list()
                .and_then(|l| l.generic_args().next())
                .and_then(|a| match a {
                    ast::GenericArg::TypeArg(t) => held_type(model, &t.ty()?),
                    _ => None,
                })
                .filter(|t| t == "tonic::transport::Channel");
            Some(match transport {
                Some(t) => format!("{resolved}<{t}>"),
                None => resolved.to_string(),
            })
        }
        _ => None,
    }
}

fn static_item(model: &FileModel<'_>, node: &SyntaxNode) -> Option<StaticSummary> {
    // Only items: a `const` in a block is scoped to it and not shared.
    let (name, ty, init, kind) = match_ast! {
        match node {
            ast::Static(s) => (s.name()?, s.ty()?, s.body(), StaticKind::Static),
            ast::Const(c) => (c.name()?, c.ty()?, c.body(), StaticKind::Const),
            _ => return None,
        }
    };
    if !matches!(
        node.parent()?.kind(),
        SyntaxKind::SOURCE_FILE | SyntaxKind::ITEM_LIST
    ) {
        return None;
    }
    Some(StaticSummary {
        name: name.text().to_string(),
        kind,
        name_range: name.syntax().text_range(),
        inline_modules: inline_modules(node),
        ty: ty.syntax().text().to_string(),
        holds: held_type(model, &ty),
        initializer: init.map(|e| e.syntax().text_range()),
    })
}

/// `lazy_static! { static ref X: T = e; }` and `thread_local! { static X: T = e; }`: the macro
/// body is parsed as items (without `ref`) to read names, types and initializers.
fn macro_statics(model: &FileModel<'_>, node: &SyntaxNode) -> Vec<StaticSummary> {
    let Some(call) = ast::MacroCall::cast(node.clone()) else {
        return Vec::new();
    };
    let Some(name) = call
        .path()
        .and_then(|p| p.segment()?.name_ref())
        .map(|n| n.text().to_string())
    else {
        return Vec::new();
    };
    let kind = match name.as_str() {
        "lazy_static" => StaticKind::LazyStatic,
        "thread_local" => StaticKind::ThreadLocal,
        _ => return Vec::new(),
    };
    let Some(tt) = call.token_tree() else {
        return Vec::new();
    };
    let text = tt.syntax().text().to_string();
    let inner = &text[1..text.len().saturating_sub(1)];
    // `static ref X` -> `static     X`: same length, so ranges map back by a fixed offset.
    let items = inner.replace("static ref ", "static     ");
    let parsed = SourceFile::parse(&items, ra_ap_syntax::Edition::Edition2021).tree();
    let base = tt.syntax().text_range().start() + TextSize::from(1);
    parsed
        .syntax()
        .descendants()
        .filter_map(ast::Static::cast)
        .filter_map(|s| {
            let name = s.name()?;
            let ty = s.ty()?;
            Some(StaticSummary {
                name: name.text().to_string(),
                kind,
                name_range: name.syntax().text_range() + base,
                inline_modules: inline_modules(node),
                ty: ty.syntax().text().to_string(),
                holds: held_type(model, &ty),
                initializer: s.body().map(|e| e.syntax().text_range() + base),
            })
        })
        .collect()
}

/// A path expression that may name a static: its last segment is SCREAMING_CASE.
fn name_use(model: &FileModel<'_>, node: &SyntaxNode) -> Option<NameUse> {
    let pe = ast::PathExpr::cast(node.clone())?;
    let path = pe.path()?;
    let last = path.segment()?.name_ref()?;
    let text = last.text();
    let screaming = text.len() > 1
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && text.chars().any(|c| c.is_ascii_uppercase());
    if !screaming {
        return None;
    }
    let in_fn = model
        .ancestors(node)
        .skip(1)
        .find_map(ast::Fn::cast)
        .map(|f| f.syntax().text_range().start());
    Some(NameUse {
        segments: imports::segments_of(&path),
        range: last.syntax().text_range(),
        offset: node.text_range().start(),
        in_fn,
        context: site_context(model, node),
    })
}

/// A path expression naming a function (`handler` in `get(handler)`).
fn fn_reference(model: &FileModel<'_>, node: &SyntaxNode) -> Option<NameUse> {
    let path = ast::PathExpr::cast(node.clone())?.path()?;
    let last = path.segment()?.name_ref()?;
    Some(NameUse {
        segments: imports::segments_of(&path),
        range: last.syntax().text_range(),
        offset: node.text_range().start(),
        in_fn: model
            .ancestors(node)
            .skip(1)
            .find_map(ast::Fn::cast)
            .map(|f| f.syntax().text_range().start()),
        context: site_context(model, node),
    })
}

/// Whether an identifier of the function `f`, from its name on (not its attributes or doc
/// comments; not comments or strings), is a seed (walked on the green tree: no cursor per token).
fn seeded(f: &SyntaxNode, seed: &dyn Fn(&str) -> bool) -> bool {
    let children: Vec<_> = f.green().children().collect();
    let from = children
        .iter()
        .position(|c| SyntaxKind::from(c.kind().0) == SyntaxKind::NAME)
        .unwrap_or(0);
    let mut stack: Vec<_> = children[from..].iter().rev().cloned().collect();
    while let Some(element) = stack.pop() {
        match element {
            ra_ap_syntax::NodeOrToken::Node(node) => {
                let at = stack.len();
                stack.extend(node.children());
                stack[at..].reverse();
            }
            ra_ap_syntax::NodeOrToken::Token(token) => {
                if SyntaxKind::from(token.kind().0) == SyntaxKind::IDENT && seed(token.text()) {
                    return true;
                }
            }
        }
    }
    false
}

fn fn_summary(
    model: &FileModel<'_>,
    f: &ast::Fn,
    seed: Option<&dyn Fn(&str) -> bool>,
) -> FnSummary {
    let name = f.name().map(|n| n.text().to_string()).unwrap_or_default();
    let name_range = f
        .name()
        .map_or(f.syntax().text_range(), |n| n.syntax().text_range());
    FnSummary {
        name,
        start: f.syntax().text_range().start(),
        end: f.syntax().text_range().end(),
        // Identifiers of its code, from the name on (not its attributes or doc comments, not
        // comments or strings), macro arguments included.
        seeded: seed.is_some_and(|seed| seeded(f.syntax(), seed)),
        name_range,
        inline_modules: inline_modules(f.syntax()),
        self_ty: self_type(f.syntax()),
        is_async: f.async_token().is_some(),
        is_pub: ast::HasVisibility::visibility(f).is_some(),
        async_insert: if f.const_token().is_some() || f.abi().is_some() {
            None
        } else {
            f.unsafe_token()
                .or_else(|| f.fn_token())
                .map(|t| t.text_range().start())
        },
        in_trait_impl: f
            .syntax()
            .parent()
            .and_then(|p| p.parent())
            .and_then(ast::Impl::cast)
            .is_some_and(|i| i.trait_().is_some()),
        entry: model.runtime_entry(f),
        is_test: context::is_test(f),
        route: model.route_attribute(f),
        calls: Vec::new(),
        untyped_method_calls: 0,
        facts: Vec::new(),
    }
}

/// Names of the inline modules around `node`, outermost first.
pub fn inline_modules(node: &SyntaxNode) -> Vec<String> {
    let mut names: Vec<String> = node
        .ancestors()
        .filter_map(ast::Module::cast)
        .filter_map(|m| m.name().map(|n| n.text().to_string()))
        .collect();
    names.reverse();
    names
}

/// The type an enclosing `impl` is for, by its last path segment.
fn self_type(node: &SyntaxNode) -> Option<String> {
    let imp = node
        .ancestors()
        .skip(1)
        .take_while(|n| n.kind() != SyntaxKind::FN)
        .find_map(ast::Impl::cast)?;
    let ast::Type::PathType(pt) = imp.self_ty()? else {
        return None;
    };
    Some(pt.path()?.segment()?.name_ref()?.text().to_string())
}

/// The enclosing function's start and the call site, for a call inside a function. A method call
/// on a receiver of unknown type is only counted (nothing resolves it): where it runs is not
/// worked out unless `placed` asks for it (the call is a runtime fact).
fn call_site(
    model: &FileModel<'_>,
    node: &SyntaxNode,
    placed: bool,
    walk: Option<&WantedWalk<'_>>,
) -> Option<(TextSize, CallSite)> {
    // The innermost function, and whether a closure lies between: one walk up (across macro
    // levels, for code inside macro arguments, it is not a cheap one).
    let by_ancestors = || {
        let mut in_closure = false;
        for a in model.ancestors(node).skip(1) {
            match a.kind() {
                SyntaxKind::FN => return ast::Fn::cast(a).map(|f| (f, in_closure)),
                SyntaxKind::CLOSURE_EXPR => in_closure = true,
                _ => {}
            }
        }
        None
    };
    // The walk knows the functions around a node of the file itself (not of macro arguments).
    let (owner, in_closure) = match walk {
        Some(walk) => {
            let found = walk.owner_fn();
            // Debug builds (every test) hold the walk to what the ancestors say.
            debug_assert_eq!(found, by_ancestors(), "{node:?}");
            found?
        }
        None => by_ancestors()?,
    };
    let (range, target) = match_ast! {
        match node {
            ast::CallExpr(call) => {
                let ast::Expr::PathExpr(pe) = call.expr()? else { return None };
                let written = imports::written(&pe.path()?);
                (written.name?, CallTarget::Path { segments: written.segments, absolute: written.absolute })
            },
            ast::MethodCallExpr(mc) => {
                let name = mc.name_ref()?;
                let receiver = mc.receiver()?;
                let is_self = matches!(&receiver, ast::Expr::PathExpr(pe) if pe.path().is_some_and(|p| p.syntax().text() == "self"));
                let target = if is_self {
                    CallTarget::SelfMethod(name.text().to_string())
                } else {
                    match model.receiver_type(&receiver) {
                        Some(ty) => CallTarget::TypedMethod { ty, method: name.text().to_string() },
                        None => CallTarget::Method,
                    }
                };
                (name.syntax().text_range(), target)
            },
            _ => return None,
        }
    };
    let owner = owner.syntax().text_range().start();
    let (context, awaitable, in_closure) = if matches!(target, CallTarget::Method) && !placed {
        (SiteContext::Direct, false, false)
    } else {
        let exec = match walk {
            Some(walk) => {
                let exec = model.exec_context_in_walk(walk);
                debug_assert_eq!(exec, model.exec_context(node), "{node:?}");
                exec
            }
            None => model.exec_context(node),
        };
        (
            context_of(&exec),
            matches!(exec, ExecContext::Async(a) if !a.through_closure),
            in_closure,
        )
    };
    let site = CallSite {
        range,
        offset: node.text_range().start(),
        target,
        context,
        call: node.text_range(),
        awaitable,
        in_closure,
    };
    Some((owner, site))
}

/// Where code at `node` runs, relative to its function.
fn site_context(model: &FileModel<'_>, node: &SyntaxNode) -> SiteContext {
    context_of(&model.exec_context(node))
}

fn context_of(exec: &ExecContext) -> SiteContext {
    match exec {
        ExecContext::Async(_) => SiteContext::Async,
        ExecContext::Sync(SyncContext::OffThread { .. }) => SiteContext::OffThread,
        ExecContext::Sync(SyncContext::DeferredClosure) => SiteContext::Deferred,
        ExecContext::Sync(_) => SiteContext::Direct,
    }
}

/// The names a module-level `use` binds and the modules it glob-imports, with the inline
/// modules it sits in.
fn module_uses(node: &SyntaxNode) -> Option<(Vec<ModuleAlias>, Vec<ModuleGlob>)> {
    let parent = node.parent()?;
    if !matches!(
        parent.kind(),
        SyntaxKind::SOURCE_FILE | SyntaxKind::ITEM_LIST
    ) {
        return None;
    }
    let tree = ast::Use::cast(node.clone())?.use_tree()?;
    let modules = inline_modules(node);
    let (names, globs) = imports::bindings_and_globs(&tree);
    Some((
        names
            .into_iter()
            .map(|(name, path)| (modules.clone(), name, path))
            .collect(),
        globs
            .into_iter()
            .map(|path| (modules.clone(), path))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::{FileModel, Imports, MacroBodies};

    /// The names of the functions of `text` that the summary marks as tests.
    fn tests_of(text: &str) -> Vec<String> {
        let edition = ra_ap_syntax::Edition::Edition2021;
        let tree = ra_ap_syntax::SourceFile::parse(text, edition).tree();
        let imports = Imports::new(&tree, FileModel::default_externs());
        let macros = MacroBodies::build(&tree, text, edition);
        FileSummary::build(&FileModel::local(&tree, &imports, &macros, 0))
            .fns
            .into_iter()
            .filter(|f| f.is_test)
            .map(|f| f.name)
            .collect()
    }

    #[test]
    fn tests_and_benchmarks_are_the_harness_s_not_helpers_of_test_code() {
        let text = "#[test]\nfn plain() {}\n#[tokio::test]\nasync fn on_tokio() {}\n#[rstest]\nfn cases() {}\n#[bench]\nfn speed(b: &mut Bencher) {}\n#[cfg(test)]\nfn helper() {}\n#[tested]\nfn other() {}\nfn main() {}\n#[cfg_attr(feature = \"rt\", tokio::test)]\nasync fn gated() {}\n";
        assert_eq!(
            tests_of(text),
            ["plain", "on_tokio", "cases", "speed", "gated"]
        );
    }
}
