use std::sync::Arc;

use serde_json::Value;
use tauri::State;
use tessera_engine::customers::reach::Reach;
use tessera_engine::render::format::{eligibility, FormatKind};
use tessera_engine::render::images::with_local_images;
use tessera_engine::render::links::{add_unsubscribe_links, UnsubscribePattern};
use tessera_engine::render::preview::{preview_data, preview_email_for, EmailPreview};
use tessera_engine::render::{missing_fields, MissingField};
use tessera_engine::segments::Rule;
use tessera_engine::templates::compile_email;
use tessera_engine::templates::store::{
    list_templates, load_template_source, save_email_template, TemplateInfo,
};

use super::campaigns::audience_contexts;
use crate::error::{crashed, CommandResult};
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn templates_list(state: State<'_, AppState>) -> CommandResult<Vec<TemplateInfo>> {
    let open = state.current().await?;
    Ok(list_templates(&open.workspace.pool).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn template_source(name: String, state: State<'_, AppState>) -> CommandResult<String> {
    let open = state.current().await?;
    Ok(load_template_source(&open.workspace.pool, &name).await?)
}

/// Saves the edited source under `name` (a new template, or replacing one); a source that does
/// not compile is refused with the error's line and column.
#[tauri::command]
#[specta::specta]
pub async fn template_save(
    name: String,
    source: String,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    let open = state.current().await?;
    Ok(save_email_template(&open.workspace.pool, &name, &source).await?)
}

#[derive(Debug, serde::Serialize, specta::Type)]
pub struct MissingReport {
    /// Customers of the audience who can receive email (the ones a campaign would render).
    pub customers: u32,
    /// Merge tags without a fallback that render empty for some of them.
    pub missing: Vec<MissingField>,
}

/// Which merge fields of the edited source would render empty, and for how many of the
/// audience's customers, before anything is rendered to files.
#[tauri::command]
#[specta::specta]
pub async fn template_missing_fields(
    source: String,
    audience: Rule,
    state: State<'_, AppState>,
) -> CommandResult<MissingReport> {
    let template = compile_email(&source)?;
    let open = state.current().await?;
    let mut contexts = audience_contexts(&open, &audience, chrono::Utc::now()).await?;
    drop(open);
    let report = tokio::task::spawn_blocking(move || {
        add_unsubscribe_links(&mut contexts, &UnsubscribePattern::default());
        let receivers: Vec<_> = contexts
            .iter()
            .filter(|c| eligibility(FormatKind::Email, Reach::of(c)).is_ok())
            .collect();
        MissingReport {
            customers: receivers.len() as u32,
            missing: missing_fields(&template, &receivers),
        }
    })
    .await
    .map_err(crashed)?;
    Ok(report)
}

/// The customer's merge data, kept between calls: typing re-renders without touching the database.
pub async fn customer_data(state: &AppState, customer: i64) -> CommandResult<Arc<Value>> {
    if let Some((_, data)) = state
        .preview_data
        .lock()
        .await
        .clone()
        .filter(|(id, _)| *id == customer)
    {
        return Ok(data);
    }
    let open = state.current().await?;
    let data = Arc::new(preview_data(&open.workspace.pool, customer, chrono::Utc::now()).await?);
    *state.preview_data.lock().await = Some((customer, data.clone()));
    Ok(data)
}

/// Compiles `source` (as edited, not yet saved) and renders it for one customer.
#[tauri::command]
#[specta::specta]
pub async fn email_preview(
    source: String,
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<EmailPreview> {
    let template = compile_email(&source)?;
    let data = customer_data(&state, customer.into()).await?;
    let open = state.current().await?;
    let reach = open.index.reach(&[customer.into()])[0];
    let mut preview = preview_email_for(&template, &data, reach)?;
    preview.email.html = with_local_images(&open.workspace.pool, &preview.email.html).await?;
    Ok(preview)
}

#[derive(Debug, serde::Serialize, specta::Type)]
pub struct MergeField {
    /// As written in a template: `first_name`, `recommendations`.
    pub name: String,
    /// This customer's value, shortened, to recognise the field by.
    pub example: String,
}

/// The fields a template can merge, with one customer's values.
#[tauri::command]
#[specta::specta]
pub async fn merge_fields(
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<Vec<MergeField>> {
    let data = customer_data(&state, customer.into()).await?;
    let Value::Object(fields) = data.as_ref() else {
        return Ok(Vec::new());
    };
    Ok(fields
        .iter()
        .map(|(name, value)| {
            let example = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            MergeField {
                name: name.clone(),
                example: example.chars().take(60).collect(),
            }
        })
        .collect())
}
