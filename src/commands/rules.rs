//! `cargo loopfix rules` and `cargo loopfix rule ID`.

use anyhow::{Result, bail};

use super::{Output, Status};
use crate::rules;

pub fn list(output: &Output) -> Status {
    let mut text = String::new();
    let width = rules::all()
        .iter()
        .map(|r| r.meta().id.len())
        .max()
        .unwrap_or(0)
        + "loopfix::".len();
    for rule in rules::all() {
        let meta = rule.meta();
        text.push_str(&format!(
            "{:width$}  {:7}  fix: {:9}  {}\n",
            format!("loopfix::{}", meta.id),
            meta.severity.as_str(),
            meta.fix.as_str(),
            meta.summary,
        ));
    }
    output.out(&text);
    Status::Clean
}

pub fn show(id: &str, output: &Output) -> Result<Status> {
    let Some(rule) = rules::find(id) else {
        let known: Vec<&str> = rules::all().iter().map(|r| r.meta().id).collect();
        bail!("unknown rule `{id}` (known rules: {})", known.join(", "));
    };
    let meta = rule.meta();
    output.out(&format!(
        "# loopfix::{}\n\n{}\n\nDefault level: {}. Fix: {}.\n\n{}",
        meta.id,
        meta.summary,
        meta.severity.as_str(),
        meta.fix.as_str(),
        meta.docs
    ));
    Ok(Status::Clean)
}
