//! `cargo fix`'s safety net, scoped to the files a fix would touch: refuse to overwrite
//! uncommitted work unless the user says so.

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

#[derive(Clone, Copy, Debug, Default)]
pub struct Allow {
    pub dirty: bool,
    pub staged: bool,
    pub no_vcs: bool,
}

/// Why writing `files` is refused, if it is.
pub fn check_writable(root: &Utf8Path, files: &[Utf8PathBuf], allow: Allow) -> Result<(), String> {
    if allow.dirty || files.is_empty() {
        return Ok(());
    }
    let Some(top) = repo_root(root) else {
        if allow.no_vcs {
            return Ok(());
        }
        return Err(
            "no VCS found for this package and `cargo loopfix apply` can overwrite files\n\
             run with `--allow-no-vcs` to apply the fixes anyway"
                .to_owned(),
        );
    };
    let mut cmd = Command::new("git");
    cmd.current_dir(&top).args([
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--",
    ]);
    for f in files {
        cmd.arg(f.strip_prefix(&top).unwrap_or(f));
    }
    let output = cmd
        .output()
        .map_err(|e| format!("could not run `git status`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`git status` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut dirty = Vec::new();
    let mut staged = Vec::new();
    let text = String::from_utf8_lossy(&output.stdout);
    for entry in text.split('\0').filter(|e| e.len() > 3) {
        let (index, worktree, path) = (entry.as_bytes()[0], entry.as_bytes()[1], &entry[3..]);
        if worktree != b' ' {
            dirty.push(format!(
                "  * {path} ({})",
                if index == b'?' { "untracked" } else { "dirty" }
            ));
        } else if index != b' ' {
            staged.push(format!("  * {path} (staged)"));
        }
    }
    if allow.staged {
        staged.clear();
    }
    if dirty.is_empty() && staged.is_empty() {
        return Ok(());
    }
    let mut lines = dirty;
    lines.extend(staged);
    Err(format!(
        "the working directory has uncommitted changes in files the fixes would touch, and \
         `cargo loopfix apply` would overwrite them:\n\n{}\n\n\
         commit or stash them first, or run with `--allow-dirty` (or `--allow-staged` for staged changes)",
        lines.join("\n")
    ))
}

fn repo_root(dir: &Utf8Path) -> Option<Utf8PathBuf> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let top = String::from_utf8(output.stdout).ok()?;
    let top = Utf8PathBuf::from(top.trim());
    Some(top.canonicalize_utf8().unwrap_or(top))
}
