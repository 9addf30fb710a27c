//! Configuration: `[workspace.metadata.loopfix]` in the root `Cargo.toml` (or a `loopfix.toml` at
//! the workspace root, which wins key by key), and `[package.metadata.loopfix]` per package,
//! which replaces the workspace's table unless it says `workspace = true` (then its keys override
//! the workspace's, as cargo's `[lints] workspace = true`). Command-line flags override both.
//! Unknown keys, unknown rule names and wrong types are errors that name the table and suggest the
//! nearest valid name.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Severity};
use crate::names::nearest;

/// A rule's level: `allow` turns it off, `warn` and `deny` set its severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

/// One loopfix table, as written (keys not written are `None`/empty and inherit).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Config {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub select: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extend_select: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_path_ignores: Option<BTreeMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levels: Option<BTreeMap<String, Level>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsafe_fixes: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_thread: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocking: Option<Vec<String>>,
}

const KEYS: &[&str] = &[
    "select",
    "extend-select",
    "ignore",
    "per-path-ignores",
    "levels",
    "unsafe-fixes",
    "exclude",
    "off-thread",
    "clients",
    "blocking",
    "workspace",
];

fn rule_ids() -> Vec<&'static str> {
    crate::rules::all().iter().map(|r| r.meta().id).collect()
}

/// A rule name as written (`loopfix::x`, `x` or `all`), checked.
fn rule_name(name: &str, origin: &str) -> Result<String> {
    let id = name
        .strip_prefix("loopfix::")
        .unwrap_or(name)
        .replace('-', "_");
    let ids = rule_ids();
    if id == "all" || ids.contains(&id.as_str()) {
        return Ok(id);
    }
    match nearest(&id, &ids) {
        Some(near) => bail!("unknown rule `{name}` in {origin}; did you mean `{near}`?"),
        None => bail!("unknown rule `{name}` in {origin} (`cargo loopfix rules` lists the rules)"),
    }
}

fn strings(value: &Value, key: &str, origin: &str) -> Result<Vec<String>> {
    let items = value
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("`{key}` in {origin} must be an array of strings"))?;
    items
        .iter()
        .map(|i| {
            i.as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow::anyhow!("`{key}` in {origin} must be an array of strings"))
        })
        .collect()
}

fn rules_list(value: &Value, key: &str, origin: &str) -> Result<Vec<String>> {
    strings(value, key, origin)?
        .iter()
        .map(|r| rule_name(r, origin))
        .collect()
}

fn globs(patterns: &[String], key: &str, origin: &str) -> Result<()> {
    for p in patterns {
        Glob::new(p).map_err(|e| anyhow::anyhow!("`{key}` in {origin}: bad glob `{p}`: {e}"))?;
    }
    Ok(())
}

/// Parse one loopfix table (`origin` names it in errors). Returns the table and its
/// `workspace = true` (only meaningful in a package's table).
pub fn parse(table: &Value, origin: &str) -> Result<(Config, bool)> {
    let Some(map) = table.as_object() else {
        bail!("{origin} must be a table");
    };
    let mut config = Config::default();
    let mut inherit = false;
    for (key, value) in map {
        match key.as_str() {
            "select" => config.select = Some(rules_list(value, key, origin)?),
            "extend-select" => config.extend_select = Some(rules_list(value, key, origin)?),
            "ignore" => config.ignore = Some(rules_list(value, key, origin)?),
            "per-path-ignores" => {
                let Some(entries) = value.as_object() else {
                    bail!("`per-path-ignores` in {origin} must be a table of glob = [rules]");
                };
                let mut out = BTreeMap::new();
                for (glob, rules) in entries {
                    globs(std::slice::from_ref(glob), key, origin)?;
                    out.insert(
                        glob.clone(),
                        rules_list(rules, &format!("per-path-ignores.\"{glob}\""), origin)?,
                    );
                }
                config.per_path_ignores = Some(out);
            }
            "levels" => {
                let Some(entries) = value.as_object() else {
                    bail!(
                        "`levels` in {origin} must be a table of rule = \"allow\" | \"warn\" | \"deny\""
                    );
                };
                let mut out = BTreeMap::new();
                for (rule, level) in entries {
                    let level = match level.as_str() {
                        Some("allow") => Level::Allow,
                        Some("warn") => Level::Warn,
                        Some("deny") => Level::Deny,
                        _ => bail!(
                            "`levels.{rule}` in {origin} must be \"allow\", \"warn\" or \"deny\""
                        ),
                    };
                    out.insert(rule_name(rule, origin)?, level);
                }
                config.levels = Some(out);
            }
            "unsafe-fixes" => {
                config.unsafe_fixes = Some(value.as_bool().ok_or_else(|| {
                    anyhow::anyhow!("`unsafe-fixes` in {origin} must be true or false")
                })?)
            }
            "exclude" => {
                let patterns = strings(value, key, origin)?;
                globs(&patterns, key, origin)?;
                config.exclude = Some(patterns);
            }
            "off-thread" => config.off_thread = Some(strings(value, key, origin)?),
            "clients" => config.clients = Some(strings(value, key, origin)?),
            "blocking" => config.blocking = Some(strings(value, key, origin)?),
            "workspace" => {
                inherit = value.as_bool().ok_or_else(|| {
                    anyhow::anyhow!("`workspace` in {origin} must be true or false")
                })?
            }
            other => match nearest(other, KEYS) {
                Some(near) => bail!("unknown key `{other}` in {origin}; did you mean `{near}`?"),
                None => bail!(
                    "unknown key `{other}` in {origin} (known keys: {})",
                    KEYS.join(", ")
                ),
            },
        }
    }
    Ok((config, inherit))
}

/// Parse a `loopfix.toml` file's text.
pub fn parse_toml(text: &str, origin: &str) -> Result<Config> {
    let table: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| anyhow::anyhow!("{origin} is not valid TOML: {e}"))?;
    let value = toml_to_json(table.as_item())
        .ok_or_else(|| anyhow::anyhow!("{origin} could not be read"))?;
    let (config, inherit) = parse(&value, origin)?;
    if inherit {
        bail!("`workspace` in {origin} only makes sense in a package's table");
    }
    Ok(config)
}

fn toml_to_json(item: &toml_edit::Item) -> Option<Value> {
    use toml_edit::Item;
    Some(match item {
        Item::None => Value::Null,
        Item::Value(v) => value_to_json(v)?,
        Item::Table(t) => Value::Object(
            t.iter()
                .filter_map(|(k, v)| Some((k.to_owned(), toml_to_json(v)?)))
                .collect(),
        ),
        Item::ArrayOfTables(a) => Value::Array(
            a.iter()
                .filter_map(|t| toml_to_json(&Item::Table(t.clone())))
                .collect(),
        ),
    })
}

fn value_to_json(v: &toml_edit::Value) -> Option<Value> {
    use toml_edit::Value as V;
    Some(match v {
        V::String(s) => Value::String(s.value().clone()),
        V::Integer(i) => Value::from(*i.value()),
        V::Float(f) => Value::from(*f.value()),
        V::Boolean(b) => Value::Bool(*b.value()),
        V::Datetime(d) => Value::String(d.value().to_string()),
        V::Array(a) => Value::Array(a.iter().filter_map(value_to_json).collect()),
        V::InlineTable(t) => Value::Object(
            t.iter()
                .filter_map(|(k, v)| Some((k.to_owned(), value_to_json(v)?)))
                .collect(),
        ),
    })
}

impl Config {
    /// `self`, with every key `over` sets taken from `over`.
    pub fn overridden_by(&self, over: &Config) -> Config {
        Config {
            select: over.select.clone().or_else(|| self.select.clone()),
            extend_select: over
                .extend_select
                .clone()
                .or_else(|| self.extend_select.clone()),
            ignore: over.ignore.clone().or_else(|| self.ignore.clone()),
            per_path_ignores: over
                .per_path_ignores
                .clone()
                .or_else(|| self.per_path_ignores.clone()),
            levels: over.levels.clone().or_else(|| self.levels.clone()),
            unsafe_fixes: over.unsafe_fixes.or(self.unsafe_fixes),
            exclude: over.exclude.clone().or_else(|| self.exclude.clone()),
            off_thread: over.off_thread.clone().or_else(|| self.off_thread.clone()),
            clients: over.clients.clone().or_else(|| self.clients.clone()),
            blocking: over.blocking.clone().or_else(|| self.blocking.clone()),
        }
    }

    /// Whether `rule` runs under this table: `select` (default: all) plus `extend-select`, minus
    /// `ignore`, minus rules at level `allow`.
    pub fn enables(&self, rule: &str) -> bool {
        let listed = |list: &Option<Vec<String>>| {
            list.as_ref()
                .is_some_and(|l| l.iter().any(|r| r == rule || r == "all"))
        };
        let selected = match &self.select {
            Some(_) => listed(&self.select),
            None => true,
        } || listed(&self.extend_select);
        selected && !listed(&self.ignore) && self.level(rule) != Some(Level::Allow)
    }

    pub fn level(&self, rule: &str) -> Option<Level> {
        self.levels.as_ref()?.get(rule).copied()
    }
}

/// A package's effective table, compiled for filtering findings by path.
#[derive(Clone, Debug)]
pub struct Effective {
    pub config: Config,
    exclude: GlobSet,
    per_path: Vec<(GlobSet, Vec<String>)>,
}

impl Effective {
    pub fn new(config: Config) -> Effective {
        let set = |patterns: &[String]| {
            let mut b = GlobSetBuilder::new();
            for p in patterns {
                if let Ok(g) = Glob::new(p) {
                    b.add(g);
                }
            }
            b.build().unwrap_or_else(|_| GlobSet::empty())
        };
        let exclude = set(config.exclude.as_deref().unwrap_or_default());
        let per_path = config
            .per_path_ignores
            .iter()
            .flatten()
            .map(|(glob, rules)| (set(std::slice::from_ref(glob)), rules.clone()))
            .collect();
        Effective {
            config,
            exclude,
            per_path,
        }
    }

    /// Keep or drop the finding `diag` in the file at `rel_path` (relative to the workspace root)
    /// with text `text`, and set its severity from `levels`.
    /// With `rules_from_command_line`, `--select` chose the rules: the table's selection, ignores
    /// and `allow` levels do not apply.
    pub fn admit(
        &self,
        mut diag: Diagnostic,
        rel_path: &str,
        text: &str,
        rules_from_command_line: bool,
    ) -> Option<Diagnostic> {
        let enabled = rules_from_command_line || self.config.enables(diag.rule);
        if !enabled || self.exclude.is_match(rel_path) || generated(text) {
            return None;
        }
        let ignored_here = self.per_path.iter().any(|(set, rules)| {
            set.is_match(rel_path) && rules.iter().any(|r| r == diag.rule || r == "all")
        });
        if ignored_here {
            return None;
        }
        match self.config.level(diag.rule) {
            Some(Level::Deny) => diag.severity = Severity::Error,
            Some(Level::Warn) => diag.severity = Severity::Warning,
            _ => {}
        }
        Some(diag)
    }
}

/// A file marked `@generated` in its first lines (as Facebook's and Google's tools mark theirs).
pub fn generated(text: &str) -> bool {
    text.lines().take(5).any(|l| l.contains("@generated"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_parse_and_mistakes_name_the_fix() {
        let (c, inherit) = parse(
            &json!({"select": ["loopfix::nested_block_on"], "ignore": ["runtime_per_call"], "levels": {"client_per_request": "deny"}, "workspace": true, "per-path-ignores": {"tests/**": ["all"]}}),
            "[package.metadata.loopfix]",
        )
        .unwrap();
        assert!(inherit);
        assert!(
            c.enables("nested_block_on")
                && !c.enables("runtime_per_call")
                && !c.enables("client_per_request")
        );
        let err = |v: Value| {
            parse(&v, "[workspace.metadata.loopfix]")
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(json!({"selct": []})),
            "unknown key `selct` in [workspace.metadata.loopfix]; did you mean `select`?"
        );
        assert_eq!(
            err(json!({"select": ["nested_blockon"]})),
            "unknown rule `nested_blockon` in [workspace.metadata.loopfix]; did you mean `nested_block_on`?"
        );
        assert_eq!(
            err(json!({"select": "nested_block_on"})),
            "`select` in [workspace.metadata.loopfix] must be an array of strings"
        );
        assert_eq!(
            err(json!({"levels": {"nested_block_on": "error"}})),
            "`levels.nested_block_on` in [workspace.metadata.loopfix] must be \"allow\", \"warn\" or \"deny\""
        );
        assert!(
            parse_toml("select = [", "loopfix.toml")
                .unwrap_err()
                .to_string()
                .starts_with("loopfix.toml is not valid TOML")
        );
    }

    #[test]
    fn a_package_overrides_key_by_key() {
        let ws = Config {
            ignore: Some(vec!["runtime_per_call".into()]),
            clients: Some(vec!["A".into()]),
            ..Config::default()
        };
        let pkg = Config {
            clients: Some(vec!["B".into()]),
            ..Config::default()
        };
        let merged = ws.overridden_by(&pkg);
        assert_eq!(merged.ignore, ws.ignore);
        assert_eq!(merged.clients, Some(vec!["B".to_owned()]));
    }
}
