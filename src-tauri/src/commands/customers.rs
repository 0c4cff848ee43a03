use tauri::ipc::Channel;
use tauri::State;
use tessera_engine::customers::show::{customer_view, CustomerView};
use tessera_engine::customers::{
    customer_page, customer_position, import_customers, import_events, CustomerPage, ImportOptions,
    ImportSummary, PageQuery, Progress,
};

use crate::error::{database, CommandError, CommandResult, ErrorCode};
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn customers_page(
    query: PageQuery,
    state: State<'_, AppState>,
) -> CommandResult<CustomerPage> {
    let open = state.current().await?;
    customer_page(&open.workspace.pool, &query)
        .await
        .map_err(database)
}

/// A customer's place in id order, for stepping on from a customer found by search.
#[tauri::command]
#[specta::specta]
pub async fn customer_position_get(id: i32, state: State<'_, AppState>) -> CommandResult<u32> {
    let open = state.current().await?;
    customer_position(&open.workspace.pool, id.into())
        .await
        .map_err(database)
}

#[tauri::command]
#[specta::specta]
pub async fn customer_get(id: i32, state: State<'_, AppState>) -> CommandResult<CustomerView> {
    let open = state.current().await?;
    customer_view(&open.workspace.pool, id.into())
        .await
        .map_err(database)?
        .ok_or_else(|| CommandError::new(ErrorCode::NotFound, format!("no customer with id {id}")))
}

#[derive(Debug, Clone, Copy, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Customers,
    Events,
}

/// Imports a file the user picked; progress streams through `on_progress`. The segment index is
/// rebuilt afterwards, so counts include the new rows.
#[tauri::command]
#[specta::specta]
pub async fn customers_import(
    path: String,
    kind: ImportKind,
    on_progress: Channel<Progress>,
    state: State<'_, AppState>,
) -> CommandResult<ImportSummary> {
    let summary = {
        let open = state.current().await?;
        let report = |p: Progress| {
            let _ = on_progress.send(p);
        };
        let options = ImportOptions::default();
        let path = std::path::Path::new(&path);
        match kind {
            ImportKind::Customers => {
                import_customers(&open.workspace, path, &options, &report).await?
            }
            ImportKind::Events => import_events(&open.workspace, path, &options, &report).await?,
        }
    };
    state.reindex().await?;
    Ok(summary)
}
