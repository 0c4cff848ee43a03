//! Claims that one run at a time holds, across processes: an exclusive `flock` on a small file,
//! which the kernel releases when the holder exits, however it exits (a kill -9 included). The
//! file names its holder, so a second run can say who has it. The holder removes the file when
//! done (a crashed holder's file stays, unlocked, for the next one); a claim counts only when
//! the file it locked is still the one at the path, so removing it never lets two in.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A held claim, released when dropped.
#[derive(Debug)]
pub struct Claim {
    file: File,
    path: PathBuf,
}

impl Drop for Claim {
    fn drop(&mut self) {
        // Removed while still locked: whoever opened it meanwhile sees it is gone and retries.
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.path.parent() {
            // The folder of a workspace's locks goes when its last lock does.
            if dir
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".tessera-locks"))
            {
                let _ = std::fs::remove_dir(dir);
            }
        }
        let _ = self.file.unlock();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("{what} is in use by another run ({holder}); wait for it to finish, or stop it")]
    Busy { what: String, holder: String },
    #[error("cannot claim {what} ({}): {source}", .path.display())]
    Io {
        what: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

crate::coded!(ClaimError {
    ClaimError::Busy { .. } => Busy,
    ClaimError::Io { .. } => Io,
});

impl Claim {
    /// Takes the claim on `path` (created if missing), or says who holds it. `what` names the
    /// claimed thing for the user ("the folder out/", "campaign 'spring'").
    pub fn take(path: &Path, what: &str) -> Result<Claim, ClaimError> {
        let io = |source| ClaimError::Io {
            what: what.to_string(),
            path: path.to_path_buf(),
            source,
        };
        // Another holder may remove the file (or its folder) between our opening and locking
        // it: then the lock is on a file no one else will find, and the claim is taken again.
        let mut file = None;
        for _ in 0..20 {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path);
            let mut opened = match opened {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            };
            match opened.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = opened.read_to_string(&mut holder);
                    let holder = holder.trim();
                    return Err(ClaimError::Busy {
                        what: what.to_string(),
                        holder: if holder.is_empty() {
                            "a process that is starting".to_string()
                        } else {
                            holder.chars().take(200).collect()
                        },
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
            if same_file(&opened, path) {
                file = Some(opened);
                break;
            }
        }
        let mut file =
            file.ok_or_else(|| io(std::io::Error::other("the lock file kept changing")))?;
        let about = format!(
            "process {} since {}",
            std::process::id(),
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S")
        );
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(about.as_bytes()));
        Ok(Claim {
            file,
            path: path.to_path_buf(),
        })
    }
}

/// Whether `path` still names the file `file` has open.
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}
