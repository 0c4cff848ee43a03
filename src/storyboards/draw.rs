//! Frames of a storyboard for one customer. A scene is prepared once per customer — its
//! background drawn, its merge tags filled, each text shaped and drawn once into a layer of its
//! own, each image decoded and scaled once — and every frame then composites those layers with
//! their animations (opacity, offset, scale) at its time. Only typewriter text and counting
//! numbers are laid out again, as they change.

use std::collections::HashMap;

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
/// customer reads them, with when each is shown: the player's captions.
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
    scene
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
            (shown, text)
        })
        .filter(|(_, text)| !text.trim().is_empty())
        .collect()
}

/// The storyboard's images, decoded once (by asset name).
#[derive(Default)]
pub struct Images {
    by_name: HashMap<String, Pixmap>,
}

impl Images {
    /// Decodes every asset of `board` from its template's files.
    pub fn load(board: &Storyboard, files: &SiteFiles) -> Result<Images, String> {
        let mut by_name = HashMap::new();
        for (name, asset) in &board.assets {
            let bytes = files
                .get(&asset.file)
                .ok_or_else(|| format!("asset '{name}': there is no file '{}'", asset.file))?;
            let image =
                decode(bytes).map_err(|e| format!("asset '{name}' ({}): {e}", asset.file))?;
            by_name.insert(name.clone(), image);
        }
        Ok(Images { by_name })
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
    Still(Pixmap),
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
    background: Pixmap,
    layers: Vec<Prepared>,
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
/// Merge tags left empty are noted in `fields`.
#[allow(clippy::too_many_arguments)]
pub fn prepare_scene(
    board: &Storyboard,
    compiled: &Compiled,
    s: usize,
    data: &Value,
    fonts: &mut Fonts,
    images: &Images,
    customer_images: &HashMap<String, Pixmap>,
    fields: &mut Notes,
) -> (PreparedScene, SceneNotes) {
    let scene: &Scene = &board.scenes[s];
    let canvas = board.canvas;
    let locale = locale_of(board, data);
    let mut notes = SceneNotes::default();
    let mut background = canvas_pixmap(canvas);
    let (cw, ch) = (canvas.width, canvas.height);
    let image_of = |field: &str| {
        lookup(data, field)
            .and_then(Value::as_str)
            .and_then(|url| customer_images.get(url))
    };
    match &scene.background {
        Background::Color(color) => {
            let [r, g, b, a] = color.rgba().unwrap_or([0, 0, 0, 255]);
            background.fill(tiny_skia::Color::from_rgba8(r, g, b, a));
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
                background.fill_rect(rect, &paint, Transform::identity(), None);
            }
        }
        Background::Image(asset) => {
            if let Some(image) = images.by_name.get(asset) {
                background = fitted(image, cw, ch, Fit::Cover);
            }
        }
        Background::ImageField { field, fallback } => {
            if let Some(image) = image_of(field).or_else(|| images.by_name.get(fallback)) {
                background = fitted(image, cw, ch, Fit::Cover);
            }
        }
    }
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
                    Pixels::Still(text_pixmap(fonts, &layout, style, &frame))
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
                                let n = value * k as f64 / frames as f64;
                                let n = if whole {
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
                    None => Pixels::Still(text_pixmap(fonts, &layout, style, &frame)),
                }
            }
            Content::Image { asset, field, fit } => {
                let image = field
                    .as_deref()
                    .and_then(image_of)
                    .or_else(|| asset.as_deref().and_then(|a| images.by_name.get(a)));
                match image {
                    Some(image) => Pixels::Still(fitted(image, w, h, *fit)),
                    None => continue,
                }
            }
            Content::Shape {
                shape,
                fill,
                radius,
            } => {
                let mut out = Pixmap::new(w, h).expect("a box has pixels");
                let path = match shape {
                    ShapeKind::Rectangle => rounded_rect(w as f32, h as f32, *radius as f32),
                    ShapeKind::Ellipse => Rect::from_xywh(0.0, 0.0, w as f32, h as f32)
                        .and_then(PathBuilder::from_oval),
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
                Pixels::Still(out)
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
            duration: scene.duration,
        },
        notes,
    )
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

/// Draws the frame at `t` seconds into the scene onto `out` (the canvas's size).
pub fn draw_frame(scene: &PreparedScene, t: f64, fonts: &mut Fonts, out: &mut Pixmap) {
    out.data_mut().copy_from_slice(scene.background.data());
    for layer in &scene.layers {
        if t < layer.shown.from || t >= layer.shown.to {
            continue;
        }
        let local = t - layer.shown.from;
        let (mut opacity, mut dx, mut dy, mut scale) = (1.0f64, 0.0f64, 0.0f64, 1.0f64);
        let mut typed = 1.0f64;
        let mut counted = 1.0f64;
        for animation in &layer.animations {
            let p = progress(animation, local);
            let distance = 0.15 * (layer.frame.width.max(layer.frame.height)).max(40.0);
            match animation.kind {
                AnimationKind::FadeIn => opacity *= p,
                AnimationKind::FadeOut => opacity *= 1.0 - p,
                AnimationKind::SlideFromLeft => dx -= (1.0 - p) * distance,
                AnimationKind::SlideFromRight => dx += (1.0 - p) * distance,
                AnimationKind::SlideFromTop => dy -= (1.0 - p) * distance,
                AnimationKind::SlideFromBottom => dy += (1.0 - p) * distance,
                AnimationKind::ScaleIn => scale *= 0.5 + 0.5 * p,
                AnimationKind::Typewriter => typed = p,
                AnimationKind::CountUp => counted = p,
            }
        }
        if opacity <= 0.0 {
            continue;
        }
        let changing;
        let pixmap = match &layer.pixels {
            Pixels::Still(pixmap) => pixmap,
            Pixels::Typed { style, text } => {
                let n = (text.chars().count() as f64 * typed).round() as usize;
                let shown: String = text.chars().take(n).collect();
                let layout = fonts.layout(&shown, style, layer.frame.width as f32);
                changing = text_pixmap(fonts, &layout, style, &layer.frame);
                &changing
            }
            Pixels::Counting { style, steps } => {
                let at = ((steps.len() - 1) as f64 * counted).round() as usize;
                let layout = fonts.layout(
                    &steps[at.min(steps.len() - 1)],
                    style,
                    layer.frame.width as f32,
                );
                changing = text_pixmap(fonts, &layout, style, &layer.frame);
                &changing
            }
        };
        let (w, h) = (pixmap.width() as f32, pixmap.height() as f32);
        let s = scale as f32;
        let x = layer.x + dx as f32 + (1.0 - s) * w / 2.0;
        let y = layer.y + dy as f32 + (1.0 - s) * h / 2.0;
        let paint = PixmapPaint {
            opacity: opacity.clamp(0.0, 1.0) as f32,
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
