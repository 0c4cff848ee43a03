use tauri::State;
use tessera_engine::render::preview::preview_email;
use tessera_engine::templates::store::{list_templates, load_template_source};
use tessera_engine::templates::{compile_email, RenderedEmail};

use crate::error::CommandResult;
use crate::state::AppState;

#[derive(Debug, serde::Serialize, specta::Type)]
pub struct TemplateInfo {
    pub name: String,
    pub updated_at: String,
}

#[tauri::command]
#[specta::specta]
pub async fn templates_list(state: State<'_, AppState>) -> CommandResult<Vec<TemplateInfo>> {
    let open = state.current().await?;
    let templates = list_templates(&open.workspace.pool).await?;
    Ok(templates
        .into_iter()
        .map(|(name, updated_at)| TemplateInfo { name, updated_at })
        .collect())
}

#[tauri::command]
#[specta::specta]
pub async fn template_source(name: String, state: State<'_, AppState>) -> CommandResult<String> {
    let open = state.current().await?;
    Ok(load_template_source(&open.workspace.pool, &name).await?)
}

/// Compiles `source` (as edited, not yet saved) and renders it for one customer.
#[tauri::command]
#[specta::specta]
pub async fn email_preview(
    source: String,
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<RenderedEmail> {
    let template = compile_email(&source)?;
    let open = state.current().await?;
    Ok(preview_email(
        &open.workspace.pool,
        &template,
        customer.into(),
        chrono::Utc::now(),
    )
    .await?)
}
