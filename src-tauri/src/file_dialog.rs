//! File dialogs, shown by a short-lived process of their own (this executable started with
//! `--file-dialog`), never inside the app. GTK's file chooser reads the files it lists to tell
//! their types, and its recent-files list reads the file picked: inside the app that would open
//! and close the open workspace, its `-wal` or `-shm`, and closing any descriptor of a file drops
//! all of the process's SQLite locks on it (another process could then delete the WAL under
//! the app, and every later save would be lost). In a process of its own, the dialog reads
//! what it likes.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{CommandError, CommandResult, ErrorCode};

/// The flag that makes this executable show one dialog and print the answer.
const FLAG: &str = "--file-dialog";

/// What the user is asked to pick.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PickKind {
    /// An existing file.
    Open,
    /// An existing folder.
    Folder,
    /// A file to write (it may exist: the dialog asks before replacing).
    Save,
}

/// A dialog to show, with the words in the user's language.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct FilePick {
    pub kind: PickKind,
    pub title: String,
    /// The file types offered, by name (`Tessera workspace`) and extensions (`sqlite`).
    pub filter: Option<FileFilter>,
    /// The name proposed for a file to save.
    pub file_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct FileFilter {
    pub name: String,
    pub extensions: Vec<String>,
}

/// What the dialog process prints.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    path: Option<PathBuf>,
    error: Option<String>,
}

/// Shows `pick` in a process of its own; the path picked, or nothing when cancelled.
pub async fn pick(pick: FilePick) -> CommandResult<Option<String>> {
    let request = serde_json::to_string(&pick).map_err(internal)?;
    let program = std::env::current_exe().map_err(internal)?;
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(program)
            .arg(FLAG)
            .arg(request)
            .stdin(std::process::Stdio::null())
            .output()
    })
    .await
    .map_err(crate::error::crashed)?
    .map_err(internal)?;
    let answer: Answer = serde_json::from_slice(&output.stdout).map_err(|_| {
        internal(format!(
            "the file dialog stopped ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    })?;
    match answer {
        Answer { error: Some(e), .. } => Err(internal(e)),
        Answer { path, .. } => Ok(path.map(|p| p.display().to_string())),
    }
}

fn internal(e: impl ToString) -> CommandError {
    CommandError::new(ErrorCode::Internal, e.to_string())
}

/// When this process was started to show a dialog: shows it, prints the answer, and returns the
/// exit code. `None` for the app itself.
pub fn run_if_asked() -> Option<i32> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != FLAG {
        return None;
    }
    let answer = match args
        .next()
        .and_then(|a| a.into_string().ok())
        .and_then(|a| serde_json::from_str::<FilePick>(&a).ok())
    {
        None => Answer {
            path: None,
            error: Some("the file dialog was asked for nothing it understands".into()),
        },
        // Without a display GTK never starts and the dialog would wait forever.
        Some(_)
            if std::env::var_os("DISPLAY").is_none()
                && std::env::var_os("WAYLAND_DISPLAY").is_none() =>
        {
            Answer {
                path: None,
                error: Some("no display to show a file dialog on".into()),
            }
        }
        Some(pick) => Answer {
            path: show(pick),
            error: None,
        },
    };
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, &answer)
        .and_then(|()| out.flush().map_err(serde_json::Error::io));
    Some(if written.is_ok() && answer.error.is_none() {
        0
    } else {
        2
    })
}

fn show(pick: FilePick) -> Option<PathBuf> {
    let mut dialog = rfd::FileDialog::new().set_title(pick.title);
    if let Some(filter) = pick.filter {
        dialog = dialog.add_filter(filter.name, &filter.extensions);
    }
    if let Some(name) = pick.file_name {
        dialog = dialog.set_file_name(name);
    }
    match pick.kind {
        PickKind::Open => dialog.pick_file(),
        PickKind::Folder => dialog.pick_folder(),
        PickKind::Save => dialog.save_file(),
    }
}
