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
    /// The address is on the suppression list (bounced, complained, suppressed by hand): a
    /// hard guard too. Set by [`Reach::suppressed`] from the list.
    pub email_suppressed: bool,
}

impl Reach {
    /// The one rule, whichever store the facts come from (the workspace's SQL, the segment
    /// index's columns, a customer's loaded profile): an email address that is not blank, and
    /// the email consent as recorded (`Some(false)`: withdrawn).
    pub fn new(email: Option<&str>, email_consent: Option<bool>) -> Reach {
        Reach {
            email: email.is_some_and(|e| !e.trim().is_empty()),
            email_opted_out: email_consent == Some(false),
            email_suppressed: false,
        }
    }

    /// This reach with the suppression list's answer for the customer.
    pub fn suppressed(self, suppressed: bool) -> Reach {
        Reach {
            email_suppressed: suppressed,
            ..self
        }
    }

    pub fn of(customer: &crate::render::CustomerContext) -> Reach {
        Reach::new(
            customer.email.as_deref(),
            customer.email_opted_out.then_some(false),
        )
    }
}

/// The reach of each of `ids` (ascending), in their order; customers that no longer exist
/// have none.
pub async fn load_reach(pool: &SqlitePool, ids: &[i64]) -> Result<Vec<Reach>, StoreError> {
    let mut conn = pool.acquire().await?;
    crate::store::with_sqlite::<_, StoreError>(&mut conn, |db| {
        let mut found: FxHashMap<i64, Reach> = FxHashMap::default();
        let mut rows = db.prepare(
            "SELECT c.id, c.email, \
             (SELECT x.granted FROM customer_consent x WHERE x.customer_id = c.id AND x.channel = 'email') \
             FROM customers c",
        )?;
        let wanted: rustc_hash::FxHashSet<i64> = ids.iter().copied().collect();
        let mut cursor = rows.query([])?;
        while let Some(row) = cursor.next()? {
            let id: i64 = row.get(0)?;
            if wanted.contains(&id) {
                let email: Option<String> = row.get(1)?;
                let consent: Option<bool> = row.get(2)?;
                found.insert(id, Reach::new(email.as_deref(), consent));
            }
        }
        Ok(ids.iter().map(|id| found.get(id).copied().unwrap_or_default()).collect())
    })
    .await
}
