//! `blocking_client_in_async`: a blocking client (`reqwest::blocking`, `ureq`, `postgres`, redis's
//! sync API) created or used in async code.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::semantic::ExecContext;
use crate::semantic::flow::Destination;

pub struct BlockingClientInAsync;

pub const DOCS: &str = r#"## What it does
Finds blocking clients created or used in async code: `reqwest::blocking::*`, `ureq::*`,
`postgres::Client`, and redis's synchronous API (`redis::Client::get_connection`), directly in an
`async fn`, block or closure, or in a sync function that async code calls (the note shows the
chain). Calls inside `spawn_blocking` or `std::thread::spawn` closures are fine.

## Why is this bad?
A blocking client blocks the worker thread for the whole request, stalling every task on it.
`reqwest::blocking` runs its own runtime inside: in debug builds, dropping it in async code panics
with "Cannot drop a runtime in a context where blocking is not allowed. This happens when a runtime
is dropped from within an asynchronous context."; release builds silently block the worker, which
is why a static check matters.

## Example
```rust
async fn handler() -> String {
    reqwest::blocking::get("http://127.0.0.1:8080").unwrap().text().unwrap()
}
```

## Use instead
```rust
async fn handler() -> String {
    reqwest::get("http://127.0.0.1:8080").await.unwrap().text().await.unwrap()
}
```

## Fix safety
Directly in async code (not through a helper or a closure), two unsafe fixes:
- reqwest's async twin: `reqwest::blocking::get(u)` becomes `reqwest::get(u).await`, and a
  `reqwest::blocking::Client` bound to a variable becomes a `reqwest::Client` when every use is a
  request chain (`client.get(u).header(..).send()`); `.await` is added after `send()`, `text()`,
  `json()` and `bytes()`. Only when each chain ends in a plain value (the body, the status...), so
  no blocking response escapes. Unsafe: the blocking client has a 30 s default timeout, the async
  one none.
- a `ureq` request that uses no local variable (`ureq::get("http://..").call()`) moves into
  `tokio::task::spawn_blocking(move || ..).await.unwrap()` (async-std:
  `async_std::task::spawn_blocking`). Unsafe: a panic in the request becomes a panic at `.unwrap()`.

A blocking client kept in a variable (`postgres::Client`, redis's `Connection`) gets no fix: its
async twin (`tokio-postgres`, redis's `aio` connections) has a different API.

## Known problems
Methods called on a blocking client are seen when it is a parameter with a declared type
(`client: &reqwest::blocking::Client`); a client in a variable is seen where it is created, one
in a struct field not at all.
"#;

static META: RuleMeta = RuleMeta {
    id: "blocking_client_in_async",
    summary: "blocking client used in async code",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

impl Rule for BlockingClientInAsync {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::CALL_EXPR, SyntaxKind::METHOD_CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        let blocking = match ast::MethodCallExpr::cast(node.clone()) {
            Some(mc) => mc
                .receiver()
                .is_some_and(|r| cx.model.blocking_client_param(&r).is_some()),
            None => cx
                .model
                .called_path(node)
                .is_some_and(|(_, resolved)| cx.model.is_blocking_client_call(&resolved)),
        };
        if !blocking {
            return Gate::No;
        }
        common::runs_on_the_task_gate(cx, node)
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        if let Some(mc) = ast::MethodCallExpr::cast(node.clone()) {
            out.extend(method_on_a_parameter(cx, &mc));
            return;
        }
        let Some((path, resolved)) = cx.model.called_path(node) else {
            return;
        };
        if !cx.model.is_blocking_client_call(&resolved) {
            return;
        }
        let Some((labels, chain_note)) = common::runs_on_the_task(cx, node, &resolved) else {
            return;
        };
        let mut notes = vec![
            "the blocking call holds the worker thread for the whole request: every other task on it stalls".to_owned(),
        ];
        if resolved.starts_with("reqwest::blocking::") {
            notes.push(
                "`reqwest::blocking` runs a runtime inside; in debug builds dropping it here panics: \"Cannot drop a \
                 runtime in a context where blocking is not allowed\""
                    .to_owned(),
            );
        }
        notes.extend(chain_note);
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range: path.syntax().text_range(),
            primary_label: Some(format!("`{resolved}` blocks")),
            labels,
            notes,
            helps: vec![
                "use the async client and `.await` it, or move this into `tokio::task::spawn_blocking(move || ..)`"
                    .to_owned(),
            ],
            fix: fix(cx, node, &path, &resolved),
        });
    }
}

/// `client.get(u)` on a parameter declared as a blocking client, in async code.
fn method_on_a_parameter(cx: &RuleContext<'_>, mc: &ast::MethodCallExpr) -> Option<Diagnostic> {
    let receiver = mc.receiver()?;
    let ty = cx.model.blocking_client_param(&receiver)?;
    let name = mc.name_ref()?;
    let (labels, chain_note) = common::runs_on_the_task(cx, mc.syntax(), &format!("{ty}::{name}"))?;
    let mut notes = vec![
        "the blocking call holds the worker thread for the whole request: every other task on it stalls".to_owned(),
    ];
    notes.extend(chain_note);
    Some(Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: META.summary.to_owned(),
        path: cx.file.path.clone(),
        range: TextRange::new(receiver.syntax().text_range().start(), name.syntax().text_range().end()),
        primary_label: Some(format!("`{receiver}` is a blocking `{ty}`")),
        labels,
        notes,
        helps: vec![
            "pass the async client instead, or move this into `tokio::task::spawn_blocking(move || ..)`".to_owned(),
        ],
        fix: None,
    })
}

/// The async twin where reqwest has one, else `spawn_blocking`; only directly in async code.
fn fix(cx: &RuleContext<'_>, call: &SyntaxNode, path: &ast::Path, resolved: &str) -> Option<Fix> {
    let ExecContext::Async(context) = cx.model.exec_context(call) else {
        return None;
    };
    if context.through_closure {
        return None;
    }
    if let Some(reqwest) = cx.model.crate_name("reqwest") {
        let twin = match resolved {
            "reqwest::blocking::get" => twin_get(cx, call, path, reqwest),
            "reqwest::blocking::Client::new" | "reqwest::blocking::Client::builder" => {
                twin_client(cx, call, path, resolved, reqwest)
            }
            _ => None,
        };
        if let Some(edits) = twin {
            return Some(Fix::new(
                "use reqwest's async API and `.await` it",
                Applicability::Unsafe,
                edits,
            ));
        }
    }
    // A blocking reqwest response keeps its client's runtime alive: it must not escape to async
    // code either, so only `ureq`'s plain values move to `spawn_blocking`.
    if resolved.starts_with("ureq::") {
        return common::spawn_blocking_statement(cx, call, "run the request in `spawn_blocking`");
    }
    None
}

/// What a reqwest expression is, while following a method chain up from it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Client,
    ClientBuilder,
    RequestBuilder,
    Response,
    /// A plain value: the body, the status, the headers.
    Value,
}

/// Follow the method chain above `expr` (of kind `step`), adding `.await` where the async API
/// returns a future. `None` unless the chain ends in a plain value (or, with `stop_at_client`,
/// in a built client).
fn awaits_up_the_chain(
    cx: &RuleContext<'_>,
    expr: &SyntaxNode,
    mut step: Step,
    stop_at_client: bool,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    let mut current = expr.clone();
    while step != Step::Value {
        let parent = current.parent()?;
        match parent.kind() {
            SyntaxKind::PAREN_EXPR | SyntaxKind::TRY_EXPR => {}
            SyntaxKind::METHOD_CALL_EXPR => {
                let call = ast::MethodCallExpr::cast(parent.clone())?;
                if call.receiver()?.syntax() != &current {
                    return None;
                }
                let method = call.name_ref()?.text().to_string();
                let awaited = |edits: &mut Vec<Edit>| {
                    edits.push(Edit::insert(
                        cx.file.path.clone(),
                        call.syntax().text_range().end(),
                        ".await".to_owned(),
                    ));
                };
                step = match (step, method.as_str()) {
                    (_, "unwrap" | "expect" | "ok") => step,
                    (
                        Step::Client,
                        "get" | "post" | "put" | "patch" | "delete" | "head" | "request",
                    ) => Step::RequestBuilder,
                    (
                        Step::ClientBuilder,
                        "timeout"
                        | "connect_timeout"
                        | "user_agent"
                        | "default_headers"
                        | "pool_idle_timeout"
                        | "pool_max_idle_per_host"
                        | "no_proxy",
                    ) => Step::ClientBuilder,
                    (Step::ClientBuilder, "build") => Step::Client,
                    (
                        Step::RequestBuilder,
                        "header" | "headers" | "body" | "json" | "form" | "query" | "timeout"
                        | "bearer_auth" | "basic_auth" | "version",
                    ) => Step::RequestBuilder,
                    (Step::RequestBuilder, "send") => {
                        awaited(edits);
                        Step::Response
                    }
                    (Step::Response, "error_for_status") => Step::Response,
                    (Step::Response, "text" | "json" | "bytes") => {
                        awaited(edits);
                        Step::Value
                    }
                    (
                        Step::Response,
                        "status" | "content_length" | "url" | "version" | "headers" | "remote_addr",
                    ) => Step::Value,
                    _ => return None,
                };
            }
            // A built client ends here; the caller follows where it goes.
            _ if step == Step::Client && stop_at_client => return Some(()),
            _ => return None,
        }
        current = parent;
    }
    Some(())
}

/// `reqwest::blocking::get(u)...text()` -> `reqwest::get(u).await...text().await`.
fn twin_get(
    cx: &RuleContext<'_>,
    call: &SyntaxNode,
    path: &ast::Path,
    reqwest: &str,
) -> Option<Vec<Edit>> {
    let mut edits = vec![
        Edit::replace(
            cx.file.path.clone(),
            path.syntax().text_range(),
            format!("{reqwest}::get"),
        ),
        Edit::insert(
            cx.file.path.clone(),
            call.text_range().end(),
            ".await".to_owned(),
        ),
    ];
    awaits_up_the_chain(cx, call, Step::Response, false, &mut edits)?;
    Some(edits)
}

/// `let client = reqwest::blocking::Client::new();` becomes a `reqwest::Client` when every use of
/// `client` is a request chain that ends in a plain value.
fn twin_client(
    cx: &RuleContext<'_>,
    call: &SyntaxNode,
    path: &ast::Path,
    resolved: &str,
    reqwest: &str,
) -> Option<Vec<Edit>> {
    let builder = resolved.ends_with("::builder");
    let mut edits = vec![Edit::replace(
        cx.file.path.clone(),
        path.syntax().text_range(),
        format!(
            "{reqwest}::Client::{}",
            if builder { "builder" } else { "new" }
        ),
    )];
    // The builder's chain up to `build()`, then where the client goes.
    let mut client = call.clone();
    if builder {
        let mut probe = Vec::new();
        awaits_up_the_chain(cx, call, Step::ClientBuilder, true, &mut probe)?;
        client = call
            .ancestors()
            .skip(1)
            .filter_map(ast::MethodCallExpr::cast)
            .find(|m| m.name_ref().is_some_and(|n| n.text() == "build"))?
            .syntax()
            .clone();
    }
    let Destination::Bound { stmt, name, .. } = cx.model.destination(&client) else {
        return None;
    };
    if stmt.ty().is_some() {
        return None;
    }
    let uses = cx.model.binding_uses(&stmt, &name);
    if uses.moved || uses.dropped_explicitly || uses.uses.is_empty() {
        return None;
    }
    let here = cx.model.enclosing_fn(call);
    for used in &uses.uses {
        let direct =
            matches!(cx.model.exec_context(used), ExecContext::Async(c) if !c.through_closure);
        if !direct || cx.model.enclosing_fn(used) != here {
            return None;
        }
        // A use that is not a request chain (`&client`) would hand a blocking client on.
        awaits_up_the_chain(cx, used, Step::Client, false, &mut edits)?;
    }
    Some(edits)
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "blocking_client_in_async";

    #[test]
    fn direct_and_through_a_helper() {
        let code = "use reqwest::blocking::Client;\nasync fn a() { let c = Client::new(); }\nfn helper() -> String { reqwest::blocking::get(\"x\").unwrap().text().unwrap() }\nasync fn b() { helper(); }\n";
        assert_eq!(check_text(code, &[RULE]).len(), 2);
    }

    #[test]
    fn reqwest_gets_its_async_twin() {
        let before = "async fn a(u: &str) -> String {\n    reqwest::blocking::get(u).unwrap().text().unwrap()\n}\nasync fn b(u: &str) -> Option<u16> {\n    let client = reqwest::blocking::Client::builder().timeout(T).build().ok()?;\n    let body = client.post(u).json(&1).send().ok()?.error_for_status().ok()?.text().ok()?;\n    Some(client.get(u).send().ok()?.status().as_u16())\n}\n";
        let after = "async fn a(u: &str) -> String {\n    reqwest::get(u).await.unwrap().text().await.unwrap()\n}\nasync fn b(u: &str) -> Option<u16> {\n    let client = reqwest::Client::builder().timeout(T).build().ok()?;\n    let body = client.post(u).json(&1).send().await.ok()?.error_for_status().ok()?.text().await.ok()?;\n    Some(client.get(u).send().await.ok()?.status().as_u16())\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), before);
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn other_requests_move_to_spawn_blocking() {
        let before = "use tokio as _;\nasync fn a() {\n    let r = ureq::get(\"http://x\").call();\n    report(r);\n}\n";
        let after = "use tokio as _;\nasync fn a() {\n    let r = tokio::task::spawn_blocking(move || ureq::get(\"http://x\").call()).await.unwrap();\n    report(r);\n}\n";
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn no_fix_when_a_blocking_value_would_escape_or_locals_are_captured() {
        for code in [
            // The response escapes the chain: its later uses would need `.await` too.
            "async fn a(u: &str) { let r = reqwest::blocking::get(\"http://x\").unwrap(); r.text(); }\n",
            // The client is handed on.
            "async fn a(u: &str) { let c = reqwest::blocking::Client::new(); keep(&c); c.get(u).send().unwrap().text(); }\n",
            // Through a sync closure, `.await` cannot be written.
            "async fn a(u: &str) { let v: Vec<_> = [u].iter().map(|u| reqwest::blocking::get(*u).unwrap().text().unwrap()).collect(); }\n",
            // `ureq` with a local: the closure would borrow it.
            "use tokio as _;\nasync fn a(u: &str) { let r = ureq::get(u).call(); }\n",
            "async fn a() { let mut db = postgres::Client::connect(\"host=x\", postgres::NoTls).unwrap(); }\n",
        ] {
            assert_eq!(fix_text(code, &[RULE], true), code, "{code}");
            assert_eq!(check_text(code, &[RULE]).len(), 1, "{code}");
        }
    }

    #[test]
    fn a_blocking_client_parameter_used_in_async_code() {
        let code = "use reqwest::blocking::Client;\nasync fn a(client: &Client, db: &mut postgres::Client) {\n    client.get(\"x\").send().unwrap();\n    db.execute(\"select 1\", &[]).unwrap();\n}\nfn sync_ok(client: &Client) { client.get(\"x\").send().unwrap(); }\nasync fn async_ok(client: &reqwest::Client) { client.get(\"x\").send().await.unwrap(); }\n";
        let found = check_text(code, &[RULE]);
        let labels: Vec<_> = found
            .iter()
            .map(|d| d.primary_label.clone().unwrap())
            .collect();
        assert_eq!(
            labels,
            [
                "`client` is a blocking `reqwest::blocking::Client`",
                "`db` is a blocking `postgres::Client`"
            ]
        );
    }

    #[test]
    fn silent_off_the_task_in_sync_code_and_for_async_clients() {
        let code = "fn helper() -> String { reqwest::blocking::get(\"x\").unwrap().text().unwrap() }\nasync fn a() { tokio::task::spawn_blocking(helper); tokio::task::spawn_blocking(|| reqwest::blocking::get(\"x\")); let c = reqwest::Client::new(); }\nfn main() { helper(); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
