use std::path::{Path, PathBuf};

use serde_json::json;
use tessera_engine::microsites::{preview_page, SiteError, SiteTemplate};

use crate::support::walk;

fn starter(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates/microsite")
        .join(name)
}

/// A copy of a starter site to break, with `changes` (file, text) written over it.
fn broken(changes: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = starter("offer-en");
    for entry in walk(&from) {
        let to = dir.path().join(entry.strip_prefix(&from).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, to).unwrap();
    }
    for (file, text) in changes {
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn error(changes: &[(&str, &str)]) -> SiteError {
    let dir = broken(changes);
    match SiteTemplate::load(dir.path()) {
        Ok(_) => panic!("{changes:?} loaded"),
        Err(e) => e,
    }
}

#[test]
fn starter_sites_greet_each_customer_in_their_culture_and_escape_their_data() {
    let anna = json!({"first_name": "Anna", "last_name": "Schmidt", "greeting_name": "Anna", "locale": "de-DE",
        "favorite_category": "<b>tea</b>", "recommendations": [{"name": "Earl Grey", "image": "https://shop.example/img/earlgrey.jpg"}]});
    let fang = json!({"first_name": "芳", "last_name": "王", "greeting_name": "王芳", "locale": "zh-CN", "recommendations": []});
    let en = SiteTemplate::load(&starter("offer-en")).unwrap();
    let zh = SiteTemplate::load(&starter("offer-zh")).unwrap();
    assert_eq!(
        en.pages.iter().map(|p| p.file.as_str()).collect::<Vec<_>>(),
        ["index.html", "preferences.html"]
    );
    let (html, missing) = preview_page(&en, &en.pages[0], &anna).unwrap();
    assert!(
        html.contains("<h1>Anna, this offer is yours</h1>"),
        "{html}"
    );
    assert!(
        html.contains("in &lt;b&gt;tea&lt;/b&gt;"),
        "customer data is escaped"
    );
    assert!(html.contains("<title>Your spring offer · Tessera Coffee &amp; Care</title>"));
    assert!(html.contains(r#"<meta name="robots" content="noindex, nofollow">"#));
    assert!(html.contains(r#"alt="Earl Grey""#));
    assert!(
        html.contains("<footer>"),
        "the footer partial is in every page"
    );
    assert!(
        missing.is_empty(),
        "every field has a fallback or a condition: {missing:?}"
    );
    let no_image = json!({"greeting_name": "Anna", "recommendations": [{"name": "Earl Grey"}]});
    assert_eq!(
        preview_page(&en, &en.pages[0], &no_image).unwrap().1,
        ["image"]
    );
    let (html, _) = preview_page(&zh, &zh.pages[0], &fang).unwrap();
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    assert!(html.contains("<h1>王芳，这份优惠专属于您</h1>"), "{html}");
    assert!(!html.contains("Picked for you") && !html.contains("为您精选"));
    // Every form input has a label (the preference form).
    let (form, _) = preview_page(&zh, zh.page("preferences.html").unwrap(), &fang).unwrap();
    assert_eq!(
        form.matches("<input").count(),
        form.matches("<label><input").count()
    );
    assert!(form.contains(r#"<label for="frequency">"#) && form.contains(r#"id="frequency""#));
}

#[test]
fn errors_name_the_file_line_and_column_they_are_in() {
    let partial = error(&[(
        "partials/footer.html",
        "<footer>\n  {{#if vip}}\n</footer>\n",
    )]);
    let SiteError::Template { file, line, .. } = &partial else {
        panic!("{partial}")
    };
    // A block left open is found where its file ends: in the partial, not the page.
    assert_eq!(
        (file.as_str(), *line),
        ("partials/footer.html", 4),
        "{partial}"
    );
    let page = error(&[(
        "index.html",
        "<h1>Hi</h1>\n<p>\n  {{oops first_name}}\n</p>\n",
    )]);
    let SiteError::Template {
        file, line, column, ..
    } = &page
    else {
        panic!("{page}")
    };
    assert_eq!(
        (file.as_str(), *line, *column),
        ("index.html", 3, 3),
        "{page}"
    );
    // Too deep only once put together: found in the partial, at its own line.
    let nest = |n: usize, inner: &str| {
        format!(
            "{}{inner}{}",
            "{{#if a}}\n".repeat(n),
            "{{/if}}\n".repeat(n)
        )
    };
    let deep = error(&[
        ("index.html", &nest(40, "{{> deep}}\n")),
        ("partials/deep.html", &nest(40, "x\n")),
    ]);
    let SiteError::Template { file, line, .. } = &deep else {
        panic!("{deep}")
    };
    assert_eq!(file, "partials/deep.html", "{deep}");
    assert!(*line <= 41, "{deep}");
    let unknown = error(&[("index.html", "<p>{{> sidebar}}</p>")]);
    assert!(
        unknown
            .to_string()
            .contains("index.html, line 1, column 4: no partial 'sidebar'"),
        "{unknown}"
    );
}

#[test]
fn partials_stay_inside_the_folder_and_cannot_loop() {
    for name in ["../secret", "/etc/passwd", "a/b", "..", ""] {
        let e = error(&[("index.html", &format!("{{{{> {name}}}}}"))]);
        assert!(
            e.to_string().contains("is not a partial name"),
            "{name}: {e}"
        );
    }
    let e = error(&[("partials/footer.html", "<footer>{{> footer}}</footer>")]);
    assert!(e.to_string().contains("includes itself"), "{e}");
    let e = error(&[("partials/footer.html", "<footer>{{> page}}</footer>")]);
    assert!(e.to_string().contains("belongs in the layout"), "{e}");
    let e = error(&[("index.html", "<p>{{> footer</p>")]);
    assert!(
        e.to_string().starts_with("index.html, line 1, column 14"),
        "{e}"
    );
}

#[test]
fn a_manifest_is_checked_before_anything_is_compiled() {
    let manifest = |pages: &str, extra: &str| {
        format!(
            r#"{{"format": 1, "name": "x", "default_locale": "en", "layout": "layout.html", "pages": {pages}{extra}}}"#
        )
    };
    for (text, says) in [
        (
            manifest(r#"[{"file": "../index.html", "title": "x"}]"#, ""),
            "not a page file",
        ),
        (manifest("[]", ""), "at least one page"),
        (
            manifest(
                r#"[{"file": "index.html", "title": "a"}, {"file": "index.html", "title": "b"}]"#,
                "",
            ),
            "listed twice",
        ),
        (
            manifest(
                r#"[{"file": "index.html", "title": "x"}]"#,
                r#", "scripts": []"#,
            ),
            "unknown field",
        ),
        (
            manifest(r#"[{"file": "index.html", "title": "x"}]"#, "")
                .replace("\"format\": 1", "\"format\": 2"),
            "format 2 is not supported",
        ),
        ("{ not json".to_string(), "line 1, column 3"),
    ] {
        let e = error(&[("site.json", &text)]);
        assert!(e.to_string().contains(says), "{text}: {e}");
        assert!(e.to_string().contains("site.json"), "{e}");
    }
    let e = error(&[(
        "site.json",
        &manifest(r#"[{"file": "missing.html", "title": "x"}]"#, ""),
    )]);
    assert!(
        e.to_string().contains("cannot read") && e.to_string().contains("missing.html"),
        "{e}"
    );
}

#[test]
fn forms_post_only_the_fields_site_json_declares() {
    let site = SiteTemplate::load(&starter("offer-en")).unwrap();
    let preferences = &site.forms["preferences"];
    assert_eq!(preferences.fields.len(), 3);
    // A page's form must be a declared form with declared fields and the required ones.
    let page = |form: &str| format!("<h1>Prefs</h1>\n{form}\n");
    for (form, says, line) in [
        (r#"<form method="post" action="form/newsletter"><button>Go</button></form>"#, "posts to 'form/newsletter'", 2),
        (
            "<form action=\"form/preferences\">\n<select name=\"frequency\"></select>\n<input name=\"password\">\n</form>",
            "'password' is not a field of form 'preferences'",
            4,
        ),
        (r#"<form action="form/preferences"><input type="checkbox" name="topics" value="tea"></form>"#, "has no 'frequency', which form 'preferences' requires", 2),
    ] {
        let e = error(&[("preferences.html", &page(form))]);
        let SiteError::Template { file, line: at, .. } = &e else { panic!("{e}") };
        assert!(e.to_string().contains(says), "{e}");
        assert_eq!((file.as_str(), *at), ("preferences.html", line), "{e}");
    }
    // Declarations that make no sense are refused with the form and field named.
    let manifest = |forms: &str| {
        format!(
            r#"{{"format": 1, "name": "x", "default_locale": "en", "layout": "layout.html", "pages": [{{"file": "index.html", "title": "x"}}], "forms": {forms}}}"#
        )
    };
    for (forms, says) in [
        (
            r#"{"prefs": {"fields": [{"name": "a", "type": "choice"}]}}"#,
            "form 'prefs', field 'a': a choice lists its values",
        ),
        (
            r#"{"prefs": {"fields": [{"name": "a", "type": "text", "values": ["x"]}]}}"#,
            "only a choice has values",
        ),
        (
            r#"{"prefs": {"fields": [{"name": "a", "type": "text"}, {"name": "a", "type": "email"}]}}"#,
            "declared twice",
        ),
        (
            r#"{"Prefs!": {"fields": [{"name": "a", "type": "text"}]}}"#,
            "a form is named with",
        ),
        (r#"{"prefs": {"fields": []}}"#, "has no fields"),
        (
            r#"{"prefs": {"fields": [{"name": "a", "type": "password"}]}}"#,
            "unknown variant",
        ),
    ] {
        let e = error(&[("site.json", &manifest(forms))]);
        assert!(e.to_string().contains(says), "{forms}: {e}");
    }
}

/// A PNG header claiming `width` × `height` pixels (no real image data).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&[0, 0, 0, 0]); // a wrong CRC: not a PNG a decoder accepts either
    png
}

#[test]
fn assets_are_checked_hashed_and_rewritten_and_a_bad_image_is_named() {
    let missing = error(&[(
        "index.html",
        "<h1>Hi</h1>\n<img src=\"assets/nope.png\" alt=\"\">\n",
    )]);
    let SiteError::Template {
        file,
        line,
        message,
        ..
    } = &missing
    else {
        panic!("{missing}")
    };
    assert_eq!((file.as_str(), *line), ("index.html", 2), "{missing}");
    assert!(message.contains("assets/nope.png"), "{message}");
    // A name made by a merge tag is not checked.
    let dir = broken(&[("index.html", "<img src=\"assets/{{tier}}.png\" alt=\"\">\n")]);
    SiteTemplate::load(dir.path()).unwrap();

    for bad in [b"not a png at all".to_vec(), png_claiming(100_000, 100_000)] {
        let dir = broken(&[]);
        std::fs::write(dir.path().join("assets/broken.png"), bad).unwrap();
        let e = SiteTemplate::load(dir.path())
            .err()
            .expect("a broken image loaded");
        let text = e.to_string();
        assert!(
            text.contains("assets/broken.png") && text.contains("does not decode"),
            "{text}"
        );
    }

    // Style sheets in folders name other assets relatively; the render names them by hash.
    let dir = broken(&[
        (
            "assets/css/site.css",
            "body { background: url('../img/dot.png') } .x { background: url(https://cdn.example/a.png) }",
        ),
        (
            "layout.html",
            &std::fs::read_to_string(starter("offer-en").join("layout.html"))
                .unwrap()
                .replace("assets/style.css", "assets/css/site.css"),
        ),
    ]);
    std::fs::create_dir_all(dir.path().join("assets/img")).unwrap();
    std::fs::copy(
        starter("offer-en").join("assets/hero.png"),
        dir.path().join("assets/img/dot.png"),
    )
    .unwrap();
    let site = SiteTemplate::load(dir.path()).unwrap();
    let names: Vec<&str> = site.assets.files.iter().map(|(n, _)| n.as_str()).collect();
    let dot = names
        .iter()
        .find(|n| n.starts_with("dot.") && !n.contains('w'))
        .expect("the image under its hashed name");
    let (_, sheet) = site
        .assets
        .files
        .iter()
        .find(|(n, _)| n.starts_with("site."))
        .expect("the style sheet under its hashed name");
    let sheet = String::from_utf8(sheet.clone()).unwrap();
    assert!(sheet.contains(&format!("url({dot})")), "{sheet}");
    assert!(sheet.contains("url(https://cdn.example/a.png)"), "{sheet}");
    let (page, _) = preview_page(&site, &site.pages[0], &json!({})).unwrap();
    let css = names.iter().find(|n| n.starts_with("site.")).unwrap();
    assert!(
        page.contains(&format!("href=\"../assets/{css}\"")),
        "{page}"
    );
}

#[cfg(unix)]
#[test]
fn a_template_folder_holds_its_own_files_only() {
    let dir = broken(&[]);
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("partials/footer2.html")).unwrap();
    let e = SiteTemplate::load(dir.path())
        .err()
        .expect("a link was followed");
    assert!(e.to_string().contains("not links"), "{e}");
    let dir = broken(&[]);
    for i in 0..600 {
        std::fs::write(dir.path().join(format!("assets/f{i}.txt")), "x").unwrap();
    }
    let e = SiteTemplate::load(dir.path())
        .err()
        .expect("a folder of 600 files loaded");
    assert!(e.to_string().contains("more than a site template"), "{e}");
}

#[test]
fn a_submission_is_checked_against_its_form() {
    use tessera_engine::microsites::forms::Submission;
    let site = SiteTemplate::load(&starter("offer-en")).unwrap();
    let form = &site.forms["preferences"];
    let check = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        form.check_submission(&pairs)
    };
    let Ok(Submission::Taken {
        properties,
        consent,
    }) = check(&[
        ("topics", "tea"),
        ("topics", "tea"),
        ("frequency", "weekly"),
        ("consent_email", "no"),
    ])
    else {
        panic!("refused")
    };
    assert_eq!(
        serde_json::Value::Object(properties),
        json!({"topics": ["tea"], "frequency": "weekly", "consent_email": false})
    );
    assert_eq!(consent, [("email".to_string(), false)]);
    for (pairs, says) in [
        (vec![("topics", "tea")], "'frequency' is required"),
        (
            vec![("frequency", "weekly"), ("frequency", "monthly")],
            "given twice",
        ),
        (vec![("frequency", "hourly")], "not one of the choices"),
        (
            vec![("frequency", "weekly"), ("consent_email", "maybe")],
            "yes or no",
        ),
        (vec![("frequency", "weekly\u{0}")], "control characters"),
        (
            vec![("frequency", "weekly"), ("name", "x")],
            "'name' is not a field",
        ),
    ] {
        let e = check(&pairs).expect_err(says).to_string();
        assert!(e.contains(says), "{pairs:?}: {e}");
    }
    assert_eq!(
        check(&[("frequency", "weekly"), ("_hp", "buy now")]),
        Ok(Submission::Bot)
    );
}

/// The bundle the workspace keeps of a starter folder (what the editor edits).
fn bundle_of(name: &str) -> String {
    tessera_engine::microsites::files::SiteFiles::read_folder(&starter(name))
        .unwrap()
        .to_bundle()
}

#[test]
fn the_editor_previews_a_page_self_contained_with_inert_links() {
    use tessera_engine::microsites::preview::{compile_preview, preview_site};
    let bundle = bundle_of("loyalty-en");
    let site = compile_preview("loyalty-en", &bundle).unwrap();
    let zoe = json!({"first_name": "Zoë", "greeting_name": "Zoë", "locale": "en-GB", "points": 1250,
        "loyalty_tier": "gold", "recommendations": [{"name": "Oolong", "url": "https://shop.example/oolong"}]});
    let preview = preview_site(&site, "index.html", &zoe).unwrap();
    let pages: Vec<&str> = preview.pages.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(pages, ["index.html", "picks.html", "preferences.html"]);
    assert!(
        preview.html.contains("Zoë, here is your club account"),
        "{}",
        preview.html
    );
    assert!(preview.html.contains("1,250 points"));
    // The frame loads nothing: the image and the style sheet are in the page, the sheet's own
    // references too; no srcset of widths a preview does not make.
    assert!(!preview.html.contains("../assets/"), "{}", preview.html);
    assert!(preview.html.contains("src=\"data:image/png;base64,"));
    // The style sheet is inline: the app's policy allows inline styles only.
    assert!(
        !preview.html.contains("rel=\"stylesheet\""),
        "{}",
        preview.html
    );
    assert!(
        preview.html.contains("<style>body { margin: 0;"),
        "{}",
        preview.html
    );
    assert!(!preview.html.contains("srcset"));
    // A click opens a window the sandbox does not allow, never the app inside the frame.
    let links = preview.html.matches("<a ").count();
    assert!(links >= 2);
    assert_eq!(preview.html.matches("<a target=\"_blank\" ").count(), links);
    // Any page, by file; one that is not in the site is the first.
    assert_eq!(
        preview_site(&site, "picks.html", &zoe).unwrap().page,
        "picks.html"
    );
    assert_eq!(
        preview_site(&site, "../etc/passwd", &zoe).unwrap().page,
        "index.html"
    );
    // What this customer leaves empty, by name.
    let bare = preview_site(&site, "index.html", &json!({})).unwrap();
    assert!(
        bare.html.contains("Hello, here is your club account"),
        "fallbacks apply"
    );
}

#[test]
fn an_edited_site_is_refused_where_it_is_wrong_before_it_is_previewed() {
    use tessera_engine::error::Coded;
    use tessera_engine::microsites::files::SiteFiles;
    use tessera_engine::microsites::preview::compile_preview;
    let mut files: serde_json::Value = serde_json::from_str(&bundle_of("offer-en")).unwrap();
    files["files"]["preferences.html"]["text"] = json!("<p>ok</p>\n<p>{{/if}}</p>\n");
    let e = compile_preview("mine", &files.to_string())
        .err()
        .expect("compiled");
    assert_eq!(e.file().as_deref(), Some("preferences.html"), "{e}");
    assert_eq!(e.place().map(|p| p.0), Some(2), "{e}");
    // A bundle that is not one, or far too large, is refused as such.
    assert!(compile_preview("mine", "{\"format\":1}").is_err());
    let many: serde_json::Map<String, serde_json::Value> = (0..600)
        .map(|i| (format!("f{i}.txt"), json!({"text": ""})))
        .collect();
    let e = SiteFiles::from_bundle(&json!({"format": 1, "files": many}).to_string()).unwrap_err();
    assert!(e.contains("500 files"), "{e}");
    // An undecodable image is named in a preview too (its header is read, not its pixels).
    files["files"]["preferences.html"] = bundle_files("offer-en")["preferences.html"].clone();
    files["files"]["assets/hero.png"] = json!({"base64": "bm90IGEgcG5n"});
    let e = compile_preview("mine", &files.to_string())
        .err()
        .expect("compiled");
    assert!(e.to_string().contains("assets/hero.png"), "{e}");
}

fn bundle_files(name: &str) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(&bundle_of(name)).unwrap()["files"].clone()
}

#[test]
fn a_file_added_to_a_site_gets_a_plain_name_and_a_size_limit() {
    use tessera_engine::microsites::files::SiteFiles;
    let dir = tempfile::tempdir().unwrap();
    let picked = dir.path().join("Hero Image (1).PNG");
    std::fs::write(&picked, b"png").unwrap();
    let (name, bytes) = SiteFiles::read_asset(&picked).unwrap();
    assert_eq!(
        (name.as_str(), bytes.as_slice()),
        ("hero-image--1-.png", &b"png"[..])
    );
    let hidden = dir.path().join(".secret");
    std::fs::write(&hidden, b"x").unwrap();
    assert_eq!(SiteFiles::read_asset(&hidden).unwrap().0, "secret");
    assert!(
        SiteFiles::read_asset(dir.path()).is_err(),
        "a folder is not a file"
    );
    let huge = dir.path().join("huge.png");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(17 << 20)
        .unwrap();
    let e = SiteFiles::read_asset(&huge).unwrap_err();
    assert!(e.to_string().contains("16 MB"), "{e}");
}

#[test]
fn a_server_for_a_run_listens_where_its_personal_urls_point() {
    use tessera_engine::serve::loopback_address;
    assert_eq!(
        loopback_address("http://127.0.0.1:8080"),
        Some("127.0.0.1:8080".parse().unwrap())
    );
    assert_eq!(
        loopback_address("http://localhost:9000/offers/"),
        Some("127.0.0.1:9000".parse().unwrap())
    );
    assert_eq!(
        loopback_address("http://[::1]:8081"),
        Some("[::1]:8081".parse().unwrap())
    );
    for elsewhere in [
        "https://offers.example.com",
        "http://192.168.1.4:8080",
        "http://127.0.0.1",
        "http://offers.example.com:8080",
        "ftp://127.0.0.1:21",
    ] {
        assert_eq!(loopback_address(elsewhere), None, "{elsewhere}");
    }
}
