//! The microsite format of the campaign pipeline: each customer's pages under their slug, their
//! calls to action as forwarding pages, and, once per render, what every customer's site shares
//! (assets under hashed names, `robots.txt`, the 404 page). The site folder is `site/` of the
//! run's folder: what gets uploaded. The manifest stays beside it.

use super::links::{forwarding_page, route_calls_to_action};
use super::SiteTemplate;
use crate::campaigns::manifest::SiteSection;
use crate::render::format::{FormatKind, Part, Recipient, RenderError, Rendering};
use crate::render::missing::SlotCounter;
use crate::render::{MissingField, UnsafeLink};
use crate::templates::Notes;

/// The folder of a run that is the site to upload.
pub const SITE_FOLDER: &str = "site";

/// Asks every crawler to stay away: personal pages are for their customer only.
const ROBOTS: &str = "User-agent: *\nDisallow: /\n";

pub struct MicrositeRendering {
    pub site: SiteTemplate,
}

impl MicrositeRendering {
    /// The microsite format of a campaign: the site template `name` compiled from its bundle.
    pub fn compile(
        name: &str,
        bundle: &str,
    ) -> Result<MicrositeRendering, crate::templates::store::TemplateStoreError> {
        Ok(MicrositeRendering {
            site: crate::templates::store::compile_site_bundle(name, bundle)?,
        })
    }
}

/// The 404 page: in the site's language first, then the other (one page serves every site of a
/// campaign, whatever their languages).
fn not_found_page(locale: &str) -> String {
    let english = (
        "en",
        "Page not found",
        "This page does not exist or is no longer available. Please use the link in your email.",
    );
    let chinese = (
        "zh",
        "页面不存在",
        "这个页面不存在，或已不再提供。请使用邮件中的链接。",
    );
    let (first, second) = if locale.starts_with("zh") {
        (chinese, english)
    } else {
        (english, chinese)
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{} · {}</title>\n</head>\n\
         <body>\n<main>\n<h1>{}</h1>\n<p>{}</p>\n<div lang=\"{}\">\n<h2>{}</h2>\n<p>{}</p>\n</div>\n</main>\n</body>\n</html>\n",
        first.0, first.1, second.1, first.1, first.2, second.0, second.1, second.2
    )
}

impl MicrositeRendering {
    fn slot_total(&self) -> (usize, usize) {
        self.site.pages.iter().fold((0, 0), |(s, u), p| {
            (s + p.slots.len(), u + p.url_slots.len())
        })
    }
}

impl Rendering for MicrositeRendering {
    fn format(&self) -> FormatKind {
        FormatKind::Microsite
    }

    fn counter(&self) -> SlotCounter {
        let (slots, url_slots) = self.slot_total();
        SlotCounter::sized(slots, url_slots)
    }

    fn render(
        &self,
        recipient: &Recipient,
        parts: &mut Vec<Part>,
        notes: &mut Notes,
    ) -> Result<(), RenderError> {
        let locale = self.site.locale_for(recipient.data);
        let mut data = recipient.data.clone();
        // The forwarding page is in the site's language, whatever the customer's.
        let lang = self
            .site
            .default_locale
            .split(['-', '_'])
            .next()
            .unwrap_or("en");
        let folder = format!("{SITE_FOLDER}/{}", recipient.slug);
        let mut forwarded: Vec<String> = Vec::new();
        let (mut slot_base, mut url_base) = (0u32, 0u32);
        let mut page_notes = Notes::default();
        for page in &self.site.pages {
            page_notes.clear();
            let html = page
                .render(&mut data, locale, &mut page_notes)
                .map_err(|e| e.to_string())?;
            // The counter numbers every page's tags one after the other.
            notes
                .missing
                .extend(page_notes.missing.iter().map(|i| i + slot_base));
            notes
                .unsafe_urls
                .extend(page_notes.unsafe_urls.iter().map(|i| i + url_base));
            slot_base += page.slots.len() as u32;
            url_base += page.url_slots.len() as u32;
            let (html, targets) = route_calls_to_action(&html);
            parts.push(Part {
                name: format!("{folder}/{}", page.file),
                bytes: html.into_bytes(),
            });
            for (name, target) in targets {
                if !forwarded.contains(&name) {
                    parts.push(Part {
                        name: format!("{folder}/go/{name}.html"),
                        bytes: forwarding_page(&target, lang).into_bytes(),
                    });
                    forwarded.push(name);
                }
            }
        }
        Ok(())
    }

    fn shared(&self) -> Vec<Part> {
        let mut parts: Vec<Part> = self
            .site
            .assets
            .files
            .iter()
            .map(|(name, bytes)| Part {
                name: format!("{SITE_FOLDER}/assets/{name}"),
                bytes: bytes.clone(),
            })
            .collect();
        parts.push(Part {
            name: format!("{SITE_FOLDER}/robots.txt"),
            bytes: ROBOTS.into(),
        });
        parts.push(Part {
            name: format!("{SITE_FOLDER}/404.html"),
            bytes: not_found_page(&self.site.default_locale).into_bytes(),
        });
        parts
    }

    fn manifest_section(&self) -> Option<SiteSection> {
        let site = &self.site;
        Some(SiteSection {
            default_locale: site.default_locale.clone(),
            pages: site.pages.iter().map(|p| p.file.clone()).collect(),
            calls_to_action: site.calls_to_action.clone(),
            forms: site.forms.clone(),
            player: None,
        })
    }

    fn report(&self, counter: &SlotCounter) -> (Vec<MissingField>, Vec<UnsafeLink>) {
        let slots = self.site.pages.iter().flat_map(|p| &p.slots);
        let url_slots = self.site.pages.iter().flat_map(|p| &p.url_slots);
        (
            counter.missing_in(slots.map(|(file, slot)| (file.as_str(), slot))),
            counter.unsafe_in(url_slots.map(|(file, slot)| (file.as_str(), slot))),
        )
    }
}
