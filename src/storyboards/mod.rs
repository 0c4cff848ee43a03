//! Interactive video storyboards: the document (`document`, with its JSON Schema), what is
//! checked before a frame is drawn (`check`), and text shaped and drawn with real fonts (`text`).

pub mod check;
pub mod document;
pub mod draw;
pub mod text;

use std::path::{Path, PathBuf};

pub use check::{Findings, Problem};
pub use document::Storyboard;

use crate::microsites::files::plain_path;

#[derive(Debug, thiserror::Error)]
pub enum StoryboardError {
    #[error("cannot read {}: {source}", .file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    /// Not a storyboard document: where in the JSON (1-based line and column).
    #[error("{}, line {line}, column {column}: {message}", .file.display())]
    Document {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

crate::coded!(StoryboardError {
    StoryboardError::Read { .. } => Io,
    StoryboardError::Document { .. } => InvalidInput,
});

/// A storyboard read from its file, and what checking it found (asset files are looked for
/// beside it, by plain relative names only).
pub fn load(file: &Path) -> Result<(Storyboard, Findings), StoryboardError> {
    let text = std::fs::read_to_string(file).map_err(|source| StoryboardError::Read {
        file: file.to_path_buf(),
        source,
    })?;
    let board = parse(&text).map_err(|(line, column, message)| StoryboardError::Document {
        file: file.to_path_buf(),
        line,
        column,
        message,
    })?;
    let folder = file.parent().unwrap_or(Path::new("."));
    let findings = check::check(&board, &|asset| {
        plain_path(asset) && folder.join(asset).is_file()
    });
    Ok((board, findings))
}

/// The storyboard in `text`, or where it is not one: (line, column, message).
pub fn parse(text: &str) -> Result<Storyboard, (usize, usize, String)> {
    serde_json::from_str(text).map_err(|e| (e.line(), e.column(), e.to_string()))
}
