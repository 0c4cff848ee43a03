use std::path::Path;
use std::sync::atomic::Ordering;

use tauri::ipc::Channel;
use tauri::State;
use tessera_engine::campaigns::preview::{preview_customer, CampaignPreview};
use tessera_engine::campaigns::store::{
    list_campaigns, list_runs, load_campaign, save_campaign, CampaignInfo, RunInfo,
};
use tessera_engine::campaigns::{
    plan_campaign, render_campaign, Campaign, RunOptions, RunProgress, RunSummary, Selector, Split,
};
use tessera_engine::output::holds_earlier_render;
use tessera_engine::render::{load_contexts, CustomerContext, Selection};
use tessera_engine::segments::store::load_catalog;
use tessera_engine::segments::{Clock, Rule};

use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::state::{AppState, Open};

/// The merge data of everyone `audience` selects, from the segment index.
pub async fn audience_contexts(
    open: &Open,
    audience: &Rule,
    now: chrono::DateTime<chrono::Utc>,
) -> CommandResult<Vec<CustomerContext>> {
    let catalog = load_catalog(&open.workspace.pool).await?;
    let members = open.index.members(audience, &catalog, Clock { now })?;
    load_contexts(&open.workspace.pool, &Selection::Customers(members), now)
        .await
        .map_err(CommandError::from)
}

#[tauri::command]
#[specta::specta]
pub async fn campaigns_list(state: State<'_, AppState>) -> CommandResult<Vec<CampaignInfo>> {
    let open = state.current().await?;
    Ok(list_campaigns(&open.workspace.pool).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn campaign_load(name: String, state: State<'_, AppState>) -> CommandResult<Campaign> {
    let open = state.current().await?;
    Ok(load_campaign(&open.workspace.pool, &name).await?)
}

/// Saves (or replaces) the campaign under its name, after checking it.
#[tauri::command]
#[specta::specta]
pub async fn campaign_save(campaign: Campaign, state: State<'_, AppState>) -> CommandResult<()> {
    let open = state.current().await?;
    Ok(save_campaign(&open.workspace.pool, &campaign).await?)
}

/// Customers per arm and excluded by reason, from the segment index: fast enough to follow
/// every change of the weights or the holdout.
#[tauri::command]
#[specta::specta]
pub async fn campaign_split(
    campaign: Campaign,
    state: State<'_, AppState>,
) -> CommandResult<Split> {
    let open = state.current().await?;
    let selector = Selector::Index(&open.index);
    let plan = plan_campaign(
        &open.workspace.pool,
        selector,
        &campaign,
        chrono::Utc::now(),
    )
    .await?;
    Ok(plan.split)
}

/// Renders the campaign into `out` (see the engine's campaign pipeline); progress streams
/// through `on_progress`, `campaign_cancel` stops it after the files in flight. `strict`
/// refuses to render while a merge field is empty for some customer and has no fallback.
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
    if !replace && holds_earlier_render(Path::new(&out)) {
        return Err(CommandError::new(
            ErrorCode::EarlierRender,
            format!("{out} holds an earlier render"),
        ));
    }
    let open = state.current().await?;
    let now = chrono::Utc::now();
    let plan = plan_campaign(
        &open.workspace.pool,
        Selector::Index(&open.index),
        &campaign,
        now,
    )
    .await?;
    let cancel = state.cancel_render.clone();
    cancel.store(false, Ordering::Relaxed);
    *state.last_render.lock().await = Some(out.clone().into());
    let progress = |p: RunProgress| {
        let _ = on_progress.send(p);
    };
    let options = RunOptions {
        out: out.into(),
        now,
        strict,
        progress: &progress,
        cancel,
        template_sources: Default::default(),
    };
    Ok(render_campaign(&open.workspace.pool, plan, options).await?)
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
    let open = state.current().await?;
    Ok(list_runs(&open.workspace.pool, name.as_deref()).await?)
}

/// The campaign as one customer would get it: their variant and the email of their language.
#[tauri::command]
#[specta::specta]
pub async fn campaign_preview(
    campaign: Campaign,
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<CampaignPreview> {
    let open = state.current().await?;
    Ok(preview_customer(
        &open.workspace.pool,
        &campaign,
        customer.into(),
        chrono::Utc::now(),
    )
    .await?)
}

#[derive(Debug, Clone, Copy, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RenderedItem {
    Folder,
    Manifest,
}

#[derive(Debug, serde::Serialize, specta::Type)]
pub struct Opened {
    /// Whether a file manager or viewer took it; if not, the app shows the path to copy.
    pub opened: bool,
    pub path: String,
}

/// Opens the last rendered campaign's folder or manifest in the system's file manager or
/// viewer. Only what the app itself just wrote can be opened this way. A computer without a
/// file opener is not an error: the path comes back for the user to copy.
#[tauri::command]
#[specta::specta]
pub async fn campaign_open(
    item: RenderedItem,
    state: State<'_, AppState>,
) -> CommandResult<Opened> {
    let out = state.last_render.lock().await.clone().ok_or_else(|| {
        CommandError::new(ErrorCode::NotFound, "no campaign has been rendered yet")
    })?;
    let path = match item {
        RenderedItem::Folder => out,
        RenderedItem::Manifest => out.join("manifest.json"),
    };
    Ok(Opened {
        opened: open::that_detached(&path).is_ok(),
        path: path.display().to_string(),
    })
}
