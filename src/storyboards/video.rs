//! One customer's video files: the poster, the GIF thumbnail, the MP4 of the linear cut and the
//! interactive player, drawn from the same frames. A scene every customer sees alike is encoded
//! once per template and its clip joined into each customer's cut at its keyframe, so a
//! customer costs only their personalized scenes.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use tiny_skia::Pixmap;

use super::check::reachable;
use super::document::{Background, Content, Storyboard};
use super::draw::{draw_frame, prepare_scene, Compiled, Images, Pieces, PreparedScene, SceneNotes};
use super::encode::{
    blends_into, cut, for_each_frame, frame_count, join_clips, png, write_atomically, Codec,
    EncodeError, GifFrames, PngSize, Run, VideoWriter,
};
use super::player;
use super::text::Fonts;
use crate::output::Scratch;
use crate::templates::Notes;

/// Which files to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub poster: bool,
    pub gif: bool,
    /// The linear cut in H.264.
    pub mp4: bool,
    /// The linear cut in VP9, royalty-free (not made unless asked for).
    pub webm: bool,
    /// The interactive player: a folder of its page, scene clips and captions.
    pub player: bool,
}

impl Formats {
    pub const NONE: Formats = Formats {
        poster: false,
        gif: false,
        mp4: false,
        webm: false,
        player: false,
    };

    /// `poster,gif,mp4,webm,player` (any of them, in any order).
    pub fn parse(text: &str) -> Result<Formats, String> {
        let mut formats = Formats::NONE;
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "poster" => formats.poster = true,
                "gif" => formats.gif = true,
                "mp4" => formats.mp4 = true,
                "webm" => formats.webm = true,
                "player" => formats.player = true,
                other => {
                    return Err(format!(
                        "'{other}' is not a video format (poster, gif, mp4, webm, player)"
                    ))
                }
            }
        }
        if formats == Formats::NONE {
            return Err("name at least one format: poster, gif, mp4, webm, player".into());
        }
        Ok(formats)
    }
}

pub const POSTER: &str = "poster.png";
pub const GIF: &str = "thumbnail.gif";
pub const MP4: &str = "video.mp4";
pub const WEBM: &str = "video.webm";
/// The player's folder among a customer's video files.
pub const PLAYER: &str = "player";

/// What was made for a customer (file names in their folder), and what drawing their scenes
/// found (by scene id).
#[derive(Debug, Default)]
pub struct CustomerVideo {
    pub files: Vec<String>,
    pub notes: Vec<(String, SceneNotes)>,
    /// Frames drawn for this customer (shared scenes are drawn once for all).
    pub frames: usize,
}

/// What every customer's render shares: the checked storyboard, its compiled texts and
/// images, and the clips of scenes that are the same for everyone, encoded once.
pub struct VideoTemplate {
    pub board: Storyboard,
    pub compiled: Compiled,
    pub images: Images,
    /// By scene index; filled the first time a customer needs it.
    shared: Vec<OnceLock<Result<Arc<Vec<u8>>, String>>>,
}

/// Whether every customer sees scene `s` alike: no merge tag in its texts, no number, no
/// image from customer data.
pub fn is_static(board: &Storyboard, s: usize) -> bool {
    let scene = &board.scenes[s];
    !matches!(scene.background, Background::ImageField { .. })
        && scene.layers.iter().all(|layer| match &layer.content {
            Content::Text { text, .. } => !text.contains("{{"),
            Content::Number { .. } => false,
            Content::Image { field, .. } => field.is_none(),
            Content::Shape { .. } => true,
        })
}

/// Whether scene `s`'s clip is the same for every customer: it, and the scene its transition
/// blends into, are static.
pub fn is_shared(board: &Storyboard, s: usize) -> bool {
    is_static(board, s) && blends_into(board, s).is_none_or(|n| is_static(board, n))
}

/// A piece of the linear cut as it is encoded.
enum Segment {
    /// Scenes drawn and encoded for this customer, in order.
    Drawn(Vec<usize>),
    /// A scene's clip, shared or made for the player.
    Clip(usize),
}

impl VideoTemplate {
    pub fn new(board: Storyboard, compiled: Compiled, images: Images) -> VideoTemplate {
        let shared = board.scenes.iter().map(|_| OnceLock::new()).collect();
        VideoTemplate {
            board,
            compiled,
            images,
            shared,
        }
    }

    /// The clip of shared scene `s`, encoded by the first customer who needs it.
    fn shared_clip(&self, s: usize, fonts: &mut Fonts) -> Result<Arc<Vec<u8>>, EncodeError> {
        let made = self.shared[s].get_or_init(|| {
            let nobody = Value::Object(Default::default());
            let mut prepared = HashMap::new();
            for scene in std::iter::once(s).chain(blends_into(&self.board, s)) {
                let (p, _) = self.prepare(
                    scene,
                    &nobody,
                    &HashMap::new(),
                    fonts,
                    &mut Notes::default(),
                );
                prepared.insert(scene, p);
            }
            let scratch = Scratch::new().map_err(|e| e.to_string())?;
            let file = scratch.join("clip.mp4");
            self.encode((&prepared, &[s]), &[(&file, Codec::H264)], fonts, None)
                .and_then(|_| {
                    std::fs::read(&file).map_err(|source| EncodeError::ReadBack {
                        file: file.clone(),
                        source,
                    })
                })
                .map(Arc::new)
                .map_err(|e| e.to_string())
        });
        made.clone().map_err(|message| EncodeError::Ffmpeg {
            file: format!("scene '{}'", self.board.scenes[s].id).into(),
            message,
        })
    }

    fn prepare(
        &self,
        s: usize,
        data: &Value,
        customer_images: &HashMap<String, Pixmap>,
        fonts: &mut Fonts,
        fields: &mut Notes,
    ) -> (PreparedScene, SceneNotes) {
        prepare_scene(
            &self.board,
            &self.compiled,
            s,
            data,
            fonts,
            (&self.images, customer_images),
            &mut Pieces::default(),
            fields,
        )
    }

    /// Encodes `scenes` (prepared, in order; the last blending into its next if it does) into
    /// each of `outputs` with its codec, drawing each frame once and offering it to `gif`.
    /// Returns the frames drawn.
    fn encode(
        &self,
        (prepared, scenes): (&HashMap<usize, PreparedScene>, &[usize]),
        outputs: &[(&Path, Codec)],
        fonts: &mut Fonts,
        mut gif: Option<&mut GifFrames>,
    ) -> Result<usize, EncodeError> {
        let board = &self.board;
        let canvas = board.canvas;
        let run = self.run(prepared, scenes);
        let size = (canvas.width, canvas.height, canvas.fps);
        let mut writers = outputs
            .iter()
            .map(|&(file, codec)| VideoWriter::start(file, size, codec))
            .collect::<Result<Vec<_>, _>>()?;
        let mut frames = 0;
        for_each_frame(board, &run, fonts, (&|_| true, usize::MAX), |frame| {
            frames += 1;
            if let Some(gif) = gif.as_deref_mut() {
                gif.offer(&frame);
            }
            writers.iter_mut().try_for_each(|w| w.frame(&frame))
        })?;
        writers.into_iter().try_for_each(VideoWriter::finish)?;
        Ok(frames)
    }

    fn run<'p>(&self, prepared: &'p HashMap<usize, PreparedScene>, scenes: &[usize]) -> Run<'p> {
        Run {
            scenes: scenes.iter().map(|s| (*s, &prepared[s])).collect(),
            then: scenes
                .last()
                .and_then(|&last| blends_into(&self.board, last))
                .map(|n| &prepared[&n]),
        }
    }

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
        let fps = canvas.fps;
        let cut = cut(board);
        let mut video = CustomerVideo::default();
        let create = |dir: &Path| {
            std::fs::create_dir_all(dir).map_err(|source| EncodeError::Write {
                file: dir.to_path_buf(),
                source,
            })
        };
        create(folder)?;
        // The player has a clip per scene; the cut is joined from its clips then.
        let clips: Vec<usize> = if formats.player {
            reachable(board)
        } else {
            Vec::new()
        };
        let segments: Vec<Segment> = match formats.mp4 {
            false => Vec::new(),
            true if formats.player => cut.iter().map(|&s| Segment::Clip(s)).collect(),
            true => segments_of(board, &cut),
        };
        // The thumbnail comes from the first seconds of the cut: along with the first segment
        // when it is drawn here and long enough, else in a pass of its own.
        let mut gif = formats.gif.then(|| GifFrames::new(fps));
        let thumbnail_frames = GifFrames::new(fps).reach();
        let gif_along = gif.is_some()
            && match segments.first() {
                Some(Segment::Drawn(run)) => {
                    run.iter()
                        .map(|&s| frame_count(board.scenes[s].duration, fps))
                        .sum::<usize>()
                        >= thumbnail_frames
                }
                _ => false,
            };
        let thumbnail_scenes: Vec<usize> = if gif.is_some() && !gif_along {
            let mut at = 0;
            cut.iter()
                .copied()
                .take_while(|&s| {
                    let starts = at;
                    at += frame_count(board.scenes[s].duration, fps);
                    starts < thumbnail_frames
                })
                .collect()
        } else {
            Vec::new()
        };

        // Every scene drawn for this customer, prepared once.
        let mut drawn: BTreeSet<usize> = BTreeSet::new();
        let with_next = |scenes: &mut dyn Iterator<Item = usize>, drawn: &mut BTreeSet<usize>| {
            for s in scenes {
                drawn.insert(s);
                drawn.extend(blends_into(board, s));
            }
        };
        if formats.poster || formats.player {
            drawn.extend(cut.first());
        }
        with_next(&mut thumbnail_scenes.iter().copied(), &mut drawn);
        with_next(
            &mut clips.iter().copied().filter(|&s| !is_shared(board, s)),
            &mut drawn,
        );
        for segment in &segments {
            if let Segment::Drawn(run) = segment {
                with_next(&mut run.iter().copied(), &mut drawn);
            }
        }
        // The WebM is the whole cut drawn: VP9 clips are not joined.
        if formats.webm {
            with_next(&mut cut.iter().copied(), &mut drawn);
        }
        let mut prepared = HashMap::new();
        for s in drawn {
            let (scene, notes) = self.prepare(s, data, customer_images, fonts, fields);
            if notes != SceneNotes::default() {
                video.notes.push((board.scenes[s].id.clone(), notes));
            }
            prepared.insert(s, scene);
        }

        let mut poster = None;
        if let Some(first) = cut
            .first()
            .filter(|_| formats.poster || formats.player)
            .map(|s| &prepared[s])
        {
            let mut frame = Pixmap::new(canvas.width, canvas.height).expect("a checked canvas");
            draw_frame(first, first.settled(fps), fonts, &mut frame);
            let bytes = png(&frame, PngSize::Small);
            if formats.poster {
                write_atomically(&folder.join(POSTER), &bytes)?;
                video.files.push(POSTER.into());
            }
            poster = Some(bytes);
        }

        // The player's clips: shared ones copied, the customer's own encoded.
        let player = folder.join(PLAYER);
        let mut clip_files: HashMap<usize, PathBuf> = HashMap::new();
        if formats.player {
            create(&player.join(player::SCENES))?;
            for &s in &clips {
                let name = player::clip_name(board, s);
                let file = player.join(&name);
                if is_shared(board, s) {
                    write_atomically(&file, &self.shared_clip(s, fonts)?)?;
                } else {
                    video.frames +=
                        self.encode((&prepared, &[s]), &[(&file, Codec::H264)], fonts, None)?;
                }
                clip_files.insert(s, file);
                video.files.push(format!("{PLAYER}/{name}"));
            }
        }

        // The WebM is the whole cut drawn: with an MP4 drawn whole, from the same frames.
        let webm = folder.join(WEBM);
        let mut webm_pending = formats.webm;
        if formats.mp4 {
            let file = folder.join(MP4);
            match segments.as_slice() {
                [Segment::Drawn(run)] => {
                    let offered = gif.as_mut().filter(|_| gif_along);
                    let mut outputs = vec![(file.as_path(), Codec::H264)];
                    if std::mem::take(&mut webm_pending) {
                        outputs.push((webm.as_path(), Codec::Vp9));
                    }
                    video.frames += self.encode((&prepared, run), &outputs, fonts, offered)?;
                }
                _ => {
                    let scratch = folder.join(".segments");
                    create(&scratch)?;
                    let mut parts = Vec::new();
                    for (i, segment) in segments.iter().enumerate() {
                        let part = match segment {
                            Segment::Clip(s) if clip_files.contains_key(s) => clip_files[s].clone(),
                            Segment::Clip(s) => {
                                let part = scratch.join(format!("{i}.mp4"));
                                write_atomically(&part, &self.shared_clip(*s, fonts)?)?;
                                part
                            }
                            Segment::Drawn(run) => {
                                let part = scratch.join(format!("{i}.mp4"));
                                let offered = gif.as_mut().filter(|_| gif_along && i == 0);
                                video.frames += self.encode(
                                    (&prepared, run),
                                    &[(&part, Codec::H264)],
                                    fonts,
                                    offered,
                                )?;
                                part
                            }
                        };
                        parts.push(part);
                    }
                    let joined = join_clips(&parts, &file);
                    let _ = std::fs::remove_dir_all(&scratch);
                    joined?;
                }
            }
            video.files.push(MP4.into());
        }

        if webm_pending {
            video.frames += self.encode((&prepared, &cut), &[(&webm, Codec::Vp9)], fonts, None)?;
        }
        if formats.webm {
            video.files.push(WEBM.into());
        }

        let mut gif_bytes = None;
        if let Some(mut gif) = gif {
            if !gif_along {
                let run = self.run(&prepared, &thumbnail_scenes);
                let takes = |n: usize| gif.takes(n);
                let mut kept = GifFrames::new(fps);
                for_each_frame(board, &run, fonts, (&takes, thumbnail_frames), |frame| {
                    video.frames += 1;
                    kept.offer(&frame);
                    Ok(())
                })?;
                gif = kept;
            }
            let bytes = gif.encode();
            write_atomically(&folder.join(GIF), &bytes)?;
            video.files.push(GIF.into());
            gif_bytes = Some(bytes);
        }

        if formats.player {
            let made = player::package(
                self,
                data,
                &clips,
                (poster.as_deref(), gif_bytes.as_deref()),
                fields,
            );
            for (name, bytes) in made {
                let file = player.join(&name);
                if let Some(dir) = file.parent() {
                    create(dir)?;
                }
                write_atomically(&file, &bytes)?;
                video.files.push(format!("{PLAYER}/{name}"));
            }
        }
        Ok(video)
    }
}

/// The linear cut in pieces: runs of scenes drawn for the customer, and the clips of shared
/// scenes between them.
fn segments_of(board: &Storyboard, cut: &[usize]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    for &s in cut {
        match segments.last_mut() {
            _ if is_shared(board, s) => segments.push(Segment::Clip(s)),
            Some(Segment::Drawn(run)) => run.push(s),
            _ => segments.push(Segment::Drawn(vec![s])),
        }
    }
    segments
}
