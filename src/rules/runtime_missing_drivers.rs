//! `runtime_missing_drivers`: a runtime built without the timer or I/O driver its futures use.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasArgList},
};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use crate::semantic::calls::RuntimeConstruction;
use crate::semantic::flow::Destination;
use crate::semantic::graph::DriverNeeds;

pub struct RuntimeMissingDrivers;

pub const DOCS: &str = r#"## What it does
Finds a Tokio runtime built with `Builder::new_current_thread()` or `Builder::new_multi_thread()`
without `enable_all()` (or `enable_time()` / `enable_io()`) when the futures it runs use timers
(`tokio::time::sleep`, `interval`, `timeout`...) or I/O (`tokio::net`, `tokio::signal`,
`tokio::process`), directly or through the functions of the workspace they call.

## Why is this bad?
A builder enables no driver by default. The first timer or socket then panics at run time: "A
Tokio 1.x context was found, but timers are disabled. Call `enable_time` on the runtime builder to
enable timers." (or "...but IO is disabled. Call `enable_io` on the runtime builder to enable
IO.").

## Example
```rust
fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().build().unwrap();
    rt.block_on(async {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    });
}
```

## Use instead
```rust
fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    });
}
```

## Fix safety
Inserting `.enable_all()` after the builder's constructor is safe: it only starts the drivers the
code already needs (and the others compiled in, which are idle until used).

## Known problems
Only the futures passed to `block_on`/`spawn` of that runtime (bound to a variable or used
directly) are looked at; a runtime handed to other code is not followed. Uses through trait objects
or methods on receivers of unknown type are missed.
"#;

static META: RuleMeta = RuleMeta {
    id: "runtime_missing_drivers",
    summary: "runtime built without the timer or I/O driver its futures use",
    severity: Severity::Error,
    fix: FixAvailability::Always,
    docs: DOCS,
};

const TIMER_PANIC: &str = "A Tokio 1.x context was found, but timers are disabled. Call `enable_time` on the runtime builder to enable timers.";
const IO_PANIC: &str = "A Tokio 1.x context was found, but IO is disabled. Call `enable_io` on the runtime builder to enable IO.";

impl Rule for RuntimeMissingDrivers {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::METHOD_CALL_EXPR]
    }

    /// A builder that enables both drivers misses none.
    fn gate(&self, cx: &RuleContext<'_>, node: &SyntaxNode) -> Gate {
        Gate::when(
            cx.model
                .runtime_construction(node)
                .and_then(|c| c.builder_methods)
                .is_some_and(|methods| {
                    !(enables(&methods, "enable_time") && enables(&methods, "enable_io"))
                }),
        )
    }

    /// It reports only a runtime builder's `.build()`.
    fn file_words(&self) -> &'static [&'static str] {
        &["build"]
    }

    fn check(&self, cx: &RuleContext<'_>, node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
        let Some(construction) = cx.model.runtime_construction(node) else {
            return;
        };
        let Some(methods) = &construction.builder_methods else {
            return;
        };
        let has = |m: &str| enables(methods, m);
        let mut needs = DriverNeeds::default();
        let mut where_used = Vec::new();
        for future in driven_futures(cx, &construction) {
            let found = cx.model.runtime_needs(future.syntax());
            if (found.time && !has("enable_time")) || (found.io && !has("enable_io")) {
                where_used.push(future.syntax().text_range());
            }
            needs.union(found);
        }
        let missing_time = needs.time && !has("enable_time");
        let missing_io = needs.io && !has("enable_io");
        if !missing_time && !missing_io {
            return;
        }
        let mut notes = Vec::new();
        if missing_time {
            notes.push(format!("the timers panic at run time: \"{TIMER_PANIC}\""));
        }
        if missing_io {
            notes.push(format!("the I/O panics at run time: \"{IO_PANIC}\""));
        }
        let what = match (missing_time, missing_io) {
            (true, true) => "timers and I/O",
            (true, false) => "timers",
            _ => "I/O",
        };
        let labels = where_used
            .into_iter()
            .map(|range| Label {
                range,
                message: format!("this future uses {what}"),
            })
            .collect();
        out.push(Diagnostic {
            rule: META.id,
            severity: META.severity,
            message: META.summary.to_owned(),
            path: cx.file.path.clone(),
            range: construction.callee_range,
            primary_label: Some(format!("built without the {what} driver")),
            labels,
            notes,
            helps: vec!["enable the drivers with `.enable_all()` on the builder".to_owned()],
            fix: constructor_end(&construction).map(|at| {
                Fix::new(
                    "insert `.enable_all()`",
                    Applicability::Safe,
                    vec![Edit::replace(
                        cx.file.path.clone(),
                        TextRange::empty(at),
                        insertion(cx.file.text(), at),
                    )],
                )
            }),
        });
    }
}

/// Whether a builder chain's `methods` enable the driver that `enable` names (`enable_time`,
/// `enable_io`): by that method or `enable_all`; `enable_alt_timer` (tokio's unstable
/// alternative timer) enables timers too.
fn enables(methods: &[String], enable: &str) -> bool {
    methods.iter().any(|x| {
        x == enable
            || x == "enable_all"
            || (enable == "enable_time" && x.starts_with("enable_") && x.contains("time"))
    })
}

/// The futures the runtime drives: arguments of its `block_on` and `spawn` calls.
fn driven_futures(cx: &RuleContext<'_>, construction: &RuntimeConstruction) -> Vec<ast::Expr> {
    let calls: Vec<ast::MethodCallExpr> = match cx.model.destination(&construction.call) {
        Destination::Receiver { call, .. } => vec![call],
        Destination::Bound { stmt, name, .. } => cx
            .model
            .binding_uses(&stmt, &name)
            .uses
            .iter()
            .filter_map(|u| u.parent().and_then(ast::MethodCallExpr::cast))
            .collect(),
        Destination::Moved => Vec::new(),
    };
    calls
        .into_iter()
        .filter(|c| {
            c.name_ref()
                .is_some_and(|n| matches!(n.text(), "block_on" | "spawn"))
        })
        .filter_map(|c| c.arg_list()?.args().next())
        .collect()
}

/// `.enable_all()`, on a line of its own when the chain puts one call per line.
fn insertion(text: &str, at: ra_ap_syntax::TextSize) -> String {
    let rest = &text[usize::from(at)..];
    let gap = &rest[..rest.len() - rest.trim_start().len()];
    match gap.rfind('\n') {
        Some(i) if rest.trim_start().starts_with('.') => {
            format!("\n{}.enable_all()", &gap[i + 1..])
        }
        _ => ".enable_all()".to_owned(),
    }
}

/// The end of `Builder::new_*()` in the chain: where `.enable_all()` goes.
fn constructor_end(construction: &RuntimeConstruction) -> Option<ra_ap_syntax::TextSize> {
    let mut current = ast::MethodCallExpr::cast(construction.call.clone())?.receiver();
    while let Some(expr) = current {
        current = match expr {
            ast::Expr::MethodCallExpr(mc) => mc.receiver(),
            ast::Expr::ParenExpr(p) => p.expr(),
            ast::Expr::CallExpr(call) => return Some(call.syntax().text_range().end()),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::analysis::{check_text, fix_text};

    const RULE: &str = "runtime_missing_drivers";

    #[test]
    fn timers_in_the_future_get_enable_all() {
        let before = "fn main() {\n    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();\n    rt.block_on(async { tokio::time::sleep(d()).await });\n}\n";
        let after = "fn main() {\n    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();\n    rt.block_on(async { tokio::time::sleep(d()).await });\n}\n";
        assert_eq!(fix_text(before, &[RULE], false), after);
    }

    #[test]
    fn io_through_a_workspace_function_and_an_inline_runtime() {
        let code = "use tokio::net::TcpListener;\nasync fn serve() { let l = TcpListener::bind(\"127.0.0.1:0\").await; }\nasync fn run() { serve().await }\nfn main() {\n    tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap().block_on(run());\n}\n";
        let found = check_text(code, &[RULE]);
        assert_eq!(found.len(), 1);
        assert!(found[0].notes[0].contains("IO is disabled"));
        assert!(
            fix_text(code, &[RULE], false)
                .contains("new_multi_thread().enable_all().worker_threads(2)")
        );
    }

    #[test]
    fn futures_and_timers_inside_macro_arguments() {
        let code = "fn main() {\n    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();\n    println!(\"{:?}\", rt.block_on(async { tokio::join!(tokio::time::sleep(d())) }));\n}\n";
        assert_eq!(check_text(code, &[RULE]).len(), 1);
    }

    #[test]
    fn silent_when_enabled_unneeded_or_not_a_builder() {
        let code = "use tokio::runtime::{Builder, Runtime};\nfn a() { let rt = Builder::new_current_thread().enable_all().build().unwrap(); rt.block_on(async { tokio::time::sleep(d()).await }); }\nfn b() { let rt = Builder::new_current_thread().enable_time().build().unwrap(); rt.block_on(async { tokio::time::sleep(d()).await }); }\nfn b2() { let rt = Builder::new_multi_thread().enable_alt_timer().build().unwrap(); rt.block_on(async { tokio::time::sleep(d()).await }); }\nfn c() { let rt = Builder::new_current_thread().build().unwrap(); rt.block_on(async { compute() }); }\nfn e() { let rt = Runtime::new().unwrap(); rt.block_on(async { tokio::time::sleep(d()).await }); }\nfn f() { let rt = Builder::new_current_thread().build().unwrap(); let later = || tokio::time::sleep(d()); rt.block_on(async {}); }\n";
        assert_eq!(check_text(code, &[RULE]), vec![]);
    }
}
