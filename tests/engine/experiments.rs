//! Experiments end to end: a campaign rendered, outcomes imported as events and as an email
//! service's results file, attributed to the arms the run assigned inside the window only, and
//! the report's verdict; degenerate data gives "not yet decidable", never NaN; the planner.
//! The statistics themselves are checked against statsmodels and scipy in
//! `src/experiments/stats.rs` (`tests/support/experiment_references.py`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tessera_engine::app::{Campaign, ImportKind, ImportSettings, Session, Verdict};

use crate::support::{import_as, render_request, shop_session, tessera};

const DAY: i64 = 86_400;

/// `customers` customers (names in several scripts) and campaign `name` (`document`) rendered;
/// the run moved `days_ago` days into the past, as if it had run then. Returns the session,
/// the run's start (unix seconds) and each customer's arm by email.
async fn ran(
    dir: &Path,
    customers: usize,
    document: &str,
    days_ago: i64,
) -> (Session, i64, HashMap<String, String>) {
    let names = ["Ann", "王芳", "Zoë", "José"];
    let mut rows = String::from("email,first_name,locale\n");
    for i in 0..customers {
        rows.push_str(&format!(
            "c{i}@example.com,{} {i},en-GB\n",
            names[i % names.len()]
        ));
    }
    let session = shop_session(dir, &rows).await;
    let campaign = Campaign::parse(document).unwrap();
    session.campaign_save(&campaign).await.unwrap();
    let summary = session
        .campaign_render(render_request(
            session.campaign(&campaign.name).await.unwrap(),
            &dir.join("out"),
        ))
        .await
        .unwrap();
    let start = chrono::Utc::now().timestamp() - days_ago * DAY;
    let started = chrono::DateTime::from_timestamp(start, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    session.close().await.unwrap();
    let db = rusqlite::Connection::open(dir.join("shop.sqlite")).unwrap();
    db.execute(
        "UPDATE campaign_runs SET started_at = ?1 WHERE id = ?2",
        rusqlite::params![started, summary.run],
    )
    .unwrap();
    let arms: HashMap<String, String> = db
        .prepare("SELECT k.value, a.arm FROM run_assignments a JOIN customer_keys k ON k.customer_id = a.customer_id AND k.kind = 'email' WHERE a.run_id = ? AND a.arm IS NOT NULL")
        .unwrap()
        .query_map([summary.run], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(db);
    let session = Session::open(
        &dir.join("shop.sqlite"),
        tessera_engine::app::Access::Existing,
    )
    .await
    .unwrap();
    (session, start, arms)
}

fn csv_time(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

const SPRING: &str = r#"{"version": 1, "name": "spring", "audience": {"all": true}, "holdout": 0.2,
    "variants": [{"name": "A", "email": "welcome-en"}, {"name": "B", "email": "welcome-en"}],
    "email_settings": {"files": "html"},
    "hypothesis": {"statement": "the personal offer lifts purchases", "metric": {"event": "purchase"},
                   "window_days": 7, "control": "holdout", "mde": 0.05}}"#;

#[tokio::test(flavor = "multi_thread")]
async fn purchases_count_in_the_arm_assigned_and_inside_the_window_only() {
    let dir = tempfile::tempdir().unwrap();
    let (session, start, arms) = ran(dir.path(), 3000, SPRING, 10).await;
    // Every 10th holdout customer buys within the window, every 5th of A, every 3rd of B; each
    // also buys outside it (the day before the run, eight days after) and visits a page in it:
    // none of that counts.
    let mut events = String::from("email,timestamp,type,value\n");
    let mut expected: HashMap<&str, (u64, u64, f64)> = HashMap::new();
    for (i, (email, arm)) in arms.iter().enumerate() {
        let every = match arm.as_str() {
            "holdout" => 10,
            "A" => 5,
            _ => 3,
        };
        let entry = expected.entry(arm.as_str()).or_default();
        entry.0 += 1;
        // Counted within the arm, so each arm's rate is what it says whatever the map's order.
        if entry.0 % every == 0 {
            entry.1 += 1;
            entry.2 += 20.0;
            events.push_str(&format!(
                "{email},{},purchase,20\n",
                csv_time(start + DAY + i as i64)
            ));
            // A second purchase in the window: the customer still counts once.
            events.push_str(&format!(
                "{email},{},purchase,5\n",
                csv_time(start + 2 * DAY)
            ));
            entry.2 += 5.0;
        }
        events.push_str(&format!("{email},{},purchase,99\n", csv_time(start - DAY)));
        events.push_str(&format!(
            "{email},{},purchase,99\n",
            csv_time(start + 8 * DAY)
        ));
        events.push_str(&format!(
            "{email},{},microsite_visit,\n",
            csv_time(start + DAY)
        ));
    }
    let path = dir.path().join("events.csv");
    std::fs::write(&path, events).unwrap();
    let imported = import_as(&session, &path, ImportKind::Events)
        .await
        .unwrap();
    assert_eq!(imported.rejected, 0, "{:?}", imported.errors);

    let report = session.campaign_report("spring", None, 0.05).await.unwrap();
    assert!(report.window_complete);
    assert_eq!(report.control, "holdout");
    assert_eq!(
        report
            .arms
            .iter()
            .map(|a| a.arm.as_str())
            .collect::<Vec<_>>(),
        ["holdout", "A", "B"]
    );
    for arm in &report.arms {
        let (n, conversions, revenue) = expected[arm.arm.as_str()];
        assert_eq!(
            (arm.n, arm.conversions),
            (n, conversions),
            "arm {}",
            arm.arm
        );
        assert!(
            (arm.revenue - revenue).abs() < 1e-6,
            "arm {}: revenue {} ≠ {revenue}",
            arm.arm,
            arm.revenue
        );
    }
    let b = &report.arms[2];
    assert!(b.lift_abs.unwrap() > 0.2 && b.p_adjusted.unwrap() < 1e-6);
    assert!(
        b.p_adjusted.unwrap() >= b.p_value.unwrap(),
        "Holm never lowers a p-value"
    );
    assert!(b.ci_low.unwrap() < b.rate.unwrap() && b.rate.unwrap() < b.ci_high.unwrap());
    assert!(
        b.sequential_low.unwrap() < b.lift_abs_low.unwrap(),
        "the always-valid interval is wider"
    );
    // Buying the day before the run predicts nothing here (everyone did): CUPED has nothing to
    // adjust by and says so rather than inventing a number.
    assert_eq!(b.cuped_lift, None);
    assert_eq!(report.winner.as_deref(), Some("B"));
    assert_eq!(report.verdict, Verdict::Supported);
    assert!(
        !report.srm_mismatch,
        "a split by the keyed hash fits its weights"
    );
    assert!(report.incremental_revenue.unwrap() > 0.0);
    assert_eq!(report.daily.len(), 7, "one point per day of the window");
    assert_eq!(
        report.daily[6].rates[2], b.rate,
        "the last day's cumulative rate is the arm's rate"
    );
    assert!(
        report.daily[0].rates[2].unwrap() < b.rate.unwrap(),
        "purchases on day 2 are not in day 1"
    );

    // The next campaign builds on this one: segments of who received what and who converted,
    // counted by the app's index and by the compiled SQL alike.
    let arm = |name: &str| report.arms.iter().find(|a| a.arm == name).unwrap();
    let clock = tessera_engine::segments::Clock {
        now: chrono::Utc::now(),
    };
    let cases = [
        (r#""arm": "B""#, arm("B").n),
        (r#""arm": "B", "converted": true"#, arm("B").conversions),
        (r#""arm": "holdout""#, arm("holdout").n),
        (
            r#""converted": false"#,
            arm("A").n - arm("A").conversions + arm("B").n - arm("B").conversions,
        ),
    ];
    for (condition, expected) in &cases {
        let rule = tessera_engine::app::Rule::parse(&format!(
            r#"{{"version": 1, "conditions": [{{"type": "campaign", "campaign": "spring", {condition}}}]}}"#
        ))
        .unwrap();
        let counted = session.segment_count(&rule, clock).await.unwrap();
        assert_eq!(counted.count as u64, *expected, "{condition}");
    }
    let unknown = tessera_engine::app::Rule::parse(
        r#"{"version": 1, "conditions": [{"type": "campaign", "campaign": "autumn"}]}"#,
    )
    .unwrap();
    let error = session.segment_count(&unknown, clock).await.unwrap_err();
    assert!(
        error.message.contains("no campaign named 'autumn'"),
        "{}",
        error.message
    );
    session.close().await.unwrap();
    let ws = tessera_engine::store::Workspace::open(
        &dir.path().join("shop.sqlite"),
        tessera_engine::store::Access::Existing,
    )
    .await
    .unwrap();
    for (condition, expected) in &cases {
        let rule = tessera_engine::app::Rule::parse(&format!(
            r#"{{"version": 1, "conditions": [{{"type": "campaign", "campaign": "spring", {condition}}}]}}"#
        ))
        .unwrap();
        let catalog = tessera_engine::segments::store::load_catalog(&ws.pool, &[&rule])
            .await
            .unwrap();
        let counted = tessera_engine::segments::count(&ws.pool, &rule, &catalog, clock)
            .await
            .unwrap();
        assert_eq!(counted.count as u64, *expected, "SQL: {condition}");
    }
    ws.close().await;

    // The CLI's report names its fields as the issue spells them.
    let out = tessera(&dir.path().join("shop.sqlite"))
        .args(["campaign", "report", "spring", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in [
        "arm",
        "n",
        "conversions",
        "rate",
        "ci_low",
        "ci_high",
        "revenue_per_recipient",
        "lift_abs",
        "lift_rel",
        "p_value",
        "p_adjusted",
    ] {
        assert!(json["arms"][2].get(field).is_some(), "no {field}");
    }
    assert!(json.get("srm_p_value").is_some() && json["winner"] == "B");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pre_campaign_habit_narrows_the_interval_with_cuped() {
    let dir = tempfile::tempdir().unwrap();
    let (session, start, arms) = ran(dir.path(), 2000, SPRING, 10).await;
    // Regular buyers (every 4th customer) bought before the run and mostly buy again; others
    // rarely do. B lifts everyone a little.
    let mut events = String::from("email,timestamp,type,value\n");
    for (i, (email, arm)) in arms.iter().enumerate() {
        let regular = i % 4 == 0;
        if regular {
            events.push_str(&format!(
                "{email},{},purchase,10\n",
                csv_time(start - 3 * DAY)
            ));
        }
        let buys = if regular {
            i % 8 != 4 || arm == "B"
        } else {
            i % 13 == 0 || (arm == "B" && i % 7 == 0)
        };
        if buys {
            events.push_str(&format!("{email},{},purchase,10\n", csv_time(start + DAY)));
        }
    }
    let path = dir.path().join("events.csv");
    std::fs::write(&path, events).unwrap();
    import_as(&session, &path, ImportKind::Events)
        .await
        .unwrap();
    let report = session.campaign_report("spring", None, 0.05).await.unwrap();
    let b = &report.arms[2];
    let narrowed = b
        .cuped_narrowed
        .expect("a covariate that varies gives CUPED");
    assert!(narrowed > 0.1, "CUPED narrowed the interval by {narrowed}");
    let cuped_width = b.cuped_high.unwrap() - b.cuped_low.unwrap();
    let plain_width = b.lift_abs_high.unwrap() - b.lift_abs_low.unwrap();
    assert!(cuped_width < plain_width);
    session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_outcomes_or_before_the_window_ends_the_verdict_waits() {
    let dir = tempfile::tempdir().unwrap();
    // Run yesterday: the window is open and nobody has bought yet.
    let (session, start, arms) = ran(dir.path(), 400, SPRING, 1).await;
    let report = session.campaign_report("spring", None, 0.05).await.unwrap();
    assert_eq!(report.verdict, Verdict::NotYetDecidable);
    for note in ["no_outcomes", "window_open"] {
        assert!(
            report.notes.contains(&note.to_string()),
            "{note}: {:?}",
            report.notes
        );
    }
    assert_eq!(report.winner, None);
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    assert_eq!(
        report.arms[1].p_value, None,
        "no conversions anywhere: no test, no number"
    );

    // A few purchases today: a test exists, but the window is open and the sequential test
    // does not decide on so little.
    let mut events = String::from("email,timestamp,type,value\n");
    for (i, email) in arms.keys().enumerate().filter(|(i, _)| i % 9 == 0) {
        events.push_str(&format!(
            "{email},{},purchase,10\n",
            csv_time(start + i as i64)
        ));
    }
    let path = dir.path().join("events.csv");
    std::fs::write(&path, events).unwrap();
    import_as(&session, &path, ImportKind::Events)
        .await
        .unwrap();
    let report = session.campaign_report("spring", None, 0.05).await.unwrap();
    assert!(!report.window_complete);
    assert_eq!(report.verdict, Verdict::NotYetDecidable);
    assert!(
        report.notes.contains(&"window_open".to_string()),
        "{:?}",
        report.notes
    );
    assert!(report.arms[1].p_value.is_some());
    session.close().await.unwrap();

    // A campaign never rendered has nothing to report, and says so.
    let db = dir.path().join("shop.sqlite");
    let session = Session::open(&db, tessera_engine::app::Access::Existing)
        .await
        .unwrap();
    let mut never: Campaign = Campaign::parse(SPRING).unwrap();
    never.name = "autumn".into();
    session.campaign_save(&never).await.unwrap();
    let error = session
        .campaign_report("autumn", None, 0.05)
        .await
        .unwrap_err();
    assert!(
        error.message.contains("no finished run"),
        "{}",
        error.message
    );
    let error = session
        .campaign_report("spring", None, 1.5)
        .await
        .unwrap_err();
    assert!(error.message.contains("alpha"), "{}", error.message);
    session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_services_results_file_is_attributed_to_the_variants_with_bad_rows_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let document = r#"{"version": 1, "name": "spring", "audience": {"all": true}, "holdout": 0.1,
        "variants": [{"name": "A", "email": "welcome-en"}, {"name": "B", "email": "welcome-en"}],
        "email_settings": {"files": "html"},
        "hypothesis": {"metric": {"result": "converted"}, "control": "A", "window_days": 30}}"#;
    let (session, _, arms) = ran(dir.path(), 600, document, 31).await;
    // An export in GB18030 with Chinese headers, as a Chinese service writes it.
    let mut text = String::from("邮箱,打开,点击,已转化,收入\n");
    let mut expected: HashMap<&str, u64> = HashMap::new();
    let mut holdout_email = None;
    for (i, (email, arm)) in arms.iter().enumerate() {
        if arm == "holdout" {
            holdout_email = Some(email.clone());
            continue;
        }
        let converted = i % if arm == "B" { 2 } else { 5 } == 0;
        *expected.entry(arm.as_str()).or_default() += u64::from(converted);
        text.push_str(&format!(
            "{email},是,{},{},{}\n",
            u8::from(converted),
            u8::from(converted),
            if converted { "12.5" } else { "" }
        ));
    }
    text.push_str("stranger@example.com,1,1,1,10\n");
    text.push_str(&format!("{},1,1,1,10\n", holdout_email.unwrap()));
    text.push_str("c1@example.com,1,1,maybe,10\n");
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    let path = dir.path().join("results.csv");
    std::fs::write(&path, &bytes).unwrap();
    let summary = session
        .campaign_results_import("spring", &path, &ImportSettings::default())
        .await
        .unwrap();
    assert_eq!(summary.encoding, "gb18030");
    assert_eq!(summary.rejected, 3, "{:?}", summary.errors);
    let codes: Vec<&str> = summary
        .errors
        .iter()
        .map(|e| e.problem.code.as_str())
        .collect();
    assert_eq!(
        codes,
        ["row_no_customer", "row_not_in_campaign", "row_bad_flag"]
    );
    assert!(
        PathBuf::from(summary.rejected_file.unwrap()).is_file(),
        "the rejected rows are kept beside the file"
    );
    // The bad rows changed nothing: each customer counts by their good row, in their arm.
    let report = session.campaign_report("spring", None, 0.05).await.unwrap();
    assert_eq!(report.metric, "results.converted");
    for arm in report.arms.iter().filter(|a| a.arm != "holdout") {
        assert_eq!(
            arm.conversions,
            expected[arm.arm.as_str()],
            "arm {}",
            arm.arm
        );
    }
    assert_eq!(report.winner.as_deref(), Some("B"));

    // A file without a results column, or without anything, is refused as a whole, saying why.
    let only_keys = dir.path().join("keys.csv");
    std::fs::write(&only_keys, "email,city\nc1@example.com,Paris\n").unwrap();
    let error = session
        .campaign_results_import("spring", &only_keys, &ImportSettings::default())
        .await
        .unwrap_err();
    assert!(
        error.message.contains("no results column"),
        "{}",
        error.message
    );
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert!(session
        .campaign_results_import("spring", &empty, &ImportSettings::default())
        .await
        .is_err());
    let error = session
        .campaign_results_import("nonesuch", &path, &ImportSettings::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind, tessera_engine::app::ErrorKind::NotFound);

    // Importing the same export again changes nothing.
    let again = session
        .campaign_results_import("spring", &path, &ImportSettings::default())
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated), (0, 0));
    session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hypothesis_the_campaign_cannot_test_is_refused_at_its_field() {
    for (hypothesis, field) in [
        (
            r#"{"metric": {"event": "purchase"}, "control": "C"}"#,
            "hypothesis.control",
        ),
        (
            r#"{"metric": {"result": "clicked"}, "control": "holdout"}"#,
            "hypothesis.control",
        ),
        (r#"{"metric": {"event": " "}}"#, "hypothesis.metric"),
        (
            r#"{"metric": {"event": "purchase"}, "window_days": 0}"#,
            "hypothesis.window_days",
        ),
        (
            r#"{"metric": {"event": "purchase"}, "mde": 1.5}"#,
            "hypothesis.mde",
        ),
    ] {
        let document = format!(
            r#"{{"version": 1, "name": "spring", "audience": {{"all": true}}, "holdout": 0.1,
                "variants": [{{"name": "A", "email": "welcome-en"}}], "hypothesis": {hypothesis}}}"#
        );
        let error = Campaign::parse(&document).unwrap_err();
        let problem = tessera_engine::error::Coded::problem(&error).unwrap();
        assert_eq!(problem.field, field, "{hypothesis}: {error}");
    }
}

#[test]
fn the_planner_prints_the_sample_size_and_refuses_impossible_plans() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.sqlite");
    let out = tessera(&db)
        .args([
            "campaign",
            "plan",
            "--baseline",
            "0.10",
            "--mde",
            "0.02",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["per_arm"].as_u64(), json["total"].as_u64()),
        (Some(3841), Some(7682))
    );
    assert!(!db.exists(), "the planner needs no workspace");

    let out = tessera(&db)
        .args([
            "campaign",
            "plan",
            "--baseline",
            "0.10",
            "--customers",
            "2000",
            "--arms",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lift = json["detectable_lift"].as_f64().unwrap();
    assert!(lift > 0.03 && lift < 0.1, "{lift}");

    let out = tessera(&db)
        .args(["campaign", "plan", "--baseline", "1.5", "--mde", "0.02"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("baseline"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_audience_among_many_events_is_attributed_the_same_way() {
    // 40 of 600 customers get the campaign; everyone has events: few recipients among many
    // events are looked up customer by customer rather than found by a scan of all events.
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (1..=40).map(|i| i.to_string()).collect();
    let document = SPRING.replace(
        r#""audience": {"all": true}"#,
        &format!(r#""audience": {{"customers": [{}]}}"#, ids.join(",")),
    );
    let (session, start, arms) = ran(dir.path(), 600, &document, 10).await;
    assert_eq!(arms.len(), 40);
    let mut events = String::from("email,timestamp,type,value\n");
    let mut expected: HashMap<String, (u64, f64)> = HashMap::new();
    for i in 0..600 {
        let email = format!("c{i}@example.com");
        for k in 0..4 {
            events.push_str(&format!(
                "{email},{},purchase,7\n",
                csv_time(start - 20 * DAY + k * DAY)
            ));
        }
        if i % 3 == 0 {
            events.push_str(&format!(
                "{email},{},purchase,12.5\n",
                csv_time(start + 3 * DAY)
            ));
            events.push_str(&format!(
                "{email},{},purchase,1\n",
                csv_time(start + 4 * DAY)
            ));
            if let Some(arm) = arms.get(&email) {
                let e = expected.entry(arm.clone()).or_default();
                e.0 += 1;
                e.1 += 13.5;
            }
        }
    }
    let path = dir.path().join("events.csv");
    std::fs::write(&path, events).unwrap();
    import_as(&session, &path, ImportKind::Events)
        .await
        .unwrap();
    let report = session.campaign_report("spring", None, 0.05).await.unwrap();
    assert_eq!(report.arms.iter().map(|a| a.n).sum::<u64>(), 40);
    for arm in &report.arms {
        let (conversions, revenue) = expected.get(&arm.arm).copied().unwrap_or_default();
        assert_eq!(arm.conversions, conversions, "arm {}", arm.arm);
        assert!((arm.revenue - revenue).abs() < 1e-9, "arm {}", arm.arm);
        assert_eq!(
            report.daily[2].rates[report.arms.iter().position(|a| a.arm == arm.arm).unwrap()],
            Some(0.0).filter(|_| arm.n > 0),
            "nobody bought in the first three days"
        );
    }
    session.close().await.unwrap();
}
