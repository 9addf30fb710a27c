//! Which values are clients: types whose connections live on the runtime that made them, the
//! calls that build a client with a connection pool, and blocking clients. Built-in lists,
//! extended per package by `clients = [..]` in `[package.metadata.loopfix]` or
//! `[workspace.metadata.loopfix]`.

use ra_ap_syntax::{AstNode, SyntaxNode, ast};

use super::context::ends_with_path;
use super::{FileModel, imports};

/// Types whose values belong to the runtime that created them, by crate-rooted path.
const RUNTIME_BOUND: &[&str] = &[
    "reqwest::Client",
    "hyper_util::client::legacy::Client",
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
    "bb8::Pool",
    "tokio::net::TcpStream",
];

/// Calls that build a client with a connection pool (or start a builder chain of one).
const POOLED_CONSTRUCTORS: &[&str] = &[
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
const BLOCKING: &[&str] = &[
    "reqwest::blocking::",
    "ureq::",
    "postgres::Client::connect",
    "postgres::Config::connect",
    "redis::Client::get_connection",
    "redis::Connection::",
];

/// Associated functions that build a configured client type.
const CONFIGURED_CONSTRUCTORS: &[&str] = &["new", "builder", "connect"];

impl FileModel<'_> {
    /// Whether the type `ty` (a resolved path) is a client bound to the runtime that created it:
    /// the built-in list, AWS SDK and tonic-generated clients, and the configured types.
    pub fn is_runtime_bound_client(&self, ty: &str) -> bool {
        RUNTIME_BOUND.contains(&ty)
            || (ty.starts_with("aws_sdk_") && ty.ends_with("::Client"))
            || (ty.starts_with("tonic::") && ty.ends_with("Client"))
            || self.imports.clients().iter().any(|c| ends_with_path(ty, c))
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
            .unwrap_or_else(|| imports::segments_of(&path).join("::"));
        self.is_client_constructor(&callee).then_some(callee)
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
