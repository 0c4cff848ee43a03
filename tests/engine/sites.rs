//! Microsites as a campaign format and the server that hosts them, on real SQLite files and a
//! real HTTP port: personal URLs, the static site, HTML5 validity, no personal data in paths,
//! events of the right customer, refusals, and acknowledged submissions surviving a kill -9.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tessera_engine::serve::{ServeOptions, Server};
use tessera_engine::templates::store::install_starter_templates;

use crate::support::{http, tessera, walk, TestWorkspace};

const INVITE: &str = "<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{greeting_name}}</mj-text>\
    <mj-button href=\"{{microsite_url}}\">Open your offer</mj-button></mj-column></mj-section></mj-body></mjml>";

/// 王芳 (zh), Zoë Smith (en) and one who opted out of email (a row with no key is rejected).
pub(crate) async fn shop() -> TestWorkspace {
    let t = TestWorkspace::new().await;
    let csv = "email,first_name,last_name,locale,unsubscribed,city,points,loyalty_tier\n\
        wang.fang@example.cn,芳,王,zh-CN,0,上海,12480,gold\nzoe@example.com,Zoë,Smith,en-GB,,London,,\n\
        out@example.com,Opted,Out,en-US,1,,,\n,No,Address,en-US,,,,\n";
    t.customers(&t.file("c.csv", csv)).await;
    install_starter_templates(&t.ws.pool).await.unwrap();
    t.template("invite", INVITE).await;
    t
}

pub(crate) fn campaign(name: &str) -> String {
    format!(
        r#"{{"version": 1, "name": "{name}", "audience": {{"all": true}},
            "variants": [{{"name": "A", "email": "invite", "microsite": {{"en": "offer-en", "zh": "offer-zh"}}}}],
            "email_settings": {{"files": "html"}},
            "microsite_settings": {{"base_url": "https://offers.example.com/s"}}}}"#
    )
}

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

/// Customer id → slug, from the manifest.
pub(crate) fn slugs(out: &Path) -> Vec<(i64, String)> {
    manifest(out)["rendered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["customer_id"].as_i64().unwrap(),
                r["slug"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The HTML5 parse errors of a page (html5ever, the parser browsers' algorithm is written in).
fn html5_errors(html: &str) -> Vec<String> {
    use html5ever::tendril::TendrilSink;
    let dom = html5ever::parse_document(markup5ever_rcdom::RcDom::default(), Default::default())
        .one(html);
    let errors = dom.errors.borrow().iter().map(|e| e.to_string()).collect();
    errors
}

#[tokio::test]
async fn each_customer_gets_a_personal_site_their_email_links_to_and_no_path_says_who() {
    let t = shop().await;
    let out = t.dir.path().join("out");
    let summary = t.render(&campaign("spring"), &out).await.unwrap();
    assert_eq!(summary.rendered, 2, "{summary:?}");
    let site = out.join("site");
    assert_eq!(
        std::fs::read_to_string(site.join("robots.txt")).unwrap(),
        "User-agent: *\nDisallow: /\n"
    );
    assert!(site.join("404.html").is_file());
    let slugs = slugs(&out);
    assert_eq!(
        slugs.len(),
        2,
        "the one who opted out of the email gets no site either"
    );
    for (id, slug) in &slugs {
        assert_eq!(slug.len(), 24, "96 bits in hex");
        let email = std::fs::read_to_string(out.join(format!("{id}.html"))).unwrap();
        assert!(
            email.contains(&format!("https://offers.example.com/s/{slug}/")),
            "the email links to the customer's own site"
        );
    }
    let (wang, zoe) = (&slugs[0].1, &slugs[1].1);
    let wang_page = std::fs::read_to_string(site.join(wang).join("index.html")).unwrap();
    assert!(
        wang_page.contains("<html lang=\"zh-CN\">") && wang_page.contains("王芳，这份优惠专属于您")
    );
    let zoe_page = std::fs::read_to_string(site.join(zoe).join("index.html")).unwrap();
    assert!(zoe_page.contains("Zoë, this offer is yours"));
    // Shared assets once, by content hash, and the hero image in several widths.
    let assets: Vec<String> = std::fs::read_dir(site.join("assets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(assets
        .iter()
        .any(|a| a.starts_with("hero-480w.") && a.ends_with(".png")));
    assert!(zoe_page.contains("srcset=\"../assets/hero-480w."));
    for asset in &assets {
        let path = format!("../assets/{asset}");
        assert!(
            !asset.starts_with("style.") || zoe_page.contains(&path) || wang_page.contains(&path),
            "the page links its style sheet by hashed name"
        );
    }
    // The call to action forwards through the customer's own folder.
    assert!(zoe_page.contains("href=\"go/offer.html\""));
    let forward = std::fs::read_to_string(site.join(zoe).join("go/offer.html")).unwrap();
    assert!(forward.contains("url=https://shop.example/offer") && forward.contains("no-referrer"));
    // Every page parses as HTML5 without errors (the check does see them); no path names anyone.
    assert!(!html5_errors("<!DOCTYPE html><p>a</div>").is_empty());
    for file in walk(&site) {
        let relative = file
            .strip_prefix(&site)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for personal in ["wang", "zoe", "Smith", "王", "芳", "@", "example"] {
            assert!(!relative.contains(personal), "{relative}");
        }
        for part in relative.split('/') {
            assert!(part.parse::<i64>().is_err(), "an id in {relative}");
        }
        if relative.ends_with(".html") {
            let html = std::fs::read_to_string(&file).unwrap();
            assert_eq!(html5_errors(&html), Vec::<String>::new(), "{relative}");
        }
    }
    // The same campaign keeps its addresses; another campaign gets others.
    let again = t.dir.path().join("again");
    t.render(&campaign("spring"), &again).await.unwrap();
    assert_eq!(crate::sites::slugs(&again), slugs);
    let renamed = t.dir.path().join("renamed");
    let document =
        campaign("spring, renamed").replace(r#""audience""#, r#""seed": "spring", "audience""#);
    t.render(&document, &renamed).await.unwrap();
    assert_eq!(
        crate::sites::slugs(&renamed),
        slugs,
        "a renamed campaign with its seed keeps them"
    );
    let other = t.dir.path().join("other");
    t.render(&campaign("autumn"), &other).await.unwrap();
    assert!(crate::sites::slugs(&other)
        .iter()
        .all(|(_, s)| slugs.iter().all(|(_, mine)| mine != s)));
}

#[tokio::test]
async fn a_customer_previewed_in_a_campaign_gets_what_the_render_gives_them() {
    let t = shop().await;
    let session = tessera_engine::app::Session::open(
        &t.dir.path().join("workspace.sqlite"),
        tessera_engine::app::Access::Existing,
    )
    .await
    .unwrap();
    // Sites alone (no email): the one who opted out of email still gets their site; with an
    // email, they get nothing.
    let sites_only = r#"{"version": 1, "name": "sites", "audience": {"all": true},
        "variants": [{"name": "A", "microsite": {"en": "offer-en", "zh": "offer-zh"}}],
        "microsite_settings": {"base_url": "https://offers.example.com/s"}}"#;
    for document in [sites_only.to_string(), campaign("with email")] {
        let out = t.dir.path().join(format!("out-{}", document.len()));
        t.render(&document, &out).await.unwrap();
        let manifest = manifest(&out);
        let rendered: Vec<i64> = manifest["rendered"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["customer_id"].as_i64().unwrap())
            .collect();
        let excluded: Vec<(i64, String)> = manifest["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["customer_id"].as_i64().unwrap(),
                    e["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let parsed = tessera_engine::app::Campaign::parse(&document).unwrap();
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM customers ORDER BY id")
            .fetch_all(&t.ws.pool)
            .await
            .unwrap();
        for id in ids {
            let preview = session.campaign_preview(&parsed, id).await.unwrap();
            let reason = preview.excluded.map(|e| {
                serde_json::to_value(e)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            });
            match excluded.iter().find(|(e, _)| *e == id) {
                Some((_, why)) => assert_eq!(reason.as_deref(), Some(why.as_str()), "{id}"),
                None => {
                    assert!(rendered.contains(&id), "{id}");
                    assert_eq!((preview.arm.as_deref(), reason), (Some("A"), None), "{id}");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_customers_profile_lists_the_campaigns_they_received_with_their_own_site() {
    let t = shop().await;
    let out = t.dir.path().join("out");
    t.render(&campaign("spring"), &out).await.unwrap();
    let email_only = r#"{"version": 1, "name": "news", "audience": {"all": true},
        "variants": [{"name": "A", "email": "invite"}], "email_settings": {"files": "html"}}"#;
    t.render(email_only, &t.dir.path().join("news"))
        .await
        .unwrap();
    let session = tessera_engine::app::Session::open(
        &t.dir.path().join("workspace.sqlite"),
        tessera_engine::app::Access::Existing,
    )
    .await
    .unwrap();
    for (id, slug) in slugs(&out) {
        let received = session.customer_profile(id).await.unwrap().received;
        let names: Vec<&str> = received.iter().map(|r| r.campaign.as_str()).collect();
        assert_eq!(names, ["news", "spring"], "newest first");
        assert_eq!(
            received[0].site_url, None,
            "an email-only campaign gave no site"
        );
        assert_eq!(
            received[1].site_url.as_deref(),
            Some(format!("https://offers.example.com/s/{slug}/").as_str()),
            "the address their email linked to"
        );
        assert_eq!(received[1].arm, "A");
        assert_eq!(
            received[1].formats,
            [
                tessera_engine::app::FormatKind::Email,
                tessera_engine::app::FormatKind::Microsite
            ]
        );
        assert_eq!(received[1].video_url, None);
    }
    // The one who opted out of email was rendered into nothing.
    let out_id: i64 =
        sqlx::query_scalar("SELECT id FROM customers WHERE email = 'out@example.com'")
            .fetch_one(&t.ws.pool)
            .await
            .unwrap();
    assert!(session
        .customer_profile(out_id)
        .await
        .unwrap()
        .received
        .is_empty());
}

pub(crate) async fn events_of(t: &TestWorkspace, kind: &str) -> Vec<(i64, Value)> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT customer_id, properties FROM events WHERE type = ? ORDER BY id")
            .bind(kind)
            .fetch_all(&t.ws.pool)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(id, p)| (id, serde_json::from_str(&p).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_records_visits_clicks_and_forms_as_the_customers_events_and_refuses_the_rest() {
    let t = shop().await;
    let out = t.dir.path().join("out");
    t.render(&campaign("spring"), &out).await.unwrap();
    let slugs = slugs(&out);
    let (wang_id, wang) = slugs[0].clone();
    let (zoe_id, zoe) = slugs[1].clone();
    let mut options = ServeOptions::new(out.join("site"));
    options.listen = "127.0.0.1:0".parse().unwrap();
    options.rate = 1000;
    options.burst = 1000;
    let server = Server::start(&t.ws, options).await.unwrap();
    let at = server.address();
    assert!(at.ip().is_loopback());
    let ask = move |method: &'static str, path: String, body: Vec<u8>| {
        tokio::task::spawn_blocking(move || http(at, method, &path, &body))
    };

    let (status, head, body) = ask("GET", format!("/{zoe}/"), vec![]).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("Zoë, this offer is yours"));
    for header in [
        "referrer-policy: no-referrer",
        "x-content-type-options: nosniff",
        "content-security-policy: default-src 'self'",
        "x-robots-tag: noindex",
    ] {
        assert!(head.contains(header), "{header} in {head}");
    }
    let (status, head, _) = ask("GET", format!("/{zoe}"), vec![]).await.unwrap();
    assert_eq!(status, 308);
    assert!(head.contains(&format!("location: /{zoe}/")));
    assert_eq!(
        ask("GET", format!("/{wang}/preferences.html"), vec![])
            .await
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        ask("GET", format!("/{wang}/go/offer.html"), vec![])
            .await
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        ask("GET", "/robots.txt".into(), vec![]).await.unwrap().0,
        200
    );

    // Misses, traversal and strangers' slugs all get the same 404.
    let (_, _, not_found) = ask("GET", "/nothing.html".into(), vec![]).await.unwrap();
    for path in [
        "/".to_string(),
        "/../manifest.json".into(),
        "/%2e%2e/manifest.json".into(),
        "/assets/".into(),
        "/.tessera-output.json".into(),
        format!("/{zoe}/../../manifest.json"),
        format!("/{zoe}/%2e%2e/%2e%2e/manifest.json"),
        "/0123456789abcdef01234567/".into(),
        format!("/{}/", &zoe[..23]),
    ] {
        let (status, _, body) = ask("GET", path.clone(), vec![]).await.unwrap();
        assert_eq!((status, body == not_found), (404, true), "{path}");
    }

    // Other methods, posts to pages, and huge or strange paths are refused without harm.
    assert_eq!(
        ask("PUT", format!("/{zoe}/index.html"), b"x".to_vec())
            .await
            .unwrap()
            .0,
        405
    );
    assert_eq!(
        ask("POST", format!("/{zoe}/index.html"), b"x".to_vec())
            .await
            .unwrap()
            .0,
        404
    );
    let (status, _, body) = ask("HEAD", format!("/{zoe}/"), vec![]).await.unwrap();
    assert_eq!((status, body.as_str()), (200, ""));
    for path in [
        format!("/{}", "a/".repeat(20_000)),
        "/%00".into(),
        "/\u{1F600}".into(),
    ] {
        let status = ask("GET", path.clone(), vec![]).await.unwrap().0;
        assert!(
            (400..500).contains(&status),
            "{status} for {}…",
            &path[..10.min(path.len())]
        );
    }

    // Forms: declared fields only, valid values, bounded bodies; the honeypot is dropped.
    let form = format!("/{wang}/form/preferences");
    let (status, _, body) = ask(
        "POST",
        form.clone(),
        b"frequency=weekly&password=x".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(status, 422);
    // In the site's language: 王芳's is Chinese, Zoë's English.
    assert!(
        body.contains("<html lang=\"zh\">") && body.contains("“password”不是此表单的字段。"),
        "{body}"
    );
    let (status, _, body) = ask(
        "POST",
        format!("/{zoe}/form/preferences"),
        b"frequency=weekly&password=x".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(status, 422);
    assert!(
        body.contains("'password' is not a field of this form"),
        "{body}"
    );
    assert_eq!(
        ask("POST", form.clone(), b"frequency=daily".to_vec())
            .await
            .unwrap()
            .0,
        422
    );
    assert_eq!(
        ask("POST", form.clone(), b"topics=tea".to_vec())
            .await
            .unwrap()
            .0,
        422
    );
    assert_eq!(
        ask("POST", form.clone(), vec![b'a'; 200_000])
            .await
            .unwrap()
            .0,
        413
    );
    assert_eq!(
        ask("POST", format!("/{wang}/form/other"), b"a=b".to_vec())
            .await
            .unwrap()
            .0,
        404
    );
    let (status, _, _) = ask(
        "POST",
        form.clone(),
        b"frequency=weekly&_hp=http%3A%2F%2Fspam".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "a bot is thanked, and nothing is recorded");
    let (status, _, body) = ask(
        "POST",
        form.clone(),
        b"topics=tea&topics=coffee&frequency=monthly&consent_email=yes&_hp=".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("谢谢"), "thanked in the site's language");

    let counts = server.stop().await.unwrap();
    assert_eq!(
        (counts.visits, counts.clicks, counts.submissions),
        (2, 1, 1)
    );
    let visits = events_of(&t, "microsite_visit").await;
    assert_eq!(
        visits
            .iter()
            .map(|(id, p)| (*id, p["page"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        [(zoe_id, "index.html"), (wang_id, "preferences.html")]
    );
    assert_eq!(visits[0].1["campaign"], "spring");
    assert_eq!(visits[0].1["arm"], "A");
    let clicks = events_of(&t, "microsite_click").await;
    assert_eq!(clicks.len(), 1);
    assert_eq!(
        (clicks[0].0, clicks[0].1["call_to_action"].as_str()),
        (wang_id, Some("offer"))
    );
    let submissions = events_of(&t, "form_submission").await;
    assert_eq!(submissions.len(), 1);
    assert_eq!(submissions[0].0, wang_id);
    assert_eq!(
        submissions[0].1["fields"],
        serde_json::json!({"topics": ["tea", "coffee"], "frequency": "monthly", "consent_email": true})
    );
    let granted: i64 = sqlx::query_scalar(
        "SELECT granted FROM customer_consent WHERE customer_id = ? AND channel = 'email'",
    )
    .bind(wang_id)
    .fetch_one(&t.ws.pool)
    .await
    .unwrap();
    assert_eq!(granted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_client_is_slowed_down() {
    let t = shop().await;
    let out = t.dir.path().join("out");
    t.render(&campaign("spring"), &out).await.unwrap();
    let mut options = ServeOptions::new(out.join("site"));
    options.listen = "127.0.0.1:0".parse().unwrap();
    options.rate = 5;
    options.burst = 10;
    let server = Server::start(&t.ws, options).await.unwrap();
    let at = server.address();
    let statuses = tokio::task::spawn_blocking(move || {
        (0..40)
            .map(|_| http(at, "GET", "/robots.txt", b"").0)
            .collect::<Vec<u16>>()
    })
    .await
    .unwrap();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(statuses[..10].iter().all(|s| *s == 200), "{statuses:?}");
    assert!(refused >= 20, "{statuses:?}");
    server.stop().await.unwrap();
}

#[test]
fn every_acknowledged_submission_survives_a_kill_9() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (t, out) = rt.block_on(async {
        let t = shop().await;
        let out = t.dir.path().join("out");
        t.render(&campaign("spring"), &out).await.unwrap();
        (t, out)
    });
    let db = t.dir.path().join("workspace.sqlite");
    let (_, slug) = slugs(&out)[1].clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = tessera(&db)
        .args(["serve", "--site"])
        .arg(out.join("site"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--rate", "0"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let at: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = std::time::Instant::now();
    while TcpStream::connect(at).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Two clients submit as fast as they can; the server is killed while they do.
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let slug = slug.clone();
            std::thread::spawn(move || {
                let mut acknowledged = 0;
                loop {
                    let (status, _, _) = http(
                        at,
                        "POST",
                        &format!("/{slug}/form/preferences"),
                        b"frequency=weekly",
                    );
                    match status {
                        200 => acknowledged += 1,
                        _ => return acknowledged,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.kill().unwrap();
    server.wait().unwrap();
    let acknowledged: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    assert!(
        acknowledged > 20,
        "only {acknowledged} submissions before the kill"
    );
    let kept = rt.block_on(events_of(&t, "form_submission")).len() as u64;
    assert!(
        kept >= acknowledged,
        "{acknowledged} acknowledged, {kept} kept"
    );
}

#[test]
fn render_microsite_reports_missing_fields_per_page_and_keeps_the_manifest_beside_the_site() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = rt.block_on(shop());
    let db = t.dir.path().join("workspace.sqlite");
    let folder = t.dir.path().join("points-site");
    let starter = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/microsite/offer-en");
    for file in walk(&starter) {
        let to = folder.join(file.strip_prefix(&starter).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&file, to).unwrap();
    }
    let page = folder.join("preferences.html");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        format!("<p>{{{{loyalty_points}}}} points</p>\n{text}"),
    )
    .unwrap();
    let out = t.dir.path().join("out");
    let strict = tessera(&db)
        .args(["render", "microsite", "--all", "--strict", "--template"])
        .arg(&folder)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&strict.stderr);
    assert!(!strict.status.success());
    assert!(
        said.contains("'loyalty_points' in points-site/preferences.html (line 1, column 4) is empty for 3 of 3 customers"),
        "{said}"
    );
    let done = tessera(&db)
        .args([
            "render",
            "microsite",
            "--all",
            "--json",
            "--template",
            "offer-zh",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let summary: Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(
        summary["rendered"], 3,
        "a site for everyone, no email to follow"
    );
    assert!(out.join("manifest.json").is_file() && !out.join("site/manifest.json").exists());
}

#[tokio::test]
async fn the_campaign_preview_links_to_the_same_personal_site_the_render_writes() {
    let t = shop().await;
    let out = t.dir.path().join("out");
    t.render(&campaign("spring"), &out).await.unwrap();
    let (zoe_id, zoe) = slugs(&out)[1].clone();
    let preview = tessera_engine::campaigns::preview::preview_customer(
        &t.ws.pool,
        &tessera_engine::campaigns::Campaign::parse(&campaign("spring")).unwrap(),
        zoe_id,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let html = preview.email.expect("Zoë gets the email").html;
    assert!(html.contains(&format!("https://offers.example.com/s/{zoe}/")));
}

#[tokio::test]
async fn the_loyalty_starter_shows_points_and_tier_on_valid_pages_in_both_languages() {
    let t = shop().await;
    let out = t.dir.path().join("out");
    let document = campaign("club").replace(
        r#"{"en": "offer-en", "zh": "offer-zh"}"#,
        r#"{"en": "loyalty-en", "zh": "loyalty-zh"}"#,
    );
    t.render(&document, &out).await.unwrap();
    let slugs = slugs(&out);
    let site = out.join("site");
    let wang = std::fs::read_to_string(site.join(&slugs[0].1).join("index.html")).unwrap();
    assert!(wang.contains("王芳，这是您的会员账户"), "{wang}");
    assert!(
        wang.contains("12,480 积分") && wang.contains("黄金"),
        "{wang}"
    );
    let zoe = std::fs::read_to_string(site.join(&slugs[1].1).join("picks.html")).unwrap();
    assert!(zoe.contains(r#"<a href="picks.html" aria-current="page">Picked for you</a>"#));
    for file in walk(&site)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html"))
    {
        let html = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            html5_errors(&html),
            Vec::<String>::new(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn the_embedded_starter_sites_are_their_folders_whole() {
    use tessera_engine::microsites::files::SiteFiles;
    use tessera_engine::templates::store::{starter_site_files, STARTER_SITES};
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/microsite");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut embedded: Vec<String> = STARTER_SITES.iter().map(|(n, _)| n.to_string()).collect();
    embedded.sort();
    assert_eq!(names, embedded, "every starter folder is installed");
    for (name, files) in STARTER_SITES {
        assert_eq!(
            starter_site_files(files),
            SiteFiles::read_folder(&folder.join(name)).unwrap(),
            "{name}: a file of the folder is missing from the embedded starter"
        );
    }
}

/// A short branching storyboard: a greeting with a choice, two endings.
fn small_storyboard(folder: &Path) {
    let doc = serde_json::json!({"format": 1, "name": "Hi", "canvas": {"width": 320, "height": 180, "fps": 10}, "start": "hi",
    "chapters": [{"title": "Start", "scene": "hi"}],
    "scenes": [
        {"id": "hi", "duration": 1, "layers": [{"id": "name", "type": "text", "text": "{{greeting_name}}", "box": {"x": 10, "y": 10, "width": 300, "height": 60}, "style": {"size": 32}}],
         "choices": [{"label": "Yes", "scene": "yes", "default": true}, {"label": "No", "scene": "no"}]},
        {"id": "yes", "duration": 1, "call_to_action": {"label": "Shop", "url": "https://shop.example"}},
        {"id": "no", "duration": 1}
    ]});
    std::fs::create_dir_all(folder).unwrap();
    std::fs::write(folder.join("storyboard.json"), doc.to_string()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_video_player_records_what_the_viewer_does_and_the_email_links_to_it() {
    let t = shop().await;
    small_storyboard(&t.dir.path().join("hi"));
    let added = tessera(&t.dir.path().join("workspace.sqlite"))
        .args(["template", "add", "hi"])
        .arg(t.dir.path().join("hi"))
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    t.template(
        "teaser",
        "<mjml><mj-body><mj-section><mj-column><mj-image src=\"{{video_thumbnail_url}}\" href=\"{{video_url}}\" alt=\"Your video\" />\
         </mj-column></mj-section></mj-body></mjml>",
    )
    .await;
    let out = t.dir.path().join("out");
    t.render(
        r#"{"version": 1, "name": "teaser", "audience": {"all": true},
            "variants": [{"name": "A", "email": "teaser", "video": "hi"}],
            "email_settings": {"files": "html"}, "video_settings": {"formats": "gif,player"},
            "microsite_settings": {"base_url": "https://v.example.com/s"}}"#,
        &out,
    )
    .await
    .unwrap();
    let slugs = slugs(&out);
    let (customer, slug) = slugs[0].clone();
    // The email shows the customer's thumbnail, linking to their player.
    let files = manifest(&out)["rendered"][0]["files"].clone();
    let email_file = files
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["format"] == "email")
        .expect("the customer's email")["file"]
        .as_str()
        .unwrap()
        .to_string();
    let email = std::fs::read_to_string(out.join(email_file)).unwrap();
    assert!(
        email.contains(&format!(
            "https://v.example.com/s/{slug}/video/thumbnail.gif"
        )),
        "{email}"
    );
    assert!(
        email.contains(&format!("href=\"https://v.example.com/s/{slug}/video/\"")),
        "{email}"
    );
    assert!(out
        .join(format!("site/{slug}/video/thumbnail.gif"))
        .is_file());
    // A run with players and no sites is one the app offers to serve.
    let runs = tessera_engine::campaigns::store::list_runs(&t.ws.pool, Some("teaser"))
        .await
        .unwrap();
    assert!(runs[0].sites);
    // Their profile links to their player (and to no site: the campaign gave them none).
    let session = tessera_engine::app::Session::open(
        &t.dir.path().join("workspace.sqlite"),
        tessera_engine::app::Access::Existing,
    )
    .await
    .unwrap();
    let received = session.customer_profile(customer).await.unwrap().received;
    assert_eq!(
        received[0].video_url.as_deref(),
        Some(format!("https://v.example.com/s/{slug}/video/").as_str())
    );
    assert_eq!(received[0].site_url, None);

    let mut options = ServeOptions::new(out.join("site"));
    options.listen = "127.0.0.1:0".parse().unwrap();
    let server = Server::start(&t.ws, options).await.unwrap();
    let at = server.address();
    let ask = move |method: &'static str, path: String, body: &'static str| {
        tokio::task::spawn_blocking(move || http(at, method, &path, body.as_bytes()))
    };
    let (status, head, _) = ask("GET", format!("/{slug}/video"), "").await.unwrap();
    assert_eq!(status, 308);
    assert!(
        head.contains(&format!("location: /{slug}/video/")),
        "{head}"
    );
    let (status, _, page) = ask("GET", format!("/{slug}/video/"), "").await.unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("<script src=\"player.js\"></script>"));
    let (status, head, _) = ask("GET", format!("/{slug}/video/scenes/yes.mp4"), "")
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(head.contains("content-type: video/mp4"), "{head}");
    let event = |body: &'static str| ask("POST", format!("/{slug}/video/event"), body);
    assert_eq!(event("kind=play&scene=hi").await.unwrap().0, 204);
    assert_eq!(
        event("kind=choice&scene=hi&target=no").await.unwrap().0,
        204
    );
    assert_eq!(event("kind=complete&scene=no").await.unwrap().0, 204);
    // Kinds the player does not send, scenes it does not have, and strangers are refused.
    for body in [
        "kind=delete&scene=hi",
        "kind=choice&scene=nowhere",
        "kind=choice&scene=hi&target=../x",
        "scene=hi",
    ] {
        assert_eq!(event(body).await.unwrap().0, 422, "{body}");
    }
    assert_eq!(
        ask(
            "POST",
            "/0123456789abcdef01234567/video/event".into(),
            "kind=play&scene=hi"
        )
        .await
        .unwrap()
        .0,
        404
    );
    let counts = server.stop().await.unwrap();
    assert_eq!(counts.video_events, 3);
    let choices = events_of(&t, "video_choice").await;
    assert_eq!(choices.len(), 1);
    assert_eq!(choices[0].0, customer);
    assert_eq!(choices[0].1["scene"], "hi");
    assert_eq!(choices[0].1["target"], "no");
    assert_eq!(choices[0].1["arm"], "A");
    assert_eq!(choices[0].1["campaign"], "teaser");
    assert_eq!(events_of(&t, "video_play").await.len(), 1);
    assert_eq!(events_of(&t, "video_complete").await.len(), 1);
}
