//! Sending through a real SMTP server on loopback (`tests/support/smtp_sink.py`, aiosmtpd):
//! exactly once across kills and concurrent senders, lost replies, temporary refusals, the rate
//! limit, one-click unsubscribe through `tessera serve`, bounces and the suppression list.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tessera_engine::app::Campaign;

use crate::support::{http, render_request, shop_session, tessera};

/// The SMTP server the tests send to, recording what it takes.
struct Sink {
    child: Child,
    port: u16,
    received: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sink {
    fn start(options: &[&str]) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let received = dir.path().join("received.jsonl");
        let child = Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/support/smtp_sink.py"
            ))
            .arg("--port-file")
            .arg(&port_file)
            .arg("--received")
            .arg(&received)
            .args(options)
            .spawn()
            .expect("python3 with aiosmtpd (scripts/setup installs it)");
        let started = Instant::now();
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                break text.trim().parse().unwrap();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the SMTP sink did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Sink {
            child,
            port,
            received: received.clone(),
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// What the server took, in order.
    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.received)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// How many messages each address got.
    fn per_address(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for m in self.received() {
            for to in m["to"].as_array().unwrap() {
                *counts.entry(to.as_str().unwrap().to_string()).or_insert(0) += 1;
            }
        }
        counts
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A workspace of `customers` customers (c0@example.com …) and campaign `spring` rendered as
/// .eml messages into `dir/out`. Returns the workspace file and the folder.
async fn rendered(dir: &Path, customers: usize) -> (PathBuf, PathBuf) {
    let mut rows = String::from("email,first_name,locale\n");
    for i in 0..customers {
        rows.push_str(&format!("c{i}@example.com,Ann {i},en-GB\n"));
    }
    let session = shop_session(dir, &rows).await;
    let campaign = Campaign::parse(
        r#"{"version": 1, "name": "spring", "audience": {"all": true}, "holdout": 0,
            "variants": [{"name": "A", "email": "welcome-en"}],
            "email_settings": {"from": "Tea Shop <shop@example.com>", "files": "eml"}}"#,
    )
    .unwrap();
    session.campaign_save(&campaign).await.unwrap();
    let out = dir.join("out");
    session
        .campaign_render(render_request(
            session.campaign("spring").await.unwrap(),
            &out,
        ))
        .await
        .unwrap();
    session.close().await.unwrap();
    (dir.join("shop.sqlite"), out)
}

fn send(db: &Path, sink: &Sink, extra: &[&str]) -> Value {
    let output = tessera(db)
        .args([
            "campaign",
            "send",
            "spring",
            "--smtp",
            &sink.url(),
            "--json",
        ])
        .args(extra)
        .output()
        .unwrap();
    json_of(&output)
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Each customer's message state, by customer id.
fn states(db: &Path) -> Vec<Value> {
    let output = tessera(db)
        .args(["campaign", "sends", "spring", "--json"])
        .output()
        .unwrap();
    json_of(&output).as_array().unwrap().clone()
}

fn count_state(states: &[Value], state: &str) -> usize {
    states.iter().filter(|s| s["state"] == state).count()
}

#[tokio::test]
async fn a_send_reaches_every_customer_once_and_a_second_send_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db, out) = rendered(dir.path(), 40).await;
    let sink = Sink::start(&[]);
    let report = send(&db, &sink, &[]);
    assert_eq!(report["sent"], 40, "{report}");
    assert_eq!(report["already_sent"], 0);
    assert_eq!(
        (report["failed"].as_u64(), report["unknown"].as_u64()),
        (Some(0), Some(0))
    );
    let per_address = sink.per_address();
    assert_eq!(per_address.len(), 40);
    assert!(per_address.values().all(|&n| n == 1));

    // What the server got is what was rendered: the Message-ID of the file, the one-click
    // headers with an opaque token (no address or id in any link).
    let file = std::fs::read_to_string(out.join("1.eml")).unwrap();
    let received = sink.received();
    let first = received
        .iter()
        .find(|m| m["to"][0] == "c0@example.com")
        .unwrap();
    let message_id = first["message_id"].as_str().unwrap();
    assert!(file.contains(&format!("Message-ID: {message_id}")));
    let links = first["list_unsubscribe"].as_str().unwrap();
    assert!(
        links.contains("/unsubscribe/") && links.contains("mailto:shop@example.com"),
        "{links}"
    );
    assert!(!links.contains("c0@") && !links.contains("Ann"), "{links}");
    let token = links
        .split("/unsubscribe/")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    assert!(
        token.len() == 22 && links.contains(&format!("unsubscribe-{token}")),
        "{links}"
    );
    assert_eq!(first["list_unsubscribe_post"], "List-Unsubscribe=One-Click");

    let again = send(&db, &sink, &[]);
    assert_eq!(
        (again["sent"].as_u64(), again["already_sent"].as_u64()),
        (Some(0), Some(40))
    );
    assert_eq!(sink.received().len(), 40);
    let listed = states(&db);
    assert_eq!(count_state(&listed, "sent"), 40);
    assert!(listed.iter().all(
        |s| s["message_id"].as_str().unwrap().ends_with("@example.com>")
            && s["reply"].as_str().unwrap().starts_with("250")
    ));
}

#[tokio::test]
async fn a_sender_killed_mid_campaign_resumes_without_sending_anything_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rendered(dir.path(), 120).await;
    // Each reply to the final "." takes a moment: the kill lands while messages are with the
    // server.
    let sink = Sink::start(&["--delay", "0.02"]);
    let mut sender = tessera(&db)
        .args([
            "campaign",
            "send",
            "spring",
            "--smtp",
            &sink.url(),
            "--connections",
            "3",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while sink.received().len() < 30 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing was sent"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    sender.kill().unwrap(); // SIGKILL: no chance to record anything more
    sender.wait().unwrap();

    let report = send(&db, &sink, &["--connections", "3"]);
    let listed = states(&db);
    let unknown: Vec<&Value> = listed.iter().filter(|s| s["state"] == "unknown").collect();
    // What was with the server when the sender died is unknown (at most one per connection),
    // everything else is sent, and nothing was sent twice.
    assert!(unknown.len() <= 3, "{unknown:?}");
    assert_eq!(
        count_state(&listed, "sent") + unknown.len(),
        120,
        "{report}"
    );
    assert_eq!(
        report["settled_unknown"].as_u64().unwrap() as usize,
        unknown.len()
    );
    let per_address = sink.per_address();
    assert!(per_address.values().all(|&n| n == 1), "{per_address:?}");
    for s in &listed {
        let address = format!("c{}@example.com", s["customer_id"].as_i64().unwrap() - 1);
        if s["state"] == "sent" {
            assert_eq!(per_address.get(&address), Some(&1), "{address}");
        }
    }
    // A third send changes nothing.
    let third = send(&db, &sink, &[]);
    assert_eq!(third["sent"], 0);
    assert_eq!(sink.per_address(), per_address);
}

#[tokio::test]
async fn a_reply_lost_after_the_end_of_the_message_is_unknown_and_not_resent() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rendered(dir.path(), 10).await;
    let sink = Sink::start(&["--drop-after-data", "c3@example.com"]);
    let report = send(&db, &sink, &[]);
    assert_eq!(
        (report["sent"].as_u64(), report["unknown"].as_u64()),
        (Some(9), Some(1))
    );
    let listed = states(&db);
    let lost = listed.iter().find(|s| s["state"] == "unknown").unwrap();
    assert_eq!(lost["customer_id"], 4);
    assert!(lost["reply"]
        .as_str()
        .unwrap()
        .contains("end of the message"));
    // The server did get it once; running again does not send it again.
    assert_eq!(sink.per_address()["c3@example.com"], 1);
    let again = send(&db, &sink, &[]);
    assert_eq!(
        (again["sent"].as_u64(), again["unknown"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(sink.per_address()["c3@example.com"], 1);
    // Only when the user asks.
    let resent = send(&db, &sink, &["--resend-unknown"]);
    assert_eq!(
        (resent["sent"].as_u64(), resent["unknown"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(sink.per_address()["c3@example.com"], 2);
}

#[tokio::test]
async fn temporary_refusals_are_retried_and_each_message_arrives_once_permanent_ones_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rendered(dir.path(), 12).await;
    let sink = Sink::start(&["--defer-first", "2", "--refuse", "c5@example.com"]);
    let report = send(&db, &sink, &[]);
    assert_eq!(
        (report["sent"].as_u64(), report["failed"].as_u64()),
        (Some(11), Some(1)),
        "{report}"
    );
    let per_address = sink.per_address();
    assert_eq!(per_address.len(), 11);
    assert!(per_address.values().all(|&n| n == 1));
    let listed = states(&db);
    let failed = listed.iter().find(|s| s["state"] == "failed").unwrap();
    assert_eq!(failed["customer_id"], 6);
    assert!(
        failed["reply"].as_str().unwrap().contains("550"),
        "{failed}"
    );
    assert!(listed
        .iter()
        .filter(|s| s["state"] == "sent")
        .all(|s| s["attempts"] == 3));
}

#[tokio::test]
async fn two_senders_at_once_never_send_the_same_message() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rendered(dir.path(), 150).await;
    let sink = Sink::start(&["--delay", "0.005"]);
    let senders: Vec<Child> = (0..2)
        .map(|_| {
            tessera(&db)
                .args([
                    "campaign",
                    "send",
                    "spring",
                    "--smtp",
                    &sink.url(),
                    "--json",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let reports: Vec<Value> = senders
        .into_iter()
        .map(|c| json_of(&c.wait_with_output().unwrap()))
        .collect();
    let sent: u64 = reports.iter().map(|r| r["sent"].as_u64().unwrap()).sum();
    assert_eq!(sent, 150, "{reports:?}");
    let per_address = sink.per_address();
    assert_eq!(per_address.len(), 150);
    assert!(per_address.values().all(|&n| n == 1));
}

#[tokio::test]
async fn the_rate_limit_holds_over_thirty_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rendered(dir.path(), 300).await;
    let sink = Sink::start(&[]);
    let report = send(&db, &sink, &["--rate", "10", "--connections", "4"]);
    assert_eq!(report["sent"], 300);
    // The messages are spread out: the sender starts at most the rate per second (one more for
    // a window's edges), so in no three seconds did the server get more than three seconds'
    // worth and what the four connections could have had in flight; the send took 30 s.
    let at: Vec<f64> = sink
        .received()
        .iter()
        .map(|m| m["at"].as_f64().unwrap())
        .collect();
    for (i, start) in at.iter().enumerate() {
        let within = at[i..].iter().take_while(|t| **t < start + 3.0).count();
        assert!(
            within <= 3 * 10 + 1 + 4,
            "{within} messages within three seconds from {start}"
        );
    }
    assert!(at[at.len() - 1] - at[0] >= 29.0);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `tessera serve` on the render folder (which has no sites: it is served for its unsubscribe
/// links).
fn serve(db: &Path, out: &Path) -> (Child, SocketAddr) {
    let port = free_port();
    let server = tessera(db)
        .args(["serve", "--site"])
        .arg(out.join("site"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let at: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    while TcpStream::connect(at).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (server, at)
}

/// The one-click link of a rendered message, as a path.
fn one_click_path(eml: &str) -> String {
    let line = eml
        .lines()
        .find(|l| l.starts_with("List-Unsubscribe:"))
        .unwrap();
    let url = line.split('<').nth(1).unwrap().split('>').next().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:8080/unsubscribe/"),
        "{url}"
    );
    url.trim_start_matches("http://127.0.0.1:8080").to_string()
}

#[tokio::test]
async fn a_one_click_unsubscribe_excludes_the_customer_from_the_next_send() {
    let dir = tempfile::tempdir().unwrap();
    let (db, out) = rendered(dir.path(), 8).await;
    let path = one_click_path(&std::fs::read_to_string(out.join("3.eml")).unwrap());
    let (mut server, at) = serve(&db, &out);

    // The page offers a button; the mail client's POST (from anywhere, no cookie) unsubscribes.
    let (status, _, page) = http(at, "GET", &path, b"");
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\">") && page.contains("Unsubscribe"));
    let (status, _, _) = http(at, "POST", &path, b"List-Unsubscribe=One-Click");
    assert_eq!(status, 200);
    // A token of another workspace, a made-up one, a body that is not the one-click's.
    let other = tempfile::tempdir().unwrap();
    let (_, other_out) = rendered(other.path(), 3).await;
    let foreign = one_click_path(&std::fs::read_to_string(other_out.join("1.eml")).unwrap());
    assert_eq!(
        http(at, "POST", &foreign, b"List-Unsubscribe=One-Click").0,
        404
    );
    assert_eq!(
        http(
            at,
            "POST",
            "/unsubscribe/AAAAAAAAAAAAAAAAAAAAAA",
            b"List-Unsubscribe=One-Click"
        )
        .0,
        404
    );
    assert_eq!(http(at, "POST", &path, b"x=1").0, 400);
    server.kill().unwrap();
    server.wait().unwrap();

    let sink = Sink::start(&[]);
    let report = send(&db, &sink, &[]);
    assert_eq!(
        (report["sent"].as_u64(), report["excluded"].as_u64()),
        (Some(7), Some(1)),
        "{report}"
    );
    assert!(!sink.per_address().contains_key("c2@example.com"));
    let listed = states(&db);
    let excluded = listed.iter().find(|s| s["state"] == "excluded").unwrap();
    assert_eq!(excluded["customer_id"], 3);
    assert!(excluded["reply"].as_str().unwrap().starts_with("opted_out"));
}

const BOUNCE: &str = "From: MAILER-DAEMON@mx.example.net\r\nTo: shop@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n\r\n\
--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\
Final-Recipient: rfc822; C1@Example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b1--\r\n";

#[tokio::test]
async fn bounce_reports_and_complaints_suppress_addresses_for_every_later_send_and_render() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rendered(dir.path(), 6).await;
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    std::fs::write(reports.join("bounce.eml"), BOUNCE).unwrap();
    // A provider's export: a complaint, soft bounces that repeat, a row that is neither.
    std::fs::write(
        reports.join("provider.csv"),
        "email,type,bounce_type\nc2@example.com,complaint,\nc4@example.com,bounce,soft\n\
         c4@example.com,bounce,soft\nc4@example.com,bounce,soft\nc5@example.com,bounce,soft\nnot-an-address,bounce,hard\nc0@example.com,open,\n",
    )
    .unwrap();
    std::fs::write(reports.join("notes.txt"), "just a note").unwrap();
    let output = tessera(&db)
        .args(["bounces", "import"])
        .arg(&reports)
        .arg("--json")
        .output()
        .unwrap();
    let report = json_of(&output);
    assert_eq!(report["hard_bounces"], 1);
    assert_eq!(report["complaints"], 1);
    assert_eq!(report["soft_bounces"], 4);
    assert_eq!(report["suppressed"], 3, "{report}");
    let skipped: Vec<String> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["place"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        skipped,
        ["notes.txt", "provider.csv line 7", "provider.csv line 8"]
    );

    let listed = tessera(&db)
        .args(["suppress", "list", "--json"])
        .output()
        .unwrap();
    let listed = json_of(&listed);
    let mut emails: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["email"].as_str().unwrap())
        .collect();
    emails.sort();
    assert_eq!(
        emails,
        ["c1@example.com", "c2@example.com", "c4@example.com"]
    );
    // The list keeps keyed hashes: an address no customer has is nowhere in the workspace.
    let added = tessera(&db)
        .args(["suppress", "add", "gone@elsewhere.example"])
        .output()
        .unwrap();
    assert!(added.status.success());
    for file in [db.clone(), db.with_extension("sqlite-wal")] {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("gone@elsewhere"),
            "{}",
            file.display()
        );
    }

    // By hand too, then lifted.
    let added = tessera(&db)
        .args(["suppress", "add", "C3@example.com"])
        .output()
        .unwrap();
    assert!(added.status.success());
    let sink = Sink::start(&[]);
    let report = send(&db, &sink, &[]);
    assert_eq!(
        (report["sent"].as_u64(), report["excluded"].as_u64()),
        (Some(2), Some(4)),
        "{report}"
    );
    let got: Vec<String> = sink.per_address().into_keys().collect();
    assert!(
        got.iter()
            .all(|a| a == "c0@example.com" || a == "c5@example.com"),
        "{got:?}"
    );
    let removed = tessera(&db)
        .args(["suppress", "remove", "c3@example.com"])
        .output()
        .unwrap();
    assert!(removed.status.success());
    // Importing a suppressed address again imports the customer and flags the row.
    let again = dir.path().join("again.csv");
    std::fs::write(
        &again,
        "email,first_name\nc3@example.com,Ann\nC1@EXAMPLE.COM,Ann 1\n",
    )
    .unwrap();
    let imported = tessera(&db)
        .args(["import", "customers"])
        .arg(&again)
        .arg("--json")
        .output()
        .unwrap();
    let imported = json_of(&imported);
    let flagged: Vec<(u64, &str)> = imported["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["line"].as_u64().unwrap(),
                w["problem"]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(flagged, [(3, "row_suppressed")], "{imported}");
    // A new render leaves the suppressed out and says why.
    let assign = tessera(&db)
        .args(["campaign", "assign", "spring", "--json"])
        .output()
        .unwrap();
    let assign = json_of(&assign);
    assert_eq!(assign["split"]["excluded"]["suppressed"], 3, "{assign}");
}

#[tokio::test]
async fn a_test_send_goes_to_the_user_alone_and_is_not_logged() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rendered(dir.path(), 3).await;
    let sink = Sink::start(&[]);
    let output = tessera(&db)
        .args([
            "campaign",
            "test-send",
            "spring",
            "--customer",
            "2",
            "--to",
            "me@shop.example",
        ])
        .args(["--smtp", &sink.url(), "--json"])
        .output()
        .unwrap();
    let sent = json_of(&output);
    assert_eq!(sent["to"], "me@shop.example");
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["to"][0], "me@shop.example");
    assert!(received[0]["subject"].as_str().unwrap().contains("Test"));
    assert!(received[0]["list_unsubscribe"]
        .as_str()
        .unwrap()
        .contains("/unsubscribe/preview"));
    assert!(states(&db).is_empty());
}

#[tokio::test]
async fn an_unreachable_server_or_a_password_in_the_address_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rendered(dir.path(), 3).await;
    let closed = free_port();
    let output = tessera(&db)
        .args([
            "campaign",
            "send",
            "spring",
            "--smtp",
            &format!("smtp://127.0.0.1:{closed}"),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("cannot connect to the mail server"), "{said}");
    assert!(states(&db).iter().all(|s| s["state"] == "queued"));

    let output = tessera(&db)
        .args([
            "campaign",
            "send",
            "spring",
            "--smtp",
            "smtp://me:secret@127.0.0.1:25",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("TESSERA_SMTP_PASSWORD") && !said.contains("secret"),
        "{said}"
    );
}

#[tokio::test]
async fn messages_signed_with_the_users_dkim_key_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (db, out) = rendered(dir.path(), 5).await;
    let key = dir.path().join("dkim.pem");
    let made = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .unwrap();
    assert!(made.status.success());
    let public = Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    use base64::Engine;
    let record = format!(
        "v=DKIM1; k=rsa; p={}",
        base64::engine::general_purpose::STANDARD.encode(&public.stdout)
    );
    let sink = Sink::start(&["--dkim-txt", &record]);
    let dkim = [
        "--dkim-domain",
        "example.com",
        "--dkim-selector",
        "mail2026",
        "--dkim-key",
    ];
    let output = tessera(&db)
        .args([
            "campaign",
            "send",
            "spring",
            "--smtp",
            &sink.url(),
            "--json",
        ])
        .args(dkim)
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(json_of(&output)["sent"], 5);
    let received = sink.received();
    assert_eq!(received.len(), 5);
    assert!(received.iter().all(|m| m["dkim"] == true), "{received:?}");
    // The files stay as rendered (the manifest's hashes hold); a message sent unsigned does not
    // verify, so the check above is not one that always passes.
    assert!(!std::fs::read_to_string(out.join("1.eml"))
        .unwrap()
        .contains("DKIM-Signature"));
    let unsigned = tessera(&db)
        .args([
            "campaign",
            "test-send",
            "spring",
            "--customer",
            "1",
            "--to",
            "me@shop.example",
        ])
        .args(["--smtp", &sink.url()])
        .output()
        .unwrap();
    assert!(unsigned.status.success());
    assert_eq!(sink.received()[5]["dkim"], false);
    // A key that is not one is refused before anything is sent, naming the file.
    let bad = dir.path().join("not-a-key.pem");
    std::fs::write(&bad, "hello").unwrap();
    let refused = tessera(&db)
        .args([
            "campaign",
            "send",
            "spring",
            "--smtp",
            &sink.url(),
            "--resend-unknown",
        ])
        .args(dkim)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not-a-key.pem"));
}

#[tokio::test]
async fn a_run_whose_folder_a_later_render_replaced_is_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (db, out) = rendered(dir.path(), 4).await;
    // Run 2 into the same folder replaces run 1's files (other Message-IDs).
    let again = tessera(&db)
        .args(["campaign", "render", "spring", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let sink = Sink::start(&[]);
    let refused = tessera(&db)
        .args([
            "campaign",
            "send",
            "spring",
            "--run",
            "1",
            "--smtp",
            &sink.url(),
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("now holds run 2"), "{said}");
    assert!(sink.received().is_empty());
    // The latest run goes out, with the Message-IDs its files carry.
    let report = send(&db, &sink, &[]);
    assert_eq!(
        (report["run"].as_i64(), report["sent"].as_u64()),
        (Some(2), Some(4))
    );
    let file = std::fs::read_to_string(out.join("1.eml")).unwrap();
    let first = sink
        .received()
        .into_iter()
        .find(|m| m["to"][0] == "c0@example.com")
        .unwrap();
    assert!(file.contains(&format!(
        "Message-ID: {}",
        first["message_id"].as_str().unwrap()
    )));
}
