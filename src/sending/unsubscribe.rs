//! Unsubscribe tokens: each customer's opaque token, a keyed hash of the customer under a secret
//! of the workspace (so it names no one, cannot be guessed, and a token of another workspace is
//! found in none but its own). Written with each render that links it; `tessera serve` answers
//! the one-click POST (RFC 8058) and the token's page by looking it up.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sqlx::{SqliteConnection, SqlitePool};

/// The workspace's key for tokens.
pub struct TokenKey([u8; 32]);

impl TokenKey {
    pub async fn load(pool: &SqlitePool) -> Result<TokenKey, sqlx::Error> {
        Ok(TokenKey(
            crate::store::secret(pool, "unsubscribe_key").await?,
        ))
    }

    /// 128 bits in URL-safe base64: 22 characters of letters, digits, `-` and `_`.
    pub fn token(&self, customer_id: i64) -> String {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(b"tessera unsubscribe\0");
        hasher.update(&customer_id.to_le_bytes());
        URL_SAFE_NO_PAD.encode(&hasher.finalize().as_bytes()[..16])
    }
}

/// Whether `text` has the shape of a token (the server refuses anything else before looking).
pub fn is_token(text: &str) -> bool {
    text.len() == 22
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Remembers the tokens of `customers` (ids with their tokens) for the server to find.
pub async fn remember_tokens(
    conn: &mut SqliteConnection,
    customers: &[(i64, String)],
) -> Result<(), sqlx::Error> {
    for chunk in customers.chunks(400) {
        let mut sql = String::from("INSERT OR IGNORE INTO unsubscribe_tokens (token, customer_id) VALUES ");
        sql.push_str(&vec!["(?, ?)"; chunk.len()].join(", "));
        // Placeholders only: the values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, token) in chunk {
            query = query.bind(token).bind(id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The customer whose token `token` is, if it is one of this workspace's.
pub async fn customer_of(pool: &SqlitePool, token: &str) -> Result<Option<i64>, sqlx::Error> {
    if !is_token(token) {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT customer_id FROM unsubscribe_tokens WHERE token = ?")
        .bind(token)
        .fetch_optional(pool)
        .await
}
