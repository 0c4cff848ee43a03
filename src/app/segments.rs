//! Segments: exact counts with their funnel, members, saved segments, exports.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::error::{Error, Result};
use super::Session;
use crate::customers::customer_rows;
use crate::error::ErrorKind;
use crate::output::{write_file, Overwrite};
use crate::render::export::members_csv;
use crate::render::{load_contexts, CustomerContext, Selection};
use crate::segments::describe::describe;
use crate::segments::store::{list_segments, load_catalog, load_segment, save_segment};

pub use crate::render::CustomerContext as Customer;
pub use crate::segments::{Clock, Condition, Group, Rule, SegmentCount};

/// A saved segment.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct SavedSegment {
    pub name: String,
    pub updated_at: String,
}

/// Now, or the moment `text` names (`YYYY-MM-DD`, taken at noon UTC, or RFC 3339).
pub fn clock_at(text: Option<&str>) -> Result<Clock> {
    let now = match text {
        None => Utc::now(),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                crate::values::parse_date(text)
                    .and_then(|d| d.and_hms_opt(12, 0, 0))
                    .map(|t| t.and_utc())
            })
            .ok_or_else(|| {
                Error::new(ErrorKind::InvalidInput, format!("'{text}' is not a date"))
            })?,
    };
    Ok(Clock { now })
}

/// The rule document in the file at `path`.
pub fn rule_file(path: &Path) -> Result<Rule> {
    Ok(Rule::parse(&crate::store::read_user_text(path)?)?)
}

/// What a rule says, a condition a line.
pub fn describe_rule(rule: &Rule) -> Vec<String> {
    rule.root.conditions.iter().map(describe).collect()
}

impl Session {
    /// The exact count of `rule` and its funnel, from the index: fast enough for every edit.
    pub async fn segment_count(&self, rule: &Rule, clock: Clock) -> Result<SegmentCount> {
        let catalog = load_catalog(&self.workspace.pool, &[rule]).await?;
        Ok(self.index().await?.count(rule, &catalog, clock)?)
    }

    /// The ids of the customers `rule` selects, ascending.
    pub async fn segment_ids(&self, rule: &Rule, clock: Clock) -> Result<Vec<i64>> {
        let catalog = load_catalog(&self.workspace.pool, &[rule]).await?;
        Ok(self.index().await?.members(rule, &catalog, clock)?)
    }

    /// One page of the customers `rule` selects, in id order.
    pub async fn segment_members(
        &self,
        rule: &Rule,
        offset: u32,
        limit: u32,
    ) -> Result<crate::customers::CustomerPage> {
        let ids = self.segment_ids(rule, clock_at(None)?).await?;
        Ok(customer_rows(&self.workspace.pool, &ids, offset, limit).await?)
    }

    /// The merge data of the customers `rule` selects (the first `limit` of them, if given).
    pub async fn segment_customers(
        &self,
        rule: &Rule,
        limit: Option<usize>,
    ) -> Result<Vec<CustomerContext>> {
        let now = Utc::now();
        let mut ids = self.segment_ids(rule, Clock { now }).await?;
        if let Some(limit) = limit {
            ids.truncate(limit);
        }
        Ok(load_contexts(&self.workspace.pool, &Selection::Customers(ids), now).await?)
    }

    pub async fn segments(&self) -> Result<Vec<SavedSegment>> {
        Ok(list_segments(&self.workspace.pool)
            .await?
            .into_iter()
            .map(|(name, updated_at)| SavedSegment { name, updated_at })
            .collect())
    }

    pub async fn segment(&self, name: &str) -> Result<Rule> {
        Ok(load_segment(&self.workspace.pool, name).await?)
    }

    /// A rule from a `.json` file the user names, else the saved segment of that name.
    pub async fn rule_from(&self, reference: &str) -> Result<Rule> {
        let path = Path::new(reference);
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            return rule_file(path);
        }
        self.segment(reference).await
    }

    /// Saves (or replaces) a segment; a rule that refers to itself through others is refused.
    pub async fn segment_save(&self, name: &str, rule: &Rule) -> Result<()> {
        Ok(save_segment(&self.workspace.pool, name, rule, clock_at(None)?).await?)
    }

    /// Writes the customers `rule` selects to `path` as CSV with `columns` (any merge fields);
    /// never over a workspace, over another file only when `overwrite` says so. How many.
    pub async fn segment_export(
        &self,
        rule: &Rule,
        columns: &[String],
        path: &Path,
        overwrite: Overwrite,
    ) -> Result<u32> {
        if columns.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "choose at least one column to export",
            ));
        }
        let customers = self.segment_customers(rule, None).await?;
        write_file(
            path,
            members_csv(&customers, columns).as_bytes(),
            overwrite,
            &self.workspace.files(),
        )?;
        Ok(customers.len() as u32)
    }
}
