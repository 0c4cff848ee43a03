//! BG/NBD and Gamma-Gamma reproduce the published CDNOW estimates through the real pipeline:
//! the raw transaction log imported as events, fitted on the 39-week calibration period.

use tessera_engine::scores::fit_models;

use crate::support::TestWorkspace;

/// `tests/fixtures/cdnow_sample.txt`: the CDNOW 1/10 sample (2,357 customers), as distributed
/// with the `lifetimes` package: customer, -, date (YYYYMMDD), quantity, amount.
async fn cdnow() -> TestWorkspace {
    let t = TestWorkspace::new().await;
    let raw = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cdnow_sample.txt"
    ))
    .unwrap();
    let mut customers = String::from("customer_id\n");
    let mut events = String::from("customer_id,date,type,amount\n");
    let mut seen = std::collections::BTreeSet::new();
    for line in raw.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if seen.insert(f[0]) {
            customers.push_str(&format!("{}\n", f[0]));
        }
        events.push_str(&format!("{},{},purchase,{}\n", f[0], f[2], f[4]));
    }
    assert_eq!(
        t.customers(&t.file("c.csv", customers)).await.inserted,
        2357
    );
    let e = t.events(&t.file("e.csv", events)).await;
    assert_eq!(e.rejected, 0, "{:?}", e.errors);
    t
}

fn close(actual: f64, published: f64) -> bool {
    ((actual - published) / published).abs() < 0.005
}

#[tokio::test]
async fn cdnow_fit_reproduces_fader_hardie_lee() {
    let t = cdnow().await;
    let until = chrono::NaiveDate::from_ymd_opt(1997, 9, 30);
    let report = fit_models(&t.ws.pool, until).await.unwrap();
    assert_eq!(
        (report.customers, report.time_unit.as_str()),
        (2357, "weeks")
    );
    let m = report.bgnbd.expect("BG/NBD fitted");
    assert!(
        close(m.r, 0.243) && close(m.alpha, 4.414) && close(m.a, 0.793) && close(m.b, 2.426),
        "{m:?}"
    );
    let g = report.gamma_gamma.expect("Gamma-Gamma fitted");
    assert!(
        close(g.p, 6.25) && close(g.q, 3.74) && close(g.gamma, 15.44),
        "{g:?}"
    );
}

#[tokio::test]
async fn small_data_falls_back_to_rfm_without_nan() {
    let t = TestWorkspace::new().await;
    t.customers(&t.file("c.csv", "email\na@x.com\nb@x.com\n"))
        .await;
    t.events(&t.file("e.csv", "email,date,type,amount\na@x.com,2026-01-01,purchase,10\na@x.com,2026-02-01,purchase,12\nb@x.com,2026-03-01,purchase,5\n")).await;
    let report = fit_models(&t.ws.pool, None).await.unwrap();
    assert_eq!((report.customers, report.repeat_customers), (2, 1));
    assert!(report.bgnbd.is_none() && report.gamma_gamma.is_none());
    assert!(report
        .fallback
        .unwrap()
        .contains("only 1 customer bought more than once"));
    let json = serde_json::to_string(&fit_models(&t.ws.pool, None).await.unwrap()).unwrap();
    assert!(
        !json.contains("NaN") && json.contains("\"time_unit\":\"weeks\""),
        "{json}"
    );
}

#[tokio::test]
async fn scores_follow_the_fit_and_explain_a_customer() {
    let t = cdnow().await;
    fit_models(&t.ws.pool, chrono::NaiveDate::from_ymd_opt(1997, 9, 30))
        .await
        .unwrap();
    // Customer 00004 of the paper: 2 repeat purchases, the last at week 30.43, observed 38.86.
    let id = tessera_engine::customers::show::find_customer(&t.ws.pool, "00004")
        .await
        .unwrap()
        .unwrap();
    let view = tessera_engine::scores::customer_scores(&t.ws.pool, id)
        .await
        .unwrap()
        .unwrap();
    // Scores use every purchase (this customer bought again in 1998): 4 purchase days, 100.50.
    assert_eq!(
        (view.frequency, (view.monetary * 100.0).round()),
        (4, 10050.0),
        "{view:?}"
    );
    assert_eq!(
        view.rfm_group,
        tessera_engine::scores::rfm_group(view.r, view.f)
    );
    let explained = view.explain().join("\n");
    assert!(
        explained.contains("4 purchase days")
            && explained.contains("chance this customer is still active"),
        "{explained}"
    );
    // FHL (2005) give 1.226 expected purchases in the next 39 weeks for this history.
    let m = tessera_engine::scores::latest_fit(&t.ws.pool)
        .await
        .unwrap()
        .unwrap()
        .bgnbd
        .unwrap();
    let history = tessera_engine::scores::models::History {
        x: 2.0,
        t_x: 30.43,
        t: 38.86,
        mean_value: 22.35,
    };
    assert!((m.expected_purchases(&history, 39.0) - 1.226).abs() < 0.01);
    let p = view.p_alive.unwrap();
    assert!((0.0..=1.0).contains(&p));
    assert_eq!(view.attrition, Some(1.0 - p));
    let groups: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT rfm_group FROM customer_scores ORDER BY 1")
            .fetch_all(&t.ws.pool)
            .await
            .unwrap();
    assert!(groups.len() >= 6, "{groups:?}");
    let nan: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customer_scores WHERE p_alive IS NULL OR potential IS NULL OR potential != potential").fetch_one(&t.ws.pool).await.unwrap();
    assert_eq!(nan, 0);
}
