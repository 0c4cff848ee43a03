//! Microsites: small personalized websites, one per customer, in the merge syntax emails use.
//! This part reads and compiles a site template (`template`) and renders its pages for one
//! customer (the preview). Rendering every customer's site under a personal URL, and the server
//! that turns visits and forms into events, are to follow (issue 12).

pub mod forms;
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
    let locale = data
        .get("locale")
        .and_then(Value::as_str)
        .unwrap_or(&site.default_locale);
    let mut notes = Notes::default();
    let html = page.render(data, locale, &mut notes)?;
    Ok((html, page.missing_fields(&notes)))
}
