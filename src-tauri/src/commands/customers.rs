use std::path::Path;
use std::sync::atomic::Ordering;

use tauri::ipc::Channel;
use tauri::State;
use tessera_engine::app::{
    CustomerPage, CustomerProfile, DuplicateDecision, FilePreview, ImportKind, ImportSettings,
    ImportSummary, PageQuery, PossibleDuplicate, Progress,
};

use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn customers_page(
    query: PageQuery,
    state: State<'_, AppState>,
) -> CommandResult<CustomerPage> {
    Ok(state.session().await?.customers_page(&query).await?)
}

/// A customer's place in id order, for stepping on from a customer found by search.
#[tauri::command]
#[specta::specta]
pub async fn customer_position_get(id: i32, state: State<'_, AppState>) -> CommandResult<u32> {
    Ok(state.session().await?.customer_position(id.into()).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn customer_get(id: i32, state: State<'_, AppState>) -> CommandResult<CustomerProfile> {
    Ok(state.session().await?.customer_profile(id.into()).await?)
}

/// Customers an import kept apart that may be one person, for the user to review.
#[tauri::command]
#[specta::specta]
pub async fn duplicates_list(state: State<'_, AppState>) -> CommandResult<Vec<PossibleDuplicate>> {
    Ok(state.session().await?.possible_duplicates().await?)
}

/// Merges `other` into `keep`, or keeps the pair apart.
#[tauri::command]
#[specta::specta]
pub async fn duplicate_decide(
    keep: i32,
    other: i32,
    decision: DuplicateDecision,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    let session = state.session().await?;
    Ok(session
        .decide_duplicate(keep.into(), other.into(), decision)
        .await?)
}

/// The wizard's preview of a picked file: detected format, encoding and delimiter, the column
/// mapping (onto the workspace's attributes) and the first rows, as the import with these
/// settings would read them, and what importing them would change.
#[tauri::command]
#[specta::specta]
pub async fn import_preview(
    path: String,
    kind: ImportKind,
    settings: ImportSettings,
    state: State<'_, AppState>,
) -> CommandResult<FilePreview> {
    let session = state.session().await?;
    Ok(session
        .import_preview(Path::new(&path), kind, &settings)
        .await?)
}

/// Imports a file the user picked; progress streams through `on_progress`, `import_cancel`
/// stops it with nothing written.
#[tauri::command]
#[specta::specta]
pub async fn customers_import(
    path: String,
    kind: ImportKind,
    settings: ImportSettings,
    on_progress: Channel<Progress>,
    state: State<'_, AppState>,
) -> CommandResult<ImportSummary> {
    let cancel = state.cancel_import.clone();
    cancel.store(false, Ordering::Relaxed);
    let report = |p: Progress| {
        let _ = on_progress.send(p);
    };
    let session = state.session().await?;
    Ok(session
        .import(Path::new(&path), kind, &settings, Some(cancel), &report)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn import_cancel(state: State<'_, AppState>) -> CommandResult<()> {
    state.cancel_import.store(true, Ordering::Relaxed);
    Ok(())
}
