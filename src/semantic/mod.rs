//! The semantic model of one file, built once per file per run and shared by every rule: what a
//! path resolves to, where code runs, which runtime object an expression is, and what a call does.
//!
//! Rules ask these questions; they never re-derive the answers from text.

pub mod blocking;
pub mod calls;
pub mod clients;
pub mod context;
pub mod flow;
pub mod graph;
pub mod guards;
pub mod handlers;
pub mod imports;
pub mod macros;
pub mod relevance;
pub mod summary;
pub mod tasks;
pub mod values;
pub mod words;

use std::collections::BTreeMap;
use std::rc::Rc;

use ra_ap_syntax::{AstNode, SourceFile, SyntaxKind, SyntaxNode, TextSize, ast};

pub use calls::{BlockOn, Executor};
pub use context::{AsyncContext, AsyncKind, ExecContext, Flavor, RuntimeEntry, SyncContext};
pub use imports::Imports;
pub use macros::MacroBodies;
pub use values::{Effect, RuntimeKind, RuntimeValue};

pub use graph::{ChainStep, FnId, WorkspaceModel};

/// What rules ask about one file: this file's tree and imports, and the workspace model.
pub struct FileModel<'a> {
    root: SyntaxNode,
    imports: &'a Imports,
    macros: &'a MacroBodies,
    /// Roots of the synthetic trees of macro arguments, one per nesting level.
    level_roots: Vec<SyntaxNode>,
    /// `None` while the per-file summaries that the workspace model is built from are computed.
    graph: Option<&'a WorkspaceModel>,
    /// Paths already resolved, by range (macro arguments share the file's offsets, and the
    /// same range always holds the same path).
    resolved: std::cell::RefCell<rustc_hash::FxHashMap<ra_ap_syntax::TextRange, Option<Rc<str>>>>,
    /// Statics, consts, structs and functions of the file by name, built on first use.
    items: std::cell::OnceCell<rustc_hash::FxHashMap<String, SyntaxNode>>,
    /// The `let` statements of each statement list asked about, with the names they bind
    /// (variables are looked up many times per block).
    lets: std::cell::RefCell<rustc_hash::FxHashMap<SyntaxNode, std::rc::Rc<[values::LetInfo]>>>,
    /// Functions' runtime entry attributes, read once each.
    entries: std::cell::RefCell<rustc_hash::FxHashMap<SyntaxNode, Option<RuntimeEntry>>>,
    /// What each call is, worked out once: the summary, every rule's gate and the rules ask.
    memo: CallMemo,
    file: usize,
}

/// What one question answers about each call node of a file, by the node's range and kind
/// (macro arguments share the file's offsets, but a range holds one node of a kind).
struct Memo<T> {
    /// The last call asked about, and the answer: the summary and every rule's gate ask about
    /// a call one after the other.
    last: std::cell::RefCell<Option<(MemoKey, Option<T>)>>,
    /// The calls that are what was asked (few are): asked again later, they are not worked out
    /// again. The others are, when asked again out of turn: storing every call of a file costs
    /// more than the few questions asked twice.
    found: std::cell::RefCell<rustc_hash::FxHashMap<MemoKey, T>>,
}

type MemoKey = (ra_ap_syntax::TextRange, SyntaxKind);

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            last: Default::default(),
            found: Default::default(),
        }
    }
}

impl<T: Clone> Memo<T> {
    /// `compute`'s answer for `node`, worked out once (see [`Memo::found`]); `None` for
    /// anything but a call.
    fn call(&self, node: &SyntaxNode, compute: impl FnOnce() -> Option<T>) -> Option<T> {
        if !matches!(
            node.kind(),
            SyntaxKind::CALL_EXPR | SyntaxKind::METHOD_CALL_EXPR
        ) {
            return None;
        }
        let key = (node.text_range(), node.kind());
        if let Some((last, value)) = &*self.last.borrow()
            && *last == key
        {
            return value.clone();
        }
        if let Some(hit) = self.found.borrow().get(&key) {
            return Some(hit.clone());
        }
        let value = compute();
        if let Some(found) = &value {
            self.found.borrow_mut().insert(key, found.clone());
        }
        *self.last.borrow_mut() = Some((key, value.clone()));
        value
    }
}

/// Answers worked out once per file: the summary, every rule's gate and the rules ask them.
#[derive(Default)]
struct CallMemo {
    block_on: Memo<BlockOn>,
    spawn: Memo<tasks::Spawn>,
    runtime_construction: Memo<calls::RuntimeConstruction>,
    blocking_call: Memo<blocking::BlockingCall>,
    /// Whether the file can name a crate of a blocking client (`reqwest`, `ureq`...).
    names_blocking_clients: std::cell::OnceCell<bool>,
    /// Whether the file can name a web framework's crate (`axum`, `actix_web`...).
    names_web_crates: std::cell::OnceCell<bool>,
}

impl<'a> FileModel<'a> {
    /// `file` is the index of the file in the run's `SourceSet`.
    pub fn new(
        tree: &SourceFile,
        imports: &'a Imports,
        macros: &'a MacroBodies,
        graph: &'a WorkspaceModel,
        file: usize,
    ) -> FileModel<'a> {
        FileModel {
            graph: Some(graph),
            ..FileModel::local(tree, imports, macros, file)
        }
    }

    /// The model of one file on its own, for computing its summary.
    pub fn local(
        tree: &SourceFile,
        imports: &'a Imports,
        macros: &'a MacroBodies,
        file: usize,
    ) -> FileModel<'a> {
        let level_roots = macros.levels.iter().map(|l| l.tree.syntax_node()).collect();
        FileModel {
            root: tree.syntax().clone(),
            imports,
            macros,
            level_roots,
            graph: None,
            items: Default::default(),
            lets: Default::default(),
            entries: Default::default(),
            memo: Default::default(),
            resolved: Default::default(),
            file,
        }
    }

    /// Every node of the file, and then every node of code inside macro arguments (`true`).
    pub fn all_nodes(&self) -> impl Iterator<Item = (SyntaxNode, bool)> + '_ {
        let in_macros = self.level_roots.iter().flat_map(macros::real_nodes);
        self.root
            .descendants()
            .map(|n| (n, false))
            .chain(in_macros.map(|n| (n, true)))
    }

    /// [`FileModel::all_nodes`], for a walk that looks at nodes of the `wanted` kinds only: see
    /// [`WantedWalk`].
    pub fn wanted_nodes<'s>(&'s self, wanted: &'s KindSet) -> WantedWalk<'s> {
        WantedWalk {
            root: self.root.clone(),
            at: Some(Step::Start),
            in_macros: Box::new(self.level_roots.iter().flat_map(macros::real_nodes)),
            wanted,
            depth: 0,
            frames: Vec::new(),
        }
    }

    /// [`FileModel::exec_context`] of a node of the file itself (not of macro arguments), from
    /// the [`WantedWalk`] that yields it: no walk up the tree.
    pub fn exec_context_in_walk(&self, walk: &WantedWalk<'_>) -> ExecContext {
        context::exec_context_in(
            walk.context_frames(context::MAX_ANCESTORS),
            self.imports.off_thread(),
            &|f| self.runtime_entry(f),
        )
    }

    /// `node`'s descendants, then the code inside macro arguments within its range.
    pub fn nodes_within(&self, node: &SyntaxNode) -> impl Iterator<Item = SyntaxNode> + '_ {
        let range = node.text_range();
        let in_macros = self
            .level_roots
            .iter()
            .flat_map(macros::real_nodes)
            .filter(move |n| range.contains_range(n.text_range()));
        node.descendants().chain(in_macros)
    }

    /// Whether `node` is code inside a macro's arguments.
    pub fn in_macro(&self, node: &SyntaxNode) -> bool {
        !self.level_roots.is_empty() && node.ancestors().last().is_some_and(|r| r != self.root)
    }

    /// `node` and its ancestors, innermost first; for code inside macro arguments, the ancestors
    /// continue from the macro call in the code around it.
    pub fn ancestors(&self, node: &SyntaxNode) -> Box<dyn Iterator<Item = SyntaxNode> + '_> {
        if !self.in_macro(node) {
            return Box::new(node.ancestors());
        }
        let mut out = Vec::new();
        let mut current = node.clone();
        loop {
            let root = current.ancestors().last().expect("a node has a root");
            let Some(level) = self.level_roots.iter().position(|r| *r == root) else {
                out.extend(current.ancestors());
                break;
            };
            out.extend(current.ancestors().take_while(|a| !macros::is_wrapper(a)));
            let offset = current.text_range().start();
            let region = self.macros.levels[level]
                .regions
                .iter()
                .find(|r| r.inner.contains_inclusive(offset));
            let outer_root = if level == 0 {
                &self.root
            } else {
                &self.level_roots[level - 1]
            };
            let call = region.and_then(|r| {
                let node = match outer_root.covering_element(r.call) {
                    ra_ap_syntax::NodeOrToken::Node(n) => n,
                    ra_ap_syntax::NodeOrToken::Token(t) => t.parent()?,
                };
                node.ancestors()
                    .find(|a| a.kind() == SyntaxKind::MACRO_CALL)
            });
            match call {
                Some(call) => current = call,
                None => break,
            }
        }
        Box::new(out.into_iter())
    }

    /// The index of this file in the run's `SourceSet`, as the workspace model knows it.
    pub fn file_id(&self) -> usize {
        self.file
    }

    pub fn graph(&self) -> &WorkspaceModel {
        self.graph
            .expect("rules run with the workspace model built")
    }

    /// The workspace function whose body holds `node` (the innermost `fn`).
    pub fn enclosing_fn(&self, node: &SyntaxNode) -> Option<FnId> {
        self.graph?.fn_at(self.file, self.enclosing_fn_start(node)?)
    }

    /// Where the innermost `fn` around `node` starts (its [`FnId`] once the graph is built).
    pub fn enclosing_fn_start(&self, node: &SyntaxNode) -> Option<TextSize> {
        let f = self.ancestors(node).skip(1).find_map(ast::Fn::cast)?;
        Some(f.syntax().text_range().start())
    }

    /// When `node` is in a sync function that can run inside an async context: the call chain
    /// from the async function that starts it.
    pub fn async_chain(&self, node: &SyntaxNode) -> Option<Vec<ChainStep>> {
        self.graph?.async_chain(self.enclosing_fn(node)?)
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

    /// The file's statics, consts and structs (in inline modules too) by name; the first wins.
    pub fn items_by_name(&self) -> &rustc_hash::FxHashMap<String, SyntaxNode> {
        self.items.get_or_init(|| {
            let mut map = rustc_hash::FxHashMap::default();
            for node in self.module_items() {
                if !matches!(
                    node.kind(),
                    SyntaxKind::STATIC | SyntaxKind::CONST | SyntaxKind::STRUCT | SyntaxKind::FN
                ) {
                    continue;
                }
                let name = ast::AnyHasName::cast(node.clone()).and_then(|n| ast::HasName::name(&n));
                if let Some(name) = name {
                    map.entry(name.text().to_string()).or_insert(node);
                }
            }
            map
        })
    }

    /// Items of the file and of its inline modules, without looking into function bodies: the
    /// places a `static` or a `struct` visible to the whole file can be declared.
    pub fn module_items(&self) -> impl Iterator<Item = SyntaxNode> {
        let mut stack = vec![self.root.clone()];
        std::iter::from_fn(move || {
            let node = stack.pop()?;
            stack.extend(node.children().filter(|c| {
                matches!(c.kind(), SyntaxKind::MODULE | SyntaxKind::ITEM_LIST)
                    || c.parent().is_some_and(|p| {
                        matches!(p.kind(), SyntaxKind::SOURCE_FILE | SyntaxKind::ITEM_LIST)
                    })
            }));
            Some(node)
        })
    }

    /// The crate-rooted path `path` refers to (`tokio::runtime::Runtime::new`), when it leads
    /// into a dependency or `std`; `None` for workspace-local or unknown paths. Shared: the
    /// same paths are asked about by the summary, every rule's gate and the rules.
    pub fn resolve_path(&self, path: &ast::Path) -> Option<Rc<str>> {
        // Several rules ask about the same call: answer each path once per file.
        let key = path.syntax().text_range();
        if let Some(hit) = self.resolved.borrow().get(&key) {
            return hit.clone();
        }
        let written = imports::written(path);
        let resolved = if written.anchored {
            None // `<T as Trait>::f`
        } else {
            self.imports
                .resolve(&written.segments, key.start(), written.absolute)
                .map(Rc::from)
        };
        self.resolved.borrow_mut().insert(key, resolved.clone());
        resolved
    }

    /// `node` as a call of a path (`tokio::spawn(..)`): the callee's path and what it resolves to.
    pub fn called_path(&self, node: &SyntaxNode) -> Option<(ast::Path, Rc<str>)> {
        let call = ast::CallExpr::cast(node.clone())?;
        let ast::Expr::PathExpr(pe) = call.expr()? else {
            return None;
        };
        let path = pe.path()?;
        let resolved = self.resolve_path(&path)?;
        Some((path, resolved))
    }

    /// Whether the file can name the crate of one of `paths` (crate-rooted, `reqwest::Client`):
    /// paths resolve into the crates a file can name, so a file that names none of these
    /// crates resolves nothing to any of the paths.
    pub fn names_a_crate_of<'p>(&self, paths: impl IntoIterator<Item = &'p str>) -> bool {
        paths
            .into_iter()
            .filter_map(|path| path.split("::").next())
            .any(|krate| self.imports.local_crate_name(krate).is_some())
    }

    /// How this file names the dependency `krate` (renamed dependencies use their new name).
    pub fn crate_name(&self, krate: &str) -> Option<&str> {
        self.imports.local_crate_name(krate)
    }

    pub fn trait_in_scope(&self, trait_path: &str, node: &SyntaxNode) -> bool {
        self.imports
            .trait_in_scope(trait_path, node.text_range().start())
    }

    /// Where `node` runs.
    pub fn exec_context(&self, node: &SyntaxNode) -> ExecContext {
        context::exec_context_in(
            self.ancestors(node).skip(1),
            self.imports.off_thread(),
            &|f| self.runtime_entry(f),
        )
    }

    /// The runtime entry attribute of `f` (`#[tokio::main]`...), read once per function.
    pub fn runtime_entry(&self, f: &ast::Fn) -> Option<RuntimeEntry> {
        if let Some(hit) = self.entries.borrow().get(f.syntax()) {
            return hit.clone();
        }
        let entry = context::runtime_entry(f);
        self.entries
            .borrow_mut()
            .insert(f.syntax().clone(), entry.clone());
        entry
    }

    /// What the code of `node` (a future, a function body) needs of a Tokio runtime: timers, I/O,
    /// any runtime for Tokio-based libraries; through the workspace functions it calls too.
    pub fn runtime_needs(&self, node: &SyntaxNode) -> graph::DriverNeeds {
        let Some(graph) = self.graph else {
            return graph::DriverNeeds::default();
        };
        let (mut needs, calls) = self.local_runtime_needs(node);
        for at in calls {
            for &callee in graph.callees_at(self.file, at) {
                needs.union(graph.driver_needs(callee));
            }
        }
        needs
    }

    /// [`FileModel::runtime_needs`] as far as the file tells: what the paths it calls need, and
    /// where it calls functions (the offsets of the callees' names) that may need more, as the
    /// workspace graph will tell.
    pub fn local_runtime_needs(&self, node: &SyntaxNode) -> (graph::DriverNeeds, Vec<TextSize>) {
        let mut needs = graph::DriverNeeds::default();
        let mut calls = Vec::new();
        for n in self.nodes_within(node) {
            let name = if let Some(call) = ast::CallExpr::cast(n.clone()) {
                let Some(ast::Expr::PathExpr(pe)) = call.expr() else {
                    continue;
                };
                let Some(path) = pe.path() else { continue };
                if let Some(resolved) = self.resolve_path(&path) {
                    needs.union(summary::tokio_driver_of(&resolved));
                }
                path.segment().and_then(|s| s.name_ref())
            } else if let Some(mc) = ast::MethodCallExpr::cast(n) {
                mc.name_ref()
            } else {
                None
            };
            calls.extend(name.map(|n| n.syntax().text_range().start()));
        }
        (needs, calls)
    }

    /// Whether `range` is in (or is an attribute of) a function marked `#[should_panic]`.
    pub fn in_should_panic_test(&self, range: ra_ap_syntax::TextRange) -> bool {
        let element = self.root.covering_element(range);
        let node = match element {
            ra_ap_syntax::NodeOrToken::Node(n) => n,
            ra_ap_syntax::NodeOrToken::Token(t) => match t.parent() {
                Some(p) => p,
                None => return false,
            },
        };
        node.ancestors().filter_map(ast::Fn::cast).any(|f| {
            ast::HasAttrs::attrs(&f)
                .any(|a| a.path().is_some_and(|p| p.to_string() == "should_panic"))
        })
    }

    /// Whether `node` is code of `container`'s own body: no closure, function or async block lies
    /// between them (an `.await` or `?` there belongs to `container`'s future, not another).
    pub fn in_same_body(&self, node: &SyntaxNode, container: &SyntaxNode) -> bool {
        !self
            .ancestors(node)
            .skip(1)
            .take_while(|a| a != container)
            .any(|a| {
                matches!(a.kind(), SyntaxKind::CLOSURE_EXPR | SyntaxKind::FN)
                    || ast::BlockExpr::cast(a).is_some_and(|b| b.async_token().is_some())
            })
    }

    /// Whether `#[allow(lint)]` or `#[expect(lint)]` (`lint` like `clippy::await_holding_lock`)
    /// covers `node`: on an enclosing item (function, impl, module) or the file (`#![allow]`).
    /// A team that allowed clippy's twin of a rule has said the code is deliberate.
    pub fn allows_lint(&self, node: &SyntaxNode, lint: &str) -> bool {
        self.ancestors(node).any(|a| {
            let attrs: Vec<ast::Attr> = match_ast_attrs(&a);
            attrs.iter().any(|attr| {
                let Some(name) = attr.path().and_then(|p| p.as_single_name_ref()) else {
                    return false;
                };
                if !matches!(name.text(), "allow" | "expect") {
                    return false;
                }
                attr.syntax()
                    .text()
                    .to_string()
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .any(|w| w == lint)
            })
        })
    }

    /// Whether an edit of `range` would touch macro arguments that did not parse as code.
    pub fn in_broken_macro(&self, range: ra_ap_syntax::TextRange) -> bool {
        self.macros.in_broken_region(range)
    }
}

/// The attributes of an item-like node (function, impl, module, the file).
fn match_ast_attrs(node: &SyntaxNode) -> Vec<ast::Attr> {
    use ast::HasAttrs;
    if let Some(f) = ast::Fn::cast(node.clone()) {
        return f.attrs().collect();
    }
    if let Some(i) = ast::Impl::cast(node.clone()) {
        return i.attrs().collect();
    }
    if let Some(m) = ast::Module::cast(node.clone()) {
        return m.attrs().collect();
    }
    if let Some(t) = ast::Trait::cast(node.clone()) {
        return t.attrs().collect();
    }
    if let Some(f) = ast::SourceFile::cast(node.clone()) {
        return f.attrs().collect();
    }
    Vec::new()
}

/// The nodes of a file as [`FileModel::all_nodes`] yields them, for a walk that looks at nodes
/// of the `wanted` kinds only: what lies inside a path, a name, a type, an attribute or another
/// [`OPAQUE`] node is left out, unless its green tree holds a node of a wanted kind (then it is
/// walked as usual); such a node that is not of a wanted kind itself is passed on the green tree,
/// not yielded. About half the nodes of real code are inside paths, names and types, and each
/// node walked costs a cursor. Every node of a wanted kind is yielded, in the same order as by
/// `all_nodes`. For the nodes of the file itself (not of macro arguments), the walk knows the
/// functions, closures, async blocks, consts and statics around the node: where it runs and in
/// which function are answered without walking up the tree.
pub struct WantedWalk<'s> {
    /// The file's root.
    root: SyntaxNode,
    /// Where the walk of the file's own nodes is (`None` once they are all walked).
    at: Option<Step>,
    in_macros: Box<dyn Iterator<Item = SyntaxNode> + 's>,
    wanted: &'s KindSet,
    /// How many nodes are open (the last node yielded is one of them).
    depth: usize,
    /// The open nodes that decide where code runs, outermost first, with their depth.
    frames: Vec<(SyntaxNode, usize)>,
}

/// The last step of a [`WantedWalk`] over the file's own nodes.
enum Step {
    /// Nothing walked yet.
    Start,
    /// Entered a node, to walk into next.
    Enter(SyntaxNode),
    /// Entered a node whose subtree is not walked.
    Skip(SyntaxNode),
    /// Left a node (its subtree walked).
    Leave(SyntaxNode),
}

impl WantedWalk<'_> {
    /// The next node, and whether it is code inside macro arguments.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<(SyntaxNode, bool)> {
        while let Some(step) = self.at.take() {
            let entered = match step {
                Step::Start => Some(self.root.clone()),
                Step::Enter(node) => match self.child_from(&node, 0, node.text_range().start()) {
                    Some(child) => Some(child),
                    None => {
                        self.leave(node);
                        None
                    }
                },
                Step::Skip(node) => {
                    self.leave(node);
                    None
                }
                Step::Leave(node) if node == self.root => None,
                Step::Leave(node) => {
                    let parent = node.parent().expect("a node below the root has a parent");
                    match self.child_from(&parent, node.index() + 1, node.text_range().end()) {
                        Some(sibling) => Some(sibling),
                        None => {
                            self.leave(parent);
                            None
                        }
                    }
                }
            };
            if let Some(node) = entered {
                self.depth += 1;
                let kind = node.kind();
                self.at = Some(
                    if OPAQUE.contains(kind) && !green_holds(node.green(), self.wanted) {
                        Step::Skip(node.clone())
                    } else {
                        if context::decides_context(&node) {
                            self.frames.push((node.clone(), self.depth));
                        }
                        Step::Enter(node.clone())
                    },
                );
                return Some((node, false));
            }
        }
        self.in_macros.next().map(|n| (n, true))
    }

    fn leave(&mut self, node: SyntaxNode) {
        if self.frames.last().is_some_and(|(f, _)| *f == node) {
            self.frames.pop();
        }
        self.depth -= 1;
        self.at = Some(Step::Leave(node));
    }

    /// The first child node of `parent`, from its `from`th child (node or token, starting at
    /// `offset`) on, that the walk looks at: a node of a kind [`OPAQUE`] that holds nothing
    /// wanted, and is not wanted itself, is passed on the green tree (no cursor is built).
    fn child_from(&self, parent: &SyntaxNode, from: usize, offset: TextSize) -> Option<SyntaxNode> {
        let green = parent.green();
        let mut children = green.children();
        if from > 0 {
            children.nth(from - 1)?;
        }
        let (mut index, mut offset) = (from, offset);
        for child in children {
            if let rowan::NodeOrToken::Node(n) = child {
                let kind = SyntaxKind::from(n.kind().0);
                if !OPAQUE.contains(kind)
                    || self.wanted.contains(kind)
                    || green_holds(n, self.wanted)
                {
                    return Some(nth_child(parent, index, offset, n.text_len()));
                }
            }
            index += 1;
            offset += child.text_len();
        }
        None
    }

    /// The ancestors of the last node yielded (of the file itself) that decide where it runs,
    /// innermost first, as far as `limit` levels up.
    pub fn context_frames(&self, limit: usize) -> impl Iterator<Item = SyntaxNode> + '_ {
        let depth = self.depth;
        self.frames
            .iter()
            .rev()
            .filter(move |(_, d)| *d < depth)
            .take_while(move |(_, d)| depth - d <= limit)
            .map(|(f, _)| f.clone())
    }

    /// The innermost function around the last node yielded (of the file itself), and whether a
    /// closure lies between the two.
    pub fn owner_fn(&self) -> Option<(ast::Fn, bool)> {
        let mut in_closure = false;
        for f in self.context_frames(usize::MAX) {
            match f.kind() {
                SyntaxKind::FN => return ast::Fn::cast(f).map(|f| (f, in_closure)),
                SyntaxKind::CLOSURE_EXPR => in_closure = true,
                _ => {}
            }
        }
        None
    }
}

/// A set of syntax kinds.
#[derive(Clone, Debug, Default)]
pub struct KindSet([u64; 8]);

// Every kind has a bit.
const _: () = assert!((SyntaxKind::__LAST as usize) < 8 * 64);

impl KindSet {
    pub const fn of(kinds: &[SyntaxKind]) -> KindSet {
        let mut set = KindSet([0; 8]);
        let mut i = 0;
        while i < kinds.len() {
            set.insert(kinds[i]);
            i += 1;
        }
        set
    }

    /// Both sets' kinds.
    pub fn union(&self, other: &KindSet) -> KindSet {
        KindSet(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }

    pub const fn insert(&mut self, kind: SyntaxKind) {
        let k = kind as usize;
        self.0[k / 64] |= 1 << (k % 64);
    }

    pub fn contains(&self, kind: SyntaxKind) -> bool {
        let k = usize::from(u16::from(kind));
        self.0[k / 64] & (1 << (k % 64)) != 0
    }
}

/// Kinds whose subtrees, in real code, hold paths, names, types, patterns and tokens only: what
/// [`FileModel::wanted_nodes`] looks into on the green tree before it walks them.
const OPAQUE: KindSet = KindSet::of(&[
    SyntaxKind::PATH,
    SyntaxKind::NAME,
    SyntaxKind::NAME_REF,
    SyntaxKind::PATH_TYPE,
    SyntaxKind::REF_TYPE,
    SyntaxKind::PTR_TYPE,
    SyntaxKind::SLICE_TYPE,
    SyntaxKind::ARRAY_TYPE,
    SyntaxKind::TUPLE_TYPE,
    SyntaxKind::FN_PTR_TYPE,
    SyntaxKind::IMPL_TRAIT_TYPE,
    SyntaxKind::DYN_TRAIT_TYPE,
    SyntaxKind::RET_TYPE,
    SyntaxKind::PARAM_LIST,
    SyntaxKind::GENERIC_PARAM_LIST,
    SyntaxKind::GENERIC_ARG_LIST,
    SyntaxKind::WHERE_CLAUSE,
    SyntaxKind::TYPE_BOUND_LIST,
    SyntaxKind::ATTR,
    SyntaxKind::LITERAL,
    SyntaxKind::LIFETIME,
    SyntaxKind::VISIBILITY,
    SyntaxKind::IDENT_PAT,
    SyntaxKind::TOKEN_TREE,
    SyntaxKind::USE_TREE,
    SyntaxKind::RECORD_FIELD_LIST,
    SyntaxKind::TUPLE_FIELD_LIST,
]);

/// Whether a node of a `wanted` kind lies strictly inside `node`. (Recursive: a tree deeper than
/// [`crate::nesting::MAX_TREE_DEPTH`] is never walked, it is dropped at parse.)
fn green_holds(node: &rowan::GreenNodeData, wanted: &KindSet) -> bool {
    node.children().any(|child| match child {
        rowan::NodeOrToken::Node(child) => {
            wanted.contains(SyntaxKind::from(child.kind().0)) || green_holds(child, wanted)
        }
        rowan::NodeOrToken::Token(_) => false,
    })
}

/// `parent`'s child at `index` (among its nodes and tokens), a node at `start`, `len` long.
fn nth_child(parent: &SyntaxNode, index: usize, start: TextSize, len: TextSize) -> SyntaxNode {
    // One cursor, found by its range (children are in text order); an empty node shares its
    // offset with its neighbours, so it is counted to instead.
    if len > TextSize::from(0)
        && let Some(rowan::NodeOrToken::Node(node)) =
            parent.child_or_token_at_range(ra_ap_syntax::TextRange::at(start, len))
        && node.index() == index
    {
        return node;
    }
    parent
        .children_with_tokens()
        .nth(index)
        .and_then(|c| c.into_node())
        .expect("the child at index is a node")
}

/// The nodes of `kind` in `root`'s tree (`root` included), in text order: what
/// `root.descendants().filter(|n| n.kind() == kind)` gives, found by a walk of the green tree, so
/// that only the nodes found get a cursor (a full cursor walk allocates and frees one per node).
pub(crate) fn nodes_of_kind(root: &SyntaxNode, kind: SyntaxKind) -> Vec<SyntaxNode> {
    let mut scan = crate::nesting::scan_tree(root, false, &[kind]);
    nodes_at(root, kind, scan.ranges.pop().unwrap_or_default())
}

/// The nodes of `kind` at `ranges` of `root`'s tree (where [`crate::nesting::scan_tree`] or the
/// tree's builder found them), in the order of `ranges`.
pub(crate) fn nodes_at(
    root: &SyntaxNode,
    kind: SyntaxKind,
    ranges: Vec<ra_ap_syntax::TextRange>,
) -> Vec<SyntaxNode> {
    use ra_ap_syntax::NodeOrToken;
    ranges
        .into_iter()
        .filter(|r| !r.is_empty())
        .filter_map(|range| {
            let start = match root.covering_element(range) {
                NodeOrToken::Node(node) => node,
                NodeOrToken::Token(token) => token.parent()?,
            };
            start
                .ancestors()
                .find(|n| n.kind() == kind && n.text_range() == range)
        })
        .collect()
}

/// The Rust files of this repository (its sources, tests and benches), for tests that hold a scan
/// to the parser on real code; with `LOOPFIX_TEST_CORPUS=DIR`, the files under `DIR` too (a
/// vendored corpus, for a one-off check on a large body of code).
#[cfg(test)]
pub(crate) fn test_rust_files() -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("src"), root.join("tests"), root.join("benches")];
    stack.extend(std::env::var_os("LOOPFIX_TEST_CORPUS").map(std::path::PathBuf::from));
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                files.push((path, text));
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use ra_ap_syntax::{AstNode, Edition, SourceFile, SyntaxKind};

    /// The green walk finds what a cursor walk finds, in the same order: nested modules and
    /// blocks, macro calls in expressions and items, a broken item.
    #[test]
    fn nodes_of_kind_are_the_descendants_of_that_kind() {
        let text = "use a::b;\nmod m { use c::{d, e as f}; fn g() { use h::i; vec![j!(1)]; { use k; } } }\nfn broken( { use l; m!{} }\nmacro_rules! n { () => {} }\nprintln!(\"{}\", o!());\n";
        let file = SourceFile::parse(text, Edition::Edition2021).tree();
        for kind in [
            SyntaxKind::USE,
            SyntaxKind::MACRO_CALL,
            SyntaxKind::BLOCK_EXPR,
        ] {
            let expected: Vec<_> = file
                .syntax()
                .descendants()
                .filter(|n| n.kind() == kind)
                .collect();
            assert!(!expected.is_empty(), "{kind:?}");
            assert_eq!(
                super::nodes_of_kind(file.syntax(), kind),
                expected,
                "{kind:?}"
            );
        }
    }

    /// The walk that leaves out paths, names and types yields every node of the kinds asked
    /// for, in the order of the full walk; and the context it keeps is the one the ancestors
    /// give: calls in const generic arguments, array lengths, attributes, patterns and macro
    /// arguments, closures and async blocks, on a sample and on this repository's own files.
    #[test]
    fn the_wanted_walk_yields_what_the_full_walk_yields() {
        use super::{FileModel, Imports, KindSet, MacroBodies};
        let sample = "#[cfg(feature = \"x\")] fn f() -> [u8; g()] { h::<{ i() }>(); let j: [u8; k()] = [0; l()];\n\
            let Some(m!()) = n else { return }; o(|p: Q| async move { r().await; S::T.u() }); vec![v(), w(|| x())]; }\n\
            static A: std::sync::LazyLock<B> = std::sync::LazyLock::new(|| c()); impl D { async fn e(&self) { tokio::spawn(async { f() }); } }\n\
            const fn g() -> usize { [(); h()].len() } type I = <J as K<{ l() }>>::M;";
        let mut files = vec![(std::path::PathBuf::from("sample.rs"), sample.to_owned())];
        files.extend(super::test_rust_files());
        let kinds = [
            SyntaxKind::CALL_EXPR,
            SyntaxKind::METHOD_CALL_EXPR,
            SyntaxKind::PATH_EXPR,
            SyntaxKind::FN,
            SyntaxKind::LET_STMT,
            SyntaxKind::MACRO_CALL,
        ];
        let wanted = KindSet::of(&kinds);
        let mut calls = 0;
        for (path, text) in &files {
            let tree = SourceFile::parse(text, Edition::Edition2021).tree();
            let imports = Imports::new(&tree, std::collections::BTreeMap::new());
            let macros = MacroBodies::build(&tree, text, Edition::Edition2021);
            let model = FileModel::local(&tree, &imports, &macros, 0);
            let expected: Vec<_> = model
                .all_nodes()
                .filter(|(n, _)| kinds.contains(&n.kind()))
                .collect();
            let mut got = Vec::new();
            let mut walk = model.wanted_nodes(&wanted);
            while let Some((node, in_macro)) = walk.next() {
                if kinds.contains(&node.kind()) {
                    if !in_macro && node.kind() == SyntaxKind::CALL_EXPR {
                        calls += 1;
                        assert_eq!(
                            model.exec_context_in_walk(&walk),
                            model.exec_context(&node),
                            "{}: {node:?}",
                            path.display()
                        );
                        let owner = model.ancestors(&node).skip(1).find_map(ast_fn);
                        assert_eq!(walk.owner_fn().map(|(f, _)| f), owner);
                    }
                    got.push((node, in_macro));
                }
            }
            assert_eq!(got, expected, "{}", path.display());
        }
        assert!(calls > 1000, "the walk saw {calls} calls");
    }

    /// The memos keep the last call asked about and the calls that are what was asked: a call
    /// asked about again out of turn, either way, gets the answer it got first.
    #[test]
    fn a_call_asked_about_again_out_of_turn_gets_the_same_answer() {
        use super::{FileModel, Imports, MacroBodies};
        let text = "use tokio::runtime::Runtime;\nfn f() { let rt = Runtime::new().unwrap(); \
                    rt.block_on(g()); h(); rt.block_on(async { i().await }); j(); }";
        let tree = SourceFile::parse(text, Edition::Edition2021).tree();
        let externs: std::collections::BTreeMap<String, String> =
            [("tokio".to_owned(), "tokio".to_owned())]
                .into_iter()
                .collect();
        let imports = Imports::new(&tree, externs);
        let macros = MacroBodies::default();
        let model = FileModel::local(&tree, &imports, &macros, 0);
        let calls: Vec<_> = tree
            .syntax()
            .descendants()
            .filter(|n| {
                matches!(
                    n.kind(),
                    SyntaxKind::CALL_EXPR | SyntaxKind::METHOD_CALL_EXPR
                )
            })
            .collect();
        let ask = |order: &mut dyn Iterator<Item = &ra_ap_syntax::SyntaxNode>| {
            order
                .map(|c| {
                    let r = c.text_range();
                    (
                        (u32::from(r.start()), u32::from(r.end())),
                        model.block_on(c).is_some(),
                    )
                })
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let first = ask(&mut calls.iter());
        assert_eq!(first.values().filter(|b| **b).count(), 2, "{first:?}");
        assert_eq!(ask(&mut calls.iter().rev()), first);
        assert_eq!(ask(&mut calls.iter().step_by(2).chain(calls.iter())), first);
    }

    fn ast_fn(node: ra_ap_syntax::SyntaxNode) -> Option<ra_ap_syntax::ast::Fn> {
        ra_ap_syntax::ast::Fn::cast(node)
    }
}
