//! The storyboard editor: a live frame for a customer (drawn from what the last one kept), the
//! customer's interactive player served for the preview, and saving.

use std::sync::Arc;

use super::error::{Error, Result};
use super::Session;
use crate::serve::PlayerPreview;
use crate::storyboards::preview::Previewer;
use crate::templates::store::{save_storyboard_template, site_bundle_files};

pub use crate::storyboards::preview::FramePreview;
pub use crate::storyboards::Problem;

impl Session {
    /// The frame of `scene` at `time` seconds (none: when everything in it has appeared) of
    /// the storyboard `name` as edited (`bundle`), for one customer, with what its check found.
    pub async fn storyboard_frame(
        &self,
        name: &str,
        bundle: &str,
        scene: &str,
        time: Option<f64>,
        customer: i64,
    ) -> Result<FramePreview> {
        let files = site_bundle_files(name, bundle)?;
        let data = self.customer_data(customer).await?;
        let previewer = self.previewer.clone();
        let scene = scene.to_string();
        let frame = tokio::task::spawn_blocking(move || {
            // After a frame that panicked, the next starts afresh rather than from what it left.
            let mut kept = previewer.lock().unwrap_or_else(|poisoned| {
                previewer.clear_poison();
                let mut kept = poisoned.into_inner();
                *kept = Previewer::default();
                kept
            });
            kept.frame(&files, &scene, time, &data)
        })
        .await
        .map_err(Error::crashed)??;
        Ok(frame)
    }

    /// Renders the storyboard as edited into one customer's interactive player and serves it
    /// on loopback for a sandboxed preview: its page's URL. Each play replaces the last;
    /// nothing it does is recorded.
    pub async fn storyboard_play(&self, name: &str, bundle: &str, customer: i64) -> Result<String> {
        let files = site_bundle_files(name, bundle)?;
        let data = self.customer_data(customer).await?;
        let started = self
            .player
            .get_or_try_init(|| async { PlayerPreview::start().await.map(Arc::new) })
            .await?
            .clone();
        tokio::task::spawn_blocking(move || started.play(&files, &data))
            .await
            .map_err(Error::crashed)?
            .map_err(Error::from)
    }

    /// Saves the edited storyboard under `name` after checking it; what the check warns of.
    pub async fn storyboard_save(&self, name: &str, bundle: &str) -> Result<Vec<Problem>> {
        let files = site_bundle_files(name, bundle)?;
        Ok(save_storyboard_template(&self.workspace.pool, name, files).await?)
    }
}
