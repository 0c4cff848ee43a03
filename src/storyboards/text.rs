//! Text of storyboard layers: fonts loaded from known files (the same frames on every machine
//! set up as the README says, never whatever a system happens to have), shaped with fallback
//! (Latin and accents from DejaVu, Chinese from Noto CJK, emoji from Noto Color Emoji), wrapped
//! in the layer's box, measured (does it overflow?), and drawn once per customer into a pixmap
//! the frames composite.

use std::path::PathBuf;

use cosmic_text::{
    Attrs, Buffer, Family, FontSystem, Metrics, Shaping, SwashCache, SwashContent, Weight, Wrap,
};
use tiny_skia::{Pixmap, PremultipliedColorU8};

use super::document::{Align, TextStyle};

/// The font files, by what they cover; each is looked for in the font folders.
const FONT_FILES: [(&str, &str); 7] = [
    ("DejaVu Sans", "DejaVuSans.ttf"),
    ("DejaVu Sans Bold", "DejaVuSans-Bold.ttf"),
    ("DejaVu Serif", "DejaVuSerif.ttf"),
    ("DejaVu Serif Bold", "DejaVuSerif-Bold.ttf"),
    ("Noto Sans CJK", "NotoSansCJK-Regular.ttc"),
    ("Noto Sans CJK Bold", "NotoSansCJK-Bold.ttc"),
    ("Noto Color Emoji", "NotoColorEmoji.ttf"),
];

/// Where Debian's packages put them (fonts-dejavu-core, fonts-noto-cjk, fonts-noto-color-emoji);
/// `TESSERA_FONT_DIR` is looked in first.
const FONT_DIRS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/noto",
];

#[derive(Debug, thiserror::Error)]
#[error("the font file {file} is not on this computer (looked in {}); run the README's setup, or set TESSERA_FONT_DIR", .looked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
pub struct FontMissing {
    pub file: &'static str,
    pub looked: Vec<PathBuf>,
}

crate::coded!(FontMissing { FontMissing { .. } => Io });

/// The loaded fonts and the rasterized glyphs, kept for every layer drawn with them.
pub struct Fonts {
    system: FontSystem,
    glyphs: SwashCache,
}

/// A text laid out in a box.
pub struct TextLayout {
    buffer: Buffer,
    /// What the text takes, in pixels: its widest line and all its lines.
    pub width: f32,
    pub height: f32,
    /// Characters no loaded font has (they would be drawn as boxes).
    pub missing_glyphs: Vec<char>,
}

impl TextLayout {
    /// Whether the text takes more room than its box (half a pixel is rounding).
    pub fn overflows(&self, width: f32, height: f32) -> bool {
        self.width > width + 0.5 || self.height > height + 0.5
    }
}

fn font_dirs() -> Vec<PathBuf> {
    std::env::var_os("TESSERA_FONT_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain(FONT_DIRS.iter().map(PathBuf::from))
        .collect()
}

impl Fonts {
    /// Loads the font files (a few ms: they are memory-mapped).
    pub fn load() -> Result<Fonts, FontMissing> {
        let dirs = font_dirs();
        let mut db = cosmic_text::fontdb::Database::new();
        for (_, file) in FONT_FILES {
            let found = dirs.iter().map(|d| d.join(file)).find(|p| p.is_file());
            let Some(path) = found else {
                return Err(FontMissing { file, looked: dirs });
            };
            db.load_font_file(&path).map_err(|_| FontMissing {
                file,
                looked: vec![path.clone()],
            })?;
        }
        // Chinese characters in their Simplified forms (Noto CJK SC) whatever the machine's locale.
        let system = FontSystem::new_with_locale_and_db("zh-CN".into(), db);
        Ok(Fonts {
            system,
            glyphs: SwashCache::new(),
        })
    }

    /// Shapes and wraps `text` at `width` pixels in `style`.
    pub fn layout(&mut self, text: &str, style: &TextStyle, width: f32) -> TextLayout {
        let size = style.size as f32;
        let metrics = Metrics::new(size, size * style.line_height as f32);
        let mut buffer = Buffer::new(&mut self.system, metrics);
        buffer.set_wrap(&mut self.system, Wrap::WordOrGlyph);
        buffer.set_size(&mut self.system, Some(width.max(1.0)), None);
        let family = if style.font == "serif" {
            "DejaVu Serif"
        } else {
            "DejaVu Sans"
        };
        let attrs = Attrs::new()
            .family(Family::Name(family))
            .weight(Weight(style.weight));
        // DejaVu has black-and-white emoji of its own: emoji are set in the colour font, at its
        // one weight (asked for bold, the matcher would take DejaVu Sans Bold's).
        let emoji = Attrs::new().family(Family::Name("Noto Color Emoji"));
        let spans = emoji_runs(text).map(|(run, is_emoji)| {
            (
                run,
                if is_emoji {
                    emoji.clone()
                } else {
                    attrs.clone()
                },
            )
        });
        let align = match style.align {
            Align::Left => cosmic_text::Align::Left,
            Align::Center => cosmic_text::Align::Center,
            Align::Right => cosmic_text::Align::Right,
        };
        buffer.set_rich_text(
            &mut self.system,
            spans,
            &attrs,
            Shaping::Advanced,
            Some(align),
        );
        buffer.shape_until_scroll(&mut self.system, false);
        let (mut widest, mut bottom) = (0f32, 0f32);
        let mut missing_glyphs = Vec::new();
        for run in buffer.layout_runs() {
            widest = widest.max(run.line_w);
            bottom = bottom.max(run.line_top + run.line_height);
            for glyph in run.glyphs.iter().filter(|g| g.glyph_id == 0) {
                // Control and formatting characters (a joiner, a direction mark) draw nothing.
                missing_glyphs.extend(run.text[glyph.start..glyph.end].chars().filter(|c| {
                    !c.is_whitespace() && !c.is_control() && !matches!(*c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0xFE00..=0xFE0F)
                }));
            }
        }
        missing_glyphs.sort_unstable();
        missing_glyphs.dedup();
        TextLayout {
            buffer,
            width: widest,
            height: bottom,
            missing_glyphs,
        }
    }

    /// Draws `layout` into `canvas` with its top left at (`x`, `y`), in `rgba`; emoji keep
    /// their own colours unless `silhouette` (an outline is the shape only).
    pub fn draw(
        &mut self,
        layout: &TextLayout,
        canvas: &mut Pixmap,
        (x, y): (i32, i32),
        rgba: [u8; 4],
        silhouette: bool,
    ) {
        let (width, height) = (canvas.width() as i32, canvas.height() as i32);
        let pixels = canvas.pixels_mut();
        for run in layout.buffer.layout_runs() {
            for glyph in run.glyphs {
                let physical = glyph.physical((0.0, 0.0), 1.0);
                let Some(image) = self.glyphs.get_image(&mut self.system, physical.cache_key)
                else {
                    continue;
                };
                let left = x + physical.x + image.placement.left;
                let top = y + run.line_y as i32 + physical.y - image.placement.top;
                let (w, h) = (image.placement.width as i32, image.placement.height as i32);
                for row in 0..h {
                    let py = top + row;
                    if py < 0 || py >= height {
                        continue;
                    }
                    for col in 0..w {
                        let px = left + col;
                        if px < 0 || px >= width {
                            continue;
                        }
                        let i = (row * w + col) as usize;
                        let source = match image.content {
                            SwashContent::Mask => {
                                let a = mul(image.data[i], rgba[3]);
                                [rgba[0], rgba[1], rgba[2], a]
                            }
                            SwashContent::Color if silhouette => [
                                rgba[0],
                                rgba[1],
                                rgba[2],
                                mul(image.data[i * 4 + 3], rgba[3]),
                            ],
                            SwashContent::Color => {
                                let p = &image.data[i * 4..i * 4 + 4];
                                [p[0], p[1], p[2], mul(p[3], rgba[3])]
                            }
                            SwashContent::SubpixelMask => continue,
                        };
                        let at = (py * width + px) as usize;
                        pixels[at] = over(source, pixels[at]);
                    }
                }
            }
        }
    }
}

/// Whether `c` is drawn as an emoji (or joins one: ZWJ, presentation selector, skin tones).
fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF // pictographs, emoticons, transport, flags, skin tones, symbols
        | 0x2600..=0x27BF // miscellaneous symbols and dingbats (☀, ✨)
        | 0x2B00..=0x2BFF // arrows and stars (⭐)
        | 0x200D | 0xFE0F | 0x20E3 // joiner, emoji presentation, keycap
        | 0xE0020..=0xE007F // tag characters of subdivision flags
    )
}

/// `text` in runs of emoji and of other characters, in order.
fn emoji_runs(text: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let kind = is_emoji(first);
        let end = rest
            .char_indices()
            .find(|(_, c)| is_emoji(*c) != kind)
            .map_or(rest.len(), |(i, _)| i);
        let (run, after) = rest.split_at(end);
        rest = after;
        Some((run, kind))
    })
}

thread_local! {
    /// Each thread's fonts: a font system is not shared between threads, and loading one per
    /// customer would cost more than drawing their poster.
    static FONTS: std::cell::RefCell<Option<Fonts>> = const { std::cell::RefCell::new(None) };
}

/// Runs `work` with this thread's fonts, loaded the first time.
pub fn with_fonts<T>(work: impl FnOnce(&mut Fonts) -> T) -> Result<T, FontMissing> {
    FONTS.with(|cell| {
        let mut fonts = cell.borrow_mut();
        if fonts.is_none() {
            *fonts = Some(Fonts::load()?);
        }
        Ok(work(fonts.as_mut().expect("loaded above")))
    })
}

fn mul(a: u8, b: u8) -> u8 {
    ((u16::from(a) * u16::from(b) + 127) / 255) as u8
}

/// A straight-alpha colour drawn over a premultiplied pixel.
fn over([r, g, b, a]: [u8; 4], under: PremultipliedColorU8) -> PremultipliedColorU8 {
    let keep = 255 - a;
    let alpha = a.saturating_add(mul(under.alpha(), keep));
    // Rounding may put a channel a step above the alpha, which premultiplied colour cannot hold.
    let channel = |s: u8, d: u8| mul(s, a).saturating_add(mul(d, keep)).min(alpha);
    PremultipliedColorU8::from_rgba(
        channel(r, under.red()),
        channel(g, under.green()),
        channel(b, under.blue()),
        alpha,
    )
    .unwrap_or(under)
}
