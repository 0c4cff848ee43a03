//! The files Tessera writes for the user: exports and rejected rows (single files, never over a
//! workspace, never over an existing file unless asked, never half-written) and render folders
//! (owned by the render that made them, replaced whole by the next run).

mod file;
mod folder;
mod lock;
mod scratch;

pub(crate) use file::temporary_beside;
pub use file::{write_file, write_new_synced, Overwrite};
pub use folder::{holds_earlier_render, FolderClaim, RenderFolder, MARKER};
pub use lock::{Claim, ClaimError};
pub use scratch::Scratch;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{} already exists; choose another name, or use --force to replace it", .0.display())]
    Exists(PathBuf),
    #[error("{} is a Tessera workspace file; an export never replaces one", .0.display())]
    Workspace(PathBuf),
    #[error("{} is a folder, not a file", .0.display())]
    IsFolder(PathBuf),
    #[error("{} is not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("{} is a symbolic link; give the folder it points to", .0.display())]
    Symlink(PathBuf),
    #[error("{} has files Tessera did not write ({}); choose an empty or new folder", .path.display(), .examples.join(", "))]
    NotOurs {
        path: PathBuf,
        examples: Vec<String>,
    },
    #[error("{} is the top of the file system; choose a folder for the files", .0.display())]
    Root(PathBuf),
    #[error("'{0}' is not a file name inside the output folder")]
    BadName(String),
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Busy(#[from] ClaimError),
}

crate::coded!(OutputError {
    OutputError::NotOurs { .. } | OutputError::NotAFolder(_) | OutputError::Symlink(_) | OutputError::Root(_) => FolderNotEmpty,
    OutputError::Exists(_) | OutputError::Workspace(_) | OutputError::IsFolder(_) => InvalidInput,
    OutputError::BadName(_) | OutputError::Io { .. } => Io,
    OutputError::Busy(ClaimError::Busy { .. }) => Busy,
    OutputError::Busy(ClaimError::Io { .. }) => Io,
});

impl OutputError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> OutputError {
        let path = path.into();
        move |source| OutputError::Io { path, source }
    }
}
