//! The workspace files this process has open through SQLite, and the one way the engine opens a
//! file the user names. SQLite locks a workspace with POSIX locks, which the kernel drops for
//! the whole process as soon as *any* descriptor of that file is closed (SQLite's "How To
//! Corrupt An SQLite Database File", 2.2): a header read of the open workspace, or an import
//! or asset picked from it, would leave the process holding no lock, and another process
//! closing the file would then checkpoint and delete the WAL under it. So nothing in the
//! process opens the workspace, its `-wal`, `-shm` or `-journal` except its connections.
//! Files are told apart by device and inode, from `stat`, which opens nothing.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// (device, inode) of each workspace file open in this process, with how many opens hold it.
static HELD: Mutex<Vec<((u64, u64), usize)>> = Mutex::new(Vec::new());

/// SQLite's files beside a database, by their suffix.
const JOURNALS: [&str; 3] = ["-wal", "-shm", "-journal"];

fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

fn held(id: (u64, u64)) -> bool {
    HELD.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .any(|(h, _)| *h == id)
}

/// Marks the workspace at `path` as open in this process until the hold is dropped.
pub(crate) struct Hold(Option<(u64, u64)>);

impl Hold {
    /// Whether `path` still names the file this hold is on (not removed or replaced since).
    pub(crate) fn still_at(&self, path: &Path) -> bool {
        self.0.is_some() && identity(path) == self.0
    }

    pub(crate) fn new(path: &Path) -> Hold {
        let id = identity(path);
        if let Some(id) = id {
            let mut list = HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match list.iter_mut().find(|(h, _)| *h == id) {
                Some((_, count)) => *count += 1,
                None => list.push((id, 1)),
            }
        }
        Hold(id)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let Some(id) = self.0 else { return };
        let mut list = HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(i) = list.iter().position(|(h, _)| *h == id) {
            list[i].1 -= 1;
            if list[i].1 == 0 {
                list.swap_remove(i);
            }
        }
    }
}

/// Whether `path` is a workspace open in this process, or one of SQLite's files beside it.
pub fn is_open_workspace(path: &Path) -> bool {
    if identity(path).is_some_and(held) {
        return true;
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    JOURNALS.iter().any(|suffix| {
        name.strip_suffix(suffix)
            .filter(|base| !base.is_empty())
            .and_then(|base| identity(&path.with_file_name(base)))
            .is_some_and(held)
    })
}

/// The error for a file the process may not open.
fn refused(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        format!(
            "{} is a workspace open in Tessera (or one of its journal files); it cannot be read as a file",
            path.display()
        ),
    )
}

/// Opens a file the user named for reading, unless it is a workspace open in this process or
/// not a regular file (a FIFO or a device would block or never end: it is refused at once).
pub fn open_user_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    if is_open_workspace(path) {
        return Err(refused(path));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    checked_opened(file, path).map(|(file, _)| file)
}

/// A file just opened (checked beforehand with [`is_open_workspace`]), checked again on what
/// was opened — a name swapped meanwhile could have led to the workspace, and dropping this
/// descriptor would then drop its locks, so it is kept open for the process's life instead —
/// and refused unless it is a regular file. With its metadata.
pub fn checked_opened(
    file: std::fs::File,
    path: &Path,
) -> std::io::Result<(std::fs::File, std::fs::Metadata)> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata()?;
    if held((meta.dev(), meta.ino())) {
        std::mem::forget(file);
        return Err(refused(path));
    }
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok((file, meta))
}

/// Reads a whole file the user named (see [`open_user_file`]).
pub fn read_user_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = open_user_file(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a whole text file the user named (see [`open_user_file`]).
pub fn read_user_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_user_file(path)?).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is not UTF-8 text", path.display()),
        )
    })
}

/// `path` and SQLite's files beside it.
pub(crate) fn with_journals(path: &Path) -> Vec<PathBuf> {
    std::iter::once(path.to_path_buf())
        .chain(JOURNALS.iter().map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        }))
        .collect()
}
