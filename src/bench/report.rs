//! The experiment report at scale: a campaign's run over every customer of the segment
//! benchmark's workspace (a million, ten million events), its report asked of a fresh `tessera`
//! process, against the same statistics computed by pandas, statsmodels and scipy from the same
//! tables (`bench/baseline/experiment_report.py`), alternated, medians; the two must agree.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::run_baseline;
use crate::campaigns::store::{save_campaign, start_run};
use crate::campaigns::{plan_campaign, Campaign, Selector};
use crate::store::Workspace;

/// The run starts here: purchases of the generated history fall in its window and before it.
fn run_start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap()
}

const WINDOW_DAYS: i64 = 30;

pub async fn bench_report(
    ws: &Workspace,
    baseline: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let campaign = Campaign::parse(
        &json!({"version": 1, "name": "bench-report", "audience": {"all": true}, "holdout": 0.1,
            "variants": [{"name": "A", "email": "welcome-en"}, {"name": "B", "email": "winback-en"}, {"name": "C", "email": "welcome-en"}],
            "hypothesis": {"metric": {"event": "purchase"}, "window_days": WINDOW_DAYS, "control": "holdout", "mde": 0.005}})
        .to_string(),
    )?;
    save_campaign(&ws.pool, &campaign).await?;
    // Every customer a recipient: the segment benchmark's data withholds email consent from a
    // quarter of them, and the report is measured at a million recipients.
    sqlx::query("INSERT OR REPLACE INTO customer_consent (customer_id, channel, granted, updated_at) SELECT id, 'email', 1, '2026-01-01T00:00:00Z' FROM customers")
        .execute(&ws.pool)
        .await?;
    let plan = plan_campaign(&ws.pool, Selector::Sql, &campaign, run_start()).await?;
    let recipients =
        plan.split.arms.iter().map(|a| a.customers).sum::<u64>() + plan.split.holdout.customers;
    // The run as a render would leave it, without writing a million files.
    let run = start_run(&ws.pool, &plan, "bench-report", "bench-report.staging").await?;
    sqlx::query("UPDATE campaign_runs SET status = 'done', staging = NULL, started_at = ?, finished_at = ? WHERE id = ?")
        .bind(run_start().format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .bind(run_start().format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .bind(run)
        .execute(&ws.pool)
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&ws.pool)
        .await?;
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&ws.pool)
        .await?;

    let exe = std::env::current_exe()?;
    let db = ws.path.display().to_string();
    let ours = || -> Result<(f64, Value), Box<dyn std::error::Error>> {
        let t = Instant::now();
        let out = Command::new(&exe)
            .args(["--db", &db, "campaign", "report", "bench-report", "--json"])
            .output()?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if !out.status.success() {
            return Err(format!(
                "tessera campaign report: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok((ms, serde_json::from_slice(&out.stdout)?))
    };
    let start = run_start().timestamp();
    let theirs = || {
        run_baseline(
            Command::new("python3")
                .arg(baseline.join("experiment_report.py"))
                .arg(&db)
                .arg(run.to_string())
                .arg(start.to_string())
                .arg((start + WINDOW_DAYS * 86_400).to_string()),
        )
    };
    // Alternated, a fresh process each time, the page cache warm for both.
    let (mut our_ms, mut their_ms) = (Vec::new(), Vec::new());
    let (mut report, mut reference) = (Value::Null, None);
    for _ in 0..5 {
        let (ms, r) = ours()?;
        our_ms.push(ms);
        report = r;
        if let Some(r) = theirs() {
            their_ms.push(r["ms"].as_f64().unwrap_or(f64::NAN));
            reference = Some(r);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let ours_ms = median(&mut our_ms).unwrap_or(f64::NAN);
    println!("Experiment report: {recipients} recipients in 4 arms, {events} events, a fresh process each time (median of 5, alternated):");
    println!("  tessera campaign report: {ours_ms:.0} ms");
    match (median(&mut their_ms), &reference) {
        (Some(their), Some(reference)) => {
            println!(
                "  pandas + statsmodels + scipy on the same tables: {their:.0} ms ({:.1}x faster)",
                their / ours_ms
            );
            // The same numbers, or the comparison means nothing.
            let mut worst: f64 = 0.0;
            for arm in report["arms"].as_array().into_iter().flatten() {
                let name = arm["arm"].as_str().unwrap_or_default();
                let peer = &reference["arms"][name];
                if arm["conversions"] != peer["conversions"] || arm["n"] != peer["n"] {
                    return Err(
                        format!("arm {name}: tessera {arm} differs from pandas {peer}").into(),
                    );
                }
                for field in [
                    "ci_low",
                    "ci_high",
                    "p_value",
                    "p_adjusted",
                    "revenue_p_value",
                ] {
                    if let (Some(a), Some(b)) = (arm[field].as_f64(), peer[field].as_f64()) {
                        worst = worst.max((a - b).abs());
                    }
                }
            }
            println!("  same counts per arm; largest difference of an interval end or p-value: {worst:.1e}");
        }
        _ => println!("  baseline not available (pip install pandas statsmodels scipy)"),
    }
    Ok(())
}
