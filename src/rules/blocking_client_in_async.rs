//! `blocking_client_in_async`: a blocking client (`reqwest::blocking`, `ureq`, `postgres`, redis's
//! sync API) created or used in async code.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use super::{FixAvailability, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Diagnostic, Severity};

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
No automatic fix yet: use the async twin (`reqwest::Client`, `tokio-postgres`, redis's
`aio` connections) and `.await` it, or move the blocking section into
`tokio::task::spawn_blocking(move || ..).await`.

## Known problems
Methods called on a blocking client held in a variable of unknown type are not seen; its creation
is.
"#;

static META: RuleMeta = RuleMeta {
    id: "blocking_client_in_async",
    summary: "blocking client used in async code",
    severity: Severity::Error,
    fix: FixAvailability::None,
    docs: DOCS,
};

/// Paths (or path prefixes, ending in `::`) of blocking clients.
const BLOCKING: &[&str] = &[
    "reqwest::blocking::",
    "ureq::",
    "postgres::Client::connect",
    "postgres::Config::connect",
    "redis::Client::get_connection",
    "redis::Connection::",
];

impl Rule for BlockingClientInAsync {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::CALL_EXPR]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some((path, resolved)) = cx.model.called_path(node) else {
            return;
        };
        let blocking = BLOCKING.iter().any(|b| {
            if b.ends_with("::") {
                resolved.starts_with(b)
            } else {
                resolved == *b
            }
        });
        if !blocking {
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
            fix: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::check_text;

    const RULE: &str = "blocking_client_in_async";

    #[test]
    fn direct_and_through_a_helper() {
        let code = "use reqwest::blocking::Client;\nasync fn a() { let c = Client::new(); }\nfn helper() -> String { reqwest::blocking::get(\"x\").unwrap().text().unwrap() }\nasync fn b() { helper(); }\n";
        assert_eq!(check_text(code, &[RULE]).len(), 2);
    }

    #[test]
    fn silent_off_the_task_in_sync_code_and_for_async_clients() {
        let code = "fn helper() -> String { reqwest::blocking::get(\"x\").unwrap().text().unwrap() }\nasync fn a() { tokio::task::spawn_blocking(helper); tokio::task::spawn_blocking(|| reqwest::blocking::get(\"x\")); let c = reqwest::Client::new(); }\nfn main() { helper(); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
