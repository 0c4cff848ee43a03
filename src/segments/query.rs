//! Running rules: exact counts, the per-condition funnel, and the members.

use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::compile::{Catalog, Clock, Compiler};
use super::describe::describe;
use super::rule::{condition_path, Group, Rule, RuleError};

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("no saved segment named '{0}'")]
    NotFound(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FunnelStep {
    /// The top-level condition's position ("1", "2", …).
    pub condition: String,
    pub label: String,
    /// Customers matching this and every condition before it (`all`), or any of them (`any`).
    pub remaining: i64,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SegmentCount {
    pub count: i64,
    pub total: i64,
    pub funnel: Vec<FunnelStep>,
}

fn where_clause(
    head: &'static str,
    group: &Group,
    catalog: &Catalog,
    clock: Clock,
) -> Result<QueryBuilder<Sqlite>, RuleError> {
    let mut q = QueryBuilder::new(head);
    Compiler::new(catalog, clock).group(&mut q, group, "")?;
    Ok(q)
}

/// The exact count, and how many remain after each top-level condition.
pub async fn count(
    pool: &SqlitePool,
    rule: &Rule,
    catalog: &Catalog,
    clock: Clock,
) -> Result<SegmentCount, SegmentError> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(pool)
        .await?;
    let mut funnel = Vec::new();
    let root = &rule.root;
    // Each step is the group cut after that condition; a negated root only has its final count.
    if !root.not && root.conditions.len() > 1 {
        for i in 0..root.conditions.len() {
            let prefix = Group {
                matching: root.matching,
                not: false,
                conditions: root.conditions[..=i].to_vec(),
            };
            let mut q = where_clause(
                "SELECT COUNT(*) FROM customers c WHERE ",
                &prefix,
                catalog,
                clock,
            )?;
            let remaining: i64 = q.build_query_scalar().fetch_one(pool).await?;
            funnel.push(FunnelStep {
                condition: condition_path("", i),
                label: describe(&root.conditions[i]),
                remaining,
            });
        }
    }
    let count = match funnel.last() {
        Some(step) => step.remaining,
        None => {
            where_clause(
                "SELECT COUNT(*) FROM customers c WHERE ",
                root,
                catalog,
                clock,
            )?
            .build_query_scalar()
            .fetch_one(pool)
            .await?
        }
    };
    if funnel.is_empty() {
        if let [only] = root.conditions.as_slice() {
            funnel.push(FunnelStep {
                condition: "1".into(),
                label: describe(only),
                remaining: count,
            });
        }
    }
    Ok(SegmentCount {
        count,
        total,
        funnel,
    })
}

/// Ids of the members, ascending.
pub async fn members(
    pool: &SqlitePool,
    rule: &Rule,
    catalog: &Catalog,
    clock: Clock,
) -> Result<Vec<i64>, SegmentError> {
    let mut q = where_clause(
        "SELECT c.id FROM customers c WHERE ",
        &rule.root,
        catalog,
        clock,
    )?;
    q.push(" ORDER BY c.id");
    Ok(q.build_query_scalar().fetch_all(pool).await?)
}
