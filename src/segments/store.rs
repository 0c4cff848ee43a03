//! Saved segments, and the catalog rules are compiled against.

use sqlx::{Row, SqlitePool};

use super::compile::{check, Catalog, Clock};
use super::query::SegmentError;
use super::rule::Rule;
use crate::customers::attributes::AttrType;
use crate::store::now_text;

/// The workspace's attributes and saved segments, and the members of every campaign `rules` or
/// the saved segments name (read only for those: a campaign's members are its latest run's
/// assignments and outcomes, a fraction of a second at a million customers).
pub async fn load_catalog(pool: &SqlitePool, rules: &[&Rule]) -> Result<Catalog, SegmentError> {
    let mut catalog = Catalog::default();
    for row in sqlx::query("SELECT name, type FROM attribute_types")
        .fetch_all(pool)
        .await?
    {
        catalog
            .attributes
            .insert(row.get(0), AttrType::parse(row.get::<&str, _>(1)));
    }
    for row in sqlx::query("SELECT name, rule FROM segments")
        .fetch_all(pool)
        .await?
    {
        // A stored rule was valid when saved; one that no longer parses is reported when used.
        if let Ok(rule) = Rule::parse(row.get::<&str, _>(1)) {
            catalog.segments.insert(row.get(0), rule);
        }
    }
    let mut named = Vec::new();
    for rule in rules.iter().copied().chain(catalog.segments.values()) {
        rule.root.campaigns(&mut named);
    }
    named.sort_unstable();
    named.dedup();
    let workspace = pool.connect_options().get_filename().to_path_buf();
    let mut campaigns = std::collections::HashMap::new();
    for name in named {
        // A campaign the workspace lacks stays out: the condition naming it says so.
        let Ok(campaign) = crate::campaigns::store::load_campaign(pool, name).await else {
            continue;
        };
        let path = workspace.clone();
        let members = tokio::task::spawn_blocking(move || crate::experiments::report::campaign_members(&path, &campaign))
            .await
            .map_err(|e| SegmentError::Campaign(e.to_string()))?
            .map_err(|e| SegmentError::Campaign(e.to_string()))?;
        campaigns.insert(name.to_string(), members);
    }
    catalog.campaigns = campaigns;
    Ok(catalog)
}

/// Saves (or replaces) a segment after checking it compiles, references included.
pub async fn save_segment(
    pool: &SqlitePool,
    name: &str,
    rule: &Rule,
    clock: Clock,
) -> Result<(), SegmentError> {
    let name = crate::store::check_name(name, "segment")?;
    let mut catalog = load_catalog(pool, &[rule]).await?;
    // Check as if already saved, so a rule that refers to itself is caught now.
    catalog.segments.insert(name.to_string(), rule.clone());
    check(rule, &catalog, clock)?;
    sqlx::query("INSERT INTO segments (name, rule, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at")
        .bind(name)
        .bind(serde_json::to_string(rule).unwrap_or_default())
        .bind(now_text())
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn load_segment(pool: &SqlitePool, name: &str) -> Result<Rule, SegmentError> {
    let json: String = sqlx::query_scalar("SELECT rule FROM segments WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| SegmentError::NotFound(name.to_string()))?;
    Ok(Rule::parse(&json)?)
}

pub async fn list_segments(pool: &SqlitePool) -> Result<Vec<(String, String)>, SegmentError> {
    Ok(
        sqlx::query("SELECT name, updated_at FROM segments ORDER BY name")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect(),
    )
}

/// The saved segments `customer` belongs to, by name (from the index: a profile shows them
/// without a query per segment). A saved rule that no longer compiles is left out.
pub async fn memberships(
    pool: &SqlitePool,
    index: &super::SegmentIndex,
    customer: i64,
    clock: Clock,
) -> Result<Vec<String>, SegmentError> {
    let catalog = load_catalog(pool, &[]).await?;
    let mut names: Vec<String> = catalog
        .segments
        .iter()
        .filter(|(_, rule)| {
            index
                .members(rule, &catalog, clock)
                .is_ok_and(|ids| ids.binary_search(&customer).is_ok())
        })
        .map(|(name, _)| name.clone())
        .collect();
    names.sort();
    Ok(names)
}
