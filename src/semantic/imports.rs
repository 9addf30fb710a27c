//! What a path means in one file: `use` trees (renames, `self`, nested braces, globs of known
//! crates) and the package's dependency names (renamed dependencies included).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use ra_ap_syntax::{
    AstNode, SourceFile, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasName},
};

/// Names brought into one scope (a file, an inline module, or a block) by `use` items.
#[derive(Debug, Default)]
struct Scope {
    range: TextRange,
    /// Local name to the path it stands for, as written (`tokio::runtime::Runtime`).
    names: HashMap<String, Vec<String>>,
    /// Modules whose items are glob-imported.
    globs: Vec<Vec<String>>,
}

/// Items of well-known crates that a glob import can bring into scope. Only these are resolved
/// through globs: anything else stays unknown, so no rule fires on a guess.
const GLOB_ITEMS: &[(&str, &[&str])] = &[
    ("tokio::runtime", &["Runtime", "Handle", "Builder"]),
    (
        "tokio::task",
        &[
            "LocalSet",
            "spawn_blocking",
            "block_in_place",
            "spawn",
            "spawn_local",
        ],
    ),
    ("futures::executor", &["block_on"]),
    ("futures_executor", &["block_on"]),
    ("futures_lite::future", &["block_on"]),
    ("smol", &["block_on"]),
    ("async_std::task", &["block_on", "spawn_blocking"]),
    ("pollster", &["block_on", "FutureExt"]),
    ("std::thread", &["spawn", "sleep"]),
];

/// Names of the standard prelude, by the path they stand for.
const PRELUDE: &[(&str, &str)] = &[
    ("Box", "std::boxed::Box"),
    ("Vec", "std::vec::Vec"),
    ("String", "std::string::String"),
    ("Option", "std::option::Option"),
    ("Some", "std::option::Option::Some"),
    ("None", "std::option::Option::None"),
    ("Result", "std::result::Result"),
    ("Ok", "std::result::Result::Ok"),
    ("Err", "std::result::Result::Err"),
    ("drop", "std::mem::drop"),
    ("Default", "std::default::Default"),
    ("Clone", "std::clone::Clone"),
    ("ToString", "std::string::ToString"),
    ("ToOwned", "std::borrow::ToOwned"),
    ("Iterator", "std::iter::Iterator"),
    ("IntoIterator", "std::iter::IntoIterator"),
    ("From", "std::convert::From"),
    ("Into", "std::convert::Into"),
];

/// Crates a file is assumed to see when it belongs to no cargo package (unit tests, fixtures).
pub const KNOWN_CRATES: &[&str] = &[
    "reqwest",
    "ureq",
    "postgres",
    "hyper",
    "sqlx",
    "tonic",
    "redis",
    "tokio",
    "futures",
    "futures_executor",
    "futures_lite",
    "smol",
    "async_std",
    "pollster",
    "tokio_test",
    "actix_rt",
    "actix_web",
    "axum",
    "rocket",
    "poem",
    "tower",
    "hyper_util",
    "mongodb",
];

#[derive(Debug)]
pub struct Imports {
    /// Configured APIs that run their closure off the async task (kept with the imports: both are
    /// what the file's packages declare).
    off_thread: Vec<String>,
    /// Configured runtime-bound client types.
    clients: Vec<String>,
    /// Configured blocking functions.
    blocking: Vec<String>,
    scopes: Vec<Scope>,
    /// Shared by the files of the same packages.
    externs: Arc<BTreeMap<String, String>>,
    /// Top-level module names of the file, which shadow crate names.
    local_modules: Vec<String>,
}

impl Imports {
    pub fn new(file: &SourceFile, externs: impl Into<Arc<BTreeMap<String, String>>>) -> Imports {
        let uses = super::nodes_of_kind(file.syntax(), SyntaxKind::USE);
        Imports::of_uses(file, uses, externs)
    }

    /// [`Imports::new`], given the file's `use` items (every one, in text order), found by a
    /// walk the caller makes anyway.
    pub fn of_uses(
        file: &SourceFile,
        uses: Vec<SyntaxNode>,
        externs: impl Into<Arc<BTreeMap<String, String>>>,
    ) -> Imports {
        let externs = externs.into();
        let mut scopes: Vec<Scope> = Vec::new();
        for use_item in uses.into_iter().filter_map(ast::Use::cast) {
            let Some(tree) = use_item.use_tree() else {
                continue;
            };
            let Some(container) = use_item.syntax().parent() else {
                continue;
            };
            let range = match container.kind() {
                SyntaxKind::SOURCE_FILE | SyntaxKind::ITEM_LIST | SyntaxKind::STMT_LIST => {
                    container.text_range()
                }
                _ => continue,
            };
            let index = match scopes.iter().position(|s| s.range == range) {
                Some(i) => i,
                None => {
                    scopes.push(Scope {
                        range,
                        ..Scope::default()
                    });
                    scopes.len() - 1
                }
            };
            flatten(&tree, &[], &mut scopes[index]);
        }
        // Innermost scopes first, so the first match is the nearest.
        scopes.sort_by_key(|s| std::cmp::Reverse(s.range.start()));
        let local_modules = file
            .syntax()
            .children()
            .filter_map(ast::Module::cast)
            .filter_map(|m| m.name())
            .map(|n| n.text().to_string())
            .collect();
        Imports {
            off_thread: Vec::new(),
            clients: Vec::new(),
            blocking: Vec::new(),
            scopes,
            externs,
            local_modules,
        }
    }

    /// The crate-rooted path that `segments`, written at `offset`, stands for, when it leads into
    /// an external crate: `["Rt", "new"]` after `use tokio::runtime::Runtime as Rt;` gives
    /// `tokio::runtime::Runtime::new`. `None` for workspace-local or unknown paths.
    pub fn resolve(&self, segments: &[String], offset: TextSize, absolute: bool) -> Option<String> {
        let resolved = self.expand(segments, offset, absolute, 0)?;
        Some(resolved.join("::"))
    }

    fn expand(
        &self,
        segments: &[String],
        offset: TextSize,
        absolute: bool,
        depth: u8,
    ) -> Option<Vec<String>> {
        let (first, rest) = segments.split_first()?;
        if depth > 8 {
            return None;
        }
        if absolute {
            let krate = self.externs.get(first)?;
            return Some(
                std::iter::once(krate.clone())
                    .chain(rest.iter().cloned())
                    .collect(),
            );
        }
        if matches!(first.as_str(), "crate" | "self" | "super" | "Self") {
            return None;
        }
        for scope in self
            .scopes
            .iter()
            .filter(|s| s.range.contains_inclusive(offset))
        {
            if let Some(target) = scope.names.get(first) {
                let mut full = target.clone();
                full.extend(rest.iter().cloned());
                // `use` paths are crate-relative: their first segment is a crate or a local module.
                return self.expand(&full, offset, true, depth + 1).or_else(|| {
                    (full.first().map(String::as_str) == Some("std")
                        || full.first().map(String::as_str) == Some("core"))
                    .then_some(full)
                });
            }
        }
        if !self.local_modules.iter().any(|m| m == first) {
            if let Some(krate) = self.externs.get(first) {
                return Some(
                    std::iter::once(krate.clone())
                        .chain(rest.iter().cloned())
                        .collect(),
                );
            }
            if matches!(first.as_str(), "std" | "core" | "alloc") {
                return Some(segments.to_vec());
            }
            if let Some((_, path)) = PRELUDE.iter().find(|(name, _)| name == first) {
                let mut full: Vec<String> = path.split("::").map(str::to_owned).collect();
                full.extend(rest.iter().cloned());
                return Some(full);
            }
        }
        for scope in self
            .scopes
            .iter()
            .filter(|s| s.range.contains_inclusive(offset))
        {
            for glob in &scope.globs {
                let Some(module) = self.expand(glob, offset, true, depth + 1) else {
                    continue;
                };
                let module = module.join("::");
                let known = GLOB_ITEMS
                    .iter()
                    .any(|(m, items)| *m == module && items.contains(&first.as_str()));
                if known {
                    let mut full: Vec<String> = module.split("::").map(str::to_owned).collect();
                    full.extend(segments.iter().cloned());
                    return Some(full);
                }
            }
        }
        None
    }

    /// `segments` with an imported first segment replaced by the `use` path it names, as written
    /// (`crate::config::load`, `super::x`, `other_crate::f`); unchanged when nothing is imported.
    pub fn expand_local(&self, segments: &[String], offset: TextSize) -> Vec<String> {
        if let Some((first, rest)) = segments.split_first() {
            let target = self
                .scopes
                .iter()
                .filter(|s| s.range.contains_inclusive(offset))
                .find_map(|s| s.names.get(first));
            if let Some(target) = target {
                return target.iter().chain(rest).cloned().collect();
            }
        }
        segments.to_vec()
    }

    /// The crate a dependency name stands for in this file (`rt` -> `tokio`).
    pub fn extern_crate(&self, name: &str) -> Option<&str> {
        self.externs.get(name).map(String::as_str)
    }

    /// The same imports, with configured off-thread APIs.
    pub fn with_off_thread(mut self, apis: Vec<String>) -> Imports {
        self.off_thread = apis;
        self
    }

    pub fn off_thread(&self) -> &[String] {
        &self.off_thread
    }

    /// The same imports, with configured client types.
    pub fn with_clients(mut self, types: Vec<String>) -> Imports {
        self.clients = types;
        self
    }

    pub fn clients(&self) -> &[String] {
        &self.clients
    }

    /// The same imports, with configured blocking functions.
    pub fn with_blocking(mut self, functions: Vec<String>) -> Imports {
        self.blocking = functions;
        self
    }

    pub fn blocking(&self) -> &[String] {
        &self.blocking
    }

    /// The name this file uses for the crate `krate` (`rt` for `rt = { package = "tokio" }`).
    pub fn local_crate_name(&self, krate: &str) -> Option<&str> {
        self.externs
            .iter()
            .find(|(_, c)| c.as_str() == krate)
            .map(|(local, _)| local.as_str())
    }

    /// Glob-imported module paths in scope at `offset`, as written (`crate::util`).
    pub fn globs_at(&self, offset: TextSize) -> impl Iterator<Item = &Vec<String>> {
        self.scopes
            .iter()
            .filter(move |s| s.range.contains_inclusive(offset))
            .flat_map(|s| &s.globs)
    }

    /// Whether the trait `path` (e.g. `pollster::FutureExt`) is in scope at `offset`, by name or glob.
    pub fn trait_in_scope(&self, path: &str, offset: TextSize) -> bool {
        let (module, name) = path.rsplit_once("::").unwrap_or(("", path));
        self.scopes
            .iter()
            .filter(|s| s.range.contains_inclusive(offset))
            .any(|scope| {
                scope.names.iter().any(|(_, target)| {
                    target.last().map(String::as_str) == Some(name)
                        && self
                            .expand(target, offset, true, 1)
                            .is_some_and(|t| t.join("::") == path)
                }) || scope.globs.iter().any(|g| {
                    self.expand(g, offset, true, 1)
                        .is_some_and(|m| m.join("::") == module)
                })
            })
    }
}

/// The names one `use` tree binds: `(local name, path as written)`; globs are not included.
pub fn bindings(tree: &ast::UseTree) -> Bindings {
    bindings_and_globs(tree).0
}

/// Local names and the paths they stand for, as written.
pub type Bindings = Vec<(String, Vec<String>)>;

/// [`bindings`], and the modules the tree glob-imports (`a::b` for `use a::b::*`), as written.
pub fn bindings_and_globs(tree: &ast::UseTree) -> (Bindings, Vec<Vec<String>>) {
    let mut scope = Scope::default();
    flatten(tree, &[], &mut scope);
    (scope.names.into_iter().collect(), scope.globs)
}

fn flatten(tree: &ast::UseTree, prefix: &[String], scope: &mut Scope) {
    let mut path: Vec<String> = prefix.to_vec();
    if let Some(p) = tree.path() {
        path.extend(segments_of(&p));
    }
    if let Some(list) = tree.use_tree_list() {
        for sub in list.use_trees() {
            flatten(&sub, &path, scope);
        }
        return;
    }
    if tree.star_token().is_some() {
        scope.globs.push(path);
        return;
    }
    if path.last().map(String::as_str) == Some("self") {
        path.pop();
    }
    let Some(last) = path.last().cloned() else {
        return;
    };
    let local = match tree.rename() {
        Some(rename) => match rename.name() {
            Some(name) => name.text().to_string(),
            // `as _` brings only trait methods into scope: keep it under a name no code can write.
            None => format!("_ as {}", path.join("::")),
        },
        None => last,
    };
    scope.names.insert(local, path);
}

/// The segments of a path as written, without generic arguments: `tokio::runtime::Runtime`.
pub fn segments_of(path: &ast::Path) -> Vec<String> {
    written(path).segments
}

/// A path as written: what `ast::Path::segments` gives, read off its green tree (each step of
/// the `ast` walk builds a cursor; paths are read at every call).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WrittenPath {
    /// Each segment's name, or its whole text where it has none (`<T as Trait>`).
    pub segments: Vec<String>,
    /// The first segment starts with `::`.
    pub absolute: bool,
    /// A segment is a type anchor: `<T as Trait>::f`, `<Vec<u8>>::new`.
    pub anchored: bool,
    /// Where the name of the path's own (last) segment is, as `path.segment()?.name_ref()?`
    /// gives it.
    pub name: Option<TextRange>,
}

/// The first child node of `kind` of `node`, and where it starts relative to `node`.
fn green_child(
    node: &rowan::GreenNodeData,
    kind: SyntaxKind,
) -> Option<(&rowan::GreenNodeData, TextSize)> {
    let mut at = TextSize::from(0);
    for c in node.children() {
        if let ra_ap_syntax::NodeOrToken::Node(n) = c
            && SyntaxKind::from(n.kind().0) == kind
        {
            return Some((n, at));
        }
        at += c.text_len();
    }
    None
}

/// The range of the name of `path`'s own segment, `path` starting at `start`.
fn own_name(path: &rowan::GreenNodeData, start: TextSize) -> Option<TextRange> {
    let (segment, at) = green_child(path, SyntaxKind::PATH_SEGMENT)?;
    let (name, within) = green_child(segment, SyntaxKind::NAME_REF)?;
    Some(TextRange::at(start + at + within, name.text_len()))
}

/// `path` as written ([`WrittenPath`]).
pub fn written(path: &ast::Path) -> WrittenPath {
    fn child(node: &rowan::GreenNodeData, kind: SyntaxKind) -> Option<&rowan::GreenNodeData> {
        green_child(node, kind).map(|(n, _)| n)
    }
    let green = path.syntax().green();
    let mut out = WrittenPath {
        name: own_name(green, path.syntax().text_range().start()),
        ..WrittenPath::default()
    };
    // A path's qualifier is its first child path: the chain from the innermost out.
    let mut chain = vec![green];
    while let Some(qualifier) = chain.last().and_then(|p| child(p, SyntaxKind::PATH)) {
        chain.push(qualifier);
    }
    for (i, p) in chain.iter().rev().enumerate() {
        // As `segments()`: it stops at a path without a segment (broken code).
        let Some(segment) = child(p, SyntaxKind::PATH_SEGMENT) else {
            break;
        };
        if i == 0 {
            out.absolute = segment.children().any(|c| {
                c.as_token()
                    .is_some_and(|t| SyntaxKind::from(t.kind().0) == SyntaxKind::COLON2)
            });
        }
        out.anchored |= child(segment, SyntaxKind::TYPE_ANCHOR).is_some();
        let name = child(segment, SyntaxKind::NAME_REF)
            .and_then(|n| n.children().next()?.into_token())
            .map(|t| t.text().to_owned());
        out.segments
            .push(name.unwrap_or_else(|| segment.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{AstNode, Edition};

    /// What the path at `$0` resolves to, with `externs` as the package's dependencies.
    #[track_caller]
    fn resolve_at(text: &str, externs: &[(&str, &str)]) -> Option<String> {
        let offset = text.find("$0").expect("a $0 marker");
        let text = text.replace("$0", "");
        let file = SourceFile::parse(&text, Edition::Edition2021).tree();
        let externs = externs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<BTreeMap<_, _>>();
        let imports = Imports::new(&file, externs);
        let path = file
            .syntax()
            .token_at_offset(TextSize::from(offset as u32))
            .right_biased()?
            .parent_ancestors()
            .filter_map(ast::Path::cast)
            .last()?;
        let absolute = path
            .first_segment()
            .is_some_and(|s| s.coloncolon_token().is_some());
        imports.resolve(
            &segments_of(&path),
            path.syntax().text_range().start(),
            absolute,
        )
    }

    const TOKIO: &[(&str, &str)] = &[("tokio", "tokio"), ("futures", "futures")];

    #[test]
    fn renamed_import() {
        let text = "use tokio::runtime::Runtime as Rt;\nfn f() { $0Rt::new(); }";
        assert_eq!(
            resolve_at(text, TOKIO).as_deref(),
            Some("tokio::runtime::Runtime::new")
        );
    }

    #[test]
    fn function_import_and_nested_braces_with_self() {
        let text = "use futures::{executor::{self, block_on}};\nfn f() { $0block_on(x); }";
        assert_eq!(
            resolve_at(text, TOKIO).as_deref(),
            Some("futures::executor::block_on")
        );
        let text =
            "use futures::{executor::{self, block_on}};\nfn f() { $0executor::block_on(x); }";
        assert_eq!(
            resolve_at(text, TOKIO).as_deref(),
            Some("futures::executor::block_on")
        );
    }

    #[test]
    fn renamed_dependency() {
        let text = "fn f() { $0rt::spawn(x); }";
        assert_eq!(
            resolve_at(text, &[("rt", "tokio")]).as_deref(),
            Some("tokio::spawn")
        );
        assert_eq!(
            resolve_at(text, TOKIO),
            None,
            "`rt` is not a dependency here"
        );
    }

    #[test]
    fn block_scoped_use_and_absolute_paths() {
        let text = "fn f() {\n    use tokio::runtime::Handle;\n    $0Handle::current();\n}\nfn g() { Handle::current(); }";
        assert_eq!(
            resolve_at(text, TOKIO).as_deref(),
            Some("tokio::runtime::Handle::current")
        );
        let outside =
            "fn f() {\n    use tokio::runtime::Handle;\n}\nfn g() { $0Handle::current(); }";
        assert_eq!(
            resolve_at(outside, TOKIO),
            None,
            "the import is scoped to `f`'s block"
        );
        assert_eq!(
            resolve_at("fn f() { $0::tokio::spawn(x); }", TOKIO).as_deref(),
            Some("tokio::spawn")
        );
    }

    #[test]
    fn globs_resolve_only_known_items() {
        let text = "use tokio::runtime::*;\nfn f() { $0Runtime::new(); }";
        assert_eq!(
            resolve_at(text, TOKIO).as_deref(),
            Some("tokio::runtime::Runtime::new")
        );
        let text = "use tokio::runtime::*;\nfn f() { $0Mystery::new(); }";
        assert_eq!(resolve_at(text, TOKIO), None);
    }

    #[test]
    fn local_modules_shadow_crates_and_workspace_paths_are_not_external() {
        let text = "mod tokio { pub fn spawn() {} }\nfn f() { $0tokio::spawn(); }";
        assert_eq!(resolve_at(text, TOKIO), None);
        assert_eq!(resolve_at("fn f() { $0crate::util::go(); }", TOKIO), None);
        assert_eq!(
            resolve_at("fn f() { $0std::thread::sleep(d); }", TOKIO).as_deref(),
            Some("std::thread::sleep")
        );
    }

    #[test]
    fn anonymous_trait_imports_are_in_scope() {
        let text = "use pollster::FutureExt as _;\nfn f() {}";
        let file = SourceFile::parse(text, Edition::Edition2021).tree();
        let externs = [("pollster".to_owned(), "pollster".to_owned())]
            .into_iter()
            .collect::<BTreeMap<_, _>>();
        let imports = Imports::new(&file, externs);
        assert!(imports.trait_in_scope("pollster::FutureExt", TextSize::from(35)));
        assert!(!imports.trait_in_scope("other::FutureExt", TextSize::from(35)));
    }

    #[test]
    fn a_path_read_off_its_green_tree_is_what_its_ast_says() {
        let text = format!(
            "{}\n{}\n{}",
            include_str!("graph.rs"),
            include_str!("imports.rs"),
            "fn f() { ::std::mem::drop(1); <T as Trait>::f(); <Vec<u8>>::new(); a::<T>::b(); \
             crate::x::y; self::z; super::w; a:: ; ::; Self::new(); r#type::r#fn(); }"
        );
        let file = SourceFile::parse(&text, Edition::Edition2021).tree();
        let mut n = 0;
        for path in file.syntax().descendants().filter_map(ast::Path::cast) {
            let expected = WrittenPath {
                segments: path
                    .segments()
                    .map(|seg| match seg.name_ref() {
                        Some(name) => name.text().to_string(),
                        None => seg.syntax().text().to_string(),
                    })
                    .collect(),
                absolute: path
                    .first_segment()
                    .is_some_and(|s| s.coloncolon_token().is_some()),
                anchored: path.segments().any(|s| s.type_anchor().is_some()),
                name: path
                    .segment()
                    .and_then(|s| s.name_ref())
                    .map(|n| n.syntax().text_range()),
            };
            assert_eq!(written(&path), expected, "{path}");
            n += 1;
        }
        assert!(n > 1000, "{n}");
    }
}
