//! Customers and their events: import (CSV/JSON/NDJSON, UTF-8/GB18030, column mapping,
//! validation), identity merge, and the 360° profile.

pub mod attributes;
pub mod columns;
pub mod csv_text;
pub mod decode;
pub mod duplicates;
mod events;
pub mod identity;
mod import;
pub mod inspect;
mod list;
pub mod names;
pub mod profile;
pub(crate) mod purchases;
pub mod reach;
mod report;
mod results;
pub mod show;
pub mod source;
pub mod suggest;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use columns::{
    field_name, parse_field, parse_overrides, Field, MappingError, SettingError, Target,
};
pub use decode::Encoding;
pub use events::import_events;
pub use results::import_results;
pub use import::{import_customers, CustomerChange, ImportForecast, ValueChange};
pub use inspect::{preview_file, preview_import, ColumnPreview, FilePreview, Suggestion};
pub use list::{
    customer_page, customer_position, customer_rows, CustomerPage, CustomerRow, PageQuery, SortKey,
};
pub use names::{display_name, split_full_name};
pub use report::{csv_field, ImportSummary, RowError};

use report::{RejectedFile, RejectedLayout, Rejection};
use source::{detect_format, read_table, DecodedFile, SourceFileError, SourceTable};

#[derive(Debug, Default, Clone)]
pub struct ImportOptions {
    /// Force an encoding instead of detecting it.
    pub encoding: Option<Encoding>,
    /// Force a CSV delimiter instead of sniffing it.
    pub delimiter: Option<u8>,
    /// `--map COLUMN=FIELD`
    pub overrides: HashMap<String, Field>,
    /// Event type for files without a type column.
    pub event_type: Option<String>,
    /// Set from elsewhere to stop the import; nothing is written then.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Keep events dated after now (planned deliveries, say) instead of rejecting them.
    pub allow_future: bool,
}

/// A delimiter as the user types it: one character, or `tab`.
pub fn parse_delimiter(text: &str) -> Result<u8, SettingError> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        d if d.len() == 1 => Ok(d.as_bytes()[0]),
        d => Err(SettingError(format!(
            "delimiter '{d}' must be one character or 'tab'"
        ))),
    }
}

impl ImportOptions {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Between phases: stops a cancelled import before its next phase.
    fn check_cancelled(&self) -> Result<(), ImportError> {
        if self.cancelled() {
            return Err(ImportError::Cancelled);
        }
        Ok(())
    }

    /// A cancelled import ends in whatever error stopped it (SQLite's "interrupted" while
    /// writing); it is reported as cancelled.
    fn outcome<T>(&self, result: Result<T, ImportError>) -> Result<T, ImportError> {
        result.map_err(|e| {
            if self.cancelled() {
                ImportError::Cancelled
            } else {
                e
            }
        })
    }
}

/// Milestones of an import, for progress bars.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(tag = "stage", rename_all = "lowercase")]
pub enum Progress {
    Read { rows: usize },
    Writing { rows: usize },
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Source(#[from] SourceFileError),
    #[error("no column identifies the customer (email, phone or customer id); columns: {columns:?}. Use --map COLUMN=email")]
    NoKeyColumn { columns: Vec<String> },
    #[error("no results column (sent, opened, clicked, converted or revenue); columns: {columns:?}. Use --map COLUMN=attribute:converted")]
    NoResultColumn { columns: Vec<String> },
    #[error("no {what} column; columns: {columns:?}. Use --map COLUMN=FIELD")]
    MissingColumn {
        what: EventColumn,
        columns: Vec<String>,
    },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot recompute scores: {0}")]
    Scores(#[from] crate::scores::ScoresError),
    #[error("cannot write the rejected rows to {path} ({source}); nothing was imported")]
    Report {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the import was written, but its rejected rows could not be put in place at {path}: {source}")]
    ReportAfterCommit {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Mapping(#[from] columns::MappingError),
    #[error("the import was cancelled; nothing was changed")]
    Cancelled,
}

/// A column an events file needs besides the customer's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventColumn {
    Timestamp,
    EventType,
}

impl std::fmt::Display for EventColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EventColumn::Timestamp => "timestamp",
            EventColumn::EventType => "event type (or --type TYPE for every row)",
        })
    }
}

impl crate::error::Coded for ImportError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            ImportError::Cancelled => ErrorKind::Cancelled,
            ImportError::Mapping(_) => ErrorKind::ColumnMapping,
            ImportError::Sql(_) | ImportError::Sqlite(_) | ImportError::Scores(_) => ErrorKind::Database,
            ImportError::Read { .. } | ImportError::Report { .. } | ImportError::ReportAfterCommit { .. } => ErrorKind::Io,
            ImportError::Source(_)
            | ImportError::NoKeyColumn { .. }
            | ImportError::NoResultColumn { .. }
            | ImportError::MissingColumn { .. } => ErrorKind::InvalidInput,
        }
    }

    fn problem(&self) -> Option<crate::error::FieldProblem> {
        use crate::error::FieldProblem;
        match self {
            ImportError::MissingColumn { what: EventColumn::Timestamp, .. } => {
                Some(FieldProblem::new("timestamp", "missing_timestamp", &[]))
            }
            ImportError::MissingColumn { what: EventColumn::EventType, .. } => {
                Some(FieldProblem::new("event_type", "missing_event_type", &[]))
            }
            ImportError::NoKeyColumn { .. } => Some(FieldProblem::new("key", "missing_key", &[])),
            ImportError::NoResultColumn { .. } => Some(FieldProblem::new("results", "missing_results", &[])),
            _ => None,
        }
    }
}

fn load_table<'a>(
    path: &Path,
    file: &'a DecodedFile<'a>,
    options: &ImportOptions,
) -> Result<SourceTable<'a>, ImportError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(read_table(
        &file.text,
        detect_format(&name, &file.text),
        options.delimiter,
    )?)
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, ImportError> {
    crate::store::read_user_file(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// What an import wrote, for its summary.
struct Counts {
    inserted: usize,
    updated: usize,
    merged: usize,
    unchanged: usize,
    possible_duplicates: usize,
}

/// An import's summary and its rejected-rows file, prepared before the write commits and
/// published after: the import and its report succeed or fail together.
struct Report {
    summary: ImportSummary,
    rejected: RejectedFile,
}

/// Writes the rejected rows (to a temporary file) and builds the summary.
#[allow(clippy::too_many_arguments)]
fn report(
    kind: &'static str,
    path: &Path,
    encoding: Encoding,
    table: &SourceTable,
    rows_read: usize,
    mut rejections: Vec<Rejection>,
    mut warnings: Vec<RowError>,
    counts: Counts,
) -> Result<Report, ImportError> {
    rejections.sort_by_key(|r| r.line);
    warnings.sort_by_key(|w| w.line);
    let rejected = RejectedFile::write(
        path,
        &rejections,
        &RejectedLayout {
            delimiter: table.delimiter,
            columns: &table.columns,
            encoding,
        },
    )
    .map_err(|source| ImportError::Report {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Report {
        summary: ImportSummary {
            kind,
            file: path.display().to_string(),
            format: table.format,
            encoding: encoding.name(),
            delimiter: table.delimiter.map(|d| d.to_string()),
            rows: rows_read,
            inserted: counts.inserted,
            updated: counts.updated,
            merged: counts.merged,
            unchanged: counts.unchanged,
            possible_duplicates: counts.possible_duplicates,
            rejected: rejections.len(),
            errors: rejections
                .iter()
                .map(|r| r.reason.at(r.line))
                .collect(),
            warnings,
            rejected_file: None,
        },
        rejected,
    })
}

impl Report {
    /// After the commit: the rejected rows go in place beside the file.
    fn publish(self, path: &Path) -> Result<ImportSummary, ImportError> {
        let mut summary = self.summary;
        summary.rejected_file = self
            .rejected
            .publish()
            .map_err(|source| ImportError::ReportAfterCommit {
                path: path.to_path_buf(),
                source,
            })?
            .map(|p| p.display().to_string());
        Ok(summary)
    }
}

/// Rows the reader itself could not parse, as rejections.
fn unreadable_rows<'a>(table: &SourceTable<'a>) -> Vec<Rejection<'a>> {
    table
        .errors
        .iter()
        .map(|e| Rejection {
            line: e.line,
            reason: e.reason.clone(),
            raw: e.raw,
        })
        .collect()
}
