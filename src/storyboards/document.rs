//! The storyboard document: typed, versioned JSON (`format: 1`) with a published JSON Schema
//! (`templates/storyboard/storyboard.schema.json`, generated from these types). A storyboard is
//! a canvas, assets, and scenes of layers; choices, hotspots and a default `next` link scenes
//! into a graph whose default path is the linear cut.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Storyboard {
    /// The document's format version: 1.
    pub format: u32,
    pub name: String,
    /// The language its text is written in (`en`, `zh-CN`): numbers and dates of customers with
    /// no locale of their own are formatted in it.
    #[serde(default = "default_locale")]
    pub default_locale: String,
    pub canvas: Canvas,
    /// Images by name, as files beside the storyboard (`assets/logo.png`).
    #[serde(default)]
    pub assets: BTreeMap<String, Asset>,
    /// The scene the video starts with.
    pub start: String,
    /// Named entry points of the player.
    #[serde(default)]
    pub chapters: Vec<Chapter>,
    pub scenes: Vec<Scene>,
}

fn default_locale() -> String {
    "en".into()
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Canvas {
    /// Pixels (even numbers: H.264 in yuv420p needs them).
    pub width: u32,
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// The file, relative to the storyboard's folder (PNG, JPEG or WebP).
    pub file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Chapter {
    pub title: String,
    pub scene: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Letters, digits, `-` and `_`: how choices, hotspots and chapters name it.
    pub id: String,
    /// Seconds.
    pub duration: f64,
    #[serde(default)]
    pub background: Background,
    #[serde(default)]
    pub layers: Vec<Layer>,
    /// How this scene gives way to its `next` (a scene with choices ends on a cut).
    #[serde(default)]
    pub transition: Transition,
    /// The scene after this one when no choice is made; none: the video ends here.
    #[serde(default)]
    pub next: Option<String>,
    /// Buttons shown at the end of the scene, each jumping to a scene; the default one is taken
    /// when the viewer does not choose (and in the linear cut).
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub hotspots: Vec<Hotspot>,
    /// A button that opens a page (the customer's microsite: `{{microsite_url}}`).
    #[serde(default)]
    pub call_to_action: Option<CallToAction>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Background {
    Color(Color),
    Gradient {
        from: Color,
        to: Color,
        /// Degrees: 0 is left to right, 90 top to bottom.
        #[serde(default)]
        angle: f64,
    },
    /// An asset by name.
    Image(String),
    /// An image chosen from the customer's data (`recommendations.0.image`, a URL the workspace
    /// keeps a copy of), else the asset `fallback`.
    ImageField {
        field: String,
        fallback: String,
    },
}

impl Default for Background {
    fn default() -> Self {
        Background::Color(Color("#000000".into()))
    }
}

/// `#rrggbb` or `#rrggbbaa`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Color(#[schemars(regex(pattern = r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"))] pub String);

impl Color {
    /// (r, g, b, a), or `None` for a color that is not `#rrggbb[aa]`.
    pub fn rgba(&self) -> Option<[u8; 4]> {
        let hex = self.0.strip_prefix('#')?;
        if !(hex.len() == 6 || hex.len() == 8) || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        let alpha = if hex.len() == 8 { byte(6)? } else { 255 };
        Some([byte(0)?, byte(2)?, byte(4)?, alpha])
    }
}

/// (Unknown fields are refused by `Content`, which gets every field `Layer` does not know: serde
/// does not refuse them on a struct that flattens another.)
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Layer {
    /// Unique in its scene: errors name it.
    pub id: String,
    #[serde(flatten)]
    pub content: Content,
    #[serde(rename = "box")]
    pub frame: Frame,
    /// Which point of the box `x` and `y` place.
    #[serde(default)]
    pub anchor: Anchor,
    /// Seconds inside the scene; the whole scene by default.
    #[serde(default)]
    pub time: Option<TimeRange>,
    #[serde(default)]
    pub animations: Vec<Animation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Content {
    /// Text with Handlebars merge tags (`{{greeting_name}}`, `{{default city "your city"}}`).
    Text {
        text: String,
        #[serde(default)]
        style: TextStyle,
    },
    /// A number that counts up to a customer's value (`field`), written by `text` (`{{number
    /// value}} orders`: `value` is the number, `number` writes it in the customer's locale).
    Number {
        field: String,
        #[serde(default = "number_text")]
        text: String,
        #[serde(default)]
        style: TextStyle,
    },
    /// An asset, or an image from the customer's data with an asset as its fallback.
    Image {
        #[serde(default)]
        asset: Option<String>,
        #[serde(default)]
        field: Option<String>,
        #[serde(default)]
        fit: Fit,
    },
    Shape {
        #[serde(default)]
        shape: ShapeKind,
        fill: Color,
        /// Corner radius of a rectangle, in pixels.
        #[serde(default)]
        radius: f64,
    },
}

fn number_text() -> String {
    "{{number value}}".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TextStyle {
    /// `sans` (Noto Sans CJK, DejaVu Sans) or `serif` (Noto Serif CJK, DejaVu Serif); emoji
    /// come from Noto Color Emoji.
    #[serde(default = "sans")]
    pub font: String,
    /// Pixels.
    #[serde(default = "text_size")]
    pub size: f64,
    /// 400 regular, 700 bold.
    #[serde(default = "regular")]
    pub weight: u16,
    #[serde(default = "white")]
    pub color: Color,
    #[serde(default)]
    pub align: Align,
    /// A box drawn behind the text.
    #[serde(default)]
    pub background: Option<Color>,
    #[serde(default)]
    pub outline: Option<Outline>,
    /// Line height as a multiple of the size.
    #[serde(default = "line_height")]
    pub line_height: f64,
}

impl Default for TextStyle {
    fn default() -> Self {
        TextStyle {
            font: sans(),
            size: text_size(),
            weight: regular(),
            color: white(),
            align: Align::default(),
            background: None,
            outline: None,
            line_height: line_height(),
        }
    }
}

fn sans() -> String {
    "sans".into()
}
fn text_size() -> f64 {
    48.0
}
fn regular() -> u16 {
    400
}
fn white() -> Color {
    Color("#ffffff".into())
}
fn line_height() -> f64 {
    1.25
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Outline {
    pub color: Color,
    /// Pixels.
    pub width: f64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// The whole image inside the box.
    #[default]
    Contain,
    /// The box filled, the image cut to it.
    Cover,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ShapeKind {
    #[default]
    Rectangle,
    Ellipse,
}

/// Where a layer is, in canvas pixels.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    #[default]
    TopLeft,
    Top,
    TopRight,
    Left,
    Center,
    Right,
    BottomLeft,
    Bottom,
    BottomRight,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    pub from: f64,
    pub to: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Animation {
    pub kind: AnimationKind,
    /// Seconds from the layer's start.
    #[serde(default)]
    pub delay: f64,
    /// Seconds.
    pub duration: f64,
    #[serde(default)]
    pub easing: Easing,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AnimationKind {
    FadeIn,
    FadeOut,
    SlideFromLeft,
    SlideFromRight,
    SlideFromTop,
    SlideFromBottom,
    /// From half its size to its size.
    ScaleIn,
    /// The text appears letter by letter.
    Typewriter,
    /// A number layer counts from 0 to its value.
    CountUp,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Easing {
    Linear,
    EaseIn,
    #[default]
    EaseOut,
    EaseInOut,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    #[serde(default)]
    pub kind: TransitionKind,
    /// Seconds, taken from the end of this scene.
    #[serde(default)]
    pub duration: f64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    #[default]
    Cut,
    Crossfade,
    SlideLeft,
    WipeRight,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The button's text (merge tags allowed).
    pub label: String,
    pub scene: String,
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Hotspot {
    /// What a screen reader says of it.
    pub label: String,
    #[serde(rename = "box")]
    pub frame: Frame,
    #[serde(default)]
    pub time: Option<TimeRange>,
    /// Jumps to a scene, or opens a URL (merge tags allowed): one of the two.
    #[serde(default)]
    pub scene: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CallToAction {
    pub label: String,
    pub url: String,
}

/// The published JSON Schema of the document, as JSON text.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Storyboard);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
