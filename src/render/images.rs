//! Images in previews. The app's window allows no remote images (nothing leaves the machine
//! while the user looks at a customer's email), so an image the workspace holds a local copy of
//! is put into the preview's HTML as a data URL; every other remote image stays as it is and
//! does not load. Rendered files always keep the real URLs, which recipients fetch.

use base64::Engine as _;
use sqlx::{QueryBuilder, Row, SqlitePool};

/// Stores a local copy of the image at `url` for previews.
pub async fn keep_preview_image(
    pool: &SqlitePool,
    url: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT OR REPLACE INTO preview_images (url, media_type, bytes) VALUES (?, ?, ?)")
        .bind(url)
        .bind(media_type)
        .bind(bytes)
        .execute(pool)
        .await?;
    Ok(())
}

/// The `src="…"` values of `html` that are remote URLs, once each.
fn remote_sources(html: &str) -> Vec<&str> {
    let mut found: Vec<&str> = html
        .split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(url, _)| url))
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// The data URL of each of `urls` the workspace keeps a copy of: (url, data URL).
pub async fn local_images(
    pool: &SqlitePool,
    urls: &[&str],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    let mut q =
        QueryBuilder::new("SELECT url, media_type, bytes FROM preview_images WHERE url IN (");
    let mut list = q.separated(", ");
    for url in urls.iter().take(500) {
        list.push_bind(*url);
    }
    q.push(")");
    let rows = q.build().fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (url, media_type): (String, String) = (row.get(0), row.get(1));
            let bytes: Vec<u8> = row.get(2);
            let data = format!(
                "data:{media_type};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            );
            (url, data)
        })
        .collect())
}

/// `html` with each image the workspace keeps a copy of inlined (see the module's notes).
pub async fn with_local_images(pool: &SqlitePool, html: &str) -> Result<String, sqlx::Error> {
    let mut html = html.to_string();
    for (url, data) in local_images(pool, &remote_sources(&html)).await? {
        html = html.replace(&format!("src=\"{url}\""), &format!("src=\"{data}\""));
    }
    Ok(html)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_remote_sources_are_looked_up() {
        let html = r#"<img src="https://shop.example/a.jpg"><img src="data:x"><img src="https://shop.example/a.jpg"><img src="http://b/c.png">"#;
        assert_eq!(
            super::remote_sources(html),
            ["http://b/c.png", "https://shop.example/a.jpg"]
        );
    }
}
