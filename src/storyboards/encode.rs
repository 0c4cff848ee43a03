//! A customer's video files from their frames: the poster (PNG), the GIF thumbnail and the
//! linear cut (MP4, H.264). Frames are drawn here; H.264 is encoded by Debian's `ffmpeg`
//! (libx264) run as its own process, frames piped to it raw — x264 is GPL, and a separate
//! process keeps it out of Tessera's binary. Every file is written under a temporary name and
//! renamed when complete, so a killed render leaves no half file under a final name.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use tiny_skia::{Pixmap, PixmapPaint, Transform};

use super::check::default_path;
use super::document::{Storyboard, TransitionKind};
use super::draw::{draw_frame, PreparedScene};
use super::text::Fonts;

/// The GIF thumbnail: its width, frame rate and length (the start of the linear cut).
pub const GIF_WIDTH: u32 = 480;
pub const GIF_FPS: u32 = 10;
pub const GIF_SECONDS: f64 = 3.0;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("ffmpeg is needed to write MP4 and WebM video and is not installed (Debian: apt-get install ffmpeg; the README's setup does it)")]
    NoFfmpeg,
    #[error("ffmpeg could not encode {}: {message}", .file.display())]
    Ffmpeg { file: PathBuf, message: String },
    #[error("cannot write {}: {source}", .file.display())]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
    /// A file this render wrote (a clip, a player's file), read back.
    #[error("cannot read back {}: {source}", .file.display())]
    ReadBack {
        file: PathBuf,
        source: std::io::Error,
    },
}

crate::coded!(EncodeError {
    EncodeError::NoFfmpeg => Io,
    EncodeError::Ffmpeg { .. } => Internal,
    EncodeError::Write { .. } => Io,
    EncodeError::ReadBack { .. } => Io,
});

/// The scene indices of the linear cut (the default path): a checked board has one.
pub fn cut(board: &Storyboard) -> Vec<usize> {
    let ids = default_path(board).unwrap_or_default();
    ids.iter()
        .filter_map(|id| board.scenes.iter().position(|s| s.id == *id))
        .collect()
}

/// Frames per scene at the canvas's rate.
pub fn frame_count(duration: f64, fps: u32) -> usize {
    (duration * f64::from(fps)).round().max(1.0) as usize
}

/// The scene `s` gives way to with a transition over its last frames: its `next`, when it has
/// a transition and no choices (after choices, the chosen scene starts on a cut).
pub fn blends_into(board: &Storyboard, s: usize) -> Option<usize> {
    let scene = &board.scenes[s];
    let transition = scene.transition;
    if transition.kind == TransitionKind::Cut
        || transition.duration <= 0.0
        || !scene.choices.is_empty()
    {
        return None;
    }
    let next = scene.next.as_deref()?;
    board.scenes.iter().position(|n| n.id == next)
}

/// Scenes played one after another (by index in the board, prepared), and the scene the last
/// one blends into, if it does (its first frame is drawn into the transition).
pub struct Run<'a> {
    pub scenes: Vec<(usize, &'a PreparedScene)>,
    pub then: Option<&'a PreparedScene>,
}

impl Run<'_> {
    pub fn frames(&self, fps: u32) -> usize {
        self.scenes
            .iter()
            .map(|(_, p)| frame_count(p.duration, fps))
            .sum()
    }
}

/// Calls `each` with the frames of `run` that `wanted` picks by number (from 0), up to frame
/// `limit`; each scene's transition is drawn over its last frames toward the next scene's
/// first. Frames not wanted are not drawn.
pub fn for_each_frame(
    board: &Storyboard,
    run: &Run,
    fonts: &mut Fonts,
    (wanted, limit): (&dyn Fn(usize) -> bool, usize),
    mut each: impl FnMut(Frame) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let canvas = board.canvas;
    let fps = canvas.fps;
    // The scene's frame as drawn, and what is handed on (a transition blends into it).
    let mut drawn = Pixmap::new(canvas.width, canvas.height).expect("a checked canvas");
    let mut frame = drawn.clone();
    let mut last_drawn: Option<(usize, f64)> = None;
    let mut last_blended = false;
    let mut next_first = Pixmap::new(canvas.width, canvas.height).expect("a checked canvas");
    let mut number = 0;
    for (i, &(s, scene)) in run.scenes.iter().enumerate() {
        let transition = board.scenes[s].transition;
        let frames = frame_count(scene.duration, fps);
        let next = match run.scenes.get(i + 1) {
            Some(&(_, next)) => Some(next),
            None => run.then,
        };
        let blended = match next.filter(|_| blends_into(board, s).is_some()) {
            Some(next) => {
                draw_frame(next, 0.0, fonts, &mut next_first);
                frame_count(transition.duration, fps).min(frames)
            }
            None => 0,
        };
        for k in 0..frames {
            number += 1;
            if number > limit {
                return Ok(());
            }
            if !wanted(number - 1) {
                continue;
            }
            let t = k as f64 / f64::from(fps);
            let still = last_drawn
                .is_some_and(|(scene_at, at)| scene_at == i && scene.still_between(at, t));
            if !still {
                draw_frame(scene, t, fonts, &mut drawn);
            }
            last_drawn = Some((i, t));
            let into = k + blended + 1;
            let blending = into > frames;
            let same = still && !blending && !last_blended;
            if !same {
                frame.data_mut().copy_from_slice(drawn.data());
                if blending {
                    let p = (into - frames) as f32 / (blended + 1) as f32;
                    blend(&mut frame, &next_first, transition.kind, p);
                }
            }
            last_blended = blending;
            each(Frame {
                number: number - 1,
                pixels: &frame,
                same,
            })?;
        }
    }
    Ok(())
}

/// A frame of the cut: its number, its pixels, and whether they are those of the frame handed
/// on before it (encoders reuse what they made of it).
pub struct Frame<'a> {
    pub number: usize,
    pub pixels: &'a Pixmap,
    pub same: bool,
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

/// How hard a PNG is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PngSize {
    /// Small: a poster, sent by email.
    Small,
    /// Quick to make: an editor's live frame.
    Quick,
}

/// A frame as PNG (frames are opaque: premultiplied is straight).
pub fn png(frame: &Pixmap, size: PngSize) -> Vec<u8> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut out = Vec::new();
    let encoder = match size {
        PngSize::Quick => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub)
        }
        PngSize::Small => PngEncoder::new(&mut out),
    };
    let _ = image::ImageEncoder::write_image(
        encoder,
        frame.data(),
        frame.width(),
        frame.height(),
        image::ExtendedColorType::Rgba8,
    );
    out
}

/// How the linear cut and the player's clips are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// H.264 in MP4 (libx264; yuv420p, fast start: it plays in browsers as it loads). Every
    /// browser and mail client plays it; it is covered by patents.
    H264,
    /// VP9 in WebM (libvpx), royalty-free; browsers play it, Apple's Mail and QuickTime do not.
    Vp9,
}

impl Codec {
    /// ffmpeg's settings for it after the input: a keyframe every two seconds, so that clips
    /// join and players seek.
    pub fn arguments(self, fps: u32) -> Vec<String> {
        let keyframes = ["-g".to_string(), (fps * 2).to_string()];
        let settings: &[&str] = match self {
            Codec::H264 => &[
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
            ],
            // Constant quality (crf with no bitrate cap) at libvpx's real-time speed, rows
            // encoded on both cores: about x264 veryfast's time for a similar size.
            Codec::Vp9 => &[
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-crf",
                "33",
                "-b:v",
                "0",
                "-row-mt",
                "1",
                "-tile-columns",
                "1",
                "-threads",
                "2",
                "-f",
                "webm",
            ],
        };
        keyframes
            .into_iter()
            .chain(settings.iter().map(|s| s.to_string()))
            .collect()
    }
}

/// Encodes frames into `file` with a codec, by ffmpeg, from yuv420p.
pub struct VideoWriter {
    child: std::process::Child,
    file: PathBuf,
    partial: PathBuf,
    /// The frame last converted (sent again while frames stay the same).
    yuv: Arc<Vec<u8>>,
    /// To the thread that pipes frames to ffmpeg, so that the next frame is drawn while ffmpeg
    /// reads this one (through a pipe far smaller than a frame); it hands each back once written.
    to_pipe: Option<SyncSender<Arc<Vec<u8>>>>,
    piped: Receiver<Arc<Vec<u8>>>,
    pipe: Option<JoinHandle<std::io::Result<()>>>,
}

/// An opaque frame in yuv420p, BT.601 limited range (what ffmpeg's own conversion makes):
/// full-size Y, then U and V at half size, each the average of its 2×2 pixels.
fn to_yuv420(frame: &Pixmap, out: &mut Vec<u8>) {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let (cw, ch) = (w / 2, h / 2);
    out.resize(w * h + 2 * cw * ch, 0);
    let (y_plane, chroma) = out.split_at_mut(w * h);
    let (u_plane, v_plane) = chroma.split_at_mut(cw * ch);
    let px = frame.data();
    for (y, p) in y_plane.iter_mut().zip(px.chunks_exact(4)) {
        let (r, g, b) = (u32::from(p[0]), u32::from(p[1]), u32::from(p[2]));
        *y = ((66 * r + 129 * g + 25 * b + 128) >> 8) as u8 + 16;
    }
    let rows = px.chunks_exact(w * 4 * 2);
    for ((pair, u_row), v_row) in rows
        .zip(u_plane.chunks_exact_mut(cw))
        .zip(v_plane.chunks_exact_mut(cw))
    {
        let (top, bottom) = pair.split_at(w * 4);
        for (((u, v), t), b) in u_row
            .iter_mut()
            .zip(v_row.iter_mut())
            .zip(top.chunks_exact(8))
            .zip(bottom.chunks_exact(8))
        {
            let sum = |c: usize| {
                (i32::from(t[c]) + i32::from(t[c + 4]) + i32::from(b[c]) + i32::from(b[c + 4])) / 4
            };
            let (r, g, bl) = (sum(0), sum(1), sum(2));
            *u = (((-38 * r - 74 * g + 112 * bl + 128) >> 8) + 128) as u8;
            *v = (((112 * r - 94 * g - 18 * bl + 128) >> 8) + 128) as u8;
        }
    }
}

impl VideoWriter {
    pub fn start(
        file: &Path,
        (width, height, fps): (u32, u32, u32),
        codec: Codec,
    ) -> Result<VideoWriter, EncodeError> {
        let partial = partial_name(file);
        let mut child = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "yuv420p",
            ])
            .args([
                "-s",
                &format!("{width}x{height}"),
                "-r",
                &fps.to_string(),
                "-i",
                "pipe:0",
            ])
            .args(codec.arguments(fps))
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
        let mut stdin = child.stdin.take().expect("ffmpeg's input is piped");
        let (to_pipe, frames) = sync_channel::<Arc<Vec<u8>>>(2);
        let (written, piped) = channel();
        let pipe = std::thread::spawn(move || {
            ignore_closed_pipe_here();
            for frame in frames {
                stdin.write_all(&frame)?;
                let _ = written.send(frame);
            }
            Ok(())
        });
        Ok(VideoWriter {
            child,
            file: file.to_path_buf(),
            partial,
            yuv: Arc::default(),
            to_pipe: Some(to_pipe),
            piped,
            pipe: Some(pipe),
        })
    }

    /// Sends a frame to the encoder in yuv420p (converted here, once for a run of the same
    /// frame: what x264 encodes, and less than half the bytes of RGBA through the pipe).
    pub fn frame(&mut self, frame: &Frame) -> Result<(), EncodeError> {
        if !frame.same || self.yuv.is_empty() {
            // A buffer the pipe is done with, else a new one.
            let mut yuv = std::iter::from_fn(|| self.piped.try_recv().ok())
                .find_map(|written| Arc::try_unwrap(written).ok())
                .unwrap_or_default();
            to_yuv420(frame.pixels, &mut yuv);
            self.yuv = Arc::new(yuv);
        }
        let sent = self
            .to_pipe
            .as_ref()
            .map(|pipe| pipe.send(self.yuv.clone()));
        match sent {
            Some(Ok(())) => Ok(()),
            // The pipe broke: ffmpeg stopped, and says why.
            _ => Err(self.stop().err().unwrap_or_else(|| EncodeError::Ffmpeg {
                file: self.file.clone(),
                message: "ffmpeg stopped reading frames".into(),
            })),
        }
    }

    /// Waits for ffmpeg and puts the file under its name.
    pub fn finish(mut self) -> Result<(), EncodeError> {
        self.stop()?;
        std::fs::rename(&self.partial, &self.file).map_err(|source| EncodeError::Write {
            file: self.file.clone(),
            source,
        })
    }

    /// Closes ffmpeg's input and waits for it: what went wrong, ffmpeg's own words first.
    fn stop(&mut self) -> Result<(), EncodeError> {
        drop(self.to_pipe.take());
        let piped = self.pipe.take().map(|pipe| pipe.join());
        let failed = |message: String| EncodeError::Ffmpeg {
            file: self.file.clone(),
            message,
        };
        let mut said = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut said);
        }
        let status = self.child.wait().map_err(|e| failed(e.to_string()))?;
        if !status.success() {
            let _ = std::fs::remove_file(&self.partial);
            let said = said.trim();
            return Err(failed(if said.is_empty() {
                format!("ffmpeg {status}")
            } else {
                said.to_string()
            }));
        }
        match piped {
            Some(Ok(Err(e))) => Err(failed(e.to_string())),
            Some(Err(_)) => Err(failed("the pipe to ffmpeg crashed".into())),
            _ => Ok(()),
        }
    }
}

impl Drop for VideoWriter {
    /// A writer given up midway (drawing failed): ffmpeg is stopped and waited for, and its
    /// partial file removed.
    fn drop(&mut self) {
        if self.pipe.is_some() {
            drop(self.to_pipe.take());
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// Makes a write to a pipe that ffmpeg closed (it stopped early: a codec it lacks, a full disk)
/// an error on this thread rather than a SIGPIPE that ends the whole process, whatever the
/// host did with the signal (the CLI restores its default, so that `tessera … | head` ends
/// quietly). The signal stays pending on this thread and goes with it.
#[allow(unsafe_code)]
fn ignore_closed_pipe_here() {
    // SAFETY: changes this thread's signal mask only, with a set built here.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Joins H.264 clips made by `VideoWriter` for one canvas into `file` without encoding them again
/// (each clip starts on a keyframe): the linear cut from scene clips, some shared by every
/// customer. The list ffmpeg reads is written beside the first clip.
pub fn join_clips(clips: &[PathBuf], file: &Path) -> Result<(), EncodeError> {
    let failed = |message: String| EncodeError::Ffmpeg {
        file: file.to_path_buf(),
        message,
    };
    let first = clips
        .first()
        .ok_or_else(|| failed("no clips to join".into()))?;
    let list = first.with_extension("list");
    // The concat demuxer's quoting: a quote in a name closes, escapes and reopens.
    let lines: String = clips
        .iter()
        .map(|c| {
            format!(
                "file '{}'\n",
                c.display().to_string().replace('\'', "'\\''")
            )
        })
        .collect();
    std::fs::write(&list, lines).map_err(|source| EncodeError::Write {
        file: list.clone(),
        source,
    })?;
    let partial = partial_name(file);
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(["-f", "concat", "-safe", "0", "-i"])
        .arg(&list)
        .args(["-c", "copy", "-movflags", "+faststart", "-f", "mp4"])
        .arg(&partial)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => EncodeError::NoFfmpeg,
            _ => failed(e.to_string()),
        });
    let _ = std::fs::remove_file(&list);
    let output = output?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&partial);
        return Err(failed(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ));
    }
    std::fs::rename(&partial, file).map_err(|source| EncodeError::Write {
        file: file.to_path_buf(),
        source,
    })
}

/// The GIF thumbnail: the first seconds of the cut, `GIF_WIDTH` wide, on one palette made from
/// all its frames.
#[derive(Default)]
pub struct GifFrames {
    /// The frames kept, each with how many thumbnail frames it lasts.
    frames: Vec<(Pixmap, u16)>,
    /// Whether a frame since the last one kept differed from it.
    changed: bool,
    every: usize,
    limit: usize,
    resizer: Resizer,
}

impl GifFrames {
    pub fn new(fps: u32) -> GifFrames {
        let every = (fps / GIF_FPS).max(1) as usize;
        GifFrames {
            frames: Vec::new(),
            changed: true,
            every,
            limit: (GIF_SECONDS * f64::from(GIF_FPS)) as usize,
            resizer: Resizer::new(),
        }
    }

    /// Whether frame `number` of the cut is one of the thumbnail's.
    pub fn takes(&self, number: usize) -> bool {
        number.is_multiple_of(self.every) && number / self.every < self.limit
    }

    /// The frames of the cut the thumbnail reaches.
    pub fn reach(&self) -> usize {
        self.every * self.limit
    }

    /// Keeps frame `number` of the cut if the thumbnail takes it, scaled down; the same frame
    /// again lengthens the one kept before.
    pub fn offer(&mut self, frame: &Frame) {
        if !frame.same {
            self.changed = true;
        }
        if !self.takes(frame.number) {
            return;
        }
        if let Some(last) = self.frames.last_mut().filter(|_| !self.changed) {
            last.1 += 1;
            return;
        }
        self.changed = false;
        let frame = frame.pixels;
        let scale = GIF_WIDTH as f32 / frame.width() as f32;
        let height = ((frame.height() as f32 * scale).round() as u32).max(1);
        let mut small = Pixmap::new(GIF_WIDTH, height).expect("a thumbnail has pixels");
        // Every source pixel weighs in (a convolution, not bilinear samples that skip most of
        // them and alias text), and quickly (SIMD). Frames are opaque: no alpha to weigh by.
        let from = ImageRef::new(frame.width(), frame.height(), frame.data(), PixelType::U8x4)
            .expect("a frame's pixels");
        let mut to = Image::from_slice_u8(GIF_WIDTH, height, small.data_mut(), PixelType::U8x4)
            .expect("a thumbnail's pixels");
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
            .use_alpha(false);
        self.resizer
            .resize(&from, &mut to, &options)
            .expect("the same kind of pixels");
        self.frames.push((small, 1));
    }

    pub fn encode(&self) -> Vec<u8> {
        let Some((first, _)) = self.frames.first() else {
            return Vec::new();
        };
        let (w, h) = (first.width() as u16, first.height() as u16);
        let pixmaps: Vec<&Pixmap> = self.frames.iter().map(|(p, _)| p).collect();
        let palette = Palette::of(&pixmaps);
        let indexed: Vec<Vec<u8>> = on_both_cores(&self.frames, |frames| {
            let mut palette = palette.clone();
            frames
                .iter()
                .map(|(frame, _)| {
                    frame
                        .pixels()
                        .iter()
                        .enumerate()
                        .map(|(i, p)| {
                            let (x, y) = (i % usize::from(w), i / usize::from(w));
                            palette.index_dithered([p.red(), p.green(), p.blue()], x, y)
                        })
                        .collect()
                })
                .collect()
        });
        // Each frame after the first is only the rectangle where it differs from the one before,
        // drawn over it: the dither is fixed to the picture, so what stays is written once.
        let changes: Vec<gif::Frame<'static>> = indexed
            .iter()
            .enumerate()
            .map(|(i, indices)| {
                let (left, top, width, height) = match i {
                    0 => (0, 0, w, h),
                    _ => changed_rectangle(&indexed[i - 1], indices, w),
                };
                let pixels: Vec<u8> = (top..top + height)
                    .flat_map(|y| {
                        let row = usize::from(y) * usize::from(w) + usize::from(left);
                        indices[row..row + usize::from(width)].iter().copied()
                    })
                    .collect();
                let mut frame = gif::Frame::from_indexed_pixels(width, height, pixels, None);
                (frame.left, frame.top) = (left, top);
                frame.dispose = gif::DisposalMethod::Keep;
                frame.delay = self.frames[i].1 * (100 / GIF_FPS) as u16;
                frame
            })
            .collect();
        let frames = on_both_cores(&changes, |frames| {
            frames
                .iter()
                .cloned()
                .map(|mut frame| {
                    frame.make_lzw_pre_encoded();
                    frame
                })
                .collect()
        });
        let mut out = Vec::new();
        {
            let Ok(mut encoder) = gif::Encoder::new(&mut out, w, h, &palette.rgb) else {
                return Vec::new();
            };
            let _ = encoder.set_repeat(gif::Repeat::Infinite);
            for frame in &frames {
                if encoder.write_lzw_pre_encoded_frame(frame).is_err() {
                    return Vec::new();
                }
            }
        }
        out
    }
}

/// `work` done on the two halves of `items` at once; the results in order.
fn on_both_cores<T: Sync, U: Send>(items: &[T], work: impl Fn(&[T]) -> Vec<U> + Sync) -> Vec<U> {
    let half = items.len().div_ceil(2).max(1);
    std::thread::scope(|scope| {
        let halves: Vec<_> = items
            .chunks(half)
            .map(|part| scope.spawn(|| work(part)))
            .collect();
        halves
            .into_iter()
            .flat_map(|half| half.join().expect("a GIF half done"))
            .collect()
    })
}

/// Where `after` differs from `before` (frames `width` wide): left, top, width and height; a
/// single pixel when they are alike (a GIF frame has at least one).
fn changed_rectangle(before: &[u8], after: &[u8], width: u16) -> (u16, u16, u16, u16) {
    let w = usize::from(width);
    let (mut left, mut right, mut top, mut bottom) = (usize::MAX, 0, usize::MAX, 0);
    for (y, (was, is)) in before
        .chunks_exact(w)
        .zip(after.chunks_exact(w))
        .enumerate()
    {
        let Some(first) = was.iter().zip(is).position(|(a, b)| a != b) else {
            continue;
        };
        let last = w
            - 1
            - was
                .iter()
                .rev()
                .zip(is.iter().rev())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
        (left, right) = (left.min(first), right.max(last));
        (top, bottom) = (top.min(y), y);
    }
    if top == usize::MAX {
        return (0, 0, 1, 1);
    }
    (
        left as u16,
        top as u16,
        (right - left + 1) as u16,
        (bottom - top + 1) as u16,
    )
}

/// 256 colours for all frames (median cut over a sample), and a table from 5-6-5 bit colour to
/// the nearest of them, filled as colours are met, so mapping a pixel is mostly one lookup.
#[derive(Clone)]
struct Palette {
    rgb: Vec<u8>,
    colours: Vec<[u8; 3]>,
    table: Vec<u16>,
}

const UNKNOWN: u16 = u16::MAX;

impl Palette {
    fn of(frames: &[&Pixmap]) -> Palette {
        let mut sample: Vec<[u8; 3]> = frames
            .iter()
            .flat_map(|f| f.pixels().iter().step_by(13))
            .map(|p| [p.red(), p.green(), p.blue()])
            .collect();
        // Each box with its widest channel and that channel's range, measured once.
        let widest = |b: &[[u8; 3]]| {
            (0..3)
                .map(|c| {
                    let (low, high) = b
                        .iter()
                        .fold((255u8, 0u8), |(lo, hi), p| (lo.min(p[c]), hi.max(p[c])));
                    (c, high.saturating_sub(low))
                })
                .max_by_key(|(_, r)| *r)
                .unwrap_or((0, 0))
        };
        let first = widest(&sample);
        let mut boxes: Vec<(&mut [[u8; 3]], usize, u8)> = vec![(&mut sample[..], first.0, first.1)];
        while boxes.len() < 256 {
            // Split the box whose widest channel is widest.
            let Some(i) = (0..boxes.len())
                .filter(|&i| boxes[i].0.len() > 1)
                .max_by_key(|&i| boxes[i].2)
            else {
                break;
            };
            if boxes[i].2 == 0 {
                break;
            }
            let (b, channel, _) = boxes.swap_remove(i);
            b.select_nth_unstable_by_key(b.len() / 2, |p| p[channel]);
            let (low, high) = b.split_at_mut(b.len() / 2);
            let (lc, lr) = widest(low);
            let (hc, hr) = widest(high);
            boxes.push((low, lc, lr));
            boxes.push((high, hc, hr));
        }
        let mut colours: Vec<[u8; 3]> = boxes
            .iter()
            .map(|(b, _, _)| b)
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

    /// The colour's index, ordered-dithered across one cell of the table (a 4×4 Bayer pattern,
    /// fixed to the pixel's place, so still parts of the picture do not shimmer from frame to
    /// frame): a gradient shades smoothly instead of in bands a cell wide.
    fn index_dithered(&mut self, [r, g, b]: [u8; 3], x: usize, y: usize) -> u8 {
        const BAYER: [[i16; 4]; 4] = [[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]];
        let t = BAYER[y & 3][x & 3];
        // Cells are 8 levels of red and blue and 4 of green wide.
        let spread =
            |c: u8, cell: i16| (i16::from(c) + t * cell / 16 - cell / 2).clamp(0, 255) as u8;
        self.index(spread(r, 8), spread(g, 4), spread(b, 8))
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
