//! Personal URLs: each customer of a campaign reaches their site under a slug made by a keyed
//! hash (BLAKE3, keyed with a secret kept in the workspace) of the campaign (its seed) and the
//! customer.
//! 96 bits, so no one guesses another's address; nothing personal in it; the same on every
//! render of the campaign. Only the manifest and the delivery log say whose slug is whose.

use sqlx::SqlitePool;

use crate::render::CustomerContext;
use crate::storyboards::render::PLAYER_FOLDER;
use crate::storyboards::video::{GIF, POSTER};

/// Hex digits of a slug: 96 bits.
const SLUG_DIGITS: usize = 24;

/// The workspace's key for slugs.
pub async fn slug_key(pool: &SqlitePool) -> Result<[u8; 32], sqlx::Error> {
    crate::store::secret(pool, "slug_key").await
}

/// The slug of `customer_id` in the campaign whose seed is `campaign`.
pub fn slug(key: &[u8; 32], campaign: &str, customer_id: i64) -> String {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(b"tessera microsite slug\0");
    hasher.update(campaign.trim().as_bytes());
    hasher.update(b"\0");
    hasher.update(&customer_id.to_le_bytes());
    hasher.finalize().to_hex()[..SLUG_DIGITS].to_string()
}

/// Whether `text` has the shape of a slug (the server refuses anything else before looking).
pub fn is_slug(text: &str) -> bool {
    text.len() == SLUG_DIGITS
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The customer's personal URL under the campaign's base URL.
pub fn personal_url(base_url: &str, slug: &str) -> String {
    format!("{}/{slug}/", base_url.trim_end_matches('/'))
}

/// The customer's video player page, beside their site.
pub fn player_url(site: &str) -> String {
    format!("{site}{PLAYER_FOLDER}/")
}

/// Sets each customer's `microsite_url` (their site in this campaign, when it has one), `slugs`
/// in the same order; with a video player, its page and pictures too (`video_url`, `video_poster_url`,
/// `video_thumbnail_url`: an email shows the thumbnail linking to the player).
pub fn add_personal_urls(
    customers: &mut [CustomerContext],
    slugs: &[String],
    base_url: &str,
    (microsite, player): (bool, bool),
) {
    for (c, slug) in customers.iter_mut().zip(slugs) {
        if let serde_json::Value::Object(map) = &mut c.data {
            let site = personal_url(base_url, slug);
            if player {
                let video = player_url(&site);
                map.insert("video_poster_url".into(), format!("{video}{POSTER}").into());
                map.insert("video_thumbnail_url".into(), format!("{video}{GIF}").into());
                map.insert("video_url".into(), video.into());
            }
            if microsite {
                map.insert("microsite_url".into(), site.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_keyed_stable_and_distinct() {
        let key = [7u8; 32];
        let a = slug(&key, "Spring", 42);
        assert_eq!(a, slug(&key, " Spring ", 42));
        assert!(is_slug(&a));
        assert_ne!(a, slug(&key, "Spring", 43));
        assert_ne!(a, slug(&key, "Autumn", 42));
        assert_ne!(a, slug(&[8u8; 32], "Spring", 42));
        assert_eq!(
            personal_url("https://x.example/s/", &a),
            format!("https://x.example/s/{a}/")
        );
    }
}
