//! `client_outlives_runtime`: a runtime-bound client in a static, used from several runtimes; or
//! connected in one runtime's scope and used outside it.

use std::collections::{BTreeMap, BTreeSet};

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasArgList, HasGenericArgs, HasVisibility},
};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::BlockOn;
use crate::semantic::flow::Destination;
use crate::semantic::graph::RuntimeScope;
use crate::semantic::summary::{RuntimeOwner, StaticKind};
use crate::semantic::values::Binding;

pub struct ClientOutlivesRuntime;

pub const DOCS: &str = r#"## What it does
Finds a client bound to the runtime that created it (`reqwest::Client`, hyper's client,
`tonic::transport::Channel` and generated clients, sqlx, deadpool and bb8 pools, redis multiplexed
connections, `mongodb::Client`, AWS SDK clients, OpenTelemetry exporters and providers,
`tokio::net` sockets; more with `clients = [..]` in the configuration) kept in a `static`
(`LazyLock`, `OnceLock`, `once_cell`, `lazy_static!`, `thread_local!`) and used from more than one
runtime: two or more `#[tokio::test]` functions (each test builds its own runtime), a
`#[tokio::main]` and another runtime, or several runtimes driven with `block_on` (the same `rt` or
`RUNTIME` is one runtime, however many `block_on`s; a runtime built for one `block_on` is one of its
own). Uses are followed up through the functions of the workspace that lead to them. A
`thread_local!` has a value per thread and each test runs on a thread of its own, so tests do not
count for it.

Also finds a client connected inside one runtime's `block_on` (`rt.block_on(PgPool::connect(url))`,
`TcpStream::connect`, tonic's `Channel::connect`, redis's multiplexed connections, mongodb) and then
used on another runtime, used after that runtime is dropped (a temporary runtime, or `drop(rt)`),
or returned from the function whose runtime is dropped when it returns.

## Why is this bad?
The client's connection pool and background tasks live on the runtime that first used it. When
that runtime ends (the first test finishes), the next runtime's requests fail: hyper and reqwest
with "dispatch task is gone: runtime dropped the dispatch task" (hyper 0.14: "dispatch dropped
without returning error"), sqlx with `PoolTimedOut`, tonic with a transport error, redis with a
hang or a broken pipe. Python users know it as "Event loop is closed". `cargo nextest` runs each
test in its own process and hides it; `cargo test` shows it.

## Example
```rust
static CLIENT: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(reqwest::Client::new);

#[tokio::test]
async fn first() {
    CLIENT.get("http://127.0.0.1:1").send().await.ok();
}

#[tokio::test]
async fn second() {
    CLIENT.get("http://127.0.0.1:1").send().await.ok();
}
```

## Use instead
```rust
fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn first() {
    client().get("http://127.0.0.1:1").send().await.ok();
}

#[tokio::test]
async fn second() {
    client().get("http://127.0.0.1:1").send().await.ok();
}
```

## Fix safety
For a `static X: LazyLock<Client>` (or `Lazy`), the fix turns the static into a constructor function
(`fn x() -> Client`), so each runtime gets a client of its own; uses and imports (`use
crate::shared::X;`) in other files are rewritten too. A public static named in a file where no use
was resolved gets no fix. A
function that uses the client more than once, all in its own body, binds it once
(`let x = x();`) and uses the binding; elsewhere (one use, or a use in a closure or async block that
could move a binding away) each use becomes a call. It is unsafe: a function called many times now
builds a client each time (a server's handler shared with the tests loses its shared pool), and
the initializer runs again for each. No fix when a local of the new function's name would shadow
it.

A client connected in one runtime's scope and used elsewhere gets no fix: connect where it is used,
or keep one runtime for both.

## Known problems
A client connected in one runtime's scope is followed within its function only (not into the
functions it is passed to). A static client used from exactly one runtime (one binary with one `#[tokio::main]`) is correct and
not reported.
"#;

static META: RuleMeta = RuleMeta {
    id: "client_outlives_runtime",
    summary: "runtime-bound client used outside the runtime that made it",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

/// The symptom users see, by the client's crate.
fn symptom(holds: &str) -> &'static str {
    if holds.ends_with("<tonic::transport::Channel>") {
        return "a transport error";
    }
    if holds.starts_with("tokio::net::") {
        return "\"A Tokio 1.x context was found, but it is being shutdown.\" (an I/O error)";
    }
    match holds.split("::").next().unwrap_or_default() {
        "reqwest" | "hyper" | "hyper_util" => {
            "\"dispatch task is gone: runtime dropped the dispatch task\" (hyper 0.14: \"dispatch dropped without returning error\")"
        }
        "sqlx" | "deadpool_postgres" | "deadpool" | "bb8" => {
            "intermittent `PoolTimedOut` errors (a connection or pool task lost with the ended runtime)"
        }
        "tonic" => "a transport error",
        "redis" | "deadpool_redis" => "a hang or a broken pipe",
        "opentelemetry_otlp" | "opentelemetry_sdk" => {
            "\"channel is closed\" export errors (and lost telemetry)"
        }
        _ => "errors or hangs (\"A Tokio 1.x context was found, but it is being shutdown\")",
    }
}

impl Rule for ClientOutlivesRuntime {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[
            SyntaxKind::STATIC,
            SyntaxKind::MACRO_CALL,
            SyntaxKind::METHOD_CALL_EXPR,
        ]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        if node.kind() == SyntaxKind::METHOD_CALL_EXPR {
            return Gate::when(
                cx.model
                    .block_on(node)
                    .is_some_and(|b| cx.model.connected_client(&b.future).is_some()),
            );
        }
        Gate::IfStaticHoldsClient(node.text_range())
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        if node.kind() == SyntaxKind::METHOD_CALL_EXPR {
            out.extend(connected_in_one_scope(cx, node));
            return;
        }
        let graph = cx.model.graph();
        let file = cx.model.file_id();
        let range = node.text_range();
        for id in graph.statics_in_file(file) {
            let st = &graph.statics[id];
            if !range.contains_range(st.name_range) {
                continue;
            }
            let Some(holds) = st
                .holds
                .as_deref()
                .filter(|h| cx.model.is_runtime_bound_client(h))
            else {
                continue;
            };
            // The runtimes that use it: each runtime entry or `block_on` whose code reaches a use.
            // A `thread_local!` has a value per thread, and each test runs on a thread of its
            // own: tests do not share it.
            let per_thread = st.kind == StaticKind::ThreadLocal;
            let mut entries: BTreeMap<String, RuntimeScope> = BTreeMap::new();
            let mut labels = Vec::new();
            for u in graph.uses_of_static(id) {
                let Some(f) = u.function else { continue };
                let reaching: Vec<RuntimeScope> = graph
                    .runtimes_reaching(f, u.range)
                    .into_iter()
                    .filter(|r| r.tokio && r.identified && !(per_thread && is_test(graph, r)))
                    .collect();
                if !reaching.is_empty() && u.file == file && labels.len() < 4 {
                    labels.push(Label {
                        range: u.range,
                        message: "used here".to_owned(),
                    });
                }
                entries.extend(reaching.into_iter().map(|r| (r.key.clone(), r)));
            }
            if entries.len() < 2 {
                continue;
            }
            let names: Vec<String> = entries
                .values()
                .take(4)
                .map(|r| {
                    let f = &graph.fns[r.function];
                    match (&f.entry, r.block_on) {
                        (Some(entry), None) => {
                            format!(
                                "`{}` (#[{}], {})",
                                f.display(),
                                entry.attr,
                                graph.location(r.function)
                            )
                        }
                        _ => format!(
                            "a `block_on` in `{}` ({})",
                            f.display(),
                            graph.location(r.function)
                        ),
                    }
                })
                .collect();
            let more = entries.len().saturating_sub(4);
            out.push(Diagnostic {
                rule: META.id,
                severity: META.severity,
                message: format!("`{}` holds a `{holds}` shared by {} runtimes", st.name, entries.len()),
                path: cx.file.path.clone(),
                range: st.name_range,
                primary_label: Some("bound to the first runtime that uses it".to_owned()),
                labels,
                notes: vec![
                    format!(
                        "each of these runs its own runtime: {}{}",
                        names.join(", "),
                        if more > 0 { format!(" and {more} more") } else { String::new() }
                    ),
                    format!(
                        "once the first runtime ends, uses from the others fail with {}; `cargo nextest` (one \
                         process per test) hides it, `cargo test` shows it",
                        symptom(holds)
                    ),
                ],
                helps: vec![
                    "build the client inside each test or runtime scope (a constructor function instead of the \
                     static), or let one shared runtime own it"
                        .to_owned(),
                ],
                fix: constructor_function(cx, node, id),
            });
        }
    }
}

/// Whether the runtime `r` is a test's (`#[tokio::test]`...).
fn is_test(graph: &crate::semantic::WorkspaceModel, r: &RuntimeScope) -> bool {
    r.block_on.is_none()
        && graph.fns[r.function]
            .entry
            .as_ref()
            .is_some_and(|e| e.is_test())
}

/// The runtime a `rt.block_on(..)` runs on: a local `rt` or one built for this call (a static
/// runtime lives as long as the program, so a client on it outlives nothing).
fn owner(cx: &RuleContext<'_>, b: &BlockOn) -> Option<RuntimeOwner> {
    match cx.model.block_on_runtime(&b.call)? {
        RuntimeOwner::Static(_) => None,
        owner => Some(owner),
    }
}

/// `let pool = rt.block_on(PgPool::connect(url)).unwrap();` then `pool` used on another runtime,
/// after `rt` is dropped, or returned from the function that owns `rt`.
fn connected_in_one_scope(cx: &RuleContext<'_>, node: &SyntaxNode) -> Option<Diagnostic> {
    let b = cx.model.block_on(node)?;
    let runtime = owner(cx, &b)?;
    let connects = cx.model.connected_client(&b.future)?;
    let runtime_text = match &runtime {
        RuntimeOwner::Local(rt) | RuntimeOwner::Static(rt) => format!("`{rt}`"),
        RuntimeOwner::Own => "a temporary runtime".to_owned(),
    };
    let finding = |name: &str, range: TextRange, problem: &str| {
        Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: if problem.starts_with("used on another") {
            format!("{name} is connected on {runtime_text} and used on another runtime")
        } else {
            format!("{name} outlives the runtime it is connected on ({runtime_text})")
        },
        path: cx.file.path.clone(),
        range: b.callee_range,
        primary_label: Some(format!("`{connects}` connects on this runtime")),
        labels: vec![Label {
            range,
            message: problem.to_owned(),
        }],
        notes: vec![format!(
            "its connections and background tasks belong to the runtime that made them: on another runtime, or \
             once that one is dropped, it fails with {}",
            symptom(&connects)
        )],
        helps: vec![
            "connect inside the runtime scope that uses the client, or run everything on one runtime".to_owned(),
        ],
        fix: None,
    }
    };
    let Destination::Bound { stmt, name, .. } = cx.model.destination(&b.call) else {
        // `rt.block_on(PgPool::connect(url)).unwrap()` as the function's value.
        let mut top = b.call.clone();
        while let Some(parent) = top.parent().filter(|p| {
            matches!(p.kind(), SyntaxKind::TRY_EXPR | SyntaxKind::PAREN_EXPR)
                || ast::MethodCallExpr::cast(p.clone())
                    .and_then(|m| m.name_ref())
                    .is_some_and(|n| matches!(n.text(), "unwrap" | "expect"))
        }) {
            top = parent;
        }
        return (matches!(runtime, RuntimeOwner::Local(_)) && is_returned(&top)).then(|| {
            finding(
                "a client",
                top.text_range(),
                "returned here; its runtime is dropped when the function returns",
            )
        });
    };
    let dropped_at = match &runtime {
        RuntimeOwner::Own => Some(stmt.syntax().text_range().end()),
        // Never dropped (and not returned by `owner`).
        RuntimeOwner::Static(_) => None,
        RuntimeOwner::Local(rt) => {
            let Some(Binding::Let(rt_stmt)) = cx.model.binding(&b.call, rt) else {
                return None;
            };
            let rt_uses = cx.model.binding_uses(&rt_stmt, rt);
            if rt_uses.moved && !rt_uses.dropped_explicitly {
                return None;
            }
            rt_uses.dropped_at.map(|r| r.end())
        }
    };
    let uses = cx.model.binding_uses(&stmt, &name);
    let (range, problem) = uses.uses.iter().find_map(|u| {
        let other_runtime = cx.model.ancestors(u).skip(1).find_map(|a| {
            let inner = cx.model.block_on(&a)?;
            inner
                .future
                .syntax()
                .text_range()
                .contains_range(u.text_range())
                .then(|| owner(cx, &inner))
                .flatten()
        });
        match other_runtime {
            Some(o) if o != runtime || o == RuntimeOwner::Own => {
                Some((u.text_range(), "used on another runtime here"))
            }
            _ if dropped_at.is_some_and(|d| u.text_range().start() >= d) => {
                Some((u.text_range(), "used here, after its runtime is dropped"))
            }
            _ if runtime != RuntimeOwner::Own && is_returned(u) => Some((
                u.text_range(),
                "returned here; its runtime is dropped when the function returns",
            )),
            _ => None,
        }
    })?;
    Some(finding(&format!("`{name}`"), range, problem))
}

/// Whether the use `u` is the value its function returns (`pool`, `Ok(pool)`, `return pool`).
fn is_returned(u: &SyntaxNode) -> bool {
    let mut current = u.clone();
    loop {
        let Some(parent) = current.parent() else {
            return false;
        };
        match parent.kind() {
            SyntaxKind::RETURN_EXPR => return true,
            SyntaxKind::ARG_LIST => {
                let wrapper = parent
                    .parent()
                    .and_then(ast::CallExpr::cast)
                    .and_then(|c| c.expr())
                    .is_some_and(|e| {
                        matches!(e.syntax().text().to_string().as_str(), "Ok" | "Some")
                    });
                if !wrapper {
                    return false;
                }
                current = parent.parent().expect("an argument list has a call");
            }
            SyntaxKind::STMT_LIST => {
                let is_tail = ast::StmtList::cast(parent.clone())
                    .and_then(|l| l.tail_expr())
                    .is_some_and(|t| t.syntax() == &current);
                // The tail of the function's own body.
                return is_tail
                    && parent
                        .parent()
                        .and_then(|b| b.parent())
                        .is_some_and(|f| f.kind() == SyntaxKind::FN);
            }
            _ => return false,
        }
    }
}

/// What a use of the static at `range` (its name) stands for: `CLIENT`, `path::CLIENT`, or with a
/// `*`, which dereferences the lazy. The whole range, and the path before the name
/// (`crate::shared::`), to keep in a call.
fn use_range(root: &SyntaxNode, range: TextRange) -> (TextRange, String) {
    let element = root.covering_element(range);
    let Some(path_expr) = element
        .ancestors()
        .find(|a| a.kind() == SyntaxKind::PATH_EXPR)
    else {
        return (range, String::new());
    };
    let prefix = root.text().slice(TextRange::new(
        path_expr.text_range().start(),
        range.start(),
    ));
    let whole = path_expr
        .parent()
        .filter(|p| p.kind() == SyntaxKind::PREFIX_EXPR && p.text().to_string().starts_with('*'))
        .map_or(path_expr.text_range(), |p| p.text_range());
    (whole, prefix.to_string())
}

/// `use crate::CLIENT;` -> `use crate::client;` in the file at `path`; `None` for a renaming
/// import (`use crate::CLIENT as C;`), whose uses go by another name.
fn imports_renamed(
    path: &camino::Utf8Path,
    root: &SyntaxNode,
    static_name: &str,
    name: &str,
) -> Option<Vec<Edit>> {
    let mut edits = Vec::new();
    for tree in root.descendants().filter_map(ast::UseTree::cast) {
        let Some(last) = tree.path().and_then(|p| p.segment()?.name_ref()) else {
            continue;
        };
        if last.text() != static_name || tree.use_tree_list().is_some() {
            continue;
        }
        if tree.rename().is_some() {
            return None;
        }
        edits.push(Edit::replace(path, last.syntax().text_range(), name));
    }
    Some(edits)
}

/// `let client = client();` at the top of `f`, when every use (`ranges`) is in `f`'s own body:
/// not in a closure or an async block (which could move the binding away), nor in a macro.
fn local_binding(
    cx: &RuleContext<'_>,
    f: &SyntaxNode,
    ranges: &[TextRange],
    name: &str,
) -> Option<Edit> {
    for range in ranges {
        let own_body = cx
            .model
            .root()
            .covering_element(*range)
            .ancestors()
            .take_while(|a| a != f)
            .all(|a| match a.kind() {
                SyntaxKind::CLOSURE_EXPR | SyntaxKind::TOKEN_TREE => false,
                SyntaxKind::BLOCK_EXPR => {
                    ast::BlockExpr::cast(a).is_some_and(|b| b.async_token().is_none())
                }
                _ => true,
            });
        if !own_body {
            return None;
        }
    }
    let list = ast::Fn::cast(f.clone())?.body()?.stmt_list()?;
    let first = list
        .statements()
        .next()
        .map(|s| s.syntax().clone())
        .or_else(|| list.tail_expr().map(|t| t.syntax().clone()))?;
    let text = cx.file.text();
    let start = first.text_range().start();
    let indent = common::indentation_at(text, start);
    let own_line = text[..usize::from(start)]
        .rfind('\n')
        .is_some_and(|nl| text[nl + 1..usize::from(start)].trim().is_empty());
    let content = if own_line {
        format!("let {name} = {name}();\n{indent}")
    } else {
        format!("let {name} = {name}(); ")
    };
    Some(Edit::insert(cx.file.path.clone(), start, content))
}

/// `static CLIENT: LazyLock<Client> = LazyLock::new(init);` becomes `fn client() -> Client { init }`
/// and every use of `CLIENT` a call of `client()`: each runtime gets its own client.
fn constructor_function(cx: &RuleContext<'_>, node: &SyntaxNode, id: usize) -> Option<Fix> {
    let graph = cx.model.graph();
    let file = cx.model.file_id();
    let st = ast::Static::cast(node.clone())?;
    let info = &graph.statics[id];
    // The lazy's type argument is what the function returns.
    let ast::Type::PathType(ty) = st.ty()? else {
        return None;
    };
    let last = ty.path()?.segment()?;
    if !matches!(last.name_ref()?.text(), "LazyLock" | "Lazy") {
        return None;
    }
    let Some(ast::GenericArg::TypeArg(held)) = last.generic_arg_list()?.generic_args().next()
    else {
        return None;
    };
    // `LazyLock::new(path)` or `LazyLock::new(|| expr)`.
    let ast::Expr::CallExpr(call) = st.body()? else {
        return None;
    };
    let arg = call.arg_list()?.args().next()?;
    let body = match &arg {
        ast::Expr::PathExpr(p) => format!("{}()", p.syntax().text()),
        ast::Expr::ClosureExpr(c) if c.param_list()?.params().next().is_none() => {
            c.body()?.syntax().text().to_string()
        }
        _ => return None,
    };
    let name = info.name.to_lowercase();
    if cx.file.text().contains(&format!("fn {name}("))
        || cx.model.items_by_name().contains_key(&name)
    {
        return None;
    }
    let uses: Vec<_> = graph.uses_of_static(id).collect();
    if uses.is_empty() {
        return None;
    }
    let other_files: BTreeSet<usize> = uses.iter().map(|u| u.file).filter(|&f| f != file).collect();
    // A public static may be named where no use was resolved (another crate, a macro): every
    // file that mentions it must be one whose uses are rewritten.
    if st.visibility().is_some() {
        let unresolved = cx
            .sources
            .files_mentioning(&info.name)
            .any(|i| i != file && !other_files.contains(&i));
        if unresolved {
            return None;
        }
    }
    let start = st
        .visibility()
        .map(|v| v.syntax().text_range().start())
        .or_else(|| st.static_token().map(|t| t.text_range().start()))?;
    let vis = st
        .visibility()
        .map(|v| format!("{} ", v.syntax().text()))
        .unwrap_or_default();
    let function = format!(
        "{vis}fn {name}() -> {} {{\n    {body}\n}}",
        held.syntax().text()
    );
    let mut edits = vec![Edit::replace(
        cx.file.path.clone(),
        TextRange::new(start, st.syntax().text_range().end()),
        function,
    )];
    // One `let client = client();` per function that uses the static more than once, where every
    // use is in the function's own body; elsewhere a call at each use.
    edits.extend(imports_renamed(
        &cx.file.path,
        cx.model.root(),
        &info.name,
        &name,
    )?);
    let mut by_fn: BTreeMap<Option<usize>, Vec<TextRange>> = BTreeMap::new();
    for u in uses.iter().filter(|u| u.file == file) {
        by_fn.entry(u.function).or_default().push(u.range);
    }
    for (function, ranges) in by_fn {
        let fn_node = cx
            .model
            .root()
            .covering_element(ranges[0])
            .ancestors()
            .find(|a| a.kind() == SyntaxKind::FN);
        if let Some(f) = &fn_node {
            // A local of that name would shadow the new function.
            let clash = f
                .descendants_with_tokens()
                .filter_map(|e| e.into_token())
                .any(|t| t.kind() == SyntaxKind::IDENT && t.text() == name);
            if clash {
                return None;
            }
        }
        let binding = fn_node
            .as_ref()
            .filter(|_| function.is_some() && ranges.len() > 1)
            .and_then(|f| local_binding(cx, f, &ranges, &name));
        if let Some(insert) = &binding {
            edits.push(insert.clone());
        }
        for range in ranges {
            let (whole, prefix) = use_range(cx.model.root(), range);
            let replacement = match binding {
                Some(_) => name.clone(),
                None => format!("{prefix}{name}()"),
            };
            edits.push(Edit::replace(cx.file.path.clone(), whole, replacement));
        }
    }
    // Other files: a call at each use, and their imports renamed.
    for &other in &other_files {
        let source = &cx.sources.files[other];
        let root = source.tree().syntax().clone();
        // A local or an item of the new name there would shadow the function.
        let clash = root
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .any(|t| t.kind() == SyntaxKind::IDENT && t.text() == name);
        if clash {
            return None;
        }
        edits.extend(imports_renamed(&source.path, &root, &info.name, &name)?);
        for u in uses.iter().filter(|u| u.file == other) {
            let (whole, prefix) = use_range(&root, u.range);
            edits.push(Edit::replace(
                source.path.clone(),
                whole,
                format!("{prefix}{name}()"),
            ));
        }
    }
    Some(Fix::new(
        format!(
            "make `{}` a constructor function `{name}()`: one client per runtime",
            info.name
        ),
        Applicability::Unsafe,
        edits,
    ))
}

#[cfg(test)]
mod tests {
    use crate::analysis::check_text;

    const RULE: &str = "client_outlives_runtime";

    #[test]
    fn a_static_client_used_by_two_tests() {
        let code = "use std::sync::LazyLock;\nstatic CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);\nasync fn fetch() { CLIENT.get(\"x\"); }\n#[tokio::test]\nasync fn a() { fetch().await; }\n#[tokio::test]\nasync fn b() { CLIENT.get(\"y\"); }\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("shared by 2 runtimes"));
        assert!(found[0].notes[1].contains("dispatch task is gone"));
    }

    #[test]
    fn the_static_becomes_a_constructor_function() {
        let before = "use std::sync::LazyLock;\nstatic CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);\n#[tokio::test]\nasync fn a() { CLIENT.get(\"x\"); }\n#[tokio::test]\nasync fn b() { let c = &*CLIENT; c.get(\"y\"); }\n";
        let after = "use std::sync::LazyLock;\nfn client() -> reqwest::Client {\n    reqwest::Client::new()\n}\n#[tokio::test]\nasync fn a() { client().get(\"x\"); }\n#[tokio::test]\nasync fn b() { let c = &client(); c.get(\"y\"); }\n";
        assert_eq!(crate::analysis::fix_text(before, &[RULE], false), before);
        assert_eq!(crate::analysis::fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn a_generated_tonic_client_over_a_channel() {
        let code = "use tonic::transport::Channel;\nmod pb { pub struct GreeterClient<T>(T); }\nstatic CLIENT: std::sync::OnceLock<pb::GreeterClient<Channel>> = std::sync::OnceLock::new();\n#[tokio::test]\nasync fn a() { CLIENT.get(); }\n#[tokio::test]\nasync fn b() { CLIENT.get(); }\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .contains("`pb::GreeterClient<tonic::transport::Channel>`"),
            "{}",
            found[0].message
        );
        assert!(found[0].notes[1].contains("a transport error"));
    }

    #[test]
    fn runtimes_of_block_on_sites_count_once_each() {
        let prelude = "static CLIENT: once_cell::sync::Lazy<reqwest::Client> = once_cell::sync::Lazy::new(reqwest::Client::new);\nasync fn fetch() { CLIENT.get(\"x\"); }\n";
        for (body, runtimes) in [
            // Two runtimes in one function.
            (
                "fn main() {\n    let rt1 = tokio::runtime::Runtime::new().unwrap();\n    rt1.block_on(fetch());\n    let rt2 = tokio::runtime::Runtime::new().unwrap();\n    rt2.block_on(async { fetch().await });\n}\n",
                2,
            ),
            // A runtime built for each call, and `#[tokio::main]`.
            (
                "fn sync_fetch() { tokio::runtime::Runtime::new().unwrap().block_on(fetch()) }\n#[tokio::main]\nasync fn main() { fetch().await; }\n",
                2,
            ),
            // One runtime, however many `block_on`s.
            (
                "fn main() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.block_on(fetch());\n    rt.block_on(fetch());\n}\n",
                0,
            ),
            (
                "static RT: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| tokio::runtime::Runtime::new().unwrap());\nfn a() { RT.block_on(fetch()) }\nfn b() { RT.block_on(async { fetch().await }) }\n",
                0,
            ),
        ] {
            let code = format!("{prelude}{body}");
            let found = check_text(&code, &[RULE]);
            assert_eq!(found.len(), usize::from(runtimes > 0), "{code}");
            if runtimes > 0 {
                assert!(
                    found[0]
                        .message
                        .contains(&format!("shared by {runtimes} runtimes")),
                    "{code}"
                );
            }
        }
    }

    #[test]
    fn thread_locals_are_not_shared_by_tests_but_are_by_runtimes_on_one_thread() {
        let tests = "thread_local! { static CLIENT: reqwest::Client = reqwest::Client::new(); }\n#[tokio::test]\nasync fn a() { CLIENT.with(|c| c.get(\"x\")); }\n#[tokio::test]\nasync fn b() { CLIENT.with(|c| c.get(\"y\")); }\n";
        assert_eq!(check_text(tests, &[RULE]), vec![]);
        let one_thread = "thread_local! { static CLIENT: reqwest::Client = reqwest::Client::new(); }\nasync fn fetch() { CLIENT.with(|c| c.get(\"x\")); }\nfn main() {\n    tokio::runtime::Runtime::new().unwrap().block_on(fetch());\n    tokio::runtime::Runtime::new().unwrap().block_on(fetch());\n}\n";
        assert_eq!(check_text(one_thread, &[RULE]).len(), 1);
        let lazy_static = "lazy_static::lazy_static! { static ref CLIENT: reqwest::Client = reqwest::Client::new(); }\n#[tokio::test]\nasync fn a() { CLIENT.get(\"x\"); }\n#[tokio::test]\nasync fn b() { CLIENT.get(\"y\"); }\n";
        assert_eq!(check_text(lazy_static, &[RULE]).len(), 1);
    }

    #[test]
    fn a_client_connected_on_one_runtime_and_used_elsewhere() {
        for (code, problem) in [
            (
                "use tokio::io::AsyncWriteExt;\nfn main() {\n    let mut stream = tokio::runtime::Runtime::new().unwrap().block_on(tokio::net::TcpStream::connect(\"127.0.0.1:1\")).unwrap();\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.block_on(async { stream.write_all(b\"x\").await }).unwrap();\n}\n",
                "used on another runtime here",
            ),
            (
                "fn main() -> Result<(), sqlx::Error> {\n    let setup = tokio::runtime::Runtime::new().unwrap();\n    let pool = setup.block_on(async {\n        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(5).connect(\"postgres://\").await?;\n        Ok::<_, sqlx::Error>(pool)\n    })?;\n    drop(setup);\n    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();\n    rt.block_on(async { sqlx::query(\"select 1\").execute(&pool).await })?;\n    Ok(())\n}\n",
                "used on another runtime here",
            ),
            (
                "fn main() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    let pool = rt.block_on(sqlx::PgPool::connect(\"postgres://\")).unwrap();\n    drop(rt);\n    use_it(&pool);\n}\n",
                "used here, after its runtime is dropped",
            ),
            (
                "fn connect() -> sqlx::PgPool {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.block_on(sqlx::PgPool::connect(\"postgres://\")).unwrap()\n}\n",
                "returned here; its runtime is dropped when the function returns",
            ),
            (
                "fn connect() -> redis::aio::MultiplexedConnection {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    let conn = rt.block_on(async { redis::Client::open(\"redis://\").unwrap().get_multiplexed_async_connection().await.unwrap() });\n    conn\n}\n",
                "returned here; its runtime is dropped when the function returns",
            ),
        ] {
            let found = check_text(code, &[RULE]);
            assert_eq!(found.len(), 1, "{code}");
            assert_eq!(found[0].labels[0].message, problem, "{code}");
        }
    }

    #[test]
    fn silent_when_the_client_stays_with_its_runtime() {
        let code = "struct Db { rt: tokio::runtime::Runtime, pool: sqlx::PgPool }\nfn open() -> Db {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    let pool = rt.block_on(sqlx::PgPool::connect(\"postgres://\")).unwrap();\n    rt.block_on(async { sqlx::query(\"select 1\").execute(&pool).await }).unwrap();\n    Db { rt, pool }\n}\nfn lazy() -> reqwest::Client {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.block_on(async { reqwest::Client::new() })\n}\n#[tokio::main]\nasync fn main() {\n    let pool = sqlx::PgPool::connect(\"postgres://\").await.unwrap();\n}\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }

    #[test]
    fn a_function_using_the_client_twice_binds_it_once() {
        let before = "use std::sync::LazyLock;\nstatic CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| reqwest::Client::builder().build().unwrap());\n#[tokio::test]\nasync fn a() {\n    CLIENT.get(\"x\");\n    let c = &*CLIENT;\n    c.get(\"y\");\n}\n#[tokio::test]\nasync fn b() { CLIENT.get(\"x\"); CLIENT.get(\"y\"); }\n#[tokio::test]\nasync fn c() {\n    CLIENT.get(\"x\");\n    tokio::spawn(async move { CLIENT.get(\"y\"); });\n}\n";
        let after = "use std::sync::LazyLock;\nfn client() -> reqwest::Client {\n    reqwest::Client::builder().build().unwrap()\n}\n#[tokio::test]\nasync fn a() {\n    let client = client();\n    client.get(\"x\");\n    let c = &client;\n    c.get(\"y\");\n}\n#[tokio::test]\nasync fn b() { let client = client(); client.get(\"x\"); client.get(\"y\"); }\n#[tokio::test]\nasync fn c() {\n    client().get(\"x\");\n    tokio::spawn(async move { client().get(\"y\"); });\n}\n";
        assert_eq!(crate::analysis::fix_text(before, &[RULE], true), after);
        // A local named like the new function would shadow it: no fix.
        let clash = "use std::sync::LazyLock;\nstatic CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);\n#[tokio::test]\nasync fn a() { let client = 1; CLIENT.get(\"x\"); }\n#[tokio::test]\nasync fn b() { CLIENT.get(\"x\"); }\n";
        assert_eq!(crate::analysis::fix_text(clash, &[RULE], true), clash);
    }

    #[test]
    fn silent_for_one_runtime_local_clients_and_own_types() {
        let code = "use std::sync::LazyLock;\nstatic CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);\n#[tokio::main]\nasync fn main() { CLIENT.get(\"x\"); helper().await; }\nasync fn helper() { CLIENT.get(\"y\"); }\nmod mine { pub struct Client; }\nstatic OWN: LazyLock<mine::Client> = LazyLock::new(|| mine::Client);\n#[tokio::test]\nasync fn a() { let _ = &*OWN; let c = reqwest::Client::new(); }\n#[tokio::test]\nasync fn b() { let _ = &*OWN; let c = reqwest::Client::new(); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
