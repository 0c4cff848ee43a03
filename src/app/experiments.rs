//! Experiments: the sample-size planner, a campaign's per-recipient results from an email
//! service, and its report with the verdict on its hypothesis.

use std::path::Path;

use super::error::Result;
use super::{ImportSettings, ImportSummary, Session};
use crate::campaigns::store::load_campaign;
use crate::experiments::{campaign_report, ReportRequest};

pub use crate::experiments::{
    ArmReport, Criterion, DayPoint, Hypothesis, HypothesisSource, Metric, PlanInput, Report,
    ResultColumn, SampleSize, Verdict,
};

/// What the planner answers: the customers needed for the lift asked, and the smallest lift
/// the audience at hand can detect.
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

/// The planner beside a hypothesis: the baseline from the workspace's history of its event,
/// the customers each arm needs, and the smallest lift the audience can detect.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct HypothesisPlan {
    /// Share of customers with the event within a window as long as the hypothesis's, up to
    /// now; none for a results-file metric (the workspace has no history of it).
    pub baseline: Option<f64>,
    pub needed_per_arm: Option<u64>,
    pub detectable_lift: Option<f64>,
    /// Whether the arms as split have fewer customers than the lift needs.
    pub underpowered: bool,
}

impl Session {
    /// What the campaign editor shows beside the hypothesis: with `arms` arms (the control
    /// included) of at least `per_arm` customers each.
    pub async fn hypothesis_plan(
        &self,
        hypothesis: &Hypothesis,
        arms: u32,
        per_arm: u64,
    ) -> Result<HypothesisPlan> {
        let baseline = match &hypothesis.metric {
            Metric::Event(event) => Some(self.baseline_rate(event, hypothesis.window_days).await?),
            Metric::Result(_) => None,
        };
        let Some(baseline) = baseline
            .filter(|b| *b > 0.0 && *b < 1.0 && hypothesis.measure == Criterion::Conversion)
        else {
            return Ok(HypothesisPlan {
                baseline,
                needed_per_arm: None,
                detectable_lift: None,
                underpowered: false,
            });
        };
        let input = PlanInput {
            baseline,
            mde: 0.0,
            alpha: 0.05,
            power: 0.8,
            arms: arms.max(2),
        };
        let needed_per_arm = match hypothesis.mde.filter(|m| baseline + m < 1.0) {
            Some(mde) => {
                Some(crate::experiments::sample_size(&PlanInput { mde, ..input })?.per_arm)
            }
            None => None,
        };
        Ok(HypothesisPlan {
            baseline: Some(baseline),
            needed_per_arm,
            detectable_lift: crate::experiments::detectable_lift(&input, per_arm)?,
            underpowered: needed_per_arm.is_some_and(|n| n > per_arm),
        })
    }

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
            &self.workspace,
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

impl Session {
    /// Saves a campaign report the app composed (its words in the user's language, its charts
    /// as drawn) as an HTML file at `path`: written beside and renamed into place, never over a
    /// workspace, and only as `.html`.
    pub async fn report_export(&self, path: &Path, html: &str) -> Result<()> {
        let is_html = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        if !is_html {
            return Err(super::Error::new(
                crate::error::ErrorKind::InvalidInput,
                format!("a report is saved as an .html file, not {}", path.display()),
            ));
        }
        crate::output::write_file(
            path,
            html.as_bytes(),
            crate::output::Overwrite::Replace,
            &self.workspace.files(),
        )?;
        Ok(())
    }
}
