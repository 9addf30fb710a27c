//! Which values are clients: types whose connections live on the runtime that made them, the
//! calls that build a client with a connection pool, and blocking clients. Built-in lists,
//! extended per package by `clients = [..]` in `[package.metadata.loopfix]` or
//! `[workspace.metadata.loopfix]`.

use ra_ap_syntax::{
    AstNode, SyntaxNode,
    ast::{self, HasArgList},
};

use super::context::ends_with_path;
use super::{FileModel, imports};

/// Types whose values belong to the runtime that created them, by crate-rooted path.
pub(crate) const RUNTIME_BOUND: &[&str] = &[
    "reqwest::Client",
    "hyper_util::client::legacy::Client",
    // hyper 0.14
    "hyper::Client",
    "hyper::client::Client",
    "hyper::client::conn::http1::SendRequest",
    "hyper::client::conn::http2::SendRequest",
    "tonic::transport::Channel",
    "sqlx::Pool",
    "sqlx::PgPool",
    "sqlx::MySqlPool",
    "sqlx::SqlitePool",
    "sqlx::postgres::PgPool",
    "redis::aio::MultiplexedConnection",
    "redis::aio::ConnectionManager",
    "mongodb::Client",
    "deadpool_postgres::Pool",
    "deadpool_redis::Pool",
    "deadpool::managed::Pool",
    "bb8::Pool",
    // Exporters and processors that send from a task or a channel on the runtime.
    "opentelemetry_otlp::SpanExporter",
    "opentelemetry_otlp::MetricExporter",
    "opentelemetry_otlp::LogExporter",
    "opentelemetry_sdk::trace::SdkTracerProvider",
    "opentelemetry_sdk::trace::BatchSpanProcessor",
    "opentelemetry_sdk::logs::SdkLoggerProvider",
    "opentelemetry_sdk::logs::BatchLogProcessor",
    "opentelemetry_sdk::metrics::SdkMeterProvider",
    "opentelemetry_sdk::metrics::PeriodicReader",
    // I/O objects registered with the runtime's driver.
    "tokio::net::TcpStream",
    "tokio::net::TcpListener",
    "tokio::net::UdpSocket",
    "tokio::net::UnixStream",
    "tokio::net::UnixListener",
];

/// Calls that build a client with a connection pool (or start a builder chain of one).
pub(crate) const POOLED_CONSTRUCTORS: &[&str] = &[
    "reqwest::Client::new",
    "reqwest::Client::builder",
    "reqwest::ClientBuilder::new",
    "hyper_util::client::legacy::Client::builder",
    "redis::Client::open",
    "mongodb::Client::with_uri_str",
    "mongodb::Client::with_options",
    "sqlx::PgPool::connect",
    "sqlx::MySqlPool::connect",
    "sqlx::SqlitePool::connect",
    "sqlx::postgres::PgPoolOptions::new",
];

/// Calls of blocking clients: paths, or path prefixes ending in `::`.
pub(crate) const BLOCKING: &[&str] = &[
    "reqwest::blocking::",
    "ureq::",
    "postgres::Client::connect",
    "postgres::Config::connect",
    "redis::Client::get_connection",
    "redis::Connection::",
];

/// Types of blocking clients.
pub(crate) const BLOCKING_TYPES: &[&str] = &[
    "reqwest::blocking::Client",
    "ureq::Agent",
    "postgres::Client",
    "redis::Connection",
];

/// Associated functions that build a configured client type.
const CONFIGURED_CONSTRUCTORS: &[&str] = &["new", "builder", "connect"];

/// [`FileModel::is_runtime_bound_client`], for a file of which only the imports are at hand.
pub fn is_runtime_bound_client(imports: &imports::Imports, ty: &str) -> bool {
    RUNTIME_BOUND.contains(&ty)
        || (ty.starts_with("aws_sdk_") && ty.ends_with("::Client"))
        || (ty.starts_with("tonic::") && ty.ends_with("Client"))
        || ty.ends_with("<tonic::transport::Channel>")
        || imports.clients().iter().any(|c| ends_with_path(ty, c))
}

impl FileModel<'_> {
    /// Whether the type `ty` (a resolved path) is a client bound to the runtime that created it:
    /// the built-in list, AWS SDK and tonic-generated clients, and the configured types.
    pub fn is_runtime_bound_client(&self, ty: &str) -> bool {
        is_runtime_bound_client(self.imports, ty)
    }

    /// When the call `node` builds a client with a connection pool: the callee's path (resolved,
    /// or as written for the workspace's own configured types).
    pub fn client_constructor_call(&self, node: &SyntaxNode) -> Option<String> {
        let call = ast::CallExpr::cast(node.clone())?;
        let ast::Expr::PathExpr(pe) = call.expr()? else {
            return None;
        };
        let path = pe.path()?;
        let callee = self
            .resolve_path(&path)
            .unwrap_or_else(|| imports::segments_of(&path).join("::").into());
        self.is_client_constructor(&callee)
            .then(|| callee.to_string())
    }

    /// Whether the call of `callee` (a resolved path) builds a client with a connection pool:
    /// the built-in constructors, and `new`/`builder`/`connect` of a configured client type.
    pub fn is_client_constructor(&self, callee: &str) -> bool {
        if POOLED_CONSTRUCTORS.contains(&callee) {
            return true;
        }
        let Some((ty, function)) = callee.rsplit_once("::") else {
            return false;
        };
        CONFIGURED_CONSTRUCTORS.contains(&function)
            && self.imports.clients().iter().any(|c| ends_with_path(ty, c))
    }

    /// When `receiver` is a parameter whose declared type is a blocking client: that type
    /// (`reqwest::blocking::Client`). Clients built in the function are found by their
    /// constructor instead.
    pub fn blocking_client_param(&self, receiver: &ast::Expr) -> Option<String> {
        // The types resolve into their crates: a file that cannot name one has none of them.
        if !*self
            .memo
            .names_blocking_clients
            .get_or_init(|| self.names_a_crate_of(BLOCKING_TYPES.iter().copied()))
        {
            return None;
        }
        let mut inner = receiver.clone();
        while let ast::Expr::RefExpr(_) | ast::Expr::ParenExpr(_) = inner {
            inner = match inner {
                ast::Expr::RefExpr(r) => r.expr()?,
                ast::Expr::ParenExpr(p) => p.expr()?,
                _ => unreachable!(),
            };
        }
        let ast::Expr::PathExpr(pe) = &inner else {
            return None;
        };
        let name = pe.path()?.as_single_name_ref()?;
        if !matches!(
            self.binding(pe.syntax(), name.text().as_ref())?,
            super::values::Binding::Param(_)
        ) {
            return None;
        }
        let segments = self.receiver_type(&inner)?;
        let resolved =
            self.imports
                .resolve(&segments, receiver.syntax().text_range().start(), false)?;
        BLOCKING_TYPES
            .contains(&resolved.as_str())
            .then_some(resolved)
    }

    /// Whether the call of `callee` (a resolved path) uses a blocking client.
    pub fn is_blocking_client_call(&self, callee: &str) -> bool {
        BLOCKING.iter().any(|b| {
            if b.ends_with("::") {
                callee.starts_with(b)
            } else {
                callee == *b
            }
        })
    }
}

/// Calls whose awaited result is a client already connected on the runtime that awaited it: the
/// call at the root of the chain, and the chain's method that connects (if not the root itself).
pub(crate) const CONNECTING: &[(&str, Option<&str>)] = &[
    ("sqlx::Pool::connect", None),
    ("sqlx::PgPool::connect", None),
    ("sqlx::MySqlPool::connect", None),
    ("sqlx::SqlitePool::connect", None),
    ("sqlx::AnyPool::connect", None),
    ("sqlx::postgres::PgPool::connect", None),
    ("sqlx::postgres::PgPoolOptions::new", Some("connect")),
    ("sqlx::mysql::MySqlPoolOptions::new", Some("connect")),
    ("sqlx::sqlite::SqlitePoolOptions::new", Some("connect")),
    ("sqlx::pool::PoolOptions::new", Some("connect")),
    ("tonic::transport::Channel::from_static", Some("connect")),
    ("tonic::transport::Channel::from_shared", Some("connect")),
    ("tonic::transport::Endpoint::from_static", Some("connect")),
    ("tonic::transport::Endpoint::from_shared", Some("connect")),
    ("tokio::net::TcpStream::connect", None),
    ("tokio::net::UnixStream::connect", None),
    (
        "redis::Client::open",
        Some("get_multiplexed_async_connection"),
    ),
    (
        "redis::Client::open",
        Some("get_multiplexed_tokio_connection"),
    ),
    ("redis::Client::open", Some("get_connection_manager")),
    ("redis::aio::ConnectionManager::new", None),
    ("mongodb::Client::with_uri_str", None),
];

impl FileModel<'_> {
    /// When driving `future` to completion yields a client connected on the runtime that drives
    /// it (`PgPool::connect(url)`, `async { TcpStream::connect(a).await.unwrap() }`): the call
    /// that connects.
    pub fn connected_client(&self, future: &ast::Expr) -> Option<String> {
        let awaited = match future {
            ast::Expr::BlockExpr(block) if block.async_token().is_some() => {
                let list = block.stmt_list()?;
                let mut tail = strip_result(list.tail_expr()?);
                // `let pool = connect().await?; Ok(pool)`
                if let ast::Expr::PathExpr(pe) = &tail {
                    let name = pe.path()?.as_single_name_ref()?;
                    let init = list.statements().find_map(|s| match s {
                        ast::Stmt::LetStmt(l) => {
                            let ast::Pat::IdentPat(p) = l.pat()? else {
                                return None;
                            };
                            (ast::HasName::name(&p)?.text() == name.text())
                                .then(|| l.initializer())
                                .flatten()
                        }
                        _ => None,
                    })?;
                    tail = strip_result(init);
                }
                let ast::Expr::AwaitExpr(a) = tail else {
                    return None;
                };
                a.expr()?
            }
            other => other.clone(),
        };
        // The connecting method (if any), then the call at the root of the chain.
        let (method, mut root) = match &awaited {
            ast::Expr::MethodCallExpr(mc) => {
                (Some(mc.name_ref()?.text().to_string()), mc.receiver()?)
            }
            other => (None, other.clone()),
        };
        if method.is_some() {
            loop {
                root = match strip_result(root) {
                    ast::Expr::MethodCallExpr(mc) => mc.receiver()?,
                    other => break root = other,
                };
            }
        }
        let callee = self.called_path(root.syntax())?.1;
        CONNECTING.iter().find_map(|(call, connects)| {
            let matches = match (connects, &method) {
                (None, None) => *call == &*callee,
                (Some(m), Some(method)) => *call == &*callee && m == method,
                _ => false,
            };
            matches.then(|| match connects {
                Some(m) => format!("{callee}(..).{m}"),
                None => callee.to_string(),
            })
        })
    }
}

/// `e?`, `e.unwrap()`, `e.expect(..)`, `Ok(e)`, `Some(e)`, `(e)` -> `e`.
fn strip_result(mut e: ast::Expr) -> ast::Expr {
    loop {
        e = super::values::strip_unwrap(e);
        let ast::Expr::CallExpr(c) = &e else {
            return e;
        };
        let wrapper = matches!(c.expr(), Some(ast::Expr::PathExpr(pe))
            if pe.path().and_then(|p| p.segment()?.name_ref()).is_some_and(|n| matches!(n.text(), "Ok" | "Some")));
        match (wrapper, c.arg_list().and_then(|l| l.args().next())) {
            (true, Some(inner)) => e = inner,
            _ => return e,
        }
    }
}
