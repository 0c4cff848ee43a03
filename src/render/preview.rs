//! One customer's email, as the preview shows it and as the batch would render it (merge data,
//! unsubscribe link), compiled from a stored template or from source being edited. Loading the
//! merge data and rendering are separate, so an editor can load a customer once and re-render
//! on every keystroke.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::SqlitePool;

use super::context::{load_contexts, Selection};
use super::links::add_preview_unsubscribe_links;
use crate::templates::{EmailTemplate, Notes, RenderedEmail};

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("no customer with id {0}")]
    NoCustomer(i64),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Render(String),
}

crate::coded!(PreviewError {
    PreviewError::NoCustomer(_) => NotFound,
    PreviewError::Store(_) => Database,
    PreviewError::Render(_) => Template,
});

/// The merge data of one customer, as a batch render would see it.
pub async fn preview_data(
    pool: &SqlitePool,
    customer: i64,
    now: DateTime<Utc>,
) -> Result<Value, PreviewError> {
    let mut contexts = load_contexts(pool, &Selection::Customer(customer), now).await?;
    add_preview_unsubscribe_links(&mut contexts);
    contexts
        .pop()
        .map(|c| c.data)
        .ok_or(PreviewError::NoCustomer(customer))
}

pub fn preview_email(
    template: &EmailTemplate,
    data: &Value,
) -> Result<RenderedEmail, PreviewError> {
    template
        .render(data, &mut Notes::default())
        .map_err(|e| PreviewError::Render(e.to_string()))
}

/// A customer's email with whether it would be sent to them at all.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct EmailPreview {
    #[serde(flatten)]
    pub email: RenderedEmail,
    /// Why a render would skip this customer (no address, opted out); `None` if they get it.
    pub not_sent: Option<super::format::Exclusion>,
}

pub fn preview_email_for(
    template: &EmailTemplate,
    data: &Value,
    reach: crate::customers::reach::Reach,
) -> Result<EmailPreview, PreviewError> {
    Ok(EmailPreview {
        email: preview_email(template, data)?,
        not_sent: super::format::eligibility(super::format::FormatKind::Email, reach).err(),
    })
}
