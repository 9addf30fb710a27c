//! `client_outlives_runtime`: a runtime-bound client in a static, used from several runtimes.

use std::collections::BTreeSet;

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasArgList, HasGenericArgs, HasVisibility},
};

use super::{FixAvailability, Rule, RuleContext, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};

pub struct ClientOutlivesRuntime;

pub const DOCS: &str = r#"## What it does
Finds a client bound to the runtime that created it (`reqwest::Client`, hyper's client,
`tonic::transport::Channel`, sqlx pools, redis multiplexed connections, `mongodb::Client`, AWS SDK
clients, `tokio::net::TcpStream`...) kept in a `static` (`LazyLock`, `OnceLock`, `once_cell`,
`lazy_static!`, `thread_local!`) and used from more than one runtime: two or more `#[tokio::test]`
functions (each test builds its own runtime), or several runtime entry points. Uses are followed up
through the functions of the workspace that lead to them.

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
For a `static X: LazyLock<Client>` (or `Lazy`) whose uses are all in its own file, the fix turns the
static into a constructor function (`fn x() -> Client`) and every use into a call, so each runtime
gets a client of its own. It is unsafe: every use now builds a client (share one per test by
binding it once where that matters), and the initializer runs at each use.

## Known problems
Clients created in one runtime's scope and returned or stored for another are not followed yet.
A static client used from exactly one runtime (one binary with one `#[tokio::main]`) is correct and
not reported.
"#;

static META: RuleMeta = RuleMeta {
    id: "client_outlives_runtime",
    summary: "runtime-bound client shared across runtimes through a static",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

/// The symptom users see, by the client's crate.
fn symptom(holds: &str) -> &'static str {
    match holds.split("::").next().unwrap_or_default() {
        "reqwest" | "hyper" | "hyper_util" => {
            "\"dispatch task is gone: runtime dropped the dispatch task\" (hyper 0.14: \"dispatch dropped without returning error\")"
        }
        "sqlx" | "deadpool_postgres" | "bb8" => "`PoolTimedOut` errors",
        "tonic" => "a transport error",
        "redis" => "a hang or a broken pipe",
        _ => "errors or hangs (\"A Tokio 1.x context was found, but it is being shutdown\")",
    }
}

impl Rule for ClientOutlivesRuntime {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::STATIC, SyntaxKind::MACRO_CALL]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let graph = cx.model.graph();
        let file = cx.model.file_id();
        let range = node.text_range();
        for (id, st) in graph.statics.iter().enumerate() {
            if st.file != file || !range.contains_range(st.name_range) {
                continue;
            }
            let Some(holds) = st
                .holds
                .as_deref()
                .filter(|h| cx.model.is_runtime_bound_client(h))
            else {
                continue;
            };
            // The runtimes that use it: each runtime entry whose code reaches a use.
            let mut entries: BTreeSet<usize> = BTreeSet::new();
            let mut labels = Vec::new();
            for u in graph.static_uses.iter().filter(|u| u.static_id == id) {
                let Some(f) = u.function else { continue };
                let reaching = graph.entries_reaching(f);
                if !reaching.is_empty() && u.file == file && labels.len() < 4 {
                    labels.push(Label {
                        range: u.range,
                        message: "used here".to_owned(),
                    });
                }
                entries.extend(reaching);
            }
            if entries.len() < 2 {
                continue;
            }
            let names: Vec<String> = entries
                .iter()
                .take(4)
                .map(|&e| {
                    let f = &graph.fns[e];
                    let attr = f
                        .entry
                        .as_ref()
                        .map(|x| x.attr.as_str())
                        .unwrap_or_default();
                    format!("`{}` (#[{attr}], {})", f.display, f.location)
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
                        "each of these builds its own runtime: {}{}",
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
    if cx.file.text.contains(&format!("fn {name}(")) || cx.model.items_by_name().contains_key(&name)
    {
        return None;
    }
    let uses: Vec<_> = graph
        .static_uses
        .iter()
        .filter(|u| u.static_id == id)
        .collect();
    if uses.is_empty() || uses.iter().any(|u| u.file != file) {
        return None;
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
    for u in uses {
        // `*CLIENT` dereferences the lazy: the call replaces the whole `*CLIENT`.
        let element = cx.model.root().covering_element(u.range);
        let path_expr = element
            .ancestors()
            .find(|a| a.kind() == SyntaxKind::PATH_EXPR);
        let range = path_expr
            .and_then(|p| p.parent())
            .filter(|p| {
                p.kind() == SyntaxKind::PREFIX_EXPR && p.text().to_string().starts_with('*')
            })
            .map_or(u.range, |p| p.text_range());
        edits.push(Edit::replace(
            cx.file.path.clone(),
            range,
            format!("{name}()"),
        ));
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
    fn silent_for_one_runtime_local_clients_and_own_types() {
        let code = "use std::sync::LazyLock;\nstatic CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);\n#[tokio::main]\nasync fn main() { CLIENT.get(\"x\"); helper().await; }\nasync fn helper() { CLIENT.get(\"y\"); }\nmod mine { pub struct Client; }\nstatic OWN: LazyLock<mine::Client> = LazyLock::new(|| mine::Client);\n#[tokio::test]\nasync fn a() { let _ = &*OWN; let c = reqwest::Client::new(); }\n#[tokio::test]\nasync fn b() { let _ = &*OWN; let c = reqwest::Client::new(); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
