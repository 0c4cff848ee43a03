//! The one error type commands return: the engine's code for the kind of failure (the UI
//! branches on it, never on message text), a message for people, and a template error's place.

use serde::Serialize;

pub use tessera_engine::app::ErrorKind as ErrorCode;

#[derive(Debug, Serialize, specta::Type)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    /// Where a template error is: 1-based line and column.
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The file of a site template the error is in (`preferences.html`).
    pub file: Option<String>,
    /// The field of the edited document that is wrong, and how: shown at that field.
    pub problem: Option<tessera_engine::app::FieldProblem>,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl ToString) -> CommandError {
        CommandError {
            code,
            message: message.to_string(),
            line: None,
            column: None,
            file: None,
            problem: None,
        }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;

/// An error of the use-case layer, with its code.
impl From<tessera_engine::app::Error> for CommandError {
    fn from(e: tessera_engine::app::Error) -> CommandError {
        CommandError {
            code: e.kind,
            message: e.message,
            line: e.place.map(|p| p.0 as u32),
            column: e.place.map(|p| p.1 as u32),
            file: e.file,
            problem: e.problem.map(|p| *p),
        }
    }
}

/// A background task that did not finish (it panicked): a bug, reported as one.
pub fn crashed(e: tokio::task::JoinError) -> CommandError {
    CommandError::new(
        ErrorCode::Internal,
        format!("the task stopped unexpectedly: {e}"),
    )
}
