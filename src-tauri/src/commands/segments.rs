use std::path::Path;

use tauri::State;
use tessera_engine::app::{clock_at, CustomerPage, Overwrite, Rule, SavedSegment, SegmentCount};

use crate::error::CommandResult;
use crate::state::AppState;

/// The exact count and funnel from the index: fast enough to run on every edit.
#[tauri::command]
#[specta::specta]
pub async fn segment_count(rule: Rule, state: State<'_, AppState>) -> CommandResult<SegmentCount> {
    Ok(state
        .session()
        .await?
        .segment_count(&rule, clock_at(None)?)
        .await?)
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
    let session = state.session().await?;
    Ok(session.segment_members(&rule, offset, limit).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn segments_list(state: State<'_, AppState>) -> CommandResult<Vec<SavedSegment>> {
    Ok(state.session().await?.segments().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn segment_load(name: String, state: State<'_, AppState>) -> CommandResult<Rule> {
    Ok(state.session().await?.segment(&name).await?)
}

/// Saves (or replaces) a segment; a rule that refers to itself through others is refused.
#[tauri::command]
#[specta::specta]
pub async fn segment_save(
    name: String,
    rule: Rule,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    Ok(state.session().await?.segment_save(&name, &rule).await?)
}

/// Writes the segment's customers to `path` (picked in a save dialog, which asked before
/// replacing a file) as CSV with `columns`; how many customers were written.
#[tauri::command]
#[specta::specta]
pub async fn segment_export(
    rule: Rule,
    columns: Vec<String>,
    path: String,
    state: State<'_, AppState>,
) -> CommandResult<u32> {
    let session = state.session().await?;
    Ok(session
        .segment_export(&rule, &columns, Path::new(&path), Overwrite::Replace)
        .await?)
}
