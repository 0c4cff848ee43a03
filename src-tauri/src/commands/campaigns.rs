use std::sync::atomic::Ordering;

use tauri::ipc::Channel;
use tauri::State;
use tessera_engine::render::eml::Mailbox;
use tessera_engine::render::{
    load_contexts, render_batch, BatchOptions, CustomerContext, OutputFormat, RenderSummary,
    Selection,
};
use tessera_engine::segments::store::load_catalog;
use tessera_engine::segments::{Clock, Rule};
use tessera_engine::templates::compile_email;
use tessera_engine::templates::store::load_template_source;

use crate::error::{crashed, CommandError, CommandResult, ErrorCode};
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

#[derive(Debug, serde::Deserialize, specta::Type)]
pub struct CampaignRequest {
    pub template: String,
    /// Who the campaign is for; opted-out customers are always skipped.
    pub audience: Rule,
    /// The folder the files and `manifest.json` are written to.
    pub out: String,
    pub format: OutputFormat,
    pub from: String,
}

#[derive(Debug, Clone, Copy, serde::Serialize, specta::Type)]
pub struct RenderProgress {
    pub done: u32,
    pub total: u32,
}

/// Renders every customer of the audience to files on all cores; `campaign_cancel` stops it after
/// the files in flight (the manifest lists what was written).
#[tauri::command]
#[specta::specta]
pub async fn campaign_render(
    request: CampaignRequest,
    on_progress: Channel<RenderProgress>,
    state: State<'_, AppState>,
) -> CommandResult<RenderSummary> {
    let open = state.current().await?;
    let template =
        compile_email(&load_template_source(&open.workspace.pool, &request.template).await?)?;
    let now = chrono::Utc::now();
    let mut contexts = audience_contexts(&open, &request.audience, now).await?;
    let options = BatchOptions {
        out: request.out.into(),
        format: request.format,
        from: Mailbox::parse(&request.from)?,
        unsubscribe: Default::default(),
        date: now.to_rfc2822(),
        template_name: request.template,
    };
    let cancel = state.cancel_render.clone();
    cancel.store(false, Ordering::Relaxed);
    *state.last_render.lock().await = Some(options.out.clone());
    let summary = tokio::task::spawn_blocking(move || {
        let progress = |done: usize, total: usize| {
            let _ = on_progress.send(RenderProgress {
                done: done as u32,
                total: total as u32,
            });
        };
        render_batch(&template, &mut contexts, &options, &progress, &cancel)
    })
    .await
    .map_err(crashed)?;
    Ok(summary?)
}

#[tauri::command]
#[specta::specta]
pub async fn campaign_cancel(state: State<'_, AppState>) -> CommandResult<()> {
    state.cancel_render.store(true, Ordering::Relaxed);
    Ok(())
}

#[derive(Debug, Clone, Copy, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RenderedItem {
    Folder,
    Manifest,
}

/// Opens the last rendered campaign's folder or manifest in the system's file manager or
/// viewer. Only what the app itself just wrote can be opened this way.
#[tauri::command]
#[specta::specta]
pub async fn campaign_open(item: RenderedItem, state: State<'_, AppState>) -> CommandResult<()> {
    let out = state.last_render.lock().await.clone().ok_or_else(|| {
        CommandError::new(ErrorCode::NotFound, "no campaign has been rendered yet")
    })?;
    let path = match item {
        RenderedItem::Folder => out,
        RenderedItem::Manifest => out.join("manifest.json"),
    };
    open::that_detached(&path).map_err(|e| {
        CommandError::new(
            ErrorCode::Io,
            format!("cannot open {}: {e}", path.display()),
        )
    })
}
