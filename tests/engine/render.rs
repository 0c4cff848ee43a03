use std::sync::atomic::AtomicBool;

use base64::Engine;
use tessera_engine::render::batch::UnsubscribePattern;
use tessera_engine::render::eml::Mailbox;
use tessera_engine::render::{load_contexts, render_batch, BatchOptions, OutputFormat, Selection};
use tessera_engine::templates::compile_email;

use crate::support::TestWorkspace;

const TEMPLATE: &str = "<mjml><mj-head><mj-title>Hello {{default first_name \"friend\"}}</mj-title></mj-head><mj-body><mj-section><mj-column>\
    <mj-text>Dear {{name}}, you spent {{currency total_spent \"CNY\"}}.</mj-text><mj-text><a href=\"{{unsubscribe_url}}\">unsubscribe</a></mj-text></mj-column></mj-section></mj-body></mjml>";

async fn workspace_with_customers() -> TestWorkspace {
    let t = TestWorkspace::new().await;
    let csv = "email,first_name,last_name,unsubscribed\nli@x.cn,伟,张,0\nzoe@x.com,Zoë,Smith,\nout@x.com,Opted,Out,1\n";
    t.customers(&t.file("c.csv", csv)).await;
    t.events(&t.file("e.csv", "email,timestamp,type,value\nli@x.cn,2026-01-01,purchase,99.5\nli@x.cn,2026-02-01,purchase,100\n")).await;
    t
}

fn options(t: &TestWorkspace, format: OutputFormat) -> BatchOptions {
    BatchOptions {
        out: t.dir.path().join("out"),
        format,
        from: Mailbox::parse("Shop <shop@x.com>").unwrap(),
        unsubscribe: UnsubscribePattern::parse("https://x.com/u?e={email}").unwrap(),
        date: "Sun, 22 Nov 2026 10:00:00 +0000".into(),
        template_name: "t".into(),
    }
}

#[tokio::test]
async fn renders_every_eligible_customer_with_a_manifest_and_skips_opt_outs() {
    let t = workspace_with_customers().await;
    let template = compile_email(TEMPLATE).unwrap();
    let mut contexts = load_contexts(&t.ws.pool, &Selection::All, chrono::Utc::now())
        .await
        .unwrap();
    let summary = render_batch(
        &template,
        &mut contexts,
        &options(&t, OutputFormat::Html),
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!((summary.rendered, summary.skipped_opted_out), (2, 1));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary.manifest).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for f in files {
        let bytes =
            std::fs::read(t.dir.path().join("out").join(f["file"].as_str().unwrap())).unwrap();
        assert_eq!(f["hash"], blake3::hash(&bytes).to_hex().to_string());
    }
    let li = std::fs::read_to_string(t.dir.path().join("out/1.html")).unwrap();
    assert!(
        li.contains("Dear 张伟, you spent ¥199.50."),
        "Chinese name in family-first order"
    );
    assert!(
        !std::fs::read_dir(t.dir.path().join("out"))
            .unwrap()
            .any(|e| e.unwrap().file_name() == "3.html"),
        "opted out never rendered"
    );
    assert_eq!(summary.missing_fields.len(), 0);
}

#[tokio::test]
async fn eml_files_are_real_mime_with_unsubscribe_headers() {
    let t = workspace_with_customers().await;
    let template = compile_email(TEMPLATE).unwrap();
    let mut contexts = load_contexts(&t.ws.pool, &Selection::All, chrono::Utc::now())
        .await
        .unwrap();
    render_batch(
        &template,
        &mut contexts,
        &options(&t, OutputFormat::Eml),
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let eml = std::fs::read_to_string(t.dir.path().join("out/2.eml")).unwrap();
    let (headers, body) = eml.split_once("\r\n\r\n").unwrap();
    assert!(headers.contains("MIME-Version: 1.0"));
    assert!(
        headers.contains("Subject: =?UTF-8?B?"),
        "non-ASCII subject is an encoded word"
    );
    assert!(headers.contains("List-Unsubscribe: <https://x.com/u?e=zoe%40x.com>"));
    assert!(headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let boundary = headers
        .split("boundary=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let parts: Vec<&str> = body.split(&format!("--{boundary}")).collect();
    assert_eq!(parts.len(), 4, "two parts and the closing boundary");
    assert!(parts[1].contains("Content-Type: text/plain; charset=UTF-8"));
    assert!(parts[2].contains("Content-Type: text/html; charset=UTF-8"));
    let text_b64: String = parts[1]
        .split("\r\n\r\n")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    let text = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(text_b64)
            .unwrap(),
    )
    .unwrap();
    assert!(text.contains("Dear Zoë Smith"), "{text}");
    assert!(parts[3].starts_with("--"));
}
