//! Campaigns through the one pipeline, on real SQLite files: assignment, eligibility, holdout,
//! languages, variants, files, manifest and delivery log, and a run killed midway.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use base64::Engine;
use serde_json::{json, Value};
use tessera_engine::campaigns::store::{list_runs, run_deliveries};
use tessera_engine::campaigns::{Arm, Assigner, Campaign};

use crate::support::{header_names, tessera, TestWorkspace, MAIL_HEADERS};

const TEMPLATE: &str = "<mjml><mj-head><mj-title>Hello {{default first_name \"friend\"}}</mj-title></mj-head><mj-body><mj-section><mj-column>\
    <mj-text>Dear {{name}}, you spent {{currency total_spent \"CNY\"}}. {{default offer \"\"}}</mj-text><mj-text><a href=\"{{unsubscribe_url}}\">unsubscribe</a></mj-text></mj-column></mj-section></mj-body></mjml>";
const TEMPLATE_ZH: &str = "<mjml lang=\"zh\"><mj-head><mj-title>你好 {{name}}</mj-title></mj-head><mj-body><mj-section><mj-column>\
    <mj-text>亲爱的{{name}}</mj-text></mj-column></mj-section></mj-body></mjml>";

async fn shop() -> TestWorkspace {
    let t = TestWorkspace::new().await;
    // The fourth customer has a phone and no email address.
    let csv = "email,first_name,last_name,locale,unsubscribed,phone\nli@x.cn,伟,张,zh-CN,0,\nzoe@x.com,Zoë,Smith,en-GB,,\nout@x.com,Opted,Out,en-US,1,\n,No,Address,en-US,,+8613800000000\n";
    t.customers(&t.file("c.csv", csv)).await;
    t.events(&t.file("e.csv", "email,timestamp,type,value\nli@x.cn,2026-01-01,purchase,99.5\nli@x.cn,2026-02-01,purchase,100\n")).await;
    t.template("t", TEMPLATE).await;
    t.template("t-zh", TEMPLATE_ZH).await;
    t
}

fn campaign(files: &str) -> String {
    format!(
        r#"{{"version": 1, "name": "spring", "seed": "s", "audience": {{"all": true}},
            "variants": [{{"name": "A", "email": {{"en": "t", "zh": "t-zh"}}}}],
            "email_settings": {{"from": "Shop <shop@x.com>", "unsubscribe": "mailto:unsubscribe@x.com?subject=unsubscribe-{{token}}", "files": "{files}"}}}}"#
    )
}

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn every_eligible_customer_gets_their_language_and_the_manifest_says_who_did_not() {
    let t = shop().await;
    let out = t.dir.path().join("out");
    let summary = t.render(&campaign("html"), &out).await.unwrap();
    assert_eq!(summary.rendered, 2);
    assert_eq!(
        (
            summary.split.excluded.opted_out,
            summary.split.excluded.no_address
        ),
        (1, 1)
    );
    let li = std::fs::read_to_string(out.join("1.html")).unwrap();
    assert!(
        li.contains("亲爱的张伟"),
        "the Chinese template, family name first"
    );
    let zoe = std::fs::read_to_string(out.join("2.html")).unwrap();
    assert!(zoe.contains("Dear Zoë Smith, you spent ¥0.00."), "{zoe}");
    assert!(!out.join("3.html").exists(), "opted out never rendered");
    let m = manifest(&out);
    let rendered = m["rendered"].as_array().unwrap();
    assert_eq!(rendered.len(), 2);
    assert_eq!(rendered[0]["files"][0]["template"], "t-zh");
    assert_eq!(rendered[0]["files"][0]["language"], "zh");
    assert_eq!(rendered[1]["files"][0]["template"], "t");
    let excluded: Vec<(i64, &str)> = m["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["customer_id"].as_i64().unwrap(),
                e["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(excluded, vec![(3, "opted_out"), (4, "no_address")]);
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(!text.contains("@x.c"), "no email address in the manifest");
    for r in rendered {
        let file = r["files"][0]["file"].as_str().unwrap();
        let bytes = std::fs::read(out.join(file)).unwrap();
        assert_eq!(
            r["files"][0]["hash"],
            blake3::hash(&bytes).to_hex().to_string()
        );
    }
}

#[tokio::test]
async fn eml_files_are_real_mime_with_unique_message_ids() {
    let t = shop().await;
    let out = t.dir.path().join("out");
    t.render(&campaign("eml"), &out).await.unwrap();
    let eml = std::fs::read_to_string(out.join("2.eml")).unwrap();
    assert_eq!(header_names(eml.as_bytes()), MAIL_HEADERS);
    let (headers, body) = eml.split_once("\r\n\r\n").unwrap();
    // The one-click page under the served address and a mail link, both with an opaque token:
    // no address or id in any link.
    assert!(
        headers.contains("List-Unsubscribe: <http://127.0.0.1:8080/unsubscribe/")
            && headers.contains(">,\r\n <mailto:unsubscribe@x.com?subject=unsubscribe-")
            && !headers.contains("zoe%40")
            && headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{headers}"
    );
    let personal = campaign("eml").replace("unsubscribe-{token}", "{email}");
    let refused = tessera_engine::campaigns::Campaign::parse(&personal).unwrap_err();
    assert!(
        refused.to_string().contains("may not name the customer"),
        "{refused}"
    );
    let text_part = body.split("\r\n\r\n").nth(1).unwrap();
    let text_b64: String = text_part
        .split("--")
        .next()
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
    // Another run: other Message-IDs.
    let id = |eml: &str| {
        eml.lines()
            .find(|l| l.starts_with("Message-ID:"))
            .unwrap()
            .to_string()
    };
    let first = id(&eml);
    t.render(&campaign("eml"), &out).await.unwrap();
    let second = id(&std::fs::read_to_string(out.join("2.eml")).unwrap());
    assert_ne!(first, second, "unique per run");
    let li = std::fs::read_to_string(out.join("1.eml")).unwrap();
    assert_ne!(id(&li), second, "unique per customer");
}

fn split_campaign(weights: &[(&str, f64)], holdout: f64) -> Campaign {
    let variants: Vec<Value> = weights
        .iter()
        .map(|(n, w)| json!({"name": n, "weight": w, "email": "t"}))
        .collect();
    Campaign::parse(
        &json!({"version": 1, "name": "split", "seed": "spring-2026", "audience": {"all": true},
                "holdout": holdout, "variants": variants})
        .to_string(),
    )
    .unwrap()
}

#[test]
fn assignment_is_fixed_stable_and_follows_the_weights() {
    let campaign = split_campaign(&[("A", 1.0), ("B", 1.0)], 0.1);
    let a = Assigner::new(&campaign);
    // Fixed vectors: the split of these customers must never change between versions.
    let first: Vec<char> = (1..=24)
        .map(|id| match a.assign(id) {
            Arm::Holdout => 'H',
            Arm::Variant(0) => 'A',
            Arm::Variant(_) => 'B',
        })
        .collect();
    assert_eq!(
        first.iter().collect::<String>(),
        FIXED_SPLIT,
        "the split drifted"
    );
    // Within 1% of the weights at 100,000 customers.
    let ids: Vec<i64> = (1..=100_000).collect();
    let arms = a.assign_all(&ids);
    let share = |arm: Arm| arms.iter().filter(|x| **x == arm).count() as f64 / 100_000.0;
    assert!((share(Arm::Holdout) - 0.10).abs() < 0.01);
    assert!((share(Arm::Variant(0)) - 0.45).abs() < 0.01);
    assert!((share(Arm::Variant(1)) - 0.45).abs() < 0.01);
    // Customers added later never move anyone; the assignment is per customer.
    let more: Vec<i64> = (1..=200_000).collect();
    assert_eq!(&a.assign_all(&more)[..100_000], &arms[..]);
    // Doubling B's weight only moves customers from A to B; the holdout does not move.
    let heavier = Assigner::new(&split_campaign(&[("A", 1.0), ("B", 2.0)], 0.1));
    let moved = heavier.assign_all(&ids);
    for (before, after) in arms.iter().zip(&moved) {
        match (before, after) {
            (x, y) if x == y => {}
            (Arm::Variant(0), Arm::Variant(1)) => {}
            other => panic!("moved {other:?}"),
        }
    }
    let to_b = arms.iter().zip(&moved).filter(|(x, y)| x != y).count() as f64 / 100_000.0;
    assert!(
        (to_b - 0.15).abs() < 0.01,
        "exactly the customers that must move: {to_b}"
    );
    // A third variant takes customers only into itself.
    let three = Assigner::new(&split_campaign(&[("A", 1.0), ("B", 1.0), ("C", 1.0)], 0.1));
    for (before, after) in arms.iter().zip(three.assign_all(&ids)) {
        assert!(*before == after || after == Arm::Variant(2));
    }
}

/// The first 24 customers of `split_campaign(A 1, B 1, holdout 10%)` with seed spring-2026.
const FIXED_SPLIT: &str = "ABBBAAABBABAAAABBHHHBBAB";

#[tokio::test]
async fn variants_carry_their_own_values_and_the_holdout_gets_nothing() {
    let t = TestWorkspace::new().await;
    let mut csv = String::from("email,first_name\n");
    for i in 0..400 {
        csv.push_str(&format!("c{i}@x.com,C{i}\n"));
    }
    t.customers(&t.file("c.csv", csv)).await;
    t.template("t", TEMPLATE).await;
    let out = t.dir.path().join("out");
    let summary = t
        .render(
            r#"{"version": 1, "name": "offers", "seed": "o", "audience": {"all": true}, "holdout": 0.2,
                "variants": [{"name": "ten", "email": "t", "values": {"offer": "10% off"}},
                             {"name": "free", "email": "t", "values": {"offer": "free shipping"}}],
                "email_settings": {"files": "html"}}"#,
            &out,
        )
        .await
        .unwrap();
    let m = manifest(&out);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in m["rendered"].as_array().unwrap() {
        let arm = r["arm"].as_str().unwrap();
        let html =
            std::fs::read_to_string(out.join(r["files"][0]["file"].as_str().unwrap())).unwrap();
        let offer = if arm == "ten" {
            "10% off"
        } else {
            "free shipping"
        };
        assert!(html.contains(offer), "{arm}");
        *seen.entry(arm.to_string()).or_default() += 1;
    }
    let held: Vec<i64> = m["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "holdout")
        .map(|e| e["customer_id"].as_i64().unwrap())
        .collect();
    assert_eq!(held.len() as u64, summary.split.excluded.holdout);
    assert!(
        held.len() > 50 && held.len() < 110,
        "about 20% of 400: {}",
        held.len()
    );
    for id in held {
        assert!(
            !out.join(format!("{id}.html")).exists(),
            "held out, never rendered"
        );
    }
    assert_eq!(seen.values().sum::<usize>() as u64, summary.rendered);
    assert!(!summary.split.sample_ratio.mismatch);
}

/// Every file the log names for a finished run is in the folder with its hash; the manifest
/// lists the same files; the folder holds nothing else.
async fn assert_log_manifest_and_files_agree(t: &TestWorkspace, out: &Path) {
    let runs = list_runs(&t.ws.pool, None).await.unwrap();
    let run = runs
        .iter()
        .find(|r| r.out == out.display().to_string())
        .unwrap();
    let logged = run_deliveries(&t.ws.pool, run.id).await.unwrap();
    let m = manifest(out);
    let mut in_manifest: BTreeMap<String, String> = BTreeMap::new();
    for r in m["rendered"].as_array().unwrap() {
        for f in r["files"].as_array().unwrap() {
            in_manifest.insert(
                f["file"].as_str().unwrap().into(),
                f["hash"].as_str().unwrap().into(),
            );
        }
    }
    let in_log: BTreeMap<String, String> = logged
        .iter()
        .map(|d| (d.file.clone(), d.hash.clone()))
        .collect();
    assert_eq!(
        in_log, in_manifest,
        "the log and the manifest list the same files"
    );
    for (file, hash) in &in_log {
        let bytes = std::fs::read(out.join(file)).unwrap();
        assert_eq!(&blake3::hash(&bytes).to_hex().to_string(), hash, "{file}");
    }
    let on_disk = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "manifest.json" && n != ".tessera-output.json")
        .count();
    assert_eq!(on_disk, in_log.len(), "nothing else in the folder");
}

#[test]
fn a_run_killed_midway_leaves_log_and_files_consistent_and_the_next_one_continues() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.sqlite");
    let mut csv = String::from("email,first_name\n");
    for i in 0..20_000 {
        csv.push_str(&format!("c{i}@example.com,Customer {i}\n"));
    }
    let people = dir.path().join("c.csv");
    std::fs::write(&people, csv).unwrap();
    let ok = |c: &mut std::process::Command| {
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    ok(tessera(&db).args(["import", "customers"]).arg(&people));
    let template = dir.path().join("t.mjml");
    std::fs::write(&template, TEMPLATE).unwrap();
    ok(tessera(&db).args(["template", "add", "t"]).arg(&template));
    let doc = dir.path().join("c.json");
    std::fs::write(
        &doc,
        r#"{"version": 1, "name": "big", "audience": {"all": true}, "variants": [{"name": "A", "email": "t"}]}"#,
    )
    .unwrap();
    ok(tessera(&db).args(["campaign", "save", "big"]).arg(&doc));
    let out = dir.path().join("out");
    let mut child = tessera(&db)
        .args(["campaign", "render", "big", "--json", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the first batches are logged.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = rt.block_on(async {
        let ws =
            tessera_engine::store::Workspace::open(&db, tessera_engine::store::Access::Existing)
                .await
                .unwrap();
        let t = TestWorkspace {
            dir: tempfile::tempdir().unwrap(),
            ws,
        };
        for _ in 0..600 {
            if t.count("deliveries").await >= 2048 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        t
    });
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    rt.block_on(async {
        assert!(!out.exists(), "nothing half-written where the user looks");
        let runs = list_runs(&t.ws.pool, Some("big")).await.unwrap();
        let staging: String = sqlx::query_scalar("SELECT staging FROM campaign_runs WHERE id = ?")
            .bind(runs[0].id)
            .fetch_one(&t.ws.pool)
            .await
            .unwrap();
        let logged = run_deliveries(&t.ws.pool, runs[0].id).await.unwrap();
        assert!(
            !logged.is_empty() && logged.len() < 20_000,
            "killed midway: {}",
            logged.len()
        );
        for d in &logged {
            let bytes = std::fs::read(Path::new(&staging).join(&d.file)).unwrap();
            assert_eq!(
                blake3::hash(&bytes).to_hex().to_string(),
                d.hash,
                "a logged file is whole"
            );
        }
    });
    let summary: Value = serde_json::from_str(&ok(tessera(&db)
        .args(["campaign", "render", "big", "--json", "--out"])
        .arg(&out)))
    .unwrap();
    assert_eq!(summary["rendered"], 20_000);
    assert!(summary["resumed"].as_u64().unwrap() >= 2048, "{summary}");
    rt.block_on(assert_log_manifest_and_files_agree(&t, &out));
}
