//! Frames of a storyboard for one customer. A scene is prepared once per customer — its
//! background drawn, its merge tags filled, each text shaped and drawn once into a layer of its
//! own, each image decoded and scaled once — and every frame then composites those layers with
//! their animations (opacity, offset, scale) at its time. Only typewriter text and counting
//! numbers are laid out again, as they change.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde_json::Value;
use tiny_skia::{
    FillRule, GradientStop, LinearGradient, Paint, PathBuilder, Pixmap, PixmapPaint, Point, Rect,
    SpreadMode, Transform,
};

use super::document::{
    Anchor, Animation, AnimationKind, Background, Canvas, Color, Content, Easing, Fit, Frame,
    Layer, Scene, ShapeKind, Storyboard, TextStyle, TimeRange,
};
use super::text::{Fonts, TextLayout};
use crate::microsites::files::SiteFiles;
use crate::templates::plan::{compile, Escaping, Plan, Slot};
use crate::templates::{Notes, RenderEnv};

/// A storyboard's merge templates, compiled once for all its customers.
pub struct Compiled {
    /// By (scene, layer) index: the layer's text, and where its merge tags start in the
    /// numbering of all the storyboard's tags (as a missing-field counter counts them).
    texts: HashMap<(usize, usize), (Plan, u32)>,
    /// By scene index: the texts of its buttons and links, numbered likewise.
    interactions: HashMap<(usize, Interaction), (Plan, u32)>,
    /// Every merge tag, in that numbering, with the scene and layer it is in (`intro/title`,
    /// `intro/choice 1`, `end/call to action`).
    pub slots: Vec<(String, Slot)>,
}

/// A text of a scene's buttons and links, which the player shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interaction {
    Choice(usize),
    HotspotLabel(usize),
    HotspotUrl(usize),
    ActionLabel,
    ActionUrl,
}

impl Compiled {
    /// Compiles every text of `board` (a checked board: its templates compile).
    pub fn new(board: &Storyboard) -> Result<Compiled, String> {
        let mut texts = HashMap::new();
        let mut interactions = HashMap::new();
        let mut slots = Vec::new();
        let mut add = |source: &str, label: String| {
            let plan = compile(source, Escaping::PlainText).map_err(|e| format!("{label}: {e}"))?;
            let base = slots.len() as u32;
            slots.extend(
                plan.slots()
                    .iter()
                    .map(|slot| (label.clone(), slot.clone())),
            );
            Ok::<_, String>((plan, base))
        };
        for (s, scene) in board.scenes.iter().enumerate() {
            for (l, layer) in scene.layers.iter().enumerate() {
                if let Content::Text { text, .. } | Content::Number { text, .. } = &layer.content {
                    texts.insert((s, l), add(text, format!("{}/{}", scene.id, layer.id))?);
                }
            }
            let mut interaction = |which: Interaction, source: &str, name: String| {
                let compiled = add(source, format!("{}/{name}", scene.id))?;
                interactions.insert((s, which), compiled);
                Ok::<_, String>(())
            };
            for (i, choice) in scene.choices.iter().enumerate() {
                interaction(
                    Interaction::Choice(i),
                    &choice.label,
                    format!("choice {}", i + 1),
                )?;
            }
            for (i, hotspot) in scene.hotspots.iter().enumerate() {
                let name = format!("hotspot {}", i + 1);
                interaction(Interaction::HotspotLabel(i), &hotspot.label, name.clone())?;
                if let Some(url) = &hotspot.url {
                    interaction(Interaction::HotspotUrl(i), url, format!("{name} link"))?;
                }
            }
            if let Some(cta) = &scene.call_to_action {
                interaction(
                    Interaction::ActionLabel,
                    &cta.label,
                    "call to action".into(),
                )?;
                interaction(
                    Interaction::ActionUrl,
                    &cta.url,
                    "call to action link".into(),
                )?;
            }
        }
        Ok(Compiled {
            texts,
            interactions,
            slots,
        })
    }

    /// A button's or link's text of scene `s` for the customer (empty when the scene has none).
    pub fn interaction(
        &self,
        (s, which): (usize, Interaction),
        data: &Value,
        locale: &str,
        fields: &mut Notes,
    ) -> String {
        match self.interactions.get(&(s, which)) {
            Some((plan, base)) => merged(plan, *base, data, locale, fields),
            None => String::new(),
        }
    }
}

/// The language the customer's numbers and dates are written in: their own, else the
/// storyboard's.
pub fn locale_of<'a>(board: &'a Storyboard, data: &'a Value) -> &'a str {
    data.get("locale")
        .and_then(Value::as_str)
        .unwrap_or(&board.default_locale)
}

/// The texts of scene `s` (text and number layers, numbers at their final value) as the
/// customer reads them, with when each is shown: the player's captions. In reading order: top
/// to bottom, then left to right, as placed at rest.
pub fn scene_texts(
    board: &Storyboard,
    compiled: &Compiled,
    s: usize,
    data: &Value,
) -> Vec<(TimeRange, String)> {
    let scene = &board.scenes[s];
    let locale = locale_of(board, data);
    // Their empty fields were counted when the scene was drawn.
    let mut ignored = Notes::default();
    let mut texts: Vec<(usize, TimeRange, String)> = scene
        .layers
        .iter()
        .enumerate()
        .filter(|(_, layer)| matches!(layer.content, Content::Text { .. } | Content::Number { .. }))
        .map(|(l, layer)| {
            let shown = layer.time.unwrap_or(TimeRange {
                from: 0.0,
                to: scene.duration,
            });
            let text = layer_text(
                compiled,
                (s, l),
                &layer.content,
                data,
                locale,
                None,
                &mut ignored,
            );
            (l, shown, text)
        })
        .filter(|(_, _, text)| !text.trim().is_empty())
        .collect();
    let place = |l: usize| {
        let layer = &scene.layers[l];
        let (x, y) = top_left(&layer.frame, layer.anchor);
        (y, x)
    };
    texts.sort_by(|a, b| {
        let ((ay, ax), (by, bx)) = (place(a.0), place(b.0));
        ay.total_cmp(&by).then(ax.total_cmp(&bx))
    });
    texts
        .into_iter()
        .map(|(_, shown, text)| (shown, text))
        .collect()
}

/// The storyboard's images, decoded once (by asset name), each with a fingerprint of its file.
#[derive(Default, Clone)]
pub struct Images {
    by_name: HashMap<String, Image>,
}

#[derive(Clone)]
struct Image {
    pixels: Arc<Pixmap>,
    /// A hash of the encoded file: the same file is the same image.
    fingerprint: u64,
}

impl Images {
    /// Decodes every asset of `board` from its template's files; a file decoded in `earlier`
    /// (the same bytes, under any name) is taken from there.
    pub fn load(board: &Storyboard, files: &SiteFiles, earlier: &Images) -> Result<Images, String> {
        let mut by_name = HashMap::new();
        for (name, asset) in &board.assets {
            let bytes = files
                .get(&asset.file)
                .ok_or_else(|| format!("asset '{name}': there is no file '{}'", asset.file))?;
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut hasher);
            let fingerprint = hasher.finish();
            let known = earlier
                .by_name
                .values()
                .find(|image| image.fingerprint == fingerprint);
            let image = match known {
                Some(image) => image.clone(),
                None => Image {
                    pixels: Arc::new(
                        decode(bytes)
                            .map_err(|e| format!("asset '{name}' ({}): {e}", asset.file))?,
                    ),
                    fingerprint,
                },
            };
            by_name.insert(name.clone(), image);
        }
        Ok(Images { by_name })
    }
}

/// Pixels drawn while preparing scenes — backgrounds, texts, images scaled into their boxes,
/// shapes —, by a description of all they were drawn from. The editor's previews keep those of
/// the last frame, so an edit draws again only the pieces it changed (a layer moved is only
/// composited again); a render starts each scene with none.
#[derive(Default)]
pub struct Pieces {
    drawn: HashMap<String, Arc<Pixmap>>,
    used: HashSet<String>,
}

impl Pieces {
    fn get_or_draw(&mut self, key: String, draw: impl FnOnce() -> Pixmap) -> Arc<Pixmap> {
        let piece = self
            .drawn
            .entry(key.clone())
            .or_insert_with(|| Arc::new(draw()))
            .clone();
        self.used.insert(key);
        piece
    }

    /// Forgets the pieces not used since the last call (what edits replaced).
    pub fn forget_unused(&mut self) {
        let used = std::mem::take(&mut self.used);
        self.drawn.retain(|key, _| used.contains(key));
    }
}

/// The largest side of an image a storyboard draws: larger is no picture for a 4K frame.
const MAX_IMAGE_SIDE: u32 = 8192;

/// An encoded image (PNG, JPEG, WebP) as a premultiplied pixmap.
pub fn decode(bytes: &[u8]) -> Result<Pixmap, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    reader.limits(limits);
    let rgba = reader.decode().map_err(|e| e.to_string())?.into_rgba8();
    let (width, height) = rgba.dimensions();
    let mut data = rgba.into_raw();
    for px in data.chunks_exact_mut(4) {
        let a = u16::from(px[3]);
        for c in &mut px[..3] {
            *c = ((u16::from(*c) * a + 127) / 255) as u8;
        }
    }
    Pixmap::from_vec(
        data,
        tiny_skia::IntSize::from_wh(width, height).ok_or("an empty image")?,
    )
    .ok_or_else(|| "an image of no pixels".to_string())
}

/// The most texts a counting number keeps for one customer.
const MAX_COUNT_STEPS: f64 = 300.0;

/// A layer ready to be composited.
struct Prepared {
    /// Where its box's top left is on the canvas.
    x: f32,
    y: f32,
    frame: Frame,
    shown: TimeRange,
    animations: Vec<Animation>,
    pixels: Pixels,
}

enum Pixels {
    Still(Arc<Pixmap>),
    /// Text typed letter by letter.
    Typed {
        style: TextStyle,
        text: String,
    },
    /// A number counting up: its text at each step from 0 to the value.
    Counting {
        style: TextStyle,
        steps: Vec<String>,
    },
}

/// One customer's scene, ready for any of its frames.
pub struct PreparedScene {
    background: Arc<Pixmap>,
    layers: Vec<Prepared>,
    base: std::cell::RefCell<Base>,
    pub duration: f64,
}

impl PreparedScene {
    /// Whether the frame at `to` is the frame at `from` (`from` < `to`): no layer appears,
    /// leaves or animates between them. Such frames are not drawn again.
    pub fn still_between(&self, from: f64, to: f64) -> bool {
        self.layers.iter().all(|l| {
            let shown = |t: f64| t >= l.shown.from && t < l.shown.to;
            shown(from) == shown(to)
                && l.animations.iter().all(|a| {
                    let (start, end) =
                        (l.shown.from + a.delay, l.shown.from + a.delay + a.duration);
                    // Before it starts, or after it ended and stays ended (fade-outs stay out).
                    to < start || from > end || (from >= end && to >= end)
                })
        })
    }

    /// When everything in the scene has appeared and stopped moving (its poster moment): the
    /// end of the last entrance, before the scene's last frame.
    pub fn settled(&self, fps: u32) -> f64 {
        let last_frame = (self.duration - 1.0 / f64::from(fps)).max(0.0);
        self.layers
            .iter()
            .map(|l| {
                let entrances = l
                    .animations
                    .iter()
                    .filter(|a| !matches!(a.kind, AnimationKind::FadeOut));
                l.shown.from + entrances.map(|a| a.delay + a.duration).fold(0.0, f64::max)
            })
            .fold(0.0, f64::max)
            .min(last_frame)
    }
}

/// What preparing a scene for a customer found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SceneNotes {
    /// Layers whose text does not fit their box: (layer, how many pixels too wide and too high).
    pub overflowing: Vec<(String, f32, f32)>,
    /// Characters no font has, by layer.
    pub missing_glyphs: Vec<(String, Vec<char>)>,
}

/// A value of the customer's data by a dotted path (`recommendations.0.image`).
pub fn lookup<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(data, |value, part| match value {
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        Value::Object(fields) => fields.get(part),
        _ => None,
    })
}

/// The box's top left for its anchor: `x`, `y` name the anchor's point.
fn top_left(frame: &Frame, anchor: Anchor) -> (f32, f32) {
    let (fx, fy) = match anchor {
        Anchor::TopLeft => (0.0, 0.0),
        Anchor::Top => (0.5, 0.0),
        Anchor::TopRight => (1.0, 0.0),
        Anchor::Left => (0.0, 0.5),
        Anchor::Center => (0.5, 0.5),
        Anchor::Right => (1.0, 0.5),
        Anchor::BottomLeft => (0.0, 1.0),
        Anchor::Bottom => (0.5, 1.0),
        Anchor::BottomRight => (1.0, 1.0),
    };
    (
        (frame.x - fx * frame.width) as f32,
        (frame.y - fy * frame.height) as f32,
    )
}

fn paint_of(color: &Color) -> Paint<'static> {
    let [r, g, b, a] = color.rgba().unwrap_or([0, 0, 0, 255]);
    let mut paint = Paint::default();
    paint.set_color_rgba8(r, g, b, a);
    paint.anti_alias = true;
    paint
}

fn canvas_pixmap(canvas: Canvas) -> Pixmap {
    Pixmap::new(canvas.width.max(1), canvas.height.max(1)).expect("a checked canvas has pixels")
}

/// `image` scaled into a `width`×`height` pixmap, whole (contain) or filling it (cover).
fn fitted(image: &Pixmap, width: u32, height: u32, fit: Fit) -> Pixmap {
    let mut out = Pixmap::new(width.max(1), height.max(1)).expect("a box has pixels");
    let (sx, sy) = (
        width as f32 / image.width() as f32,
        height as f32 / image.height() as f32,
    );
    let scale = match fit {
        Fit::Contain => sx.min(sy),
        Fit::Cover => sx.max(sy),
    };
    let dx = (width as f32 - image.width() as f32 * scale) / 2.0;
    let dy = (height as f32 - image.height() as f32 * scale) / 2.0;
    let paint = PixmapPaint {
        quality: tiny_skia::FilterQuality::Bicubic,
        ..PixmapPaint::default()
    };
    out.draw_pixmap(
        0,
        0,
        image.as_ref(),
        &paint,
        Transform::from_row(scale, 0.0, 0.0, scale, dx, dy),
        None,
    );
    out
}

fn rounded_rect(width: f32, height: f32, radius: f32) -> Option<tiny_skia::Path> {
    let r = radius.min(width / 2.0).min(height / 2.0);
    if r <= 0.0 {
        return Some(PathBuilder::from_rect(Rect::from_xywh(
            0.0, 0.0, width, height,
        )?));
    }
    let mut p = PathBuilder::new();
    p.move_to(r, 0.0);
    p.line_to(width - r, 0.0);
    p.quad_to(width, 0.0, width, r);
    p.line_to(width, height - r);
    p.quad_to(width, height, width - r, height);
    p.line_to(r, height);
    p.quad_to(0.0, height, 0.0, height - r);
    p.line_to(0.0, r);
    p.quad_to(0.0, 0.0, r, 0.0);
    p.close();
    p.finish()
}

/// Text drawn into its box: its background, an outline (the text drawn around itself), the text.
fn text_pixmap(fonts: &mut Fonts, layout: &TextLayout, style: &TextStyle, frame: &Frame) -> Pixmap {
    let (w, h) = (frame.width.ceil() as u32, frame.height.ceil() as u32);
    let mut out = Pixmap::new(w.max(1), h.max(1)).expect("a box has pixels");
    if let Some(background) = &style.background {
        out.fill(tiny_skia::Color::from_rgba8(0, 0, 0, 0));
        if let Some(rect) = Rect::from_xywh(0.0, 0.0, w as f32, h as f32) {
            out.fill_rect(rect, &paint_of(background), Transform::identity(), None);
        }
    }
    if let Some(outline) = &style.outline {
        let rgba = outline.color.rgba().unwrap_or([0, 0, 0, 255]);
        let r = outline.width.round().clamp(1.0, 8.0) as i32;
        for (dx, dy) in [
            (-r, 0),
            (r, 0),
            (0, -r),
            (0, r),
            (-r, -r),
            (r, r),
            (-r, r),
            (r, -r),
        ] {
            fonts.draw(layout, &mut out, (dx, dy), rgba, true);
        }
    }
    fonts.draw(
        layout,
        &mut out,
        (0, 0),
        style.color.rgba().unwrap_or([255; 4]),
        false,
    );
    out
}

/// A text drawn into its box, from the pieces drawn before when it is among them (the box's
/// exact size is in the key: it wraps the text).
fn text_piece(
    pieces: &mut Pieces,
    fonts: &mut Fonts,
    (text, layout): (&str, &TextLayout),
    style: &TextStyle,
    frame: &Frame,
) -> Arc<Pixmap> {
    let key = format!(
        "text {:?}x{:?} {style:?} {text:?}",
        frame.width, frame.height
    );
    pieces.get_or_draw(key, || text_pixmap(fonts, layout, style, frame))
}

/// Merges a text template for the customer.
fn merged(plan: &Plan, base: u32, data: &Value, locale: &str, notes: &mut Notes) -> String {
    let mut out = Vec::new();
    let mut own = Notes::default();
    // A render error (a helper given the wrong type) leaves the text empty, as for email.
    let _ = plan.render(data, &RenderEnv { locale }, &mut out, &mut own);
    // Its empty tags in the storyboard's numbering.
    notes.missing.extend(own.missing.iter().map(|i| i + base));
    crate::templates::plan::into_string(out)
}

/// Prepares `scene` (index `s` of `board`) for the customer whose merge data is `data`.
/// `customer_images` maps image URLs of customer data to their pixels (others fall back).
/// Merge tags left empty are noted in `fields`; pieces already in `pieces` are not drawn again.
#[allow(clippy::too_many_arguments)]
pub fn prepare_scene(
    board: &Storyboard,
    compiled: &Compiled,
    s: usize,
    data: &Value,
    fonts: &mut Fonts,
    (images, customer_images): (&Images, &HashMap<String, Pixmap>),
    pieces: &mut Pieces,
    fields: &mut Notes,
) -> (PreparedScene, SceneNotes) {
    let scene: &Scene = &board.scenes[s];
    let canvas = board.canvas;
    let locale = locale_of(board, data);
    let mut notes = SceneNotes::default();
    let (cw, ch) = (canvas.width, canvas.height);
    // An image with what names its pixels in a piece's key: the asset's file, the customer's URL.
    let asset = |name: &str| {
        images
            .by_name
            .get(name)
            .map(|image| (&*image.pixels, format!("file {:x}", image.fingerprint)))
    };
    let customer_image = |field: &str| {
        let url = lookup(data, field).and_then(Value::as_str)?;
        customer_images
            .get(url)
            .map(|pixels| (pixels, format!("customer image {url:?}")))
    };
    let image = match &scene.background {
        Background::Image(name) => asset(name),
        Background::ImageField { field, fallback } => {
            customer_image(field).or_else(|| asset(fallback))
        }
        Background::Color(_) | Background::Gradient { .. } => None,
    };
    let key = format!(
        "background {cw}x{ch} {:?} {:?}",
        scene.background,
        image.as_ref().map(|(_, source)| source)
    );
    let background = pieces.get_or_draw(key, || draw_background(&scene.background, canvas, image));
    let mut layers = Vec::new();
    for (l, layer) in scene.layers.iter().enumerate() {
        let frame = layer.frame;
        let (w, h) = (
            frame.width.ceil().max(1.0) as u32,
            frame.height.ceil().max(1.0) as u32,
        );
        let pixels = match &layer.content {
            Content::Text { style, .. } => {
                let text = layer_text(compiled, (s, l), &layer.content, data, locale, None, fields);
                let layout = fonts.layout(&text, style, frame.width as f32);
                note_text(&mut notes, layer, &layout);
                if layer
                    .animations
                    .iter()
                    .any(|a| a.kind == AnimationKind::Typewriter)
                {
                    Pixels::Typed {
                        style: style.clone(),
                        text,
                    }
                } else {
                    Pixels::Still(text_piece(pieces, fonts, (&text, &layout), style, &frame))
                }
            }
            Content::Number { field, style, .. } => {
                let value = number_of(data, field);
                let text = layer_text(compiled, (s, l), &layer.content, data, locale, None, fields);
                // The widest the number gets is its final value: measured for overflow.
                let layout = fonts.layout(&text, style, frame.width as f32);
                note_text(&mut notes, layer, &layout);
                match layer
                    .animations
                    .iter()
                    .find(|a| a.kind == AnimationKind::CountUp)
                {
                    Some(count) => {
                        // One text per frame of the count (whole numbers for whole values).
                        // At most one step a frame, and a few hundred in all (a long count moves
                        // in bigger steps rather than keeping thousands of texts).
                        let frames = (count.duration * f64::from(canvas.fps))
                            .ceil()
                            .clamp(1.0, MAX_COUNT_STEPS)
                            as usize;
                        let whole = value.fract() == 0.0;
                        let steps = (0..=frames)
                            .map(|k| {
                                // The last step is the value itself; the others a share of it
                                // (never a product that overflows: 1e308 × 300 is infinite).
                                let n = if k == frames {
                                    value
                                } else {
                                    value * (k as f64 / frames as f64)
                                };
                                let n = if n.abs() >= 1e15 {
                                    n
                                } else if whole {
                                    n.round()
                                } else {
                                    (n * 100.0).round() / 100.0
                                };
                                let content = &layer.content;
                                layer_text(
                                    compiled,
                                    (s, l),
                                    content,
                                    data,
                                    locale,
                                    Some(n),
                                    &mut Notes::default(),
                                )
                            })
                            .collect();
                        Pixels::Counting {
                            style: style.clone(),
                            steps,
                        }
                    }
                    None => {
                        Pixels::Still(text_piece(pieces, fonts, (&text, &layout), style, &frame))
                    }
                }
            }
            Content::Image {
                asset: name,
                field,
                fit,
            } => {
                let image = field
                    .as_deref()
                    .and_then(customer_image)
                    .or_else(|| name.as_deref().and_then(asset));
                match image {
                    Some((pixels, source)) => {
                        let key = format!("image {w}x{h} {fit:?} {source}");
                        Pixels::Still(pieces.get_or_draw(key, || fitted(pixels, w, h, *fit)))
                    }
                    None => continue,
                }
            }
            Content::Shape {
                shape,
                fill,
                radius,
            } => {
                let key = format!("shape {w}x{h} {shape:?} {fill:?} {radius}");
                Pixels::Still(
                    pieces.get_or_draw(key, || shape_pixmap(*shape, fill, *radius, (w, h))),
                )
            }
        };
        let (x, y) = top_left(&frame, layer.anchor);
        layers.push(Prepared {
            x,
            y,
            frame,
            shown: layer.time.unwrap_or(TimeRange {
                from: 0.0,
                to: scene.duration,
            }),
            animations: layer.animations.clone(),
            pixels,
        });
    }
    (
        PreparedScene {
            background,
            layers,
            base: Default::default(),
            duration: scene.duration,
        },
        notes,
    )
}

/// A scene's background on the whole canvas: its colour, gradient, or `image` (its image, or
/// the customer's) covering it.
fn draw_background(
    background: &Background,
    canvas: Canvas,
    image: Option<(&Pixmap, String)>,
) -> Pixmap {
    let (cw, ch) = (canvas.width, canvas.height);
    if let Some((image, _)) = image {
        return fitted(image, cw, ch, Fit::Cover);
    }
    let mut out = canvas_pixmap(canvas);
    match background {
        Background::Color(color) => {
            let [r, g, b, a] = color.rgba().unwrap_or([0, 0, 0, 255]);
            out.fill(tiny_skia::Color::from_rgba8(r, g, b, a));
        }
        Background::Gradient { from, to, angle } => {
            let (sin, cos) = angle.to_radians().sin_cos();
            let (cx, cy, half) = (cw as f32 / 2.0, ch as f32 / 2.0, (cw.max(ch) as f32) / 2.0);
            let start = Point::from_xy(cx - cos as f32 * half, cy - sin as f32 * half);
            let end = Point::from_xy(cx + cos as f32 * half, cy + sin as f32 * half);
            let color = |c: &Color| {
                let [r, g, b, a] = c.rgba().unwrap_or([0, 0, 0, 255]);
                tiny_skia::Color::from_rgba8(r, g, b, a)
            };
            let stops = vec![
                GradientStop::new(0.0, color(from)),
                GradientStop::new(1.0, color(to)),
            ];
            let mut paint = Paint::default();
            if let Some(shader) =
                LinearGradient::new(start, end, stops, SpreadMode::Pad, Transform::identity())
            {
                paint.shader = shader;
            }
            if let Some(rect) = Rect::from_xywh(0.0, 0.0, cw as f32, ch as f32) {
                out.fill_rect(rect, &paint, Transform::identity(), None);
            }
        }
        // An image missing (checked before): transparent.
        Background::Image(_) | Background::ImageField { .. } => {}
    }
    out
}

/// A rectangle (its corners rounded by `radius`) or ellipse filling a `width`×`height` box.
fn shape_pixmap(shape: ShapeKind, fill: &Color, radius: f64, (w, h): (u32, u32)) -> Pixmap {
    let mut out = Pixmap::new(w, h).expect("a box has pixels");
    let path = match shape {
        ShapeKind::Rectangle => rounded_rect(w as f32, h as f32, radius as f32),
        ShapeKind::Ellipse => {
            Rect::from_xywh(0.0, 0.0, w as f32, h as f32).and_then(PathBuilder::from_oval)
        }
    };
    if let Some(path) = path {
        out.fill_path(
            &path,
            &paint_of(fill),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
    out
}

/// A number layer's value in the customer's data (0 when they have none).
fn number_of(data: &Value, field: &str) -> f64 {
    lookup(data, field).and_then(Value::as_f64).unwrap_or(0.0)
}

/// A text or number layer's text for the customer; a number layer's written with its value at
/// `count` (its final value by default).
fn layer_text(
    compiled: &Compiled,
    at: (usize, usize),
    content: &Content,
    data: &Value,
    locale: &str,
    count: Option<f64>,
    fields: &mut Notes,
) -> String {
    let Some((plan, base)) = compiled.texts.get(&at) else {
        return String::new();
    };
    let Content::Number { field, .. } = content else {
        return merged(plan, *base, data, locale, fields);
    };
    let n = count.unwrap_or_else(|| number_of(data, field));
    // A whole number as an integer: written without a fraction.
    let number = if n.fract() == 0.0 && n.abs() < 9e15 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    };
    let mut with_value = data.clone();
    if let Value::Object(fields) = &mut with_value {
        fields.insert("value".into(), number);
    }
    merged(plan, *base, &with_value, locale, fields)
}

/// Every text of the storyboard as the customer would see it, laid out in its box (none
/// drawn): which ones overflow, and characters no font has, by (scene, layer) index.
pub fn measure(
    board: &Storyboard,
    compiled: &Compiled,
    data: &Value,
    fonts: &mut Fonts,
    fields: &mut Notes,
) -> Vec<((usize, usize), SceneNotes)> {
    let locale = locale_of(board, data);
    let mut found = Vec::new();
    for (s, scene) in board.scenes.iter().enumerate() {
        for (l, layer) in scene.layers.iter().enumerate() {
            let (Content::Text { style, .. } | Content::Number { style, .. }) = &layer.content
            else {
                continue;
            };
            let text = layer_text(compiled, (s, l), &layer.content, data, locale, None, fields);
            let layout = fonts.layout(&text, style, layer.frame.width as f32);
            let mut notes = SceneNotes::default();
            note_text(&mut notes, layer, &layout);
            if notes != SceneNotes::default() {
                found.push(((s, l), notes));
            }
        }
    }
    found
}

fn note_text(notes: &mut SceneNotes, layer: &Layer, layout: &TextLayout) {
    let (w, h) = (layer.frame.width as f32, layer.frame.height as f32);
    if layout.overflows(w, h) {
        notes.overflowing.push((
            layer.id.clone(),
            (layout.width - w).max(0.0),
            (layout.height - h).max(0.0),
        ));
    }
    if !layout.missing_glyphs.is_empty() {
        notes
            .missing_glyphs
            .push((layer.id.clone(), layout.missing_glyphs.clone()));
    }
}

fn ease(easing: Easing, t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    match easing {
        Easing::Linear => t,
        Easing::EaseIn => t * t,
        Easing::EaseOut => 1.0 - (1.0 - t) * (1.0 - t),
        Easing::EaseInOut => {
            if t < 0.5 {
                2.0 * t * t
            } else {
                1.0 - (-2.0 * t + 2.0).powi(2) / 2.0
            }
        }
    }
}

/// How far (0–1) an animation is at `t` seconds into the layer's time.
fn progress(animation: &Animation, t: f64) -> f64 {
    if animation.duration <= 0.0 {
        return if t >= animation.delay { 1.0 } else { 0.0 };
    }
    ease(animation.easing, (t - animation.delay) / animation.duration)
}

/// A layer as one frame shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Placement {
    opacity: f64,
    dx: f64,
    dy: f64,
    scale: f64,
    /// How far typing and counting are (0–1).
    typed: f64,
    counted: f64,
}

impl Prepared {
    /// How the layer shows at `t` seconds into the scene; none when it does not.
    fn placement(&self, t: f64) -> Option<Placement> {
        if t < self.shown.from || t >= self.shown.to {
            return None;
        }
        let local = t - self.shown.from;
        let mut at = Placement {
            opacity: 1.0,
            dx: 0.0,
            dy: 0.0,
            scale: 1.0,
            typed: 1.0,
            counted: 1.0,
        };
        let distance = 0.15 * (self.frame.width.max(self.frame.height)).max(40.0);
        for animation in &self.animations {
            let p = progress(animation, local);
            match animation.kind {
                AnimationKind::FadeIn => at.opacity *= p,
                AnimationKind::FadeOut => at.opacity *= 1.0 - p,
                AnimationKind::SlideFromLeft => at.dx -= (1.0 - p) * distance,
                AnimationKind::SlideFromRight => at.dx += (1.0 - p) * distance,
                AnimationKind::SlideFromTop => at.dy -= (1.0 - p) * distance,
                AnimationKind::SlideFromBottom => at.dy += (1.0 - p) * distance,
                AnimationKind::ScaleIn => at.scale *= 0.5 + 0.5 * p,
                AnimationKind::Typewriter => at.typed = p,
                AnimationKind::CountUp => at.counted = p,
            }
        }
        (at.opacity > 0.0).then_some(at)
    }

    /// Whether the layer's pixels stay as they are around `t`: drawn once, no animation under way.
    fn at_rest(&self, t: f64) -> bool {
        let local = t - self.shown.from;
        matches!(self.pixels, Pixels::Still(_))
            && self
                .animations
                .iter()
                .all(|a| local < a.delay || local > a.delay + a.duration)
    }

    fn draw(&self, at: Placement, fonts: &mut Fonts, out: &mut Pixmap) {
        let changing;
        let pixmap = match &self.pixels {
            Pixels::Still(pixmap) => &**pixmap,
            Pixels::Typed { style, text } => {
                let n = (text.chars().count() as f64 * at.typed).round() as usize;
                let shown: String = text.chars().take(n).collect();
                let layout = fonts.layout(&shown, style, self.frame.width as f32);
                changing = text_pixmap(fonts, &layout, style, &self.frame);
                &changing
            }
            Pixels::Counting { style, steps } => {
                let step = ((steps.len() - 1) as f64 * at.counted).round() as usize;
                let layout = fonts.layout(
                    &steps[step.min(steps.len() - 1)],
                    style,
                    self.frame.width as f32,
                );
                changing = text_pixmap(fonts, &layout, style, &self.frame);
                &changing
            }
        };
        let (w, h) = (pixmap.width() as f32, pixmap.height() as f32);
        let s = at.scale as f32;
        let x = self.x + at.dx as f32 + (1.0 - s) * w / 2.0;
        let y = self.y + at.dy as f32 + (1.0 - s) * h / 2.0;
        let paint = PixmapPaint {
            opacity: at.opacity.clamp(0.0, 1.0) as f32,
            quality: tiny_skia::FilterQuality::Bilinear,
            ..PixmapPaint::default()
        };
        out.draw_pixmap(
            0,
            0,
            pixmap.as_ref(),
            &paint,
            Transform::from_row(s, 0.0, 0.0, s, x, y),
            None,
        );
    }
}

/// The background with the bottom layers at rest drawn on it, kept while they stay as they are:
/// the frames of a scene where only the top layers move composite only those.
#[derive(Default)]
struct Base {
    /// How each of those layers shows.
    placements: Vec<Option<Placement>>,
    /// Drawn the second time the same placements are asked for (a single frame, a poster or
    /// the editor's, pays nothing for it).
    pixels: Option<Pixmap>,
}

/// Draws the frame at `t` seconds into the scene onto `out` (the canvas's size).
pub fn draw_frame(scene: &PreparedScene, t: f64, fonts: &mut Fonts, out: &mut Pixmap) {
    let placements: Vec<Option<Placement>> = scene.layers.iter().map(|l| l.placement(t)).collect();
    let resting = scene.layers.iter().take_while(|l| l.at_rest(t)).count();
    let mut base = scene.base.borrow_mut();
    if resting == 0 || base.placements != placements[..resting] {
        *base = Base {
            placements: placements[..resting].to_vec(),
            pixels: None,
        };
        out.data_mut().copy_from_slice(scene.background.data());
        for (layer, at) in scene.layers.iter().zip(&placements) {
            if let Some(at) = at {
                layer.draw(*at, fonts, out);
            }
        }
        return;
    }
    let pixels = base.pixels.get_or_insert_with(|| {
        let mut pixels = (*scene.background).clone();
        for (layer, at) in scene.layers.iter().zip(&placements[..resting]) {
            if let Some(at) = at {
                layer.draw(*at, fonts, &mut pixels);
            }
        }
        pixels
    });
    out.data_mut().copy_from_slice(pixels.data());
    for (layer, at) in scene.layers.iter().zip(&placements).skip(resting) {
        if let Some(at) = at {
            layer.draw(*at, fonts, out);
        }
    }
}
