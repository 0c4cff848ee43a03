//! A site page as the editor shows it, in the app's sandboxed frame: rendered for one customer
//! from the template as edited, with its assets put into the page as data URLs (the frame can
//! load nothing else), and its links and forms inert (a click would otherwise load the app
//! itself into the frame). Built on every keystroke, so images are kept at their own size.

use base64::Engine as _;
use serde_json::Value;

use super::assets::Sizes;
use super::files::media_type;
use super::render::MicrositeRendering;
use super::{preview_page, SiteError, SiteTemplate};
use crate::render::{missing::missing_fields_of, CustomerContext, MissingField};
use crate::templates::store::{compile_site_bundle_sized, TemplateStoreError};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct PreviewPage {
    pub file: String,
    pub title: String,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct SitePreview {
    /// The site's pages, in the manifest's order, to choose from.
    pub pages: Vec<PreviewPage>,
    /// The page shown (the first when the one asked for is not in the site).
    pub page: String,
    pub html: String,
    /// The merge fields this page left empty for this customer, by name.
    pub missing: Vec<String>,
}

/// Compiles the site template `name` from its bundle as edited, for previews (every error
/// named by file, line and column).
pub fn compile_preview(name: &str, bundle: &str) -> Result<SiteTemplate, TemplateStoreError> {
    compile_site_bundle_sized(name, bundle, Sizes::Original)
}

/// The page `file` of `site` (else its first) for the customer whose merge data is `data`, in
/// their locale (else the site's).
pub fn preview_site(
    site: &SiteTemplate,
    file: &str,
    data: &Value,
) -> Result<SitePreview, SiteError> {
    let page = site.page(file).unwrap_or(&site.pages[0]);
    let (html, missing) = preview_page(site, page, data)?;
    Ok(SitePreview {
        pages: site
            .pages
            .iter()
            .map(|p| PreviewPage {
                file: p.file.clone(),
                title: p.title.clone(),
            })
            .collect(),
        page: page.file.clone(),
        html: inert_links(&inline_assets(site, &html)),
        missing,
    })
}

/// Which merge fields of every page render empty for how many of `customers`.
pub fn site_missing_fields(
    site: SiteTemplate,
    customers: &[&CustomerContext],
) -> Vec<MissingField> {
    missing_fields_of(&MicrositeRendering { site }, customers)
}

fn data_url(name: &str, bytes: &[u8]) -> String {
    format!(
        "data:{};base64,{}",
        media_type(name),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// `html` with every rendered asset name (`../assets/NAME`) replaced by its data URL, and each
/// style sheet's `<link>` by a `<style>` holding it (the app's policy allows inline styles, not
/// style sheets from data URLs); a sheet's own `url(NAME)`s are replaced in it first.
fn inline_assets(site: &SiteTemplate, html: &str) -> String {
    let files = &site.assets.files;
    let mut out = html.to_string();
    for (name, bytes) in files {
        let reference = format!("../assets/{name}");
        if !out.contains(&reference) {
            continue;
        }
        if !name.ends_with(".css") {
            out = out.replace(&reference, &data_url(name, bytes));
            continue;
        }
        let mut sheet = String::from_utf8_lossy(bytes).into_owned();
        for (other, other_bytes) in files.iter().filter(|(n, _)| !n.ends_with(".css")) {
            if sheet.contains(other.as_str()) {
                sheet = sheet.replace(other.as_str(), &data_url(other, other_bytes));
            }
        }
        while let Some((start, end)) = link_tag(&out, &reference) {
            let style = format!("<style>{}</style>", sheet.replace("</", "<\\/"));
            out.replace_range(start..end, &style);
        }
        out = out.replace(&reference, &data_url(name, sheet.as_bytes()));
    }
    out
}

/// Where the `<link …>` tag naming `reference` is in `html`: (start, end).
fn link_tag(html: &str, reference: &str) -> Option<(usize, usize)> {
    let at = html.find(reference)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')? + 1;
    html[start..]
        .get(..5)
        .filter(|tag| tag.eq_ignore_ascii_case("<link"))
        .map(|_| (start, end))
}

/// Every link opens a new window, which the sandboxed frame does not allow: a click does
/// nothing, instead of loading another page of the app into the frame. (The first of two
/// `target` attributes is the one that counts.)
fn inert_links(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 512);
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let tag = &rest[i + 1..];
        let is_link = tag.starts_with(['a', 'A'])
            && tag[1..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>');
        out.push_str(&rest[..=i]);
        rest = tag;
        if is_link {
            out.push_str(&rest[..1]);
            out.push_str(" target=\"_blank\"");
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}
