//! One customer's email, as the preview shows it and as the batch would render it (merge data,
//! unsubscribe link), compiled from a stored template or from source being edited.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::batch::{add_unsubscribe_links, DEFAULT_UNSUBSCRIBE};
use super::context::{load_contexts, Selection};
use crate::templates::{EmailTemplate, Misses, RenderedEmail};

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("no customer with id {0}")]
    NoCustomer(i64),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    Render(String),
}

pub async fn preview_email(
    pool: &SqlitePool,
    template: &EmailTemplate,
    customer: i64,
    now: DateTime<Utc>,
) -> Result<RenderedEmail, PreviewError> {
    let mut contexts = load_contexts(pool, &Selection::Customer(customer), now).await?;
    add_unsubscribe_links(&mut contexts, DEFAULT_UNSUBSCRIBE);
    let context = contexts.first().ok_or(PreviewError::NoCustomer(customer))?;
    template
        .render(&context.data, &mut Misses::default())
        .map_err(|e| PreviewError::Render(e.to_string()))
}
