//! What can stop a campaign's plan or render, and the kind of each failure.

use crate::render::MissingField;
use crate::render::eml::HeaderError;
use crate::output::{ClaimError, OutputError};
use crate::templates::TemplateError;
use crate::templates::store::TemplateStoreError;
use super::store::CampaignStoreError;

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error(transparent)]
    Document(#[from] super::document::CampaignDocumentError),
    #[error(transparent)]
    Store(#[from] CampaignStoreError),
    #[error(transparent)]
    Segment(#[from] crate::segments::SegmentError),
    #[error(transparent)]
    Rule(#[from] crate::segments::rule::RuleError),
    #[error("template '{name}': {error}")]
    Template { name: String, error: TemplateError },
    #[error(transparent)]
    TemplateStore(#[from] TemplateStoreError),
    #[error(transparent)]
    Address(#[from] HeaderError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{} merge fields are empty for some customers and have no fallback: {}; add fallbacks like {{{{default field \"…\"}}}} or render without strict", .0.len(), missing_list(.0))]
    Missing(Vec<MissingField>),
    #[error(transparent)]
    Workspace(#[from] crate::store::StoreError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Claim(#[from] ClaimError),
    #[error("the render could not go on, so nothing was replaced: {0}")]
    RunFailed(String),
    #[error(
        "every customer's render failed ({count}), so nothing was replaced; the first: {first}"
    )]
    EveryoneFailed { count: usize, first: String },
    #[error("the render stopped unexpectedly: {0}")]
    Crashed(String),
}

/// Each missing field, where it is and for how many.
fn missing_list(fields: &[MissingField]) -> String {
    fields
        .iter()
        .map(|m| {
            format!(
                "'{}' in {} (line {}, column {}) is empty for {} of {} customers",
                m.field, m.template, m.line, m.column, m.customers, m.of
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl crate::error::Coded for CampaignError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            CampaignError::Document(e) => e.kind(),
            CampaignError::Store(e) => e.kind(),
            CampaignError::Segment(e) => e.kind(),
            CampaignError::Rule(e) => e.kind(),
            CampaignError::Template { .. } | CampaignError::Missing(_) => ErrorKind::Template,
            CampaignError::TemplateStore(e) => e.kind(),
            CampaignError::Address(e) => e.kind(),
            CampaignError::Output(e) => e.kind(),
            CampaignError::Workspace(e) => e.kind(),
            CampaignError::Sql(_) => ErrorKind::Database,
            CampaignError::Claim(e) => e.kind(),
            CampaignError::RunFailed(_) | CampaignError::EveryoneFailed { .. } => {
                ErrorKind::RenderFailed
            }
            CampaignError::Crashed(_) => ErrorKind::Internal,
        }
    }

    fn problem(&self) -> Option<crate::error::FieldProblem> {
        match self {
            CampaignError::Document(e) => e.problem(),
            CampaignError::Template { error, .. } => error.problem(),
            CampaignError::TemplateStore(e) => e.problem(),
            _ => None,
        }
    }

    fn place(&self) -> Option<(usize, usize)> {
        match self {
            CampaignError::Template { error, .. } => Some((error.line, error.column)),
            _ => None,
        }
    }
}

