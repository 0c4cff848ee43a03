//! One file for the user (an export): written under a temporary name beside its place and renamed
//! into it, so a failed write leaves whatever was there; never a workspace; an existing file only
//! when the user said so.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::OutputError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// An existing file is an error (the CLI without `--force`).
    Refuse,
    /// Replace an existing file (the user confirmed, e.g. in a save dialog).
    Replace,
}

/// Writes `bytes` to `path`. `protected` are files that must never be replaced whatever the
/// user says (the open workspace and its journal files); any other Tessera workspace or kept
/// segment index is refused too, recognized by its header.
pub fn write_file(
    path: &Path,
    bytes: &[u8],
    overwrite: Overwrite,
    protected: &[PathBuf],
) -> Result<(), OutputError> {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(OutputError::IsFolder(path.to_path_buf()));
        }
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let is_protected = protected
            .iter()
            .any(|p| std::fs::canonicalize(p).is_ok_and(|p| p == target));
        let is_ours = crate::store::is_workspace_file(&target)
            || crate::segments::index::is_index_file(&target);
        if is_protected || is_ours {
            return Err(OutputError::Workspace(path.to_path_buf()));
        }
        if overwrite == Overwrite::Refuse {
            return Err(OutputError::Exists(path.to_path_buf()));
        }
    }
    let temp = temporary_beside(path);
    let written = write_new_synced(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(OutputError::io(path))
}

/// A hidden name beside `path`, unique to this process and call.
pub(crate) fn temporary_beside(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(
        ".tessera-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    path.with_file_name(name)
}

/// Creates `path` (which must not exist: a planted symbolic link is not followed) with `bytes`,
/// synced to disk.
pub fn write_new_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
