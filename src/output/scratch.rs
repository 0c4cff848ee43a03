//! Private scratch folders for work that must pass through files (ffmpeg writes its video to a
//! file): readable by the user only, as what goes into them is personal (a customer's video),
//! removed when done, and — when the process was killed before it could remove them — removed
//! by the next process that makes one. A folder's owner holds a lock on a file inside it for as
//! long as it lives, so a leftover is told from a folder in use by whether its lock is free.

use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

const PREFIX: &str = "tessera-scratch-";
const LOCK: &str = ".owner";

pub struct Scratch {
    path: PathBuf,
    _owner: File,
}

impl Scratch {
    /// A new, empty scratch folder in the system's temporary folder.
    pub fn new() -> std::io::Result<Scratch> {
        static SWEPT: Once = Once::new();
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        SWEPT.call_once(|| sweep(&base));
        let path = base.join(format!(
            "{PREFIX}{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        // Created by this call (never an existing folder, nor a planted link), owner-only.
        DirBuilder::new().mode(0o700).create(&path)?;
        let owner = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path.join(LOCK))
            .and_then(|f| f.try_lock().map(|()| f).map_err(std::io::Error::from));
        match owner {
            Ok(owner) => Ok(Scratch {
                path,
                _owner: owner,
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&path);
                Err(e)
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the folder.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes the scratch folders of processes that are gone (their owner lock is free).
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_ours = name.to_str().is_some_and(|n| n.starts_with(PREFIX))
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_ours {
            continue;
        }
        let path = entry.path();
        let free = match File::open(path.join(LOCK)) {
            Ok(owner) => owner.try_lock().is_ok(),
            // Killed between making the folder and its lock file (not one being made now).
            Err(e) => {
                e.kind() == std::io::ErrorKind::NotFound
                    && entry
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age.as_secs() > 60)
            }
        };
        if free {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_scratch_folder_is_the_users_alone_and_goes_when_done() {
        let scratch = Scratch::new().unwrap();
        let mode = std::fs::metadata(scratch.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        let path = scratch.path().to_path_buf();
        std::fs::write(scratch.join("video.mp4"), b"personal").unwrap();
        drop(scratch);
        assert!(!path.exists());
    }

    #[test]
    fn a_killed_processs_scratch_folder_is_swept_and_a_live_ones_is_not() {
        let base = tempfile::tempdir().unwrap();
        // Left by a process that is gone: its owner file is there, unlocked.
        let dead = base.path().join(format!("{PREFIX}1-0-0"));
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join(LOCK), b"").unwrap();
        // In use: its owner holds the lock.
        let live = base.path().join(format!("{PREFIX}2-0-0"));
        std::fs::create_dir(&live).unwrap();
        let owner = File::create(live.join(LOCK)).unwrap();
        owner.try_lock().unwrap();
        sweep(base.path());
        assert!(!dead.exists());
        assert!(live.exists());
    }
}
