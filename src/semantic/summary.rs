//! Per-file summaries, computed in parallel and owned (syntax trees are `!Send`): every function
//! and method of the file with its call sites (callee as written, and the context the callee runs
//! in), and the module-level `use` aliases that other files resolve through.

use ra_ap_syntax::{
    AstNode, SourceFile, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasName},
    match_ast,
};

use super::context::{self, ExecContext, SyncContext};
use super::imports;

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
    /// `x.name()` on a receiver whose type the model does not know.
    Method(String),
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
}

#[derive(Clone, Debug)]
pub struct FnSummary {
    pub name: String,
    /// Start of the `fn` item: identifies the function within its file.
    pub start: TextSize,
    pub name_range: TextRange,
    /// Inline `mod` names from the file's root to the function.
    pub inline_modules: Vec<String>,
    /// `Client` for a method in `impl Client` or `impl Trait for Client`.
    pub self_ty: Option<String>,
    pub is_async: bool,
    /// `#[tokio::main]`, `#[tokio::test]`...
    pub runtime_entry: bool,
    pub calls: Vec<CallSite>,
}

/// `use` items at module level: `(inline modules, local name, path as written)`.
pub type ModuleAlias = (Vec<String>, String, Vec<String>);

#[derive(Clone, Debug, Default)]
pub struct FileSummary {
    pub fns: Vec<FnSummary>,
    pub aliases: Vec<ModuleAlias>,
}

impl FileSummary {
    pub fn build(file: &SourceFile) -> FileSummary {
        let mut summary = FileSummary::default();
        for node in file.syntax().descendants() {
            match node.kind() {
                SyntaxKind::FN => {
                    if let Some(f) = ast::Fn::cast(node) {
                        summary.fns.push(fn_summary(&f));
                    }
                }
                SyntaxKind::CALL_EXPR | SyntaxKind::METHOD_CALL_EXPR => {
                    if let Some((owner, site)) = call_site(&node) {
                        // Functions are pushed in preorder, so the owner is already there.
                        if let Some(f) = summary.fns.iter_mut().rev().find(|f| f.start == owner) {
                            f.calls.push(site);
                        }
                    }
                }
                SyntaxKind::USE => {
                    if let Some(alias) = module_aliases(&node) {
                        summary.aliases.extend(alias);
                    }
                }
                _ => {}
            }
        }
        summary
    }
}

fn fn_summary(f: &ast::Fn) -> FnSummary {
    let name = f.name().map(|n| n.text().to_string()).unwrap_or_default();
    let name_range = f
        .name()
        .map_or(f.syntax().text_range(), |n| n.syntax().text_range());
    FnSummary {
        name,
        start: f.syntax().text_range().start(),
        name_range,
        inline_modules: inline_modules(f.syntax()),
        self_ty: self_type(f.syntax()),
        is_async: f.async_token().is_some(),
        runtime_entry: context::runtime_entry(f).is_some(),
        calls: Vec::new(),
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

/// The enclosing function's start and the call site, for a call inside a function.
fn call_site(node: &SyntaxNode) -> Option<(TextSize, CallSite)> {
    let owner = node.ancestors().skip(1).find_map(ast::Fn::cast)?;
    let (range, target) = match_ast! {
        match node {
            ast::CallExpr(call) => {
                let ast::Expr::PathExpr(pe) = call.expr()? else { return None };
                let path = pe.path()?;
                let name = path.segment()?.name_ref()?;
                let absolute = path.first_segment().is_some_and(|s| s.coloncolon_token().is_some());
                (name.syntax().text_range(), CallTarget::Path { segments: imports::segments_of(&path), absolute })
            },
            ast::MethodCallExpr(mc) => {
                let name = mc.name_ref()?;
                let is_self = matches!(mc.receiver()?, ast::Expr::PathExpr(pe) if pe.path().is_some_and(|p| p.to_string() == "self"));
                let method = name.text().to_string();
                let target = if is_self { CallTarget::SelfMethod(method) } else { CallTarget::Method(method) };
                (name.syntax().text_range(), target)
            },
            _ => return None,
        }
    };
    let context = match context::exec_context(node) {
        ExecContext::Async(_) => SiteContext::Async,
        ExecContext::Sync(SyncContext::OffThread { .. }) => SiteContext::OffThread,
        ExecContext::Sync(SyncContext::DeferredClosure) => SiteContext::Deferred,
        ExecContext::Sync(_) => SiteContext::Direct,
    };
    let site = CallSite {
        range,
        offset: node.text_range().start(),
        target,
        context,
    };
    Some((owner.syntax().text_range().start(), site))
}

/// The names a module-level `use` binds, with the inline modules it sits in.
fn module_aliases(node: &SyntaxNode) -> Option<Vec<ModuleAlias>> {
    let parent = node.parent()?;
    if !matches!(
        parent.kind(),
        SyntaxKind::SOURCE_FILE | SyntaxKind::ITEM_LIST
    ) {
        return None;
    }
    let tree = ast::Use::cast(node.clone())?.use_tree()?;
    let modules = inline_modules(node);
    Some(
        imports::bindings(&tree)
            .into_iter()
            .map(|(name, path)| (modules.clone(), name, path))
            .collect(),
    )
}
