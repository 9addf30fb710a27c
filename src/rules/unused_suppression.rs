//! `unused_suppression`: a `// loopfix: allow(..)` (or `expect`, or `cfg_attr` allow) that
//! suppresses nothing. Reported by the suppression pass (`crate::suppress`), not by a walk.

use ra_ap_syntax::{SyntaxKind, SyntaxNode};

use super::{FixAvailability, Gate, Rule, RuleContext, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};

pub struct UnusedSuppression;

pub const ID: &str = "unused_suppression";

pub const DOCS: &str = r#"## What it does
Finds suppressions that suppress nothing: a `// loopfix: allow(rule)` comment (at the end of a
line, on the line before, before an item, or `//!` for the file), a `// loopfix: expect(rule)`, or
a `#[cfg_attr(any(), allow(loopfix::rule))]` attribute, when no finding of that rule is where it
points, or when the rule name is not a rule (the note suggests the nearest one). An `allow` of a
rule that did not run (`--select`) is not judged; an `expect` always is.

## Why is this bad?
A stale suppression hides the next real finding at that place, and a misspelled rule name
suppresses nothing while looking like it does. rustc's `#[expect]` and ruff's `RUF100` report
the same.

## Example
```rust
// loopfix: expect(nested_block_on)
pub fn sync_code() -> u32 {
    1
}
```

## Use instead
```rust
pub fn sync_code() -> u32 {
    1
}
```

## Fix safety
Removing a suppression that suppresses nothing changes no finding: safe. A suppression that still
suppresses one of its rules is reported without a fix.

## Known problems
A suppression is judged against the findings of this run: rules excluded with `--ignore` leave
their `allow`s unjudged.
"#;

static META: RuleMeta = RuleMeta {
    id: ID,
    summary: "suppression that suppresses nothing",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    docs: DOCS,
};

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [SyntaxKind] {
        &[]
    }

    fn check(&self, _: &RuleContext<'_>, _: &SyntaxNode, _: &mut Vec<Diagnostic>) {}

    /// Visits nothing: its findings come from the directives, and a file with a `loopfix`
    /// directive is always walked.
    fn gate(&self, _: &RuleContext<'_>, _: &SyntaxNode) -> Gate {
        Gate::No
    }
}
