//! A frame of a storyboard as the editor shows it: the storyboard as edited, checked (its
//! problems listed by scene and layer, the frame drawn anyway when there are only warnings), one
//! scene at one time drawn for one customer, as a PNG data URL.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::Value;
use tiny_skia::Pixmap;

use super::draw::{draw_frame, prepare_scene};
use super::encode::{png, PngSize};
use super::text::{with_fonts, FontMissing};
use super::{compile_storyboard, parse, Problem, StoryboardError, DOCUMENT};
use crate::microsites::files::SiteFiles;
use crate::templates::Notes;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct PreviewScene {
    pub id: String,
    /// Seconds.
    pub duration: f64,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct FramePreview {
    /// The storyboard's scenes, to choose from (empty when its document does not parse).
    pub scenes: Vec<PreviewScene>,
    /// The scene drawn and when (the first scene, and the time kept inside it, by default).
    pub scene: String,
    pub time: f64,
    pub frames_per_second: u32,
    /// `data:image/png;base64,…`; none while the storyboard has errors.
    pub frame: Option<String>,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// The frame of `scene` at `time` for the customer whose merge data is `data`, from the
/// storyboard's files as edited. A document that is not JSON is an error (with its line and
/// column); every other problem comes back listed.
pub fn preview_frame(
    files: &SiteFiles,
    scene: &str,
    time: f64,
    data: &Value,
) -> Result<FramePreview, StoryboardError> {
    let board = parse(&files.text(DOCUMENT)?).map_err(|(line, column, message)| {
        StoryboardError::Document {
            line,
            column,
            message,
        }
    })?;
    let scenes: Vec<PreviewScene> = board
        .scenes
        .iter()
        .map(|s| PreviewScene {
            id: s.id.clone(),
            duration: s.duration,
        })
        .collect();
    let at = board.scenes.iter().position(|s| s.id == scene).unwrap_or(0);
    let mut preview = FramePreview {
        scene: board
            .scenes
            .get(at)
            .map(|s| s.id.clone())
            .unwrap_or_default(),
        time: 0.0,
        frames_per_second: board.canvas.fps,
        scenes,
        frame: None,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let (video, warnings) = match compile_storyboard(files) {
        Ok(compiled) => compiled,
        Err(StoryboardError::Invalid(errors)) => {
            preview.errors = errors;
            return Ok(preview);
        }
        Err(other) => return Err(other),
    };
    preview.warnings = warnings;
    let duration = video.board.scenes[at].duration;
    preview.time = if time.is_finite() {
        time.clamp(
            0.0,
            (duration - 1.0 / f64::from(video.board.canvas.fps)).max(0.0),
        )
    } else {
        0.0
    };
    let canvas = video.board.canvas;
    let image = with_fonts(|fonts| {
        let (prepared, _) = prepare_scene(
            &video.board,
            &video.compiled,
            at,
            data,
            fonts,
            &video.images,
            &HashMap::new(),
            &mut Notes::default(),
        );
        let mut frame = Pixmap::new(canvas.width, canvas.height).expect("a checked canvas");
        draw_frame(&prepared, preview.time, fonts, &mut frame);
        png(&frame, PngSize::Quick)
    })
    .map_err(|e: FontMissing| {
        StoryboardError::Invalid(vec![Problem {
            scene: None,
            layer: None,
            message: e.to_string(),
        }])
    })?;
    preview.frame = Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(image)
    ));
    Ok(preview)
}
