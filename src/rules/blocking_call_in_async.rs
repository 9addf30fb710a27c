//! `blocking_call_in_async`: a call that blocks the thread (sleep, `std` I/O, joins, Tokio's
//! `blocking_*` APIs) made on an async task.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasArgList},
};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::semantic::ExecContext;
use crate::semantic::blocking::{BlockingCall, Twin};

pub struct BlockingCallInAsync;

pub const DOCS: &str = r#"## What it does
Finds calls that block the thread made in async code, directly or through sync helpers that async
code calls (the note shows the chain): `std::thread::sleep`; `std::fs` functions and `File::open`;
`std::net::TcpStream::connect`, `TcpListener::accept`; `std::io::stdin().read_line(..)`;
`std::process::Command::output`/`status`, `Child::wait`; `std::sync::mpsc::Receiver::recv`,
`JoinHandle::join`, `Barrier::wait`, `Condvar::wait`, `UdpSocket::recv_from`...; and Tokio's own
`blocking_lock`, `blocking_recv`, `blocking_send`, `blocking_read`, `blocking_write` and
`Semaphore::blocking_acquire*`. Code in `spawn_blocking`,
`block_in_place`, `std::thread::spawn` (and the `off-thread` APIs of the configuration) is fine.
More blocking functions can be listed with `blocking = [..]` in `[package.metadata.loopfix]` or
`[workspace.metadata.loopfix]`.

## Why is this bad?
An executor runs many tasks on a few threads. A blocking call holds its thread until it returns:
every other task on that thread stalls (timers fire late, requests queue up), and on a
current-thread runtime everything stops. Tokio's `blocking_*` APIs panic instead: "Cannot block
the current thread from within a runtime. This happens because a function attempted to block the
current thread while the thread is being used to drive asynchronous tasks."

## Example
```rust
async fn poll_status() {
    std::thread::sleep(std::time::Duration::from_millis(100));
}
```

## Use instead
```rust
async fn poll_status() {
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
}
```

## Fix safety
Only directly in async code (not through a helper, not in a sync closure):
- `std::thread::sleep(d);` becomes `tokio::time::sleep(d).await;` (async-std's `task::sleep`,
  smol's `Timer::after` when the package uses those instead), enabling Tokio's `time` feature in
  `Cargo.toml` when it is missing: safe where the code is known to run only on Tokio runtimes
  (`#[tokio::main]`, `#[tokio::test]`, `block_on` on a Tokio runtime), unsafe elsewhere (a
  library's async fn, code another executor may drive: Tokio's sleep panics there).
- Tokio's `m.blocking_lock()` becomes `m.lock().await` (and so on): safe when the value is known to
  be Tokio's (`tokio::sync` type, channel end), unsafe when only the method name says so. A
  oneshot receiver's `rx.blocking_recv()` becomes `rx.await`.
- `std::fs::read(p)` (and the other `std::fs` functions with a same-signature twin) becomes
  `tokio::fs::read(p).await`, enabling the `fs` feature (async-std: `async_std::fs::read`): unsafe (the file is then read on a
  blocking thread, and errors surface at the same place but later).
- Any other blocking statement that uses no variable bound before it moves into
  `tokio::task::spawn_blocking(move || ..).await.unwrap()` (async-std's `spawn_blocking`, smol's
  `unblock`): unsafe.

## Known problems
Methods on values whose type is not evident (a struct field, a function's return value) are not
seen. `std::fs::File` reads and writes (`file.read_to_end(..)`) are not followed, only the open.
"#;

static META: RuleMeta = RuleMeta {
    id: "blocking_call_in_async",
    summary: "call that blocks the thread made in async code",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

const TOKIO_PANIC: &str = "Cannot block the current thread from within a runtime. This happens because a function \
     attempted to block the current thread while the thread is being used to drive asynchronous tasks.";

impl Rule for BlockingCallInAsync {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::CALL_EXPR, SyntaxKind::METHOD_CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        if cx.model.blocking_call(node).is_none() {
            return Gate::No;
        }
        common::runs_on_the_task_gate(cx, node)
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some(blocking) = cx.model.blocking_call(node) else {
            return;
        };
        let Some((labels, chain_note)) = common::runs_on_the_task(cx, node, &blocking.api) else {
            return;
        };
        let range = callee_range(node);
        let mut notes = Vec::new();
        if blocking.panics {
            notes.push(format!("this panics at run time: \"{TOKIO_PANIC}\""));
        } else {
            notes.push(
                "it holds the executor's thread until it returns: every other task on that thread stalls"
                    .to_owned(),
            );
        }
        notes.extend(chain_note);
        let severity = if blocking.panics {
            Severity::Error
        } else {
            META.severity
        };
        out.push(Diagnostic {
            rule: META.id,
            severity,
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range,
            primary_label: Some(format!("`{}` blocks", blocking.api)),
            labels,
            notes,
            helps: vec![help(&blocking)],
            fix: fix(cx, node, &blocking),
        });
    }
}

/// The callee's name, or path: where to point.
fn callee_range(node: &SyntaxNode) -> TextRange {
    if let Some(mc) = ast::MethodCallExpr::cast(node.clone())
        && let Some(name) = mc.name_ref()
    {
        return name.syntax().text_range();
    }
    ast::CallExpr::cast(node.clone())
        .and_then(|c| c.expr())
        .map_or(node.text_range(), |e| e.syntax().text_range())
}

fn help(blocking: &BlockingCall) -> String {
    match &blocking.twin {
        Twin::Sleep => {
            "use the runtime's sleep and `.await` it: `tokio::time::sleep(d).await`".to_owned()
        }
        Twin::TokioFs(f) => {
            format!("use `tokio::fs::{f}(..).await`, or move the work to `spawn_blocking`")
        }
        Twin::AwaitMethod { method, .. } => format!("`.await` the async twin: `.{method}().await`"),
        Twin::AwaitItself => "`.await` the receiver itself".to_owned(),
        Twin::None => {
            "move the blocking work to `tokio::task::spawn_blocking(move || ..).await`".to_owned()
        }
    }
}

fn fix(cx: &RuleContext<'_>, node: &SyntaxNode, blocking: &BlockingCall) -> Option<Fix> {
    let ExecContext::Async(context) = cx.model.exec_context(node) else {
        return None;
    };
    if context.through_closure {
        return None;
    }
    let path = cx.file.path.clone();
    let graph = cx.model.graph();
    let file = cx.model.file_id();
    let manifest = graph.manifests[file].clone();
    // A Tokio feature the fix needs: enabled in the manifest when it is known to be missing.
    let with_tokio_feature = |fix: Fix, feature: &str| match (
        graph.dependency_feature(file, "tokio", feature),
        manifest.clone(),
    ) {
        (Some(false), Some(manifest)) => fix.with_feature(manifest, "tokio", feature),
        _ => fix,
    };
    match &blocking.twin {
        Twin::Sleep => {
            let call = ast::CallExpr::cast(node.clone())?;
            // As a statement: the runtimes' sleeps return different values.
            if node.parent()?.kind() != SyntaxKind::EXPR_STMT {
                return None;
            }
            let args = call.arg_list()?.syntax().text().to_string();
            let (sleep, feature) = if let Some(tokio) = cx.model.crate_name("tokio") {
                (format!("{tokio}::time::sleep{args}.await"), Some("time"))
            } else if let Some(async_std) = cx.model.crate_name("async_std") {
                (format!("{async_std}::task::sleep{args}.await"), None)
            } else if let Some(smol) = cx.model.crate_name("smol") {
                (format!("{smol}::Timer::after{args}.await"), None)
            } else {
                return None;
            };
            // Tokio's sleep needs a Tokio runtime (with its timer): safe where every runtime that
            // runs this code is known to be Tokio's entry or `block_on`; unsafe in a library or
            // where another executor may drive it.
            let certain = feature.is_none() || on_tokio(cx, node);
            let fix = Fix::new(
                "sleep without blocking the thread",
                if certain {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                },
                vec![Edit::replace(path, node.text_range(), sleep)],
            );
            Some(match feature {
                Some(f) => with_tokio_feature(fix, f),
                None => fix,
            })
        }
        Twin::TokioFs(function) => {
            let call = ast::CallExpr::cast(node.clone())?;
            let callee = call.expr()?.syntax().text_range();
            let (module, feature) = if let Some(tokio) = cx.model.crate_name("tokio") {
                (format!("{tokio}::fs"), Some("fs"))
            } else if let Some(async_std) = cx.model.crate_name("async_std")
                && *function != "try_exists"
            {
                (format!("{async_std}::fs"), None)
            } else {
                return None;
            };
            let fix = Fix::new(
                format!("use `{module}::{function}` and `.await` it"),
                Applicability::Unsafe,
                vec![
                    Edit::replace(path.clone(), callee, format!("{module}::{function}")),
                    Edit::insert(path, node.text_range().end(), ".await"),
                ],
            );
            Some(match feature {
                Some(f) => with_tokio_feature(fix, f),
                None => fix,
            })
        }
        Twin::AwaitMethod { method, certain } => {
            let mc = ast::MethodCallExpr::cast(node.clone())?;
            let name = mc.name_ref()?;
            Some(Fix::new(
                format!("`.await` `{method}` instead"),
                if *certain {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                },
                vec![
                    Edit::replace(path.clone(), name.syntax().text_range(), *method),
                    Edit::insert(path, node.text_range().end(), ".await"),
                ],
            ))
        }
        Twin::AwaitItself => {
            let mc = ast::MethodCallExpr::cast(node.clone())?;
            let receiver_end = mc.receiver()?.syntax().text_range().end();
            Some(Fix::new(
                "`.await` the receiver",
                Applicability::Safe,
                vec![Edit::replace(
                    path,
                    TextRange::new(receiver_end, node.text_range().end()),
                    ".await",
                )],
            ))
        }
        Twin::None => {
            common::spawn_blocking_statement(cx, node, "run the blocking call in `spawn_blocking`")
        }
    }
}

/// Whether the code at `node` runs only on Tokio runtimes (`#[tokio::main]`, `#[tokio::test]`,
/// actix's, `block_on` on a Tokio runtime), and at least one.
fn on_tokio(cx: &RuleContext<'_>, node: &SyntaxNode) -> bool {
    let Some(f) = cx.model.enclosing_fn(node) else {
        return false;
    };
    let runtimes = cx.model.graph().runtimes_reaching(f, node.text_range());
    !runtimes.is_empty() && runtimes.iter().all(|r| r.tokio)
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "blocking_call_in_async";

    #[test]
    fn sleep_becomes_the_runtime_sleep() {
        let before = "use tokio as _;\nasync fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n#[tokio::main]\nasync fn main() {\n    f().await;\n}\n";
        let after = "use tokio as _;\nasync fn f() {\n    tokio::time::sleep(std::time::Duration::from_millis(5)).await;\n}\n#[tokio::main]\nasync fn main() {\n    f().await;\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), after);
        // A library's async fn, or one another executor drives: Tokio's sleep may panic there.
        for code in [
            "use tokio as _;\npub async fn f() {\n    std::thread::sleep(D);\n}\n",
            "use tokio as _;\nasync fn f() {\n    std::thread::sleep(D);\n}\nfn main() {\n    futures::executor::block_on(f());\n}\n",
            "use tokio as _;\nasync fn f() {\n    std::thread::sleep(D);\n}\n#[tokio::main]\nasync fn main() {\n    f().await;\n}\nfn other() {\n    futures::executor::block_on(f());\n}\n",
        ] {
            assert_eq!(fix_text(code, &[RULE], false), code);
            assert!(fix_text(code, &[RULE], true).contains("tokio::time::sleep(D).await;"));
        }
    }

    #[test]
    fn tokio_blocking_apis_get_their_await_twin() {
        let before = "use std::sync::Arc;\nasync fn f(m: Arc<tokio::sync::Mutex<u8>>) {\n    let (tx, mut rx) = tokio::sync::mpsc::channel(1);\n    tx.blocking_send(1).unwrap();\n    let v = rx.blocking_recv();\n    let (otx, orx) = tokio::sync::oneshot::channel::<u8>();\n    let w = orx.blocking_recv();\n    *m.blocking_lock() += 1;\n}\n";
        let after = "use std::sync::Arc;\nasync fn f(m: Arc<tokio::sync::Mutex<u8>>) {\n    let (tx, mut rx) = tokio::sync::mpsc::channel(1);\n    tx.send(1).await.unwrap();\n    let v = rx.recv().await;\n    let (otx, orx) = tokio::sync::oneshot::channel::<u8>();\n    let w = orx.await;\n    *m.lock().await += 1;\n}\n";
        let found = check_text(before, &[RULE]);
        assert_eq!(found.len(), 4);
        assert!(found[0].notes[0].contains("Cannot block the current thread"));
        assert_eq!(fix_text(before, &[RULE], false), after);
    }

    #[test]
    fn std_io_through_a_helper_and_the_fs_twin() {
        let code = "fn load() -> String { std::fs::read_to_string(\"cfg\").unwrap() }\nasync fn a() { load(); }\nasync fn b() { let (tx, rx) = std::sync::mpsc::channel::<u8>(); rx.recv().unwrap(); let h = std::thread::spawn(|| 1); h.join().unwrap(); let out = std::process::Command::new(\"ls\").arg(\"-l\").output(); let sock = std::net::UdpSocket::bind(\"0.0.0.0:0\")?; sock.recv_from(&mut buf); }\n";
        let found = check_text(code, &[RULE]);
        let apis: Vec<_> = found
            .iter()
            .map(|d| d.primary_label.clone().unwrap())
            .collect();
        assert_eq!(
            apis,
            [
                "`std::fs::read_to_string` blocks",
                "`std::sync::mpsc::Receiver::recv` blocks",
                "`std::thread::JoinHandle::join` blocks",
                "`std::process::Command::output` blocks",
                "`std::net::UdpSocket::recv_from` blocks"
            ]
        );
        let before = "use tokio as _;\nasync fn c() -> String {\n    std::fs::read_to_string(\"cfg\").unwrap()\n}\n";
        let after = "use tokio as _;\nasync fn c() -> String {\n    tokio::fs::read_to_string(\"cfg\").await.unwrap()\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), before);
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn silent_off_the_task_in_sync_code_and_for_async_twins() {
        let code = "use tokio as _;\nfn main() { std::thread::sleep(D); let s = std::fs::read_to_string(\"x\"); }\nasync fn a() {\n    tokio::task::spawn_blocking(|| std::thread::sleep(D)).await.unwrap();\n    tokio::time::sleep(D).await;\n    let m = tokio::sync::Mutex::new(0);\n    let g = m.lock().await;\n    let (tx, rx) = tokio::sync::mpsc::channel::<u8>(1);\n    std::thread::spawn(move || rx.blocking_recv());\n    let q = crossbeam::channel::unbounded::<u8>();\n}\nstruct Own;\nimpl Own { fn blocking_lock(&self) {} }\nasync fn b(o: Own) { o.blocking_lock(); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
