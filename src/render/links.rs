//! The personal links of the merge data: each customer's unsubscribe links, made of an opaque
//! token (no address, id or other personal data in any link Tessera writes), checked once for
//! the mail header they also go into.

use serde_json::Value;

use super::context::CustomerContext;
use super::eml::{check_unsubscribe_link, HeaderError};

/// The links Tessera sets in each customer's merge data for a campaign (checked, and the same
/// in the mail headers and the files): merge values cannot replace them.
pub const SET_BY_TESSERA: [&str; 6] = [
    "unsubscribe_url",
    "unsubscribe_mailto",
    "microsite_url",
    "video_url",
    "video_poster_url",
    "video_thumbnail_url",
];

/// The mail unsubscribe link used when the user sets none: a message to the sender's own
/// address naming the token.
pub const DEFAULT_UNSUBSCRIBE: &str = "mailto:{from}?subject=unsubscribe-{token}";

/// What the default was before links carried tokens (it named the customer's id): read as
/// today's default.
const EARLIER_DEFAULT: &str = "mailto:unsubscribe@tessera.local?subject=unsubscribe-{id}";

/// Where one-click unsubscribes are answered, under the served base URL (`tessera serve`).
pub const UNSUBSCRIBE_PATH: &str = "unsubscribe";

/// The mail unsubscribe link with `{token}` (and `{from}`, the sender's address) filled in per
/// customer, checked once: a `mailto:` (or `https://`) link of printable ASCII that names no
/// personal data.
#[derive(Debug, Clone)]
pub struct UnsubscribePattern(String);

impl UnsubscribePattern {
    pub fn parse(pattern: &str) -> Result<UnsubscribePattern, HeaderError> {
        let pattern = if pattern == EARLIER_DEFAULT {
            DEFAULT_UNSUBSCRIBE
        } else {
            pattern
        };
        for personal in ["{email}", "{id}"] {
            if pattern.contains(personal) {
                return Err(HeaderError::PersonalLink(personal.to_string()));
            }
        }
        check_unsubscribe_link(&pattern.replace("{from}", "sender@example.com"))?;
        Ok(UnsubscribePattern(pattern.to_string()))
    }

    /// The link for the customer whose token is `token` (letters, digits, `-` and `_`), from
    /// `from` (a checked address), so the link stays as safe as the pattern.
    pub fn link(&self, token: &str, from: &str) -> String {
        self.0.replace("{token}", token).replace("{from}", from)
    }
}

impl Default for UnsubscribePattern {
    fn default() -> UnsubscribePattern {
        UnsubscribePattern(DEFAULT_UNSUBSCRIBE.to_string())
    }
}

/// How a campaign's unsubscribe links are made.
pub struct UnsubscribeLinks<'a> {
    /// Where the campaign is served (`microsite_settings.base_url`): the one-click page.
    pub base_url: &'a str,
    pub mailto: UnsubscribePattern,
    /// The sender's address.
    pub from: &'a str,
}

/// A customer's one-click unsubscribe page.
pub fn one_click_url(base_url: &str, token: &str) -> String {
    format!(
        "{}/{UNSUBSCRIBE_PATH}/{token}",
        base_url.trim().trim_end_matches('/')
    )
}

/// Sets each customer's `unsubscribe_url` (the one-click page) and `unsubscribe_mailto` from
/// their token (`tokens[i]` is `customers[i]`'s).
pub fn add_unsubscribe_links(
    customers: &mut [CustomerContext],
    tokens: &[String],
    links: &UnsubscribeLinks,
) {
    for (c, token) in customers.iter_mut().zip(tokens) {
        if let Value::Object(map) = &mut c.data {
            map.insert(
                "unsubscribe_url".into(),
                Value::String(one_click_url(links.base_url, token)),
            );
            map.insert(
                "unsubscribe_mailto".into(),
                Value::String(links.mailto.link(token, links.from)),
            );
        }
    }
}

/// The links of a preview, which unsubscribes no one.
pub fn add_preview_unsubscribe_links(customers: &mut [CustomerContext]) {
    let tokens = vec!["preview".to_string(); customers.len()];
    let links = UnsubscribeLinks {
        base_url: "http://127.0.0.1:8080",
        mailto: UnsubscribePattern::default(),
        from: "hello@tessera.local",
    };
    add_unsubscribe_links(customers, &tokens, &links);
}
