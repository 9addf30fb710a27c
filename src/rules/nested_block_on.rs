//! `nested_block_on`: blocking on a future from code that is itself running on an executor.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasArgList},
};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta, common};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::semantic::calls::BlockOnForm;
use crate::semantic::{
    AsyncContext, BlockOn, ChainStep, Effect, ExecContext, Executor, SyncContext,
};

pub struct NestedBlockOn;

pub const DOCS: &str = r#"## What it does
Finds `block_on` called directly inside async code: an `async fn`, an `async` block or closure,
or the body of `#[tokio::main]`/`#[tokio::test]`, including inside macro arguments such as
`assert_eq!(rt.block_on(f()), 1)`. It knows Tokio's `Runtime::block_on`,
`Handle::block_on` (including `Handle::current().block_on(..)`) and `LocalSet::block_on`,
`futures::executor::block_on`, `async_std::task::block_on`, `smol::block_on`
(`futures_lite::future::block_on`), `pollster::block_on` and `tokio_test::block_on`, however they
are imported or renamed. A method that is merely named `block_on` on a type of your own is not
reported.

It also finds `block_on` in a sync function that async code calls, directly or through other
sync functions, in any file or member crate of the workspace; the note shows the call chain, e.g.
`handler` (async fn, server/src/main.rs:7) -> `load_config` (store/src/lib.rs:8) -> `block_on`.
Calls made inside `spawn_blocking`, `block_in_place` or `std::thread::spawn` closures do not count:
blocking is allowed there.

## Why is this bad?
The thread running async code belongs to the executor. Blocking it to drive another future:
- with Tokio, panics at run time: "Cannot start a runtime from within a runtime. This happens
  because a function (like `block_on`) attempted to block the current thread while the thread is
  being used to drive asynchronous tasks. If you are in an async function, use `.await` on the
  future instead of blocking on it.";
- with the other executors, stalls every task on that thread, and deadlocks when the future
  needs one of them (on a current-thread runtime, anything that does I/O or uses a timer).

## Example
```rust
#[tokio::main]
async fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = rt.block_on(fetch());
}
async fn fetch() -> String { String::new() }
```

## Use instead
```rust
#[tokio::main]
async fn main() {
    let body = fetch().await;
}
async fn fetch() -> String { String::new() }
```

## Fix safety
`X.block_on(fut)` becomes `fut.await` (and `local.block_on(&rt, fut)` becomes
`local.run_until(fut).await`). The fix is safe when evaluating `X` has no effect beyond building a
runtime: a variable, a field, `Handle::current()`, `Runtime::new().unwrap()`, a `Builder` chain.
It is unsafe when `X` calls other code (that call is removed) or when the removed text holds a
comment. No fix is offered when the call sits in a closure that runs on the async task (such as
`iter.map(|x| rt.block_on(..))`), since `.await` cannot be written there.

For `block_on` in a sync helper that async code calls, when its result is unused and the future
owns what it uses (`rt.block_on(async move { .. });`), the fix spawns it on the runtime the async
caller runs (`tokio::spawn(fut);`): unsafe, since the helper no longer waits for it. Otherwise the
fix makes the helper `async` (and the
sync functions between it and the async code), adds `.await` at every call of them in the
workspace (a multi-file edit), and turns the `block_on` into `.await`. It is unsafe: signatures
change, and callers outside the workspace need `.await` too. It is not offered, and the note says
why, when a caller cannot `.await` (sync code that async code does not reach, a closure), when a
function is `const`, `extern` or a trait method, or when the functions call each other recursively.
Then, for a Tokio `block_on` reached from a multi-thread runtime (`#[tokio::main]`, or a test with
`flavor = "multi_thread"`), the last rung is `block_in_place(|| Handle::current().block_on(fut))`:
unsafe, since it panics on every current-thread runtime (the default `#[tokio::test]`, actix
workers) and can hang at shutdown (tokio-rs/tokio#6463).

Findings inside `#[should_panic]` tests are not reported (for any rule): the panic is what those
tests check.

## Known problems
Inside `tokio::select!` arms, a fix is offered only where the arm reads as plain expressions;
calls in macros other than the usual expression macros (`assert*!`, `println!`/`format!`/`write!`,
`vec!`, `dbg!`, `join!`/`try_join!`/`select!`/`pin!`, logging macros) are not seen. Calls through
trait objects, function pointers and methods on receivers of unknown type are not followed, so
some chains are missed. Only the first chain found decides whether the runtime is multi-thread. If a runtime is built inside the async code, dropping it there panics
too ("Cannot drop a runtime in a context where blocking is not allowed"): the fix removes the
`block_on`, not the runtime.
"#;

static META: RuleMeta = RuleMeta {
    id: "nested_block_on",
    summary: "`block_on` called inside an async context",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

const TOKIO_PANIC: &str = "Cannot start a runtime from within a runtime. This happens because a function (like `block_on`) attempted to block the current thread while the thread is being used to drive asynchronous tasks. If you are in an async function, use `.await` on the future instead of blocking on it.";

impl Rule for NestedBlockOn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::METHOD_CALL_EXPR, SyntaxKind::CALL_EXPR]
    }

    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        if cx.model.block_on(node).is_none() {
            return Gate::No;
        }
        common::runs_on_the_task_gate(cx, node)
    }

    /// It reports only `block_on` calls (every executor names it so; a renaming import names it too).
    fn file_words(&self) -> &'static [&'static str] {
        &["block_on"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some(call) = cx.model.block_on(node) else {
            return;
        };
        match cx.model.exec_context(node) {
            ExecContext::Async(context) => out.push(diagnostic(cx, &call, &context)),
            // A sync function's own body: it blocks whatever thread calls it.
            ExecContext::Sync(SyncContext::Fn { .. }) => {
                if let Some(chain) = cx.model.async_chain(node) {
                    out.push(through_calls(cx, &call, &chain));
                }
            }
            ExecContext::Sync(_) => {}
        }
    }
}

fn diagnostic(cx: &RuleContext<'_>, call: &BlockOn, context: &AsyncContext) -> Diagnostic {
    let context_label = common::async_context_label(context);
    let notes = vec![note(call.executor)];
    let mut helps = Vec::new();
    let fix = if context.through_closure {
        helps.push(
            "this closure runs on the async task, where `.await` cannot be written: move the call out of \
             the closure and `.await` it, or run the closure with `tokio::task::spawn_blocking`"
                .to_owned(),
        );
        None
    } else {
        helps.push("`.await` the future instead of blocking on it".to_owned());
        Some(fix(cx, call))
    };
    Diagnostic {
        labels: vec![context_label],
        notes,
        helps,
        fix,
        ..report(cx, call, "blocks the thread that is driving this future")
    }
}

/// The finding at `call`, without labels, notes or fix yet.
fn report(cx: &RuleContext<'_>, call: &BlockOn, label: &str) -> Diagnostic {
    Diagnostic {
        rule: META.id,
        severity: META.severity,
        message: META.summary.to_owned(),
        path: cx.file.path.clone(),
        range: call.callee_range,
        primary_label: Some(label.to_owned()),
        labels: Vec::new(),
        notes: Vec::new(),
        helps: Vec::new(),
        fix: None,
    }
}

/// The inter-procedural form: `block_on` in a sync function that async code calls.
fn through_calls(cx: &RuleContext<'_>, call: &BlockOn, chain: &[ChainStep]) -> Diagnostic {
    let graph = cx.model.graph();
    let helper = &graph.fns[chain
        .last()
        .expect("a chain ends with the function itself")
        .function];
    let (labels, chain_note) = common::chain_labels(cx, chain, "block_on");
    let mut notes = vec![chain_note, note(call.executor)];
    // The ladder: a result nobody uses can be spawned; otherwise the helpers become async.
    let fix = match spawn_instead(cx, call, chain)
        .ok_or(())
        .or_else(|()| make_helpers_async(cx, call, chain))
    {
        Ok(fix) => Some(fix),
        Err(why) => match block_in_place(cx, call, chain) {
            Some(fix) => {
                notes.push(format!("the helpers cannot become async: {why}"));
                Some(fix)
            }
            None => {
                notes.push(format!("no automatic fix: {why}"));
                None
            }
        },
    };
    Diagnostic {
        labels,
        notes,
        fix,
        helps: vec![format!(
            "make `{}` async and `.await` the future, or call it from async code through \
             `tokio::task::spawn_blocking`",
            helper.display()
        )],
        ..report(
            cx,
            call,
            "blocks the thread that is driving the async caller",
        )
    }
}

/// The last rung: `tokio::task::block_in_place(|| Handle::current().block_on(fut))`, only when the
/// async code that reaches the helper runs on a multi-thread runtime (`#[tokio::main]`, or a test
/// with `flavor = "multi_thread"`); on a current-thread runtime it would panic.
fn block_in_place(cx: &RuleContext<'_>, call: &BlockOn, chain: &[ChainStep]) -> Option<Fix> {
    let graph = cx.model.graph();
    let origin = &graph.fns[chain.first()?.function];
    let entry = origin.entry.as_ref()?;
    if !entry.attr.starts_with("tokio::") || entry.flavor != crate::semantic::Flavor::MultiThread {
        return None;
    }
    if !call.executor.panics_inside_tokio()
        || !matches!(call.form, BlockOnForm::Method { ref extra_args, .. } if extra_args.is_empty())
    {
        return None;
    }
    let tokio = cx.model.crate_name("tokio")?;
    let content = format!(
        "{tokio}::task::block_in_place(|| {tokio}::runtime::Handle::current().block_on({}))",
        call.future.syntax().text()
    );
    Some(Fix::new(
        "block in place on the multi-thread runtime (`block_in_place`)",
        Applicability::Unsafe,
        vec![Edit::replace(
            cx.file.path.clone(),
            call.call.text_range(),
            content,
        )],
    ))
}

/// "Replace nested `block_on` with spawn": `rt.block_on(fut);` whose result is unused becomes
/// `tokio::spawn(fut);` on the runtime the async caller already runs. Only for futures that own
/// what they use (`async move { .. }`, or a call without borrowed arguments), since a spawned
/// future must be `'static`; and only when every caller runs on the async runtime.
fn spawn_instead(cx: &RuleContext<'_>, call: &BlockOn, chain: &[ChainStep]) -> Option<Fix> {
    // Every caller must run on the runtime (or `tokio::spawn` would panic): the same condition as
    // for making the helpers async.
    let helper = chain.last()?.function;
    cx.model.graph().make_async(helper).ok()?;
    let stmt = call.call.parent().and_then(ast::ExprStmt::cast)?;
    stmt.semicolon_token()?;
    let tokio = cx.model.crate_name("tokio")?;
    let owns_its_data = match &call.future {
        ast::Expr::BlockExpr(b) => b.async_token().is_some() && b.move_token().is_some(),
        ast::Expr::CallExpr(c) => c
            .arg_list()
            .is_some_and(|l| l.args().all(|a| !matches!(a, ast::Expr::RefExpr(_)))),
        _ => false,
    };
    if !owns_its_data
        || !matches!(
            call.form,
            BlockOnForm::Method { .. } | BlockOnForm::Function
        )
    {
        return None;
    }
    if matches!(&call.form, BlockOnForm::Method { extra_args, .. } if !extra_args.is_empty()) {
        return None;
    }
    let content = format!("{tokio}::spawn({})", call.future.syntax().text());
    Some(Fix::new(
        "spawn the future on the current runtime instead of blocking on it",
        Applicability::Unsafe,
        vec![Edit::replace(
            cx.file.path.clone(),
            call.call.text_range(),
            content,
        )],
    ))
}

/// The fix of the inter-procedural form: the helper (and the sync functions between it and async
/// code) become `async fn`, every call of them is awaited, and the `block_on` becomes `.await`.
fn make_helpers_async(
    cx: &RuleContext<'_>,
    call: &BlockOn,
    chain: &[ChainStep],
) -> Result<Fix, String> {
    let graph = cx.model.graph();
    let helper = chain
        .last()
        .expect("a chain ends with the function itself")
        .function;
    let in_closure = cx
        .model
        .ancestors(&call.call)
        .skip(1)
        .take_while(|a| a.kind() != SyntaxKind::FN)
        .any(|a| a.kind() == SyntaxKind::CLOSURE_EXPR);
    if in_closure {
        return Err(
            "the `block_on` is inside a closure, where `.await` cannot be written".to_owned(),
        );
    }
    let plan = graph.make_async(helper)?;
    let (range, content) = match &call.form {
        BlockOnForm::Method { extra_args, .. } if !extra_args.is_empty() => {
            let tail = call.method_tail.unwrap_or(call.call.text_range());
            (
                tail,
                format!("run_until({}).await", call.future.syntax().text()),
            )
        }
        BlockOnForm::FutureMethod => (
            call.method_tail.unwrap_or(call.call.text_range()),
            "await".to_owned(),
        ),
        _ => (call.call.text_range(), awaited(call)),
    };
    let mut edits = vec![Edit::replace(cx.file.path.clone(), range, content)];
    for &f in &plan.functions {
        let info = &graph.fns[f];
        let at = info.async_insert.expect("make_async checked it");
        edits.push(Edit::replace(
            graph.paths[info.file].clone(),
            ra_ap_syntax::TextRange::empty(at),
            "async ",
        ));
    }
    for &(file, end) in &plan.awaits {
        edits.push(Edit::replace(
            graph.paths[file].clone(),
            ra_ap_syntax::TextRange::empty(end),
            ".await",
        ));
    }
    let names: Vec<String> = plan
        .functions
        .iter()
        .map(|&f| format!("`{}`", graph.fns[f].display()))
        .collect();
    Ok(Fix::new(
        format!(
            "make {} async and `.await` {} call(s)",
            names.join(", "),
            plan.awaits.len()
        ),
        Applicability::Unsafe,
        edits,
    ))
}

fn note(executor: Executor) -> String {
    if executor.panics_inside_tokio() {
        return format!("this panics at run time: \"{TOKIO_PANIC}\"");
    }
    let name = match executor {
        Executor::Futures => "futures::executor::block_on",
        Executor::AsyncStd => "async_std::task::block_on",
        Executor::FuturesLite => "futures_lite::future::block_on",
        _ => "pollster::block_on",
    };
    let mut text = format!(
        "`{name}` blocks the executor's thread until the future completes: every other task on that \
         thread stalls, and if the future needs one of them (on a current-thread runtime: any I/O or \
         timer) it never completes"
    );
    if executor == Executor::Futures {
        text.push_str(
            "; inside another `futures` executor it panics: \"cannot execute `LocalPool` executor from \
             within another executor\"",
        );
    }
    text
}

fn fix(cx: &RuleContext<'_>, call: &BlockOn) -> Fix {
    let path = cx.file.path.clone();
    let call_range = call.call.text_range();
    let future_range = call.future.syntax().text_range();
    let mut applicability = Applicability::Safe;
    let (range, content, message) = match &call.form {
        BlockOnForm::Method {
            receiver_effect,
            extra_args,
            ..
        } if !extra_args.is_empty() => {
            // `local.block_on(&rt, fut)` is `rt.block_on(local.run_until(fut))`.
            let effects = extra_args
                .iter()
                .map(crate::semantic::values::simple_effect);
            if effects
                .chain([*receiver_effect])
                .any(|e| e == Effect::Other)
            {
                applicability = Applicability::Unsafe;
            }
            let tail = call.method_tail.unwrap_or(call_range);
            let content = format!("run_until({}).await", call.future.syntax().text());
            (
                tail,
                content,
                "replace `local.block_on(&rt, fut)` with `local.run_until(fut).await`".to_owned(),
            )
        }
        BlockOnForm::Method {
            receiver,
            receiver_effect,
            ..
        } => {
            if *receiver_effect == Effect::Other {
                applicability = Applicability::Unsafe;
            }
            let receiver = receiver.syntax().text().to_string();
            let message = if receiver.len() <= 40 && !receiver.contains('\n') {
                format!("replace `{receiver}.block_on(fut)` with `fut.await`")
            } else {
                "replace `rt.block_on(fut)` with `fut.await`".to_owned()
            };
            (call_range, awaited(call), message)
        }
        BlockOnForm::Function => (
            call_range,
            awaited(call),
            "replace `block_on(fut)` with `fut.await`".to_owned(),
        ),
        BlockOnForm::FutureMethod => {
            let tail = call.method_tail.unwrap_or(call_range);
            (
                tail,
                "await".to_owned(),
                "replace `fut.block_on()` with `fut.await`".to_owned(),
            )
        }
    };
    if common::has_comment_outside(&call.call, range, future_range) {
        applicability = Applicability::Unsafe;
    }
    let message = match applicability {
        Applicability::Unsafe
            if matches!(
                call.form,
                BlockOnForm::Method {
                    receiver_effect: Effect::Other,
                    ..
                }
            ) =>
        {
            format!("{message} (removes the call that produces the runtime)")
        }
        _ => message,
    };
    Fix::new(
        message,
        applicability,
        vec![Edit::replace(path, range, content)],
    )
}

/// `fut.await`, parenthesized where `.await` would bind to part of the expression.
fn awaited(call: &BlockOn) -> String {
    let future = &call.future;
    let text = future.syntax().text().to_string();
    let needs_parens = match future {
        ast::Expr::PathExpr(_)
        | ast::Expr::CallExpr(_)
        | ast::Expr::MethodCallExpr(_)
        | ast::Expr::FieldExpr(_)
        | ast::Expr::ParenExpr(_)
        | ast::Expr::MacroExpr(_)
        | ast::Expr::AwaitExpr(_)
        | ast::Expr::TryExpr(_)
        | ast::Expr::IndexExpr(_)
        | ast::Expr::TupleExpr(_) => false,
        // rustc, syn and rust-analyzer all accept `async { .. }.await;` as a statement.
        ast::Expr::BlockExpr(_) => false,
        _ => true,
    };
    if needs_parens {
        format!("({text}).await")
    } else {
        format!("{text}.await")
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "nested_block_on";

    #[track_caller]
    fn check_fix(before: &str, after: &str) {
        assert_eq!(fix_text(before, &[RULE], false), after);
    }

    #[track_caller]
    fn check_no_fix(before: &str) {
        assert_eq!(
            check_text(before, &[RULE]).len(),
            1,
            "expected one finding in:\n{before}"
        );
        assert_eq!(fix_text(before, &[RULE], true), before);
    }

    #[track_caller]
    fn check_silent(code: &str) {
        let found = check_text(code, &[RULE]);
        assert!(
            found.is_empty(),
            "expected no finding, got {found:?} in:\n{code}"
        );
    }

    #[test]
    fn runtime_local_in_tokio_main() {
        check_fix(
            "#[tokio::main]\nasync fn main() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    let x = rt.block_on(work());\n}\n",
            "#[tokio::main]\nasync fn main() {\n    let rt = tokio::runtime::Runtime::new().unwrap();\n    let x = work().await;\n}\n",
        );
    }

    #[test]
    fn renamed_import_and_builder_chain() {
        check_fix(
            "use tokio::runtime::{Builder as B, Runtime as Rt};\nasync fn f() {\n    let a = Rt::new().unwrap().block_on(g());\n    let b = B::new_current_thread().enable_all().build().unwrap().block_on(g());\n}\n",
            "use tokio::runtime::{Builder as B, Runtime as Rt};\nasync fn f() {\n    let a = g().await;\n    let b = g().await;\n}\n",
        );
    }

    #[test]
    fn handle_current_in_async_block() {
        check_fix(
            "use tokio::runtime::Handle;\nfn f() {\n    let fut = async move { Handle::current().block_on(g()) };\n}\n",
            "use tokio::runtime::Handle;\nfn f() {\n    let fut = async move { g().await };\n}\n",
        );
    }

    #[test]
    fn free_functions_of_other_executors() {
        check_fix(
            "use futures::executor::block_on as bo;\nasync fn f() {\n    bo(a());\n    async_std::task::block_on(b());\n    smol::block_on(c());\n    pollster::block_on(d());\n}\n",
            "use futures::executor::block_on as bo;\nasync fn f() {\n    a().await;\n    b().await;\n    c().await;\n    d().await;\n}\n",
        );
    }

    #[test]
    fn pollster_extension_trait() {
        check_fix(
            "use pollster::FutureExt as _;\nasync fn f() {\n    let v = g().block_on();\n}\n",
            "use pollster::FutureExt as _;\nasync fn f() {\n    let v = g().await;\n}\n",
        );
    }

    #[test]
    fn local_set_becomes_run_until() {
        check_fix(
            "use tokio::task::LocalSet;\nasync fn f(rt: &tokio::runtime::Runtime) {\n    let local = LocalSet::new();\n    local.block_on(rt, g());\n}\n",
            "use tokio::task::LocalSet;\nasync fn f(rt: &tokio::runtime::Runtime) {\n    let local = LocalSet::new();\n    local.run_until(g()).await;\n}\n",
        );
    }

    #[test]
    fn block_future_at_statement_start() {
        check_fix(
            "async fn f(rt: tokio::runtime::Runtime) {\n    rt.block_on(async { g().await });\n}\n",
            "async fn f(rt: tokio::runtime::Runtime) {\n    async { g().await }.await;\n}\n",
        );
    }

    #[test]
    fn field_and_static_receivers() {
        check_fix(
            "use tokio::runtime::Runtime;\nstatic RT: std::sync::LazyLock<Runtime> = std::sync::LazyLock::new(|| Runtime::new().unwrap());\nstruct S { rt: Runtime }\nimpl S {\n    async fn f(&self) {\n        self.rt.block_on(g());\n        RT.block_on(g());\n    }\n}\n",
            "use tokio::runtime::Runtime;\nstatic RT: std::sync::LazyLock<Runtime> = std::sync::LazyLock::new(|| Runtime::new().unwrap());\nstruct S { rt: Runtime }\nimpl S {\n    async fn f(&self) {\n        g().await;\n        g().await;\n    }\n}\n",
        );
    }

    #[test]
    fn receiver_with_side_effects_is_unsafe() {
        let code = "use tokio::runtime::Handle;\nfn make() -> Handle { Handle::current() }\nasync fn f() {\n    let h: Handle = make();\n    h.block_on(g());\n    let rt = tokio::runtime::Builder::new_current_thread().thread_name(name()).build().unwrap();\n    rt.block_on(g());\n}\n";
        // `h` and `rt` are variables: reading them has no effect, so both fixes are safe.
        assert_eq!(fix_text(code, &[RULE], false).matches(".await").count(), 2);
        let direct = "async fn f() {\n    tokio::runtime::Builder::new_current_thread().thread_name(name()).build().unwrap().block_on(g());\n}\n";
        assert_eq!(
            fix_text(direct, &[RULE], false),
            direct,
            "the builder calls `name()`: unsafe"
        );
        assert_eq!(
            fix_text(direct, &[RULE], true),
            "async fn f() {\n    g().await;\n}\n"
        );
    }

    #[test]
    fn comment_in_removed_text_makes_fix_unsafe() {
        let code = "async fn f(rt: tokio::runtime::Runtime) {\n    rt // the shared runtime\n        .block_on(g());\n}\n";
        assert_eq!(fix_text(code, &[RULE], false), code);
        assert_eq!(check_text(code, &[RULE]).len(), 1);
    }

    #[test]
    fn sync_closure_on_the_task_is_reported_without_fix() {
        check_no_fix(
            "async fn f(rt: &tokio::runtime::Runtime, xs: Vec<u32>) {\n    let v: Vec<u32> = xs.into_iter().map(|x| rt.block_on(g(x))).collect();\n}\n",
        );
    }

    #[test]
    fn helpers_between_async_code_and_block_on_become_async() {
        let before = "fn read() -> u32 {\n    futures::executor::block_on(async { 1 })\n}\nfn load() -> u32 {\n    read() * 2\n}\nasync fn handler() -> u32 {\n    load()\n}\n";
        let after = "async fn read() -> u32 {\n    async { 1 }.await\n}\nasync fn load() -> u32 {\n    read().await * 2\n}\nasync fn handler() -> u32 {\n    load().await\n}\n";
        assert_eq!(
            fix_text(before, &[RULE], false),
            before,
            "unsafe: signatures change"
        );
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn unused_results_of_owning_futures_are_spawned() {
        let before = "fn log(line: String) {\n    let rt = tokio::runtime::Handle::current();\n    rt.block_on(async move { write(line).await });\n}\nasync fn handler() {\n    log(String::new());\n}\n";
        let after = "fn log(line: String) {\n    let rt = tokio::runtime::Handle::current();\n    tokio::spawn(async move { write(line).await });\n}\nasync fn handler() {\n    log(String::new());\n}\n";
        assert_eq!(fix_text(before, &[RULE], true), after);
    }

    #[test]
    fn block_in_place_is_the_last_rung_on_multi_thread_runtimes() {
        let code = "use tokio::runtime::Handle;\nfn read() -> u32 {\n    Handle::current().block_on(async { 1 })\n}\nfn sync_cb(f: fn() -> u32) -> u32 { f() }\n#[tokio::main]\nasync fn main() {\n    read();\n    let xs: Vec<u32> = vec![1].into_iter().map(|_| read()).collect();\n}\n";
        let fixed = fix_text(code, &[RULE], true);
        assert!(fixed.contains("tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(async { 1 }))"), "{fixed}");
        let current = code.replace(
            "#[tokio::main]",
            "#[tokio::main(flavor = \"current_thread\")]",
        );
        assert_eq!(fix_text(&current, &[RULE], true), current);
    }

    #[test]
    fn no_helper_fix_when_a_caller_cannot_await() {
        let code = "fn read() -> u32 {\n    futures::executor::block_on(async { 1 })\n}\nasync fn handler() -> u32 {\n    read()\n}\nfn main() {\n    read();\n}\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 1);
        assert!(found[0].fix.is_none());
        assert!(found[0].notes.iter().any(|n| {
            n.contains("`main` (lib.rs:7) calls `read` where `.await` cannot be written")
        }));
        let recursive = "fn read(n: u32) -> u32 {\n    if n == 0 { futures::executor::block_on(async { 1 }) } else { read(n - 1) }\n}\nasync fn handler() -> u32 {\n    read(3)\n}\n";
        assert!(
            check_text(recursive, &[RULE])[0]
                .notes
                .iter()
                .any(|n| n.contains("recursive"))
        );
    }

    #[test]
    fn silent_in_sync_code_and_off_thread_closures() {
        check_silent(
            "use tokio::runtime::{Handle, Runtime};\nfn main() {\n    let rt = Runtime::new().unwrap();\n    rt.block_on(work());\n}\nasync fn f(rt: std::sync::Arc<Runtime>) {\n    let h = Handle::current();\n    tokio::task::spawn_blocking(move || h.block_on(work()));\n    std::thread::spawn(move || futures::executor::block_on(work()));\n    tokio::task::block_in_place(|| Handle::current().block_on(work()));\n    std::thread::Builder::new().spawn(move || rt.block_on(work()));\n}\n",
        );
    }

    #[test]
    fn silent_for_user_types_and_unknown_receivers() {
        check_silent(
            "struct Pool;\nimpl Pool { fn block_on<F>(&self, f: F) {} }\nasync fn f(pool: Pool, other: Thing) {\n    pool.block_on(work());\n    other.block_on(work());\n    block_on(work());\n    executor::block_on(work());\n    g().block_on();\n}\nfn block_on<F>(f: F) {}\n",
        );
    }

    #[test]
    fn silent_for_local_module_shadowing_a_crate() {
        check_silent(
            "mod futures { pub mod executor { pub fn block_on<F>(f: F) {} } }\nasync fn f() {\n    futures::executor::block_on(work());\n}\n",
        );
    }

    #[test]
    fn silent_in_comments_strings_and_nested_sync_fns() {
        check_silent(
            "async fn f() {\n    // rt.block_on(work());\n    let s = \"futures::executor::block_on(work())\";\n    fn inner() { futures::executor::block_on(work()); }\n}\n",
        );
    }
}
