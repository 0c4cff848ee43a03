//! Campaign runs under faults, on real SQLite files, real processes and a real ffmpeg: a second
//! render at once, kill -9 at any moment, an ffmpeg that is missing or stops early, a full
//! disk. After each, the manifest, the delivery log and the files on disk agree, and a run
//! that failed replaced nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::SqlitePool;
use tessera_engine::campaigns::{plan_campaign, render_campaign, Campaign, RunOptions, Selector};
use tessera_engine::error::{Coded, ErrorKind};
use tessera_engine::output::{Claim, RenderFolder};

use crate::support::{tessera, walk, Rng, SmallDisk, TestWorkspace};

/// `count` customers, a tenth of them opted out, names in several scripts.
async fn shop(count: usize) -> TestWorkspace {
    let t = TestWorkspace::new().await;
    let names = ["Zoë", "王芳", "José", "Ann 🎉", "Søren"];
    let mut csv = String::from("email,first_name,locale,unsubscribed\n");
    for i in 0..count {
        let locale = if i % 3 == 0 { "zh-CN" } else { "en-GB" };
        let out = if i % 10 == 9 { "yes" } else { "no" };
        csv.push_str(&format!(
            "c{i}@example.com,{},{locale},{out}\n",
            names[i % names.len()]
        ));
    }
    t.customers(&t.file("c.csv", csv)).await;
    t.template(
        "hello",
        "<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{first_name}}</mj-text></mj-column></mj-section></mj-body></mjml>",
    )
    .await;
    t
}

fn email_campaign(name: &str) -> String {
    format!(
        r#"{{"version": 1, "name": "{name}", "audience": {{"all": true}}, "holdout": 0.1,
            "variants": [{{"name": "A", "email": "hello"}}, {{"name": "B", "email": "hello", "values": {{"offer": "10%"}}}}],
            "email_settings": {{"files": "eml"}}}}"#
    )
}

/// A tiny storyboard (the same video for everyone but the name), quick to encode.
fn storyboard(folder: &Path, seconds: u32) {
    let doc = serde_json::json!({"format": 1, "name": "Hi", "canvas": {"width": 160, "height": 96, "fps": 10}, "start": "hi",
        "scenes": [{"id": "hi", "duration": seconds, "layers": [
            {"id": "name", "type": "text", "text": "{{greeting_name}}", "box": {"x": 4, "y": 4, "width": 150, "height": 40}, "style": {"size": 20}}]}]});
    std::fs::create_dir_all(folder).unwrap();
    std::fs::write(folder.join("storyboard.json"), doc.to_string()).unwrap();
}

fn render_video(db: &Path, board: &Path, out: &Path) -> Command {
    let mut c = tessera(db);
    c.args([
        "render",
        "video",
        "--all",
        "--json",
        "--formats",
        "poster,mp4",
        "--storyboard",
    ])
    .arg(board)
    .arg("--out")
    .arg(out);
    c
}

fn render_campaign_cli(db: &Path, name: &str, out: &Path) -> Command {
    let mut c = tessera(db);
    c.args(["campaign", "render", name, "--json", "--out"])
        .arg(out);
    c
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file of a folder with its content hash.
fn contents(folder: &Path) -> BTreeMap<String, String> {
    walk(folder)
        .into_iter()
        .map(|f| {
            (
                f.strip_prefix(folder)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                blake3::hash(&std::fs::read(&f).unwrap())
                    .to_hex()
                    .to_string(),
            )
        })
        .collect()
}

/// What a render left beside its folder: nothing once it ended, however it ended.
fn leftovers_beside(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.tessera-")))
        .collect()
}

async fn run_status(pool: &SqlitePool, run: i64) -> String {
    sqlx::query_scalar("SELECT status FROM campaign_runs WHERE id = ?")
        .bind(run)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The manifest in `out`, the files beside it and the delivery log of its run agree: every
/// file it lists is there with its hash and nothing else is, and the log names exactly the
/// customers' files. Returns the manifest.
async fn assert_agree(pool: &SqlitePool, out: &Path) -> Value {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    let mut customers_files: BTreeMap<String, String> = BTreeMap::new();
    for r in manifest["rendered"].as_array().unwrap() {
        for f in r["files"].as_array().unwrap() {
            let (file, hash) = (f["file"].as_str().unwrap(), f["hash"].as_str().unwrap());
            listed.insert(file.into(), hash.into());
            customers_files.insert(file.into(), hash.into());
        }
    }
    for f in manifest["shared"].as_array().unwrap() {
        listed.insert(
            f["file"].as_str().unwrap().into(),
            f["hash"].as_str().unwrap().into(),
        );
    }
    let mut on_disk = contents(out);
    on_disk.remove("manifest.json");
    on_disk.remove(tessera_engine::output::MARKER);
    assert_eq!(on_disk, listed, "the files on disk are the manifest's");
    let run = manifest["run"].as_i64().unwrap();
    let logged: BTreeMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT file, hash FROM deliveries WHERE run_id = ?")
            .bind(run)
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(
        logged, customers_files,
        "the delivery log is the manifest's"
    );
    assert_eq!(
        manifest["counts"]["rendered"].as_u64().unwrap() as usize,
        manifest["rendered"].as_array().unwrap().len()
    );
    manifest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_render_of_the_campaign_or_into_the_folder_is_refused_while_one_holds_it() {
    let t = shop(40).await;
    let now = chrono::Utc::now();
    let campaign = Campaign::parse(&email_campaign("spring")).unwrap();
    let render = |out: PathBuf| {
        let campaign = campaign.clone();
        let pool = t.ws.pool.clone();
        async move {
            let plan = plan_campaign(&pool, Selector::Sql, &campaign, now).await?;
            render_campaign(&pool, plan, RunOptions::unattended(out, now)).await
        }
    };
    let out = t.dir.path().join("out");
    render(out.clone()).await.unwrap();
    let before = contents(&out);
    // A run of any campaign holds the folder: another one is told so and touches nothing.
    let held = RenderFolder::lock(&out).unwrap();
    let refused = render(out.clone()).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Busy, "{refused}");
    assert!(
        refused.to_string().contains("in use by another run"),
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .contains(&format!("process {}", std::process::id())),
        "{refused}"
    );
    drop(held);
    assert_eq!(contents(&out), before);
    // A run of the campaign holds the campaign, whatever folder it writes.
    let claim = tessera_engine::store::claim_file(&t.ws.pool, "campaign spring")
        .await
        .unwrap();
    let held = Claim::take(&claim, "campaign 'spring'").unwrap();
    let elsewhere = t.dir.path().join("elsewhere");
    let refused = render(elsewhere.clone()).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Busy, "{refused}");
    assert!(!elsewhere.exists());
    drop(held);
    render(elsewhere.clone()).await.unwrap();
    assert_agree(&t.ws.pool, &elsewhere).await;
    assert_agree(&t.ws.pool, &out).await;
    // Nothing of the claims is left beside the folder or the workspace.
    assert!(
        leftovers_beside(&out).is_empty(),
        "{:?}",
        leftovers_beside(&out)
    );
    assert!(!claim.parent().unwrap().exists());
}

#[test]
fn two_renders_at_once_into_one_folder_leave_one_complete_run() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = rt.block_on(shop(3000));
    let db = t.dir.path().join("workspace.sqlite");
    let doc = t.file("spring.json", email_campaign("spring"));
    assert!(tessera(&db)
        .args(["campaign", "save", "spring"])
        .arg(&doc)
        .status()
        .unwrap()
        .success());
    let out = t.dir.path().join("same");
    for round in 0..3 {
        let started: Vec<_> = (0..2)
            .map(|_| {
                render_campaign_cli(&db, "spring", &out)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<Output> = started
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let succeeded = outputs.iter().filter(|o| o.status.success()).count();
        assert!(succeeded >= 1, "round {round}: {}", stderr(&outputs[0]));
        for o in outputs.iter().filter(|o| !o.status.success()) {
            assert!(
                stderr(o).contains("in use by another run"),
                "round {round}: {}",
                stderr(o)
            );
        }
        let manifest = rt.block_on(assert_agree(&t.ws.pool, &out));
        assert_eq!(
            rt.block_on(run_status(&t.ws.pool, manifest["run"].as_i64().unwrap())),
            "done"
        );
        assert!(
            leftovers_beside(&out).is_empty(),
            "{:?}",
            leftovers_beside(&out)
        );
    }
    // No run is left saying it is running or done without its files.
    let runs: Vec<(i64, String)> = rt
        .block_on(
            sqlx::query_as("SELECT id, status FROM campaign_runs ORDER BY id")
                .fetch_all(&t.ws.pool),
        )
        .unwrap();
    assert!(runs.iter().all(|(_, s)| s == "done"), "{runs:?}");
}

#[test]
fn a_video_render_that_fails_for_everyone_replaces_nothing_and_says_why() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = rt.block_on(shop(3));
    let db = t.dir.path().join("workspace.sqlite");
    let board = t.dir.path().join("hi");
    storyboard(&board, 1);
    let good = t.dir.path().join("good");
    let done = render_video(&db, &board, &good).output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));
    let before = contents(&good);
    // No ffmpeg at all.
    let scratch = tempfile::tempdir().unwrap();
    let failed = render_video(&db, &board, &good)
        .env("PATH", "/nonexistent")
        .env("TMPDIR", scratch.path())
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("ffmpeg is needed"),
        "{}",
        stderr(&failed)
    );
    assert!(
        stderr(&failed).contains("nothing was replaced"),
        "{}",
        stderr(&failed)
    );
    assert_eq!(
        contents(&good),
        before,
        "a failed run replaced the good one"
    );
    // An ffmpeg that stops at once, as one built without libx264 does: its own words are
    // reported, no SIGPIPE ends Tessera, and nothing is left in the temporary folder.
    let bin = tempfile::tempdir().unwrap();
    let ffmpeg = bin.path().join("ffmpeg");
    std::fs::write(
        &ffmpeg,
        "#!/bin/sh\necho \"Unknown encoder 'libx264'\" >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&ffmpeg, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let failed = render_video(&db, &board, &good)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .env("TMPDIR", scratch.path())
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("Unknown encoder 'libx264'"),
        "{}",
        stderr(&failed)
    );
    assert_eq!(contents(&good), before);
    let left: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
    assert!(left.is_empty(), "left in the temporary folder: {left:?}");
    assert!(
        leftovers_beside(&good).is_empty(),
        "{:?}",
        leftovers_beside(&good)
    );
    // Both failed runs are logged as failed, with nothing delivered; the good one stands.
    let runs: Vec<(i64, String)> = rt
        .block_on(
            sqlx::query_as("SELECT id, status FROM campaign_runs ORDER BY id")
                .fetch_all(&t.ws.pool),
        )
        .unwrap();
    let statuses: Vec<&str> = runs.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(statuses, ["done", "failed", "failed"]);
    for (id, _) in &runs[1..] {
        let logged: i64 = rt
            .block_on(
                sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE run_id = ?")
                    .bind(id)
                    .fetch_one(&t.ws.pool),
            )
            .unwrap();
        assert_eq!(logged, 0);
    }
    rt.block_on(assert_agree(&t.ws.pool, &good));
}

#[test]
fn a_killed_video_render_is_continued_from_every_customer_it_logged() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = rt.block_on(shop(24));
    let db = t.dir.path().join("workspace.sqlite");
    let board = t.dir.path().join("hi");
    storyboard(&board, 4);
    let out = t.dir.path().join("out");
    let mut first = render_video(&db, &board, &out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once a few customers are logged (each as soon as their files are in place).
    let started = Instant::now();
    let logged = loop {
        let n: i64 = rt
            .block_on(
                sqlx::query_scalar("SELECT COUNT(DISTINCT customer_id) FROM deliveries")
                    .fetch_one(&t.ws.pool),
            )
            .unwrap();
        if n >= 3 {
            break n;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "nothing was logged"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    first.kill().unwrap();
    first.wait().unwrap();
    let again = render_video(&db, &board, &out).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    let summary: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(
        summary["resumed"].as_i64().unwrap() >= logged,
        "{logged} logged before the kill: {summary}"
    );
    rt.block_on(assert_agree(&t.ws.pool, &out));
    assert!(
        leftovers_beside(&out).is_empty(),
        "{:?}",
        leftovers_beside(&out)
    );
}

#[test]
fn renders_killed_at_any_moment_leave_manifest_log_and_files_agreeing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = rt.block_on(shop(1500));
    let db = t.dir.path().join("workspace.sqlite");
    rt.block_on(tessera_engine::templates::store::install_starter_templates(
        &t.ws.pool,
    ))
    .unwrap();
    let sites = r#"{"version": 1, "name": "club", "audience": {"all": true},
        "variants": [{"name": "A", "email": "hello", "microsite": {"en": "loyalty-en", "zh": "loyalty-zh"}}],
        "microsite_settings": {"base_url": "http://127.0.0.1:8099"}}"#;
    for (name, doc) in [
        ("spring", email_campaign("spring")),
        ("club", sites.to_string()),
    ] {
        let file = t.file(&format!("{name}.json"), doc);
        assert!(tessera(&db)
            .args(["campaign", "save", name])
            .arg(&file)
            .status()
            .unwrap()
            .success());
    }
    let mut rng = Rng(0x5eed_1234);
    for (round, name) in ["spring", "club", "spring", "club", "spring", "club"]
        .iter()
        .enumerate()
    {
        let out = t.dir.path().join(format!("out-{name}"));
        let before = out.exists().then(|| contents(&out));
        let mut child = render_campaign_cli(&db, name, &out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(50 + rng.below(1500)));
        let _ = child.kill();
        child.wait().unwrap();
        // Killed at whatever moment: the folder holds one whole run, the one it held before or
        // the new one, and its manifest, files and log agree (or, killed between the two
        // renames that swap a run in, the new run waits whole beside it).
        if out.join("manifest.json").exists() {
            rt.block_on(assert_agree(&t.ws.pool, &out));
        } else if before.is_some() {
            let name = format!(".out-{name}.tessera-staging-");
            let waiting = std::fs::read_dir(t.dir.path()).unwrap().flatten().any(|e| {
                e.file_name().to_string_lossy().starts_with(&name)
                    && e.path().join(tessera_engine::output::MARKER).exists()
            });
            assert!(waiting, "round {round}: the earlier run is gone");
        }
        // Continued to the end, and whole.
        let done = render_campaign_cli(&db, name, &out).output().unwrap();
        assert!(done.status.success(), "round {round}: {}", stderr(&done));
        let manifest = rt.block_on(assert_agree(&t.ws.pool, &out));
        let run = manifest["run"].as_i64().unwrap();
        assert_eq!(rt.block_on(run_status(&t.ws.pool, run)), "done");
        assert!(
            leftovers_beside(&out).is_empty(),
            "{:?}",
            leftovers_beside(&out)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_that_fills_the_disk_fails_and_replaces_nothing() {
    let Some(disk) = SmallDisk::mount("400k") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let t = shop(2000).await;
    let now = chrono::Utc::now();
    let out = disk.path.join("out");
    // A first render that fits: forty customers.
    let few = email_campaign("spring").replace(
        r#""audience": {"all": true}"#,
        &format!(
            r#""audience": {{"customers": {:?}}}"#,
            (1..=40).collect::<Vec<i64>>()
        ),
    );
    let campaign = Campaign::parse(&few).unwrap();
    let plan = plan_campaign(&t.ws.pool, Selector::Sql, &campaign, now)
        .await
        .unwrap();
    render_campaign(&t.ws.pool, plan, RunOptions::unattended(out.clone(), now))
        .await
        .unwrap();
    let before = contents(&out);
    // Everyone does not fit beside it.
    let campaign = Campaign::parse(&email_campaign("spring")).unwrap();
    let plan = plan_campaign(&t.ws.pool, Selector::Sql, &campaign, now)
        .await
        .unwrap();
    let failed = render_campaign(&t.ws.pool, plan, RunOptions::unattended(out.clone(), now))
        .await
        .unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::RenderFailed, "{failed}");
    assert!(failed.to_string().contains("No space left"), "{failed}");
    assert_eq!(contents(&out), before, "a failed run replaced the good one");
    assert!(
        leftovers_beside(&out).is_empty(),
        "{:?}",
        leftovers_beside(&out)
    );
    let manifest = assert_agree(&t.ws.pool, &out).await;
    let last: (i64, String) =
        sqlx::query_as("SELECT id, status FROM campaign_runs ORDER BY id DESC LIMIT 1")
            .fetch_one(&t.ws.pool)
            .await
            .unwrap();
    assert_eq!(last.1, "failed");
    assert_ne!(manifest["run"].as_i64(), Some(last.0));
}

/// Whether a customer can be reached by email is one rule, whichever store the facts come from:
/// the workspace's SQL, the segment index, or the customer's loaded profile (the preview).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reach_is_one_answer_from_sql_the_index_and_a_customers_preview() {
    let t = TestWorkspace::new().await;
    t.customers(&t.file(
        "people.csv",
        "email,phone,first_name,unsubscribed\n\
         a@x.com,,Ann,no\n\
         ,+44 20 7946 0101,Bo,no\n\
         c@x.com,,Cy,yes\n\
         d@x.com,,Di,\n\
         ,+44 20 7946 0102,Ed,yes\n",
    ))
    .await;
    t.template("hello", "<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{first_name}}</mj-text></mj-column></mj-section></mj-body></mjml>").await;
    let now = chrono::Utc::now();
    let campaign = Campaign::parse(&email_campaign("reach").replace("0.1", "0")).unwrap();
    let by_sql = plan_campaign(&t.ws.pool, Selector::Sql, &campaign, now)
        .await
        .unwrap()
        .assignments();
    let index = tessera_engine::segments::SegmentIndex::current(&t.ws.path, || {})
        .unwrap()
        .index;
    let by_index = plan_campaign(&t.ws.pool, Selector::Index(&index), &campaign, now)
        .await
        .unwrap()
        .assignments();
    assert_eq!(by_sql, by_index);
    let excluded: Vec<Option<&str>> = by_sql
        .iter()
        .map(|a| a.excluded.map(|e| e.as_str()))
        .collect();
    assert_eq!(
        excluded,
        // Ed has no address and said no: the guard is named.
        vec![
            None,
            Some("no_address"),
            Some("opted_out"),
            None,
            Some("opted_out")
        ]
    );
    for a in &by_sql {
        let preview = tessera_engine::campaigns::preview::preview_customer(
            &t.ws.pool,
            &campaign,
            a.customer_id,
            now,
        )
        .await
        .unwrap();
        assert_eq!(preview.excluded, a.excluded, "customer {}", a.customer_id);
    }
}
