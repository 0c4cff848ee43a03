//! Whether each customer can be reached on each channel: an address, and no withdrawn consent.
//! What campaigns decide eligibility on, read without loading whole profiles.

use rustc_hash::FxHashMap;
use sqlx::SqlitePool;

use crate::store::StoreError;

/// What a customer can be reached by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reach {
    pub email: bool,
    /// Explicitly withdrew email consent: a hard guard.
    pub email_opted_out: bool,
}

/// The reach of each of `ids` (ascending), in their order; customers that no longer exist
/// have none.
pub async fn load_reach(pool: &SqlitePool, ids: &[i64]) -> Result<Vec<Reach>, StoreError> {
    let mut conn = pool.acquire().await?;
    crate::store::with_sqlite::<_, StoreError>(&mut conn, |db| {
        let mut found: FxHashMap<i64, Reach> = FxHashMap::default();
        let mut rows = db.prepare(
            "SELECT c.id, COALESCE(c.email, '') <> '', \
             EXISTS (SELECT 1 FROM customer_consent x WHERE x.customer_id = c.id AND x.channel = 'email' AND x.granted = 0) \
             FROM customers c",
        )?;
        let wanted: rustc_hash::FxHashSet<i64> = ids.iter().copied().collect();
        let mut cursor = rows.query([])?;
        while let Some(row) = cursor.next()? {
            let id: i64 = row.get(0)?;
            if wanted.contains(&id) {
                found.insert(
                    id,
                    Reach {
                        email: row.get(1)?,
                        email_opted_out: row.get(2)?,
                    },
                );
            }
        }
        Ok(ids.iter().map(|id| found.get(id).copied().unwrap_or_default()).collect())
    })
    .await
}

impl Reach {
    pub fn of(customer: &crate::render::CustomerContext) -> Reach {
        Reach {
            email: customer.email.is_some(),
            email_opted_out: customer.email_opted_out,
        }
    }
}
