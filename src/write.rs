//! Writing fixed files atomically: every new text goes to a temporary file beside its target
//! first (keeping the target's permissions), and only when all are written are they renamed over
//! the originals. A failure before the renames leaves every file untouched.

use std::io::Write as _;

use anyhow::{Context, Result};
use camino::Utf8PathBuf;

pub fn write_all(files: &[(Utf8PathBuf, String)]) -> Result<()> {
    let mut staged = Vec::with_capacity(files.len());
    for (path, text) in files {
        let dir = path.parent().context("file has no parent directory")?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".loopfix-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("could not create a temporary file in `{dir}`"))?;
        tmp.write_all(text.as_bytes())
            .with_context(|| format!("could not write a temporary file for `{path}`"))?;
        tmp.as_file().sync_all().ok();
        let permissions = std::fs::metadata(path)
            .with_context(|| format!("could not read the permissions of `{path}`"))?
            .permissions();
        std::fs::set_permissions(tmp.path(), permissions)
            .with_context(|| format!("could not set permissions for `{path}`"))?;
        staged.push((tmp, path));
    }
    for (tmp, path) in staged {
        tmp.persist(path)
            .with_context(|| format!("could not replace `{path}`"))?;
    }
    Ok(())
}

/// Write a report to `path` (created or replaced) through a temporary file in the same directory,
/// so a reader never sees half a report.
pub fn write_report(path: &camino::Utf8Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_str().is_empty() => d.to_owned(),
        _ => Utf8PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".loopfix-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .with_context(|| format!("could not create a temporary file in `{dir}`"))?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path)
        .with_context(|| format!("could not write `{path}`"))?;
    Ok(())
}
