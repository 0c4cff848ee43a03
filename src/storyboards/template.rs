//! A storyboard template is a folder, like a site's: `storyboard.json` and the image files it
//! names (`assets/logo.png`). The workspace keeps it as one bundle of those files. Compiling it
//! checks it (errors refuse it, naming scene and layer; warnings come back), compiles its texts
//! and decodes its images once for every customer.

use super::check::check;
use super::draw::{Compiled, Images};
use super::encode::EncodeError;
use super::video::VideoTemplate;
use super::{parse, Problem};
use crate::microsites::files::{plain_path, SiteFiles};
use crate::microsites::SiteError;

/// The document's file in the folder.
pub const DOCUMENT: &str = "storyboard.json";

#[derive(Debug, thiserror::Error)]
pub enum StoryboardError {
    #[error(transparent)]
    Files(#[from] SiteError),
    /// Not a storyboard document: where in its JSON (1-based line and column).
    #[error("{DOCUMENT}, line {line}, column {column}: {message}")]
    Document {
        line: usize,
        column: usize,
        message: String,
    },
    /// What the checks refused, each naming its scene and layer.
    #[error("{}", list(.0))]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl crate::error::Coded for StoryboardError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            StoryboardError::Files(e) => e.kind(),
            StoryboardError::Encode(e) => e.kind(),
            StoryboardError::Document { .. } | StoryboardError::Invalid(_) => {
                crate::error::ErrorKind::Template
            }
        }
    }

    fn place(&self) -> Option<(usize, usize)> {
        match self {
            StoryboardError::Document { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }

    fn file(&self) -> Option<String> {
        match self {
            StoryboardError::Document { .. } => Some(DOCUMENT.into()),
            _ => None,
        }
    }
}

/// The storyboard of `files`, checked and ready to render, and the check's warnings.
pub fn compile_storyboard(
    files: &SiteFiles,
) -> Result<(VideoTemplate, Vec<Problem>), StoryboardError> {
    compile_storyboard_reusing(files, &Images::default())
}

/// As [`compile_storyboard`], taking the images `decoded` has of the same files rather than
/// decoding them again (an editor's next preview).
pub fn compile_storyboard_reusing(
    files: &SiteFiles,
    decoded: &Images,
) -> Result<(VideoTemplate, Vec<Problem>), StoryboardError> {
    let text = files.text(DOCUMENT)?;
    let board = parse(&text).map_err(|(line, column, message)| StoryboardError::Document {
        line,
        column,
        message,
    })?;
    let findings = check(&board, &|file| plain_path(file) && files.contains(file));
    if !findings.errors.is_empty() {
        return Err(StoryboardError::Invalid(findings.errors));
    }
    let invalid = |message: String| {
        StoryboardError::Invalid(vec![Problem {
            scene: None,
            layer: None,
            message,
        }])
    };
    let compiled = Compiled::new(&board).map_err(invalid)?;
    let images = Images::load(&board, files, decoded).map_err(invalid)?;
    Ok((
        VideoTemplate::new(board, compiled, images),
        findings.warnings,
    ))
}
