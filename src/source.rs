//! The set of source files of a run: discovered from the targets' roots by following `mod`
//! declarations, each read and parsed exactly once, in parallel.

use std::collections::HashMap;

use camino::{Utf8Path, Utf8PathBuf};
use line_index::LineIndex;
use ra_ap_syntax::{
    AstNode, Edition, Parse, SourceFile as AstSourceFile, SyntaxError, TextRange,
    ast::{self, HasAttrs, HasModuleItem, HasName},
};
use rayon::prelude::*;

use crate::workspace::{Kind, Workspace};

/// Where a file sits in the crate graph. A file may be reached from several targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub package: usize,
    pub target: usize,
    pub kind: Kind,
    /// `["crate", "net", "client"]`.
    pub module_path: Vec<String>,
}

/// One file of the run. Its text is read up front; its syntax tree is built on demand
/// ([`SourceFile::parse`]) and not kept: a run parses only the files that can matter, and drops
/// each tree when it is done with it.
#[derive(Clone)]
pub struct SourceFile {
    pub path: Utf8PathBuf,
    /// Relative to the workspace root, `/`-separated.
    pub rel_path: String,
    pub text: String,
    pub edition: Edition,
    pub line_index: LineIndex,
    pub owners: Vec<Owner>,
    /// Brackets nested deeper than [`crate::nesting::MAX_DEPTH`]: never parsed (the tree is empty).
    pub too_deep: Option<usize>,
    /// What the first parse found.
    syntax: std::sync::OnceLock<SyntaxFacts>,
}

#[derive(Clone, Debug)]
struct SyntaxFacts {
    /// Syntax errors (parser and validation).
    errors: Vec<SyntaxError>,
    /// The tree nests deeper than [`crate::nesting::MAX_TREE_DEPTH`]: treated as empty.
    tree_too_deep: Option<usize>,
}

impl SourceFile {
    pub fn new(path: Utf8PathBuf, rel_path: String, text: String, edition: Edition) -> SourceFile {
        // The parser recurses per nesting level: a pathologically deep file gets an empty tree.
        let depth = crate::nesting::depth(&text);
        let too_deep = (depth > crate::nesting::MAX_DEPTH).then_some(depth);
        let line_index = LineIndex::new(&text);
        SourceFile {
            path,
            rel_path,
            text,
            edition,
            line_index,
            owners: Vec::new(),
            too_deep,
            syntax: std::sync::OnceLock::new(),
        }
    }

    /// The file's syntax tree, parsed now (each call parses again: keep it while you need it).
    pub fn parse(&self) -> Parse<AstSourceFile> {
        let empty = || AstSourceFile::parse("", self.edition);
        if self.too_deep.is_some() || self.syntax.get().is_some_and(|s| s.tree_too_deep.is_some()) {
            return empty();
        }
        // rust-analyzer's parser rejects a byte-order mark, rustc skips it: parse it as three
        // spaces (the same three bytes), so every offset still points into `text`.
        let parsed: std::borrow::Cow<'_, str> = match self.text.strip_prefix('\u{feff}') {
            Some(rest) => format!("   {rest}").into(),
            None => self.text.as_str().into(),
        };
        let mut parse = AstSourceFile::parse(&parsed, self.edition);
        if self.syntax.get().is_none() {
            // Long chains (`a.b().c()...`, `1 + 1 + ...`) nest the tree without brackets: every
            // walk up from a node would cost the whole chain.
            let tree_depth = crate::nesting::tree_depth(&parse.syntax_node());
            let tree_too_deep = (tree_depth > crate::nesting::MAX_TREE_DEPTH).then_some(tree_depth);
            let errors = if tree_too_deep.is_some() {
                Vec::new()
            } else {
                parse.errors()
            };
            let _ = self.syntax.set(SyntaxFacts {
                errors,
                tree_too_deep,
            });
            if tree_too_deep.is_some() {
                parse = empty();
            }
        }
        parse
    }

    pub fn tree(&self) -> AstSourceFile {
        self.parse().tree()
    }

    /// Whether the file has been parsed in this run.
    pub fn is_parsed(&self) -> bool {
        self.syntax.get().is_some()
    }

    fn syntax_facts(&self) -> &SyntaxFacts {
        if self.syntax.get().is_none() {
            drop(self.parse());
        }
        self.syntax.get().expect("set by the first parse")
    }

    /// Syntax errors (parser and validation); parses the file if it was not parsed yet.
    pub fn errors(&self) -> &[SyntaxError] {
        if self.too_deep.is_some() {
            return &[];
        }
        &self.syntax_facts().errors
    }

    /// How deep the file nests when it is too deep to parse (brackets, or the tree of a long
    /// chain); parses the file if needed.
    pub fn nesting_exceeded(&self) -> Option<usize> {
        self.too_deep.or_else(|| self.syntax_facts().tree_too_deep)
    }

    /// Warnings about the file that its parse found: syntax errors, a tree too deep to walk.
    /// Empty for a file not parsed in this run.
    pub fn parse_warning(&self) -> Option<String> {
        let facts = self.syntax.get()?;
        if let Some(depth) = facts.tree_too_deep {
            return Some(format!(
                "{}: skipped: code nested {depth} levels deep (more than the parsers can take safely)",
                self.rel_path
            ));
        }
        let err = facts.errors.first()?;
        let (line, col) = self.line_col_chars(err.range().start());
        Some(format!(
            "{}:{line}:{col}: syntax error: {err}; findings there are reported, but no fix will edit the affected item",
            self.rel_path
        ))
    }

    /// Ranges in which no fix may edit: the items (or, outside items, the whole file) that hold a
    /// syntax error, since their tree is a recovery guess.
    pub fn broken_regions(&self, root: &AstSourceFile) -> Vec<TextRange> {
        let errors = self.errors();
        if errors.is_empty() {
            return Vec::new();
        }
        let mut regions: Vec<TextRange> = errors
            .iter()
            .map(|err| {
                let offset = err.range().start();
                root.items()
                    .map(|item| item.syntax().text_range())
                    .find(|r| r.contains_inclusive(offset))
                    .unwrap_or_else(|| root.syntax().text_range())
            })
            .collect();
        regions.sort_by_key(|r| (r.start(), r.end()));
        regions.dedup();
        regions
    }

    /// 1-based line and 1-based column in characters (rustc's convention) of a byte offset.
    pub fn line_col_chars(&self, offset: ra_ap_syntax::TextSize) -> (u32, u32) {
        let lc = self.line_index.line_col(offset);
        let col = self
            .line_index
            .to_wide(line_index::WideEncoding::Utf32, lc)
            .map_or(lc.col, |w| w.col);
        (lc.line + 1, col + 1)
    }

    /// 1-based line and 1-based column in UTF-8 bytes of a byte offset (reviewdog's convention).
    pub fn line_col_bytes(&self, offset: ra_ap_syntax::TextSize) -> (u32, u32) {
        let lc = self.line_index.line_col(offset);
        (lc.line + 1, lc.col + 1)
    }

    /// The text of the 1-based line `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        self.text
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or_default()
    }
}

/// A problem found while loading files: shown as `warning:`, never fatal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LoadWarning {
    pub message: String,
}

/// All files of the selected targets, sorted by (absolute) path.
#[derive(Clone)]
pub struct SourceSet {
    pub files: Vec<SourceFile>,
    pub warnings: Vec<LoadWarning>,
}

struct Pending {
    path: Utf8PathBuf,
    edition: Edition,
    owner: Owner,
    /// Directory in which this file's out-of-line child modules live.
    child_dir: Utf8PathBuf,
    /// Reached through a `#[cfg(..)]`-gated (or macro-gated) `mod`: its own missing children are
    /// not reported either (published crates often leave out the files of test modules).
    gated: bool,
}

/// A file read and parsed, with its `mod` declarations; or why it could not be.
type Loaded = Result<(SourceFile, Vec<ModDecl>), String>;

struct ModDecl {
    name: String,
    candidates: Vec<Utf8PathBuf>,
    /// The file's directory for children when found via `#[path]` (treated like `mod.rs`).
    by_path_attr: bool,
    cfg_gated: bool,
    line: u32,
}

impl SourceSet {
    /// Discover and parse every file reachable from the selected targets' roots.
    pub fn load(workspace: &Workspace) -> SourceSet {
        SourceSet::load_observed(workspace, &|| {})
    }

    /// [`SourceSet::load`], calling `on_file` as each file is read and parsed.
    pub fn load_observed(workspace: &Workspace, on_file: &(dyn Fn() + Sync)) -> SourceSet {
        let mut queue = Vec::new();
        for (pi, package) in workspace.packages.iter().enumerate() {
            for (ti, target) in package.targets.iter().enumerate() {
                let root = target.meta.src_path.clone();
                let child_dir = root.parent().map(Utf8Path::to_owned).unwrap_or_default();
                queue.push(Pending {
                    path: root,
                    edition: target.edition,
                    owner: Owner {
                        package: pi,
                        target: ti,
                        kind: target.kind,
                        module_path: vec!["crate".into()],
                    },
                    child_dir,
                    gated: false,
                });
            }
        }
        let mut files: Vec<SourceFile> = Vec::new();
        let mut by_path: HashMap<Utf8PathBuf, usize> = HashMap::new();
        let mut warnings = Vec::new();
        while !queue.is_empty() {
            // Files already loaded only gain an owner; the rest are read and parsed in parallel.
            let mut fresh: Vec<Pending> = Vec::new();
            let mut late_owners: Vec<(Utf8PathBuf, Owner)> = Vec::new();
            let mut in_wave: std::collections::HashSet<Utf8PathBuf> = Default::default();
            for mut p in queue.drain(..) {
                let key = normalize(&p.path);
                if by_path.contains_key(&key) || in_wave.contains(&key) {
                    late_owners.push((key, p.owner));
                } else {
                    in_wave.insert(key.clone());
                    p.path = key;
                    fresh.push(p);
                }
            }
            let loaded: Vec<(Pending, Loaded)> = fresh
                .into_par_iter()
                .map(|p| {
                    let result = load_one(workspace, &p);
                    on_file();
                    (p, result)
                })
                .collect();
            for (pending, result) in loaded {
                match result {
                    Err(message) => warnings.push(LoadWarning { message }),
                    Ok((mut file, decls)) => {
                        for decl in decls {
                            match decl.candidates.iter().find(|c| c.is_file()) {
                                Some(found) => {
                                    let mut module_path = pending.owner.module_path.clone();
                                    module_path.push(decl.name.clone());
                                    let child_dir = child_dir_of(found, decl.by_path_attr);
                                    queue.push(Pending {
                                        path: found.clone(),
                                        edition: pending.edition,
                                        owner: Owner {
                                            module_path,
                                            ..pending.owner.clone()
                                        },
                                        child_dir,
                                        gated: pending.gated || decl.cfg_gated,
                                    });
                                }
                                None if decl.cfg_gated || pending.gated => {}
                                None => {
                                    let tried: Vec<String> = decl
                                        .candidates
                                        .iter()
                                        .map(|c| workspace.relative(c))
                                        .collect();
                                    warnings.push(LoadWarning {
                                        message: format!(
                                            "{}:{}: file not found for module `{}` (looked for {})",
                                            file.rel_path,
                                            decl.line,
                                            decl.name,
                                            tried.join(", ")
                                        ),
                                    });
                                }
                            }
                        }
                        file.owners.push(pending.owner);
                        by_path.insert(file.path.clone(), files.len());
                        files.push(file);
                    }
                }
            }
            for (key, owner) in late_owners {
                if let Some(&i) = by_path.get(&key)
                    && !files[i].owners.contains(&owner)
                {
                    files[i].owners.push(owner);
                }
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        warnings.sort();
        warnings.dedup();
        SourceSet { files, warnings }
    }

    /// The file at `path`; `files` is sorted by path.
    pub fn get(&self, path: &Utf8Path) -> Option<&SourceFile> {
        let i = self
            .files
            .binary_search_by(|f| f.path.as_path().cmp(path))
            .ok()?;
        Some(&self.files[i])
    }

    /// Put rewritten (already parsed) files in place of the files at their paths.
    pub fn replace(&mut self, files: impl IntoIterator<Item = SourceFile>) {
        for file in files {
            if let Ok(i) = self.files.binary_search_by(|f| f.path.cmp(&file.path)) {
                self.files[i] = file;
            }
        }
    }
}

fn normalize(path: &Utf8Path) -> Utf8PathBuf {
    path.canonicalize_utf8().unwrap_or_else(|_| path.to_owned())
}

/// `foo.rs` keeps its children in `foo/`; `mod.rs`, `lib.rs`, `main.rs` and `#[path]` files in
/// their own directory.
fn child_dir_of(file: &Utf8Path, by_path_attr: bool) -> Utf8PathBuf {
    let dir = file.parent().map(Utf8Path::to_owned).unwrap_or_default();
    if by_path_attr || file.file_name() == Some("mod.rs") {
        dir
    } else {
        dir.join(file.file_stem().unwrap_or_default())
    }
}

fn load_one(workspace: &Workspace, p: &Pending) -> Loaded {
    let rel = workspace.relative(&p.path);
    let bytes = std::fs::read(&p.path).map_err(|e| format!("{rel}: could not read file: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{rel}: skipped: not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let file = SourceFile::new(p.path.clone(), rel.clone(), text, p.edition);
    if let Some(depth) = file.too_deep {
        return Err(format!(
            "{rel}: skipped: code nested {depth} levels deep (more than the parsers can take safely)"
        ));
    }
    let mut decls = Vec::new();
    // Only a file that declares an out-of-line module (`mod x;`, also inside an inline module or
    // a macro) is parsed to find its children.
    if declares_modules(&file.text) {
        let file_dir = p.path.parent().map(Utf8Path::to_owned).unwrap_or_default();
        collect_mods(
            &file,
            file.tree().items(),
            &p.child_dir,
            &file_dir,
            false,
            &mut decls,
        );
    }
    Ok((file, decls))
}

/// Whether `text` holds `mod <name> ;` (whitespace and comments aside only as spaces): the
/// shape of every out-of-line module declaration. Comments and strings may match: a few more
/// files are parsed, never fewer.
pub fn declares_modules(text: &str) -> bool {
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    for at in memchr::memmem::find_iter(bytes, b"mod") {
        if at > 0 && ident(bytes[at - 1]) {
            continue;
        }
        let mut i = at + 3;
        let spaces = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        if spaces == 0 {
            continue;
        }
        i += spaces;
        if bytes[i..].starts_with(b"r#") {
            i += 2;
        }
        let name = bytes[i..].iter().take_while(|&&b| ident(b)).count();
        if name == 0 {
            continue;
        }
        i += name;
        i += bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        if bytes.get(i) == Some(&b';') {
            return true;
        }
    }
    false
}

fn collect_mods(
    file: &SourceFile,
    items: impl Iterator<Item = ast::Item>,
    child_dir: &Utf8Path,
    file_dir: &Utf8Path,
    inside_inline: bool,
    out: &mut Vec<ModDecl>,
) {
    for item in items {
        let module = match item {
            ast::Item::Module(module) => module,
            // `cfg_if! { if #[cfg(unix)] { mod unix; } else { mod other; } }`, `cfg_rt! { mod rt; }`:
            // declarations inside item macros are followed too; they are gated, so a missing file
            // is not reported.
            ast::Item::MacroCall(call) => {
                for name in macro_mod_names(&call) {
                    let anchor = call.syntax().text_range().start();
                    let (line, _) = file.line_col_chars(anchor);
                    out.push(ModDecl {
                        candidates: vec![
                            child_dir.join(format!("{name}.rs")),
                            child_dir.join(&name).join("mod.rs"),
                        ],
                        name,
                        by_path_attr: false,
                        cfg_gated: true,
                        line,
                    });
                }
                continue;
            }
            _ => continue,
        };
        let Some(name) = module.name() else { continue };
        // `mod r#ref;` lives in `ref.rs`.
        let name = name.text().trim_start_matches("r#").to_string();
        let path_attr = path_attribute(&module);
        let cfg_gated = module.attrs().any(|a| {
            matches!(
                a.meta(),
                Some(ast::Meta::CfgMeta(_) | ast::Meta::CfgAttrMeta(_))
            ) || a
                .path()
                .is_some_and(|p| matches!(p.to_string().as_str(), "cfg" | "cfg_attr"))
        });
        match module.item_list() {
            Some(list) => {
                let inner_dir = child_dir.join(path_attr.as_deref().unwrap_or(&name));
                collect_mods(file, list.items(), &inner_dir, file_dir, true, out);
            }
            None => {
                let (candidates, by_path_attr) = match path_attr {
                    // Outside inline modules `#[path]` is relative to the file's directory.
                    Some(rel) if !inside_inline => (vec![file_dir.join(rel)], true),
                    Some(rel) => (vec![child_dir.join(rel)], true),
                    None => (
                        vec![
                            child_dir.join(format!("{name}.rs")),
                            child_dir.join(&name).join("mod.rs"),
                        ],
                        false,
                    ),
                };
                let anchor = module
                    .mod_token()
                    .map_or(module.syntax().text_range(), |t| t.text_range());
                let (line, _) = file.line_col_chars(anchor.start());
                out.push(ModDecl {
                    name,
                    candidates,
                    by_path_attr,
                    cfg_gated,
                    line,
                });
            }
        }
    }
}

fn path_attribute(module: &ast::Module) -> Option<String> {
    module.attrs().find_map(|attr| {
        if attr.path()?.to_string() != "path" {
            return None;
        }
        let ast::Meta::KeyValueMeta(kv) = attr.meta()? else {
            return None;
        };
        let ast::Expr::Literal(lit) = kv.expr()? else {
            return None;
        };
        let ast::LiteralKind::String(s) = lit.kind() else {
            return None;
        };
        s.value().ok().map(|v| v.to_string())
    })
}

/// Names `x` of every `mod x;` written in an item macro's arguments.
fn macro_mod_names(call: &ast::MacroCall) -> Vec<String> {
    let Some(tt) = call.token_tree() else {
        return Vec::new();
    };
    let tokens: Vec<ra_ap_syntax::SyntaxToken> = tt
        .syntax()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
        .collect();
    tokens
        .windows(3)
        .filter(|w| {
            w[0].text() == "mod"
                && w[1].kind() == ra_ap_syntax::SyntaxKind::IDENT
                && w[2].text() == ";"
        })
        .map(|w| w[1].text().trim_start_matches("r#").to_owned())
        .collect()
}
