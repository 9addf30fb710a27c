//! `runtime_per_call`: a runtime built and dropped by a function that runs many times.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize, ast};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::calls::RuntimeConstruction;
use crate::semantic::flow::Destination;
use crate::semantic::{ExecContext, SyncContext};
use crate::workspace::Kind;

pub struct RuntimePerCall;

pub const DOCS: &str = r#"## What it does
Finds a Tokio runtime (`Runtime::new()`, `Builder::new_*()...build()`) that a sync function builds
and drops on every run, when that function runs many times: it is called from two or more places
in the workspace, the runtime is built inside a loop, or the binary builds another runtime too
(`#[tokio::main]` counts). Functions that async code calls are left
to `runtime_dropped_in_async`, since there the runtime panics first. A runtime that is returned or stored (the
"bridging with sync code" pattern keeps one in a struct) is not reported, nor one in `main`.

## Why is this bad?
Each runtime starts its own threads and drivers, and dropping it cancels every task spawned on it
and closes every connection made on it. Work handed to a background task (a connection pool's
dispatcher, a channel's worker, an HTTP client's connection task) dies with the runtime of the call
that started it, and the next call fails: hyper/reqwest report "dispatch task is gone: runtime
dropped the dispatch task", channels return `SendError`, pools time out.

## Example
```rust
fn fetch(n: u32) -> u32 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move { n * 2 })
}

fn main() {
    println!("{}", fetch(1) + fetch(2));
}
```

## Use instead
```rust
static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> =
    std::sync::LazyLock::new(|| tokio::runtime::Runtime::new().unwrap());

fn fetch(n: u32) -> u32 {
    let rt = &*RUNTIME;
    rt.block_on(async move { n * 2 })
}

fn main() {
    println!("{}", fetch(1) + fetch(2));
}
```

## Fix safety
The fix ("unify runtimes") declares one `static RUNTIME: LazyLock<Runtime>` in the file, built by
the first construction's own code (or reuses a runtime static the file already has), and makes
every per-call construction use it. It is unsafe: a static runtime is never dropped, so its tasks
get no graceful shutdown at exit; tasks that used to be cancelled at the end of each call now keep
running; constructions with different builder settings now share the first one's settings; and a
`?` on the construction becomes `.expect(..)`. Prefer a runtime owned by `main` or by a struct
where the code allows it.

Tests are left alone: a runtime per test (or per iteration of a stress test) isolates them. Code
of test and bench targets, `#[cfg(test)]` modules and `#[test]` functions is not reported.

## Known problems
Only constructions in the same function as their drop are reported, and the shared runtime is
declared in the file of the construction: constructions in several files get one static each.
"#;

static META: RuleMeta = RuleMeta {
    id: "runtime_per_call",
    summary: "runtime built and dropped on every call",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

impl Rule for RuntimePerCall {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::METHOD_CALL_EXPR, SyntaxKind::CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        Gate::when(
            cx.model.runtime_construction(node).is_some()
                && matches!(
                    cx.model.exec_context(node),
                    ExecContext::Sync(SyncContext::Fn { is_main: false, .. })
                )
                && !in_test_code(cx, node),
        )
    }

    /// It reports only runtimes built here: `Runtime::new()` or a builder's `.build()`.
    fn file_words(&self) -> &'static [&'static str] {
        &["Runtime", "build"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some(construction) = cx.model.runtime_construction(node) else {
            return;
        };
        let ExecContext::Sync(SyncContext::Fn {
            is_main: false,
            name,
            ..
        }) = cx.model.exec_context(node)
        else {
            return;
        };
        // Tests build a runtime per test on purpose (it isolates them): not reported there.
        if in_test_code(cx, node) {
            return;
        }
        // Reached from async code, this runtime panics first: `runtime_dropped_in_async` and
        // `nested_block_on` report it, and their fixes remove it.
        if cx.model.async_chain(node).is_some() {
            return;
        }
        let Some(value) = dropped_value(cx, &construction) else {
            return;
        };
        let graph = cx.model.graph();
        let in_loop = cx
            .model
            .ancestors(node)
            .skip(1)
            .take_while(|a| a.kind() != SyntaxKind::FN)
            .find(|a| {
                matches!(
                    a.kind(),
                    SyntaxKind::LOOP_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::FOR_EXPR
                )
            });
        let calls: Vec<_> = cx
            .model
            .enclosing_fn(node)
            .map(|f| graph.callers_of(f).collect())
            .unwrap_or_default();
        let (why, labels) = match (&in_loop, calls.len()) {
            (Some(l), _) => (
                "a new runtime is built and dropped on every iteration".to_owned(),
                vec![Label {
                    range: loop_keyword(l),
                    message: "this loop builds a runtime each time".to_owned(),
                }],
            ),
            (None, n) if n >= 2 => {
                let places: Vec<String> = calls.iter().map(|e| graph.location(e.caller)).collect();
                (
                    format!(
                        "`{name}` is called from {n} places ({}): each call builds and drops its own runtime",
                        places.join(", ")
                    ),
                    Vec::new(),
                )
            }
            _ => {
                // One more: this binary builds other runtimes too.
                let runtimes = graph.runtimes_in_binaries_of(cx.model.file_id());
                if runtimes < 2 {
                    return;
                }
                (
                    format!(
                        "this binary builds {runtimes} runtimes (counting `#[tokio::main]`); one is enough"
                    ),
                    Vec::new(),
                )
            }
        };
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range: construction.callee_range,
            primary_label: Some("a runtime is built here and dropped when the call returns".to_owned()),
            labels,
            notes: vec![
                why,
                "tasks spawned on it are cancelled and connections made on it close when it is dropped; the next \
                 call fails (e.g. \"dispatch task is gone: runtime dropped the dispatch task\")"
                    .to_owned(),
            ],
            helps: vec!["build one runtime and share it: own it in `main` or a struct, or keep it in a static".to_owned()],
            fix: unify(cx, &construction, &value),
        });
    }
}

/// The runtime value of the construction when it is dropped in its function: the whole
/// initializer of its `let`, or the temporary receiver (`Runtime::new().unwrap()`).
struct DroppedValue {
    /// The expression to replace.
    expr: SyntaxNode,
    /// `true` for `let rt = <expr>;` (replaced by `&*RUNTIME`), `false` for a temporary receiver
    /// (replaced by `RUNTIME`).
    bound: bool,
    /// The construction used `?`.
    fallible: bool,
}

fn dropped_value(cx: &RuleContext<'_>, construction: &RuntimeConstruction) -> Option<DroppedValue> {
    match cx.model.destination(&construction.call) {
        Destination::Bound {
            stmt,
            name,
            fallible,
        } => {
            let uses = cx.model.binding_uses(&stmt, &name);
            if uses.moved || uses.shut_down || uses.dropped_explicitly {
                return None;
            }
            Some(DroppedValue {
                expr: stmt.initializer()?.syntax().clone(),
                bound: true,
                fallible,
            })
        }
        Destination::Receiver { call, .. } => {
            let receiver = call.receiver()?;
            Some(DroppedValue {
                expr: receiver.syntax().clone(),
                bound: false,
                fallible: false,
            })
        }
        Destination::Moved => None,
    }
}

/// Code of a test or bench target, of a `#[cfg(test)]` module, or of a `#[test]` function.
fn in_test_code(cx: &RuleContext<'_>, node: &SyntaxNode) -> bool {
    let test_target = !cx.file.owners.is_empty()
        && cx
            .file
            .owners
            .iter()
            .all(|o| matches!(o.kind, Kind::Test | Kind::Bench));
    test_target
        || cx.model.ancestors(node).any(|a| {
            let attrs: Vec<String> = match a.kind() {
                SyntaxKind::MODULE | SyntaxKind::FN => ast::AnyHasAttrs::cast(a.clone())
                    .map(|h| {
                        ast::HasAttrs::attrs(&h)
                            .map(|x| x.syntax().text().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => return false,
            };
            attrs
                .iter()
                .any(|t| t.replace(' ', "") == "#[cfg(test)]" || t.replace(' ', "") == "#[test]")
        })
}

fn loop_keyword(node: &SyntaxNode) -> TextRange {
    node.first_token()
        .map_or(node.text_range(), |t| t.text_range())
}

/// "Unify runtimes": one `static RUNTIME: LazyLock<Runtime>` in the file, used by every
/// per-call construction.
fn unify(
    cx: &RuleContext<'_>,
    construction: &RuntimeConstruction,
    value: &DroppedValue,
) -> Option<Fix> {
    let graph = cx.model.graph();
    let file = cx.model.file_id();
    let existing = graph
        .statics
        .iter()
        .find(|s| s.file == file && s.holds.as_deref() == Some("tokio::runtime::Runtime"))
        .map(|s| s.name.clone());
    let name = existing.clone().unwrap_or_else(|| "RUNTIME".to_owned());
    // When the file's runtimes are built differently, the shared one is the most capable: a
    // multi-thread runtime with every driver (`Runtime::new()`).
    let settings = |c: &RuntimeConstruction| c.builder_methods.clone().unwrap_or_default();
    let differ = cx
        .model
        .all_nodes()
        .filter_map(|(n, _)| cx.model.runtime_construction(&n))
        .any(|other| settings(&other) != settings(construction));
    let mut edits = Vec::new();
    if existing.is_none() {
        if cx.model.items_by_name().contains_key(&name) {
            return None;
        }
        let tokio = cx.model.crate_name("tokio")?;
        let mut init = value.expr.text().to_string();
        if differ {
            init = format!(
                "{tokio}::runtime::Runtime::new().expect(\"failed to build the Tokio runtime\")"
            );
        } else if value.fallible || !value.bound {
            // `let rt = Runtime::new()?;` has the `?` outside the initializer: add the unwrap.
            let built = construction.call.text().to_string();
            if !init.contains(".unwrap()") && !init.contains(".expect(") {
                init = format!("{built}.expect(\"failed to build the Tokio runtime\")");
            }
        }
        let declaration = format!(
            "static {name}: std::sync::LazyLock<{tokio}::runtime::Runtime> =\n    std::sync::LazyLock::new(|| {init});\n"
        );
        let at = static_position(cx);
        let text = if at == TextSize::from(0) {
            format!("{declaration}\n")
        } else {
            format!("\n{declaration}")
        };
        edits.push(Edit::replace(
            cx.file.path.clone(),
            TextRange::empty(at),
            text,
        ));
    }
    let replacement = if value.bound {
        format!("&*{name}")
    } else {
        name.clone()
    };
    let mut range = value.expr.text_range();
    if value.fallible {
        // Take the `?` that followed the construction along.
        let end = usize::from(range.end());
        if cx.file.text()[end..].starts_with('?') {
            range = TextRange::new(range.start(), range.end() + TextSize::from(1));
        }
    }
    edits.push(Edit::replace(cx.file.path.clone(), range, replacement));
    let mut message = format!("share one runtime: `static {name}: LazyLock<Runtime>`");
    if differ {
        message.push_str(
            " (the runtimes here are built with different settings: the shared one is a multi-thread \
             runtime with every driver)",
        );
    }
    Some(Fix::new(message, Applicability::Unsafe, edits))
}

/// After the file's last top-level `use`, else at its start.
fn static_position(cx: &RuleContext<'_>) -> TextSize {
    cx.model
        .root()
        .children()
        .filter(|n| n.kind() == SyntaxKind::USE)
        .last()
        .map_or(TextSize::from(0), |u| {
            let end = usize::from(u.text_range().end());
            let line_end = cx.file.text()[end..]
                .find('\n')
                .map_or(cx.file.text().len(), |i| end + i + 1);
            TextSize::from(line_end as u32)
        })
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "runtime_per_call";

    #[test]
    fn a_helper_called_twice_shares_one_runtime() {
        let before = "use tokio::runtime::Runtime;\n\nfn fetch(n: u32) -> u32 {\n    let rt = Runtime::new().unwrap();\n    rt.block_on(async move { n })\n}\n\nfn main() {\n    fetch(1);\n    fetch(2);\n}\n";
        let after = "use tokio::runtime::Runtime;\n\nstatic RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> =\n    std::sync::LazyLock::new(|| Runtime::new().unwrap());\n\nfn fetch(n: u32) -> u32 {\n    let rt = &*RUNTIME;\n    rt.block_on(async move { n })\n}\n\nfn main() {\n    fetch(1);\n    fetch(2);\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), before, "unsafe");
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn loops_temporaries_and_an_existing_static() {
        let code = "static RT: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| tokio::runtime::Runtime::new().unwrap());\nfn each(xs: &[u32]) {\n    for x in xs {\n        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {});\n    }\n}\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 1);
        assert!(fix_text(code, &[RULE], true).contains("        RT.block_on(async {});\n"));
    }

    #[test]
    fn a_second_runtime_in_a_binary() {
        let code = "#[tokio::main]\nasync fn main() {\n    tokio::task::spawn_blocking(report).await.unwrap();\n}\nfn report() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    rt.block_on(async {});\n}\n";
        // Outside a package, files belong to no binary: nothing is counted.
        assert!(check_text(code, &[RULE]).is_empty());
    }

    #[test]
    fn silent_in_tests() {
        let code = "fn run_test() { tokio::runtime::Runtime::new().unwrap().block_on(async {}); }\n#[test]\nfn a() { run_test(); }\n#[test]\nfn b() { run_test(); for _ in 0..3 { tokio::runtime::Runtime::new().unwrap().block_on(async {}); } }\n#[cfg(test)]\nmod tests {\n    fn helper() { tokio::runtime::Runtime::new().unwrap().block_on(async {}); }\n    fn x() { helper(); }\n    fn y() { helper(); }\n}\n";
        // `run_test` itself is not test code, and two tests call it: still reported.
        assert_eq!(check_text(code, &[RULE]).len(), 1);
    }

    #[test]
    fn silent_for_main_single_callers_stored_and_async_code() {
        let code = "use tokio::runtime::Runtime;\nfn main() { let rt = Runtime::new().unwrap(); rt.block_on(async {}); once(); }\nfn once() { let rt = Runtime::new().unwrap(); rt.block_on(async {}); }\nstruct Client { rt: Runtime }\nfn make() -> Client { Client { rt: Runtime::new().unwrap() } }\nfn a() -> Client { make() }\nfn b() -> Client { make() }\nfn keep() -> Runtime { Runtime::new().unwrap() }\nfn c() { keep(); }\nfn d() { keep(); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
