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
    /// The file is not a Tessera workspace (another application's database, not SQLite at all).
    NotAWorkspace,
    /// A render folder holds files Tessera did not write: choose an empty or new one.
    FolderNotEmpty,
    /// A sender address that is not an email address.
    InvalidAddress,
    /// The columns of an import file cannot be mapped as they are (two for one field, …).
    ColumnMapping,
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
            TemplateStoreError::Name(_) => CommandError::new(ErrorCode::InvalidInput, e),
            TemplateStoreError::Sql(_) => CommandError::new(ErrorCode::Database, e),
        }
    }
}

impl From<tessera_engine::customers::ImportError> for CommandError {
    fn from(e: tessera_engine::customers::ImportError) -> CommandError {
        use tessera_engine::customers::ImportError;
        let code = match e {
            ImportError::Cancelled => ErrorCode::Cancelled,
            ImportError::Mapping(_) => ErrorCode::ColumnMapping,
            ImportError::Sql(_) | ImportError::Sqlite(_) => ErrorCode::Database,
            ImportError::Report { .. } | ImportError::ReportAfterCommit { .. } => ErrorCode::Io,
            _ => ErrorCode::InvalidInput,
        };
        CommandError::new(code, e)
    }
}

impl From<tessera_engine::store::StoreError> for CommandError {
    fn from(e: tessera_engine::store::StoreError) -> CommandError {
        use tessera_engine::store::StoreError;
        let code = match e {
            StoreError::Missing(_) => ErrorCode::NotFound,
            StoreError::Foreign { .. } => ErrorCode::NotAWorkspace,
            _ => ErrorCode::Database,
        };
        CommandError::new(code, e)
    }
}

impl From<tessera_engine::output::OutputError> for CommandError {
    fn from(e: tessera_engine::output::OutputError) -> CommandError {
        use tessera_engine::output::OutputError;
        let code = match e {
            OutputError::NotOurs { .. }
            | OutputError::NotAFolder(_)
            | OutputError::Symlink(_)
            | OutputError::Root(_) => ErrorCode::FolderNotEmpty,
            OutputError::Workspace(_) | OutputError::IsFolder(_) | OutputError::Exists(_) => {
                ErrorCode::InvalidInput
            }
            OutputError::BadName(_) | OutputError::Io { .. } => ErrorCode::Io,
        };
        CommandError::new(code, e)
    }
}

impl From<tessera_engine::render::batch::BatchError> for CommandError {
    fn from(e: tessera_engine::render::batch::BatchError) -> CommandError {
        use tessera_engine::render::batch::BatchError;
        match e {
            BatchError::Output(e) => e.into(),
        }
    }
}

impl From<tessera_engine::segments::SegmentError> for CommandError {
    fn from(e: tessera_engine::segments::SegmentError) -> CommandError {
        use tessera_engine::segments::SegmentError;
        let code = match e {
            SegmentError::NotFound(_) => ErrorCode::NotFound,
            SegmentError::Sql(_) | SegmentError::Sqlite(_) => ErrorCode::Database,
            SegmentError::Rule(_) | SegmentError::Name(_) => ErrorCode::InvalidInput,
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
    tessera_engine::segments::rule::RuleError => ErrorCode::InvalidInput,
    tessera_engine::render::preview::PreviewError => ErrorCode::NotFound,
    tessera_engine::render::eml::HeaderError => ErrorCode::InvalidAddress,
    std::io::Error => ErrorCode::Io,
}
