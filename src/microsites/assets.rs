//! A site's shared assets, as a render writes them once for every customer: under content-hashed
//! names (a browser may cache them forever; a changed file gets a new name), all in one folder
//! beside the customers' folders, and raster images also in smaller widths for `srcset`. Pages
//! and style sheets name them as authors wrote them (`assets/hero.jpg`, `url(../img/a.png)`);
//! the references are rewritten when the template is compiled.

use std::collections::BTreeMap;
use std::io::Cursor;

use image::{DynamicImage, ImageFormat};

use super::files::SiteFiles;

/// Widths (px) an image is also made in, when it is wider.
const WIDTHS: [u32; 3] = [480, 960, 1440];
/// Larger than this is not an image for a web page, and decoding it could exhaust memory.
const MAX_SIDE: u32 = 8192;
/// Where pages are (`SLUG/page.html`) relative to the shared assets (`assets/…`).
const FROM_PAGE: &str = "../assets/";

/// One asset as pages reference it.
#[derive(Debug, Clone)]
struct Written {
    /// Its hashed name in the rendered `assets/` folder.
    name: String,
    /// For a raster image: `NAME WIDTHw, …` of its widths (relative to the assets folder).
    srcset: Option<Vec<(String, u32)>>,
}

/// Which sizes of a raster image a build makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sizes {
    /// Also the smaller widths, for `srcset`: what a render writes.
    Responsive,
    /// The image as it is, checked by its header only: a preview, built on every keystroke.
    Original,
}

/// The shared assets of a render, and how the template's references to them are rewritten.
#[derive(Debug, Clone, Default)]
pub struct SiteAssets {
    /// Files to write into the rendered `assets/` folder: (name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    by_path: BTreeMap<String, Written>,
}

fn hashed_name(path: &str, bytes: &[u8], suffix: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let (stem, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    let hash = blake3::hash(bytes).to_hex();
    let dot = if ext.is_empty() { "" } else { "." };
    format!("{stem}{suffix}.{}{dot}{ext}", &hash[..10])
}

fn raster_format(path: &str) -> Option<ImageFormat> {
    match path.rsplit('.').next()?.to_ascii_lowercase().as_str() {
        "png" => Some(ImageFormat::Png),
        "jpg" | "jpeg" => Some(ImageFormat::Jpeg),
        "webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, String> {
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    reader.decode().map_err(|e| e.to_string())
}

/// The refusal of an image that does not decode: (its file, why).
fn undecodable(path: &str, why: String) -> (String, String) {
    (
        format!("assets/{path}"),
        format!("this image does not decode: {why}"),
    )
}

/// A raster image's header: a file that is no such image, or too large, is refused by name.
fn check_header(path: &str, bytes: &[u8], format: ImageFormat) -> Result<(), (String, String)> {
    let refuse = |e: String| undecodable(path, e);
    let (width, height) = image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| refuse(e.to_string()))?;
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(refuse(format!(
            "{width}×{height} px is larger than {MAX_SIDE} px"
        )));
    }
    Ok(())
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let result = match format {
        ImageFormat::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
            DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder)
        }
        ImageFormat::WebP => {
            image.write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut out))
        }
        _ => image.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out)),
    };
    result.map(|()| out).map_err(|e| e.to_string())
}

/// Resolves `reference` (as written in the file at `from`, a path under `assets/`) to an
/// asset's path; `None` for anything outside the assets or with a scheme.
fn resolve(from: &str, reference: &str) -> Option<String> {
    if reference.contains(':') || reference.starts_with('/') || reference.starts_with('#') {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in reference.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

impl SiteAssets {
    /// Hashes every asset, makes the smaller widths of raster images, and rewrites the style
    /// sheets' references to other assets. An image that does not decode is refused by name.
    pub fn build(files: &SiteFiles, sizes: Sizes) -> Result<SiteAssets, (String, String)> {
        let mut assets = SiteAssets::default();
        let (sheets, others): (Vec<_>, Vec<_>) =
            files.assets().partition(|(path, _)| path.ends_with(".css"));
        for (path, bytes) in others {
            let name = hashed_name(path, bytes, "");
            let srcset = match (raster_format(path), sizes) {
                (Some(format), Sizes::Responsive) => {
                    Some(assets.widths(path, bytes, format, &name)?)
                }
                (Some(format), Sizes::Original) => {
                    check_header(path, bytes, format)?;
                    None
                }
                (None, _) => None,
            };
            assets.files.push((name.clone(), bytes.to_vec()));
            assets
                .by_path
                .insert(format!("assets/{path}"), Written { name, srcset });
        }
        // Style sheets last: their text names the others' hashed names, then is hashed itself.
        for (path, bytes) in sheets {
            let text = String::from_utf8_lossy(bytes);
            let rewritten = assets.rewrite_sheet(&format!("assets/{path}"), &text);
            let name = hashed_name(path, rewritten.as_bytes(), "");
            assets.files.push((name.clone(), rewritten.into_bytes()));
            assets
                .by_path
                .insert(format!("assets/{path}"), Written { name, srcset: None });
        }
        assets.files.sort();
        assets.files.dedup_by(|a, b| a.0 == b.0);
        Ok(assets)
    }

    fn widths(
        &mut self,
        path: &str,
        bytes: &[u8],
        format: ImageFormat,
        full_name: &str,
    ) -> Result<Vec<(String, u32)>, (String, String)> {
        let refuse = |e: String| undecodable(path, e);
        let image = decode(bytes, format).map_err(refuse)?;
        let mut set = Vec::new();
        for width in WIDTHS.into_iter().filter(|w| *w < image.width()) {
            let height = (u64::from(image.height()) * u64::from(width) / u64::from(image.width()))
                .max(1) as u32;
            let smaller = image.resize_exact(width, height, image::imageops::FilterType::Lanczos3);
            let encoded = encode(&smaller, format).map_err(refuse)?;
            let name = hashed_name(path, &encoded, &format!("-{width}w"));
            self.files.push((name.clone(), encoded));
            set.push((name, width));
        }
        set.push((full_name.to_string(), image.width()));
        Ok(set)
    }

    /// A style sheet with its `url(…)`s of other assets pointing at their hashed names (all
    /// assets are written side by side).
    fn rewrite_sheet(&self, sheet: &str, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find("url(") {
            out.push_str(&rest[..i + 4]);
            rest = &rest[i + 4..];
            let end = rest.find(')').unwrap_or(rest.len());
            let inner = rest[..end].trim();
            let quote = inner.chars().next().filter(|c| matches!(c, '"' | '\''));
            let reference = quote.map_or(inner, |q| inner.trim_matches(q));
            match resolve(sheet, reference).and_then(|p| self.by_path.get(&p)) {
                Some(written) => out.push_str(&written.name),
                None => out.push_str(&rest[..end]),
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    /// Where the template text at `offset` names an asset it does not have (`assets/…` in an
    /// attribute or `url()`), as (offset, message).
    pub fn check_references(&self, text: &str) -> Result<(), (usize, String)> {
        for (offset, path) in references(text) {
            // A name made by a merge tag (`assets/{{tier}}.png`) is the author's to get right.
            let made = text[offset + path.len()..].starts_with('{');
            if !made && !self.by_path.contains_key(path) {
                return Err((
                    offset,
                    format!("there is no '{path}' in this template's assets folder"),
                ));
            }
        }
        Ok(())
    }

    /// The template text with its asset references pointing at the rendered names (from a
    /// customer's page); an image's `src` also gets a `srcset` of its widths.
    pub fn rewrite_page(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 256);
        let mut copied = 0;
        for (offset, path) in references(text) {
            let Some(written) = self.by_path.get(path) else {
                continue;
            };
            out.push_str(&text[copied..offset]);
            out.push_str(FROM_PAGE);
            out.push_str(&written.name);
            copied = offset + path.len();
            let quote = text[..offset].chars().last();
            let is_src = text[..offset]
                .trim_end_matches(['"', '\''])
                .to_ascii_lowercase()
                .ends_with("src=");
            if let (Some(set), true, Some(q @ ('"' | '\''))) = (&written.srcset, is_src, quote) {
                if text[copied..].starts_with(q) && set.len() > 1 {
                    out.push(q);
                    copied += 1;
                    let list: Vec<String> = set
                        .iter()
                        .map(|(name, w)| format!("{FROM_PAGE}{name} {w}w"))
                        .collect();
                    out.push_str(&format!(" srcset={q}{}{q}", list.join(", ")));
                }
            }
        }
        out.push_str(&text[copied..]);
        out
    }
}

/// The `assets/…` references in a page's text: after a quote, `=` or `(`, up to the quote,
/// bracket, space, `?` or `#` that ends them.
fn references(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("assets/").map(|i| from + i) {
        from = i + 7;
        if !matches!(text[..i].chars().last(), Some('"' | '\'' | '=' | '(')) {
            continue;
        }
        let end = text[i..]
            .find(|c: char| {
                matches!(c, '"' | '\'' | ')' | '?' | '#' | '>' | '{') || c.is_whitespace()
            })
            .map_or(text.len(), |e| i + e);
        found.push((i, &text[i..end]));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_references_resolve_inside_the_assets_only() {
        assert_eq!(
            resolve("assets/css/site.css", "../img/a.png").as_deref(),
            Some("assets/img/a.png")
        );
        assert_eq!(
            resolve("assets/site.css", "a.png").as_deref(),
            Some("assets/a.png")
        );
        assert_eq!(resolve("assets/site.css", "https://x/a.png"), None);
        assert_eq!(resolve("a.css", "../../etc/passwd"), None);
    }
}
