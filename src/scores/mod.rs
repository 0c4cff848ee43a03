//! Customer-value scores from purchase history: RFM quintiles and groups, and the value models
//! (`models/`: BG/NBD and Gamma-Gamma) fitted with `tessera model fit`. Recomputed after every
//! import; segments test them, profiles explain them.

pub mod models;

use chrono::{DateTime, NaiveDate};
use serde::Serialize;
use sqlx::{SqliteConnection, SqlitePool};

use crate::customers::purchases::purchase_types_sql;
use crate::store::{insert_rows, now_text};
use models::bgnbd::BgNbd;
use models::gamma_gamma::GammaGamma;
use models::History;

#[derive(Debug, thiserror::Error)]
pub enum ScoresError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

crate::coded!(ScoresError {
    ScoresError::Sql(_) => Database,
    ScoresError::Sqlite(_) => Database,
});

/// Fewer repeat buyers than this and the models are not fitted (their estimates would be noise).
pub const MIN_REPEAT_BUYERS: usize = 20;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FitReport {
    pub time_unit: String,
    /// Purchases up to and including this day were used.
    pub until: String,
    pub customers: usize,
    pub repeat_customers: usize,
    pub bgnbd: Option<BgNbd>,
    pub gamma_gamma: Option<GammaGamma>,
    /// Why predictions fall back to RFM alone, if they do.
    pub fallback: Option<String>,
}

/// One buyer: their model history and their raw RFM facts.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub customer_id: i64,
    pub history: History,
    pub last_purchase: NaiveDate,
    /// Days with a purchase.
    pub purchase_days: usize,
    pub total_spent: f64,
}

/// Each buyer's history up to `until` (default: today; purchases after it are left out, so a
/// mistyped future date cannot move the observation's end): same-day purchases count as one,
/// as in the papers.
pub async fn buyers(
    conn: &mut SqliteConnection,
    until: Option<NaiveDate>,
) -> Result<(NaiveDate, Vec<Buyer>), ScoresError> {
    // Millions of purchases after a large import: read in place, not row by row through sqlx.
    let until = until.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let (until, rows) = crate::store::with_sqlite(conn, |db| -> Result<_, ScoresError> {
        let end = until
            .succ_opt()
            .unwrap_or(until)
            .and_hms_opt(0, 0, 0)
            .map_or(i64::MAX, |t| t.and_utc().timestamp());
        let mut purchases = db.prepare(concat!(
            "SELECT customer_id, occurred_at, value FROM events WHERE type IN ",
            purchase_types_sql!(),
            " AND occurred_at < ? ORDER BY customer_id, occurred_at"
        ))?;
        let rows = purchases
            .query_map([end], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<f64>>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((until, rows))
    })
    .await?;
    let mut out = Vec::new();
    let mut current: Option<(i64, Vec<(NaiveDate, f64)>)> = None;
    let finish = |customer_id: i64, days: Vec<(NaiveDate, f64)>, out: &mut Vec<Buyer>| {
        let first = days[0].0;
        let last_purchase = days[days.len() - 1].0;
        let weeks = |d: NaiveDate| (d - first).num_days() as f64 / 7.0;
        let repeat = &days[1..];
        let mean_value = if repeat.is_empty() {
            0.0
        } else {
            repeat.iter().map(|d| d.1).sum::<f64>() / repeat.len() as f64
        };
        out.push(Buyer {
            customer_id,
            history: History {
                x: repeat.len() as f64,
                t_x: weeks(last_purchase),
                t: weeks(until),
                mean_value,
            },
            last_purchase,
            purchase_days: days.len(),
            total_spent: days.iter().map(|d| d.1).sum(),
        });
    };
    for (customer, at, value) in rows {
        let day = DateTime::from_timestamp(at, 0).map_or(until, |t| t.date_naive());
        let value = value.unwrap_or(0.0);
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
) -> Result<FitReport, ScoresError> {
    let mut conn = pool.acquire().await?;
    let (until, buyers) = buyers(&mut conn, until).await?;
    let list: Vec<History> = buyers.iter().map(|b| b.history).collect();
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
        time_unit: "weeks".into(),
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
        .execute(&mut *conn)
        .await?;
    refresh_scores(&mut conn, chrono::Utc::now().date_naive()).await?;
    Ok(report)
}

/// The fitted models of the latest fit, if it produced both.
async fn latest_models(
    conn: &mut SqliteConnection,
) -> Result<Option<(BgNbd, GammaGamma)>, ScoresError> {
    let report: Option<String> =
        sqlx::query_scalar("SELECT report FROM model_fits ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let parsed = report.and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok());
    let models = parsed.and_then(|v| {
        let bgnbd = serde_json::from_value(v.get("bgnbd")?.clone()).ok()?;
        let gamma_gamma = serde_json::from_value(v.get("gamma_gamma")?.clone()).ok()?;
        Some((bgnbd, gamma_gamma))
    });
    Ok(models)
}

/// Quintile scores 1–5 by rank; equal values share a score. `higher_is_better` false for
/// recency (fewer days since the last purchase scores 5).
pub fn quintiles(values: &[f64], higher_is_better: bool) -> Vec<i64> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (values[a], values[b]);
        if higher_is_better {
            x.total_cmp(&y)
        } else {
            y.total_cmp(&x)
        }
    });
    let mut scores = vec![0; n];
    let mut rank_of_value = 0;
    for (rank, &i) in order.iter().enumerate() {
        if rank == 0 || values[i] != values[order[rank - 1]] {
            rank_of_value = rank;
        }
        scores[i] = 1 + (rank_of_value * 5 / n.max(1)) as i64;
    }
    scores
}

/// The named RFM group of a recency and frequency score.
pub fn rfm_group(r: i64, f: i64) -> &'static str {
    match (r, f) {
        (4..=5, 4..=5) => "Champions",
        (4..=5, 1) => "New",
        (4..=5, _) => "Potential loyalists",
        (3, 3..=5) => "Loyal",
        (1, 4..=5) => "Can't lose",
        (1..=2, 3..=5) => "At risk",
        (2 | 3, _) => "Hibernating",
        _ => "Lost",
    }
}

/// The named groups, for rules and the UI.
pub const RFM_GROUPS: &[&str] = &[
    "Champions",
    "Loyal",
    "Potential loyalists",
    "New",
    "At risk",
    "Can't lose",
    "Hibernating",
    "Lost",
];

/// Low / medium / high by tertile among buyers.
fn tertile_bands(values: &[f64]) -> Vec<&'static str> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let cut = |q: f64| {
        sorted
            .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let (low, high) = (cut(1.0 / 3.0), cut(2.0 / 3.0));
    values
        .iter()
        .map(|&v| {
            if v < low {
                "low"
            } else if v < high {
                "medium"
            } else {
                "high"
            }
        })
        .collect()
}

fn attrition_band(attrition: f64) -> &'static str {
    if attrition < 0.3 {
        "low"
    } else if attrition < 0.7 {
        "medium"
    } else {
        "high"
    }
}

/// Horizon of the Potential score: expected spend over the next year.
pub const POTENTIAL_WEEKS: f64 = 52.0;

/// Recomputes every buyer's scores (customers without purchases have none).
pub async fn refresh_scores(
    conn: &mut SqliteConnection,
    today: NaiveDate,
) -> Result<usize, ScoresError> {
    let (_, buyers) = buyers(conn, Some(today)).await?;
    let models = latest_models(conn).await?;
    let recency: Vec<f64> = buyers
        .iter()
        .map(|b| (today - b.last_purchase).num_days().max(0) as f64)
        .collect();
    let frequency: Vec<f64> = buyers.iter().map(|b| b.purchase_days as f64).collect();
    let monetary: Vec<f64> = buyers.iter().map(|b| b.total_spent).collect();
    let (r, f, m) = (
        quintiles(&recency, false),
        quintiles(&frequency, true),
        quintiles(&monetary, true),
    );
    let predictions: Vec<Option<(f64, f64, f64)>> = buyers
        .iter()
        .map(|b| {
            models.map(|(bg, gg)| {
                let purchases = bg.expected_purchases(&b.history, POTENTIAL_WEEKS);
                // With no repeat purchase this is the population's mean spend.
                let spend = gg.expected_value(&b.history);
                (bg.p_alive(&b.history), purchases, spend)
            })
        })
        .collect();
    let potential: Vec<f64> = predictions
        .iter()
        .map(|p| p.map_or(f64::NAN, |(_, n, v)| n * v))
        .collect();
    let value_bands = tertile_bands(&monetary);
    let potential_bands = tertile_bands(&potential);
    crate::store::note_change(&mut *conn).await?;
    sqlx::query("DELETE FROM customer_scores")
        .execute(&mut *conn)
        .await?;
    let rows: Vec<usize> = (0..buyers.len()).collect();
    insert_rows::<_, ScoresError>(
        conn,
        "INSERT INTO customer_scores (customer_id, recency_days, frequency, monetary, r, f, m, rfm_group, p_alive, expected_purchases, expected_value, value, attrition, potential, value_band, attrition_band, potential_band) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &rows,
        |bind, &i| {
            let p = predictions[i];
            bind(rusqlite::params![
                buyers[i].customer_id,
                recency[i] as i64,
                frequency[i] as i64,
                monetary[i],
                r[i],
                f[i],
                m[i],
                rfm_group(r[i], f[i]),
                p.map(|p| p.0),
                p.map(|p| p.1),
                p.map(|p| p.2),
                monetary[i],
                p.map(|p| 1.0 - p.0),
                p.map(|p| p.1 * p.2),
                value_bands[i],
                p.map(|p| attrition_band(1.0 - p.0)),
                p.map(|_| potential_bands[i]),
            ])
        },
    )
    .await?;
    Ok(buyers.len())
}

/// One customer's scores, for the 360° view.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CustomerScores {
    pub recency_days: i64,
    pub frequency: i64,
    pub monetary: f64,
    pub r: i64,
    pub f: i64,
    pub m: i64,
    pub rfm_group: String,
    pub p_alive: Option<f64>,
    pub expected_purchases: Option<f64>,
    pub expected_value: Option<f64>,
    pub value: f64,
    pub attrition: Option<f64>,
    pub potential: Option<f64>,
    pub value_band: String,
    pub attrition_band: Option<String>,
    pub potential_band: Option<String>,
}

pub async fn customer_scores(
    pool: &SqlitePool,
    id: i64,
) -> Result<Option<CustomerScores>, sqlx::Error> {
    sqlx::query_as("SELECT recency_days, frequency, monetary, r, f, m, rfm_group, p_alive, expected_purchases, expected_value, value, attrition, potential, value_band, attrition_band, potential_band FROM customer_scores WHERE customer_id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The most recent fit, if any.
pub async fn latest_fit(pool: &SqlitePool) -> Result<Option<FitReport>, ScoresError> {
    let report: Option<String> =
        sqlx::query_scalar("SELECT report FROM model_fits ORDER BY id DESC LIMIT 1")
            .fetch_optional(pool)
            .await?;
    Ok(report.and_then(|r| serde_json::from_str(&r).ok()))
}

impl CustomerScores {
    /// The scores in words: what they are made of and what they predict.
    pub fn explain(&self) -> Vec<String> {
        let mut lines = vec![
            format!("RFM {}{}{} — {}: last purchase {} days ago (R {}), {} purchase days (F {}), {:.2} spent (M {})", self.r, self.f, self.m, self.rfm_group, self.recency_days, self.r, self.frequency, self.f, self.monetary, self.m),
            format!("Value {:.2} ({})", self.value, self.value_band),
        ];
        match (self.p_alive, self.expected_purchases, self.expected_value) {
            (Some(p), Some(n), Some(v)) => {
                lines.push(format!("Attrition {:.0}% ({}): the purchase model gives a {:.0}% chance this customer is still active", (1.0 - p) * 100.0, self.attrition_band.as_deref().unwrap_or("-"), p * 100.0));
                lines.push(format!("Potential {:.2} ({}): {n:.2} purchases expected in the next {POTENTIAL_WEEKS} weeks at {v:.2} each", self.potential.unwrap_or(0.0), self.potential_band.as_deref().unwrap_or("-")));
            }
            _ => lines.push("Attrition and Potential: no model fitted yet (tessera model fit), or too little data".to_string()),
        }
        lines
    }
}
