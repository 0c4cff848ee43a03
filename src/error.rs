//! What kind of failure an engine error is. Each error type says so itself (where it happens),
//! so hosts never guess from a message: the desktop sends `{code, message}` and the UI branches
//! on the code; the CLI prints the message.

/// The kinds of failure a user or a host reacts to differently.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No workspace is open (in the app), or none is at the path given.
    NoWorkspace,
    NotFound,
    InvalidInput,
    /// A template that does not compile or render, with its line and column.
    Template,
    Database,
    Io,
    /// The user stopped it; nothing was changed.
    Cancelled,
    /// The file is not a Tessera workspace (another application's database, not SQLite at all).
    NotAWorkspace,
    /// A render folder holds files Tessera did not write: choose an empty or new one.
    FolderNotEmpty,
    /// A render folder holds an earlier render, replaced only when the user says so.
    EarlierRender,
    /// A sender address that is not an email address, or an unsubscribe link that is not a link.
    InvalidAddress,
    /// The columns of an import file cannot be mapped as they are (two for one field, …).
    ColumnMapping,
    /// A folder to serve holds no rendered personal sites (no campaign with sites was rendered there).
    NoSite,
    /// The address to serve at is taken by another program (or another server).
    AddressInUse,
    /// Another run (in this window or another process) holds the campaign or the folder.
    Busy,
    /// A render being served belongs to another workspace than the open one.
    WrongWorkspace,
    /// A run failed as a whole (every customer failed, ffmpeg failed, a disk filled): it
    /// replaced nothing.
    RenderFailed,
    /// The mail server cannot be reached or refused the login: nothing was sent.
    SmtpUnavailable,
    /// A bug: a task crashed. The message says where.
    Internal,
}

/// What is wrong with one field of something the user edits (a campaign, a name), for the app
/// to word in the user's language beside that field: where (`field`, its path in the document:
/// `holdout`, `variants.1.weight`, `email_settings.from`), what (`code`) and the values the
/// words need (`params`). The error's message says the same in English (the CLI, the details).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub params: std::collections::BTreeMap<String, String>,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, code: &str, params: &[(&str, String)]) -> FieldProblem {
        FieldProblem {
            field: field.into(),
            code: code.to_string(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }
}

/// An engine error that knows its kind (and, for templates, where in the source it is).
pub trait Coded: std::fmt::Display {
    fn kind(&self) -> ErrorKind;

    /// The field an invalid input is in and what is wrong with it, when it is one field's.
    fn problem(&self) -> Option<FieldProblem> {
        None
    }

    /// 1-based line and column in the template, for errors that have one.
    fn place(&self) -> Option<(usize, usize)> {
        None
    }

    /// The file of a many-file template (a site's page) the error is in.
    fn file(&self) -> Option<String> {
        None
    }
}

impl Coded for sqlx::Error {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Database
    }
}

impl Coded for rusqlite::Error {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Database
    }
}

impl Coded for std::io::Error {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Io
    }
}

/// Implements [`Coded`] for error enums whose variants map to kinds one by one.
#[macro_export]
macro_rules! coded {
    ($error:ty { $($pattern:pat => $kind:ident),* $(,)? }) => {
        impl $crate::error::Coded for $error {
            fn kind(&self) -> $crate::error::ErrorKind {
                match self {
                    $($pattern => $crate::error::ErrorKind::$kind),*
                }
            }
        }
    };
}
