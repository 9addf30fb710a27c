//! Loading the cargo workspace: which packages and targets to scan, with cargo's selection flags.
//!
//! Uses `cargo metadata --no-deps --offline`, so listing files never resolves dependencies,
//! touches the network or rewrites `Cargo.lock`.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use cargo_metadata::{MetadataCommand, TargetKind};
use ra_ap_syntax::Edition;

/// Which packages and targets the user asked for, with cargo's meaning.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub manifest_path: Option<Utf8PathBuf>,
    pub packages: Vec<String>,
    pub workspace: bool,
    pub exclude: Vec<String>,
    pub targets: TargetFilter,
}

/// `--lib --bins --bin N --tests --test N --examples --example N --benches --bench N --all-targets`.
#[derive(Clone, Debug, Default)]
pub struct TargetFilter {
    pub lib: bool,
    pub bins: bool,
    pub bin: Vec<String>,
    pub tests: bool,
    pub test: Vec<String>,
    pub examples: bool,
    pub example: Vec<String>,
    pub benches: bool,
    pub bench: Vec<String>,
    pub all_targets: bool,
}

impl TargetFilter {
    fn is_default(&self) -> bool {
        !(self.lib
            || self.bins
            || self.tests
            || self.examples
            || self.benches
            || self.all_targets
            || !self.bin.is_empty()
            || !self.test.is_empty()
            || !self.example.is_empty()
            || !self.bench.is_empty())
    }

    fn accepts(&self, target: &cargo_metadata::Target) -> bool {
        if self.is_default() || self.all_targets {
            return true;
        }
        let is = |kind: TargetKind| target.kind.contains(&kind);
        let named = |names: &[String]| names.iter().any(|n| n == &target.name);
        (self.lib && is_lib(target))
            || (self.bins && is(TargetKind::Bin))
            || (is(TargetKind::Bin) && named(&self.bin))
            // cargo's `--tests`: every target with `test = true` (lib and bins by default) and tests.
            || (self.tests && (is(TargetKind::Test) || (target.test && !is(TargetKind::CustomBuild))))
            || (is(TargetKind::Test) && named(&self.test))
            || (self.examples && is(TargetKind::Example))
            || (is(TargetKind::Example) && named(&self.example))
            || (self.benches && is(TargetKind::Bench))
            || (is(TargetKind::Bench) && named(&self.bench))
    }

    /// Named targets that match nothing are an error, as in cargo.
    fn check_names(&self, packages: &[Package]) -> Result<()> {
        let lists = [
            ("bin", &self.bin, TargetKind::Bin),
            ("test", &self.test, TargetKind::Test),
            ("example", &self.example, TargetKind::Example),
            ("bench", &self.bench, TargetKind::Bench),
        ];
        for (what, names, kind) in lists {
            for name in names {
                let found = packages
                    .iter()
                    .flat_map(|p| &p.targets)
                    .any(|t| &t.meta.name == name && t.meta.kind.contains(&kind));
                if !found {
                    bail!("no {what} target named `{name}` in the selected packages");
                }
            }
        }
        Ok(())
    }
}

fn is_lib(target: &cargo_metadata::Target) -> bool {
    target.kind.iter().any(|k| {
        matches!(
            k,
            TargetKind::Lib
                | TargetKind::RLib
                | TargetKind::DyLib
                | TargetKind::CDyLib
                | TargetKind::StaticLib
                | TargetKind::ProcMacro
        )
    })
}

/// The kind of a target, as users name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Lib,
    Bin,
    Test,
    Bench,
    Example,
    BuildScript,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Lib => "lib",
            Kind::Bin => "bin",
            Kind::Test => "test",
            Kind::Bench => "bench",
            Kind::Example => "example",
            Kind::BuildScript => "build-script",
        }
    }

    fn of(target: &cargo_metadata::Target) -> Kind {
        let is = |kind: TargetKind| target.kind.contains(&kind);
        if is(TargetKind::CustomBuild) {
            Kind::BuildScript
        } else if is(TargetKind::Bin) {
            Kind::Bin
        } else if is(TargetKind::Test) {
            Kind::Test
        } else if is(TargetKind::Bench) {
            Kind::Bench
        } else if is(TargetKind::Example) {
            Kind::Example
        } else {
            Kind::Lib
        }
    }
}

#[derive(Clone, Debug)]
pub struct Target {
    pub kind: Kind,
    pub edition: Edition,
    /// Cargo's own description, echoed in JSON output.
    pub meta: cargo_metadata::Target,
}

#[derive(Clone, Debug)]
pub struct Package {
    pub name: String,
    pub id: String,
    pub manifest_path: Utf8PathBuf,
    pub targets: Vec<Target>,
    /// Names usable in code (`tokio`, or `rt` for `rt = { package = "tokio" }`) to the crate they
    /// name (`tokio`), with `-` already turned into `_`.
    pub extern_crates: BTreeMap<String, String>,
    /// APIs that run the closure they get off the async task, from `off-thread = [..]` in
    /// `[package.metadata.loopfix]` and `[workspace.metadata.loopfix]`.
    pub off_thread: Vec<String>,
    /// More runtime-bound client types (`my_api::ApiClient`), from `clients = [..]` in the same
    /// tables.
    pub clients: Vec<String>,
    /// More functions that block the thread (`my_db::query_sync`), from `blocking = [..]`.
    pub blocking: Vec<String>,
    /// The package's effective configuration (its table, the workspace's, or both).
    pub config: crate::config::Effective,
    /// Features enabled on each dependency by this manifest (crate name, `-` as `_`), with
    /// `default` for default features: `tokio` -> `["default", "rt-multi-thread", ...]`.
    pub dependency_features: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct Workspace {
    pub root: Utf8PathBuf,
    /// The selected packages, sorted by name.
    pub packages: Vec<Package>,
    /// `(name, version)` of every package in `Cargo.lock`, when there is one.
    pub lock_packages: Vec<(String, String)>,
    /// The workspace's configuration: `loopfix.toml` over `[workspace.metadata.loopfix]`.
    pub config: crate::config::Config,
    /// `--select` on the command line chose the rules: the tables' selections do not apply.
    pub rules_from_command_line: bool,
    /// Cargo's target directory (`target/`, or `CARGO_TARGET_DIR`): the cache lives under it.
    pub target_directory: Utf8PathBuf,
}

impl Workspace {
    pub fn load(selection: &Selection) -> Result<Workspace> {
        let mut cmd = MetadataCommand::new();
        cmd.no_deps().other_options(vec!["--offline".to_owned()]);
        let manifest = match &selection.manifest_path {
            Some(path) => Some(manifest_file(path)?),
            None => None,
        };
        if let Some(manifest) = &manifest {
            cmd.manifest_path(manifest);
        }
        let metadata = cmd.exec().map_err(|err| match err {
            cargo_metadata::Error::CargoMetadata { stderr } => {
                let stderr = stderr.trim();
                let stderr = stderr.strip_prefix("error: ").unwrap_or(stderr);
                anyhow::anyhow!("could not load the cargo workspace: {stderr}")
            }
            other => anyhow::Error::new(other).context("could not run `cargo metadata`"),
        })?;
        let members: Vec<&cargo_metadata::Package> = metadata.workspace_packages();
        let chosen = select_packages(&metadata, &members, manifest.as_deref(), selection)?;
        let workspace_config = workspace_config(&metadata)?;
        let mut configs = Vec::new();
        for p in &chosen {
            configs.push(package_config(p, &workspace_config)?);
        }
        let mut packages: Vec<Package> = chosen
            .into_iter()
            .zip(configs)
            .map(|(p, config)| Package {
                name: p.name.to_string(),
                id: p.id.repr.clone(),
                manifest_path: p.manifest_path.clone(),
                targets: p
                    .targets
                    .iter()
                    .filter(|t| selection.targets.accepts(t))
                    .map(|t| Target {
                        kind: Kind::of(t),
                        edition: t.edition.as_str().parse().unwrap_or(Edition::LATEST),
                        meta: t.clone(),
                    })
                    .collect(),
                extern_crates: extern_crates(p),
                off_thread: config.off_thread.clone().unwrap_or_default(),
                clients: config.clients.clone().unwrap_or_default(),
                blocking: config.blocking.clone().unwrap_or_default(),
                config: crate::config::Effective::new(config),
                dependency_features: p
                    .dependencies
                    .iter()
                    .map(|d| {
                        let mut features = d.features.clone();
                        if d.uses_default_features {
                            features.push("default".to_owned());
                        }
                        (d.name.replace('-', "_"), features)
                    })
                    .collect(),
            })
            .collect();
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        selection.targets.check_names(&packages)?;
        // Files are keyed by canonical path: the root must be canonical too, for relative paths.
        let root = metadata
            .workspace_root
            .canonicalize_utf8()
            .unwrap_or_else(|_| metadata.workspace_root.clone());
        let lock_packages = read_lock(&metadata.workspace_root.join("Cargo.lock"));
        Ok(Workspace {
            root,
            packages,
            config: workspace_config,
            rules_from_command_line: false,
            lock_packages,
            target_directory: metadata.target_directory.clone(),
        })
    }

    /// Each package's library target: (crate name as code writes it, package, target).
    pub fn libraries(&self) -> impl Iterator<Item = (String, usize, usize)> + '_ {
        self.packages.iter().enumerate().flat_map(|(pi, package)| {
            package
                .targets
                .iter()
                .enumerate()
                .filter(|(_, t)| t.kind == Kind::Lib)
                .map(move |(ti, t)| (t.meta.name.replace('-', "_"), pi, ti))
        })
    }

    /// `path` relative to the workspace root, with `/` separators, for display and patches.
    pub fn relative(&self, path: &Utf8Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        rel.as_str().replace('\\', "/")
    }
}

/// `--manifest-path` accepts a `Cargo.toml` or the directory holding one.
fn manifest_file(path: &Utf8Path) -> Result<Utf8PathBuf> {
    if !path.exists() {
        bail!("manifest path `{path}` does not exist");
    }
    let file = if path.is_dir() {
        path.join("Cargo.toml")
    } else {
        path.to_owned()
    };
    if !file.is_file() {
        bail!("manifest path `{path}` does not contain a Cargo.toml");
    }
    let file = file
        .canonicalize_utf8()
        .with_context(|| format!("could not resolve manifest path `{file}`"))?;
    Ok(file)
}

fn select_packages<'m>(
    metadata: &'m cargo_metadata::Metadata,
    members: &[&'m cargo_metadata::Package],
    manifest: Option<&Utf8Path>,
    selection: &Selection,
) -> Result<Vec<&'m cargo_metadata::Package>> {
    let matches = |spec: &str, p: &cargo_metadata::Package| -> bool {
        match spec.split_once('@') {
            Some((name, version)) => p.name.as_str() == name && p.version.to_string() == version,
            None => p.name.as_str() == spec,
        }
    };
    let mut chosen: Vec<&cargo_metadata::Package> = if selection.workspace {
        members.to_vec()
    } else if !selection.packages.is_empty() {
        let mut out = Vec::new();
        for spec in &selection.packages {
            let found: Vec<_> = members
                .iter()
                .filter(|p| matches(spec, p))
                .copied()
                .collect();
            if found.is_empty() {
                bail!(
                    "package ID specification `{spec}` did not match any packages in the workspace"
                );
            }
            out.extend(found);
        }
        out
    } else {
        // As cargo: the package whose manifest we were pointed at (or found from the current
        // directory), else the workspace's default members.
        let current_manifest = match manifest {
            Some(m) => Some(m.to_owned()),
            None => std::env::current_dir()
                .ok()
                .and_then(|d| Utf8PathBuf::from_path_buf(d).ok())
                .and_then(|d| find_manifest_upwards(&d)),
        };
        let current = current_manifest.and_then(|m| {
            members
                .iter()
                .copied()
                .find(|p| p.manifest_path.canonicalize_utf8().ok().as_deref() == Some(m.as_path()))
        });
        match current {
            Some(p) => vec![p],
            None if metadata.workspace_default_members.is_available() => {
                metadata.workspace_default_packages()
            }
            None => members.to_vec(),
        }
    };
    for spec in &selection.exclude {
        chosen.retain(|p| !matches(spec, p));
    }
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    chosen.dedup_by(|a, b| a.id == b.id);
    Ok(chosen)
}

fn find_manifest_upwards(dir: &Utf8Path) -> Option<Utf8PathBuf> {
    dir.ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|m| m.is_file())
        .and_then(|m| m.canonicalize_utf8().ok())
}

fn extern_crates(package: &cargo_metadata::Package) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for dep in &package.dependencies {
        let crate_name = dep.name.replace('-', "_");
        let local = dep
            .rename
            .as_deref()
            .map_or_else(|| crate_name.clone(), |r| r.replace('-', "_"));
        map.insert(local, crate_name);
    }
    // A package's own library is usable from its bins, tests, examples and benches.
    if let Some(lib) = package.targets.iter().find(|t| is_lib(t)) {
        let name = lib.name.replace('-', "_");
        map.insert(name.clone(), name);
    }
    map
}

/// The packages `Cargo.lock` pins, if it exists and parses; empty otherwise.
fn read_lock(path: &Utf8Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    let Some(packages) = doc.get("package").and_then(|p| p.as_array_of_tables()) else {
        return Vec::new();
    };
    packages
        .iter()
        .filter_map(|p| {
            Some((
                p.get("name")?.as_str()?.to_owned(),
                p.get("version")?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// `loopfix.<key>` of a manifest's `metadata` table, as a list of strings.
/// The workspace's table: `[workspace.metadata.loopfix]` in the root manifest, with
/// `loopfix.toml` at the root overriding it key by key.
fn workspace_config(metadata: &cargo_metadata::Metadata) -> Result<crate::config::Config> {
    let mut config = match metadata.workspace_metadata.get("loopfix") {
        Some(table) => {
            let origin = "[workspace.metadata.loopfix] (Cargo.toml)";
            let (config, inherit) = crate::config::parse(table, origin)?;
            if inherit {
                anyhow::bail!("`workspace` in {origin} only makes sense in a package's table");
            }
            config
        }
        None => crate::config::Config::default(),
    };
    let file = metadata.workspace_root.join("loopfix.toml");
    if file.is_file() {
        let text =
            std::fs::read_to_string(&file).with_context(|| format!("could not read {file}"))?;
        config = config.overridden_by(&crate::config::parse_toml(&text, "loopfix.toml")?);
    }
    Ok(config)
}

/// A package's effective table: its own `[package.metadata.loopfix]` (over the workspace's with
/// `workspace = true`), else the workspace's.
fn package_config(
    p: &cargo_metadata::Package,
    workspace: &crate::config::Config,
) -> Result<crate::config::Config> {
    match p.metadata.get("loopfix") {
        Some(table) => {
            let origin = format!("[package.metadata.loopfix] ({})", p.manifest_path);
            let (config, inherit) = crate::config::parse(table, &origin)?;
            Ok(if inherit {
                workspace.overridden_by(&config)
            } else {
                config
            })
        }
        None => Ok(workspace.clone()),
    }
}
