//! The attacks of a hostile or careless user that once got through (issue 9), each kept as a
//! test: header injection, raw customer HTML, terminal escapes, files overwritten that were not
//! ours, crashes and hangs from deep or large input, and imports that split a person.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};
use tessera_engine::customers::{import_customers, import_events, ImportOptions};
use tessera_engine::render::{load_contexts, Selection};
use tessera_engine::segments::store::{load_catalog, save_segment};
use tessera_engine::segments::{count, Clock, Rule, SegmentIndex};
use tessera_engine::templates::compile_email;

use crate::support::{header_names, tessera, SmallDisk, TestWorkspace, MAIL_HEADERS};

const WELCOME: &str = include_str!("../../templates/email/welcome-en.mjml");

fn clock() -> Clock {
    Clock {
        now: chrono::Utc::now(),
    }
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn failed(output: Output) -> String {
    assert!(!output.status.success(), "expected a failure");
    String::from_utf8(output.stderr).unwrap()
}

/// A workspace file with `csv` imported as customers and the welcome template saved as `w`.
fn cli_workspace(dir: &Path, csv: &str) -> PathBuf {
    let db = dir.join("h.sqlite");
    let file = dir.join("h.csv");
    std::fs::write(&file, csv).unwrap();
    ok(tessera(&db)
        .args(["import", "customers"])
        .arg(&file)
        .output()
        .unwrap());
    let template = dir.join("w.mjml");
    std::fs::write(&template, WELCOME).unwrap();
    ok(tessera(&db)
        .args(["template", "add", "w"])
        .arg(&template)
        .output()
        .unwrap());
    db
}

fn render_eml(db: &Path, out: &Path, extra: &[&str]) -> Output {
    tessera(db)
        .args([
            "render",
            "email",
            "--template",
            "w",
            "--all",
            "--format",
            "eml",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn line_breaks_in_customer_data_never_become_mail_headers() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["\"Evil\r\nBcc: x@evil.com\"", "\"Evil\nBcc: x@evil.com\""] {
        let db = cli_workspace(
            dir.path(),
            &format!("email,first_name\nv@example.com,{name}\n"),
        );
        let out = dir.path().join("o");
        ok(render_eml(&db, &out, &[]));
        let eml = std::fs::read(out.join("1.eml")).unwrap();
        assert_eq!(header_names(&eml), MAIL_HEADERS, "{name:?}");
        let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
        assert!(message.bcc().is_none());
        let to = message.to().unwrap().first().unwrap();
        assert_eq!(to.name(), Some("Evil Bcc: x@evil.com"));
        assert_eq!(to.address(), Some("v@example.com"));
        std::fs::remove_file(&db).unwrap();
    }
}

#[test]
fn sender_and_unsubscribe_options_with_line_breaks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_workspace(dir.path(), "email,first_name\nv@example.com,Ann\n");
    let out = dir.path().join("o");
    let from = failed(render_eml(
        &db,
        &out,
        &["--from", "a@b.com\r\nBcc: x@evil.com"],
    ));
    assert!(
        from.contains("--from") && from.contains("not an email address"),
        "{from}"
    );
    let link = failed(render_eml(
        &db,
        &out,
        &["--unsubscribe", "https://x.com/u\r\nBcc: x@evil.com"],
    ));
    assert!(link.contains("--unsubscribe"), "{link}");
    assert!(!out.exists(), "nothing was rendered");
}

#[test]
fn template_and_segment_names_get_the_engine_check_in_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_workspace(dir.path(), "email\nv@example.com\n");
    let template = dir.path().join("w.mjml");
    let rule = dir.path().join("r.json");
    std::fs::write(&rule, r#"{"version": 1, "conditions": []}"#).unwrap();
    let long = "x".repeat(100_000);
    for name in ["", "   ", long.as_str(), "../../etc/x", "a\r\nb"] {
        let t = failed(
            tessera(&db)
                .args(["template", "add", name])
                .arg(&template)
                .output()
                .unwrap(),
        );
        assert!(t.contains("template"), "{t}");
        let s = failed(
            tessera(&db)
                .args(["segment", "save", name])
                .arg(&rule)
                .output()
                .unwrap(),
        );
        assert!(s.contains("segment"), "{s}");
    }
    // Nothing of the refused names got in: 'w' and the starters every new workspace has.
    let listed = ok(tessera(&db).args(["template", "list"]).output().unwrap());
    let names: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert!(names.contains(&"w"), "{listed}");
    assert!(
        names.iter().all(|n| !n.is_empty()
            && !n.contains('/')
            && !n.starts_with("xx")
            && !n.contains('\r')),
        "{listed}"
    );
}

#[test]
fn raw_customer_html_is_warned_about_and_unsafe_links_are_neutralized() {
    let source = "<mjml><mj-body><mj-section><mj-column>\
        <mj-text>Hi {{{first_name}}} {{&first_name}} {{{default \"\" \"<b>literal</b>\"}}}</mj-text>\
        <mj-button href=\"{{website}}\">Visit</mj-button>\
        <mj-text><a href=\"https://shop.example/?u={{website}}\">shop</a></mj-text>\
        </mj-column></mj-section></mj-body></mjml>";
    let template = compile_email(source).unwrap();
    let raw: Vec<&String> = template
        .warnings
        .iter()
        .filter(|w| w.contains("raw HTML"))
        .collect();
    assert_eq!(raw.len(), 2, "both forms, not the literal: {raw:?}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let t = TestWorkspace::new().await;
        let csv = "email,first_name,website\nv@example.com,\"<img src=x onerror=alert(1)>\",javascript:alert(4)\nw@example.com,Ann,https://ann.example/\n";
        t.customers(&t.file("c.csv", csv)).await;
        t.template("raw", source).await;
        let out = t.dir.path().join("out");
        let summary = t
            .render(r#"{"version": 1, "name": "raw", "audience": {"all": true}, "variants": [{"name": "A", "email": "raw"}], "email_settings": {"files": "html"}}"#, &out)
            .await
            .unwrap();
        let first = std::fs::read_to_string(out.join("1.html")).unwrap();
        assert!(!first.contains("href=\"javascript"), "no script link");
        assert!(first.contains("href=\"#\""));
        assert!(first.contains("?u=javascript:alert(4)"), "a query value is inert");
        let second = std::fs::read_to_string(out.join("2.html")).unwrap();
        assert!(second.contains("href=\"https://ann.example/\""));
        assert_eq!(summary.unsafe_links.len(), 1, "{:?}", summary.unsafe_links);
        assert_eq!(
            (summary.unsafe_links[0].field.as_str(), summary.unsafe_links[0].customers),
            ("website", 1)
        );
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("raw.mjml");
    std::fs::write(&file, source).unwrap();
    let checked = ok(tessera(&dir.path().join("none.sqlite"))
        .args(["template", "check"])
        .arg(&file)
        .output()
        .unwrap());
    assert!(checked.contains("raw HTML"), "{checked}");
}

#[test]
fn terminal_escapes_from_data_are_shown_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.sqlite");
    let people = dir.path().join("e.json");
    std::fs::write(
        &people,
        r#"[{"email": "e@x.com", "first_name": "A\u001b]0;pwned\u0007", "note": {"x": "\u001b[2J"}}]"#,
    )
    .unwrap();
    ok(tessera(&db)
        .args(["import", "customers"])
        .arg(&people)
        .output()
        .unwrap());
    let shown = ok(tessera(&db)
        .args(["customers", "show", "e@x.com"])
        .output()
        .unwrap());
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "email\n\"bad\u{1b}[31m@x\"\n").unwrap();
    let report = ok(tessera(&db)
        .args(["import", "customers"])
        .arg(&bad)
        .output()
        .unwrap());
    assert!(report.contains("\\u{001b}[31m"), "{report:?}");
    assert!(!report.contains('\u{1b}'));
}

#[test]
fn an_export_never_replaces_a_workspace_or_an_existing_file_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_workspace(dir.path(), "email\nv@example.com\n");
    let rule = dir.path().join("all.json");
    std::fs::write(&rule, r#"{"version": 1, "conditions": []}"#).unwrap();
    let export = |out: &Path, force: bool| {
        let mut c = tessera(&db);
        c.args(["segment", "export"])
            .arg(&rule)
            .arg("--out")
            .arg(out);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    for force in [false, true] {
        let err = failed(export(&db, force));
        assert!(err.contains("is a Tessera workspace file"), "{err}");
    }
    let copy = dir.path().join("copy.sqlite");
    std::fs::copy(&db, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    failed(export(&copy, true));
    assert!(
        std::fs::read(&copy).unwrap() == before,
        "another workspace is never replaced"
    );
    let status = ok(tessera(&db).args(["status", "--json"]).output().unwrap());
    assert!(status.contains("\"customers\":1"), "{status}");

    let list = dir.path().join("list.csv");
    std::fs::write(&list, "mine").unwrap();
    let err = failed(export(&list, false));
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&list).unwrap(), "mine");
    ok(export(&list, true));
    assert!(std::fs::read_to_string(&list)
        .unwrap()
        .starts_with("id,email"));
}

#[test]
fn a_render_owns_its_folder_and_replaces_its_previous_run_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_workspace(
        dir.path(),
        "email,first_name,unsubscribed\na@example.com,Ann,no\nb@example.com,Bob,no\n",
    );
    let out = dir.path().join("o");
    ok(render_eml(&db, &out, &[]));
    assert!(out.join("2.eml").exists());
    // Bob opts out; the next run into the same folder leaves nothing of his.
    let optout = dir.path().join("optout.csv");
    std::fs::write(&optout, "email,unsubscribed\nb@example.com,yes\n").unwrap();
    ok(tessera(&db)
        .args(["import", "customers"])
        .arg(&optout)
        .output()
        .unwrap());
    ok(render_eml(&db, &out, &[]));
    assert!(
        !out.join("2.eml").exists(),
        "an opted-out customer's old file survived"
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["rendered"], 1);

    // A link planted in the folder is replaced, never followed.
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    std::fs::remove_file(out.join("1.eml")).unwrap();
    std::os::unix::fs::symlink(&victim, out.join("1.eml")).unwrap();
    ok(render_eml(&db, &out, &[]));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(!std::fs::symlink_metadata(out.join("1.eml"))
        .unwrap()
        .file_type()
        .is_symlink());

    // Folders Tessera did not make are refused and left as they were.
    let theirs = dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("manifest.json"), "their manifest").unwrap();
    std::fs::write(theirs.join("1.html"), "their page").unwrap();
    let err = failed(render_eml(&db, &theirs, &[]));
    assert!(err.contains("files Tessera did not write"), "{err}");
    assert_eq!(
        std::fs::read_to_string(theirs.join("1.html")).unwrap(),
        "their page"
    );
    let err = failed(render_eml(&db, Path::new("/"), &[]));
    assert!(err.contains("top of the file system"), "{err}");
    // A file added to a render folder makes it the user's again.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let err = failed(render_eml(&db, &out, &[]));
    assert!(err.contains("notes.txt"), "{err}");
    // And no staging folder is left beside the target.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tessera-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn another_applications_database_is_refused_untouched_and_read_commands_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.sqlite");
    {
        let db = rusqlite::Connection::open(&other).unwrap();
        db.execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let before = std::fs::read(&other).unwrap();
    for args in [
        vec!["status"],
        vec!["segment", "list"],
        vec!["template", "list"],
    ] {
        let err = failed(tessera(&other).args(&args).output().unwrap());
        assert!(err.contains("not a Tessera workspace"), "{err}");
    }
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "email\na@x.com\n").unwrap();
    failed(
        tessera(&other)
            .args(["import", "customers"])
            .arg(&csv)
            .output()
            .unwrap(),
    );
    assert_eq!(
        std::fs::read(&other).unwrap(),
        before,
        "not one byte changed"
    );
    let mut wal = other.clone().into_os_string();
    wal.push("-wal");
    assert!(!Path::new(&wal).exists(), "not switched to WAL");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    failed(
        tessera(&text)
            .args(["import", "customers"])
            .arg(&csv)
            .output()
            .unwrap(),
    );
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "hello");

    let typo = dir.path().join("sub").join("wrkspace.sqlite");
    let err = failed(tessera(&typo).args(["status"]).output().unwrap());
    assert!(err.contains("no workspace at"), "{err}");
    assert!(!typo.exists() && !typo.parent().unwrap().exists());
    // A workspace is marked as one.
    let made = dir.path().join("made.sqlite");
    ok(tessera(&made)
        .args(["import", "customers"])
        .arg(&csv)
        .output()
        .unwrap());
    let header = std::fs::read(&made).unwrap();
    assert!(
        header[68..72] == 0x5453_5241u32.to_be_bytes(),
        "application_id"
    );
}

#[tokio::test]
async fn huge_day_counts_are_refused_not_a_panic() {
    let t = TestWorkspace::new().await;
    t.customers(&t.file("c.csv", "email,birthday\na@x.com,1990-01-01\n"))
        .await;
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let index = SegmentIndex::load(&t.ws.path).unwrap();
    for condition in [
        json!({"type": "event", "event_type": "purchase", "window": {"last_days": 100_000_000u32}, "compare": "gte", "value": 1}),
        json!({"type": "field", "field": "birthday", "op": "date", "date": "within_last_days", "days": 4_000_000_000u32}),
        json!({"type": "field", "field": "birthday", "op": "date", "date": "within_next_days", "days": 4_000_000_000u32}),
        json!({"type": "occurrence", "event_type": "purchase", "which": "last", "date": "within_next_days", "days": 4_000_000_000u32}),
    ] {
        let text = json!({"version": 1, "conditions": [condition]}).to_string();
        let err = Rule::parse(&text).unwrap_err().to_string();
        assert!(err.contains("days"), "{err}");
        // Rules that arrive typed (from the app) are checked on every path too.
        let typed: Rule = serde_json::from_str(&text).unwrap();
        assert!(count(&t.ws.pool, &typed, &catalog, clock()).await.is_err());
        assert!(index.count(&typed, &catalog, clock()).is_err());
        assert!(save_segment(&t.ws.pool, "big", &typed, clock())
            .await
            .is_err());
    }
}

#[test]
fn deep_nesting_is_an_error_with_a_place_at_every_parser() {
    let n = 10_000;
    let wrap = |body: String| {
        format!("<mjml><mj-body><mj-section><mj-column><mj-text>{body}</mj-text></mj-column></mj-section></mj-body></mjml>")
    };
    let cases = [
        wrap(format!("{}x{}", "{{#if a}}".repeat(n), "{{/if}}".repeat(n))),
        wrap(format!(
            "{}x{}",
            "{{#each a}}".repeat(n),
            "{{/each}}".repeat(n)
        )),
        wrap(format!(
            "{{{{{}a{}}}}}",
            "lower (".repeat(5_000),
            ")".repeat(5_000)
        )),
        format!(
            "<mjml><mj-body>{}{}</mj-body></mjml>",
            "<mj-wrapper>".repeat(3_000),
            "</mj-wrapper>".repeat(3_000)
        ),
        wrap(format!(
            "{}x{}",
            "<div>".repeat(3_000),
            "</div>".repeat(3_000)
        )),
    ];
    for source in cases {
        let err = compile_email(&source).err().expect("refused");
        assert!(err.message.contains("nest deeper"), "{}", err.message);
        assert_eq!(err.line, 1);
        assert!(err.column > 1);
    }
}

#[test]
fn templates_at_the_nesting_limits_compile_and_render_on_a_small_stack() {
    use tessera_engine::templates::Notes;
    // 512 KiB: a quarter of the stack of the threads that compile and render (tokio, rayon).
    let worker = std::thread::Builder::new().stack_size(512 * 1024).spawn(|| {
        let blocks = 63;
        let body = format!(
            "{}{{{{lower (trim (upper (lower (trim (upper (lower (trim (upper (lower (trim (upper (lower (trim (upper name))))))))))))))}}}}{}",
            "{{#each items}}{{#if this}}".repeat(blocks / 2),
            "{{/if}}{{/each}}".repeat(blocks / 2)
        );
        let divs = 90;
        let source = format!(
            "<mjml><mj-body><mj-section><mj-column><mj-text>{}{body}{}</mj-text></mj-column></mj-section></mj-body></mjml>",
            "<div>".repeat(divs),
            "</div>".repeat(divs)
        );
        let template = compile_email(&source).unwrap();
        let mut data = json!({"name": "Zoë"});
        for _ in 0..blocks {
            data = json!({"name": "Zoë", "items": [data]});
        }
        template.render(&data, &mut Notes::default()).unwrap();
    });
    worker.unwrap().join().expect("no stack overflow");
}

#[tokio::test]
async fn segments_referring_to_segments_many_times_are_evaluated_once_each() {
    let t = TestWorkspace::new().await;
    let mut csv = String::from("email,points\n");
    for i in 0..50 {
        csv.push_str(&format!("c{i}@x.com,{i}\n"));
    }
    t.customers(&t.file("c.csv", csv)).await;
    save_segment(
        &t.ws.pool,
        "level0",
        &Rule::parse(r#"{"version": 1, "conditions": [{"type": "field", "field": "points", "op": "compare", "compare": "gte", "value": 20}]}"#).unwrap(),
        clock(),
    )
    .await
    .unwrap();
    let mut sizes = Vec::new();
    for level in 1..=10 {
        let refs: Vec<Value> = (0..10)
            .map(|_| json!({"type": "segment", "name": format!("level{}", level - 1)}))
            .collect();
        let rule = Rule::parse(&json!({"version": 1, "conditions": refs}).to_string()).unwrap();
        save_segment(&t.ws.pool, &format!("level{level}"), &rule, clock())
            .await
            .unwrap();
        let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
        let program = tessera_engine::segments::compile::rule_program(
            "SELECT COUNT(*) FROM customers c WHERE ",
            &rule,
            &catalog,
            clock(),
        )
        .unwrap();
        sizes.push(
            program.body.text.len() + program.segments.iter().map(|s| s.text.len()).sum::<usize>(),
        );
        let counted = count(&t.ws.pool, &rule, &catalog, clock()).await.unwrap();
        assert_eq!(counted.count, 30, "level {level}");
        let index = SegmentIndex::load(&t.ws.path).unwrap();
        assert_eq!(index.count(&rule, &catalog, clock()).unwrap(), counted);
    }
    // Each level adds about the same: the statement grows linearly, not tenfold per level.
    let growth: Vec<usize> = sizes.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(growth.iter().all(|g| *g < 2 * growth[0] + 64), "{sizes:?}");
}

#[tokio::test]
async fn long_funnels_and_long_lists_count_exactly() {
    let t = TestWorkspace::new().await;
    let mut csv = String::from("email,points,city\n");
    for i in 0..300 {
        csv.push_str(&format!("c{i}@x.com,{i},city{}\n", i % 7));
    }
    t.customers(&t.file("c.csv", csv)).await;
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let index = SegmentIndex::load(&t.ws.path).unwrap();
    // 999 conditions: once "Expression tree is too large".
    for (conditions, matching) in [(999, "all"), (100, "all"), (100, "any")] {
        let steps: Vec<Value> = (0..conditions)
            .map(|i| json!({"type": "field", "field": "points", "op": "compare", "compare": if matching == "all" { "gte" } else { "eq" }, "value": (i % 300) as f64}))
            .collect();
        let rule =
            Rule::parse(&json!({"version": 1, "match": matching, "conditions": steps}).to_string())
                .unwrap();
        let sql = count(&t.ws.pool, &rule, &catalog, clock()).await.unwrap();
        assert_eq!(sql, index.count(&rule, &catalog, clock()).unwrap());
        assert_eq!(sql.funnel.len(), conditions);
    }
    // A list longer than SQLite's 32,766 bound values.
    let mut values: Vec<String> = (0..40_000).map(|i| format!("nowhere{i}")).collect();
    values.push("CITY3".into());
    let rule = Rule::parse(&json!({"version": 1, "conditions": [{"type": "field", "field": "city", "op": "in", "values": values}]}).to_string()).unwrap();
    let sql = count(&t.ws.pool, &rule, &catalog, clock()).await.unwrap();
    assert_eq!(sql.count, 43);
    assert_eq!(sql, index.count(&rule, &catalog, clock()).unwrap());
    assert!(sql.funnel[0].label.len() < 300, "the label stays short");
}

#[tokio::test]
async fn misspelled_keys_anywhere_in_a_rule_are_errors() {
    for (rule, key) in [
        (
            json!({"version": 1, "nott": true, "conditions": []}),
            "nott",
        ),
        (
            json!({"version": 1, "conditions": [{"type": "group", "nott": true, "conditions": []}]}),
            "nott",
        ),
        (
            json!({"version": 1, "conditions": [{"type": "event", "event_type": "purchase", "windw": {"last_days": 9}, "compare": "gte", "value": 1}]}),
            "windw",
        ),
        (
            json!({"version": 1, "conditions": [{"type": "event", "event_type": "purchase", "proprety": {"name": "a", "equals": "b"}, "compare": "gte", "value": 1}]}),
            "proprety",
        ),
        (
            json!({"version": 1, "conditions": [{"type": "field", "field": "city", "op": "equals", "value": "x", "valu": "y"}]}),
            "valu",
        ),
        (
            json!({"version": 1, "conditions": [{"type": "field", "field": "d", "op": "date", "date": "before", "value": "2024-01-01", "dayz": 3}]}),
            "dayz",
        ),
    ] {
        let err = Rule::parse(&rule.to_string()).unwrap_err().to_string();
        assert!(err.contains(&format!("unknown key '{key}'")), "{err}");
    }
    // Defaults may be written out.
    assert!(Rule::parse(r#"{"version": 1, "match": "all", "not": false, "conditions": [{"type": "event", "event_type": "purchase", "measure": "count", "window": "ever", "property": null, "compare": "gte", "value": 1}]}"#).is_ok());
}

#[tokio::test]
async fn invisible_characters_do_not_split_a_person() {
    let t = TestWorkspace::new().await;
    let csv = "email,first_name,unsubscribed\nann@example.com,Ann,\n\u{FEFF}ann@example.com,Ann,\nann@example.com\u{200B},Ann,yes\n\u{00A0}Ann@Example.com\u{00A0},Ann,\nａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ,Ann,\n";
    let summary = t.customers(&t.file("c.csv", csv)).await;
    assert_eq!((summary.inserted, summary.rejected), (1, 0), "{summary:?}");
    assert_eq!(t.count("customers").await, 1);
    let contexts = load_contexts(&t.ws.pool, &Selection::All, chrono::Utc::now())
        .await
        .unwrap();
    assert!(
        contexts[0].email_opted_out,
        "the opt-out covers the one person"
    );
    let found =
        tessera_engine::customers::show::find_customer(&t.ws.pool, "ann@example.com\u{200B}")
            .await
            .unwrap();
    assert_eq!(found, Some(contexts[0].id));
}

#[tokio::test]
async fn files_with_old_mac_line_endings_import_their_rows() {
    let t = TestWorkspace::new().await;
    let summary = t
        .customers(&t.file(
            "cr.csv",
            "email,first_name\rcr1@example.com,Ann\rcr2@example.com,Bob\r",
        ))
        .await;
    assert_eq!((summary.inserted, summary.rejected), (2, 0), "{summary:?}");
    let status = tessera_engine::customers::show::workspace_status(&t.ws.pool, "")
        .await
        .unwrap();
    assert!(status.attributes.is_empty(), "{:?}", status.attributes);
}

#[tokio::test]
async fn colliding_and_unnamed_headers_and_unknown_mappings_are_refused() {
    let t = TestWorkspace::new().await;
    let cases = [
        (
            "email,City,city,CITY\na@x.com,1,2,3\n",
            vec![],
            "'City', 'city', 'CITY'",
        ),
        ("email,email\na@x.com,b@x.com\n", vec![], "'email', 'email'"),
        ("email,🎂\na@x.com,1990-01-01\n", vec![], "'🎂'"),
        (
            "email,phone\na@x.com,123456789\n",
            vec!["nonexist=phone"],
            "'nonexist'",
        ),
    ];
    for (csv, map, mentioned) in cases {
        let options = ImportOptions {
            overrides: tessera_engine::customers::parse_overrides(
                &map.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
            .unwrap(),
            ..ImportOptions::default()
        };
        let err = import_customers(&t.ws, &t.file("c.csv", csv), &options, &|_| {})
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(mentioned), "{err}");
    }
    assert_eq!(t.count("customers").await, 0);
    // Mapped away, the same file imports.
    let options = ImportOptions {
        overrides: tessera_engine::customers::parse_overrides(&[
            "🎂=attribute:birthday".to_string()
        ])
        .unwrap(),
        ..ImportOptions::default()
    };
    let summary = import_customers(
        &t.ws,
        &t.file("c.csv", "email,🎂\na@x.com,1990-01-01\n"),
        &options,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.inserted, 1);
}

#[tokio::test]
async fn future_dated_events_are_rejected_and_the_models_end_today() {
    let t = TestWorkspace::new().await;
    t.customers(&t.file("c.csv", "email\na@x.com\n")).await;
    let events = t.file(
        "e.csv",
        "email,timestamp,type,value\na@x.com,2025-01-05,purchase,10\na@x.com,9999-12-31,purchase,10\n",
    );
    let summary = t.events(&events).await;
    assert_eq!((summary.inserted, summary.rejected), (1, 1));
    assert_eq!(summary.errors[0].line, 3);
    assert!(
        summary.errors[0].reason.contains("in the future"),
        "{:?}",
        summary.errors
    );
    let allowed = import_events(
        &t.ws,
        &events,
        &ImportOptions {
            allow_future: true,
            ..ImportOptions::default()
        },
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(allowed.inserted, 1);
    let report = tessera_engine::scores::fit_models(&t.ws.pool, None)
        .await
        .unwrap();
    assert_eq!(
        report.until,
        chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string(),
        "the observation ends today, not at the latest (future) event"
    );
}

#[tokio::test]
async fn an_import_whose_rejected_rows_cannot_be_written_commits_nothing() {
    let t = TestWorkspace::new().await;
    let csv = t.file("c.csv", "email\na@x.com\nnot-an-email\n");
    // Where the report goes is not writable (here: a folder is in its place).
    std::fs::create_dir(t.dir.path().join("c.csv.rejected.csv")).unwrap();
    let err = import_customers(&t.ws, &csv, &ImportOptions::default(), &|_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(t.count("customers").await, 0);
    let leftovers = std::fs::read_dir(t.dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("tessera-")
        })
        .count();
    assert_eq!(leftovers, 0);
}

/// A real full disk: a 1 MiB tmpfs (needs root to mount; CI runs as root).
#[tokio::test]
async fn an_import_on_a_full_disk_commits_nothing() {
    let Some(disk) = SmallDisk::mount("2m") else {
        // The test above covers the same path with a write that fails for another reason.
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let t = TestWorkspace::new().await;
    let mut csv = String::from("email\n");
    for i in 0..1_500 {
        csv.push_str(&format!("c{i}@x.com\n"));
    }
    // Rejected rows large enough to fill what is left of the disk.
    let long = "x".repeat(4_000);
    for i in 0..400 {
        csv.push_str(&format!("bad{i}-{long}\n"));
    }
    let file = disk.path.join("c.csv");
    std::fs::write(&file, &csv).unwrap();
    let err = import_customers(&t.ws, &file, &ImportOptions::default(), &|_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(t.count("customers").await, 0);
    assert!(!disk.path.join("c.csv.rejected.csv").exists());
}
