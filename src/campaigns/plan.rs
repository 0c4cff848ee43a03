//! A campaign's plan: its audience selected, each customer's eligibility decided (one answer
//! for the plan, the render and the preview), and the eligible assigned to variants and the
//! holdout — the live split the app shows as weights change.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;

use super::assign::{sample_ratio, Arm, Assigner, SampleRatio};
use super::document::{Audience, Campaign};
use super::error::CampaignError;
use crate::customers::reach::{load_reach, Reach};
use crate::render::format::{eligibility, Exclusion, FormatKind};
use crate::sending::suppression::suppressed_customers;
use crate::segments::store::{load_catalog, load_segment};
use crate::segments::{Clock, Rule, SegmentIndex};

/// Where audiences are selected: the columnar segment index (the app keeps one in memory), or
/// the workspace's SQL.
#[derive(Clone, Copy)]
pub enum Selector<'a> {
    Index(&'a SegmentIndex),
    Sql,
}

/// The ids of the campaign's audience, ascending.
pub async fn audience_members(
    pool: &SqlitePool,
    selector: Selector<'_>,
    audience: &Audience,
    clock: Clock,
) -> Result<Vec<i64>, CampaignError> {
    let rule = match audience {
        Audience::All(_) => Rule::parse(r#"{"version": 1, "conditions": []}"#)?,
        Audience::Segment(name) => load_segment(pool, name).await?,
        Audience::Rule(rule) => rule.clone(),
        // Only ids of customers in the workspace (an id named twice counts once).
        Audience::Customers(ids) => {
            let named = serde_json::to_string(ids).unwrap_or_default();
            return Ok(sqlx::query_scalar(
                "SELECT id FROM customers WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            )
            .bind(named)
            .fetch_all(pool)
            .await?);
        }
    };
    let catalog = load_catalog(pool, &[&rule]).await?;
    Ok(match selector {
        Selector::Index(index) => index.members(&rule, &catalog, clock)?,
        Selector::Sql => crate::segments::members(pool, &rule, &catalog, clock).await?,
    })
}

/// Customers per arm, and whether the split is as planned.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct Split {
    /// Customers the audience selects.
    pub audience: u64,
    /// Ids the audience names that are no customer of the workspace (erased, mistyped): not
    /// in it.
    pub unknown_ids: u64,
    /// Of them, those who can receive at least one of the campaign's formats.
    pub eligible: u64,
    pub excluded: Excluded,
    pub arms: Vec<ArmCount>,
    /// The holdout's share asked for, and how many were drawn into it.
    pub holdout: ArmCount,
    pub sample_ratio: SampleRatio,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Excluded {
    pub no_address: u64,
    pub opted_out: u64,
    /// On the suppression list.
    #[serde(default)]
    pub suppressed: u64,
    pub holdout: u64,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ArmCount {
    pub name: String,
    /// The share of the eligible customers this arm should get.
    pub share: f64,
    pub customers: u64,
    /// Where the count falls 95 times in 100 when the split works as planned.
    #[serde(default)]
    pub expected_low: u64,
    #[serde(default)]
    pub expected_high: u64,
}

impl ArmCount {
    fn of(name: String, share: f64, customers: u64, eligible: u64) -> ArmCount {
        let n = eligible as f64;
        let mean = n * share;
        let spread = 1.96 * (n * share * (1.0 - share)).max(0.0).sqrt();
        ArmCount {
            name,
            share,
            customers,
            expected_low: (mean - spread).floor().max(0.0) as u64,
            expected_high: (mean + spread).ceil().min(n) as u64,
        }
    }
}

/// Where one customer is in the campaign.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Assignment {
    pub customer_id: i64,
    /// The variant's name, or `holdout`; absent for excluded customers.
    pub arm: Option<String>,
    pub excluded: Option<Exclusion>,
}

/// A campaign's audience, assigned: who gets which variant and who is excluded, and why.
pub struct CampaignPlan {
    pub campaign: Campaign,
    /// The audience, ascending.
    pub ids: Vec<i64>,
    /// For each customer: a variant, the holdout, or why they are excluded.
    pub arms: Vec<Result<Arm, Exclusion>>,
    pub split: Split,
}

impl CampaignPlan {
    pub fn assignments(&self) -> Vec<Assignment> {
        self.ids
            .iter()
            .zip(&self.arms)
            .map(|(&customer_id, arm)| Assignment {
                customer_id,
                arm: arm.ok().map(|a| arm_name(&self.campaign, a)),
                excluded: match arm {
                    Ok(Arm::Holdout) => Some(Exclusion::Holdout),
                    Ok(_) => None,
                    Err(e) => Some(*e),
                },
            })
            .collect()
    }
}

fn arm_name(campaign: &Campaign, arm: Arm) -> String {
    match arm {
        Arm::Holdout => "holdout".into(),
        Arm::Variant(i) => campaign.variants[i].name.trim().to_string(),
    }
}

/// The formats that decide whom a campaign reaches: the channels it sends through. A microsite
/// is given to those the campaign emails; a campaign of microsites alone reaches everyone (its
/// addresses go out some other way).
fn formats(campaign: &Campaign) -> Vec<FormatKind> {
    let channels: Vec<FormatKind> = FormatKind::ALL
        .into_iter()
        .filter(|f| f.is_channel() && campaign.uses(*f))
        .collect();
    if channels.is_empty() {
        vec![FormatKind::Microsite]
    } else {
        channels
    }
}

/// Whether the campaign reaches a customer at all, or why not: the one answer the plan, the
/// render and the preview of a customer give. The formats that carry a campaign to its
/// customers: its emails (which link any sites and videos), else its sites.
pub(crate) fn campaign_reaches(campaign: &Campaign, reach: Reach) -> Result<(), Exclusion> {
    let formats = formats(campaign);
    let mut first = Err(Exclusion::NoAddress);
    for (i, f) in formats.iter().enumerate() {
        match eligibility(*f, reach) {
            Ok(()) => return Ok(()),
            Err(e) if i == 0 => first = Err(e),
            Err(_) => {}
        }
    }
    first
}

/// Whether a customer the campaign reaches gets its content in `format`: a channel asks its own
/// consent and address (a customer without email may still get their site), a format reached
/// through a channel's link goes with the campaign.
pub(crate) fn format_reaches(campaign: &Campaign, format: FormatKind, reach: Reach) -> bool {
    if format.is_channel() {
        eligibility(format, reach).is_ok()
    } else {
        campaign_reaches(campaign, reach).is_ok()
    }
}

/// Selects the audience and decides each customer's eligibility and arm (nothing is loaded
/// beyond what eligibility needs: this is the live split the app shows as weights change).
pub async fn plan_campaign(
    pool: &SqlitePool,
    selector: Selector<'_>,
    campaign: &Campaign,
    now: DateTime<Utc>,
) -> Result<CampaignPlan, CampaignError> {
    campaign.check()?;
    let ids = audience_members(pool, selector, &campaign.audience, Clock { now }).await?;
    let reach = match selector {
        Selector::Index(index) => index.reach(&ids),
        Selector::Sql => load_reach(pool, &ids).await?,
    };
    let suppressed = suppressed_customers(pool).await?;
    let reach: Vec<Reach> = ids
        .iter()
        .zip(reach)
        .map(|(id, r)| r.suppressed(suppressed.contains(id)))
        .collect();
    let reachable: Vec<Result<(), Exclusion>> = reach
        .iter()
        .map(|r| campaign_reaches(campaign, *r))
        .collect();
    let eligible_ids: Vec<i64> = ids
        .iter()
        .zip(&reachable)
        .filter(|(_, r)| r.is_ok())
        .map(|(id, _)| *id)
        .collect();
    let mut drawn = Assigner::new(campaign)
        .assign_all(&eligible_ids)
        .into_iter();
    let arms: Vec<Result<Arm, Exclusion>> = reachable
        .iter()
        .map(|r| match r {
            Ok(()) => Ok(drawn.next().unwrap_or(Arm::Holdout)),
            Err(e) => Err(*e),
        })
        .collect();
    let mut split = split_of(campaign, ids.len(), &arms);
    if let Audience::Customers(named) = &campaign.audience {
        let named: std::collections::HashSet<i64> = named.iter().copied().collect();
        split.unknown_ids = (named.len() - ids.len()) as u64;
    }
    Ok(CampaignPlan {
        campaign: campaign.clone(),
        ids,
        arms,
        split,
    })
}

fn split_of(campaign: &Campaign, audience: usize, arms: &[Result<Arm, Exclusion>]) -> Split {
    let mut excluded = Excluded::default();
    let mut per_variant = vec![0u64; campaign.variants.len()];
    for arm in arms {
        match arm {
            Err(Exclusion::NoAddress) => excluded.no_address += 1,
            Err(Exclusion::OptedOut) => excluded.opted_out += 1,
            Err(Exclusion::Suppressed) => excluded.suppressed += 1,
            Err(Exclusion::Holdout) | Ok(Arm::Holdout) => excluded.holdout += 1,
            Ok(Arm::Variant(i)) => per_variant[*i] += 1,
        }
    }
    let total_weight: f64 = campaign.variants.iter().map(|v| v.weight).sum();
    let share = |w: f64| (1.0 - campaign.holdout) * w / total_weight;
    let observed: Vec<u64> = std::iter::once(excluded.holdout)
        .chain(per_variant.iter().copied())
        .collect();
    let shares: Vec<f64> = std::iter::once(campaign.holdout)
        .chain(campaign.variants.iter().map(|v| share(v.weight)))
        .collect();
    let eligible: u64 = observed.iter().sum();
    Split {
        audience: audience as u64,
        unknown_ids: 0,
        eligible,
        arms: campaign
            .variants
            .iter()
            .zip(&per_variant)
            .map(|(v, &n)| ArmCount::of(v.name.trim().to_string(), share(v.weight), n, eligible))
            .collect(),
        holdout: ArmCount::of("holdout".into(), campaign.holdout, excluded.holdout, eligible),
        sample_ratio: sample_ratio(&observed, &shares),
        excluded,
    }
}

