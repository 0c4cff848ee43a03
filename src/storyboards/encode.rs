//! A customer's video files from their frames: the poster (PNG), the GIF thumbnail and the
//! linear cut (MP4, H.264). Frames are drawn here; H.264 is encoded by Debian's `ffmpeg`
//! (libx264) run as its own process, frames piped to it raw — x264 is GPL, and a separate
//! process keeps it out of Tessera's binary. Every file is written under a temporary name and
//! renamed when complete, so a killed render leaves no half file under a final name.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tiny_skia::{Pixmap, PixmapPaint, Transform};

use super::check::default_path;
use super::document::{Storyboard, TransitionKind};
use super::draw::{draw_frame, PreparedScene};
use super::text::Fonts;

/// The GIF thumbnail: its width, frame rate and length (the start of the linear cut).
pub const GIF_WIDTH: u32 = 480;
const GIF_FPS: u32 = 10;
const GIF_SECONDS: f64 = 3.0;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("ffmpeg is needed to write MP4 video and is not installed (Debian: apt-get install ffmpeg; the README's setup does it)")]
    NoFfmpeg,
    #[error("ffmpeg could not encode {}: {message}", .file.display())]
    Ffmpeg { file: PathBuf, message: String },
    #[error("cannot write {}: {source}", .file.display())]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
}

crate::coded!(EncodeError {
    EncodeError::NoFfmpeg => Io,
    EncodeError::Ffmpeg { .. } => Internal,
    EncodeError::Write { .. } => Io,
});

/// The scene indices of the linear cut (the default path): a checked board has one.
pub fn cut(board: &Storyboard) -> Vec<usize> {
    let ids = default_path(board).unwrap_or_default();
    ids.iter()
        .filter_map(|id| board.scenes.iter().position(|s| s.id == *id))
        .collect()
}

/// Frames per scene at the canvas's rate.
fn frame_count(duration: f64, fps: u32) -> usize {
    (duration * f64::from(fps)).round().max(1.0) as usize
}

/// Calls `each` with every frame of the linear cut of `scenes` (prepared in cut order), each
/// scene's transition drawn over its last frames toward the next scene's first.
pub fn for_each_frame(
    board: &Storyboard,
    cut: &[usize],
    scenes: &[PreparedScene],
    fonts: &mut Fonts,
    mut each: impl FnMut(&Pixmap) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let canvas = board.canvas;
    let fps = canvas.fps;
    let mut frame = Pixmap::new(canvas.width, canvas.height).expect("a checked canvas");
    let mut next_first = Pixmap::new(canvas.width, canvas.height).expect("a checked canvas");
    for (i, scene) in scenes.iter().enumerate() {
        let transition = board.scenes[cut[i]].transition;
        let frames = frame_count(scene.duration, fps);
        let blended = match scenes.get(i + 1) {
            Some(next) if transition.kind != TransitionKind::Cut && transition.duration > 0.0 => {
                draw_frame(next, 0.0, fonts, &mut next_first);
                frame_count(transition.duration, fps).min(frames)
            }
            _ => 0,
        };
        for k in 0..frames {
            draw_frame(scene, k as f64 / f64::from(fps), fonts, &mut frame);
            let into = k + blended + 1;
            if into > frames {
                let p = (into - frames) as f32 / (blended + 1) as f32;
                blend(&mut frame, &next_first, transition.kind, p);
            }
            each(&frame)?;
        }
    }
    Ok(())
}

/// `frame` on its way to `next` (`p` from 0 to 1).
fn blend(frame: &mut Pixmap, next: &Pixmap, kind: TransitionKind, p: f32) {
    let width = frame.width() as f32;
    let paint = |opacity: f32| PixmapPaint {
        opacity,
        ..PixmapPaint::default()
    };
    match kind {
        TransitionKind::Cut => {}
        TransitionKind::Crossfade => {
            frame.draw_pixmap(0, 0, next.as_ref(), &paint(p), Transform::identity(), None)
        }
        TransitionKind::SlideLeft => {
            let shifted = frame.clone();
            frame.fill(tiny_skia::Color::BLACK);
            frame.draw_pixmap(
                0,
                0,
                shifted.as_ref(),
                &paint(1.0),
                Transform::from_translate(-p * width, 0.0),
                None,
            );
            frame.draw_pixmap(
                0,
                0,
                next.as_ref(),
                &paint(1.0),
                Transform::from_translate((1.0 - p) * width, 0.0),
                None,
            );
        }
        TransitionKind::WipeRight => {
            let edge = (p * width).round() as usize;
            let w = frame.width() as usize;
            let source = next.pixels();
            for (row, pixels) in frame.pixels_mut().chunks_exact_mut(w).enumerate() {
                pixels[..edge].copy_from_slice(&source[row * w..row * w + edge]);
            }
        }
    }
}

/// Writes `bytes` to `file` through a temporary name beside it.
pub fn write_atomically(file: &Path, bytes: &[u8]) -> Result<(), EncodeError> {
    let partial = partial_name(file);
    let error = |source| EncodeError::Write {
        file: file.to_path_buf(),
        source,
    };
    std::fs::write(&partial, bytes).map_err(error)?;
    std::fs::rename(&partial, file).map_err(error)
}

fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    file.with_file_name(name)
}

/// A frame as PNG (frames are opaque: premultiplied is straight).
pub fn png(frame: &Pixmap) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut out);
    let _ = image::ImageEncoder::write_image(
        encoder,
        frame.data(),
        frame.width(),
        frame.height(),
        image::ExtendedColorType::Rgba8,
    );
    out
}

/// Encodes frames into `file` as H.264 (yuv420p, fast start: it plays in browsers as it loads).
pub struct Mp4Writer {
    child: std::process::Child,
    file: PathBuf,
    partial: PathBuf,
}

impl Mp4Writer {
    pub fn start(file: &Path, width: u32, height: u32, fps: u32) -> Result<Mp4Writer, EncodeError> {
        let partial = partial_name(file);
        let child = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgba",
            ])
            .args([
                "-s",
                &format!("{width}x{height}"),
                "-r",
                &fps.to_string(),
                "-i",
                "pipe:0",
            ])
            .args([
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
            ])
            .args([
                "-g",
                &(fps * 2).to_string(),
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
            ])
            .arg(&partial)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    EncodeError::NoFfmpeg
                } else {
                    EncodeError::Write {
                        file: file.to_path_buf(),
                        source: e,
                    }
                }
            })?;
        Ok(Mp4Writer {
            child,
            file: file.to_path_buf(),
            partial,
        })
    }

    pub fn frame(&mut self, frame: &Pixmap) -> Result<(), EncodeError> {
        let stdin = self.child.stdin.as_mut().expect("ffmpeg's input is piped");
        stdin
            .write_all(frame.data())
            .map_err(|e| EncodeError::Ffmpeg {
                file: self.file.clone(),
                message: e.to_string(),
            })
    }

    /// Waits for ffmpeg and puts the file under its name.
    pub fn finish(mut self) -> Result<(), EncodeError> {
        drop(self.child.stdin.take());
        let output = self
            .child
            .wait_with_output()
            .map_err(|e| EncodeError::Ffmpeg {
                file: self.file.clone(),
                message: e.to_string(),
            })?;
        if !output.status.success() {
            let _ = std::fs::remove_file(&self.partial);
            return Err(EncodeError::Ffmpeg {
                file: self.file.clone(),
                message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        std::fs::rename(&self.partial, &self.file).map_err(|source| EncodeError::Write {
            file: self.file.clone(),
            source,
        })
    }
}

/// The GIF thumbnail: the first seconds of the cut, `GIF_WIDTH` wide, on one palette made from
/// all its frames.
#[derive(Default)]
pub struct GifFrames {
    frames: Vec<Pixmap>,
    every: usize,
    seen: usize,
    limit: usize,
}

impl GifFrames {
    pub fn new(fps: u32) -> GifFrames {
        let every = (fps / GIF_FPS).max(1) as usize;
        GifFrames {
            frames: Vec::new(),
            every,
            seen: 0,
            limit: (GIF_SECONDS * f64::from(GIF_FPS)) as usize,
        }
    }

    /// Keeps every frame the thumbnail's rate needs, scaled down.
    pub fn offer(&mut self, frame: &Pixmap) {
        let take = self.seen % self.every == 0 && self.frames.len() < self.limit;
        self.seen += 1;
        if !take {
            return;
        }
        let scale = GIF_WIDTH as f32 / frame.width() as f32;
        let height = ((frame.height() as f32 * scale).round() as u32).max(1);
        let mut small = Pixmap::new(GIF_WIDTH, height).expect("a thumbnail has pixels");
        let paint = PixmapPaint {
            quality: tiny_skia::FilterQuality::Bilinear,
            ..PixmapPaint::default()
        };
        small.draw_pixmap(
            0,
            0,
            frame.as_ref(),
            &paint,
            Transform::from_scale(scale, scale),
            None,
        );
        self.frames.push(small);
    }

    pub fn encode(&self) -> Vec<u8> {
        let Some(first) = self.frames.first() else {
            return Vec::new();
        };
        let (w, h) = (first.width() as u16, first.height() as u16);
        let mut palette = Palette::of(&self.frames);
        let mut out = Vec::new();
        {
            let Ok(mut encoder) = gif::Encoder::new(&mut out, w, h, &palette.rgb) else {
                return Vec::new();
            };
            let _ = encoder.set_repeat(gif::Repeat::Infinite);
            for frame in &self.frames {
                let indices: Vec<u8> = frame
                    .pixels()
                    .iter()
                    .map(|p| palette.index(p.red(), p.green(), p.blue()))
                    .collect();
                let mut gif_frame = gif::Frame::from_indexed_pixels(w, h, indices, None);
                gif_frame.delay = (100 / GIF_FPS) as u16;
                if encoder.write_frame(&gif_frame).is_err() {
                    return Vec::new();
                }
            }
        }
        out
    }
}

/// 256 colours for all frames (median cut over a sample), and a table from 5-6-5 bit colour to
/// the nearest of them, filled as colours are met, so mapping a pixel is mostly one lookup.
struct Palette {
    rgb: Vec<u8>,
    colours: Vec<[u8; 3]>,
    table: Vec<u16>,
}

const UNKNOWN: u16 = u16::MAX;

impl Palette {
    fn of(frames: &[Pixmap]) -> Palette {
        let mut sample: Vec<[u8; 3]> = frames
            .iter()
            .flat_map(|f| f.pixels().iter().step_by(7))
            .map(|p| [p.red(), p.green(), p.blue()])
            .collect();
        let mut boxes: Vec<&mut [[u8; 3]]> = vec![&mut sample[..]];
        while boxes.len() < 256 {
            // Split the box whose widest channel is widest.
            let (i, channel, range) = boxes
                .iter()
                .enumerate()
                .filter(|(_, b)| b.len() > 1)
                .map(|(i, b)| {
                    let (c, r) = (0..3)
                        .map(|c| {
                            (
                                c,
                                b.iter().map(|p| p[c]).max().unwrap_or(0)
                                    - b.iter().map(|p| p[c]).min().unwrap_or(0),
                            )
                        })
                        .max_by_key(|(_, r)| *r)
                        .unwrap_or((0, 0));
                    (i, c, r)
                })
                .max_by_key(|(_, _, r)| *r)
                .unwrap_or((0, 0, 0));
            if range == 0 {
                break;
            }
            let b = boxes.swap_remove(i);
            b.sort_unstable_by_key(|p| p[channel]);
            let (low, high) = b.split_at_mut(b.len() / 2);
            boxes.push(low);
            boxes.push(high);
        }
        let mut colours: Vec<[u8; 3]> = boxes
            .iter()
            .filter(|b| !b.is_empty())
            .map(|b| {
                let n = b.len() as u32;
                let sum = b.iter().fold([0u32; 3], |s, p| {
                    [
                        s[0] + u32::from(p[0]),
                        s[1] + u32::from(p[1]),
                        s[2] + u32::from(p[2]),
                    ]
                });
                [(sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8]
            })
            .collect();
        colours.sort_unstable();
        colours.dedup();
        if colours.is_empty() {
            colours.push([0, 0, 0]);
        }
        Palette {
            rgb: colours.concat(),
            colours,
            table: vec![UNKNOWN; 65536],
        }
    }

    fn index(&mut self, r: u8, g: u8, b: u8) -> u8 {
        let key = (usize::from(r) >> 3) << 11 | (usize::from(g) >> 2) << 5 | usize::from(b) >> 3;
        if self.table[key] == UNKNOWN {
            // The 5-6-5 cell's centre, weighted as the eye weighs red, green and blue.
            let centre = [(r & !7) | 4, (g & !3) | 2, (b & !7) | 4];
            let distance = |c: &[u8; 3]| {
                let d = |i: usize| (i32::from(c[i]) - i32::from(centre[i])).pow(2);
                2 * d(0) + 4 * d(1) + 3 * d(2)
            };
            self.table[key] = (0..self.colours.len())
                .min_by_key(|&i| distance(&self.colours[i]))
                .unwrap_or(0) as u16;
        }
        self.table[key] as u8
    }
}
