//! The microsite editor's commands (preview, missing fields, save, add an asset) and serving a
//! rendered campaign's site from the app.

use std::path::Path;

use base64::Engine as _;
use tauri::State;
use tessera_engine::microsites::files::SiteFiles;
use tessera_engine::microsites::preview::{
    compile_preview, preview_site, site_missing_fields, SitePreview,
};
use tessera_engine::render::images::with_local_images;
use tessera_engine::render::links::{add_unsubscribe_links, UnsubscribePattern};
use tessera_engine::segments::Rule;
use tessera_engine::serve::{ServeCounts, Server};
use tessera_engine::templates::store::{save_site_template, site_bundle_files};

use super::campaigns::audience_contexts;
use super::templates::{customer_data, MissingReport};
use crate::error::{crashed, CommandResult};
use crate::state::{AppState, Serving};

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
    let site = compile_preview(&name, &bundle)?;
    let data = customer_data(&state, customer.into()).await?;
    let mut preview = preview_site(&site, &page, &data)?;
    let open = state.current().await?;
    preview.html = with_local_images(&open.workspace.pool, &preview.html).await?;
    Ok(preview)
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
    let site = compile_preview(&name, &bundle)?;
    let open = state.current().await?;
    let mut contexts = audience_contexts(&open, &audience, chrono::Utc::now()).await?;
    drop(open);
    tokio::task::spawn_blocking(move || {
        add_unsubscribe_links(&mut contexts, &UnsubscribePattern::default());
        let everyone: Vec<_> = contexts.iter().collect();
        MissingReport {
            customers: everyone.len() as u32,
            missing: site_missing_fields(site, &everyone),
        }
    })
    .await
    .map_err(crashed)
}

/// Saves the edited site under `name` after checking that it compiles (images and all).
#[tauri::command]
#[specta::specta]
pub async fn site_save(
    name: String,
    bundle: String,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    let files = site_bundle_files(&name, &bundle)?;
    let open = state.current().await?;
    Ok(save_site_template(&open.workspace.pool, &name, files).await?)
}

#[derive(Debug, serde::Serialize, specta::Type)]
pub struct PickedAsset {
    /// Its plain name, to add under `assets/`.
    pub name: String,
    /// Its content as a bundle keeps it: UTF-8 text as text (a style sheet), else base64.
    pub text: Option<String>,
    pub base64: Option<String>,
}

/// A file the user picked (an image, a font, a style sheet) to add to a site's assets.
#[tauri::command]
#[specta::specta]
pub async fn site_asset_read(path: String) -> CommandResult<PickedAsset> {
    let (name, bytes) = SiteFiles::read_asset(Path::new(&path))?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => PickedAsset {
            name,
            text: Some(text),
            base64: None,
        },
        Err(binary) => PickedAsset {
            name,
            text: None,
            base64: Some(base64::engine::general_purpose::STANDARD.encode(binary.into_bytes())),
        },
    })
}

#[derive(Debug, serde::Serialize, specta::Type)]
pub struct ServeStatus {
    /// The rendered campaign's folder (the site is its `site/`).
    pub folder: String,
    /// Where it is served: `http://127.0.0.1:8080/`.
    pub address: String,
    pub counts: ServeCounts,
}

fn status(serving: &Serving) -> ServeStatus {
    ServeStatus {
        folder: serving.folder.display().to_string(),
        address: format!("http://{}/", serving.server.address()),
        counts: serving.server.counts(),
    }
}

/// Serves the campaign rendered into `folder` on this computer, recording visits, clicks and
/// form submissions into the open workspace; a site served before is stopped first.
#[tauri::command]
#[specta::specta]
pub async fn site_serve_start(
    folder: String,
    state: State<'_, AppState>,
) -> CommandResult<ServeStatus> {
    // Held from stopping the old to keeping the new: two starts at once cannot leave a server
    // running that nothing can stop.
    let mut serving = state.serving.lock().await;
    if let Some(old) = serving.take() {
        old.server.stop().await?;
    }
    let open = state.current().await?;
    let server = Server::start_for_run(&open.workspace, Path::new(&folder)).await?;
    let started = serving.insert(Serving {
        folder: folder.into(),
        server,
    });
    Ok(status(started))
}

/// What is being served and what it has recorded so far; nothing when no site is served.
#[tauri::command]
#[specta::specta]
pub async fn site_serve_status(state: State<'_, AppState>) -> CommandResult<Option<ServeStatus>> {
    Ok(state.serving.lock().await.as_ref().map(status))
}

/// Stops serving after the requests in flight, with everything they recorded written.
#[tauri::command]
#[specta::specta]
pub async fn site_serve_stop(state: State<'_, AppState>) -> CommandResult<Option<ServeCounts>> {
    state.stop_serving().await
}
