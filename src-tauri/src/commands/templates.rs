use tauri::State;
use tessera_engine::render::preview::{preview_data, preview_email};
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

/// Compiles `source` (as edited, not yet saved) and renders it for one customer. The customer's
/// merge data is kept between calls: typing re-renders without touching the database.
#[tauri::command]
#[specta::specta]
pub async fn email_preview(
    source: String,
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<RenderedEmail> {
    let template = compile_email(&source)?;
    let customer = i64::from(customer);
    let cached = state
        .preview_data
        .lock()
        .await
        .clone()
        .filter(|(id, _)| *id == customer);
    let data = match cached {
        Some((_, data)) => data,
        None => {
            let open = state.current().await?;
            let data = std::sync::Arc::new(
                preview_data(&open.workspace.pool, customer, chrono::Utc::now()).await?,
            );
            *state.preview_data.lock().await = Some((customer, data.clone()));
            data
        }
    };
    Ok(preview_email(&template, &data)?)
}
