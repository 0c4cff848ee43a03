//! The storyboard editor's commands: a live frame of the storyboard as edited, its interactive
//! player for a customer, and saving it.

use tauri::State;
use tessera_engine::storyboards::preview::{FramePreview, Previewer};
use tessera_engine::storyboards::Problem;
use tessera_engine::templates::store::{save_storyboard_template, site_bundle_files};

use super::templates::customer_data;
use crate::error::{crashed, CommandResult};
use crate::state::AppState;

/// The frame of `scene` at `time` seconds (none: when everything in it has appeared) of the
/// storyboard `name` as edited (`bundle`), for one customer, with what its check found.
#[tauri::command]
#[specta::specta]
pub async fn storyboard_preview(
    name: String,
    bundle: String,
    scene: String,
    time: Option<f64>,
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<FramePreview> {
    let files = site_bundle_files(&name, &bundle)?;
    let data = customer_data(&state, customer.into()).await?;
    let previewer = state.previewer.clone();
    let preview = tokio::task::spawn_blocking(move || {
        // After a frame that panicked, the next starts afresh rather than from what it left.
        let mut kept = previewer.lock().unwrap_or_else(|poisoned| {
            previewer.clear_poison();
            let mut kept = poisoned.into_inner();
            *kept = Previewer::default();
            kept
        });
        kept.frame(&files, &scene, time, &data)
    })
    .await
    .map_err(crashed)??;
    Ok(preview)
}

/// Renders the storyboard as edited (`bundle`) into the interactive player of one customer and
/// serves it on loopback for the sandboxed preview frame: the URL of its page. Each play
/// replaces the last; nothing it does is recorded.
#[tauri::command]
#[specta::specta]
pub async fn storyboard_play(
    name: String,
    bundle: String,
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<String> {
    let files = site_bundle_files(&name, &bundle)?;
    let data = customer_data(&state, customer.into()).await?;
    let preview = state.player_preview().await?;
    let url = tokio::task::spawn_blocking(move || preview.play(&files, &data))
        .await
        .map_err(crashed)??;
    Ok(url)
}

/// Saves the edited storyboard under `name` after checking it; what the check warns of.
#[tauri::command]
#[specta::specta]
pub async fn storyboard_save(
    name: String,
    bundle: String,
    state: State<'_, AppState>,
) -> CommandResult<Vec<Problem>> {
    let files = site_bundle_files(&name, &bundle)?;
    let open = state.current().await?;
    Ok(save_storyboard_template(&open.workspace.pool, &name, files).await?)
}
