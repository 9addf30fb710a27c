//! The semantic model of one file, built once per file per run and shared by every rule: what a
//! path resolves to, where code runs, which runtime object an expression is, and what a call does.
//!
//! Rules ask these questions; they never re-derive the answers from text.

pub mod calls;
pub mod context;
pub mod imports;
pub mod values;

use std::collections::BTreeMap;

use ra_ap_syntax::{AstNode, SourceFile, SyntaxNode, ast};

pub use calls::{BlockOn, Executor};
pub use context::{AsyncContext, AsyncKind, ExecContext, Flavor, RuntimeEntry, SyncContext};
pub use imports::Imports;
pub use values::{Effect, RuntimeKind, RuntimeValue};

pub struct FileModel {
    root: SyntaxNode,
    imports: Imports,
}

impl FileModel {
    /// `externs`: dependency names usable in this file (local name -> crate name).
    pub fn new(file: &SourceFile, externs: BTreeMap<String, String>) -> FileModel {
        FileModel {
            root: file.syntax().clone(),
            imports: Imports::new(file, externs),
        }
    }

    /// Dependency names for a file outside any package: the well-known async crates.
    pub fn default_externs() -> BTreeMap<String, String> {
        imports::KNOWN_CRATES
            .iter()
            .map(|c| (c.to_string(), c.to_string()))
            .collect()
    }

    pub fn root(&self) -> &SyntaxNode {
        &self.root
    }

    /// The crate-rooted path `path` refers to (`tokio::runtime::Runtime::new`), when it leads
    /// into a dependency or `std`; `None` for workspace-local or unknown paths.
    pub fn resolve_path(&self, path: &ast::Path) -> Option<String> {
        if path.segments().any(|s| s.type_anchor().is_some()) {
            return None; // `<T as Trait>::f`
        }
        let segments = imports::segments_of(path);
        let absolute = path
            .first_segment()
            .is_some_and(|s| s.coloncolon_token().is_some());
        self.imports
            .resolve(&segments, path.syntax().text_range().start(), absolute)
    }

    pub fn trait_in_scope(&self, trait_path: &str, node: &SyntaxNode) -> bool {
        self.imports
            .trait_in_scope(trait_path, node.text_range().start())
    }

    /// Where `node` runs.
    pub fn exec_context(&self, node: &SyntaxNode) -> ExecContext {
        context::exec_context(node)
    }
}
