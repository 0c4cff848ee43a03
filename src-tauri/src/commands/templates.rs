use tauri::State;
use tessera_engine::app::{EmailPreview, MergeField, MissingReport, Rule, TemplateInfo};

use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn templates_list(state: State<'_, AppState>) -> CommandResult<Vec<TemplateInfo>> {
    Ok(state.session().await?.templates().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn template_source(name: String, state: State<'_, AppState>) -> CommandResult<String> {
    Ok(state.session().await?.template_source(&name).await?)
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
    Ok(state.session().await?.template_save(&name, &source).await?)
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
    let session = state.session().await?;
    Ok(session.email_missing_fields(&source, &audience).await?)
}

/// Compiles `source` (as edited, not yet saved) and renders it for one customer.
#[tauri::command]
#[specta::specta]
pub async fn email_preview(
    source: String,
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<EmailPreview> {
    let session = state.session().await?;
    Ok(session.email_preview(&source, customer.into()).await?)
}

/// The fields a template can merge, with one customer's values.
#[tauri::command]
#[specta::specta]
pub async fn merge_fields(
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<Vec<MergeField>> {
    Ok(state.session().await?.merge_fields(customer.into()).await?)
}
