//! Calls that block the thread they run on, and their async twins: `std::thread::sleep`, `std`
//! file, socket, process and channel I/O, thread joins and barriers, Tokio's own `blocking_*`
//! APIs, and the functions a package lists as blocking in its configuration.

use ra_ap_syntax::{
    AstNode, SyntaxNode,
    ast::{self, HasName},
};

use super::FileModel;
use super::context::ends_with_path;
use super::values::{Binding, strip_unwrap};

/// What a blocking call becomes in async code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Twin {
    /// `std::thread::sleep(d)` -> the runtime's sleep, awaited.
    Sleep,
    /// `std::fs::read(p)` -> `tokio::fs::read(p).await`.
    TokioFs(&'static str),
    /// `m.blocking_lock()` -> `m.lock().await`. `certain`: the receiver is known to be Tokio's.
    AwaitMethod { method: &'static str, certain: bool },
    /// `rx.blocking_recv()` on a oneshot receiver -> `rx.await`.
    AwaitItself,
    /// No direct twin: the call can move to a blocking thread.
    None,
}

#[derive(Clone, Debug)]
pub struct BlockingCall {
    /// What is called, for messages: `std::thread::sleep`, `tokio::sync::Mutex::blocking_lock`.
    pub api: String,
    pub twin: Twin,
    /// Tokio's `blocking_*` APIs panic when called on a runtime thread.
    pub panics: bool,
}

/// `std::fs` functions whose `tokio::fs` twin takes the same arguments and returns the same value.
pub(crate) const TOKIO_FS: &[&str] = &[
    "read",
    "read_to_string",
    "write",
    "copy",
    "create_dir",
    "create_dir_all",
    "remove_file",
    "remove_dir",
    "remove_dir_all",
    "rename",
    "metadata",
    "symlink_metadata",
    "canonicalize",
    "hard_link",
    "read_link",
    "set_permissions",
];

/// Tokio's blocking methods and their async names.
pub(crate) const TOKIO_BLOCKING: &[(&str, &str)] = &[
    ("blocking_lock", "lock"),
    ("blocking_lock_owned", "lock_owned"),
    ("blocking_read", "read"),
    ("blocking_write", "write"),
    ("blocking_send", "send"),
    ("blocking_recv", "recv"),
    ("blocking_recv_many", "recv_many"),
    ("blocking_acquire", "acquire"),
    ("blocking_acquire_many", "acquire_many"),
    ("blocking_acquire_owned", "acquire_owned"),
    ("blocking_acquire_many_owned", "acquire_many_owned"),
];

/// Blocking methods of `std` types, by the type's path.
pub(crate) const STD_METHODS: &[(&str, &[&str])] = &[
    ("std::sync::mpsc::Receiver", &["recv", "recv_timeout"]),
    ("std::sync::mpsc::SyncSender", &["send"]),
    ("std::thread::JoinHandle", &["join"]),
    ("std::sync::Barrier", &["wait"]),
    (
        "std::sync::Condvar",
        &["wait", "wait_while", "wait_timeout", "wait_timeout_while"],
    ),
    ("std::process::Command", &["output", "status"]),
    ("std::process::Child", &["wait", "wait_with_output"]),
    ("std::io::Stdin", &["read_line", "read_to_string", "lines"]),
    ("std::net::TcpListener", &["accept", "incoming"]),
    (
        "std::net::UdpSocket",
        &["recv", "recv_from", "send", "send_to", "peek", "peek_from"],
    ),
];

impl FileModel<'_> {
    /// When the call `node` blocks the thread it runs on: what it is and its async twin.
    pub fn blocking_call(&self, node: &SyntaxNode) -> Option<BlockingCall> {
        self.memo
            .blocking_call
            .call(node, || self.find_blocking_call(node))
    }

    fn find_blocking_call(&self, node: &SyntaxNode) -> Option<BlockingCall> {
        if let Some((path, resolved)) = self.called_path(node) {
            return self.blocking_function(&path, &resolved);
        }
        if let Some(call) = ast::CallExpr::cast(node.clone()) {
            // A configured blocking function of the workspace (not resolved to a dependency).
            if self.imports.blocking().is_empty() {
                return None;
            }
            let ast::Expr::PathExpr(pe) = call.expr()? else {
                return None;
            };
            let written = pe.path()?.syntax().text().to_string();
            return self.configured_blocking(&written).then_some(BlockingCall {
                api: written,
                twin: Twin::None,
                panics: false,
            });
        }
        self.blocking_method(&ast::MethodCallExpr::cast(node.clone())?)
    }

    fn configured_blocking(&self, path: &str) -> bool {
        self.imports
            .blocking()
            .iter()
            .any(|b| ends_with_path(path, b))
    }

    fn blocking_function(&self, path: &ast::Path, resolved: &str) -> Option<BlockingCall> {
        let call = |twin| {
            Some(BlockingCall {
                api: resolved.to_owned(),
                twin,
                panics: false,
            })
        };
        if resolved == "std::thread::sleep" {
            return call(Twin::Sleep);
        }
        if let Some(function) = resolved.strip_prefix("std::fs::") {
            if let Some(twin) = TOKIO_FS.iter().find(|f| **f == function) {
                return call(Twin::TokioFs(twin));
            }
            if function == "exists" {
                return call(Twin::TokioFs("try_exists"));
            }
            // `File::open`, `read_dir`...: their Tokio twins have other APIs.
            return matches!(
                function,
                "read_dir" | "File::open" | "File::create" | "File::create_new"
            )
            .then_some(BlockingCall {
                api: resolved.to_owned(),
                twin: Twin::None,
                panics: false,
            });
        }
        if matches!(
            resolved,
            "std::net::TcpStream::connect" | "std::net::TcpStream::connect_timeout"
        ) {
            return call(Twin::None);
        }
        if self.imports.blocking().is_empty() {
            return None;
        }
        let written = path.syntax().text().to_string();
        (self.configured_blocking(resolved) || self.configured_blocking(&written)).then(|| {
            BlockingCall {
                api: resolved.to_owned(),
                twin: Twin::None,
                panics: false,
            }
        })
    }

    fn blocking_method(&self, mc: &ast::MethodCallExpr) -> Option<BlockingCall> {
        let name = mc.name_ref()?;
        let method = name.text();
        let tokio = TOKIO_BLOCKING.iter().find(|(b, _)| *b == method);
        // Most methods block on no type: their receiver's type is not worked out.
        if tokio.is_none()
            && !STD_METHODS
                .iter()
                .any(|(_, methods)| methods.contains(&method))
        {
            return None;
        }
        let receiver = mc.receiver()?;
        let ty = self.value_type(&receiver);
        if let Some((_, twin)) = tokio {
            let certain = ty
                .as_deref()
                .is_some_and(|t| t.starts_with("tokio::sync::"));
            // On a type known to be someone else's (a dependency's, or the workspace's own), or
            // in code that does not use Tokio: not Tokio's.
            let other_type = ty.is_some() || self.receiver_type(&receiver).is_some();
            if !certain && (other_type || self.crate_name("tokio").is_none()) {
                return None;
            }
            let oneshot = ty.as_deref() == Some("tokio::sync::oneshot::Receiver");
            return Some(BlockingCall {
                api: format!("{}::{method}", ty.as_deref().unwrap_or("tokio::sync")),
                twin: if oneshot {
                    Twin::AwaitItself
                } else {
                    Twin::AwaitMethod {
                        method: twin,
                        certain,
                    }
                },
                panics: true,
            });
        }
        let ty = ty?;
        STD_METHODS
            .iter()
            .any(|(t, methods)| *t == ty && methods.contains(&method))
            .then_some(BlockingCall {
                api: format!("{ty}::{method}"),
                twin: Twin::None,
                panics: false,
            })
    }

    /// The resolved type of `expr` when the code makes it evident: a declared or constructed
    /// value, an end of a channel (`let (tx, rx) = mpsc::channel();`), a thread's handle, a
    /// builder chain (`Command::new(..).arg(..)`), `std::io::stdin()`.
    pub fn value_type(&self, expr: &ast::Expr) -> Option<String> {
        self.value_type_at(expr, 0)
    }

    /// [`Self::value_type`], at most `MAX_CHAIN` steps deep: a generated chain of 20,000 calls
    /// must cost neither the stack nor quadratic time.
    fn value_type_at(&self, expr: &ast::Expr, depth: usize) -> Option<String> {
        const MAX_CHAIN: usize = 32;
        if depth > MAX_CHAIN {
            return None;
        }
        match expr {
            ast::Expr::MethodCallExpr(mc) => {
                // `Command::new("ls").arg("-l")`: builder methods keep the type.
                let inner = self.value_type_at(&mc.receiver()?, depth + 1)?;
                let method = mc.name_ref()?;
                let keeps = inner == "std::process::Command"
                    && matches!(
                        method.text(),
                        "arg"
                            | "args"
                            | "env"
                            | "envs"
                            | "current_dir"
                            | "stdin"
                            | "stdout"
                            | "stderr"
                    );
                let lock = inner == "std::io::Stdin" && method.text() == "lock";
                (keeps || lock).then_some(inner)
            }
            ast::Expr::CallExpr(call) => {
                let (_, resolved) = self.called_path(call.syntax())?;
                match &*resolved {
                    "std::io::stdin" => Some("std::io::Stdin".to_owned()),
                    "std::thread::spawn" => Some("std::thread::JoinHandle".to_owned()),
                    "std::process::Command::new" => Some("std::process::Command".to_owned()),
                    "std::net::UdpSocket::bind" => Some("std::net::UdpSocket".to_owned()),
                    "std::net::TcpListener::bind" => Some("std::net::TcpListener".to_owned()),
                    _ => {
                        let segments = self.receiver_type(expr)?;
                        self.imports
                            .resolve(&segments, expr.syntax().text_range().start(), false)
                    }
                }
            }
            ast::Expr::PathExpr(pe) => {
                let name = pe.path()?.as_single_name_ref()?;
                if let Some(Binding::Let(l) | Binding::Destructured(l)) =
                    self.binding(pe.syntax(), name.text().as_ref())
                    && l.ty().is_none()
                {
                    let init = l.initializer()?;
                    return match l.pat()? {
                        ast::Pat::TuplePat(t) => {
                            let index = t.fields().position(|f| {
                                matches!(&f, ast::Pat::IdentPat(i)
                                    if i.name().is_some_and(|n| n.text() == name.text()))
                            })?;
                            channel_end(self, &init, index)
                        }
                        ast::Pat::IdentPat(_) => self.value_type_at(&strip_unwrap(init), depth + 1),
                        _ => None,
                    };
                }
                let segments = self.receiver_type(expr)?;
                self.imports
                    .resolve(&segments, expr.syntax().text_range().start(), false)
            }
            ast::Expr::RefExpr(r) => self.value_type_at(&r.expr()?, depth + 1),
            ast::Expr::ParenExpr(p) => self.value_type_at(&p.expr()?, depth + 1),
            _ => {
                let segments = self.receiver_type(expr)?;
                self.imports
                    .resolve(&segments, expr.syntax().text_range().start(), false)
            }
        }
    }
}

/// The type of element `index` of the pair a channel constructor returns.
fn channel_end(model: &FileModel<'_>, init: &ast::Expr, index: usize) -> Option<String> {
    let (_, resolved) = model.called_path(init.syntax())?;
    let (sender, receiver) = match &*resolved {
        "std::sync::mpsc::channel" => ("std::sync::mpsc::Sender", "std::sync::mpsc::Receiver"),
        "std::sync::mpsc::sync_channel" => {
            ("std::sync::mpsc::SyncSender", "std::sync::mpsc::Receiver")
        }
        "tokio::sync::mpsc::channel" => {
            ("tokio::sync::mpsc::Sender", "tokio::sync::mpsc::Receiver")
        }
        "tokio::sync::mpsc::unbounded_channel" => (
            "tokio::sync::mpsc::UnboundedSender",
            "tokio::sync::mpsc::UnboundedReceiver",
        ),
        "tokio::sync::oneshot::channel" => (
            "tokio::sync::oneshot::Sender",
            "tokio::sync::oneshot::Receiver",
        ),
        "tokio::sync::broadcast::channel" => (
            "tokio::sync::broadcast::Sender",
            "tokio::sync::broadcast::Receiver",
        ),
        _ => return None,
    };
    match index {
        0 => Some(sender.to_owned()),
        1 => Some(receiver.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use ra_ap_syntax::{AstNode, Edition, SourceFile, ast};

    use crate::semantic::{FileModel, Imports, MacroBodies};

    /// The type `value_type` gives each method call's receiver.
    fn receiver_types(text: &str) -> Vec<String> {
        let tree = SourceFile::parse(text, Edition::Edition2024).tree();
        let imports = Imports::new(&tree, FileModel::default_externs());
        let macros = MacroBodies::build(&tree, text, Edition::Edition2024);
        let model = FileModel::local(&tree, &imports, &macros, 0);
        tree.syntax()
            .descendants()
            .filter_map(ast::MethodCallExpr::cast)
            .map(|mc| {
                let r = mc.receiver().unwrap();
                format!("{} {:?}", r.syntax(), model.value_type(&r))
            })
            .collect()
    }

    #[test]
    fn channel_ends_threads_and_builders() {
        let text = "fn f() {\n    let (tx, mut rx) = tokio::sync::mpsc::channel(1);\n    tx.a();\n    rx.b();\n    let (s, r) = std::sync::mpsc::channel::<u8>();\n    r.c();\n    let h = std::thread::spawn(|| 1);\n    h.d();\n    std::process::Command::new(\"ls\").arg(\"x\").e();\n    std::io::stdin().f();\n}\n";
        assert_eq!(
            receiver_types(text),
            [
                "tx Some(\"tokio::sync::mpsc::Sender\")",
                "rx Some(\"tokio::sync::mpsc::Receiver\")",
                "r Some(\"std::sync::mpsc::Receiver\")",
                "h Some(\"std::thread::JoinHandle\")",
                "std::process::Command::new(\"ls\").arg(\"x\") Some(\"std::process::Command\")",
                "std::process::Command::new(\"ls\") Some(\"std::process::Command\")",
                "std::io::stdin() Some(\"std::io::Stdin\")",
            ]
        );
    }
}
