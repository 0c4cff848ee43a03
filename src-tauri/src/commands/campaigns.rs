use std::sync::atomic::Ordering;

use tauri::ipc::Channel;
use tauri::State;
use tessera_engine::app::{
    Campaign, CampaignInfo, CampaignPreview, RenderRequest, RenderedItem, RunInfo, RunProgress,
    RunSummary, Split,
};

use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn campaigns_list(state: State<'_, AppState>) -> CommandResult<Vec<CampaignInfo>> {
    Ok(state.session().await?.campaigns().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn campaign_load(name: String, state: State<'_, AppState>) -> CommandResult<Campaign> {
    Ok(state.session().await?.campaign(&name).await?)
}

/// Saves (or replaces) the campaign under its name, after checking it.
#[tauri::command]
#[specta::specta]
pub async fn campaign_save(campaign: Campaign, state: State<'_, AppState>) -> CommandResult<()> {
    Ok(state.session().await?.campaign_save(&campaign).await?)
}

/// Customers per arm and excluded by reason: fast enough to follow every change of the
/// weights or the holdout.
#[tauri::command]
#[specta::specta]
pub async fn campaign_split(
    campaign: Campaign,
    state: State<'_, AppState>,
) -> CommandResult<Split> {
    Ok(state.session().await?.campaign_split(&campaign).await?)
}

/// Renders the campaign into `out`; progress streams through `on_progress`, `campaign_cancel`
/// stops it after the files in flight. A folder holding an earlier render is replaced only
/// with `replace`.
#[tauri::command]
#[specta::specta]
pub async fn campaign_render(
    campaign: Campaign,
    out: String,
    strict: bool,
    replace: bool,
    on_progress: Channel<RunProgress>,
    state: State<'_, AppState>,
) -> CommandResult<RunSummary> {
    let cancel = state.cancel_render.clone();
    cancel.store(false, Ordering::Relaxed);
    let progress = |p: RunProgress| {
        let _ = on_progress.send(p);
    };
    let request = RenderRequest {
        campaign,
        out: out.into(),
        strict,
        replace,
        sources: Default::default(),
        progress: &progress,
        cancel,
    };
    Ok(state.session().await?.campaign_render(request).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn campaign_cancel(state: State<'_, AppState>) -> CommandResult<()> {
    state.cancel_render.store(true, Ordering::Relaxed);
    Ok(())
}

/// Past runs of a campaign (all campaigns if none is named), from the delivery log.
#[tauri::command]
#[specta::specta]
pub async fn campaign_runs(
    name: Option<String>,
    state: State<'_, AppState>,
) -> CommandResult<Vec<RunInfo>> {
    Ok(state
        .session()
        .await?
        .campaign_runs(name.as_deref())
        .await?)
}

/// The campaign as one customer would get it: their variant and the email of their language.
#[tauri::command]
#[specta::specta]
pub async fn campaign_preview(
    campaign: Campaign,
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<CampaignPreview> {
    let session = state.session().await?;
    Ok(session.campaign_preview(&campaign, customer.into()).await?)
}

#[derive(Debug, serde::Serialize, specta::Type)]
pub struct Opened {
    /// Whether a file manager or viewer took it; if not, the app shows the path to copy.
    pub opened: bool,
    pub path: String,
}

/// Opens the last rendered campaign's folder or manifest in the system's file manager or
/// viewer: only what this workspace's last render wrote. A computer without a file opener is
/// not an error: the path comes back for the user to copy.
#[tauri::command]
#[specta::specta]
pub async fn campaign_open(
    item: RenderedItem,
    state: State<'_, AppState>,
) -> CommandResult<Opened> {
    let path = state.session().await?.rendered(item).await?;
    // A launcher that fails does so at once (`gio open` exits 2 with no file manager): spawning
    // one is not opening. Still running after the wait, it has handed the path over.
    let launched = path.clone();
    let opened = tokio::task::spawn_blocking(move || {
        open::that_detached_with_timeout(&launched, std::time::Duration::from_secs(2)).is_ok()
    })
    .await
    .unwrap_or(false);
    Ok(Opened {
        opened,
        path: path.display().to_string(),
    })
}

/// A seed for a new campaign (its split and personal URLs are its own).
#[tauri::command]
#[specta::specta]
pub async fn campaign_seed() -> CommandResult<String> {
    Ok(tessera_engine::app::new_seed())
}
