//! The personal links of the merge data: each customer's unsubscribe link, from one pattern the
//! user sets, checked once for the mail header it also goes into.

use serde_json::Value;

use super::context::CustomerContext;
use super::eml::{check_unsubscribe_link, HeaderError};

/// The links Tessera sets in each customer's merge data for a campaign (checked, and the same
/// in the mail headers and the files): merge values cannot replace them.
pub const SET_BY_TESSERA: [&str; 5] = [
    "unsubscribe_url",
    "microsite_url",
    "video_url",
    "video_poster_url",
    "video_thumbnail_url",
];

/// The unsubscribe link used when the user sets none.
pub const DEFAULT_UNSUBSCRIBE: &str = "mailto:unsubscribe@tessera.local?subject=unsubscribe-{id}";

/// An unsubscribe link with `{id}` and `{email}` filled in per customer, checked once: an
/// `https://`, `http://` or `mailto:` link of printable ASCII (it goes into a mail header).
#[derive(Debug, Clone)]
pub struct UnsubscribePattern(String);

impl UnsubscribePattern {
    pub fn parse(pattern: &str) -> Result<UnsubscribePattern, HeaderError> {
        check_unsubscribe_link(pattern)?;
        Ok(UnsubscribePattern(pattern.to_string()))
    }

    /// The link for one customer (the id is digits and the address is percent-encoded, so the
    /// link stays as safe as the pattern).
    pub fn link(&self, id: i64, email: Option<&str>) -> String {
        self.0
            .replace("{id}", &id.to_string())
            .replace("{email}", &url_encode(email.unwrap_or("")))
    }
}

impl Default for UnsubscribePattern {
    fn default() -> UnsubscribePattern {
        UnsubscribePattern(DEFAULT_UNSUBSCRIBE.to_string())
    }
}

/// Percent-encodes a value for a URL query.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sets each customer's `unsubscribe_url` from `pattern`.
pub fn add_unsubscribe_links(customers: &mut [CustomerContext], pattern: &UnsubscribePattern) {
    for c in customers {
        let link = pattern.link(c.id, c.email.as_deref());
        if let Value::Object(map) = &mut c.data {
            map.insert("unsubscribe_url".into(), Value::String(link));
        }
    }
}
