//! The microsite editor's commands (preview, missing fields, save, add an asset) and serving a
//! rendered campaign's site from the app.

use std::path::Path;

use tauri::State;
use tessera_engine::app::{
    read_asset, MissingReport, PickedAsset, Rule, ServeCounts, ServeStatus, SitePreview,
};

use crate::error::CommandResult;
use crate::state::AppState;

/// A page of the site template `name` as edited (`bundle`), for one customer.
#[tauri::command]
#[specta::specta]
pub async fn site_preview(
    name: String,
    bundle: String,
    page: String,
    customer: i32,
    state: State<'_, AppState>,
) -> CommandResult<SitePreview> {
    let session = state.session().await?;
    Ok(session
        .site_preview(&name, &bundle, &page, customer.into())
        .await?)
}

/// Which merge fields of the edited site's pages would render empty, and for how many of the
/// audience's customers (everyone it selects gets a site).
#[tauri::command]
#[specta::specta]
pub async fn site_missing_fields_check(
    name: String,
    bundle: String,
    audience: Rule,
    state: State<'_, AppState>,
) -> CommandResult<MissingReport> {
    let session = state.session().await?;
    Ok(session
        .site_missing_fields(&name, &bundle, &audience)
        .await?)
}

/// Saves the edited site under `name` after checking that it compiles (images and all).
#[tauri::command]
#[specta::specta]
pub async fn site_save(
    name: String,
    bundle: String,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    Ok(state.session().await?.site_save(&name, &bundle).await?)
}

/// A file the user picked (an image, a font, a style sheet) to add to a site's assets.
#[tauri::command]
#[specta::specta]
pub async fn site_asset_read(path: String) -> CommandResult<PickedAsset> {
    Ok(read_asset(Path::new(&path))?)
}

/// Serves the campaign rendered into `folder` on this computer, recording visits, clicks and
/// form submissions into the open workspace; a site served before is stopped first.
#[tauri::command]
#[specta::specta]
pub async fn site_serve_start(
    folder: String,
    state: State<'_, AppState>,
) -> CommandResult<ServeStatus> {
    Ok(state.session().await?.serve_run(Path::new(&folder)).await?)
}

/// What is being served and what it has stored so far; nothing when no site is served.
#[tauri::command]
#[specta::specta]
pub async fn site_serve_status(state: State<'_, AppState>) -> CommandResult<Option<ServeStatus>> {
    Ok(match state.session().await {
        Ok(session) => session.serving().await,
        Err(_) => None,
    })
}

/// Stops serving after the requests in flight, with everything they recorded stored.
#[tauri::command]
#[specta::specta]
pub async fn site_serve_stop(state: State<'_, AppState>) -> CommandResult<Option<ServeCounts>> {
    Ok(state.session().await?.stop_serving().await?)
}
