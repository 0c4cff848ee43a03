//! Experiments: the sample-size planner, a campaign's per-recipient results from an email
//! service, and its report with the verdict on its hypothesis.

use std::path::Path;

use super::error::Result;
use super::{ImportSettings, ImportSummary, Session};
use crate::campaigns::store::load_campaign;
use crate::experiments::{campaign_report, ReportRequest};

pub use crate::experiments::{
    ArmReport, DayPoint, Hypothesis, HypothesisSource, Measure, Metric, PlanInput, Report,
    ResultColumn, SampleSize, Verdict,
};

/// What the planner answers: the customers needed for the lift asked, and the smallest lift
/// the audience at hand can detect.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct Planned {
    #[serde(flatten)]
    pub size: Option<SampleSize>,
    /// With the customers there are, split evenly over the arms.
    pub detectable_lift: Option<f64>,
}

/// How many customers each arm needs to detect `input.mde` (when above 0), and the smallest
/// lift `customers` (when given) can detect.
pub fn plan_experiment(input: &PlanInput, customers: Option<u64>) -> Result<Planned> {
    let size = if input.mde > 0.0 {
        Some(crate::experiments::sample_size(input)?)
    } else {
        None
    };
    let detectable_lift = match customers {
        Some(n) => crate::experiments::detectable_lift(input, n / u64::from(input.arms.max(1)))?,
        None => None,
    };
    Ok(Planned {
        size,
        detectable_lift,
    })
}

impl Session {
    /// The share of the workspace's customers who had `event` in the last `window_days` days:
    /// the planner's baseline from the workspace's own history.
    pub async fn baseline_rate(&self, event: &str, window_days: u32) -> Result<f64> {
        let since = chrono::Utc::now().timestamp() - i64::from(window_days) * 86_400;
        let (with_event, customers): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(DISTINCT customer_id) FROM events WHERE type = ? AND occurred_at >= ?), \
                    (SELECT count(*) FROM customers)",
        )
        .bind(event.trim().to_lowercase())
        .bind(since)
        .fetch_one(&self.workspace.pool)
        .await?;
        Ok(if customers == 0 {
            0.0
        } else {
            with_event as f64 / customers as f64
        })
    }

    /// The report of campaign `name`'s run `run` (its latest finished one by default).
    pub async fn campaign_report(
        &self,
        name: &str,
        run: Option<i64>,
        alpha: f64,
    ) -> Result<Report> {
        let campaign = load_campaign(&self.workspace.pool, name).await?;
        Ok(campaign_report(
            &self.workspace.pool,
            ReportRequest {
                campaign: &campaign,
                run,
                alpha,
                now: chrono::Utc::now(),
            },
        )
        .await?)
    }

    /// Imports an email service's per-recipient results of campaign `name`.
    pub async fn campaign_results_import(
        &self,
        name: &str,
        path: &Path,
        settings: &ImportSettings,
    ) -> Result<ImportSummary> {
        let campaign = load_campaign(&self.workspace.pool, name).await?;
        let options = settings.options(None)?;
        Ok(
            crate::customers::import_results(&self.workspace, campaign.name.trim(), path, &options)
                .await?,
        )
    }
}
