//! The one error type commands return: a stable code the UI can branch on, and a message for
//! people. The UI never matches message text.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize, specta::Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NoWorkspace,
    NotFound,
    InvalidInput,
    Template,
    Database,
    Io,
    /// The user stopped it; nothing was changed.
    Cancelled,
}

#[derive(Debug, Serialize, specta::Type)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    /// Where a template error is: 1-based line and column.
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl ToString) -> CommandError {
        CommandError {
            code,
            message: message.to_string(),
            line: None,
            column: None,
        }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;

/// A name the user typed for something to save (a segment, a template): trimmed, not empty.
pub fn required_name<'a>(name: &'a str, what: &str) -> CommandResult<&'a str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CommandError::new(
            ErrorCode::InvalidInput,
            format!("a {what} needs a name"),
        ));
    }
    Ok(name)
}

/// For database errors the engine passes through untyped (sqlx, rusqlite).
pub fn database(e: impl ToString) -> CommandError {
    CommandError::new(ErrorCode::Database, e)
}

impl From<tessera_engine::templates::TemplateError> for CommandError {
    fn from(e: tessera_engine::templates::TemplateError) -> CommandError {
        CommandError {
            code: ErrorCode::Template,
            message: e.to_string(),
            line: Some(e.line as u32),
            column: Some(e.column as u32),
        }
    }
}

impl From<tessera_engine::templates::store::TemplateStoreError> for CommandError {
    fn from(e: tessera_engine::templates::store::TemplateStoreError) -> CommandError {
        use tessera_engine::templates::store::TemplateStoreError;
        match e {
            // A template that does not compile: pointed at its line and column.
            TemplateStoreError::Invalid { error, .. } => error.into(),
            TemplateStoreError::NotFound(_) => CommandError::new(ErrorCode::NotFound, e),
            TemplateStoreError::Sql(_) => CommandError::new(ErrorCode::Database, e),
        }
    }
}

impl From<tessera_engine::customers::ImportError> for CommandError {
    fn from(e: tessera_engine::customers::ImportError) -> CommandError {
        use tessera_engine::customers::ImportError;
        let code = match e {
            ImportError::Cancelled => ErrorCode::Cancelled,
            _ => ErrorCode::InvalidInput,
        };
        CommandError::new(code, e)
    }
}

/// Engine errors by kind: each maps to the code the UI needs to react to it.
macro_rules! from_engine {
    ($($error:ty => $code:expr),* $(,)?) => {$(
        impl From<$error> for CommandError {
            fn from(e: $error) -> CommandError {
                CommandError::new($code, e)
            }
        }
    )*};
}

from_engine! {
    tessera_engine::store::StoreError => ErrorCode::Database,
    tessera_engine::segments::rule::RuleError => ErrorCode::InvalidInput,
    tessera_engine::segments::SegmentError => ErrorCode::InvalidInput,
    tessera_engine::render::preview::PreviewError => ErrorCode::NotFound,
    std::io::Error => ErrorCode::Io,
    tessera_engine::render::batch::BatchError => ErrorCode::Io,
}
