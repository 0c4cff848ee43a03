//! Customer-value scores from purchase history: the model fit (`tessera model fit`).

use chrono::{DateTime, NaiveDate};
use serde::Serialize;
use sqlx::{Row, SqlitePool};

use super::models::bgnbd::BgNbd;
use super::models::gamma_gamma::GammaGamma;
use super::models::History;
use super::query::SegmentError;
use crate::render::context::PURCHASE_TYPES;
use crate::store::now_text;

/// Fewer repeat buyers than this and the models are not fitted (their estimates would be noise).
pub const MIN_REPEAT_BUYERS: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct FitReport {
    pub time_unit: &'static str,
    /// Purchases up to and including this day were used.
    pub until: String,
    pub customers: usize,
    pub repeat_customers: usize,
    pub bgnbd: Option<BgNbd>,
    pub gamma_gamma: Option<GammaGamma>,
    /// Why predictions fall back to RFM alone, if they do.
    pub fallback: Option<String>,
}

/// Each buyer's history up to `until`: same-day purchases count as one, as in the papers.
pub async fn histories(
    pool: &SqlitePool,
    until: Option<NaiveDate>,
) -> Result<(NaiveDate, Vec<(i64, History)>), SegmentError> {
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(occurred_at) FROM events WHERE type IN ('purchase', 'order', '购买', '订单')",
    )
    .fetch_one(pool)
    .await?;
    let until = until
        .or_else(|| {
            last.and_then(|t| DateTime::from_timestamp(t, 0))
                .map(|t| t.date_naive())
        })
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let end = until
        .succ_opt()
        .unwrap_or(until)
        .and_hms_opt(0, 0, 0)
        .map_or(i64::MAX, |t| t.and_utc().timestamp());
    debug_assert!(PURCHASE_TYPES.len() == 4);
    let rows = sqlx::query("SELECT customer_id, occurred_at, value FROM events WHERE type IN ('purchase', 'order', '购买', '订单') AND occurred_at < ? ORDER BY customer_id, occurred_at")
        .bind(end)
        .fetch_all(pool)
        .await?;
    let mut out = Vec::new();
    let mut current: Option<(i64, Vec<(NaiveDate, f64)>)> = None;
    let finish = |customer: i64, days: Vec<(NaiveDate, f64)>, out: &mut Vec<(i64, History)>| {
        let first = days[0].0;
        let weeks = |d: NaiveDate| (d - first).num_days() as f64 / 7.0;
        let repeat = &days[1..];
        let mean_value = if repeat.is_empty() {
            0.0
        } else {
            repeat.iter().map(|d| d.1).sum::<f64>() / repeat.len() as f64
        };
        out.push((
            customer,
            History {
                x: repeat.len() as f64,
                t_x: weeks(days[days.len() - 1].0),
                t: weeks(until),
                mean_value,
            },
        ));
    };
    for r in rows {
        let customer: i64 = r.get(0);
        let day = DateTime::from_timestamp(r.get(1), 0).map_or(until, |t| t.date_naive());
        let value: f64 = r.get::<Option<f64>, _>(2).unwrap_or(0.0);
        match &mut current {
            Some((c, days)) if *c == customer => match days.last_mut() {
                Some(last) if last.0 == day => last.1 += value,
                _ => days.push((day, value)),
            },
            _ => {
                if let Some((c, days)) = current.take() {
                    finish(c, days, &mut out);
                }
                current = Some((customer, vec![(day, value)]));
            }
        }
    }
    if let Some((c, days)) = current.take() {
        finish(c, days, &mut out);
    }
    Ok((until, out))
}

/// Fits BG/NBD and Gamma-Gamma on purchases up to `until` and records the fit.
pub async fn fit_models(
    pool: &SqlitePool,
    until: Option<NaiveDate>,
) -> Result<FitReport, SegmentError> {
    let (until, histories) = histories(pool, until).await?;
    let list: Vec<History> = histories.iter().map(|(_, h)| *h).collect();
    let repeat_customers = list.iter().filter(|h| h.x > 0.0).count();
    let (bgnbd, gamma_gamma, fallback) = if repeat_customers < MIN_REPEAT_BUYERS {
        let who = if repeat_customers == 1 {
            "customer"
        } else {
            "customers"
        };
        (None, None, Some(format!("only {repeat_customers} {who} bought more than once (the models need {MIN_REPEAT_BUYERS}); scores use RFM alone")))
    } else {
        let bgnbd = BgNbd::fit(&list);
        let gamma_gamma = GammaGamma::fit(&list);
        let fallback = match (&bgnbd, &gamma_gamma) {
            (Some(_), Some(_)) => None,
            (None, _) => Some("the purchase model did not converge on this data; scores use RFM alone".to_string()),
            (_, None) => Some("the spend model did not converge on this data (spend may be missing); value predictions are left out".to_string()),
        };
        (bgnbd, gamma_gamma, fallback)
    };
    let report = FitReport {
        time_unit: "weeks",
        until: until.format("%Y-%m-%d").to_string(),
        customers: list.len(),
        repeat_customers,
        bgnbd,
        gamma_gamma,
        fallback,
    };
    sqlx::query("INSERT INTO model_fits (fitted_at, until, report) VALUES (?, ?, ?)")
        .bind(now_text())
        .bind(&report.until)
        .bind(serde_json::to_string(&report).unwrap_or_default())
        .execute(pool)
        .await?;
    Ok(report)
}
