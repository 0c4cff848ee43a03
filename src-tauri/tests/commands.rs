//! The desktop commands through Tauri's mock runtime: the same app wiring as the real window, the
//! real engine and a real SQLite file, no display.

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

struct Desktop {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    dir: tempfile::TempDir,
}

fn desktop() -> Desktop {
    let dir = tempfile::tempdir().unwrap();
    let app = tessera_desktop::build_app(mock_builder(), dir.path().to_path_buf())
        // The app's own configuration and capabilities: commands are allowed as in the real window.
        .build(tauri::generate_context!())
        .unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Desktop {
        _app: app,
        window,
        dir,
    }
}

impl Desktop {
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }
}

#[test]
fn commands_need_an_open_workspace_and_say_so_with_a_code() {
    let d = desktop();
    let error = d
        .call(
            "customers_page",
            json!({"query": {"offset": 0, "limit": 10}}),
        )
        .unwrap_err();
    assert_eq!(error["code"], "no_workspace", "{error}");
}

#[test]
fn the_demo_workspace_opens_pages_counts_and_previews() {
    let d = desktop();
    let status = d.call("workspace_open_demo", json!({})).unwrap();
    let customers = status["customers"].as_u64().unwrap();
    assert!(customers > 1_900, "{status}");
    assert!(d.dir.path().join("demo/workspace.sqlite").exists());

    let page = d
        .call("customers_page", json!({"query": {"search": "", "sort": "name", "descending": false, "offset": 10, "limit": 25}}))
        .unwrap();
    assert_eq!(page["total"].as_u64(), Some(customers));
    assert_eq!(page["rows"].as_array().unwrap().len(), 25);

    let everyone = d
        .call(
            "segment_count",
            json!({"rule": {"version": 1, "conditions": []}}),
        )
        .unwrap();
    assert_eq!(everyone["count"].as_u64(), Some(customers));
    let opted_in = d
        .call(
            "segment_count",
            json!({"rule": {"version": 1, "conditions": [
            {"type": "consent", "channel": "email", "status": "granted"}]}}),
        )
        .unwrap();
    let n = opted_in["count"].as_u64().unwrap();
    assert!(n > 0 && n < customers, "{opted_in}");
    assert_eq!(opted_in["funnel"][0]["remaining"].as_u64(), Some(n));

    let first = &page["rows"][0];
    let source = d
        .call("template_source", json!({"name": "welcome-en"}))
        .unwrap();
    let email = d
        .call(
            "email_preview",
            json!({"source": source, "customer": first["id"]}),
        )
        .unwrap();
    let first_name = first["first_name"].as_str().unwrap_or_default();
    assert!(
        email["html"]
            .as_str()
            .unwrap()
            .contains(&first_name.replace('&', "&amp;")),
        "{first}"
    );

    let fields = d
        .call("merge_fields", json!({"customer": first["id"]}))
        .unwrap();
    let names: Vec<&str> = fields
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for expected in [
        "first_name",
        "email",
        "recommendations",
        "unsubscribe_url",
        "city",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }

    // Product images come from the workspace's local copies: the demo's shop does not exist.
    let recommendations = d
        .call("template_source", json!({"name": "recommendations-en"}))
        .unwrap();
    let email = d
        .call(
            "email_preview",
            json!({"source": recommendations, "customer": first["id"]}),
        )
        .unwrap();
    let html = email["html"].as_str().unwrap();
    assert!(html.contains("src=\"data:image/svg+xml;base64,"), "{html}");
    assert!(!html.contains("src=\"https://shop.example/img/"));
    assert!(email.get("not_sent").is_some());

    // A rule's members a page at a time, and the profile's saved segments and orders.
    let members = d
        .call(
            "segment_members",
            json!({"rule": {"version": 1, "conditions": [
            {"type": "consent", "channel": "email", "status": "granted"}]}, "offset": 20, "limit": 10}),
        )
        .unwrap();
    assert_eq!(members["total"].as_u64(), Some(n));
    assert_eq!(members["rows"].as_array().unwrap().len(), 10);
    let member = members["rows"][0]["id"].clone();
    let profile = d.call("customer_get", json!({"id": member})).unwrap();
    assert!(profile["segments"].is_array(), "{profile}");
    assert!(profile["orders"]["count"].is_u64(), "{profile}");
    // The timeline shows product pictures from the workspace's local copies too.
    let bought = members["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| d.call("customer_get", json!({"id": row["id"]})).unwrap())
        .find(|p| p["orders"]["count"].as_u64() > Some(0))
        .expect("a buyer among ten customers");
    let image = bought["events"][0]["properties"]["image"].as_str().unwrap();
    assert!(image.starts_with("data:image/svg+xml;base64,"), "{image}");

    let broken = d
        .call(
            "email_preview",
            json!({"source": "<mjml><mj-body>{{#if x}}</mj-body></mjml>", "customer": first["id"]}),
        )
        .unwrap_err();
    assert_eq!(broken["code"], "template");
    assert_eq!(broken["line"], 1, "{broken}");
}

#[test]
fn an_import_reports_rejected_rows_and_the_counts_include_the_good_ones() {
    let d = desktop();
    let db = d.dir.path().join("shop.sqlite");
    let missing = d.call("workspace_open", json!({"path": db})).unwrap_err();
    assert_eq!(
        missing["code"], "not_found",
        "opening never creates: {missing}"
    );
    let created = d.call("workspace_create", json!({"path": db})).unwrap();
    assert_eq!(
        (
            &created["customers"],
            created["templates"].as_u64().unwrap() >= 6
        ),
        (&json!(0), true),
        "an empty workspace with the starter templates: {created}"
    );
    let again = d.call("workspace_create", json!({"path": db})).unwrap_err();
    assert_eq!(again["code"], "invalid_input", "never overwritten: {again}");
    d.call("workspace_open", json!({"path": db})).unwrap();
    let csv = d.dir.path().join("customers.csv");
    std::fs::write(&csv, "email,first_name,city,Mobil\nann@example.com,Ann,Paris,0170 1234567\nnot-an-email,Bob,Lyon,\n李@example.cn,李,上海,\n").unwrap();
    let detected = json!({"encoding": null, "delimiter": null, "mapping": []});
    let preview = d
        .call(
            "import_preview",
            json!({"path": csv, "kind": "customers", "settings": detected}),
        )
        .unwrap();
    assert_eq!(
        (&preview["encoding"], &preview["delimiter"]),
        (&json!("utf-8"), &json!(",")),
        "{preview}"
    );
    assert_eq!(
        preview["columns"][2],
        json!({"name": "city", "field": "attribute:city", "suggestion": null})
    );
    // Before anything is written, the rows that would be rejected.
    assert_eq!(preview["forecast"]["new_customers"], 2, "{preview}");
    assert_eq!(preview["forecast"]["rejected"][0]["line"], 3, "{preview}");
    assert_eq!(
        preview["columns"][3]["field"], "attribute:mobil",
        "{preview}"
    );
    assert_eq!(preview["rows"][0][1], "Ann");
    // The user maps the unknown column to the phone and drops the city.
    let mapped = json!({"encoding": null, "delimiter": null, "mapping": [["Mobil", "phone"], ["city", "ignore"]]});
    let preview = d
        .call(
            "import_preview",
            json!({"path": csv, "kind": "customers", "settings": mapped}),
        )
        .unwrap();
    assert_eq!(
        (
            &preview["columns"][2]["field"],
            &preview["columns"][3]["field"]
        ),
        (&json!("ignore"), &json!("phone"))
    );
    let bad_field = json!({"encoding": null, "delimiter": null, "mapping": [["Mobil", "fax"]]});
    let refused = d
        .call(
            "import_preview",
            json!({"path": csv, "kind": "customers", "settings": bad_field}),
        )
        .unwrap_err();
    assert_eq!(refused["code"], "invalid_input", "{refused}");
    let summary = d
        .call(
            "customers_import",
            json!({"path": csv, "kind": "customers", "settings": mapped, "onProgress": "__CHANNEL__:1"}),
        )
        .unwrap();
    assert_eq!(summary["inserted"], 2, "{summary}");
    assert_eq!(summary["errors"][0]["line"], 3, "{summary}");
    let city = d
        .call(
            "segment_count",
            json!({"rule": {"version": 1, "conditions": [
            {"type": "field", "field": "city", "op": "equals", "value": "paris"}]}}),
        )
        .unwrap_err();
    assert!(
        city["message"]
            .as_str()
            .unwrap()
            .contains("no field or attribute named 'city'"),
        "the city column was not imported: {city}"
    );
    let with_phone = d
        .call(
            "segment_count",
            json!({"rule": {"version": 1, "conditions": [
            {"type": "field", "field": "phone", "op": "is_set"}]}}),
        )
        .unwrap();
    assert_eq!(
        with_phone["count"], 1,
        "the index was rebuilt after the import, with the mapped phone: {with_phone}"
    );
}

#[test]
fn templates_are_saved_checked_for_missing_fields_and_segments_exported() {
    let d = desktop();
    d.call("workspace_open_demo", json!({})).unwrap();
    let source = d
        .call("template_source", json!({"name": "welcome-en"}))
        .unwrap();
    let edited = source
        .as_str()
        .unwrap()
        .replace("</mj-text>", "{{attributes.shoe_size}}</mj-text>");
    let broken = d
        .call(
            "template_save",
            json!({"name": "mine", "source": "<mjml><mj-body>{{#if}}</mj-body></mjml>"}),
        )
        .unwrap_err();
    assert_eq!(
        (&broken["code"], broken["line"].is_number()),
        (&json!("template"), true),
        "{broken}"
    );
    d.call("template_save", json!({"name": "mine", "source": edited}))
        .unwrap();
    let names = d.call("templates_list", json!({})).unwrap();
    assert!(names.to_string().contains("\"mine\""), "{names}");
    assert_eq!(
        d.call("template_source", json!({"name": "mine"})).unwrap(),
        json!(edited)
    );

    let vip =
        json!({"version": 1, "conditions": [{"type": "tags", "op": "has_any", "tags": ["vip"]}]});
    let report = d
        .call(
            "template_missing_fields",
            json!({"source": edited, "audience": vip}),
        )
        .unwrap();
    let receivers = report["customers"].as_u64().unwrap();
    assert!(receivers > 10, "{report}");
    let shoe = report["missing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["field"] == "attributes.shoe_size")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(
        shoe["customers"].as_u64(),
        Some(receivers),
        "nobody has a shoe size"
    );

    let out = d.dir.path().join("vip.csv");
    let written = d
        .call(
            "segment_export",
            json!({"rule": vip, "columns": ["id", "email", "tags"], "path": out}),
        )
        .unwrap();
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,email,tags");
    assert_eq!(lines.len() as u64 - 1, written.as_u64().unwrap());
    assert!(lines[1..].iter().all(|l| l.contains("vip")), "{csv}");
}

#[test]
fn a_campaign_is_saved_split_previewed_and_rendered_with_its_runs_logged() {
    let d = desktop();
    let status = d.call("workspace_open_demo", json!({})).unwrap();
    let nothing = d
        .call("campaign_open", json!({"item": "folder"}))
        .unwrap_err();
    assert_eq!(
        nothing["code"], "not_found",
        "only a rendered campaign can be opened: {nothing}"
    );
    let campaign = json!({"version": 1, "name": "welcome", "seed": "w",
        "audience": {"rule": {"version": 1, "conditions": [{"type": "field", "field": "locale", "op": "starts_with", "value": "zh"}]}},
        "holdout": 0.1,
        "variants": [{"name": "A", "weight": 1, "email": {"en": "welcome-en", "zh": "welcome-zh"}},
                     {"name": "B", "weight": 3, "email": {"en": "winback-en", "zh": "winback-zh"}}],
        "email_settings": {"from": "Shop <hello@shop.example>", "unsubscribe": "https://shop.example/u/{id}", "files": "html"}});
    // A link naming the customer is refused at its field: links carry an opaque token.
    let personal = d
        .call("campaign_save", json!({"campaign": campaign}))
        .unwrap_err();
    assert_eq!(
        personal["problem"]["code"], "unsubscribe_personal",
        "{personal}"
    );
    assert_eq!(personal["problem"]["field"], "email_settings.unsubscribe");
    let mut campaign = campaign;
    campaign["email_settings"]["unsubscribe"] = json!("https://shop.example/u/{token}");
    d.call("campaign_save", json!({"campaign": campaign}))
        .unwrap();
    let names: Vec<Value> = d
        .call("campaigns_list", json!({}))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("spring"), json!("welcome")],
        "the demo's campaign and this one"
    );
    // The live split, from the segment index.
    let split = d
        .call("campaign_split", json!({"campaign": campaign}))
        .unwrap();
    let (a, b) = (
        split["arms"][0]["customers"].as_u64().unwrap(),
        split["arms"][1]["customers"].as_u64().unwrap(),
    );
    assert!(b > 2 * a, "B weighs three times A: {split}");
    assert!(
        split["excluded"]["holdout"].as_u64().unwrap() > 0,
        "{split}"
    );
    // A customer's preview is the variant they are in, in their language.
    let first = d
        .call(
            "customers_page",
            json!({"query": {"offset": 0, "limit": 200}}),
        )
        .unwrap();
    let chinese = first["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["locale"] == "zh-CN")
        .unwrap();
    let preview = d
        .call(
            "campaign_preview",
            json!({"campaign": campaign, "customer": chinese["id"]}),
        )
        .unwrap();
    if preview["excluded"].is_null() {
        assert!(
            preview["template"].as_str().unwrap().ends_with("-zh"),
            "{preview}"
        );
        assert!(preview["email"]["html"].as_str().unwrap().contains("<"));
    }
    let out = d.dir.path().join("campaign");
    let summary = d
        .call(
            "campaign_render",
            json!({"campaign": campaign, "out": out, "strict": false, "replace": false, "onProgress": "__CHANNEL__:1"}),
        )
        .unwrap();
    let rendered = summary["rendered"].as_u64().unwrap();
    assert_eq!(rendered, a + b, "{summary}");
    assert!(rendered < status["customers"].as_u64().unwrap());
    let files = std::fs::read_dir(&out).unwrap().count() as u64;
    assert_eq!(
        files,
        rendered + 2,
        "one file per customer, the manifest and the marker of a render folder"
    );
    // Rendering into the same folder again asks first; said yes to, it replaces the render.
    let again = json!({"campaign": campaign, "out": out, "strict": false, "replace": false, "onProgress": "__CHANNEL__:3"});
    let asked = d.call("campaign_render", again.clone()).unwrap_err();
    assert_eq!(asked["code"], "earlier_render", "{asked}");
    let mut replace = again;
    replace["replace"] = json!(true);
    let replaced = d.call("campaign_render", replace).unwrap();
    assert_eq!(replaced["rendered"].as_u64(), Some(rendered));
    // Without a file opener the path comes back to be copied, never an error.
    let opened = d.call("campaign_open", json!({"item": "folder"})).unwrap();
    assert!(opened["opened"].is_boolean(), "{opened}");
    assert!(!opened["path"].as_str().unwrap().is_empty(), "{opened}");
    let runs = d.call("campaign_runs", json!({"name": "welcome"})).unwrap();
    assert_eq!(runs[0]["customers"].as_u64().unwrap(), rendered);
    // A folder with someone else's files is refused with its own code.
    let theirs = d.dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "mine").unwrap();
    let refused = d
        .call(
            "campaign_render",
            json!({"campaign": campaign, "out": theirs, "strict": false, "replace": false, "onProgress": "__CHANNEL__:2"}),
        )
        .unwrap_err();
    assert_eq!(refused["code"], "folder_not_empty", "{refused}");
}

#[test]
fn segments_are_saved_listed_reloaded_and_refused_when_they_refer_to_themselves() {
    let d = desktop();
    d.call("workspace_open_demo", json!({})).unwrap();
    let rule = json!({"version": 1, "match": "all", "conditions": [{"type": "consent", "channel": "email", "status": "granted"}]});
    d.call("segment_save", json!({"name": "Reachable", "rule": rule}))
        .unwrap();
    let list = d.call("segments_list", json!({})).unwrap();
    assert_eq!(list[0]["name"], "Reachable", "{list}");
    // Read back in full: the defaults are written out.
    let mut full = rule.clone();
    full["not"] = json!(false);
    assert_eq!(
        d.call("segment_load", json!({"name": "Reachable"}))
            .unwrap(),
        full
    );
    let looping = json!({"version": 1, "conditions": [{"type": "segment", "name": "Loop"}]});
    let refused = d
        .call("segment_save", json!({"name": "Loop", "rule": looping}))
        .unwrap_err();
    assert_eq!(refused["code"], "invalid_input", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("refers back to itself"),
        "{refused}"
    );
    let unnamed = d
        .call("segment_save", json!({"name": "  ", "rule": rule}))
        .unwrap_err();
    assert_eq!(unnamed["code"], "invalid_input");
}

/// `GET path` on a real port; the status line and the body.
fn http_get(address: &str, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let host = address.trim_start_matches("http://").trim_end_matches('/');
    // Nothing listening is answered as nothing there.
    let Ok(mut stream) = std::net::TcpStream::connect(host) else {
        return ("connection refused".into(), String::new());
    };
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

#[test]
fn a_site_is_edited_previewed_checked_saved_rendered_and_served() {
    let d = desktop();
    d.call("workspace_open_demo", json!({})).unwrap();
    let bundle = d
        .call("template_source", json!({"name": "loyalty-zh"}))
        .unwrap();
    let bundle = bundle.as_str().unwrap().to_string();
    let rows = d
        .call(
            "customers_page",
            json!({"query": {"offset": 0, "limit": 200}}),
        )
        .unwrap();
    let chinese = rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["locale"] == "zh-CN")
        .unwrap()
        .clone();
    let preview = d
        .call(
            "site_preview",
            json!({"name": "loyalty-zh", "bundle": bundle, "page": "picks.html", "customer": chinese["id"]}),
        )
        .unwrap();
    assert_eq!(preview["page"], "picks.html", "{preview}");
    assert_eq!(preview["pages"].as_array().unwrap().len(), 3);
    let html = preview["html"].as_str().unwrap();
    assert!(
        html.contains("lang=\"zh") && !html.contains("../assets/"),
        "{html}"
    );

    // An edit that breaks a page is named by file and line, and cannot be saved.
    let mut edited: Value = serde_json::from_str(&bundle).unwrap();
    edited["files"]["preferences.html"]["text"] = json!("<p>\n{{/each}}\n");
    let broken = edited.to_string();
    let refused = d
        .call(
            "site_preview",
            json!({"name": "loyalty-zh", "bundle": broken, "page": "", "customer": chinese["id"]}),
        )
        .unwrap_err();
    assert_eq!(refused["code"], "template", "{refused}");
    assert_eq!(refused["file"], "preferences.html", "{refused}");
    assert_eq!(refused["line"], 2, "{refused}");
    let unsaved = d
        .call("site_save", json!({"name": "loyalty-zh", "bundle": broken}))
        .unwrap_err();
    assert_eq!(unsaved["file"], "preferences.html", "{unsaved}");
    assert_eq!(
        d.call("template_source", json!({"name": "loyalty-zh"}))
            .unwrap(),
        json!(bundle),
        "the saved site is as it was"
    );

    // Missing fields over everyone, per page file.
    let report = d
        .call(
            "site_missing_fields_check",
            json!({"name": "loyalty-zh", "bundle": bundle, "audience": {"version": 1, "conditions": []}}),
        )
        .unwrap();
    assert!(report["customers"].as_u64().unwrap() > 1_900, "{report}");
    for m in report["missing"].as_array().unwrap() {
        assert!(m["template"].as_str().unwrap().ends_with(".html"), "{m}");
    }

    // Saved under a new name, it is a microsite template.
    let mut mine: Value = serde_json::from_str(&bundle).unwrap();
    mine["files"]["picks.html"]["text"] = json!("<h1>为您精选</h1>\n<p>{{greeting_name}}</p>\n");
    d.call(
        "site_save",
        json!({"name": "我的会员站", "bundle": mine.to_string()}),
    )
    .unwrap();
    let list = d.call("templates_list", json!({})).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "我的会员站" && t["kind"] == "microsite"),
        "{list}"
    );

    // A campaign of sites, rendered and served where its personal URLs point.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let campaign = json!({"version": 1, "name": "club", "seed": "club",
        "audience": {"rule": {"version": 1, "conditions": [{"type": "field", "field": "locale", "op": "starts_with", "value": "zh"}]}},
        "variants": [{"name": "A", "weight": 1, "microsite": "我的会员站"}],
        "microsite_settings": {"base_url": format!("http://127.0.0.1:{port}")}});
    let out = d.dir.path().join("club");
    let summary = d
        .call(
            "campaign_render",
            json!({"campaign": campaign, "out": out, "strict": false, "replace": false, "onProgress": "__CHANNEL__:4"}),
        )
        .unwrap();
    assert!(summary["rendered"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(d.call("site_serve_status", json!({})).unwrap(), Value::Null);
    let served = d.call("site_serve_start", json!({"folder": out})).unwrap();
    assert_eq!(
        served["address"],
        format!("http://127.0.0.1:{port}/"),
        "{served}"
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let slug = manifest["rendered"][0]["slug"].as_str().unwrap();
    let (status, body) = http_get(
        served["address"].as_str().unwrap(),
        &format!("/{slug}/picks.html"),
    );
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("为您精选"), "{body}");
    let (missing, _) = http_get(
        served["address"].as_str().unwrap(),
        "/0123456789abcdef01234567/",
    );
    assert!(missing.contains("404"), "{missing}");
    // Counted once stored in the workspace, a moment after the page was answered.
    let mut counted = d.call("site_serve_status", json!({})).unwrap();
    for _ in 0..100 {
        if counted["counts"]["visits"] != 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        counted = d.call("site_serve_status", json!({})).unwrap();
    }
    assert_eq!(counted["counts"]["visits"], 1, "{counted}");
    // Serving again (the same or another render) replaces what is served; stopping writes it all.
    d.call("site_serve_start", json!({"folder": out})).unwrap();
    let stopped = d.call("site_serve_stop", json!({})).unwrap();
    assert!(stopped.is_object(), "{stopped}");
    assert_eq!(d.call("site_serve_status", json!({})).unwrap(), Value::Null);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port is free again"
    );
    let customer = manifest["rendered"][0]["customer_id"].clone();
    let profile = d.call("customer_get", json!({"id": customer})).unwrap();
    assert!(
        profile.to_string().contains("microsite_visit"),
        "the visit is the customer's event"
    );
    // Where the personal URLs point is taken by another program: said so, with its own code.
    let taken = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let busy = d
        .call("site_serve_start", json!({"folder": out}))
        .unwrap_err();
    assert_eq!(busy["code"], "address_in_use", "{busy}");
    drop(taken);
    let runs = d.call("campaign_runs", json!({"name": "club"})).unwrap();
    assert_eq!(runs[0]["sites"], true, "{runs}");
    // A folder without a rendered site is refused in words.
    let none = d
        .call("site_serve_start", json!({"folder": d.dir.path()}))
        .unwrap_err();
    assert_eq!(none["code"], "no_site", "{none}");
}

#[test]
fn a_storyboard_frame_is_drawn_for_a_customer_and_its_problems_are_named() {
    let d = desktop();
    d.call("workspace_open_demo", json!({})).unwrap();
    let bundle = d
        .call("template_source", json!({"name": "year-in-review-zh"}))
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let rows = d
        .call(
            "customers_page",
            json!({"query": {"offset": 0, "limit": 5}}),
        )
        .unwrap();
    let customer = rows["rows"][0]["id"].clone();
    let ask = |bundle: &str, scene: &str, time: Option<f64>| {
        d.call(
            "storyboard_preview",
            json!({"name": "year-in-review-zh", "bundle": bundle, "scene": scene, "time": time, "customer": customer}),
        )
    };
    let preview = ask(&bundle, "orders", Some(1.0)).unwrap();
    assert_eq!(preview["scene"], "orders", "{preview:.300}");
    assert_eq!(preview["time"], 1.0);
    assert_eq!(preview["scenes"].as_array().unwrap().len(), 4);
    assert!(preview["frame"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,"));
    // A time past the scene's end is its last frame; an unknown scene is the first.
    assert!(
        ask(&bundle, "orders", Some(99.0)).unwrap()["time"]
            .as_f64()
            .unwrap()
            < 4.0
    );
    assert_eq!(ask(&bundle, "nope", Some(0.0)).unwrap()["scene"], "intro");
    // No time: the moment everything in the scene has appeared (its texts fade in from 0 s).
    let settled = ask(&bundle, "intro", None).unwrap();
    let at = settled["time"].as_f64().unwrap();
    assert!(at > 0.0 && at < 4.0, "{at}");
    assert_ne!(
        settled["frame"],
        ask(&bundle, "intro", Some(0.0)).unwrap()["frame"]
    );

    // Problems are listed by scene and layer, and no frame is drawn.
    let mut edited: Value = serde_json::from_str(&bundle).unwrap();
    let mut doc: Value =
        serde_json::from_str(edited["files"]["storyboard.json"]["text"].as_str().unwrap()).unwrap();
    doc["scenes"][1]["next"] = json!("nowhere");
    edited["files"]["storyboard.json"]["text"] = json!(doc.to_string());
    let broken = ask(&edited.to_string(), "intro", Some(0.0)).unwrap();
    assert!(broken["frame"].is_null());
    assert_eq!(broken["errors"][0]["scene"], "orders", "{broken}");
    let refused = d
        .call(
            "storyboard_save",
            json!({"name": "mine", "bundle": edited.to_string()}),
        )
        .unwrap_err();
    assert_eq!(refused["code"], "template", "{refused}");
    // A document that is not JSON: where, in its file.
    edited["files"]["storyboard.json"]["text"] = json!("{\n  \"format\": 1,\n  oops\n}");
    let not_json = ask(&edited.to_string(), "intro", Some(0.0)).unwrap_err();
    assert_eq!(not_json["file"], "storyboard.json", "{not_json}");
    assert_eq!(not_json["line"], 3, "{not_json}");
    // Saved as it is, it is a storyboard of the workspace.
    let warnings = d
        .call(
            "storyboard_save",
            json!({"name": "我的年度回顾", "bundle": bundle}),
        )
        .unwrap();
    assert_eq!(warnings, json!([]));
    let list = d.call("templates_list", json!({})).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "我的年度回顾" && t["kind"] == "storyboard"),
        "{list}"
    );

    // The customer's player, played on loopback, is no longer served once another workspace opens.
    let url = d
        .call(
            "storyboard_play",
            json!({"name": "year-in-review-zh", "bundle": bundle, "customer": customer}),
        )
        .unwrap();
    let url = url.as_str().unwrap();
    let path_at = "http://".len() + url["http://".len()..].find('/').unwrap();
    let (origin, path) = url.split_at(path_at);
    assert!(origin.starts_with("http://127.0.0.1:"), "{url}");
    assert!(http_get(origin, path).0.contains("200"), "{url}");
    d.call(
        "workspace_create",
        json!({"path": d.dir.path().join("other.sqlite")}),
    )
    .unwrap();
    let after = http_get(origin, path).0;
    assert!(
        after.contains("404") || after == "connection refused",
        "{url}: {after}"
    );
}

/// Opens and closes `db` from a process of its own, as the CLI or any other program may while
/// the app has it open. Were the app to hold no lock on the file, this close would checkpoint
/// and delete the WAL under it, and every later save of the app would go into a deleted file.
fn another_process_opens_and_closes(db: &std::path::Path) {
    let status = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute('SELECT count(*) FROM customers').fetchall()\nc.close()")
        .arg(db)
        .status()
        .unwrap();
    assert!(status.success());
}

/// How many templates named `name` another process sees in `db`.
fn seen_by_another_process(db: &std::path::Path, name: &str) -> String {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nprint(c.execute('SELECT count(*) FROM templates WHERE name = ?', (sys.argv[2],)).fetchone()[0])")
        .arg(db)
        .arg(name)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A workspace made and closed again (nothing of it stays open in this process).
fn closed_workspace(db: &std::path::Path) {
    use tessera_engine::app::Session;
    tauri::async_runtime::block_on(async {
        Session::create(db).await.unwrap().close().await.unwrap()
    });
}

#[test]
fn the_open_workspace_keeps_its_locks_however_it_was_opened_and_whatever_the_app_reads() {
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates/email/welcome-en.mjml"),
    )
    .unwrap();
    let settings = json!({"encoding": null, "delimiter": null, "mapping": []});
    // Each way a workspace becomes the open one, and each way the app reads a file the user
    // names (the workspace itself among them, picked by mistake): then another process opens
    // and closes the workspace, and what the app saves next must be there for everyone. Each
    // way has a file of its own that nothing else in this process has open.
    type Way<'a> = Box<dyn Fn(&Desktop, std::path::PathBuf) -> std::path::PathBuf + 'a>;
    let ways: Vec<(&str, Way)> = vec![
        (
            "create",
            Box::new(|d: &Desktop, db| {
                d.call("workspace_create", json!({"path": db})).unwrap();
                db
            }),
        ),
        (
            "demo",
            Box::new(|d: &Desktop, _| {
                d.call("workspace_open_demo", json!({})).unwrap();
                d.dir.path().join("demo/workspace.sqlite")
            }),
        ),
        (
            "open, as from the recent list",
            Box::new(|d: &Desktop, db| {
                closed_workspace(&db);
                d.call("workspace_open", json!({"path": db})).unwrap();
                db
            }),
        ),
        (
            "open again while open",
            Box::new(|d: &Desktop, db| {
                closed_workspace(&db);
                d.call("workspace_open", json!({"path": db})).unwrap();
                d.call("workspace_open", json!({"path": db})).unwrap();
                db
            }),
        ),
        (
            "an import, and its index rebuilt",
            Box::new(|d: &Desktop, db| {
                closed_workspace(&db);
                d.call("workspace_open", json!({"path": db})).unwrap();
                let csv = d.dir.path().join("people.csv");
                std::fs::write(&csv, "email,first_name\nann@example.com,Ann\n").unwrap();
                d.call(
                    "import_preview",
                    json!({"path": csv, "kind": "customers", "settings": settings}),
                )
                .unwrap();
                d.call("customers_import", json!({"path": csv, "kind": "customers", "settings": settings, "onProgress": "__CHANNEL__:1"})).unwrap();
                d.call(
                    "segment_count",
                    json!({"rule": {"version": 1, "conditions": []}}),
                )
                .unwrap();
                db
            }),
        ),
        (
            "the workspace picked as the file to import",
            Box::new(|d: &Desktop, db| {
                closed_workspace(&db);
                d.call("workspace_open", json!({"path": db})).unwrap();
                for file in [
                    db.clone(),
                    db.with_extension("sqlite-wal"),
                    db.with_extension("sqlite-shm"),
                ] {
                    let refused = d.call(
                        "import_preview",
                        json!({"path": file, "kind": "customers", "settings": settings}),
                    );
                    assert!(refused.is_err(), "{file:?}: {refused:?}");
                }
                db
            }),
        ),
        (
            "an export, and one onto the workspace",
            Box::new(|d: &Desktop, db| {
                closed_workspace(&db);
                d.call("workspace_open", json!({"path": db})).unwrap();
                let everyone = json!({"version": 1, "conditions": []});
                let out = d.dir.path().join("everyone.csv");
                d.call(
                    "segment_export",
                    json!({"rule": everyone, "columns": ["id"], "path": out}),
                )
                .unwrap();
                let refused = d.call(
                    "segment_export",
                    json!({"rule": everyone, "columns": ["id"], "path": db}),
                );
                assert!(refused.is_err(), "{refused:?}");
                db
            }),
        ),
        (
            "the workspace picked as a site's asset",
            Box::new(|d: &Desktop, db| {
                closed_workspace(&db);
                d.call("workspace_open", json!({"path": db})).unwrap();
                assert!(d.call("site_asset_read", json!({"path": db})).is_err());
                db
            }),
        ),
    ];
    for (i, (way, open)) in ways.iter().enumerate() {
        let d = desktop();
        let db = open(&d, d.dir.path().join(format!("shop-{i}.sqlite")));
        another_process_opens_and_closes(&db);
        let name = format!("saved-after-{i}");
        d.call("template_save", json!({"name": name, "source": source}))
            .unwrap();
        another_process_opens_and_closes(&db);
        assert_eq!(
            seen_by_another_process(&db, &name),
            "1",
            "{way}: the app's save went into a file no one else sees"
        );
    }
}

#[test]
fn the_demo_campaign_reports_on_its_hypothesis_and_its_report_is_saved_as_html_only() {
    let d = desktop();
    d.call("workspace_open_demo", json!({})).unwrap();
    let report = d
        .call("campaign_report", json!({"name": "spring", "run": null}))
        .unwrap();
    assert_eq!(report["hypothesis_source"], "before_run", "{report}");
    assert_eq!(report["control"], "holdout");
    let arms: Vec<&str> = report["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["arm"].as_str().unwrap())
        .collect();
    assert_eq!(arms, ["holdout", "A", "B"]);
    // Nobody has bought since the demo's run: nothing is decided, and nothing is NaN.
    assert_eq!(report["verdict"], "not_yet_decidable");
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .contains(&json!("no_outcomes")),
        "{report}"
    );

    let campaign = d.call("campaign_load", json!({"name": "spring"})).unwrap();
    let plan = d
        .call(
            "hypothesis_plan",
            json!({"hypothesis": campaign["hypothesis"], "arms": 3, "perArm": 100}),
        )
        .unwrap();
    assert!(
        plan["baseline"]
            .as_f64()
            .is_some_and(|b| b > 0.0 && b < 1.0),
        "{plan}"
    );
    assert_eq!(
        plan["underpowered"], true,
        "100 customers per arm cannot show a 3-point lift: {plan}"
    );

    let page = d.dir.path().join("report.html");
    d.call(
        "report_export",
        json!({"path": page, "html": "<!doctype html><p>结果</p>"}),
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&page).unwrap(),
        "<!doctype html><p>结果</p>"
    );
    let script = d.dir.path().join("report.sh");
    let error = d
        .call("report_export", json!({"path": script, "html": "echo"}))
        .unwrap_err();
    assert_eq!(error["code"], "invalid_input", "{error}");
    assert!(!script.exists());
}
