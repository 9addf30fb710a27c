//! `client_per_request`: a runtime-bound client built again on every iteration of a loop, or in a
//! request handler.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasName},
};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::values::Binding;

pub struct ClientPerRequest;

pub const DOCS: &str = r#"## What it does
Finds a client with a connection pool (`reqwest::Client`, hyper's client, redis and mongodb
clients, sqlx pools) built with a `let` inside a loop, so every iteration builds a new one, or in
a request handler, so every request builds one: an actix-web, rocket or poem handler (by its route
attribute), an axum handler (a function registered with `get(handler)`, `post(..)`... anywhere in
the workspace), and closures handed to a routing function or to hyper's or tower's `service_fn`.

## Why is this bad?
Each client owns a connection pool (and for some, a background task): building one per request
throws the pool away every time, so every request pays a new TCP (and TLS) handshake, and under
load the discarded connections linger in `TIME_WAIT` until the process runs out of sockets.

## Example
```rust
async fn fetch_all(urls: &[String]) {
    for url in urls {
        let client = reqwest::Client::new();
        client.get(url).send().await.ok();
    }
}
```

## Use instead
```rust
async fn fetch_all(urls: &[String]) {
    let client = reqwest::Client::new();
    for url in urls {
        client.get(url).send().await.ok();
    }
}
```

## Fix safety
A construction that uses anything the loop binds (its pattern, or anything declared inside it) or,
in a handler, any parameter or local, is not reported: a client per server or per user is
deliberate. Nor is a client moved away (kept in a collection, returned). The fix hoists the `let`
out of the loop, just before it. It is safe when building the client does no I/O; when the construction
connects (`.await`) or can fail (`?`), it now runs even if the loop does not: unsafe.

In a request handler there is no fix: share one client built at startup through the framework's
state (axum's `State`, actix-web's `web::Data`); clients are cheap to clone.

## Known problems
Handlers registered through a macro or a framework not listed above are not recognised; a client
built in a helper that a handler calls is not followed.
"#;

static META: RuleMeta = RuleMeta {
    id: "client_per_request",
    summary: "client with a connection pool built on every request or loop iteration",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

impl Rule for ClientPerRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::LET_STMT]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        let constructor = ast::LetStmt::cast(node.clone()).and_then(|stmt| {
            let ast::Pat::IdentPat(pat) = stmt.pat()? else {
                return None;
            };
            pat.name()?;
            client_constructor(cx, &stmt.initializer()?)
        });
        Gate::when(constructor.is_some())
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some(stmt) = ast::LetStmt::cast(node.clone()) else {
            return;
        };
        let Some(ast::Pat::IdentPat(pat)) = stmt.pat() else {
            return;
        };
        let Some(name) = pat.name() else { return };
        let Some(init) = stmt.initializer() else {
            return;
        };
        let Some(constructor) = client_constructor(cx, &init) else {
            return;
        };
        let uses = cx.model.binding_uses(&stmt, name.text().as_ref());
        if uses.moved {
            return;
        }
        let Some(the_loop) = cx
            .model
            .ancestors(node)
            .skip(1)
            .take_while(|a| !matches!(a.kind(), SyntaxKind::FN | SyntaxKind::CLOSURE_EXPR))
            .find(|a| {
                matches!(
                    a.kind(),
                    SyntaxKind::FOR_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::LOOP_EXPR
                )
            })
        else {
            if let Some(route) = cx.model.request_handler(node)
                && !varies(cx, &init, None)
            {
                out.push(per_request(cx, &name, &constructor, &route));
            }
            return;
        };
        if varies(cx, &init, Some(the_loop.text_range())) {
            return;
        }
        let keyword = the_loop
            .first_token()
            .map_or(the_loop.text_range(), |t| t.text_range());
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: "client with a connection pool built on every loop iteration".to_owned(),
            path: cx.file.path.clone(),
            range: name.syntax().text_range(),
            primary_label: Some(format!("a new client (`{constructor}`) on every iteration")),
            labels: vec![Label { range: keyword, message: "this loop".to_owned() }],
            notes: vec![
                "each client owns a connection pool: a new one per iteration means a new TCP/TLS handshake per \
                 request, and under load the discarded connections exhaust the sockets"
                    .to_owned(),
            ],
            helps: vec!["build the client once, before the loop, and reuse it".to_owned()],
            fix: hoist(cx, &stmt, &init, &the_loop),
        });
    }
}

/// A client built in a request handler: a finding without a fix (the client belongs in the
/// application's state).
fn per_request(
    cx: &RuleContext<'_>,
    name: &ast::Name,
    constructor: &str,
    route: &str,
) -> Diagnostic {
    Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: "client with a connection pool built on every request".to_owned(),
        path: cx.file.path.clone(),
        range: name.syntax().text_range(),
        primary_label: Some(format!("a new client (`{constructor}`) for every request")),
        labels: Vec::new(),
        notes: vec![
            format!("this code handles requests (`{route}`): it runs once per request"),
            "each client owns a connection pool: a new one per request means a new TCP/TLS handshake per \
             request, and under load the discarded connections exhaust the sockets"
                .to_owned(),
        ],
        helps: vec![
            "build one client at startup and share it through the application state (axum's `State`, \
             actix-web's `web::Data`); clients are cheap to clone"
                .to_owned(),
        ],
        fix: None,
    }
}

/// The client constructor at the root of `init`'s call chain (`reqwest::Client::builder()...`).
fn client_constructor(cx: &RuleContext<'_>, init: &ast::Expr) -> Option<String> {
    let mut current = init.clone();
    loop {
        current = match current {
            ast::Expr::MethodCallExpr(mc) => mc.receiver()?,
            ast::Expr::TryExpr(t) => t.expr()?,
            ast::Expr::AwaitExpr(a) => a.expr()?,
            ast::Expr::ParenExpr(p) => p.expr()?,
            ast::Expr::CallExpr(_) => break,
            _ => return None,
        };
    }
    cx.model.client_constructor_call(current.syntax())
}

/// Whether the construction `init` uses a variable bound inside `scope` (the loop's pattern,
/// anything declared in the loop), or, with `scope` `None` (a request handler), any local or
/// parameter: then each client may differ (one per server, per user), which is deliberate.
fn varies(cx: &RuleContext<'_>, init: &ast::Expr, scope: Option<TextRange>) -> bool {
    cx.model.nodes_within(init.syntax()).any(|node| {
        let Some(pe) = ast::PathExpr::cast(node.clone()) else {
            return false;
        };
        let Some(name) = pe.path().and_then(|p| p.as_single_name_ref()) else {
            return false;
        };
        match (cx.model.binding(&node, name.text().as_ref()), scope) {
            (Some(Binding::Item(_)), _) => false,
            (Some(Binding::Let(l) | Binding::Destructured(l)), Some(scope)) => {
                scope.contains_range(l.syntax().text_range())
            }
            (Some(Binding::Param(_)), Some(_)) => false,
            (Some(_), None) => true,
            // Bound by a pattern (the loop's own, a `match` arm...): may change per iteration.
            (None, _) => true,
        }
    }) || cx.model.nodes_within(init.syntax()).any(|n| {
        // `format!("{user}")` uses a variable without a path expression.
        n.kind() == SyntaxKind::MACRO_CALL
            && n.descendants_with_tokens()
                .any(|t| t.kind() == SyntaxKind::STRING && t.to_string().contains('{'))
    })
}

/// Move the `let` just before the loop (its initializer uses nothing the loop binds).
fn hoist(
    cx: &RuleContext<'_>,
    stmt: &ast::LetStmt,
    init: &ast::Expr,
    the_loop: &SyntaxNode,
) -> Option<Fix> {
    let loop_range = the_loop.text_range();
    // The loop must start a statement of its own line, so the `let` can go on the line above.
    let start = usize::from(loop_range.start());
    let line_start = cx.file.text()[..start].rfind('\n').map_or(0, |i| i + 1);
    if !cx.file.text()[line_start..start].trim().is_empty() {
        return None;
    }
    let indent = &cx.file.text()[line_start..start];
    let statement = stmt.syntax().text().to_string();
    if statement.contains('\n')
        || common::has_comment_outside(
            stmt.syntax(),
            stmt.syntax().text_range(),
            TextRange::empty(0.into()),
        )
    {
        return None;
    }
    let removal = common::statement_deletion(cx.file.text(), stmt.syntax().text_range());
    // A construction that connects (`.await`) or can fail (`?`) now runs even when the loop does
    // not: unsafe.
    let connects = init
        .syntax()
        .descendants()
        .any(|n| matches!(n.kind(), SyntaxKind::AWAIT_EXPR | SyntaxKind::TRY_EXPR));
    Some(Fix::new(
        "build the client once, before the loop",
        if connects {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        },
        vec![
            Edit::replace(
                cx.file.path.clone(),
                TextRange::empty(TextSize::from(line_start as u32)),
                format!("{indent}{statement}\n"),
            ),
            Edit::replace(cx.file.path.clone(), removal, ""),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "client_per_request";

    #[test]
    fn a_client_in_a_loop_is_hoisted() {
        let before = "async fn f(urls: Vec<String>, timeout: std::time::Duration) {\n    for url in urls {\n        let client = reqwest::Client::builder().timeout(timeout).build().unwrap();\n        client.get(url).send().await.ok();\n    }\n}\n";
        let after = "async fn f(urls: Vec<String>, timeout: std::time::Duration) {\n    let client = reqwest::Client::builder().timeout(timeout).build().unwrap();\n    for url in urls {\n        client.get(url).send().await.ok();\n    }\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), after);
    }

    #[test]
    fn loop_or_request_dependent_construction_is_deliberate() {
        let code = "async fn f(urls: Vec<String>) {\n    for url in urls {\n        let client = reqwest::Client::builder().user_agent(url.clone()).build().unwrap();\n        client.get(url).send().await.ok();\n    }\n    for server in servers() {\n        let mut conn = redis::Client::open(server.clone()).unwrap().get_connection().unwrap();\n        ping(&mut conn);\n    }\n    for user in users() {\n        let client = reqwest::Client::builder().user_agent(format!(\"{user}\")).build().unwrap();\n        client.get(\"x\");\n    }\n}\n#[actix_web::get(\"/\")]\nasync fn index(token: String) {\n    let client = reqwest::Client::builder().default_headers(headers(&token)).build().unwrap();\n    client.get(\"x\");\n}\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }

    #[test]
    fn clients_built_per_request_in_handlers() {
        let code = "use axum::{Router, routing::get};\nuse actix_web::post;\nasync fn index() -> String {\n    let client = reqwest::Client::new();\n    client.get(\"x\").send().await.unwrap().text().await.unwrap()\n}\n#[post(\"/\")]\nasync fn submit() {\n    let client = reqwest::Client::new();\n    client.post(\"x\");\n}\nfn app() -> Router {\n    Router::new().route(\"/\", get(index)).route(\"/p\", get(|| async { let c = reqwest::Client::new(); c.get(\"y\"); }))\n}\n";
        let found = check_text(code, &[RULE]);
        let lines: Vec<_> = found
            .iter()
            .map(|d| (d.range.start(), d.notes[0].clone()))
            .collect();
        assert_eq!(found.len(), 3, "{lines:?}");
        assert!(
            found[0].notes[0].contains("`axum::routing::get`"),
            "{lines:?}"
        );
        assert!(found[1].notes[0].contains("`actix_web::post`"), "{lines:?}");
        assert!(found.iter().all(|d| d.fix.is_none()));
    }

    #[test]
    fn silent_for_shared_clients_and_lazy_initialisation_in_handlers() {
        let code = "use axum::{Router, routing::get, extract::State};\nstatic C: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();\nasync fn index(State(client): State<reqwest::Client>) { client.get(\"x\"); let c = C.get_or_init(|| { let c = reqwest::Client::new(); c }); }\nfn helper() { let c = reqwest::Client::new(); c.get(\"x\"); }\n#[tokio::main]\nasync fn main() {\n    let client = reqwest::Client::new();\n    let app: Router = Router::new().route(\"/\", get(index)).with_state(client);\n}\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }

    #[test]
    fn silent_outside_loops_and_for_clients_moved_away() {
        let code = "async fn f(urls: Vec<String>) {\n    let client = reqwest::Client::new();\n    for url in urls { client.get(url); }\n    let mut all = Vec::new();\n    for _ in 0..3 {\n        let c = reqwest::Client::new();\n        all.push(c);\n    }\n    let g = || { let c = reqwest::Client::new(); };\n}\nmod mine { pub struct Client; impl Client { pub fn new() -> Client { Client } } }\nfn g() { loop { let c = mine::Client::new(); } }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
