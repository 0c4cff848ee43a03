//! Microsites: small personalized websites, one per customer, in the merge syntax emails use.
//! A site template (`template`, from `files`) is compiled once; the campaign pipeline renders it
//! for every customer under their personal URL (`slug`, `render`), with shared `assets`, calls
//! to action (`links`) and forms (`forms`) the server turns into the customer's events.

pub mod assets;
pub mod files;
pub mod forms;
pub mod links;
pub mod preview;
pub mod render;
pub mod slug;
pub mod template;

pub use template::{SiteError, SitePage, SiteTemplate};

use serde_json::Value;

use crate::templates::Notes;

/// A page of `site` for the customer whose merge data is `data`, in their locale (else the
/// site's), and the fields it found empty.
pub fn preview_page(
    site: &SiteTemplate,
    page: &SitePage,
    data: &Value,
) -> Result<(String, Vec<String>), SiteError> {
    let locale = site.locale_for(data);
    let mut notes = Notes::default();
    let html = page.render(&mut data.clone(), locale, &mut notes)?;
    Ok((html, page.missing_fields(&notes)))
}
