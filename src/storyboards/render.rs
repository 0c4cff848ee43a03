//! The video format of the campaign pipeline: each customer's poster, GIF thumbnail and MP4
//! under `video/ID/`, and their interactive player with their site, `site/SLUG/video/`. Frames are drawn on the pipeline's threads, each with fonts of its own
//! (a font system is not shared between threads); ffmpeg encodes beside them.

use std::collections::HashMap;

use super::check::reachable;
use super::text::with_fonts;
use super::video::{Formats, VideoTemplate, PLAYER};
use crate::campaigns::manifest::{PlayerSection, SiteSection};
use crate::microsites::render::SITE_FOLDER;
use crate::output::Scratch;
use crate::render::format::{FormatKind, Part, Recipient, RenderError, Rendering};
use crate::render::missing::SlotCounter;
use crate::render::{MissingField, UnsafeLink};
use crate::templates::Notes;

/// The folder of a run that holds the customers' videos.
pub const VIDEO_FOLDER: &str = "video";
/// A customer's player, in their site's folder (`site/SLUG/video/`).
pub const PLAYER_FOLDER: &str = "video";

pub struct VideoRendering {
    pub video: VideoTemplate,
    pub formats: Formats,
}

impl VideoRendering {
    /// The video format of a campaign: the storyboard `name` compiled from its bundle, made into
    /// the files `formats` asks for.
    pub fn compile(
        name: &str,
        bundle: &str,
        formats: Formats,
    ) -> Result<VideoRendering, crate::templates::store::TemplateStoreError> {
        Ok(VideoRendering {
            video: crate::templates::store::compile_storyboard_bundle(name, bundle)?,
            formats,
        })
    }
}

impl Rendering for VideoRendering {
    fn format(&self) -> FormatKind {
        FormatKind::Video
    }

    fn counter(&self) -> SlotCounter {
        SlotCounter::sized(self.video.compiled.slots.len(), 0)
    }

    fn render(
        &self,
        recipient: &Recipient,
        parts: &mut Vec<Part>,
        notes: &mut Notes,
    ) -> Result<(), RenderError> {
        let id = recipient.customer.id;
        // Whatever goes wrong here (ffmpeg, fonts, the disk) would go wrong for everyone.
        let run_failed = |e: &dyn std::fmt::Display| RenderError::Run(e.to_string());
        // ffmpeg writes a file: each customer's go to a private folder, read back as parts.
        let scratch = Scratch::new().map_err(|e| run_failed(&e))?;
        let video = with_fonts(|fonts| {
            self.video.render(
                recipient.data,
                &HashMap::new(),
                fonts,
                (self.formats, scratch.path()),
                notes,
            )
        })
        .map_err(|e| run_failed(&e))?
        .map_err(|e| run_failed(&e))?;
        for file in video.files {
            let bytes = std::fs::read(scratch.join(&file)).map_err(|e| run_failed(&e))?;
            // The player is hosted with the customer's site, under their slug.
            let name = match file.strip_prefix(PLAYER).and_then(|f| f.strip_prefix('/')) {
                Some(inner) => format!("{SITE_FOLDER}/{}/{PLAYER_FOLDER}/{inner}", recipient.slug),
                None => format!("{VIDEO_FOLDER}/{id}/{file}"),
            };
            parts.push(Part { name, bytes });
        }
        Ok(())
    }

    /// The player's scenes and chapters: what `tessera serve` accepts as its events.
    fn manifest_section(&self) -> Option<SiteSection> {
        let board = &self.video.board;
        self.formats.player.then(|| SiteSection {
            default_locale: board.default_locale.clone(),
            pages: Vec::new(),
            calls_to_action: Vec::new(),
            forms: Default::default(),
            player: Some(PlayerSection {
                scenes: reachable(board)
                    .iter()
                    .map(|&s| board.scenes[s].id.clone())
                    .collect(),
                chapters: board.chapters.iter().map(|c| c.title.clone()).collect(),
            }),
        })
    }

    fn report(&self, counter: &SlotCounter) -> (Vec<MissingField>, Vec<UnsafeLink>) {
        let slots = self
            .video
            .compiled
            .slots
            .iter()
            .map(|(place, slot)| (place.as_str(), slot));
        (counter.missing_in(slots), Vec::new())
    }
}
