//! The use-case layer as hosts use it: a session on a real workspace file, each action one call.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tessera_engine::app::{clock_at, Access, Campaign, RenderRequest, Rule, Session};

use crate::support::{http, tessera};

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
        .campaign_render(RenderRequest {
            campaign,
            out: out.clone(),
            strict: false,
            replace: false,
            sources: Default::default(),
            progress: &|_| {},
            cancel: Default::default(),
        })
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
                .campaign_render(RenderRequest {
                    campaign,
                    out: out.clone(),
                    strict: false,
                    replace: false,
                    sources: Default::default(),
                    progress: &|_| {},
                    cancel: Default::default(),
                })
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
    let locales: Vec<String> = ["en", "zh"]
        .iter()
        .map(|l| {
            std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("ui/src/locales/{l}.ts")),
            )
            .unwrap()
        })
        .collect();
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
            for locale in &locales {
                assert!(
                    locale.contains(&format!("    {code}: \"")),
                    "{what}: no words for {code}"
                );
                for param in problem.params.keys() {
                    let words = locale
                        .lines()
                        .find(|l| l.contains(&format!("    {code}: \"")))
                        .unwrap();
                    assert!(
                        words.contains(&format!("{{{{{param}}}}}")),
                        "{what}: {code} leaves out {param}"
                    );
                }
            }
        }
    }
    // Nothing invalid was saved.
    assert!(session.campaigns().await.unwrap().is_empty());
}
