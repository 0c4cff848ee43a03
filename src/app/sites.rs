//! The microsite editor (preview, missing fields, save, assets) and serving a rendered
//! campaign's sites, recording into this session's workspace.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::error::{Error, Result};
use super::session::Serving;
use super::templates::MissingReport;
use super::Session;
use crate::microsites::files::SiteFiles;
use crate::microsites::preview::{compile_preview, preview_site, site_missing_fields};
use crate::render::images::with_local_images;
use crate::render::links::add_preview_unsubscribe_links;
use crate::serve::Server;
use crate::templates::store::{save_site_template, site_bundle_files};

pub use crate::microsites::preview::SitePreview;
pub use crate::serve::{ServeCounts, ServeOptions};

/// A file the user picked (an image, a font, a style sheet) to add to a site's assets.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct PickedAsset {
    /// Its plain name, to add under `assets/`.
    pub name: String,
    /// Its content as a bundle keeps it: UTF-8 text as text (a style sheet), else base64.
    pub text: Option<String>,
    pub base64: Option<String>,
}

/// What is being served.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct ServeStatus {
    /// The rendered campaign's folder (the site is its `site/`).
    pub folder: String,
    /// Where it is served: `http://127.0.0.1:8080/`.
    pub address: String,
    pub counts: ServeCounts,
}

/// Reads a file the user picked to add to a site's assets.
pub fn read_asset(path: &Path) -> Result<PickedAsset> {
    let (name, bytes) = SiteFiles::read_asset(path)?;
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

fn status(serving: &Serving) -> ServeStatus {
    ServeStatus {
        folder: serving.folder.display().to_string(),
        address: format!("http://{}/", serving.server.address()),
        counts: serving.server.counts(),
    }
}

impl Session {
    /// A page of the site template `name` as edited (`bundle`), for one customer.
    pub async fn site_preview(
        &self,
        name: &str,
        bundle: &str,
        page: &str,
        customer: i64,
    ) -> Result<SitePreview> {
        let site = compile_preview(name, bundle)?;
        let data = self.customer_data(customer).await?;
        let mut preview = preview_site(&site, page, &data)?;
        preview.html = with_local_images(&self.workspace.pool, &preview.html).await?;
        Ok(preview)
    }

    /// Which merge fields of the edited site's pages would render empty, for how many of the
    /// customers `audience` selects (everyone it selects gets a site).
    pub async fn site_missing_fields(
        &self,
        name: &str,
        bundle: &str,
        audience: &crate::segments::Rule,
    ) -> Result<MissingReport> {
        let site = compile_preview(name, bundle)?;
        let mut contexts = self.segment_customers(audience, None).await?;
        tokio::task::spawn_blocking(move || {
            add_preview_unsubscribe_links(&mut contexts);
            let everyone: Vec<_> = contexts.iter().collect();
            MissingReport {
                customers: everyone.len() as u32,
                missing: site_missing_fields(site, &everyone),
            }
        })
        .await
        .map_err(Error::crashed)
    }

    /// A page (`page`, else the first) of the microsite template in `folder` for one customer
    /// (by id, email, phone or external id): its HTML, and the fields it leaves empty.
    pub async fn site_page_for(
        &self,
        folder: &Path,
        customer: &str,
        page: Option<&str>,
    ) -> Result<(String, Vec<String>)> {
        let site = crate::microsites::SiteTemplate::load(folder)?;
        let page = match page {
            Some(file) => site.page(file).ok_or_else(|| {
                let pages: Vec<&str> = site.pages.iter().map(|p| p.file.as_str()).collect();
                Error::new(
                    crate::error::ErrorKind::NotFound,
                    format!("no page '{file}' (the site has {})", pages.join(", ")),
                )
            })?,
            None => &site.pages[0],
        };
        let id = self.find_customer(customer).await?;
        let data = self.customer_data(id).await?;
        Ok(crate::microsites::preview_page(&site, page, &data)?)
    }

    /// Saves the edited site under `name` after checking that it compiles (images and all).
    pub async fn site_save(&self, name: &str, bundle: &str) -> Result<()> {
        let files = site_bundle_files(name, bundle)?;
        Ok(save_site_template(&self.workspace.pool, name, files).await?)
    }

    /// Serves the render in `options.site`'s run folder (what this workspace rendered only),
    /// recording into this workspace; until stopped.
    pub async fn serve(&self, options: ServeOptions) -> Result<Server> {
        Ok(Server::start(&self.workspace, options).await?)
    }

    /// Serves the campaign rendered into `folder` where its personal URLs point, replacing
    /// what was served; held from stopping the old server to keeping the new one, so two
    /// starts at once cannot leave a server running that nothing can stop.
    pub async fn serve_run(&self, folder: &Path) -> Result<ServeStatus> {
        let mut serving = self.serving.lock().await;
        if let Some(old) = serving.take() {
            old.server.stop().await?;
        }
        let server = Server::start_for_run(&self.workspace, folder).await?;
        let started = serving.insert(Serving {
            folder: PathBuf::from(folder),
            server,
        });
        Ok(status(started))
    }

    /// What is being served and what it has stored so far.
    pub async fn serving(&self) -> Option<ServeStatus> {
        self.serving.lock().await.as_ref().map(status)
    }

    /// Stops serving, with everything recorded stored; its last counts.
    pub async fn stop_serving(&self) -> Result<Option<ServeCounts>> {
        let Some(serving) = self.serving.lock().await.take() else {
            return Ok(None);
        };
        Ok(Some(serving.server.stop().await?))
    }
}
