//! The site server under attack and under load, on a real port: renders of other workspaces
//! refused, a busy or deleted workspace, links out of the folder, ranges and streaming,
//! cross-site posts, and idle and slow connections by the thousand.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tessera_engine::error::{Coded, ErrorKind};
use tessera_engine::serve::{ServeOptions, Server};

use crate::sites::{campaign, events_of, shop, slugs};
use crate::support::{http, TestWorkspace};

fn options(out: &Path) -> ServeOptions {
    let mut options = ServeOptions::new(out.join("site"));
    options.listen = "127.0.0.1:0".parse().unwrap();
    options.rate = 0;
    options
}

/// A rendered site: the workspace, the run's folder.
async fn rendered() -> (TestWorkspace, std::path::PathBuf) {
    let t = shop().await;
    let out = t.dir.path().join("out");
    t.render(&campaign("spring"), &out).await.unwrap();
    (t, out)
}

/// One request with the headers given, on a fresh connection: (status, head, body).
fn request(at: SocketAddr, head: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    request_within(at, head, body, Duration::from_secs(20))
}

/// `request`, given up after `patience` without an answer (status 0).
fn request_within(
    at: SocketAddr,
    head: &str,
    body: &[u8],
    patience: Duration,
) -> (u16, String, Vec<u8>) {
    let Ok(mut stream) = TcpStream::connect_timeout(&at, patience) else {
        return (0, String::new(), Vec::new());
    };
    stream.set_read_timeout(Some(patience)).unwrap();
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let head = String::from_utf8_lossy(&answer[..at]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        head,
        answer.get(at + 4..).unwrap_or_default().to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_is_served_only_with_the_workspace_it_was_rendered_from() {
    let (_t, out) = rendered().await;
    // Another workspace, with customers of the same ids.
    let other = shop().await;
    let refused = Server::start(&other.ws, options(&out)).await.err().unwrap();
    assert_eq!(refused.kind(), ErrorKind::WrongWorkspace, "{refused}");
    assert!(
        refused.to_string().contains("another workspace"),
        "{refused}"
    );
    // The CLI without --db (its default workspace) is refused before it listens; nothing is
    // recorded anywhere.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = tempfile::tempdir().unwrap();
    let served = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--site"])
        .arg(out.join("site"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .output()
        .unwrap();
    assert!(!served.status.success());
    let said = String::from_utf8_lossy(&served.stderr);
    assert!(
        said.contains("another workspace") || said.contains("no workspace"),
        "{said}"
    );
    let consent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(&other.ws.pool)
        .await
        .unwrap();
    assert_eq!(consent, 0);
}

#[test]
fn visits_wait_while_another_process_holds_the_workspace_and_keep_their_own_time() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (t, out) = rt.block_on(rendered());
    let db = t.dir.path().join("workspace.sqlite");
    let server = rt.block_on(Server::start(&t.ws, options(&out))).unwrap();
    let at = server.address();
    let slug = slugs(&out)[1].1.clone();
    // Another program writes for longer than a write waits (10 s).
    let mut holder = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN IMMEDIATE')\nprint('held', flush=True)\ntime.sleep(12)\nc.execute('COMMIT')\n")
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = [0u8; 5];
    holder.stdout.take().unwrap().read_exact(&mut line).unwrap();
    let asked = chrono::Utc::now().timestamp();
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let slug = slug.clone();
            std::thread::spawn(move || {
                (0..50)
                    .filter(|_| http(at, "GET", &format!("/{slug}/"), b"").0 == 200)
                    .count()
            })
        })
        .collect();
    let answered: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
    let answered_by = chrono::Utc::now().timestamp();
    assert_eq!(
        answered, 200,
        "pages are answered while the workspace is busy"
    );
    holder.wait().unwrap();
    let counts = rt.block_on(server.stop()).unwrap();
    assert_eq!((counts.visits, counts.unrecorded), (200, 0), "{counts:?}");
    let times: Vec<i64> = rt
        .block_on(
            sqlx::query_scalar("SELECT occurred_at FROM events WHERE type = 'microsite_visit'")
                .fetch_all(&t.ws.pool),
        )
        .unwrap();
    assert_eq!(times.len(), 200);
    assert!(
        times.iter().all(|&t| (asked..=answered_by).contains(&t)),
        "each visit keeps its own time, not the time it was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_not_acknowledged_into_a_workspace_that_was_deleted() {
    let (t, out) = rendered().await;
    let server = Server::start(&t.ws, options(&out)).await.unwrap();
    let at = server.address();
    let slug = slugs(&out)[1].1.clone();
    let post = move || {
        let slug = slug.clone();
        tokio::task::spawn_blocking(move || {
            http(
                at,
                "POST",
                &format!("/{slug}/form/preferences"),
                b"frequency=weekly",
            )
            .0
        })
    };
    assert_eq!(post().await.unwrap(), 200);
    for file in t.ws.files() {
        let _ = std::fs::remove_file(file);
    }
    assert_eq!(
        post().await.unwrap(),
        503,
        "not stored anywhere anyone will find it"
    );
    let counts = server.stop().await.unwrap();
    assert_eq!(counts.submissions, 1, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_real_files_of_the_folder_are_served_and_ranges_are_answered() {
    let (t, out) = rendered().await;
    let site = out.join("site");
    // A secret beside the workspace, linked into the site folder as a folder and as a file.
    let secret = t.dir.path().join("secret");
    std::fs::create_dir(&secret).unwrap();
    std::fs::write(secret.join("key.txt"), "the secret").unwrap();
    std::os::unix::fs::symlink(&secret, site.join("assets2")).unwrap();
    std::os::unix::fs::symlink(secret.join("key.txt"), site.join("assets/key.txt")).unwrap();
    // A hard link to the workspace is a real file, but never opened.
    std::fs::hard_link(t.dir.path().join("workspace.sqlite"), site.join("ws.bin")).unwrap();
    // A large asset: 3 MB of counting bytes.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(site.join("assets/film.bin"), &big).unwrap();
    let server = Server::start(&t.ws, options(&out)).await.unwrap();
    let at = server.address();
    let get = move |path: &'static str, extra: &'static str| {
        tokio::task::spawn_blocking(move || {
            request(
                at,
                &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n"),
                b"",
            )
        })
    };
    for path in ["/assets2/key.txt", "/assets/key.txt", "/ws.bin"] {
        let (status, _, body) = get(path, "").await.unwrap();
        assert_eq!(status, 404, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("the secret"));
    }
    let (status, head, body) = get("/assets/film.bin", "").await.unwrap();
    assert_eq!((status, body.len()), (200, big.len()));
    assert!(body == big && head.contains("accept-ranges: bytes"));
    let (status, head, body) = get("/assets/film.bin", "Range: bytes=0-99\r\n")
        .await
        .unwrap();
    assert_eq!((status, &body[..]), (206, &big[..100]));
    assert!(head.contains("content-range: bytes 0-99/3000000"), "{head}");
    let (status, _, body) = get("/assets/film.bin", "Range: bytes=-10\r\n")
        .await
        .unwrap();
    assert_eq!((status, &body[..]), (206, &big[big.len() - 10..]));
    let (status, _, body) = get("/assets/film.bin", "Range: bytes=2999990-\r\n")
        .await
        .unwrap();
    assert_eq!((status, &body[..]), (206, &big[2_999_990..]));
    let (status, head, _) = get("/assets/film.bin", "Range: bytes=3000000-\r\n")
        .await
        .unwrap();
    assert_eq!(status, 416);
    assert!(head.contains("content-range: bytes */3000000"), "{head}");
    // A range of a version the client no longer has: the whole file.
    let (status, _, body) = get(
        "/assets/film.bin",
        "Range: bytes=0-9\r\nIf-Range: \"old\"\r\n",
    )
    .await
    .unwrap();
    assert_eq!((status, body.len()), (200, big.len()));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_from_other_sites_and_posts_that_are_not_forms_change_nothing() {
    let (t, out) = rendered().await;
    let (zoe_id, zoe) = slugs(&out)[1].clone();
    let server = Server::start(&t.ws, options(&out)).await.unwrap();
    let at = server.address();
    let consent = || async {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT granted FROM customer_consent WHERE customer_id = ? AND channel = 'email'",
        )
        .bind(zoe_id)
        .fetch_optional(&t.ws.pool)
        .await
        .unwrap()
        .flatten()
    };
    let before = consent().await;
    let body = b"frequency=weekly&consent_email=no";
    for (what, headers) in [
        (
            "another site's page",
            "Origin: https://evil.example\r\nContent-Type: application/x-www-form-urlencoded\r\n",
        ),
        (
            "a page in a sandbox",
            "Origin: null\r\nContent-Type: application/x-www-form-urlencoded\r\n",
        ),
        (
            "a cross-site request",
            "Sec-Fetch-Site: cross-site\r\nContent-Type: application/x-www-form-urlencoded\r\n",
        ),
        (
            "a same-site request",
            "Sec-Fetch-Site: same-site\r\nContent-Type: application/x-www-form-urlencoded\r\n",
        ),
        ("plain text", "Content-Type: text/plain\r\n"),
        ("no type", ""),
    ] {
        let head = format!(
            "POST /{zoe}/form/preferences HTTP/1.1\r\nHost: {at}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
            body.len()
        );
        let (status, _, _) = tokio::task::spawn_blocking(move || request(at, &head, body))
            .await
            .unwrap();
        assert_eq!(status, 403, "{what}");
    }
    assert_eq!(consent().await, before, "consent unchanged");
    // The site's own page posts.
    let head = format!(
        "POST /{zoe}/form/preferences HTTP/1.1\r\nHost: {at}\r\nConnection: close\r\nOrigin: http://{at}\r\nSec-Fetch-Site: same-origin\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (status, _, _) = tokio::task::spawn_blocking(move || request(at, &head, body))
        .await
        .unwrap();
    assert_eq!(status, 200);
    server.stop().await.unwrap();
    assert_eq!(
        consent().await,
        Some(0),
        "the customer's own choice is kept"
    );
    assert_eq!(events_of(&t, "form_submission").await.len(), 1);
}

/// Raises this process's open-file limit to `n` (the attack below holds over a thousand
/// sockets on each side).
#[allow(unsafe_code)]
fn allow_open_files(n: u64) {
    // SAFETY: reads and sets this process's own limit through a struct made here.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max.min(n);
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
}

#[test]
fn real_visitors_get_through_while_a_thousand_idle_and_two_hundred_slow_connections_are_open() {
    allow_open_files(8192);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (t, out) = rt.block_on(rendered());
    let db = t.dir.path().join("workspace.sqlite");
    let slug = slugs(&out)[1].1.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The server as users run it, with the usual limit of 1,024 open files.
    let server = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 1024 && exec \"$0\" --db \"$1\" serve --site \"$2\" --listen 127.0.0.1:{port} --rate 0"
        ))
        .arg(env!("CARGO_BIN_EXE_tessera"))
        .arg(&db)
        .arg(out.join("site"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Stopped however this test ends.
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Stop(server);
    let at: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    while TcpStream::connect(at).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // A thousand connections that never send a thing.
    let idle: Vec<TcpStream> = (0..1000)
        .filter_map(|_| TcpStream::connect(at).ok())
        .collect();
    // Two hundred that send a request's head a few bytes at a time, and never finish it.
    let slow: Vec<std::thread::JoinHandle<()>> = (0..200)
        .map(|_| {
            std::thread::spawn(move || {
                let Ok(mut stream) = TcpStream::connect(at) else {
                    return;
                };
                let head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
                let _ = stream.write_all(head);
                for _ in 0..30 {
                    std::thread::sleep(Duration::from_millis(500));
                    if stream.write_all(b"a").is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // Meanwhile, real visitors: every page is answered, while they are still waiting for it
    // (long before the attackers' connections would time out by themselves).
    let page = format!("GET /{slug}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut answered = 0;
    for _ in 0..40 {
        let (status, _, _) = request_within(at, &page, b"", Duration::from_secs(3));
        if status == 200 {
            answered += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(answered, 40, "real visitors were kept out");
    drop(idle);
    for s in slow {
        s.join().unwrap();
    }
    // Still serving afterwards.
    assert_eq!(http(at, "GET", &format!("/{slug}/"), b"").0, 200);
    let _ = Command::new("kill")
        .arg("-INT")
        .arg(server.0.id().to_string())
        .status();
    assert!(server.0.wait().unwrap().success());
}
