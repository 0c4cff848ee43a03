//! The workspace and its customers: status, pages, profiles, and imports (which the session's
//! segment index follows).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::error::{Error, Result};
use super::Session;
use crate::customers::show::{customer_profile, customer_view, find_customer};
use crate::customers::{
    customer_page, customer_position, import_customers, import_events, parse_delimiter,
    parse_field, preview_import, ImportOptions, Target,
};
use crate::error::ErrorKind;
use crate::segments::Clock;

pub use crate::customers::duplicates::{DuplicateDecision, DuplicateSide, PossibleDuplicate};
pub use crate::customers::show::{CustomerProfile, CustomerView, WorkspaceStatus};
pub use crate::customers::{
    CustomerPage, Encoding, FilePreview, ImportSummary, PageQuery, Progress,
};

/// What a file is imported as.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Customers,
    Events,
}

/// How a file is read; anything left out is detected.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ImportSettings {
    /// `utf-8` or `gb18030`.
    pub encoding: Option<String>,
    /// One character, or `tab`.
    pub delimiter: Option<String>,
    /// Columns mapped by hand: (column, field as `--map` spells it).
    pub mapping: Vec<(String, String)>,
    /// The event type of an events file without a type column.
    #[serde(default)]
    pub event_type: Option<String>,
    /// Keep events dated after now instead of rejecting them.
    #[serde(default)]
    pub allow_future: bool,
}

impl ImportSettings {
    pub(super) fn options(&self, cancel: Option<Arc<AtomicBool>>) -> Result<ImportOptions> {
        let mut overrides = HashMap::new();
        for (column, field) in &self.mapping {
            overrides.insert(column.trim().to_string(), parse_field(field)?);
        }
        Ok(ImportOptions {
            encoding: self.encoding.as_deref().map(str::parse).transpose()?,
            delimiter: self.delimiter.as_deref().map(parse_delimiter).transpose()?,
            overrides,
            event_type: self.event_type.clone(),
            cancel,
            allow_future: self.allow_future,
        })
    }
}

fn target(kind: ImportKind) -> Target {
    match kind {
        ImportKind::Customers => Target::Customers,
        ImportKind::Events => Target::Events,
    }
}

fn now() -> Clock {
    Clock {
        now: chrono::Utc::now(),
    }
}

impl Session {
    /// What the workspace holds.
    pub async fn status(&self) -> Result<WorkspaceStatus> {
        let path = self.workspace.path.display().to_string();
        Ok(crate::customers::show::workspace_status(&self.workspace.pool, &path).await?)
    }

    pub async fn customers_page(&self, query: &PageQuery) -> Result<CustomerPage> {
        Ok(customer_page(&self.workspace.pool, query).await?)
    }

    /// A customer's place in id order.
    pub async fn customer_position(&self, id: i64) -> Result<u32> {
        Ok(customer_position(&self.workspace.pool, id).await?)
    }

    /// A customer's 360° profile.
    pub async fn customer_profile(&self, id: i64) -> Result<CustomerProfile> {
        let index = self.index().await?;
        customer_profile(&self.workspace.pool, &index, id, now())
            .await?
            .ok_or_else(|| not_found(&id.to_string()))
    }

    /// A customer found by id, email, phone or external id, with their events.
    pub async fn customer_view(&self, reference: &str) -> Result<CustomerView> {
        let id = find_customer(&self.workspace.pool, reference)
            .await?
            .ok_or_else(|| not_found(reference))?;
        customer_view(&self.workspace.pool, id)
            .await?
            .ok_or_else(|| not_found(reference))
    }

    /// Customers an import kept apart that may be one person, waiting for the user.
    pub async fn possible_duplicates(&self) -> Result<Vec<PossibleDuplicate>> {
        Ok(crate::customers::duplicates::possible_duplicates(&self.workspace.pool).await?)
    }

    /// Merges `other` into `keep`, or keeps the two apart for good (the segment index follows).
    pub async fn decide_duplicate(
        &self,
        keep: i64,
        other: i64,
        decision: DuplicateDecision,
    ) -> Result<()> {
        Ok(
            crate::customers::duplicates::decide_duplicate(&self.workspace, keep, other, decision)
                .await?,
        )
    }

    /// How the file at `path` would be read and what importing it would change.
    pub async fn import_preview(
        &self,
        path: &Path,
        kind: ImportKind,
        settings: &ImportSettings,
    ) -> Result<FilePreview> {
        let options = settings.options(None)?;
        Ok(preview_import(&self.workspace, path, &options, target(kind)).await?)
    }

    /// Imports the file at `path`; setting `cancel` stops it with nothing written.
    pub async fn import(
        &self,
        path: &Path,
        kind: ImportKind,
        settings: &ImportSettings,
        cancel: Option<Arc<AtomicBool>>,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<ImportSummary> {
        let options = settings.options(cancel)?;
        Ok(match kind {
            ImportKind::Customers => {
                import_customers(&self.workspace, path, &options, progress).await?
            }
            ImportKind::Events => import_events(&self.workspace, path, &options, progress).await?,
        })
    }
}

fn not_found(reference: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no customer '{reference}'"))
}
