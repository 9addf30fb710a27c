//! `spawn_local_outside_localset`: `tokio::task::spawn_local` where no `LocalSet` runs.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::{ExecContext, SyncContext};

pub struct SpawnLocalOutsideLocalset;

pub const DOCS: &str = r#"## What it does
Finds `tokio::task::spawn_local` called where no `LocalSet` (or local runtime) can be running:
directly in the body of `#[tokio::main]` or `#[tokio::test]` (unless `flavor = "local"`), in a task
started with `tokio::spawn` (which runs on the runtime's workers), or in a sync `main`. Code inside
`local.run_until(..)`, `local.block_on(..)` or another `spawn_local` is fine.

## Why is this bad?
`spawn_local` puts the task on the current `LocalSet`; without one it panics at run time:
"`spawn_local` called from outside of a `task::LocalSet` or `runtime::LocalRuntime`".

## Example
```rust
#[tokio::main]
async fn main() {
    tokio::task::spawn_local(async {}).await.unwrap();
}
```

## Use instead
```rust
#[tokio::main]
async fn main() {
    tokio::task::LocalSet::new()
        .run_until(async move {
            tokio::task::spawn_local(async {}).await.unwrap();
        })
        .await;
}
```

## Fix safety
In the body of `#[tokio::main]`/`#[tokio::test]`, the fix runs the whole body inside
`LocalSet::new().run_until(async move { .. }).await`: unsafe, since the body now runs as a local
future (a `return` or `?` in it returns from the async block, and type inference may need help).
Elsewhere no fix is offered.

## Known problems
A plain `async fn` may be awaited from inside a `LocalSet`, so it is not reported; only the places
above are.
"#;

static META: RuleMeta = RuleMeta {
    id: "spawn_local_outside_localset",
    summary: "`spawn_local` called outside a `LocalSet`",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

const TOKIO_PANIC: &str =
    "`spawn_local` called from outside of a `task::LocalSet` or `runtime::LocalRuntime`";

impl Rule for SpawnLocalOutsideLocalset {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        Gate::when(
            cx.model
                .called_path(node)
                .is_some_and(|(_, resolved)| &*resolved == "tokio::task::spawn_local"),
        )
    }

    /// It reports only calls of `tokio::task::spawn_local`, which a file names by that word.
    fn file_words(&self) -> &'static [&'static str] {
        &["spawn_local"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some((path, resolved)) = cx.model.called_path(node) else {
            return;
        };
        if &*resolved != "tokio::task::spawn_local" {
            return;
        }
        let Some((why, label, fix)) = outside_localset(cx, node) else {
            return;
        };
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range: path.syntax().text_range(),
            primary_label: Some("needs a `LocalSet`".to_owned()),
            labels: label.into_iter().collect(),
            notes: vec![format!("this panics at run time: \"{TOKIO_PANIC}\""), why],
            helps: vec!["run this code inside `tokio::task::LocalSet::run_until(..)`".to_owned()],
            fix,
        });
    }
}

/// Why no `LocalSet` runs at `node`, a label, and the fix when there is one.
fn outside_localset(
    cx: &RuleContext<'_>,
    node: &SyntaxNode,
) -> Option<(String, Option<Label>, Option<Fix>)> {
    if let ExecContext::Sync(SyncContext::Fn { is_main: true, .. }) = cx.model.exec_context(node) {
        return Some(("a sync `main` runs no `LocalSet`".to_owned(), None, None));
    }
    for anc in cx.model.ancestors(node).skip(1) {
        if let Some(block) = ast::BlockExpr::cast(anc.clone()).filter(|b| b.async_token().is_some())
        {
            // The future an async block becomes runs where the call it is given to runs it.
            let call = block
                .syntax()
                .parent()
                .filter(|p| p.kind() == SyntaxKind::ARG_LIST)?
                .parent()?;
            if call.kind() == SyntaxKind::METHOD_CALL_EXPR {
                // `local.run_until(..)`, `local.block_on(..)`, `local.spawn_local(..)` run it on a
                // `LocalSet`; what other methods do with a future is not known.
                return None;
            }
            let callee = ast::CallExpr::cast(call)?.expr()?;
            let ast::Expr::PathExpr(pe) = callee else {
                return None;
            };
            match cx.model.resolve_path(&pe.path()?).as_deref() {
                Some("tokio::spawn" | "tokio::task::spawn") => {
                    let label = Label {
                        range: pe.syntax().text_range(),
                        message: "runs this task on the runtime's workers".to_owned(),
                    };
                    return Some((
                        "a task started by `tokio::spawn` runs outside any `LocalSet`".to_owned(),
                        Some(label),
                        None,
                    ));
                }
                // Inside another local task: fine wherever that one is fine.
                Some("tokio::task::spawn_local") => continue,
                _ => return None,
            }
        }
        if let Some(f) = ast::Fn::cast(anc.clone()) {
            let entry = cx.model.runtime_entry(&f)?;
            if !entry.attr.starts_with("tokio::") {
                return None;
            }
            let args = f.attrs_text();
            if args.contains("\"local\"") {
                return None;
            }
            let label = Label {
                range: entry.range,
                message: "runs this body on the runtime, outside any `LocalSet`".to_owned(),
            };
            return Some((
                format!("`#[{}]` does not run a `LocalSet`", entry.attr),
                Some(label),
                wrap_body(cx, &f),
            ));
        }
        if anc.kind() == SyntaxKind::CLOSURE_EXPR {
            return None;
        }
    }
    None
}

/// Run the body of `f` inside `LocalSet::new().run_until(async move { .. }).await`.
fn wrap_body(cx: &RuleContext<'_>, f: &ast::Fn) -> Option<Fix> {
    let list = f.body()?.stmt_list()?;
    let open = list.l_curly_token()?.text_range().end();
    let close = list.r_curly_token()?.text_range().start();
    let inner = &cx.file.text()[usize::from(open)..usize::from(close)];
    let indent = "    ";
    let body: String = inner
        .trim_matches('\n')
        .lines()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                format!("{indent}{indent}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let content = format!(
        "\n{indent}tokio::task::LocalSet::new()\n{indent}{indent}.run_until(async move {{\n{body}\n{indent}{indent}}})\n{indent}{indent}.await\n"
    );
    Some(Fix::new(
        "run the body inside a `LocalSet`",
        Applicability::Unsafe,
        vec![Edit::replace(
            cx.file.path.clone(),
            TextRange::new(open, close),
            content,
        )],
    ))
}

trait AttrsText {
    fn attrs_text(&self) -> String;
}

impl AttrsText for ast::Fn {
    /// The text of the function's attributes.
    fn attrs_text(&self) -> String {
        ast::HasAttrs::attrs(self)
            .map(|a| a.syntax().text().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "spawn_local_outside_localset";

    #[test]
    fn tokio_main_body_runs_in_a_local_set() {
        let before = "#[tokio::main]\nasync fn main() {\n    tokio::task::spawn_local(async {}).await.unwrap();\n}\n";
        let after = "#[tokio::main]\nasync fn main() {\n    tokio::task::LocalSet::new()\n        .run_until(async move {\n            tokio::task::spawn_local(async {}).await.unwrap();\n        })\n        .await\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), before);
        assert_eq!(fix_text(before, &[RULE], true), after);
        assert!(check_text(after, &[RULE]).is_empty());
    }

    #[test]
    fn spawned_tasks_and_sync_main() {
        let code = "#[tokio::test]\nasync fn t() {\n    tokio::spawn(async { tokio::task::spawn_local(async {}); });\n}\nfn main() {\n    tokio::task::spawn_local(async {});\n}\n";
        assert_eq!(check_text(code, &[RULE]).len(), 2);
    }

    #[test]
    fn silent_inside_local_sets_and_in_plain_async_fns() {
        let code = "use tokio::task::{spawn_local, LocalSet};\n#[tokio::main]\nasync fn main() {\n    let local = LocalSet::new();\n    local.run_until(async { spawn_local(async {}); }).await;\n    local.spawn_local(async { spawn_local(async {}); });\n}\n#[tokio::main(flavor = \"local\")]\nasync fn other() { spawn_local(async {}); }\npub async fn library() { spawn_local(async {}); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
