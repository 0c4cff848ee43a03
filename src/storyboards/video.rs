//! One customer's video files: the poster, the GIF thumbnail and the MP4 of the linear cut,
//! drawn from the same frames in one pass.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use tiny_skia::Pixmap;

use super::document::Storyboard;
use super::draw::{draw_frame, prepare_scene, Compiled, Images, SceneNotes};
use super::encode::{
    cut, for_each_frame, png, write_atomically, EncodeError, GifFrames, Mp4Writer, PngSize,
};
use super::text::Fonts;
use crate::templates::Notes;

/// Which files to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub poster: bool,
    pub gif: bool,
    pub mp4: bool,
}

impl Formats {
    pub const ALL: Formats = Formats {
        poster: true,
        gif: true,
        mp4: true,
    };

    /// `poster,gif,mp4` (any of them, in any order).
    pub fn parse(text: &str) -> Result<Formats, String> {
        let mut formats = Formats {
            poster: false,
            gif: false,
            mp4: false,
        };
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "poster" => formats.poster = true,
                "gif" => formats.gif = true,
                "mp4" => formats.mp4 = true,
                other => {
                    return Err(format!(
                        "'{other}' is not a video format (poster, gif, mp4)"
                    ))
                }
            }
        }
        if formats
            == (Formats {
                poster: false,
                gif: false,
                mp4: false,
            })
        {
            return Err("name at least one format: poster, gif, mp4".into());
        }
        Ok(formats)
    }
}

pub const POSTER: &str = "poster.png";
pub const GIF: &str = "thumbnail.gif";
pub const MP4: &str = "video.mp4";

/// What was made for a customer, and what drawing their scenes found (by scene id).
#[derive(Debug, Default)]
pub struct CustomerVideo {
    pub files: Vec<&'static str>,
    pub notes: Vec<(String, SceneNotes)>,
    /// Frames drawn (the whole linear cut when it is encoded, else the thumbnail's).
    pub frames: usize,
}

/// What every customer's render shares: the checked storyboard, its compiled texts and images.
pub struct VideoTemplate {
    pub board: Storyboard,
    pub compiled: Compiled,
    pub images: Images,
}

impl VideoTemplate {
    /// Writes the customer's files (whose merge data is `data`) into `folder`; merge tags left
    /// empty are noted in `fields`.
    pub fn render(
        &self,
        data: &Value,
        customer_images: &HashMap<String, Pixmap>,
        fonts: &mut Fonts,
        (formats, folder): (Formats, &Path),
        fields: &mut Notes,
    ) -> Result<CustomerVideo, EncodeError> {
        let board = &self.board;
        let canvas = board.canvas;
        let cut = cut(board);
        let mut video = CustomerVideo::default();
        let scenes: Vec<_> = cut
            .iter()
            .map(|&s| {
                let (scene, notes) = prepare_scene(
                    board,
                    &self.compiled,
                    s,
                    data,
                    fonts,
                    &self.images,
                    customer_images,
                    fields,
                );
                if notes != SceneNotes::default() {
                    video.notes.push((board.scenes[s].id.clone(), notes));
                }
                scene
            })
            .collect();
        std::fs::create_dir_all(folder).map_err(|source| EncodeError::Write {
            file: folder.to_path_buf(),
            source,
        })?;
        if formats.poster {
            if let Some(first) = scenes.first() {
                let mut frame = Pixmap::new(canvas.width, canvas.height).expect("a checked canvas");
                draw_frame(first, first.settled(canvas.fps), fonts, &mut frame);
                write_atomically(&folder.join(POSTER), &png(&frame, PngSize::Small))?;
                video.files.push(POSTER);
            }
        }
        if !(formats.gif || formats.mp4) {
            return Ok(video);
        }
        let mut mp4 = formats
            .mp4
            .then(|| Mp4Writer::start(&folder.join(MP4), canvas.width, canvas.height, canvas.fps))
            .transpose()?;
        let mut gif = formats.gif.then(|| GifFrames::new(canvas.fps));
        // Without the MP4, only the thumbnail's frames are drawn.
        let thumbnail = GifFrames::new(canvas.fps);
        let only_thumbnail = mp4.is_none();
        let wanted = |n: usize| !only_thumbnail || thumbnail.takes(n);
        let limit = if only_thumbnail {
            thumbnail.reach()
        } else {
            usize::MAX
        };
        for_each_frame(board, (&cut, &scenes), fonts, (&wanted, limit), |frame| {
            video.frames += 1;
            if let Some(gif) = &mut gif {
                gif.offer(&frame);
            }
            match &mut mp4 {
                Some(mp4) => mp4.frame(&frame),
                None => Ok(()),
            }
        })?;
        if let Some(mp4) = mp4 {
            mp4.finish()?;
            video.files.push(MP4);
        }
        if let Some(gif) = gif {
            write_atomically(&folder.join(GIF), &gif.encode())?;
            video.files.push(GIF);
        }
        Ok(video)
    }
}
