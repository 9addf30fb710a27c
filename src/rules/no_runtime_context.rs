//! `no_runtime_context`: Tokio APIs used where no Tokio runtime is running.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::summary::{FactKind, tokio_driver_of};
use crate::semantic::{ExecContext, SyncContext};
use crate::workspace::Kind;

pub struct NoRuntimeContext;

pub const DOCS: &str = r#"## What it does
Finds Tokio functions that need a running runtime called where none can be running:
- in a sync `fn main` that has not entered a runtime (`let _guard = rt.enter();`);
- in a closure run by `std::thread::spawn` (or a thread builder or scope), which starts without
  the runtime's context;
- as the argument of `rt.block_on(...)`: `rt.block_on(tokio::time::timeout(d, f))` builds the timer
  before `block_on` enters the runtime (tokio-rs/tokio#4423).

The functions are those that need the runtime when they are called (`tokio::spawn`,
`tokio::task::spawn_blocking`, `Handle::current()`, `tokio::time::sleep`, `interval`, `timeout`).
Tokio code driven by another executor (`#[async_std::main]`, `futures::executor::block_on`) is
reported by `mixed_runtimes`.

## Why is this bad?
They panic at run time: "there is no reactor running, must be called from the context of a Tokio
1.x runtime".

## Example
```rust
fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(tokio::time::timeout(std::time::Duration::from_secs(1), work()));
}
async fn work() {}
```

## Use instead
```rust
fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { tokio::time::timeout(std::time::Duration::from_secs(1), work()).await });
}
async fn work() {}
```

## Fix safety
For the `block_on` argument, the fix wraps it in an async block (`async { .. .await }`), so it is
built inside the runtime: safe. For a sync `main` that builds no runtime and blocks on nothing,
the fix makes it `#[tokio::main] async fn main` when the package has tokio's `macros` and
`rt-multi-thread` features: unsafe, since all of `main` then runs on the runtime. The other cases
have no automatic fix: run the code on the runtime
(`#[tokio::main]`, `rt.block_on(async { .. })`), enter it in the thread (`let _guard =
handle.enter();`), or use the other executor's own API.

## Known problems
A runtime entered in a function that calls the one with the Tokio call is not seen: only `enter()`
in the same function or closure counts. Sync helpers called only from a sync `main` are not
followed.
"#;

static META: RuleMeta = RuleMeta {
    id: "no_runtime_context",
    summary: "tokio function called where no Tokio runtime is running",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

const TOKIO_PANIC: &str =
    "there is no reactor running, must be called from the context of a Tokio 1.x runtime";

/// Tokio functions that need the runtime as soon as they are called.
pub(crate) const EAGER: &[&str] = &[
    "tokio::spawn",
    "tokio::task::spawn",
    "tokio::task::spawn_blocking",
    "tokio::runtime::Handle::current",
];

impl Rule for NoRuntimeContext {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        let Some((_, resolved)) = cx.model.called_path(node) else {
            return Gate::No;
        };
        // Only calls that need the runtime at once are reported (see `situation`).
        if !EAGER.contains(&&*resolved) && !tokio_driver_of(&resolved).time {
            return Gate::No;
        }
        match cx.model.exec_context(node) {
            ExecContext::Sync(SyncContext::Fn { is_main: true, .. }) => Gate::Yes,
            ExecContext::Sync(SyncContext::Fn { .. }) => {
                Gate::when(block_on_argument(cx, node).is_some())
            }
            ExecContext::Sync(SyncContext::OffThread { api }) => Gate::when(matches!(
                api.rsplit([':', '.']).next().unwrap_or(&api),
                "spawn" | "spawn_scoped"
            )),
            _ => Gate::No,
        }
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some((path, resolved)) = cx.model.called_path(node) else {
            return;
        };
        let driver = tokio_driver_of(&resolved);
        let eager = EAGER.contains(&&*resolved) || driver.time;
        let lazy = driver.io || resolved.starts_with("tokio::fs::");
        if !eager && !lazy {
            return;
        }
        let Some(finding) = situation(cx, node, eager) else {
            return;
        };
        let name = resolved.rsplit("::").next().unwrap_or(&resolved).to_owned();
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range: path.syntax().text_range(),
            primary_label: Some(format!("`{name}` needs a running Tokio runtime")),
            labels: finding.labels,
            notes: vec![
                format!("this panics at run time: \"{TOKIO_PANIC}\""),
                finding.why,
            ],
            helps: vec![finding.help],
            fix: finding.fix,
        });
    }
}

struct Finding {
    why: String,
    help: String,
    labels: Vec<Label>,
    fix: Option<Fix>,
}

/// Why no runtime is running at `node`, if none is.
fn situation(cx: &RuleContext<'_>, node: &SyntaxNode, eager: bool) -> Option<Finding> {
    match cx.model.exec_context(node) {
        ExecContext::Sync(SyncContext::Fn { is_main: true, .. }) if eager => {
            let in_binary = cx.file.owners.iter().all(|o| o.kind != Kind::Lib);
            if !in_binary || entered_before(cx, node) {
                return None;
            }
            if let Some(finding) = block_on_argument(cx, node) {
                return Some(finding);
            }
            Some(Finding {
                why: "a sync `main` has no runtime unless it builds one and runs this code on it".to_owned(),
                help: "run this code inside the runtime (`#[tokio::main]`, or `rt.block_on(async { .. })`)".to_owned(),
                labels: Vec::new(),
                fix: tokio_main(cx, node),
            })
        }
        ExecContext::Sync(SyncContext::Fn { .. }) if eager => block_on_argument(cx, node),
        ExecContext::Sync(SyncContext::OffThread { api }) if eager => {
            let last = api.rsplit([':', '.']).next().unwrap_or(&api);
            if !matches!(last, "spawn" | "spawn_scoped") || entered_before(cx, node) {
                return None;
            }
            Some(Finding {
                why: format!("a thread started by `{api}` does not inherit the runtime's context"),
                help: "pass a `Handle` into the thread and `enter()` it first (`let _guard = handle.enter();`), \
                       or use `handle.spawn(..)`"
                    .to_owned(),
                labels: Vec::new(),
                fix: None,
            })
        }
        // Another executor driving Tokio code (`#[async_std::main]`, `futures::executor::block_on`)
        // is `mixed_runtimes`' finding.
        _ => None,
    }
}

/// `#[tokio::main]` on a sync `main` that builds no runtime and blocks on nothing, when the package
/// has tokio's `macros` and `rt-multi-thread` features.
fn tokio_main(cx: &RuleContext<'_>, node: &SyntaxNode) -> Option<Fix> {
    let graph = cx.model.graph();
    let main = cx.model.enclosing_fn(node)?;
    let info = &graph.fns[main];
    let uses_runtime = info.facts.iter().any(|f| {
        matches!(
            f.kind,
            FactKind::BuildsRuntime | FactKind::BlockOn(_) | FactKind::EntersRuntime
        )
    });
    let file = cx.model.file_id();
    let ready = graph.dependency_feature(file, "tokio", "macros") == Some(true)
        && graph.dependency_feature(file, "tokio", "rt-multi-thread") == Some(true);
    if uses_runtime || !ready || info.is_async {
        return None;
    }
    let tokio = cx.model.crate_name("tokio")?;
    let at = info.async_insert?;
    let item_start = cx
        .model
        .ancestors(node)
        .skip(1)
        .find_map(ast::Fn::cast)?
        .syntax()
        .text_range()
        .start();
    let indent_free = TextRange::empty(item_start);
    Some(Fix::new(
        "run `main` on a Tokio runtime: `#[tokio::main] async fn main`",
        Applicability::Unsafe,
        vec![
            Edit::replace(
                cx.file.path.clone(),
                indent_free,
                format!("#[{tokio}::main]\n"),
            ),
            Edit::replace(cx.file.path.clone(), TextRange::empty(at), "async "),
        ],
    ))
}

/// `rt.block_on(tokio::time::timeout(d, f))` in sync code: the argument runs before the runtime
/// is entered. The fix makes it an async block.
fn block_on_argument(cx: &RuleContext<'_>, node: &SyntaxNode) -> Option<Finding> {
    let mut current = node.clone();
    for anc in cx.model.ancestors(node).skip(1) {
        if anc.kind() == SyntaxKind::ARG_LIST {
            let call = anc.parent()?;
            let b = cx.model.block_on(&call)?;
            if !b.executor.panics_inside_tokio() || b.future.syntax() != &current {
                return None;
            }
            let future = b.future.syntax();
            let content = format!("async {{ {}.await }}", future.text());
            return Some(Finding {
                why: "the argument of `block_on` is evaluated before `block_on` enters the runtime"
                    .to_owned(),
                help: "build the future inside the runtime: `rt.block_on(async { .. .await })`"
                    .to_owned(),
                labels: vec![Label {
                    range: b.callee_range,
                    message: "the runtime is entered only here".to_owned(),
                }],
                fix: Some(Fix::new(
                    "wrap the argument in an async block",
                    Applicability::Safe,
                    vec![Edit::replace(
                        cx.file.path.clone(),
                        future.text_range(),
                        content,
                    )],
                )),
            });
        }
        if matches!(
            anc.kind(),
            SyntaxKind::BLOCK_EXPR
                | SyntaxKind::CLOSURE_EXPR
                | SyntaxKind::FN
                | SyntaxKind::STMT_LIST
        ) {
            return None;
        }
        current = anc;
    }
    None
}

/// Whether a runtime is entered (`x.enter()`) earlier in the same function or closure.
fn entered_before(cx: &RuleContext<'_>, node: &SyntaxNode) -> bool {
    let Some(scope) = cx
        .model
        .ancestors(node)
        .skip(1)
        .find(|a| matches!(a.kind(), SyntaxKind::FN | SyntaxKind::CLOSURE_EXPR))
    else {
        return false;
    };
    let before = TextRange::new(scope.text_range().start(), node.text_range().start());
    cx.model
        .nodes_within(&scope)
        .filter_map(ast::MethodCallExpr::cast)
        .any(|mc| {
            before.contains_range(mc.syntax().text_range())
                && mc.name_ref().is_some_and(|n| n.text() == "enter")
        })
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "no_runtime_context";

    #[test]
    fn block_on_argument_is_wrapped_in_an_async_block() {
        let before = "use std::time::Duration;\nfn main() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.block_on(tokio::time::timeout(Duration::from_secs(1), work()));\n}\n";
        let after = "use std::time::Duration;\nfn main() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.block_on(async { tokio::time::timeout(Duration::from_secs(1), work()).await });\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), after);
    }

    #[test]
    fn sync_main_and_threads() {
        let code = "fn main() {\n    tokio::spawn(async {});\n    std::thread::spawn(|| tokio::runtime::Handle::current());\n    futures::executor::block_on(async { tokio::time::sleep(d()).await; tokio::fs::read(\"x\").await });\n}\n#[async_std::main]\nasync fn other() {\n    tokio::spawn(async {});\n}\n";
        // Another executor driving Tokio code is `mixed_runtimes`' finding, not this rule's.
        let found = check_text(code, &[RULE]);
        let lines: Vec<u32> = found.iter().map(|d| u32::from(d.range.start())).collect();
        assert_eq!(found.len(), 2, "{lines:?}");
        assert_eq!(check_text(code, &["mixed_runtimes"]).len(), 2);
    }

    #[test]
    fn silent_where_a_runtime_runs() {
        let code = "use tokio::runtime::{Handle, Runtime};\nfn main() {\n    let rt = Runtime::new().unwrap();\n    let _guard = rt.enter();\n    tokio::spawn(async {});\n    rt.block_on(async { tokio::time::sleep(d()).await });\n    rt.block_on(work());\n    let h = rt.handle().clone();\n    std::thread::spawn(move || { let _g = h.enter(); tokio::spawn(async {}); });\n}\n#[tokio::main]\nasync fn other() {\n    tokio::spawn(async {});\n    tokio::task::spawn_blocking(|| Handle::current());\n    futures::executor::block_on(async { tokio::time::sleep(d()).await });\n}\nfn helper() { tokio::spawn(async {}); }\nfn lazy_only() { let f = tokio::fs::read(\"x\"); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
