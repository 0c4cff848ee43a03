use tauri::State;
use tessera_engine::app::{Hypothesis, HypothesisPlan, Report};

use crate::error::CommandResult;
use crate::state::AppState;

/// The report of a campaign's run (its latest finished one if none is named), at alpha 0.05.
#[tauri::command]
#[specta::specta]
pub async fn campaign_report(
    name: String,
    run: Option<i32>,
    state: State<'_, AppState>,
) -> CommandResult<Report> {
    let session = state.session().await?;
    Ok(session
        .campaign_report(&name, run.map(i64::from), 0.05)
        .await?)
}

/// The planner beside the hypothesis being edited: the baseline from the workspace's history,
/// the customers each arm needs and the smallest lift `per_arm` customers can detect.
#[tauri::command]
#[specta::specta]
pub async fn hypothesis_plan(
    hypothesis: Hypothesis,
    arms: u32,
    per_arm: u32,
    state: State<'_, AppState>,
) -> CommandResult<HypothesisPlan> {
    let session = state.session().await?;
    Ok(session
        .hypothesis_plan(&hypothesis, arms, per_arm.into())
        .await?)
}

/// Saves the report the app composed (words, table, charts) as an HTML file where the user chose.
#[tauri::command]
#[specta::specta]
pub async fn report_export(
    path: String,
    html: String,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    let session = state.session().await?;
    Ok(session
        .report_export(std::path::Path::new(&path), &html)
        .await?)
}
