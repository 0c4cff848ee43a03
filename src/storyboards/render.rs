//! The video format of the campaign pipeline: each customer's poster, GIF thumbnail and MP4
//! under `video/ID/`, and their interactive player with their site, `site/SLUG/video/`. Frames are drawn on the pipeline's threads, each with fonts of its own
//! (a font system is not shared between threads); ffmpeg encodes beside them.

use std::collections::HashMap;

use serde_json::Value;

use super::check::reachable;
use super::text::with_fonts;
use super::video::{Formats, VideoTemplate, PLAYER};
use crate::microsites::render::SITE_FOLDER;
use crate::render::format::{FormatKind, Part, Recipient, Rendering};
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
    ) -> Result<(), String> {
        let id = recipient.customer.id;
        // ffmpeg writes a file: each customer's go to a folder of their own, read back as parts.
        let key = blake3::hash(format!("{}:{id}", recipient.run_key).as_bytes()).to_hex();
        let scratch = std::env::temp_dir().join(format!("tessera-video-{}", &key[..16]));
        let made = with_fonts(|fonts| {
            self.video
                .render(
                    recipient.data,
                    &HashMap::new(),
                    fonts,
                    (self.formats, &scratch),
                    notes,
                )
                .map_err(|e| e.to_string())
        })
        .map_err(|e| e.to_string())
        .and_then(|made| made);
        let result = made.and_then(|video| {
            for file in video.files {
                let bytes = std::fs::read(scratch.join(&file)).map_err(|e| e.to_string())?;
                // The player is hosted with the customer's site, under their slug.
                let name = match file.strip_prefix(PLAYER).and_then(|f| f.strip_prefix('/')) {
                    Some(inner) => {
                        format!("{SITE_FOLDER}/{}/{PLAYER_FOLDER}/{inner}", recipient.slug)
                    }
                    None => format!("{VIDEO_FOLDER}/{id}/{file}"),
                };
                parts.push(Part { name, bytes });
            }
            Ok(())
        });
        let _ = std::fs::remove_dir_all(&scratch);
        result
    }

    /// The player's scenes and chapters: what `tessera serve` accepts as its events.
    fn manifest_section(&self) -> Option<Value> {
        let board = &self.video.board;
        self.formats.player.then(|| {
            serde_json::json!({
                "default_locale": board.default_locale,
                "player": {
                    "scenes": reachable(board).iter().map(|&s| &board.scenes[s].id).collect::<Vec<_>>(),
                    "chapters": board.chapters.iter().map(|c| &c.title).collect::<Vec<_>>(),
                },
            })
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
