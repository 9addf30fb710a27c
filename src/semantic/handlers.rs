//! Code that runs once per request: web framework handlers (by route attribute, or registered
//! with a routing function) and closures handed to a routing function or `service_fn`.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasArgList, HasAttrs},
};

use super::FileModel;

/// Attributes that make a function a request handler.
pub(crate) const ROUTE_ATTRS: &[&str] = &[
    "actix_web::get",
    "actix_web::post",
    "actix_web::put",
    "actix_web::delete",
    "actix_web::patch",
    "actix_web::head",
    "actix_web::route",
    "actix_web::routes",
    "rocket::get",
    "rocket::post",
    "rocket::put",
    "rocket::delete",
    "rocket::patch",
    "rocket::head",
    "poem::handler",
];

/// Functions whose function or closure arguments run once per request.
pub(crate) const ROUTE_FNS: &[&str] = &[
    "axum::routing::get",
    "axum::routing::post",
    "axum::routing::put",
    "axum::routing::delete",
    "axum::routing::patch",
    "axum::routing::head",
    "axum::routing::options",
    "axum::routing::any",
    "axum::routing::on",
    "axum::routing::method_routing::get",
    "axum::routing::method_routing::post",
    "hyper::service::service_fn",
    "tower::service_fn",
    "tower::util::service_fn",
];

/// Methods that add a handler to a router built by one of `ROUTE_FNS` (`get(a).post(b)`) or by
/// actix-web's `web::get()`/`web::resource(..)` (`.to(handler)`).
const ROUTE_METHODS: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "to",
];

impl FileModel<'_> {
    /// Whether the file can name a crate of the routing functions and attributes: the paths
    /// resolve into their crates, so a file that cannot has neither.
    fn names_web_crates(&self) -> bool {
        *self
            .memo
            .names_web_crates
            .get_or_init(|| self.names_a_crate_of(ROUTE_ATTRS.iter().chain(ROUTE_FNS).copied()))
    }

    /// The route attribute that makes `f` a request handler (`actix_web::get`...).
    pub fn route_attribute(&self, f: &ast::Fn) -> Option<String> {
        if !self.names_web_crates() {
            return None;
        }
        f.attrs().find_map(|attr| {
            let resolved = self.resolve_path(&attr.path()?)?;
            ROUTE_ATTRS
                .contains(&&*resolved)
                .then(|| resolved.to_string())
        })
    }

    /// When the call `node` registers its arguments as request handlers: the routing function
    /// (`axum::routing::get`), or for a method of a router (`get(a).post(b)`, actix-web's
    /// `web::get().to(h)`) the routing function at the root of the chain.
    pub fn routing_call(&self, node: &SyntaxNode) -> Option<String> {
        if !self.names_web_crates() {
            return None;
        }
        if let Some(call) = ast::CallExpr::cast(node.clone()) {
            let ast::Expr::PathExpr(pe) = call.expr()? else {
                return None;
            };
            let resolved = self.resolve_path(&pe.path()?)?;
            return ROUTE_FNS
                .contains(&&*resolved)
                .then(|| resolved.to_string());
        }
        let mc = ast::MethodCallExpr::cast(node.clone())?;
        let method = mc.name_ref()?;
        if !ROUTE_METHODS.iter().any(|m| *m == method.text()) {
            return None;
        }
        // Down the receiver chain to the call that made the router.
        let mut receiver = mc.receiver()?;
        loop {
            match receiver {
                ast::Expr::MethodCallExpr(inner) => receiver = inner.receiver()?,
                ast::Expr::CallExpr(call) => {
                    let ast::Expr::PathExpr(pe) = call.expr()? else {
                        return None;
                    };
                    let resolved = self.resolve_path(&pe.path()?)?;
                    let router =
                        ROUTE_FNS.contains(&&*resolved) || resolved.starts_with("actix_web::web::");
                    return router.then(|| resolved.to_string());
                }
                _ => return None,
            }
        }
    }

    /// Whether `node` runs once per request, and why: in a handler function (by attribute, or
    /// registered with a routing call anywhere in the workspace), or in a closure handed to a
    /// routing call. Code in any other closure on the way (`OnceLock::get_or_init(|| ..)`) is
    /// not: it may run once.
    pub fn request_handler(&self, node: &SyntaxNode) -> Option<String> {
        for anc in self.ancestors(node).skip(1) {
            match anc.kind() {
                SyntaxKind::CLOSURE_EXPR => {
                    let call = anc
                        .parent()
                        .filter(|p| p.kind() == SyntaxKind::ARG_LIST)?
                        .parent()?;
                    return self.routing_call(&call);
                }
                SyntaxKind::FN => {
                    let id = self.enclosing_fn(node)?;
                    return self.graph().fns[id].handler.clone();
                }
                _ => {}
            }
        }
        None
    }

    /// The handler functions a routing call registers, as path expressions.
    pub fn registered_handlers(&self, node: &SyntaxNode) -> Vec<ast::PathExpr> {
        if self.routing_call(node).is_none() {
            return Vec::new();
        }
        let args = ast::CallExpr::cast(node.clone())
            .and_then(|c| c.arg_list())
            .or_else(|| ast::MethodCallExpr::cast(node.clone()).and_then(|m| m.arg_list()));
        args.into_iter()
            .flat_map(|l| l.args())
            .filter_map(|a| match a {
                ast::Expr::PathExpr(pe) => Some(pe),
                _ => None,
            })
            .collect()
    }
}
