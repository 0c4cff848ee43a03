//! Running rules on SQL: exact counts, the per-condition funnel, and the members.

use serde::Serialize;
use sqlx::{Row, SqlitePool};

use super::compile::{funnel_program, rule_program, Catalog, Clock};
use super::describe::describe;
use super::rule::{condition_path, Match, Rule, RuleError};

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("no saved segment named '{0}'")]
    NotFound(String),
    #[error(transparent)]
    Name(#[from] crate::store::NameError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A campaign a condition names could not be read.
    #[error("cannot read the campaign a condition names: {0}")]
    Campaign(String),
}

impl crate::error::Coded for SegmentError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            SegmentError::NotFound(_) => ErrorKind::NotFound,
            SegmentError::Sql(_) | SegmentError::Sqlite(_) | SegmentError::Campaign(_) => ErrorKind::Database,
            SegmentError::Rule(_) | SegmentError::Name(_) => ErrorKind::InvalidInput,
        }
    }

    fn problem(&self) -> Option<crate::error::FieldProblem> {
        match self {
            SegmentError::Name(e) => e.problem(),
            _ => None,
        }
    }
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

/// The exact count, and how many remain after each top-level condition.
pub async fn count(
    pool: &SqlitePool,
    rule: &Rule,
    catalog: &Catalog,
    clock: Clock,
) -> Result<SegmentCount, SegmentError> {
    rule.validate()?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(pool)
        .await?;
    let root = &rule.root;
    let steps = root.conditions.len();
    // A negated root only has its final count.
    if root.not || steps < 2 {
        let program = rule_program(
            "SELECT COUNT(*) FROM customers c WHERE ",
            rule,
            catalog,
            clock,
        )?;
        let count: i64 = program.run(pool).await?.first().map_or(0, |r| r.get(0));
        let funnel = match root.conditions.as_slice() {
            [only] => vec![FunnelStep {
                condition: "1".into(),
                label: describe(only),
                remaining: count,
            }],
            _ => Vec::new(),
        };
        return Ok(SegmentCount {
            count,
            total,
            funnel,
        });
    }
    // Customers by the position of their first failing (all) or holding (any) condition.
    let mut at = vec![0i64; steps + 1];
    for row in funnel_program(rule, catalog, clock)?.run(pool).await? {
        let step: i64 = row.get(0);
        at[(step.max(0) as usize).min(steps)] += row.get::<i64, _>(1);
    }
    // The customers of that same pass (an import may have landed since `total` was read).
    let total: i64 = at.iter().sum();
    let mut funnel = Vec::with_capacity(steps);
    let mut through = 0i64;
    for (i, c) in root.conditions.iter().enumerate() {
        through += at[i];
        let remaining = match root.matching {
            // Those that fail none of the first i + 1 conditions.
            Match::All => total - through,
            // Those that hold one of them.
            Match::Any => through,
        };
        funnel.push(FunnelStep {
            condition: condition_path("", i),
            label: describe(c),
            remaining,
        });
    }
    Ok(SegmentCount {
        count: funnel.last().map_or(total, |s| s.remaining),
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
    let mut program = rule_program("SELECT c.id FROM customers c WHERE ", rule, catalog, clock)?;
    program.body.push(" ORDER BY c.id");
    Ok(program.run(pool).await?.iter().map(|r| r.get(0)).collect())
}
