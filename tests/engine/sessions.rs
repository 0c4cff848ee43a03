//! The use-case layer as hosts use it: a session on a real workspace file, each action one call.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tessera_engine::app::{clock_at, Access, Campaign, Rule, Session};

use crate::support::{http, render_request, tessera};

/// A render of `campaign` into `out` as the app asks for one: not strict, replacing nothing.

async fn shop(dir: &Path) -> Session {
    let mut rows = String::from("email,first_name,locale\n");
    for i in 0..400 {
        rows.push_str(&format!("c{i}@example.com,Ann {i},en-GB\n"));
    }
    crate::support::shop_session(dir, &rows).await
}

fn two_arms(name: &str) -> Campaign {
    let mut campaign = Campaign::parse(&format!(
        r#"{{"version": 1, "name": "{name}", "audience": {{"all": true}}, "holdout": 0.1,
            "variants": [{{"name": "A", "email": "welcome-en"}}, {{"name": "B", "email": "welcome-en"}}]}}"#
    ))
    .unwrap();
    // As the app sends a campaign it has not seeded.
    campaign.seed = String::new();
    campaign
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_saved_without_a_seed_never_share_one_and_a_renamed_one_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let session = shop(dir.path()).await;
    session
        .campaign_save(&two_arms("New campaign"))
        .await
        .unwrap();
    let first = session.campaign("New campaign").await.unwrap();
    session.campaign_save(&two_arms("Other")).await.unwrap();
    let second = session.campaign("Other").await.unwrap();
    assert!(!first.seed.is_empty() && first.seed != first.name);
    assert_ne!(first.seed, second.seed);
    let arms = |plan: tessera_engine::app::CampaignPlan| -> Vec<Option<String>> {
        plan.assignments().into_iter().map(|a| a.arm).collect()
    };
    let (a, b) = (
        arms(session.campaign_plan(&first).await.unwrap()),
        arms(session.campaign_plan(&second).await.unwrap()),
    );
    assert_ne!(a, b, "two campaigns drew the same arms for everyone");
    // Saved again without its seed (the app's editor), it keeps the one it has.
    session
        .campaign_save(&two_arms("New campaign"))
        .await
        .unwrap();
    assert_eq!(
        session.campaign("New campaign").await.unwrap().seed,
        first.seed
    );
    // Renamed, with its seed: the same customers in the same arms.
    let mut renamed = first.clone();
    renamed.name = "Spring, renamed".into();
    session.campaign_save(&renamed).await.unwrap();
    assert_eq!(arms(session.campaign_plan(&renamed).await.unwrap()), a);
    // A new seed comes from the engine.
    assert_ne!(
        tessera_engine::app::new_seed(),
        tessera_engine::app::new_seed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_count_what_the_server_recorded_and_what_another_process_imported() {
    let dir = tempfile::tempdir().unwrap();
    let session = shop(dir.path()).await;
    let visited: Rule = serde_json::from_value(json!({"version": 1, "conditions": [
        {"type": "event", "event_type": "microsite_visit", "compare": "gte", "value": 1}]}))
    .unwrap();
    assert_eq!(
        session
            .segment_count(&visited, clock_at(None).unwrap())
            .await
            .unwrap()
            .count,
        0
    );
    // A campaign of sites, rendered and served by the session.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let campaign = Campaign::parse(&format!(
        r#"{{"version": 1, "name": "club", "audience": {{"all": true}},
            "variants": [{{"name": "A", "microsite": "loyalty-en"}}],
            "microsite_settings": {{"base_url": "http://127.0.0.1:{port}"}}}}"#
    ))
    .unwrap();
    let out = dir.path().join("out");
    session
        .campaign_render(render_request(campaign, &out))
        .await
        .unwrap();
    let served = session.serve_run(&out).await.unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let slug = manifest["rendered"][0]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let at: std::net::SocketAddr = served.address["http://".len()..]
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let (status, _, _) =
        tokio::task::spawn_blocking(move || http(at, "GET", &format!("/{slug}/"), b""))
            .await
            .unwrap();
    assert_eq!(status, 200);
    // Stored a moment after it was answered; then the session's segments see it.
    let mut counted = 0;
    for _ in 0..100 {
        counted = session
            .segment_count(&visited, clock_at(None).unwrap())
            .await
            .unwrap()
            .count;
        if counted > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(counted, 1, "the visit the server stored is counted");
    session.stop_serving().await.unwrap();
    // Another process imports customers: the same session counts them.
    let everyone: Rule = serde_json::from_value(json!({"version": 1, "conditions": []})).unwrap();
    let before = session
        .segment_count(&everyone, clock_at(None).unwrap())
        .await
        .unwrap()
        .count;
    let more = dir.path().join("more.csv");
    std::fs::write(&more, "email\nnew.one@example.com\nnew.two@example.com\n").unwrap();
    let imported = tessera(session.path())
        .args(["import", "customers"])
        .arg(&more)
        .output()
        .unwrap();
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let after = session
        .segment_count(&everyone, clock_at(None).unwrap())
        .await
        .unwrap()
        .count;
    assert_eq!(after, before + 2);
    session.close().await.unwrap();
}

#[tokio::test]
async fn a_new_workspace_has_the_starter_templates_whoever_makes_it() {
    let dir = tempfile::tempdir().unwrap();
    let made = Session::create(&dir.path().join("app.sqlite"))
        .await
        .unwrap();
    let opened = Session::open(&dir.path().join("cli.sqlite"), Access::Create)
        .await
        .unwrap();
    let names = |list: Vec<tessera_engine::app::TemplateInfo>| -> Vec<String> {
        list.into_iter().map(|t| t.name).collect()
    };
    let (a, b) = (
        names(made.templates().await.unwrap()),
        names(opened.templates().await.unwrap()),
    );
    assert!(a.contains(&"welcome-en".to_string()) && a.contains(&"loyalty-zh".to_string()));
    assert_eq!(a, b);
    // One made by the CLI too.
    let db = dir.path().join("by-cli.sqlite");
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "email\nann@example.com\n").unwrap();
    assert!(tessera(&db)
        .args(["import", "customers"])
        .arg(&csv)
        .output()
        .unwrap()
        .status
        .success());
    let listed = tessera(&db).args(["template", "list"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).lines().count(),
        a.len()
    );
    // Creating never replaces a file.
    let again = Session::create(&dir.path().join("app.sqlite"))
        .await
        .err()
        .unwrap();
    assert!(again.message.contains("already exists"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_starter_emails_lead_to_the_campaigns_site_and_a_campaign_that_does_not_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let session = shop(dir.path()).await;
    let render = |email: &str, out: &str| {
        let campaign = Campaign::parse(&format!(
            r#"{{"version": 1, "name": "club {email}", "audience": {{"customers": [1, 2]}},
                "variants": [{{"name": "A", "email": "{email}", "microsite": "loyalty-en"}}],
                "email_settings": {{"files": "html"}},
                "microsite_settings": {{"base_url": "https://club.example"}}}}"#
        ))
        .unwrap();
        let out = dir.path().join(out);
        let session = &session;
        async move {
            session
                .campaign_render(render_request(campaign, &out))
                .await
                .map(|summary| (summary, out))
        }
    };
    let (summary, out) = render("welcome-en", "starter").await.unwrap();
    assert!(summary.unreached.is_empty(), "{:?}", summary.unreached);
    let email = std::fs::read_to_string(out.join("1.html")).unwrap();
    assert!(
        email.contains("href=\"https://club.example/"),
        "the email links the customer's page"
    );
    assert!(email.contains("Open your personal page"));
    // An email of the user's that links nowhere: said so.
    session
        .template_save(
            "plain",
            "<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{first_name}}</mj-text></mj-column></mj-section></mj-body></mjml>",
        )
        .await
        .unwrap();
    let (summary, _) = render("plain", "plain").await.unwrap();
    assert_eq!(summary.unreached.len(), 1);
    assert_eq!(summary.unreached[0].link, "microsite_url");
    session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_campaign_names_the_field_and_a_problem_the_app_words_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let session = shop(dir.path()).await;
    let locales = locales();
    // What is done, the edit, the field it is wrong in and the problem's code.
    type Edit = (&'static str, fn(&mut Campaign), &'static str, &'static str);
    let edits: [Edit; 9] = [
        (
            "name",
            |c| c.name = "Spring/Summer".into(),
            "name",
            "name_separator",
        ),
        ("empty name", |c| c.name = "  ".into(), "name", "name_empty"),
        ("holdout", |c| c.holdout = 1.5, "holdout", "holdout_range"),
        (
            "weight",
            |c| c.variants[1].weight = 0.0,
            "variants.1.weight",
            "weight_range",
        ),
        (
            "same names",
            |c| c.variants[1].name = "A".into(),
            "variants.1.name",
            "variant_duplicate",
        ),
        (
            "variant name",
            |c| c.variants[0].name = "a\u{200b}".into(),
            "variants.0.name",
            "name_invisible",
        ),
        (
            "sender",
            |c| c.email_settings.from = "not an address".into(),
            "email_settings.from",
            "sender",
        ),
        (
            "unsubscribe",
            |c| c.email_settings.unsubscribe = "javascript:alert(1)".into(),
            "email_settings.unsubscribe",
            "unsubscribe",
        ),
        (
            "reserved value",
            |c| {
                c.variants[0]
                    .values
                    .insert("unsubscribe_url".into(), json!("https://x.example"));
            },
            "variants.0.values",
            "value_reserved",
        ),
    ];
    for (what, edit, field, code) in edits {
        let mut campaign = two_arms("Spring");
        edit(&mut campaign);
        for error in [
            session.campaign_split(&campaign).await.unwrap_err(),
            session.campaign_save(&campaign).await.unwrap_err(),
        ] {
            assert_eq!(
                error.kind,
                tessera_engine::app::ErrorKind::InvalidInput,
                "{what}"
            );
            let problem = error
                .problem
                .clone()
                .unwrap_or_else(|| panic!("{what}: {error}"));
            assert_eq!(
                (problem.field.as_str(), problem.code.as_str()),
                (field, code),
                "{what}: {error}"
            );
            assert_worded(&locales, what, &problem);
        }
    }
    // Nothing invalid was saved.
    assert!(session.campaigns().await.unwrap().is_empty());
}

/// The app's two languages, as the UI words problems in them.
fn locales() -> Vec<String> {
    ["en", "zh"]
        .iter()
        .map(|l| {
            std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("ui/src/locales/{l}.ts")),
            )
            .unwrap()
        })
        .collect()
}

/// Each language has words for the problem, and they use every value the problem gives.
fn assert_worded(locales: &[String], what: &str, problem: &tessera_engine::app::FieldProblem) {
    let code = &problem.code;
    for locale in locales {
        let words = locale
            .lines()
            .find(|l| l.contains(&format!("    {code}: \"")))
            .unwrap_or_else(|| panic!("{what}: no words for {code}"));
        for param in problem.params.keys() {
            assert!(
                words.contains(&format!("{{{{{param}}}}}")),
                "{what}: {code} leaves out {param}"
            );
        }
    }
}

/// The usual mistakes in a template are named as problems the app words in the user's language
/// (the engine's English message stays, with the place).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_mistake_is_a_problem_the_app_words_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let session = shop(dir.path()).await;
    let locales = locales();
    let in_text = |body: &str| {
        format!("<mjml><mj-body><mj-section><mj-column><mj-text>{body}</mj-text></mj-column></mj-section></mj-body></mjml>")
    };
    let cases: Vec<(&str, String, &str, Vec<(&str, &str)>)> = vec![
        (
            "closed by another name",
            in_text("{{#each items}}x{{/if}}"),
            "template_mismatched_close",
            vec![("open", "each"), ("close", "if")],
        ),
        (
            "unknown helper",
            in_text("{{shout first_name}}"),
            "template_unknown_helper",
            vec![("name", "shout")],
        ),
        (
            "not a block",
            in_text("{{#default first_name}}x{{/default}}"),
            "template_not_block",
            vec![("name", "default")],
        ),
        (
            "block without a field",
            in_text("{{#if}}x{{/if}}"),
            "template_needs_argument",
            vec![("name", "if")],
        ),
        (
            "partial",
            in_text("{{> header}}"),
            "template_partial",
            vec![],
        ),
        (
            "unclosed tag",
            in_text("Hi {{first_name"),
            "template_syntax",
            vec![],
        ),
        (
            "unclosed element",
            "<mjml><mj-body><mj-section><mj-column><mj-text>Hi".into(),
            "template_unclosed",
            vec![("element", "mj-text")],
        ),
        (
            "include",
            "<mjml><mj-body><mj-include path=\"/etc/passwd\" /></mj-body></mjml>".into(),
            "template_include",
            vec![],
        ),
    ];
    for (what, source, code, params) in cases {
        let error = session.template_save("broken", &source).await.unwrap_err();
        assert_eq!(
            error.kind,
            tessera_engine::app::ErrorKind::Template,
            "{what}: {error:?}"
        );
        assert!(error.place.is_some(), "{what}: no place");
        let problem = error
            .problem
            .clone()
            .unwrap_or_else(|| panic!("{what}: {}", error.message));
        assert_eq!(problem.code, code, "{what}: {}", error.message);
        for (key, value) in params {
            assert_eq!(
                problem.params.get(key).map(String::as_str),
                Some(value),
                "{what}"
            );
        }
        assert_worded(&locales, what, &problem);
    }
}

/// Three customers share a shop's phone; their emails and customer numbers differ, so no import
/// merged them. The user merges the two who are one person (the survivor gains the other's keys,
/// events and gaps; a withdrawn consent stays withdrawn) and keeps the third apart for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn possible_duplicates_are_merged_or_kept_apart_by_the_user_and_segments_follow() {
    use tessera_engine::app::{DuplicateDecision, ErrorKind, ImportKind};
    let dir = tempfile::tempdir().unwrap();
    let session = crate::support::shop_session(
        dir.path(),
        "Customer No,email,Mobile No,first name,last name,city,email opt out\n\
         A1,ann@x.com,+86 138 0013 8000,丽,李,,no\n\
         A2,ann.work@x.com,+86 138 0013 8000,Li,Lee,Shanghai,yes\n\
         A3,cy@x.com,+86 138 0013 8000,Cy,Ng,Paris,no\n",
    )
    .await;
    let events = dir.path().join("orders.csv");
    std::fs::write(
        &events,
        "email,timestamp,type,value\nann.work@x.com,2026-05-01T12:00:00Z,purchase,30\n",
    )
    .unwrap();
    crate::support::import_as(&session, &events, ImportKind::Events)
        .await
        .unwrap();
    let id = |email: &'static str| {
        let session = &session;
        async move { session.customer_view(email).await.unwrap().id }
    };
    let (ann, work, cy) = (
        id("ann@x.com").await,
        id("ann.work@x.com").await,
        id("cy@x.com").await,
    );
    let pairs = session.possible_duplicates().await.unwrap();
    assert!(
        pairs
            .iter()
            .any(|p| (p.customer.id, p.other.id) == (ann.min(work), ann.max(work))),
        "{pairs:?}"
    );
    assert!(pairs.iter().all(|p| p.matched_on == "phone:+8613800138000"));
    let first = pairs.iter().find(|p| p.customer.id == ann).unwrap();
    assert_eq!(first.customer.name.as_deref(), Some("李丽"));
    assert_eq!(first.customer.customer_numbers, vec!["A1".to_string()]);
    assert_eq!(
        session.status().await.unwrap().possible_duplicates,
        pairs.len() as i64
    );
    let bought: Rule = serde_json::from_value(json!({"version": 1, "conditions": [
        {"type": "event", "event_type": "purchase", "compare": "gte", "value": 1}]}))
    .unwrap();
    let buyers = || async {
        session
            .segment_ids(&bought, clock_at(None).unwrap())
            .await
            .unwrap()
    };
    assert_eq!(buyers().await, vec![work]);

    session
        .decide_duplicate(ann, work, DuplicateDecision::Merge)
        .await
        .unwrap();
    let merged = session.customer_view("ann.work@x.com").await.unwrap();
    assert_eq!(merged.id, ann, "the other's email now finds the survivor");
    assert_eq!(
        merged.name.as_deref(),
        Some("李丽"),
        "the survivor keeps its name"
    );
    assert_eq!(
        merged.profile.attributes["city"], "Shanghai",
        "and gains what it lacked"
    );
    assert_eq!(
        merged.profile.consent.get("email"),
        Some(&false),
        "a withdrawn consent stays withdrawn"
    );
    assert!(
        merged.keys.contains(&"external:A2".to_string()),
        "{:?}",
        merged.keys
    );
    assert_eq!(merged.events.len(), 1);
    assert!(merged
        .merged_from
        .iter()
        .any(|m| m.customer_id == work && m.by_hand));
    assert_eq!(
        buyers().await,
        vec![ann],
        "the segment index follows the merge"
    );
    assert_eq!(session.status().await.unwrap().customers, 2);

    // Deciding a pair that is gone (a second window, a double click) changes nothing.
    let again = session
        .decide_duplicate(ann, work, DuplicateDecision::Merge)
        .await
        .unwrap_err();
    assert_eq!(again.kind, ErrorKind::NotFound, "{}", again.message);
    let same = session
        .decide_duplicate(ann, ann, DuplicateDecision::Merge)
        .await
        .unwrap_err();
    assert_eq!(same.kind, ErrorKind::InvalidInput);

    // Cy was kept apart from both; now from the survivor, once.
    let pairs = session.possible_duplicates().await.unwrap();
    assert_eq!(
        pairs
            .iter()
            .map(|p| (p.customer.id, p.other.id))
            .collect::<Vec<_>>(),
        vec![(ann.min(cy), ann.max(cy))]
    );
    session
        .decide_duplicate(cy, ann, DuplicateDecision::KeepApart)
        .await
        .unwrap();
    assert!(session.possible_duplicates().await.unwrap().is_empty());
    assert_eq!(session.status().await.unwrap().possible_duplicates, 0);
    // A later import finding the shared phone again does not propose them again.
    let again = dir.path().join("again.csv");
    std::fs::write(
        &again,
        "Customer No,email,Mobile No,city\nA3,cy@x.com,+86 138 0013 8000,Lyon\n",
    )
    .unwrap();
    crate::support::import_as(&session, &again, ImportKind::Customers)
        .await
        .unwrap();
    assert!(session.possible_duplicates().await.unwrap().is_empty());
    assert_eq!(session.status().await.unwrap().customers, 2);
}

/// Results attribute outcomes through the arms a run assigned: the workspace keeps them per run
/// (not only the render folder's manifest), the same as the plan and the manifest say, also for
/// the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_keeps_each_customers_arm_in_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let session = shop(dir.path()).await;
    session.campaign_save(&two_arms("Spring")).await.unwrap();
    let campaign = session.campaign("Spring").await.unwrap();
    let planned = session
        .campaign_plan(&campaign)
        .await
        .unwrap()
        .assignments();
    let out = dir.path().join("spring");
    session
        .campaign_render(render_request(campaign, &out))
        .await
        .unwrap();
    let run = session.campaign_runs(Some("Spring")).await.unwrap()[0].id;
    let stored = session.run_assignments("Spring", run).await.unwrap();
    assert_eq!(stored, planned);
    assert!(stored.iter().any(|a| a.arm.as_deref() == Some("holdout")));
    let manifest: tessera_engine::app::Manifest =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    for rendered in &manifest.rendered {
        let a = stored
            .iter()
            .find(|a| a.customer_id == rendered.customer_id)
            .unwrap();
        assert_eq!(a.arm.as_deref(), Some(rendered.arm.as_str()));
    }
    assert_eq!(
        manifest.rendered.len() + manifest.excluded.len(),
        stored.len()
    );
    let wrong = session.run_assignments("Other", run).await.unwrap_err();
    assert_eq!(wrong.kind, tessera_engine::app::ErrorKind::NotFound);

    let cli = tessera(session.path())
        .args([
            "campaign",
            "assign",
            "Spring",
            "--run",
            &run.to_string(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(printed["run"], run);
    assert_eq!(
        printed["assignments"],
        serde_json::to_value(&stored).unwrap()
    );
}

/// Every reason a row is rejected (or changed) is a problem the app words in both languages,
/// with the values it names; the English sentence stays for the CLI and the rejected-rows file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rejected_row_says_why_in_both_languages() {
    use tessera_engine::app::ImportKind;
    let dir = tempfile::tempdir().unwrap();
    let session = shop(dir.path()).await;
    let locales = locales();
    let customers = dir.path().join("bad-customers.csv");
    std::fs::write(
        &customers,
        "email,phone,unsubscribed,points\n\
         not-an-email,,,\n\
         ok1@x.com,12,,\n\
         ok2@x.com,,maybe,\n\
         ,,no,\n\
         ok3@x.com,,,\"unclosed\n\
         ok4@x.com,,,5,extra\n\
         ok5@x.com,,,lots\n\
         ok\u{7}6@x.com,,,\n",
    )
    .unwrap();
    let summary = crate::support::import_as(&session, &customers, ImportKind::Customers)
        .await
        .unwrap();
    let events = dir.path().join("bad-events.csv");
    std::fs::write(
        &events,
        "email,timestamp,type,value\n\
         c1@example.com,yesterday,purchase,1\n\
         c1@example.com,2999-01-01,purchase,1\n\
         c1@example.com,2026-01-01,purchase,lots\n\
         nobody@example.com,2026-01-01,purchase,1\n\
         c1@example.com,2026-01-01,,1\n",
    )
    .unwrap();
    let events = crate::support::import_as(&session, &events, ImportKind::Events)
        .await
        .unwrap();
    let mut codes = std::collections::BTreeSet::new();
    for row in summary
        .errors
        .iter()
        .chain(&summary.warnings)
        .chain(&events.errors)
    {
        assert_eq!(row.problem.field, "row");
        assert!(!row.reason.is_empty());
        assert_worded(&locales, &row.reason, &row.problem);
        codes.insert(row.problem.code.clone());
    }
    for code in [
        "row_invalid_email",
        "row_invalid_phone",
        "row_bad_flag",
        "row_no_key",
        "row_bad_number",
        "row_bad_date",
        "row_future_date",
        "row_no_customer",
        "row_no_event_type",
    ] {
        assert!(codes.contains(code), "{code} not met: {codes:?}");
    }
    let no_customer = events
        .errors
        .iter()
        .find(|r| r.problem.code == "row_no_customer")
        .unwrap();
    assert_eq!(
        no_customer.reason,
        "no customer with email 'nobody@example.com'"
    );
    assert_eq!(no_customer.problem.params["kind"], "email");
}
