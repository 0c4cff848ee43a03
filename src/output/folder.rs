//! A render's output folder. A render owns the folder it writes: it takes a new or empty folder,
//! or one a previous render made (marked by [`MARKER`], which lists that run's files) and holding
//! nothing else; any other folder is refused, so `--out /` or `--out ~/Documents` writes nothing.
//!
//! A run writes into a fresh hidden folder beside the target and swaps it in when done: the target
//! always holds one complete run (the previous one until the swap, this one after), so files of a
//! customer who has since opted out or been erased never survive beside a manifest that omits
//! them, a crash leaves the previous run intact, and links planted in the target are never
//! followed (nothing is written into it).
//!
//! One run at a time owns a target: [`RenderFolder::lock`] claims it (a lock file beside it that
//! a crashed run releases) before anything is decided, and the claim is held until the run is
//! published or given up; a second run into the same folder is told so, and touches nothing.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use super::lock::Claim;
use super::OutputError;

/// The file in a render folder that marks it as Tessera's and lists its files.
pub const MARKER: &str = ".tessera-output.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct Marker {
    tessera: String,
    files: BTreeSet<String>,
}

const MARKER_KIND: &str = "render output";

pub struct RenderFolder {
    target: PathBuf,
    staging: PathBuf,
    /// The files of this run so far (written from several threads).
    files: Mutex<BTreeSet<String>>,
    published: bool,
    _claim: Claim,
}

/// A render folder claimed for one run, before the run decides whether it starts afresh or
/// continues an interrupted one.
pub struct FolderClaim {
    target: PathBuf,
    parent: PathBuf,
    name: String,
    claim: Claim,
}

/// Whether `target` holds what an earlier render published (the app asks before replacing it).
pub fn holds_earlier_render(target: &Path) -> bool {
    target.join(MARKER).is_file()
}

impl RenderFolder {
    /// Claims `target` for one run, after checking it may be written (see the module's notes);
    /// another run holding it is an error ([`OutputError::Busy`]).
    pub fn lock(target: &Path) -> Result<FolderClaim, OutputError> {
        let name = target
            .file_name()
            .filter(|n| !n.is_empty() && *n != "." && *n != "..")
            .map(|n| n.to_string_lossy().into_owned());
        let parent = match target.parent() {
            Some(p) if p.as_os_str().is_empty() => Path::new("."),
            Some(p) => p,
            None => return Err(OutputError::Root(target.to_path_buf())),
        };
        let name = match name {
            Some(n) => n,
            // `.` or `dir/..`: the folder's own name, from its full path.
            None => {
                let full = std::fs::canonicalize(target).map_err(OutputError::io(target))?;
                return RenderFolder::lock(&full);
            }
        };
        if !check_target(target)? {
            std::fs::create_dir_all(parent).map_err(OutputError::io(parent))?;
        }
        let what = format!("the folder {}", target.display());
        let claim = Claim::take(&parent.join(format!(".{name}.tessera-lock")), &what)?;
        finish_interrupted_publish(parent, &name, target);
        // Checked again now that no other run can be changing it.
        check_target(target)?;
        Ok(FolderClaim {
            target: target.to_path_buf(),
            parent: parent.to_path_buf(),
            name,
            claim,
        })
    }

    /// Where this run's files are until it is published.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// The folder the user named (where the run will be once published).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Where a file of this run goes before it is published (`name` is relative, e.g. `42.html`
    /// or `42/index.html`).
    pub fn path_of(&self, name: &str) -> Result<PathBuf, OutputError> {
        let relative = Path::new(name);
        let plain = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if name.is_empty() || !plain || name == MARKER {
            return Err(OutputError::BadName(name.to_string()));
        }
        Ok(self.staging.join(relative))
    }

    /// Writes one file of this run and records it.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        self.put(name, bytes)?;
        self.add_written([name.to_string()]);
        Ok(())
    }

    /// Writes one file of this run without recording it (workers record theirs in batches, see
    /// [`RenderFolder::add_written`]). A file of that name in the staging folder is left from the
    /// interrupted run this one continues, and not in its log: it is replaced. Links are never
    /// followed (the file is created anew).
    pub fn put(&self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let path = self.path_of(name)?;
        if let Some(dir) = path.parent().filter(|d| *d != self.staging) {
            std::fs::create_dir_all(dir).map_err(OutputError::io(dir))?;
        }
        let open = || {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
        };
        let file = match open() {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let _ = std::fs::remove_file(&path);
                open()
            }
            other => other,
        };
        file.and_then(|mut f| std::io::Write::write_all(&mut f, bytes))
            .map_err(OutputError::io(&path))
    }

    /// Removes every file of the staging folder but `keep` (relative names): what a killed run
    /// wrote and never logged, which the run continuing it may not render again.
    pub fn keep_only(&self, keep: &BTreeSet<String>) {
        let mut stack = vec![PathBuf::new()];
        let mut folders = Vec::new();
        while let Some(relative) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(self.staging.join(&relative)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = relative.join(entry.file_name());
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if is_dir {
                    stack.push(path.clone());
                    folders.push(entry.path());
                } else if !keep.contains(&path.to_string_lossy().replace('\\', "/")) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        // Deepest first: a folder left empty goes too (an empty folder is no file of the run).
        for folder in folders.iter().rev() {
            let _ = std::fs::remove_dir(folder);
        }
    }

    /// Records files written with [`RenderFolder::put`].
    pub fn add_written(&self, names: impl IntoIterator<Item = String>) {
        if let Ok(mut files) = self.files.lock() {
            files.extend(names);
        }
    }

    /// Puts this run in place of the target's previous contents. Returns the target.
    pub fn publish(mut self) -> Result<PathBuf, OutputError> {
        let files = self.files.get_mut().map(std::mem::take).unwrap_or_default();
        let marker = Marker {
            tessera: MARKER_KIND.into(),
            files,
        };
        // Whole or not at all: a marked staging folder counts as a complete run (see
        // `finish_interrupted_publish`).
        let marker_path = self.staging.join(MARKER);
        let partial = self.staging.join(".tessera-output.partial");
        std::fs::write(
            &partial,
            serde_json::to_vec_pretty(&marker).unwrap_or_default(),
        )
        .and_then(|()| std::fs::rename(&partial, &marker_path))
        .map_err(OutputError::io(&marker_path))?;
        let parent = self
            .staging
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let previous = if self.target.exists() {
            let old = unique_beside(&parent, &name, "old");
            std::fs::rename(&self.target, &old).map_err(OutputError::io(&self.target))?;
            Some(old)
        } else {
            None
        };
        std::fs::rename(&self.staging, &self.target).map_err(OutputError::io(&self.target))?;
        self.published = true;
        if let Some(old) = previous {
            // Not following links: a link planted in the old run's folder is removed, not its target.
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(self.target.clone())
    }
}

impl Drop for RenderFolder {
    /// A run that was not published (an error, a panic) leaves nothing behind; the target keeps
    /// the previous run.
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

impl FolderClaim {
    /// Starts a new run: what killed runs left beside the target is removed (no run holds it
    /// now), and a fresh staging folder is made.
    pub fn fresh(self) -> Result<RenderFolder, OutputError> {
        remove_leftovers(&self.parent, &self.name);
        let staging = unique_beside(&self.parent, &self.name, "staging");
        std::fs::create_dir(&staging).map_err(OutputError::io(&staging))?;
        Ok(self.into_folder(staging))
    }

    /// Takes up the staging folder of a run that was interrupted (killed) before it was
    /// published, to continue it.
    pub fn resume(self, staging: &Path) -> Result<RenderFolder, OutputError> {
        let meta = std::fs::symlink_metadata(staging).map_err(OutputError::io(staging))?;
        let beside = staging.parent() == Some(self.parent.as_path())
            && staging
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!(".{}.tessera-staging-", self.name)));
        if !meta.is_dir() || !beside || staging.join(MARKER).exists() {
            return Err(OutputError::NotAFolder(staging.to_path_buf()));
        }
        Ok(self.into_folder(staging.to_path_buf()))
    }

    /// The folder this claim is for.
    pub fn target(&self) -> &Path {
        &self.target
    }

    fn into_folder(self, staging: PathBuf) -> RenderFolder {
        RenderFolder {
            target: self.target,
            staging,
            files: Mutex::default(),
            published: false,
            _claim: self.claim,
        }
    }
}

/// A hidden sibling folder name for `name`, unique to this process and call.
fn unique_beside(parent: &Path, name: &str, what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    parent.join(format!(
        ".{name}.tessera-{what}-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A run killed while it swapped its folder in (the previous run moved aside, its own not yet in
/// place) left the target missing and its complete folder (marked) beside it: put in place.
fn finish_interrupted_publish(parent: &Path, name: &str, target: &Path) {
    if std::fs::symlink_metadata(target).is_ok() {
        return;
    }
    let prefix = format!(".{name}.tessera-staging-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let complete = entries.flatten().find(|e| {
        e.file_name().to_string_lossy().starts_with(&prefix)
            && e.file_type().is_ok_and(|t| t.is_dir())
            && e.path().join(MARKER).is_file()
    });
    if let Some(staging) = complete {
        let _ = std::fs::rename(staging.path(), target);
    }
}

/// Folders a killed run left beside `name` (a staging folder never swapped in, or a previous
/// run not yet removed): removed when they are ours.
fn remove_leftovers(parent: &Path, name: &str) {
    let prefix = format!(".{name}.tessera-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(suffix) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let ours = (suffix.starts_with("staging-") || suffix.starts_with("old-"))
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if ours {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Refuses a target that is a link or not a folder, or a folder holding files Tessera did not
/// write. Whether it exists.
fn check_target(target: &Path) -> Result<bool, OutputError> {
    match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(OutputError::Symlink(target.to_path_buf()))
        }
        Ok(meta) if !meta.is_dir() => Err(OutputError::NotAFolder(target.to_path_buf())),
        Ok(_) => check_ours(target).map(|()| true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(OutputError::io(target)(e)),
    }
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}

fn read_marker(folder: &Path) -> Option<Marker> {
    let path = folder.join(MARKER);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() {
        return None;
    }
    serde_json::from_slice::<Marker>(&std::fs::read(path).ok()?)
        .ok()
        .filter(|m| m.tessera == MARKER_KIND)
}

/// An existing target may be replaced when it is empty, or holds only what a previous render
/// wrote (its marker lists it).
fn check_ours(target: &Path) -> Result<(), OutputError> {
    if is_empty_dir(target) {
        return Ok(());
    }
    let listed = read_marker(target).map(|m| m.files);
    let mut extra = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let entries = std::fs::read_dir(target.join(&relative)).map_err(OutputError::io(target))?;
        for entry in entries.flatten() {
            let path = relative.join(entry.file_name());
            let shown = path.to_string_lossy().replace('\\', "/");
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let known = match &listed {
                None => false,
                Some(files) if is_dir => {
                    let prefix = format!("{shown}/");
                    files
                        .range(prefix.clone()..)
                        .next()
                        .is_some_and(|f| f.starts_with(&prefix))
                }
                Some(files) => shown == MARKER || files.contains(&shown),
            };
            if !known {
                extra.push(shown);
            } else if is_dir {
                stack.push(path);
            }
            if extra.len() >= 3 {
                break;
            }
        }
        if extra.len() >= 3 {
            break;
        }
    }
    if extra.is_empty() {
        return Ok(());
    }
    extra.sort();
    Err(OutputError::NotOurs {
        path: target.to_path_buf(),
        examples: extra,
    })
}
