//! The storyboard editor's commands: a live frame of the storyboard as edited, its interactive
//! player for a customer, and saving it.

use tauri::State;
use tessera_engine::app::{FramePreview, Problem};

use crate::error::CommandResult;
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
    let session = state.session().await?;
    Ok(session
        .storyboard_frame(&name, &bundle, &scene, time, customer.into())
        .await?)
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
    let session = state.session().await?;
    Ok(session
        .storyboard_play(&name, &bundle, customer.into())
        .await?)
}

/// Saves the edited storyboard under `name` after checking it; what the check warns of.
#[tauri::command]
#[specta::specta]
pub async fn storyboard_save(
    name: String,
    bundle: String,
    state: State<'_, AppState>,
) -> CommandResult<Vec<Problem>> {
    Ok(state
        .session()
        .await?
        .storyboard_save(&name, &bundle)
        .await?)
}
