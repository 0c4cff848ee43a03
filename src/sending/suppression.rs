//! The suppression list: addresses that get no email, whatever a segment or a consent says
//! (unsubscribed by hand, hard bounces, complaints, repeated soft bounces). Kept as keyed hashes
//! of the normalized address, never in clear: an erased customer's address stays suppressed
//! without the workspace keeping it. Every render and every send asks it.

use rustc_hash::FxHashSet;
use sqlx::{Row, SqliteConnection, SqlitePool};

use crate::store::now_text;
use crate::values::normalize_email;

/// Soft bounces of one address that suppress it.
pub const SOFT_BOUNCES_SUPPRESS: i64 = 3;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// Added by the user.
    Manual,
    HardBounce,
    Complaint,
    /// Soft bounces repeated [`SOFT_BOUNCES_SUPPRESS`] times.
    SoftBounces,
    /// Unsubscribed (kept for addresses whose customer is gone).
    Unsubscribed,
}

impl SuppressionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionReason::Manual => "manual",
            SuppressionReason::HardBounce => "hard_bounce",
            SuppressionReason::Complaint => "complaint",
            SuppressionReason::SoftBounces => "soft_bounces",
            SuppressionReason::Unsubscribed => "unsubscribed",
        }
    }

    fn parse(text: &str) -> SuppressionReason {
        [
            SuppressionReason::HardBounce,
            SuppressionReason::Complaint,
            SuppressionReason::SoftBounces,
            SuppressionReason::Unsubscribed,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
        .unwrap_or(SuppressionReason::Manual)
    }
}

/// The keyed hash addresses are kept as.
#[derive(Clone)]
pub struct AddressKey([u8; 32]);

pub type AddressHash = [u8; 32];

impl AddressKey {
    pub async fn load(db: impl sqlx::SqliteExecutor<'_>) -> Result<AddressKey, sqlx::Error> {
        Ok(AddressKey(crate::store::secret(db, "address_key").await?))
    }

    /// The hash of an address as normalized (case and spaces do not matter); `None` if it is
    /// not an address.
    pub fn hash(&self, address: &str) -> Option<AddressHash> {
        let address = normalize_email(address)?;
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(b"tessera address\0");
        hasher.update(address.as_bytes());
        Some(*hasher.finalize().as_bytes())
    }
}

/// One suppressed address as the user sees it: the address itself only where a customer of
/// the workspace still has it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suppression {
    /// The first 12 hex digits of the keyed hash (to tell entries apart).
    pub hash: String,
    pub reason: SuppressionReason,
    /// Where it came from: "cli", a bounce file's name, "unsubscribe".
    pub source: String,
    pub created_at: String,
    /// The customers who have the address now, and the address.
    pub customer_ids: Vec<i64>,
    pub email: Option<String>,
}

/// Suppresses `address` (kept if already suppressed: the first reason stays). Returns whether
/// it is new; `None` if `address` is not an address.
pub async fn suppress(
    conn: &mut SqliteConnection,
    key: &AddressKey,
    address: &str,
    reason: SuppressionReason,
    source: &str,
) -> Result<Option<bool>, sqlx::Error> {
    let Some(hash) = key.hash(address) else {
        return Ok(None);
    };
    let done = sqlx::query(
        "INSERT INTO suppressions (address_hash, reason, source, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (address_hash) DO NOTHING",
    )
    .bind(&hash[..])
    .bind(reason.as_str())
    .bind(source)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(Some(done.rows_affected() == 1))
}

/// Counts a soft bounce of `address`; suppresses it at the [`SOFT_BOUNCES_SUPPRESS`]th.
/// Returns whether this one suppressed it.
pub async fn count_soft_bounce(
    conn: &mut SqliteConnection,
    key: &AddressKey,
    address: &str,
    source: &str,
) -> Result<bool, sqlx::Error> {
    let Some(hash) = key.hash(address) else {
        return Ok(false);
    };
    let count: i64 = sqlx::query_scalar(
        "INSERT INTO soft_bounces (address_hash, count, last_at) VALUES (?, 1, ?) \
         ON CONFLICT (address_hash) DO UPDATE SET count = count + 1, last_at = excluded.last_at \
         RETURNING count",
    )
    .bind(&hash[..])
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    if count >= SOFT_BOUNCES_SUPPRESS {
        let added = suppress(conn, key, address, SuppressionReason::SoftBounces, source).await?;
        return Ok(added == Some(true));
    }
    Ok(false)
}

/// Lifts the suppression of `address`; whether it was suppressed.
pub async fn unsuppress(pool: &SqlitePool, address: &str) -> Result<bool, sqlx::Error> {
    let key = AddressKey::load(pool).await?;
    let Some(hash) = key.hash(address) else {
        return Ok(false);
    };
    let mut tx = pool.begin().await?;
    let done = sqlx::query("DELETE FROM suppressions WHERE address_hash = ?")
        .bind(&hash[..])
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM soft_bounces WHERE address_hash = ?")
        .bind(&hash[..])
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Every suppressed hash (empty, and nothing read, when none is).
pub async fn suppressed_hashes(
    db: impl sqlx::SqliteExecutor<'_>,
) -> Result<FxHashSet<AddressHash>, sqlx::Error> {
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT address_hash FROM suppressions")
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|h| h.try_into().ok()).collect())
}

/// The customers whose email address is suppressed.
pub async fn suppressed_customers(pool: &SqlitePool) -> Result<FxHashSet<i64>, sqlx::Error> {
    let hashes = suppressed_hashes(pool).await?;
    if hashes.is_empty() {
        return Ok(FxHashSet::default());
    }
    let key = AddressKey::load(pool).await?;
    let rows = sqlx::query("SELECT id, email FROM customers WHERE email IS NOT NULL")
        .fetch_all(pool)
        .await?;
    Ok(rows
        .iter()
        .filter(|r| {
            key.hash(r.get::<&str, _>(1))
                .is_some_and(|h| hashes.contains(&h))
        })
        .map(|r| r.get::<i64, _>(0))
        .collect())
}

/// The list, newest first, with the customers who have each address now.
pub async fn list_suppressions(pool: &SqlitePool) -> Result<Vec<Suppression>, sqlx::Error> {
    let key = AddressKey::load(pool).await?;
    let mut holders: std::collections::HashMap<AddressHash, (Vec<i64>, String)> =
        Default::default();
    for r in sqlx::query("SELECT id, email FROM customers WHERE email IS NOT NULL")
        .fetch_all(pool)
        .await?
    {
        let email: String = r.get(1);
        if let Some(h) = key.hash(&email) {
            let entry = holders
                .entry(h)
                .or_insert_with(|| (Vec::new(), email.trim().to_lowercase()));
            entry.0.push(r.get(0));
        }
    }
    let rows = sqlx::query(
        "SELECT address_hash, reason, source, created_at FROM suppressions ORDER BY created_at DESC, address_hash",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let hash: Vec<u8> = r.get(0);
            let found = <AddressHash>::try_from(hash.as_slice())
                .ok()
                .and_then(|h| holders.get(&h));
            Suppression {
                hash: hash.iter().take(6).map(|b| format!("{b:02x}")).collect(),
                reason: SuppressionReason::parse(r.get(1)),
                source: r.get(2),
                created_at: r.get(3),
                customer_ids: found.map(|f| f.0.clone()).unwrap_or_default(),
                email: found.map(|f| f.1.clone()),
            }
        })
        .collect())
}
