use tauri::State;
use tessera_engine::customers::show::{workspace_status as status, WorkspaceStatus};
use tessera_engine::demo::create_demo;
use tessera_engine::store::{Access, Workspace};
use tessera_engine::templates::store::install_starter_templates;

use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::state::AppState;

/// Size of the demo workspace: enough to page, segment and preview, quick to create.
const DEMO_CUSTOMERS: usize = 2_000;

#[tauri::command]
#[specta::specta]
pub async fn workspace_open_demo(state: State<'_, AppState>) -> CommandResult<WorkspaceStatus> {
    let dir = state.data_dir.join("demo");
    let db = dir.join("workspace.sqlite");
    if !db.exists() {
        create_demo(&dir, &db, DEMO_CUSTOMERS).await?;
    }
    state.open(&db, Access::Existing).await?;
    workspace_status(state).await
}

#[tauri::command]
#[specta::specta]
pub async fn workspace_open(
    path: String,
    state: State<'_, AppState>,
) -> CommandResult<WorkspaceStatus> {
    // Opening never creates: a recent workspace that was moved away is reported, not recreated empty.
    state.open(path.as_ref(), Access::Existing).await?;
    workspace_status(state).await
}

/// Creates an empty workspace (with the starter templates) at a path picked in a save dialog,
/// and opens it. An existing file is never overwritten.
#[tauri::command]
#[specta::specta]
pub async fn workspace_create(
    path: String,
    state: State<'_, AppState>,
) -> CommandResult<WorkspaceStatus> {
    if std::path::Path::new(&path).exists() {
        return Err(CommandError::new(
            ErrorCode::InvalidInput,
            format!("{path} already exists; open it, or choose a new name"),
        ));
    }
    let workspace = Workspace::open(path.as_ref(), Access::Create).await?;
    install_starter_templates(&workspace.pool).await?;
    workspace.close().await;
    state.open(path.as_ref(), Access::Existing).await?;
    workspace_status(state).await
}

#[tauri::command]
#[specta::specta]
pub async fn workspace_status(state: State<'_, AppState>) -> CommandResult<WorkspaceStatus> {
    let open = state.current().await?;
    let path = open.workspace.path.display().to_string();
    Ok(status(&open.workspace.pool, &path).await?)
}
