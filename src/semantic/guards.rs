//! Lock guards and borrows that must not live across an `.await`: `std::sync::Mutex` and
//! `RwLock` guards (and parking_lot's), and `RefCell` borrows.

use ra_ap_syntax::ast::{self, HasArgList};

use super::FileModel;

/// What kind of guard an expression produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// `std::sync::Mutex::lock`: deadlocks a task that waits for it on the same thread.
    StdMutex,
    /// `std::sync::RwLock::read`/`write`.
    StdRwLock,
    /// `parking_lot::Mutex::lock`, `RwLock::read`/`write`.
    ParkingLot,
    /// `RefCell::borrow`/`borrow_mut`: another task's borrow panics.
    RefCell,
}

impl Guard {
    /// The guard's type, for messages.
    pub fn type_name(self) -> &'static str {
        match self {
            Guard::StdMutex => "std::sync::MutexGuard",
            Guard::StdRwLock => "std::sync::RwLock guard",
            Guard::ParkingLot => "parking_lot guard",
            Guard::RefCell => "RefCell borrow",
        }
    }
}

impl FileModel<'_> {
    /// When `expr` is a guard taken just now (`m.lock().unwrap()`, `m.lock()?`, `rw.write()
    /// .expect(..)`, `cell.borrow_mut()`, parking_lot's `m.lock()`): which kind. The lock's type
    /// must be evident, except for `x.lock().unwrap()` (and `read`/`write`), which only `std`'s
    /// locks look like: Tokio's `lock()` is a future and is awaited, not unwrapped.
    pub fn guard_taken(&self, expr: &ast::Expr) -> Option<Guard> {
        // `.unwrap()`, `.expect(..)`, `?` around the call: a `LockResult`.
        let mut inner = expr.clone();
        let mut unwrapped = false;
        loop {
            inner = match &inner {
                ast::Expr::TryExpr(t) => t.expr()?,
                ast::Expr::MethodCallExpr(mc)
                    if mc
                        .name_ref()
                        .is_some_and(|n| matches!(n.text(), "unwrap" | "expect")) =>
                {
                    mc.receiver()?
                }
                _ => break,
            };
            unwrapped = true;
        }
        let ast::Expr::MethodCallExpr(call) = inner else {
            return None;
        };
        let method = call.name_ref()?.text().to_string();
        if call.arg_list()?.args().next().is_some() {
            return None;
        }
        let receiver = call.receiver()?;
        let ty = self.value_type(&receiver);
        let known = |t: &str| ty.as_deref() == Some(t);
        match method.as_str() {
            "lock" | "read" | "write" => {
                if known("std::sync::Mutex") || known("std::sync::RwLock") {
                    return unwrapped.then_some(if method == "lock" {
                        Guard::StdMutex
                    } else {
                        Guard::StdRwLock
                    });
                }
                if known("parking_lot::Mutex") || known("parking_lot::RwLock") {
                    return Some(Guard::ParkingLot);
                }
                // An unknown type, unwrapped: only `std`'s locks return a `LockResult`.
                let unknown = ty.is_none() && self.receiver_type(&receiver).is_none();
                (unknown && unwrapped).then_some(if method == "lock" {
                    Guard::StdMutex
                } else {
                    Guard::StdRwLock
                })
            }
            "borrow" | "borrow_mut" if known("std::cell::RefCell") => Some(Guard::RefCell),
            _ => None,
        }
    }
}
