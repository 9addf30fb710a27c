//! `mixed_runtimes`: libraries built on Tokio driven by another executor.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::{ExecContext, Executor, SyncContext};
use crate::workspace::Kind;

pub struct MixedRuntimes;

pub const DOCS: &str = r#"## What it does
Finds code that needs a Tokio runtime, Tokio's own (`tokio::spawn`, `tokio::time`, `tokio::net`,
`tokio::fs`...) or a library built on it (reqwest, hyper, tonic, sqlx, redis, mongodb, the AWS
SDK...), driven by another executor: the body of `#[async_std::main]`/`#[async_std::test]`, or a
future passed to `futures::executor::block_on`, `smol::block_on`, `pollster::block_on` or
`async_std::task::block_on` from sync code. It follows the functions of the workspace that the
code calls.

`tokio::sync` and `tokio::io` work on any executor and are not reported.

## Why is this bad?
Tokio and the libraries built on it spawn tasks and register sockets and timers with the Tokio runtime of the current
thread. Without one they panic at run time: "there is no reactor running, must be called from the
context of a Tokio 1.x runtime" (or hang, for some of them).

## Example
```rust
#[async_std::main]
async fn main() {
    let body = reqwest::get("http://127.0.0.1:8080").await;
}
```

## Use instead
```rust
#[tokio::main]
async fn main() {
    let body = reqwest::get("http://127.0.0.1:8080").await;
}
```

## Fix safety
For `#[async_std::main]`, the fix uses `#[tokio::main]` instead when the package depends on tokio
with the `macros` and `rt-multi-thread` features: unsafe, since the program then runs on Tokio
(async-std's own tasks still run on its global executor). With async-std's `tokio1` feature, which
provides a Tokio runtime, nothing is reported. `block_on` of another executor gets no fix: drive the
future with a Tokio runtime (`rt.block_on(..)`).

It also reads `Cargo.lock`: two semver-incompatible Tokio versions in one build (tokio 0.2 through
actix-web 3, and tokio 1) are reported as a warning on the root of each binary.

## Known problems
Which binary really links which Tokio is not worked out: the lock file is the workspace's.
Tokio-based types reached only through method calls on receivers of unknown type are missed.
"#;

static META: RuleMeta = RuleMeta {
    id: "mixed_runtimes",
    summary: "code that needs a Tokio runtime driven by another executor",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

impl Rule for MixedRuntimes {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[
            SyntaxKind::SOURCE_FILE,
            SyntaxKind::FN,
            SyntaxKind::CALL_EXPR,
            SyntaxKind::METHOD_CALL_EXPR,
        ]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        if node.kind() == SyntaxKind::SOURCE_FILE {
            return if binary_root(cx) {
                Gate::IfTwoTokios
            } else {
                Gate::No
            };
        }
        if let Some(f) = ast::Fn::cast(node.clone()) {
            return Gate::when(
                cx.model
                    .runtime_entry(&f)
                    .is_some_and(|e| e.attr.starts_with("async_std::")),
            );
        }
        let Some(b) = cx.model.block_on(node) else {
            return Gate::No;
        };
        if b.executor.panics_inside_tokio()
            || b.executor == Executor::TokioTest
            || !matches!(
                cx.model.exec_context(node),
                ExecContext::Sync(SyncContext::Fn { .. } | SyncContext::OffThread { .. })
            )
        {
            return Gate::No;
        }
        // Whether the future is built on Tokio: from its own calls, or the graph's answer for
        // the workspace functions it calls.
        let (needs, calls) = cx.model.local_runtime_needs(b.future.syntax());
        if needs.tokio_based {
            Gate::Yes
        } else if calls.is_empty() {
            Gate::No
        } else {
            Gate::IfCalleesNeedTokio(calls)
        }
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        if node.kind() == SyntaxKind::SOURCE_FILE {
            check_lock(cx, out);
        } else if let Some(f) = ast::Fn::cast(node.clone()) {
            check_entry(cx, &f, out);
        } else {
            check_block_on(cx, node, out);
        }
    }
}

/// Whether the file is the root of a binary.
fn binary_root(cx: &RuleContext<'_>) -> bool {
    cx.file
        .owners
        .iter()
        .any(|o| o.kind == Kind::Bin && o.module_path.len() == 1)
}

/// Two incompatible tokio versions in `Cargo.lock`: reported once, on the root of each binary.
fn check_lock(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let versions = &cx.model.graph().tokio_versions;
    if versions.len() < 2 || !binary_root(cx) {
        return;
    }
    let first_line = cx.file.text().lines().next().map_or(0, str::len);
    let range = TextRange::up_to(ra_ap_syntax::TextSize::from(first_line as u32));
    out.push(Diagnostic {
        severity: Severity::Warning,
        message: "two incompatible Tokio versions in one build".to_owned(),
        primary_label: Some("this binary is built with both".to_owned()),
        notes: vec![
            format!("Cargo.lock has tokio {}", versions.join(" and tokio ")),
            "futures of one version cannot run on the other's runtime: they panic with \"there is no reactor \
             running, must be called from the context of a Tokio 1.x runtime\" (or the 0.x equivalent)"
                .to_owned(),
        ],
        helps: vec![
            "align the dependencies on one Tokio version (`cargo tree -i tokio@0.2` shows which dependency \
             brings the old one; actix-web 4 and reqwest 0.11+ use tokio 1)"
                .to_owned(),
        ],
        ..diagnostic(cx, range, String::new(), Vec::new(), None)
    });
}

fn check_entry(cx: &RuleContext<'_>, f: &ast::Fn, out: &mut Vec<Diagnostic>) {
    let Some(entry) = cx.model.runtime_entry(f) else {
        return;
    };
    if !entry.attr.starts_with("async_std::") {
        return;
    }
    let Some(body) = f.body() else { return };
    if !cx.model.runtime_needs(body.syntax()).tokio_based {
        return;
    }
    let graph = cx.model.graph();
    let file = cx.model.file_id();
    if graph.dependency_feature(file, "async_std", "tokio1") == Some(true) {
        return;
    }
    let tokio_ready = graph.dependency_feature(file, "tokio", "macros") == Some(true)
        && graph.dependency_feature(file, "tokio", "rt-multi-thread") == Some(true);
    let fix = (tokio_ready && entry.attr == "async_std::main").then(|| {
        let tokio = cx.model.crate_name("tokio").unwrap_or("tokio");
        let path_start = entry.range.start() + ra_ap_syntax::TextSize::from(2);
        Fix::new(
            "run `main` on Tokio: `#[tokio::main]`",
            Applicability::Unsafe,
            vec![Edit::replace(
                cx.file.path.clone(),
                TextRange::new(path_start, entry.path_end),
                format!("{tokio}::main"),
            )],
        )
    });
    out.push(diagnostic(
        cx,
        entry.range,
        format!(
            "`#[{}]` runs this on async-std's executor, which provides no Tokio runtime",
            entry.attr
        ),
        Vec::new(),
        fix,
    ));
}

fn check_block_on(cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
    let Some(b) = cx.model.block_on(node) else {
        return;
    };
    if b.executor.panics_inside_tokio() || b.executor == Executor::TokioTest {
        return;
    }
    // Inside a Tokio runtime, `nested_block_on` reports the blocking itself.
    if !matches!(
        cx.model.exec_context(node),
        ExecContext::Sync(SyncContext::Fn { .. } | SyncContext::OffThread { .. })
    ) {
        return;
    }
    if !cx.model.runtime_needs(b.future.syntax()).tokio_based {
        return;
    }
    let label = Label {
        range: b.future.syntax().text_range(),
        message: "this future uses a library built on Tokio".to_owned(),
    };
    out.push(diagnostic(
        cx,
        b.callee_range,
        "this executor provides no Tokio runtime".to_owned(),
        vec![label],
        None,
    ));
}

fn diagnostic(
    cx: &RuleContext<'_>,
    range: TextRange,
    why: String,
    labels: Vec<Label>,
    fix: Option<Fix>,
) -> Diagnostic {
    Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: META.summary.to_owned(),
        path: cx.file.path.clone(),
        range,
        primary_label: Some("not a Tokio runtime".to_owned()),
        labels,
        notes: vec![
            why,
            "libraries built on Tokio panic at run time without one: \"there is no reactor running, must be \
             called from the context of a Tokio 1.x runtime\""
                .to_owned(),
        ],
        helps: vec![
            "run this code on a Tokio runtime (`#[tokio::main]`, `rt.block_on(..)`), or enable async-std's \
             `tokio1` feature"
                .to_owned(),
        ],
        fix,
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::check_text;

    const RULE: &str = "mixed_runtimes";

    #[test]
    fn tokio_libraries_under_other_executors() {
        let code = "async fn fetch() -> String { reqwest::get(\"http://127.0.0.1:1\").await.unwrap().text().await.unwrap() }\n#[async_std::main]\nasync fn main() {\n    fetch().await;\n}\nfn sync_entry() {\n    futures::executor::block_on(async { hyper::client::conn::http1::handshake(io()).await });\n    smol::block_on(fetch());\n}\n";
        assert_eq!(check_text(code, &[RULE]).len(), 3);
    }

    #[test]
    fn silent_on_tokio_and_without_tokio_libraries() {
        let code = "async fn fetch() { reqwest::get(\"http://127.0.0.1:1\").await.ok(); }\n#[tokio::main]\nasync fn main() { fetch().await; }\n#[async_std::main]\nasync fn other() { async_std::task::sleep(d()).await; }\nfn sync_entry() { futures::executor::block_on(async { 1 }); let rt = tokio::runtime::Runtime::new().unwrap(); rt.block_on(fetch()); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
