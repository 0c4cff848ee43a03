//! Possible duplicates: customers an import kept apart although they share a key (a phone, or
//! an email under two customer numbers), because a stronger key of theirs differs. Only the user
//! knows whether they are one person: each pair is reviewed and merged (one profile, the other's
//! keys, events and gaps folded in, recorded for audit like an import's merge) or kept apart
//! (never proposed again).

use std::collections::HashMap;

use sqlx::{Connection, Row, SqliteConnection, SqlitePool};

use super::import::{write, Plan};
use super::names::display_name;
use super::profile::load_profiles;
use super::ImportError;
use crate::store::{now_text, Workspace};

/// One of the two customers of a possible duplicate, as the user compares them.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DuplicateSide {
    pub id: i64,
    /// In the name's own order (family name first for Chinese names).
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Customer numbers (external ids).
    pub customer_numbers: Vec<String>,
    pub events: i64,
}

/// A pair kept apart, waiting for the user.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PossibleDuplicate {
    pub customer: DuplicateSide,
    pub other: DuplicateSide,
    /// The key they share, `kind:value` (`phone:+8613800138000`).
    pub matched_on: String,
    pub found_at: String,
    /// The file whose import found them.
    pub import_file: Option<String>,
}

/// What the user decides for a pair.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateDecision {
    /// One person: `keep` stays, the other is folded into it.
    Merge,
    /// Two people.
    KeepApart,
}

#[derive(Debug, thiserror::Error)]
pub enum DuplicateError {
    #[error("no customer #{0}")]
    NoCustomer(i64),
    #[error("a customer cannot be merged with themselves (#{0})")]
    Same(i64),
    #[error("customers #{0} and #{1} are not a possible duplicate")]
    NotAPair(i64, i64),
    #[error(transparent)]
    Write(#[from] ImportError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("cannot recompute scores: {0}")]
    Scores(#[from] crate::scores::ScoresError),
}

impl crate::error::Coded for DuplicateError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            DuplicateError::NoCustomer(_) | DuplicateError::NotAPair(..) => ErrorKind::NotFound,
            DuplicateError::Same(_) => ErrorKind::InvalidInput,
            DuplicateError::Write(e) => e.kind(),
            DuplicateError::Sql(e) => e.kind(),
            DuplicateError::Scores(_) => ErrorKind::Database,
        }
    }
}

/// The pairs waiting for a decision, oldest first.
pub async fn possible_duplicates(pool: &SqlitePool) -> Result<Vec<PossibleDuplicate>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let pairs = sqlx::query(
        "SELECT d.customer_id, d.other_id, d.matched_on, d.found_at, i.file_name \
         FROM possible_duplicates d LEFT JOIN imports i ON i.id = d.import_id \
         WHERE d.kept_apart_at IS NULL ORDER BY d.found_at, d.customer_id, d.other_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut sides: HashMap<i64, DuplicateSide> = HashMap::new();
    let mut found = Vec::with_capacity(pairs.len());
    for row in pairs {
        let (customer, other): (i64, i64) = (row.get(0), row.get(1));
        for id in [customer, other] {
            if !sides.contains_key(&id) {
                sides.insert(id, side(&mut conn, id).await?);
            }
        }
        found.push(PossibleDuplicate {
            customer: sides[&customer].clone(),
            other: sides[&other].clone(),
            matched_on: row.get(2),
            found_at: row.get(3),
            import_file: row.get(4),
        });
    }
    Ok(found)
}

/// How many pairs wait for a decision.
pub async fn undecided_duplicates(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM possible_duplicates WHERE kept_apart_at IS NULL")
        .fetch_one(pool)
        .await
}

async fn side(conn: &mut SqliteConnection, id: i64) -> Result<DuplicateSide, sqlx::Error> {
    let row = sqlx::query(
        "SELECT first_name, last_name, email, phone, (SELECT COUNT(*) FROM events WHERE customer_id = ?1) \
         FROM customers WHERE id = ?1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let customer_numbers = sqlx::query_scalar(
        "SELECT value FROM customer_keys WHERE customer_id = ? AND kind = 'external' ORDER BY value",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(DuplicateSide {
        id,
        name: display_name(row.get(0), row.get(1)),
        email: row.get(2),
        phone: row.get(3),
        customer_numbers,
        events: row.get(4),
    })
}

/// Decides the pair `keep` and `other`: merging folds `other` into `keep` (its keys, events and
/// what `keep` lacks; a consent withdrawn on either stays withdrawn), keeping apart records that
/// they are two people. The pair must be one an import found; either way it is not proposed again.
pub async fn decide_duplicate(
    ws: &Workspace,
    keep: i64,
    other: i64,
    decision: DuplicateDecision,
) -> Result<(), DuplicateError> {
    if keep == other {
        return Err(DuplicateError::Same(keep));
    }
    let mut conn = ws.pool.acquire().await?;
    // Immediate: a second window deciding the same pair waits, then finds it decided.
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    for id in [keep, other] {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(DuplicateError::NoCustomer(id));
        }
    }
    let matched_on: Option<String> = sqlx::query_scalar(
        "SELECT matched_on FROM possible_duplicates WHERE customer_id = ? AND other_id = ? AND kept_apart_at IS NULL",
    )
    .bind(keep.min(other))
    .bind(keep.max(other))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(matched_on) = matched_on else {
        return Err(DuplicateError::NotAPair(keep, other));
    };
    match decision {
        DuplicateDecision::KeepApart => {
            sqlx::query("UPDATE possible_duplicates SET kept_apart_at = ? WHERE customer_id = ? AND other_id = ?")
                .bind(now_text())
                .bind(keep.min(other))
                .bind(keep.max(other))
                .execute(&mut *tx)
                .await?;
        }
        DuplicateDecision::Merge => {
            let before = load_profiles(&mut tx, &[keep, other]).await?;
            let mut profile = before[&keep].clone();
            profile.fill_from(&before[&other]);
            // The same write an import's merge makes, recorded as the user's (no import).
            let mut plan = Plan::default();
            plan.upserts = vec![(keep, profile)];
            plan.merges = vec![(keep, other, matched_on)];
            plan.merged_profiles = HashMap::from([(other, before[&other].clone())]);
            write(&mut tx, &plan, &[], None).await?;
            // The merged-away customer's purchases are the survivor's now.
            crate::scores::refresh_scores(&mut tx, chrono::Utc::now().date_naive()).await?;
            crate::store::note_change(&mut tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
