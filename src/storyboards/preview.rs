//! The storyboard as the editor shows it: a frame (the storyboard as edited, checked — its
//! problems listed by scene and layer, the frame drawn anyway when there are only warnings —,
//! one scene at one time drawn for one customer, as a PNG data URL), and the customer's
//! interactive player, to play in the app.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::Value;
use tiny_skia::Pixmap;

use super::draw::{draw_frame, prepare_scene, Images, Pieces};
use super::encode::EncodeError;
use super::encode::{png, PngSize};
use super::template::compile_storyboard_reusing;
use super::text::{with_fonts, FontMissing, Fonts};
use super::video::{Formats, PLAYER};
use super::{compile_storyboard, parse, Problem, StoryboardError, DOCUMENT};
use crate::microsites::files::SiteFiles;
use crate::output::Scratch;
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

/// An editor's live frames, one edit after another. What a frame is drawn from — the images
/// decoded, the pieces drawn (background, texts, images in their boxes), the fonts with their
/// rasterized glyphs, the frame's pixels — is kept for the next, so an edit costs what it
/// changed: a layer moved is composited again, nothing else is drawn.
#[derive(Default)]
pub struct Previewer {
    fonts: Option<Fonts>,
    images: Images,
    pieces: Pieces,
    frame: Option<Pixmap>,
}

impl Previewer {
    /// Forgets what was kept but the fonts: the next frame decodes and draws everything.
    pub fn forget(&mut self) {
        let fonts = self.fonts.take();
        *self = Previewer {
            fonts,
            ..Previewer::default()
        };
    }

    /// The frame of `scene` at `time` (by default, when everything in it has appeared) for the
    /// customer whose merge data is `data`, from the storyboard's files as edited. A document
    /// that is not JSON is an error (with its line and column); every other problem comes back
    /// listed.
    pub fn frame(
        &mut self,
        files: &SiteFiles,
        scene: &str,
        time: Option<f64>,
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
        let (video, warnings) = match compile_storyboard_reusing(files, &self.images) {
            Ok(compiled) => compiled,
            Err(StoryboardError::Invalid(errors)) => {
                preview.errors = errors;
                return Ok(preview);
            }
            Err(other) => return Err(other),
        };
        preview.warnings = warnings;
        let fonts = match &mut self.fonts {
            Some(fonts) => fonts,
            empty => empty.insert(Fonts::load().map_err(font_problem)?),
        };
        let (prepared, _) = prepare_scene(
            &video.board,
            &video.compiled,
            at,
            data,
            fonts,
            (&video.images, &HashMap::new()),
            &mut self.pieces,
            &mut Notes::default(),
        );
        self.pieces.forget_unused();
        let canvas = video.board.canvas;
        let last_frame = (prepared.duration - 1.0 / f64::from(canvas.fps)).max(0.0);
        preview.time = match time.filter(|t| t.is_finite()) {
            Some(time) => time.clamp(0.0, last_frame),
            None => prepared.settled(canvas.fps),
        };
        let frame = match &mut self.frame {
            Some(frame) if (frame.width(), frame.height()) == (canvas.width, canvas.height) => {
                frame
            }
            other => {
                other.insert(Pixmap::new(canvas.width, canvas.height).expect("a checked canvas"))
            }
        };
        draw_frame(&prepared, preview.time, fonts, frame);
        preview.frame = Some(format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png(frame, PngSize::Quick))
        ));
        self.images = video.images;
        Ok(preview)
    }
}

/// A font the machine lacks, as a problem of the storyboard (the editor lists it).
fn font_problem(e: FontMissing) -> StoryboardError {
    StoryboardError::Invalid(vec![Problem {
        scene: None,
        layer: None,
        message: e.to_string(),
    }])
}

/// The interactive player of the storyboard as edited for the customer whose merge data is
/// `data`: every file of its folder (page, script, poster, a clip per scene, captions), in
/// memory. The clips are encoded in a scratch folder, removed before this returns.
pub fn preview_player(
    files: &SiteFiles,
    data: &Value,
) -> Result<Vec<(String, Vec<u8>)>, StoryboardError> {
    let (video, _) = compile_storyboard(files)?;
    let scratch = Scratch::new().map_err(|source| EncodeError::Write {
        file: std::env::temp_dir(),
        source,
    })?;
    let formats = Formats {
        player: true,
        ..Formats::NONE
    };
    let made = with_fonts(|fonts| {
        video.render(
            data,
            &HashMap::new(),
            fonts,
            (formats, scratch.path()),
            &mut Notes::default(),
        )
    })
    .map_err(font_problem)
    .and_then(|made| Ok(made?))
    .and_then(|made| {
        let mut read = Vec::new();
        for file in made.files {
            let Some(name) = file.strip_prefix(PLAYER).and_then(|f| f.strip_prefix('/')) else {
                continue;
            };
            let path = scratch.join(&file);
            let bytes = std::fs::read(&path)
                .map_err(|source| EncodeError::ReadBack { file: path, source })?;
            read.push((name.to_string(), bytes));
        }
        Ok(read)
    });
    made
}
