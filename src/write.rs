//! Writing fixed files as one transaction: every file is checked to be as it was read, every new
//! text goes to a temporary file beside its target first (keeping the target's permissions), and
//! only then are they renamed over the originals; if a rename fails, the files already replaced
//! get their old bytes back.

use std::io::Write as _;

use anyhow::{Context, Result};
use camino::Utf8PathBuf;

pub fn write_all(files: &[(Utf8PathBuf, String)]) -> Result<()> {
    let expected: Vec<(Utf8PathBuf, Option<String>, String)> = files
        .iter()
        .map(|(path, text)| (path.clone(), None, text.clone()))
        .collect();
    transaction(&expected)
}

/// Replace files as one transaction. Each entry is (path, the text it must still have on disk or
/// `None` for any, the new text). First every file is checked (still as it was read: otherwise
/// nothing is written) and every new text staged in a temporary file beside its target (keeping
/// the target's permissions); then the temporary files are renamed over the targets. If a rename
/// fails, the files already replaced get their old bytes back, and the error names the file and
/// the reason. A CRLF file keeps CRLF line breaks in the lines a fix added.
pub fn transaction(files: &[(Utf8PathBuf, Option<String>, String)]) -> Result<()> {
    let mut staged = Vec::with_capacity(files.len());
    for (path, expected, text) in files {
        let on_disk = std::fs::read(path).ok();
        if let Some(expected) = expected
            && on_disk.as_deref() != Some(expected.as_bytes())
        {
            anyhow::bail!("`{path}` changed on disk since it was read; nothing was written");
        }
        let text = match on_disk.as_deref().map(String::from_utf8_lossy) {
            Some(old) if crlf_only(&old) => to_crlf(text),
            _ => text.clone(),
        };
        let dir = path.parent().context("file has no parent directory")?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".loopfix-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("could not create a temporary file in `{dir}`"))?;
        tmp.write_all(text.as_bytes())
            .with_context(|| format!("could not write a temporary file for `{path}`"))?;
        tmp.as_file().sync_all().ok();
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(tmp.path(), metadata.permissions())
                .with_context(|| format!("could not set permissions for `{path}`"))?;
        }
        staged.push((tmp, path, on_disk));
    }
    let mut done: Vec<(&Utf8PathBuf, Option<Vec<u8>>)> = Vec::new();
    for (tmp, path, old) in staged {
        let result = if std::env::var_os("LOOPFIX_TEST_FAIL_WRITE")
            .is_some_and(|f| path.as_str().ends_with(&*f.to_string_lossy()))
        {
            // Test hook: a write that fails after others succeeded (root ignores read-only bits).
            Err(std::io::Error::other(
                "simulated failure (LOOPFIX_TEST_FAIL_WRITE)",
            ))
        } else {
            tmp.persist(path).map(|_| ()).map_err(|e| e.error)
        };
        if let Err(err) = result {
            let mut restored = Vec::new();
            for (written, bytes) in &done {
                let back = match bytes {
                    Some(b) => std::fs::write(written, b),
                    None => std::fs::remove_file(written),
                };
                if back.is_ok() {
                    restored.push(written.to_string());
                }
            }
            anyhow::bail!(
                "could not replace `{path}`: {err}; {} already written restored{}",
                done.len(),
                if restored.len() == done.len() {
                    String::new()
                } else {
                    format!(" (only {} could be)", restored.len())
                }
            );
        }
        done.push((path, old));
    }
    Ok(())
}

/// Every line break is CRLF (and there is at least one).
fn crlf_only(text: &str) -> bool {
    let lf = text.matches('\n').count();
    lf > 0 && text.matches("\r\n").count() == lf
}

/// `\n` not preceded by `\r` becomes `\r\n`.
fn to_crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    let mut previous = '\0';
    for c in text.chars() {
        if c == '\n' && previous != '\r' {
            out.push('\r');
        }
        out.push(c);
        previous = c;
    }
    out
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

#[cfg(test)]
mod tests {
    #[test]
    fn crlf_files_keep_crlf() {
        assert!(super::crlf_only("a\r\nb\r\n"));
        assert!(!super::crlf_only("a\r\nb\n"));
        assert_eq!(
            super::to_crlf("a\r\nfn x() {\n}\r\n"),
            "a\r\nfn x() {\r\n}\r\n"
        );
    }
}
