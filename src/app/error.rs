//! The one error the use-case layer returns: any engine error, with its kind (the code hosts
//! branch on), its message and, for templates, its place.

use crate::error::{Coded, ErrorKind, FieldProblem};

#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// 1-based line and column in a template.
    pub place: Option<(usize, usize)>,
    /// The file of a many-file template the error is in.
    pub file: Option<String>,
    /// The field of the edited document that is wrong, and how, for the app to show there.
    pub problem: Option<Box<FieldProblem>>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl ToString) -> Error {
        Error {
            kind,
            message: message.to_string(),
            place: None,
            file: None,
            problem: None,
        }
    }

    /// A background task that did not finish (it panicked): a bug, reported as one.
    pub(crate) fn crashed(e: tokio::task::JoinError) -> Error {
        Error::new(
            ErrorKind::Internal,
            format!("the task stopped unexpectedly: {e}"),
        )
    }
}

impl<E: Coded> From<E> for Error {
    fn from(e: E) -> Error {
        Error {
            kind: e.kind(),
            message: e.to_string(),
            place: e.place(),
            file: e.file(),
            problem: e.problem().map(Box::new),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
