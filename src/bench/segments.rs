//! Segment counts at scale: generated customers and events are imported through the real import,
//! the segment index is built, and two kinds of rule are counted, against the same rules as plain
//! SQL over the raw SQLite tables and in DuckDB over the same data (`bench/baseline/segments.py`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::{ratio, run_baseline};
use crate::customers::{import_customers, import_events, ImportOptions};
use crate::demo::Rng;
use crate::segments::store::load_catalog;
use crate::segments::{count, Clock, Rule, SegmentIndex};
use crate::store::{Access, Workspace};

const CITIES: &[&str] = &[
    "London", "Paris", "上海", "Berlin", "Zürich", "北京", "Madrid", "Rome", "Oslo", "Lyon",
    "深圳", "Porto", "Vienna", "Prague", "Dublin", "Lisbon", "Milan", "Munich", "成都", "Nice",
];
const CATEGORIES: &[&str] = &["skincare", "tea", "coffee", "books", "toys"];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap()
}

/// Attributes, tags, consent and a score.
fn profile_rule() -> Value {
    json!({"version": 1, "conditions": [
        {"type": "field", "field": "city", "op": "in", "values": ["London", "Paris", "上海"]},
        {"type": "field", "field": "points", "op": "compare", "compare": "gte", "value": 200},
        {"type": "tags", "op": "has_any", "tags": ["vip", "skincare-fan"]},
        {"type": "consent", "channel": "email", "status": "granted"},
        {"type": "score", "score": "r", "compare": "gte", "value": 3}]})
}

/// At least 2 skincare purchases since a date, with email consent.
fn event_rule() -> Value {
    json!({"version": 1, "conditions": [
        {"type": "event", "event_type": "purchase", "property": {"name": "category", "equals": "skincare"},
         "window": {"between": {"from": "2026-01-01", "to": "2026-11-21"}}, "compare": "gte", "value": 2},
        {"type": "consent", "channel": "email", "status": "granted"}]})
}

fn write_data(customers: usize, events: usize, dir: &Path) -> std::io::Result<usize> {
    let mut rng = Rng::new(42);
    let mut c = BufWriter::new(File::create(dir.join("customers.csv"))?);
    let mut e = BufWriter::new(File::create(dir.join("events.csv"))?);
    writeln!(
        c,
        "email,first_name,last_name,city,points,vip,birthday,tags,email_opt_in"
    )?;
    writeln!(e, "email,timestamp,type,value,category")?;
    let per_customer = (2 * events / customers.max(1)) as u64;
    let mut written = 0;
    let names = [
        "Anna", "李", "José", "Zoë", "王芳", "Tom", "Chloé", "😀 Sam",
    ];
    for i in 0..customers {
        let tags: Vec<&str> = ["vip", "new", "b2b", "skincare-fan"]
            .into_iter()
            .filter(|_| rng.chance(15))
            .collect();
        writeln!(
            c,
            "c{i}@example.com,{},Smith,{},{},{},{}-{:02}-{:02},{},{}",
            rng.pick(&names),
            rng.pick(CITIES),
            rng.below(1000),
            if rng.chance(10) { "yes" } else { "no" },
            1950 + rng.below(55),
            1 + rng.below(12),
            1 + rng.below(28),
            tags.join(";"),
            rng.pick(&["yes", "yes", "no", ""])
        )?;
        for _ in 0..rng.below(per_customer + 1) {
            let at = now().timestamp() - rng.below(3 * 365 * 86_400) as i64;
            let at = DateTime::from_timestamp(at, 0).unwrap_or_default();
            if rng.chance(30) {
                writeln!(
                    e,
                    "c{i}@example.com,{},purchase,{}.{:02},{}",
                    at.format("%Y-%m-%dT%H:%M:%SZ"),
                    5 + rng.below(200),
                    rng.below(100),
                    rng.pick(CATEGORIES)
                )?;
            } else {
                writeln!(
                    e,
                    "c{i}@example.com,{},view,,{}",
                    at.format("%Y-%m-%dT%H:%M:%SZ"),
                    rng.pick(CATEGORIES)
                )?;
            }
            written += 1;
        }
    }
    c.flush()?;
    e.flush()?;
    Ok(written)
}

/// Median milliseconds of `runs` runs.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

pub async fn bench_segments(
    customers: usize,
    events: usize,
    scratch: &Path,
    baseline: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = scratch.join("segments");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let t = Instant::now();
    let events = write_data(customers, events, &dir)?;
    println!(
        "Segments: generated {customers} customers and {events} events ({:.1} s)",
        t.elapsed().as_secs_f64()
    );

    let db = dir.join("workspace.sqlite");
    let ws = Workspace::open(&db, Access::Create).await?;
    let options = ImportOptions::default();
    let t = Instant::now();
    let imported = import_customers(&ws, &dir.join("customers.csv"), &options, &|_| {}).await?;
    let customers_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let imported_events = import_events(&ws, &dir.join("events.csv"), &options, &|_| {}).await?;
    let events_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let index = SegmentIndex::load(&ws.path)?;
    let index_s = t.elapsed().as_secs_f64();
    println!(
        "  import with every derived feature ready: {:.1} s (customers {customers_s:.1} s, events + RFM and model scores {events_s:.1} s, segment index {index_s:.1} s); {} customers, {} events, {} rejected",
        customers_s + events_s + index_s,
        imported.inserted,
        imported_events.inserted,
        imported.rejected + imported_events.rejected
    );

    let python = run_baseline(
        Command::new("python3")
            .arg(baseline.join("segments.py"))
            .arg(&db)
            .arg(&dir)
            .arg(now().timestamp().to_string()),
    );

    let catalog = load_catalog(&ws.pool).await?;
    let clock = Clock { now: now() };
    for (key, label, rule) in [
        (
            "profile",
            "attributes, tags, consent and a score",
            profile_rule(),
        ),
        (
            "events",
            "at least 2 skincare purchases since a date, with consent",
            event_rule(),
        ),
    ] {
        let rule = Rule::parse(&rule.to_string())?;
        let mut result = None;
        let ours = median_ms(21, || result = index.count(&rule, &catalog, clock).ok());
        let counted = result.map_or(-1, |r| r.count);
        let t = Instant::now();
        let sql = count(&ws.pool, &rule, &catalog, clock).await?;
        let sql_ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "  count, {label}: {ours:.1} ms ({counted} of {} customers, funnel included)",
            index.customers()
        );
        let peer = |engine: &str| {
            python
                .as_ref()
                .map(|p| &p[engine][key])
                .filter(|v| v.is_object())
        };
        for (engine, name) in [
            ("duckdb", "DuckDB, same rule in SQL over the same data"),
            ("sqlite", "plain SQL over the raw SQLite tables"),
        ] {
            match peer(engine) {
                Some(v) => println!(
                    "    {:.1}x faster than {name}: {:.1} ms, count {}",
                    v["ms"].as_f64().unwrap_or(f64::NAN) / ours,
                    v["ms"].as_f64().unwrap_or(f64::NAN),
                    v["count"]
                ),
                None => println!("    {}", ratio(0.0, None)),
            }
        }
        println!(
            "    {:.1}x faster than Tessera's compiled SQL with its funnel ({sql_ms:.0} ms, count {})",
            sql_ms / ours,
            sql.count
        );
    }
    ws.close().await;
    Ok(())
}
