use tauri::State;
use tessera_engine::segments::store::load_catalog;
use tessera_engine::segments::{Clock, Rule, SegmentCount};

use crate::error::CommandResult;
use crate::state::AppState;

/// The exact count and funnel from the in-memory index: fast enough to run on every edit.
#[tauri::command]
#[specta::specta]
pub async fn segment_count(rule: Rule, state: State<'_, AppState>) -> CommandResult<SegmentCount> {
    let open = state.current().await?;
    let catalog = load_catalog(&open.workspace.pool).await?;
    let clock = Clock {
        now: chrono::Utc::now(),
    };
    Ok(open.index.count(&rule, &catalog, clock)?)
}
