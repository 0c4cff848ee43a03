//! The `tessera` binary as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::tessera;

fn json_of(output: std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn import_json(db: &std::path::Path, file: &std::path::Path) -> serde_json::Value {
    json_of(
        tessera(db)
            .args(["import", "customers"])
            .arg(file)
            .arg("--json")
            .output()
            .unwrap(),
    )
}

/// A workspace in `dir` with the customers of `csv` imported; its path and the CSV's.
fn imported(dir: &std::path::Path, csv: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (db, file) = (dir.join("w.sqlite"), dir.join("c.csv"));
    std::fs::write(&file, csv).unwrap();
    import_json(&db, &file);
    (db, file)
}

/// A rule file selecting the customers tagged vip.
fn vip_rule(dir: &std::path::Path) -> std::path::PathBuf {
    let rule = dir.join("vip.json");
    std::fs::write(
        &rule,
        r#"{"version": 1, "conditions": [{"type": "tags", "op": "has_any", "tags": ["vip"]}]}"#,
    )
    .unwrap();
    rule
}

#[test]
fn import_prints_a_json_summary_and_status_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.sqlite");
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "email,name\na@x.com,Ann\nbad,Bob\n").unwrap();
    let summary = import_json(&db, &csv);
    assert_eq!(summary["inserted"], 1);
    assert_eq!(summary["updated"], 0);
    assert_eq!(summary["merged"], 0);
    assert_eq!(summary["rejected"], 1);
    assert_eq!(summary["errors"][0]["line"], 3);
    let status = json_of(tessera(&db).args(["status", "--json"]).output().unwrap());
    assert_eq!(
        (status["customers"].as_i64(), status["events"].as_i64()),
        (Some(1), Some(0))
    );
    // Each command leaves the workspace as one file (its WAL copied in), safe to copy alone.
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    assert!(!std::path::Path::new(&wal).exists());
}

#[test]
fn a_killed_import_leaves_the_workspace_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.sqlite");
    let csv = dir.path().join("big.csv");
    let rows = 200_000;
    let mut text = String::from("email,first_name,points\n");
    for i in 0..rows {
        text.push_str(&format!("user{i}@example.com,User {i},{i}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let mut child = tessera(&db)
        .args(["import", "customers"])
        .arg(&csv)
        .arg("--progress-json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        if line.unwrap().contains("\"writing\"") {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL, mid-transaction
    child.wait().unwrap();
    let status = json_of(tessera(&db).args(["status", "--json"]).output().unwrap());
    let customers = status["customers"].as_i64().unwrap();
    assert!(
        customers == 0 || customers == rows,
        "all or nothing, found {customers}"
    );
    // The workspace is healthy and the import can simply be run again.
    let summary = import_json(&db, &csv);
    assert_eq!(summary["inserted"].as_i64().unwrap() + customers, rows);
    let status = json_of(tessera(&db).args(["status", "--json"]).output().unwrap());
    assert_eq!(status["customers"].as_i64(), Some(rows));
}

#[test]
fn demo_creates_a_workspace_and_renders_a_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let report = json_of(
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["demo", "--customers", "300", "--json", "--dir"])
            .arg(&out)
            .output()
            .unwrap(),
    );
    assert!(report["customers"]["inserted"].as_i64().unwrap() >= 300);
    assert!(
        report["customers"]["merged"].as_i64().unwrap() > 0,
        "the demo has duplicates to merge"
    );
    assert_eq!(report["customers"]["rejected"], 2);
    assert!(
        report["model"]["bgnbd"]["r"].as_f64().unwrap() > 0.0,
        "the demo's purchases fit the value models"
    );
    // One campaign in both languages, two variants and a holdout.
    let campaign = &report["campaign"];
    let split = &campaign["split"];
    for arm in split["arms"].as_array().unwrap() {
        assert!(arm["customers"].as_u64().unwrap() > 100, "{arm}");
    }
    assert!(split["excluded"]["holdout"].as_u64().unwrap() > 0);
    assert!(split["excluded"]["opted_out"].as_u64().unwrap() > 0);
    assert_eq!(
        split["audience"], report["customers"]["inserted"],
        "every customer is in the campaign's audience"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(campaign["manifest"].as_str().unwrap()).unwrap())
            .unwrap();
    let templates: std::collections::BTreeSet<&str> = manifest["rendered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["files"][0]["template"].as_str().unwrap())
        .collect();
    assert_eq!(
        templates.into_iter().collect::<Vec<_>>(),
        [
            "recommendations-en",
            "recommendations-zh",
            "welcome-en",
            "welcome-zh"
        ],
        "both variants in both languages"
    );
    let db = out.join("workspace.sqlite");
    let shown = tessera(&db)
        .args([
            "preview",
            "email",
            "--template",
            "recommendations-zh",
            "--customer",
            "1",
        ])
        .output()
        .unwrap();
    assert!(shown.status.success());
    assert!(String::from_utf8(shown.stdout)
        .unwrap()
        .contains("<!doctype html>"));
    let profile = json_of(
        tessera(&db)
            .args(["customers", "show", "1", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(profile["id"], 1);
    assert!(profile["events"].is_array());
    // The demo kept its segment index: the first campaign command after it does not rebuild.
    let assigned = tessera(&db)
        .args(["campaign", "assign", "spring"])
        .output()
        .unwrap();
    assert!(assigned.status.success());
    assert!(
        assigned.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&assigned.stderr)
    );
}

#[test]
fn invalid_templates_fail_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.mjml");
    std::fs::write(&file, "<mjml><mj-body>\n<mj-section><mj-column><mj-text>{{ oops first_name }}</mj-text></mj-column></mj-section>\n</mj-body></mjml>").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["template", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("line 2, column 33") && err.contains("unknown helper 'oops'"),
        "{err}"
    );
}

#[test]
fn segment_commands_keep_the_index_between_processes_and_rebuild_it_after_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let (db, csv) = imported(
        dir.path(),
        "email,city,tags\na@x.com,Paris,vip\nb@x.com,上海,\n",
    );
    let rule = vip_rule(dir.path());
    let count = || {
        let out = tessera(&db)
            .args(["segment", "count", "--json"])
            .arg(&rule)
            .output()
            .unwrap();
        let built = String::from_utf8_lossy(&out.stderr).contains("building the segment index");
        (json_of(out)["count"].as_i64(), built)
    };
    assert_eq!(count(), (Some(1), true), "the first command builds it");
    assert_eq!(count(), (Some(1), false), "the next one maps the kept file");
    std::fs::write(&csv, "email,tags\nc@x.com,vip\n").unwrap();
    import_json(&db, &csv);
    assert_eq!(count(), (Some(2), true), "an import makes it stale");
    // An export never replaces the kept index.
    let out = tessera(&db)
        .args(["segment", "export"])
        .arg(&rule)
        .arg("--out")
        .arg(dir.path().join("w.sqlite-index"))
        .arg("--force")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a Tessera workspace file"), "{err}");
    assert_eq!(count(), (Some(2), false));
}

#[test]
fn a_segment_index_that_cannot_be_kept_still_counts_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = imported(dir.path(), "email,tags\na@x.com,vip\n");
    // Something else took the index's name: a folder with a file in it.
    std::fs::create_dir(dir.path().join("w.sqlite-index")).unwrap();
    std::fs::write(dir.path().join("w.sqlite-index").join("keep.txt"), "mine").unwrap();
    let rule = dir.path().join("all.json");
    std::fs::write(&rule, r#"{"version": 1, "conditions": []}"#).unwrap();
    for _ in 0..2 {
        let out = tessera(&db)
            .args(["segment", "count", "--json"])
            .arg(&rule)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(err.contains("could not be kept"), "{err}");
        assert_eq!(json_of(out)["count"], 1);
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("w.sqlite-index").join("keep.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn commands_building_the_segment_index_at_once_all_answer_and_leave_one_whole_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("email,tags\n");
    for i in 0..5000 {
        text.push_str(&format!(
            "c{i}@x.com,{}\n",
            if i % 5 == 0 { "vip" } else { "" }
        ));
    }
    let (db, _) = imported(dir.path(), &text);
    let rule = vip_rule(dir.path());
    let count = || {
        tessera(&db)
            .args(["segment", "count", "--json"])
            .arg(&rule)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let running: Vec<_> = (0..4).map(|_| count()).collect();
    for child in running {
        assert_eq!(json_of(child.wait_with_output().unwrap())["count"], 1000);
    }
    let out = count().wait_with_output().unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tessera-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_microsite_template_is_checked_and_previewed_for_a_customer() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = imported(
        dir.path(),
        "email,姓名,offer_url\nfang@example.cn,王芳,https://shop.example/o/1\n",
    );
    let site =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/microsite/offer-zh");
    let checked = tessera(&db)
        .args(["template", "check"])
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(
        String::from_utf8_lossy(&checked.stdout).contains("2 pages: index.html, preferences.html")
    );
    let page = tessera(&db)
        .args([
            "preview",
            "microsite",
            "--customer",
            "fang@example.cn",
            "--template",
        ])
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        page.status.success(),
        "{}",
        String::from_utf8_lossy(&page.stderr)
    );
    let html = String::from_utf8(page.stdout).unwrap();
    assert!(html.contains("<h1>王芳，这份优惠专属于您</h1>"), "{html}");
    assert!(
        html.contains(r#"href="https://shop.example/o/1""#),
        "{html}"
    );
    let missing = tessera(&db)
        .args([
            "preview",
            "microsite",
            "--customer",
            "fang@example.cn",
            "--page",
            "nope.html",
            "--template",
        ])
        .arg(&site)
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr)
        .contains("no page 'nope.html' (the site has index.html, preferences.html)"));
}

/// Two people at two terminals merge the same possible duplicate at once: one merge happens,
/// the other is told the pair is gone; nothing is merged twice or lost.
#[test]
fn two_processes_merging_one_possible_duplicate_merge_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = imported(
        dir.path(),
        "Customer No,email,phone,first_name\nA1,ann@x.com,+44 20 7946 0001,Ann\nA2,ann.b@x.com,+44 20 7946 0001,Annie\n",
    );
    let pairs = json_of(
        tessera(&db)
            .args(["customers", "duplicates", "--json"])
            .output()
            .unwrap(),
    );
    let pair = &pairs.as_array().unwrap()[0];
    let (keep, other) = (
        pair["customer"]["id"].as_i64().unwrap().to_string(),
        pair["other"]["id"].as_i64().unwrap().to_string(),
    );
    assert_eq!(pair["matched_on"], "phone:+442079460001");
    assert_eq!(pair["other"]["customer_numbers"][0], "A2");
    let merges: Vec<std::process::Child> = (0..2)
        .map(|_| {
            tessera(&db)
                .args(["customers", "merge", &keep, &other, "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outcomes: Vec<std::process::Output> = merges
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let succeeded = outcomes.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        succeeded,
        1,
        "{:?}",
        outcomes
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .collect::<Vec<_>>()
    );
    let refused = outcomes.iter().find(|o| !o.status.success()).unwrap();
    // (The merged-away customer is gone, or the pair: either way, said.)
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("no customer #") || said.contains("not a possible duplicate"),
        "{said}"
    );
    let status = json_of(tessera(&db).args(["status", "--json"]).output().unwrap());
    assert_eq!(
        (
            status["customers"].as_i64(),
            status["merges"].as_i64(),
            status["possible_duplicates"].as_i64()
        ),
        (Some(1), Some(1), Some(0))
    );
    let view = json_of(
        tessera(&db)
            .args(["customers", "show", "ann.b@x.com", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(view["id"].as_i64().unwrap().to_string(), keep);
    assert_eq!(view["merged_from"][0]["by_hand"], true);
}
