//! The video format of the campaign pipeline: each customer's poster, GIF thumbnail and MP4
//! under `video/ID/`. Frames are drawn on the pipeline's threads, each with fonts of its own
//! (a font system is not shared between threads); ffmpeg encodes beside them.

use std::collections::HashMap;

use super::text::with_fonts;
use super::video::{Formats, VideoTemplate};
use crate::render::format::{FormatKind, Part, Recipient, Rendering};
use crate::render::missing::SlotCounter;
use crate::render::{MissingField, UnsafeLink};
use crate::templates::Notes;

/// The folder of a run that holds the customers' videos.
pub const VIDEO_FOLDER: &str = "video";

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
                let bytes = std::fs::read(scratch.join(file)).map_err(|e| e.to_string())?;
                parts.push(Part {
                    name: format!("{VIDEO_FOLDER}/{id}/{file}"),
                    bytes,
                });
            }
            Ok(())
        });
        let _ = std::fs::remove_dir_all(&scratch);
        result
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
