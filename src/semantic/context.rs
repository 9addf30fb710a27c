//! Where a piece of code runs: on an async task (inside an `async fn`, block or closure, or a
//! runtime entry such as `#[tokio::main]`), or on a plain thread (a sync fn, a closure handed to
//! `spawn_blocking` / `std::thread::spawn`, an initializer).

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasAttrs, HasName},
    match_ast,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsyncKind {
    Fn,
    Block,
    Closure,
}

/// The runtime flavor a runtime attribute builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    CurrentThread,
    MultiThread,
}

/// `#[tokio::main]`, `#[tokio::test]`, `#[actix_rt::main]`, `#[async_std::main]`...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeEntry {
    /// As written, e.g. `tokio::main`.
    pub attr: String,
    pub range: TextRange,
    pub flavor: Flavor,
    /// Where the attribute's path ends (`#[tokio::test` here`]`).
    pub path_end: TextSize,
    /// Just after the `(` of its arguments, when it has some.
    pub args_start: Option<TextSize>,
    /// The `"current_thread"` literal, when written.
    pub current_thread_literal: Option<TextRange>,
    /// `start_paused = true`, which only a current-thread runtime supports.
    pub start_paused: bool,
}

impl RuntimeEntry {
    /// A test's runtime (`#[tokio::test]`, `#[async_std::test]`...): nothing calls it.
    pub fn is_test(&self) -> bool {
        self.attr.ends_with("test")
    }

    /// The edit (range, replacement) that makes this attribute build a multi-thread runtime.
    pub fn to_multi_thread(&self) -> (TextRange, &'static str) {
        match (self.current_thread_literal, self.args_start) {
            (Some(literal), _) => (literal, "\"multi_thread\""),
            (None, Some(start)) => (TextRange::empty(start), "flavor = \"multi_thread\", "),
            (None, None) => (
                TextRange::empty(self.path_end),
                "(flavor = \"multi_thread\")",
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsyncContext {
    pub kind: AsyncKind,
    /// The `async` keyword of the context (or the function name for `async fn`).
    pub anchor: TextRange,
    pub entry: Option<RuntimeEntry>,
    /// The code sits in a sync closure that still runs on the async task (`iter.map(|x| ..)`):
    /// it blocks the task like direct code, but `.await` cannot be written there.
    pub through_closure: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncContext {
    /// A plain function; `is_main` for `fn main`, `is_drop` for `Drop::drop` (which runs
    /// wherever the value is dropped, async code included).
    Fn {
        name: String,
        is_main: bool,
        is_drop: bool,
    },
    /// A closure handed to an API that runs it on another thread (`spawn_blocking`,
    /// `block_in_place`, `std::thread::spawn`...).
    OffThread { api: String },
    /// A closure that is stored, returned or handed to an API not known to call it at once.
    DeferredClosure,
    /// A `const`/`static` initializer or code outside any function.
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecContext {
    Async(AsyncContext),
    Sync(SyncContext),
}

impl ExecContext {
    pub fn as_async(&self) -> Option<&AsyncContext> {
        match self {
            ExecContext::Async(a) => Some(a),
            ExecContext::Sync(_) => None,
        }
    }
}

/// APIs that run the closure they are given on a thread where blocking is allowed. Matched on the
/// callee's last segment: a sync closure handed to anything of these names is a thread body
/// (`std::thread::spawn`, `spawn_blocking` of tokio and async-std, `smol::unblock`,
/// `blocking::unblock`, `rayon::spawn`...); `actix_web::web::block` too.
const OFF_THREAD_APIS: &[&str] = &[
    "spawn",
    "spawn_blocking",
    "block_in_place",
    "unblock",
    "spawn_scoped",
];

/// The execution context of `node`.
pub fn exec_context(node: &SyntaxNode) -> ExecContext {
    exec_context_in(node.ancestors().skip(1), &[], &runtime_entry)
}

/// Real code is a few dozen levels deep; a generated chain of thousands of calls would make
/// every context query walk all of them (quadratic): past this many ancestors, the context is
/// taken as unknown.
pub const MAX_ANCESTORS: usize = 2000;

/// Whether [`exec_context_in`] decides anything at `node` as an ancestor: a function, a closure,
/// an async block, a const or a static (other ancestors are passed over).
pub fn decides_context(node: &SyntaxNode) -> bool {
    match node.kind() {
        SyntaxKind::FN | SyntaxKind::CLOSURE_EXPR | SyntaxKind::CONST | SyntaxKind::STATIC => true,
        SyntaxKind::BLOCK_EXPR => {
            ast::BlockExpr::cast(node.clone()).is_some_and(|b| b.async_token().is_some())
        }
        _ => false,
    }
}

/// The execution context of a node whose strict ancestors, innermost first, are `ancestors`
/// (those for which [`decides_context`] says no may be left out), as far as [`MAX_ANCESTORS`]
/// levels up.
/// `off_thread`: more APIs that run the closure they are given off the async task, from the
/// configuration (`off-thread = ["my_pool::run"]`), matched on the end of the callee's path.
/// `entry` reads an async fn's runtime entry attribute ([`runtime_entry`], or a cache of it).
pub fn exec_context_in(
    ancestors: impl Iterator<Item = SyntaxNode>,
    off_thread: &[String],
    entry: &dyn Fn(&ast::Fn) -> Option<RuntimeEntry>,
) -> ExecContext {
    let mut through_closure = false;
    for anc in ancestors.take(MAX_ANCESTORS) {
        match_ast! {
            match anc {
                ast::Fn(f) => {
                    if let Some(token) = f.async_token() {
                        let entry = entry(&f);
                        let anchor = f.name().map_or(token.text_range(), |n| n.syntax().text_range());
                        return ExecContext::Async(AsyncContext { kind: AsyncKind::Fn, anchor, entry, through_closure });
                    }
                    let name = f.name().map(|n| n.text().to_string()).unwrap_or_default();
                    let is_main = name == "main";
                    let is_drop = name == "drop" && in_drop_impl(&f);
                    return ExecContext::Sync(SyncContext::Fn { name, is_main, is_drop });
                },
                ast::ClosureExpr(c) => {
                    if let Some(token) = c.async_token() {
                        return ExecContext::Async(AsyncContext { kind: AsyncKind::Closure, anchor: token.text_range(), entry: None, through_closure });
                    }
                    match closure_call(&c) {
                        Some(callee)
                            if OFF_THREAD_APIS.contains(&callee.name.as_str())
                                || callee.written.ends_with("web::block")
                                || off_thread.iter().any(|api| ends_with_path(&callee.written, api)) =>
                        {
                            return ExecContext::Sync(SyncContext::OffThread { api: callee.written });
                        }
                        Some(callee) if EAGER_APIS.contains(&callee.name.as_str()) => through_closure = true,
                        // Stored, returned or handed to an unknown API: where it runs is unknown.
                        _ => return ExecContext::Sync(SyncContext::DeferredClosure),
                    }
                },
                ast::BlockExpr(b) => {
                    if let Some(token) = b.async_token() {
                        return ExecContext::Async(AsyncContext { kind: AsyncKind::Block, anchor: token.text_range(), entry: None, through_closure });
                    }
                },
                ast::Const(_) => return ExecContext::Sync(SyncContext::Other),
                ast::Static(_) => return ExecContext::Sync(SyncContext::Other),
                _ => (),
            }
        }
    }
    ExecContext::Sync(SyncContext::Other)
}

/// APIs that call the closure they are given right away (or as their result is consumed), on the
/// same thread: code in such a closure runs on the async task.
const EAGER_APIS: &[&str] = &[
    "map",
    "filter",
    "filter_map",
    "flat_map",
    "for_each",
    "fold",
    "try_fold",
    "try_for_each",
    "any",
    "all",
    "find",
    "find_map",
    "position",
    "take_while",
    "skip_while",
    "map_while",
    "inspect",
    "scan",
    "partition",
    "max_by_key",
    "min_by_key",
    "max_by",
    "min_by",
    "sort_by",
    "sort_by_key",
    "sort_unstable_by",
    "sort_unstable_by_key",
    "retain",
    "and_then",
    "or_else",
    "unwrap_or_else",
    "map_or",
    "map_or_else",
    "map_err",
    "ok_or_else",
    "get_or_insert_with",
    "or_insert_with",
    "then",
    "with",
    "scope",
];

struct Callee {
    /// `std::thread::spawn`, or `.map` for a method.
    written: String,
    /// The last segment: `spawn`, `map`.
    name: String,
}

/// Whether the path `written` ends with the path `api` (`pool::run` ends with `run` and with
/// `pool::run`, not with `un`).
pub(crate) fn ends_with_path(written: &str, api: &str) -> bool {
    let written = written.trim_start_matches('.');
    written == api || written.ends_with(&format!("::{api}"))
}

/// The call `closure` is an argument of.
fn closure_call(closure: &ast::ClosureExpr) -> Option<Callee> {
    let arg_list = closure.syntax().parent().and_then(ast::ArgList::cast)?;
    let call = arg_list.syntax().parent()?;
    let name = match_ast! {
        match call {
            ast::CallExpr(c) => {
                let ast::Expr::PathExpr(pe) = c.expr()? else { return None };
                let path = pe.path()?;
                (path.to_string(), path.segment()?.name_ref()?.text().to_string())
            },
            ast::MethodCallExpr(m) => {
                let name = m.name_ref()?.text().to_string();
                (format!(".{name}"), name)
            },
            _ => return None,
        }
    };
    Some(Callee {
        written: name.0,
        name: name.1,
    })
}

/// Whether `f` is the method of an `impl Drop for T`.
fn in_drop_impl(f: &ast::Fn) -> bool {
    let Some(imp) = f
        .syntax()
        .parent()
        .and_then(|p| p.parent())
        .and_then(ast::Impl::cast)
    else {
        return false;
    };
    imp.trait_().is_some_and(|t| {
        let text = t.syntax().text().to_string();
        text == "Drop" || text.ends_with("::Drop")
    })
}

/// The paths an attribute applies: its own, or those a `cfg_attr` applies
/// (`#[cfg_attr(feature = "rt", tokio::test)]`).
fn attribute_paths(attr: &ast::Attr) -> Vec<ast::Path> {
    match attr.path() {
        Some(p) => vec![p],
        None => attr
            .meta()
            .into_iter()
            .flat_map(|m| m.skip_cfg_attrs())
            .filter_map(|m| m.path())
            .collect(),
    }
}

/// The last segments of the attributes that make a function a test or a benchmark for a harness.
const TEST_ATTRIBUTES: &[&str] = &["test", "bench", "rstest", "test_case", "wasm_bindgen_test"];

/// Whether an attribute of `f` makes it a test or a benchmark (`#[test]`, `#[tokio::test]`,
/// `#[rstest]`, `#[bench]`...): the harness calls it, code does not.
pub fn is_test(f: &ast::Fn) -> bool {
    f.attrs()
        .flat_map(|attr| attribute_paths(&attr))
        .any(|path| {
            path.segment()
                .and_then(|s| s.name_ref())
                .is_some_and(|n| TEST_ATTRIBUTES.contains(&n.text()))
        })
}

/// `#[tokio::main]`-like attributes, with the flavor they build.
pub fn runtime_entry(f: &ast::Fn) -> Option<RuntimeEntry> {
    for attr in f.attrs() {
        for path in attribute_paths(&attr) {
            // Every entry attribute ends in `main` or `test`: the others are not spelled out.
            let last = path.segment().and_then(|s| s.name_ref());
            if !last.is_some_and(|n| matches!(n.text(), "main" | "test")) {
                continue;
            }
            let text = path.to_string().replace(' ', "");
            let default = match text.as_str() {
                "tokio::main" => Flavor::MultiThread,
                "tokio::test" => Flavor::CurrentThread,
                "actix_rt::main" | "actix_web::main" | "actix_rt::test" => Flavor::CurrentThread,
                "async_std::main" | "async_std::test" => Flavor::MultiThread,
                _ => continue,
            };
            let args = attr.syntax().text().to_string();
            let flavor = if args.contains("\"current_thread\"") {
                Flavor::CurrentThread
            } else if args.contains("\"multi_thread\"") {
                Flavor::MultiThread
            } else {
                default
            };
            let start = attr.syntax().text_range().start();
            let tt = path
                .syntax()
                .parent()
                .and_then(ast::Meta::cast)
                .and_then(|m| match m {
                    ast::Meta::TokenTreeMeta(t) => t.token_tree(),
                    _ => None,
                });
            let current_thread_literal = args.find("\"current_thread\"").map(|i| {
                TextRange::at(
                    start + TextSize::from(i as u32),
                    TextSize::of("\"current_thread\""),
                )
            });
            return Some(RuntimeEntry {
                attr: text,
                range: attr.syntax().text_range(),
                flavor,
                path_end: path.syntax().text_range().end(),
                args_start: tt.map(|t| t.syntax().text_range().start() + TextSize::from(1)),
                current_thread_literal,
                start_paused: args.contains("start_paused"),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile, TextSize};

    /// A short description of the context at `$0`.
    #[track_caller]
    fn context_at(text: &str) -> String {
        let offset = text.find("$0").expect("a $0 marker");
        let text = text.replace("$0", "");
        let file = SourceFile::parse(&text, Edition::Edition2024).tree();
        let token = file
            .syntax()
            .token_at_offset(TextSize::from(offset as u32))
            .right_biased()
            .unwrap();
        match exec_context(&token.parent().unwrap()) {
            ExecContext::Async(a) => {
                let entry = a
                    .entry
                    .map(|e| format!(" {} {:?}", e.attr, e.flavor))
                    .unwrap_or_default();
                let closure = if a.through_closure {
                    " through closure"
                } else {
                    ""
                };
                format!("async {:?}{entry}{closure}", a.kind)
            }
            ExecContext::Sync(SyncContext::Fn {
                name,
                is_main,
                is_drop,
            }) => {
                format!("sync fn {name} main={is_main} drop={is_drop}")
            }
            ExecContext::Sync(SyncContext::OffThread { api }) => format!("off-thread {api}"),
            ExecContext::Sync(SyncContext::DeferredClosure) => "deferred closure".into(),
            ExecContext::Sync(SyncContext::Other) => "other".into(),
        }
    }

    #[test]
    fn async_constructs() {
        assert_eq!(context_at("async fn f() { $0x(); }"), "async Fn");
        assert_eq!(
            context_at("fn f() { let a = async move { $0x() }; }"),
            "async Block"
        );
        assert_eq!(
            context_at("fn f() { let c = async |y| { $0x() }; }"),
            "async Closure"
        );
    }

    #[test]
    fn runtime_attributes_and_their_flavors() {
        assert_eq!(
            context_at("#[tokio::main]\nasync fn main() { $0x(); }"),
            "async Fn tokio::main MultiThread"
        );
        assert_eq!(
            context_at("#[tokio::test]\nasync fn t() { $0x(); }"),
            "async Fn tokio::test CurrentThread"
        );
        assert_eq!(
            context_at("#[tokio::test(flavor = \"multi_thread\")]\nasync fn t() { $0x(); }"),
            "async Fn tokio::test MultiThread"
        );
        assert_eq!(
            context_at("#[tokio::main(flavor = \"current_thread\")]\nasync fn main() { $0x(); }"),
            "async Fn tokio::main CurrentThread"
        );
        assert_eq!(
            context_at("#[actix_rt::main]\nasync fn main() { $0x(); }"),
            "async Fn actix_rt::main CurrentThread"
        );
        assert_eq!(
            context_at("#[async_std::main]\nasync fn main() { $0x(); }"),
            "async Fn async_std::main MultiThread"
        );
        assert_eq!(
            context_at("#[cfg_attr(test, tokio::test)]\nasync fn t() { $0x(); }"),
            "async Fn tokio::test CurrentThread"
        );
    }

    #[test]
    fn closures_off_the_task_on_it_and_deferred() {
        assert_eq!(
            context_at("async fn f() { tokio::task::spawn_blocking(|| $0x()); }"),
            "off-thread tokio::task::spawn_blocking"
        );
        assert_eq!(
            context_at("async fn f() { tokio::task::block_in_place(|| $0x()); }"),
            "off-thread tokio::task::block_in_place"
        );
        assert_eq!(
            context_at("async fn f() { std::thread::spawn(move || $0x()); }"),
            "off-thread std::thread::spawn"
        );
        assert_eq!(
            context_at("async fn f() { v.iter().map(|a| $0x(a)); }"),
            "async Fn through closure"
        );
        assert_eq!(
            context_at("async fn f() { web::block(move || $0x()).await; }"),
            "off-thread web::block"
        );
        assert_eq!(
            context_at("async fn f() { smol::unblock(|| $0x()).await; }"),
            "off-thread smol::unblock"
        );
        assert_eq!(
            context_at("async fn f() { let g = || $0x(); }"),
            "deferred closure"
        );
    }

    #[test]
    fn configured_off_thread_apis() {
        let text = "async fn f() { pool::map(|| x()); }";
        let file = SourceFile::parse(text, Edition::Edition2024).tree();
        let call = file
            .syntax()
            .descendants()
            .filter_map(ast::CallExpr::cast)
            .last()
            .unwrap();
        let node = call.syntax().clone();
        assert!(matches!(
            exec_context(&node),
            ExecContext::Async(AsyncContext {
                through_closure: true,
                ..
            })
        ));
        let configured = exec_context_in(
            node.ancestors().skip(1),
            &["pool::map".to_owned()],
            &runtime_entry,
        );
        assert_eq!(
            configured,
            ExecContext::Sync(SyncContext::OffThread {
                api: "pool::map".to_owned()
            })
        );
        // Matched on whole path segments only.
        let other = exec_context_in(
            node.ancestors().skip(1),
            &["ol::map".to_owned()],
            &runtime_entry,
        );
        assert!(matches!(other, ExecContext::Async(_)));
    }

    #[test]
    fn sync_functions_main_drop_and_items() {
        assert_eq!(
            context_at("fn main() { $0x(); }"),
            "sync fn main main=true drop=false"
        );
        assert_eq!(
            context_at("impl Drop for S { fn drop(&mut self) { $0x(); } }"),
            "sync fn drop main=false drop=true"
        );
        assert_eq!(
            context_at("async fn f() { fn inner() { $0x(); } }"),
            "sync fn inner main=false drop=false"
        );
        assert_eq!(context_at("static S: u32 = $0x();"), "other");
    }
}
