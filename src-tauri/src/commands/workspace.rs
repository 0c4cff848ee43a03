use std::path::Path;

use tauri::State;
use tessera_engine::app::{Access, Session, WorkspaceStatus};

use crate::error::CommandResult;
use crate::state::AppState;

/// Size of the demo workspace: enough to page, segment and preview, quick to create.
const DEMO_CUSTOMERS: usize = 2_000;

#[tauri::command]
#[specta::specta]
pub async fn workspace_open_demo(state: State<'_, AppState>) -> CommandResult<WorkspaceStatus> {
    let session = Session::open_demo(&state.data_dir.join("demo"), DEMO_CUSTOMERS).await?;
    state.replace(session).await?;
    workspace_status(state).await
}

#[tauri::command]
#[specta::specta]
pub async fn workspace_open(
    path: String,
    state: State<'_, AppState>,
) -> CommandResult<WorkspaceStatus> {
    // Opening never creates: a recent workspace that was moved away is reported, not recreated empty.
    let session = Session::open(Path::new(&path), Access::Existing).await?;
    state.replace(session).await?;
    workspace_status(state).await
}

/// Creates a workspace (with what every new one has) at a path picked in a save dialog, and
/// opens it. An existing file is never overwritten.
#[tauri::command]
#[specta::specta]
pub async fn workspace_create(
    path: String,
    state: State<'_, AppState>,
) -> CommandResult<WorkspaceStatus> {
    state
        .replace(Session::create(Path::new(&path)).await?)
        .await?;
    workspace_status(state).await
}

#[tauri::command]
#[specta::specta]
pub async fn workspace_status(state: State<'_, AppState>) -> CommandResult<WorkspaceStatus> {
    Ok(state.session().await?.status().await?)
}
