//! The data every rule produces and every reporter renders: diagnostics, labels, fixes and edits.
//!
//! Positions are byte ranges into the file's text; line and column are computed only by reporters.

use camino::Utf8PathBuf;
use ra_ap_syntax::TextRange;

/// How sure we are that a fix preserves the program's intended behaviour.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Shown, never applied automatically.
    DisplayOnly,
    /// Applied only with `--unsafe-fixes`: it may change behaviour.
    Unsafe,
    /// Behaviour-preserving: applied by `cargo loopfix apply`.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }

    /// The rustc/cargo JSON name of this applicability.
    pub fn rustc_name(self) -> &'static str {
        match self {
            Applicability::Safe => "MachineApplicable",
            Applicability::Unsafe => "MaybeIncorrect",
            Applicability::DisplayOnly => "HasPlaceholders",
        }
    }
}

/// Severity of a diagnostic, as rustc names it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One text replacement in one file. `range` is in the file's current text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    pub path: Utf8PathBuf,
    #[serde(with = "range")]
    pub range: TextRange,
    pub content: String,
}

impl Edit {
    pub fn replace(
        path: impl Into<Utf8PathBuf>,
        range: TextRange,
        content: impl Into<String>,
    ) -> Edit {
        Edit {
            path: path.into(),
            range,
            content: content.into(),
        }
    }

    /// Insert `content` at `offset`.
    pub fn insert(
        path: impl Into<Utf8PathBuf>,
        offset: ra_ap_syntax::TextSize,
        content: impl Into<String>,
    ) -> Edit {
        Edit::replace(path, TextRange::empty(offset), content)
    }
}

/// A proposed change: edits applied together, or not at all.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    /// What the fix does, e.g. "replace `rt.block_on(fut)` with `fut.await`".
    pub message: String,
    pub applicability: Applicability,
    /// Sorted by (path, range start); never overlapping.
    pub edits: Vec<Edit>,
    /// Dependency features the fixed code needs, enabled in the package's `Cargo.toml`.
    pub features: Vec<FeatureEdit>,
}

/// Enable `feature` on the dependency `dependency` in the manifest `manifest`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct FeatureEdit {
    pub manifest: Utf8PathBuf,
    pub dependency: String,
    pub feature: String,
}

impl Fix {
    pub fn new(
        message: impl Into<String>,
        applicability: Applicability,
        mut edits: Vec<Edit>,
    ) -> Fix {
        edits.sort_by(|a, b| (&a.path, a.range.start()).cmp(&(&b.path, b.range.start())));
        Fix {
            message: message.into(),
            applicability,
            edits,
            features: Vec::new(),
        }
    }

    /// The same fix, also enabling `feature` of `dependency` in `manifest`.
    pub fn with_feature(mut self, manifest: Utf8PathBuf, dependency: &str, feature: &str) -> Fix {
        self.features.push(FeatureEdit {
            manifest,
            dependency: dependency.to_owned(),
            feature: feature.to_owned(),
        });
        self
    }
}

/// A secondary span with a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Label {
    #[serde(with = "range")]
    pub range: TextRange,
    pub message: String,
}

/// One finding of one rule.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The rule's snake_case id, without the `loopfix::` prefix.
    #[serde(deserialize_with = "rule_id")]
    pub rule: RuleId,
    pub severity: Severity,
    /// Lower case, no trailing period, code in backticks.
    pub message: String,
    /// The file the primary span is in (absolute).
    pub path: Utf8PathBuf,
    #[serde(with = "range")]
    pub range: TextRange,
    /// Label on the primary span.
    pub primary_label: Option<String>,
    pub labels: Vec<Label>,
    /// `= note: ...` lines: what goes wrong at run time.
    pub notes: Vec<String>,
    /// `= help: ...` lines.
    pub helps: Vec<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// The id users see and write in `--select`.
    pub fn code(&self) -> String {
        format!("loopfix::{}", self.rule)
    }

    pub fn sort_key(&self) -> (&Utf8PathBuf, u32, u32, &'static str) {
        (
            &self.path,
            self.range.start().into(),
            self.range.end().into(),
            self.rule,
        )
    }
}

/// A rule's id: one of the rules' own strings. (A name rather than `&'static str` in the struct,
/// so that serde does not take it for text borrowed from the input.)
pub type RuleId = &'static str;

/// A rule id read back (from the cache): one of the rules' own ids, or an error.
fn rule_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let id = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    crate::rules::all()
        .iter()
        .map(|r| r.meta().id)
        .find(|known| *known == id)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown rule `{id}`")))
}

/// A text range as `[start, end]` byte offsets.
mod range {
    use ra_ap_syntax::TextRange;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(range: &TextRange, s: S) -> Result<S::Ok, S::Error> {
        (u32::from(range.start()), u32::from(range.end())).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TextRange, D::Error> {
        let (start, end) = <(u32, u32)>::deserialize(d)?;
        if start > end {
            return Err(serde::de::Error::custom(
                "a range that ends before it starts",
            ));
        }
        Ok(TextRange::new(start.into(), end.into()))
    }
}
