use std::path::Path;

use tauri::State;
use tessera_engine::customers::{customer_rows, CustomerPage};
use tessera_engine::output::{write_file, Overwrite};
use tessera_engine::render::export::members_csv;
use tessera_engine::segments::store::{list_segments, load_catalog, load_segment, save_segment};
use tessera_engine::segments::{Clock, Rule, SegmentCount};

use super::campaigns::audience_contexts;
use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::state::AppState;

fn now() -> Clock {
    Clock {
        now: chrono::Utc::now(),
    }
}

/// The exact count and funnel from the in-memory index: fast enough to run on every edit.
#[tauri::command]
#[specta::specta]
pub async fn segment_count(rule: Rule, state: State<'_, AppState>) -> CommandResult<SegmentCount> {
    let open = state.current().await?;
    let catalog = load_catalog(&open.workspace.pool).await?;
    Ok(open.index.count(&rule, &catalog, now())?)
}

/// One page of the customers a rule selects, in id order (from the index, like the count).
#[tauri::command]
#[specta::specta]
pub async fn segment_members(
    rule: Rule,
    offset: u32,
    limit: u32,
    state: State<'_, AppState>,
) -> CommandResult<CustomerPage> {
    let open = state.current().await?;
    let catalog = load_catalog(&open.workspace.pool).await?;
    let ids = open.index.members(&rule, &catalog, now())?;
    Ok(customer_rows(&open.workspace.pool, &ids, offset, limit).await?)
}

#[derive(Debug, serde::Serialize, specta::Type)]
pub struct SavedSegment {
    pub name: String,
    pub updated_at: String,
}

#[tauri::command]
#[specta::specta]
pub async fn segments_list(state: State<'_, AppState>) -> CommandResult<Vec<SavedSegment>> {
    let open = state.current().await?;
    let saved = list_segments(&open.workspace.pool).await?;
    Ok(saved
        .into_iter()
        .map(|(name, updated_at)| SavedSegment { name, updated_at })
        .collect())
}

#[tauri::command]
#[specta::specta]
pub async fn segment_load(name: String, state: State<'_, AppState>) -> CommandResult<Rule> {
    let open = state.current().await?;
    Ok(load_segment(&open.workspace.pool, &name).await?)
}

/// Saves (or replaces) a segment; a rule that refers to itself through others is refused.
#[tauri::command]
#[specta::specta]
pub async fn segment_save(
    name: String,
    rule: Rule,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    let open = state.current().await?;
    Ok(save_segment(&open.workspace.pool, &name, &rule, now()).await?)
}

/// Writes the segment's customers to `path` (picked in a save dialog) as CSV with `columns`
/// (any merge fields); returns how many customers were written.
#[tauri::command]
#[specta::specta]
pub async fn segment_export(
    rule: Rule,
    columns: Vec<String>,
    path: String,
    state: State<'_, AppState>,
) -> CommandResult<u32> {
    if columns.is_empty() {
        return Err(CommandError::new(
            ErrorCode::InvalidInput,
            "choose at least one column to export",
        ));
    }
    let open = state.current().await?;
    let customers = audience_contexts(&open, &rule, chrono::Utc::now()).await?;
    // The save dialog asked before replacing a file; a workspace is refused all the same.
    write_file(
        Path::new(&path),
        members_csv(&customers, &columns).as_bytes(),
        Overwrite::Replace,
        &open.workspace.files(),
    )?;
    Ok(customers.len() as u32)
}
