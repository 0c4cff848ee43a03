//! `tessera serve` against nginx serving the same rendered site, with the same load generator,
//! in the same run; then form submissions acknowledged durably per second; then the server's
//! memory while many clients slowly download a large asset (streamed, not read whole).
//!
//! Fairness: both servers serve the same folder on loopback, each alone while measured, with
//! the same generator (keep-alive connections fetching random customers' pages) on the same two
//! cores; our server records each visit as an event, as it does in use. Rounds alternate and
//! medians are compared.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::campaign::SITE_CAMPAIGN;
use crate::campaigns::{plan_campaign, render_campaign, Campaign, RunOptions, Selector};
use crate::customers::{import_customers, ImportOptions};
use crate::serve::{ServeOptions, Server};
use crate::store::{Access, Workspace};
use crate::templates::store::install_starter_templates;

const ROUNDS: usize = 3;
const CONNECTIONS: usize = 32;
const SECONDS: f64 = 3.0;

/// One request on a kept-alive connection; true if answered 200.
async fn exchange(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> bool {
    if stream.write_all(request).await.is_err() {
        return false;
    }
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            return head.starts_with("http/1.1 200");
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Answers per second from `at`: CONNECTIONS keep-alive clients for SECONDS, each request made
/// by `request(i)`.
fn load(at: SocketAddr, request: Requests) -> f64 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime for the load generator");
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    runtime.block_on(async {
        let clients: Vec<_> = (0..CONNECTIONS as u64)
            .map(|c| {
                let (done, stop, request) = (done.clone(), stop.clone(), request.clone());
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut i = c * 7919;
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(mut stream) = TcpStream::connect(at).await else {
                            return;
                        };
                        while !stop.load(Ordering::Relaxed)
                            && exchange(&mut stream, &request(i), &mut buffer).await
                        {
                            done.fetch_add(1, Ordering::Relaxed);
                            i += 1;
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs_f64(SECONDS)).await;
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            let _ = c.await;
        }
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// nginx on `site`, with a configuration of its own (two workers, no access log).
fn start_nginx(site: &Path, dir: &Path, port: u16) -> Option<Child> {
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "worker_processes 2;\npid {pid};\nerror_log {dir}/error.log;\ndaemon off;\n\
             events {{ worker_connections 1024; }}\n\
             http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;\n\
             client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir};\n\
             uwsgi_temp_path {dir}; scgi_temp_path {dir};\n\
             server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n",
            pid = dir.join("nginx.pid").display(),
            dir = dir.display(),
            root = site.display(),
        ),
    )
    .ok()?;
    let child = Command::new("nginx")
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let at = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while std::net::TcpStream::connect(at).is_err() {
        if started.elapsed() > Duration::from_secs(5) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child)
}

/// Runs on a thread of its own: the server, nginx and the load generator each get their own
/// runtime or process, none borrowed from the caller's.
pub fn bench_serve(customers: usize, scratch: &Path) -> Result<(), String> {
    let scratch = scratch.to_path_buf();
    std::thread::spawn(move || serve_and_measure(customers, &scratch).map_err(|e| e.to_string()))
        .join()
        .map_err(|_| "the serve benchmark stopped".to_string())?
}

type Requests = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

/// Requests for random customers' sites: `make(slug)` writes one.
fn requests(slugs: &Arc<Vec<String>>, make: fn(&str) -> String) -> Requests {
    let slugs = slugs.clone();
    Arc::new(move |i| {
        let slug = &slugs[(i as usize).wrapping_mul(2_654_435_761) % slugs.len()];
        make(slug).into_bytes()
    })
}

fn serve_and_measure(customers: usize, scratch: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // Our server runs on its own two-thread runtime, as `tessera serve` does.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = scratch.join("serve");
    let (ws, site) = runtime.block_on(render_sites(customers, &dir))?;
    let slugs: Arc<Vec<String>> = Arc::new(
        std::fs::read_dir(&site)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| crate::microsites::slug::is_slug(n))
            .collect(),
    );
    let pages = requests(&slugs, |slug| {
        format!("GET /{slug}/index.html HTTP/1.1\r\nHost: bench\r\n\r\n")
    });
    let submissions = requests(&slugs, |slug| {
        let body = "topics=tea&topics=coffee&frequency=weekly&_hp=";
        format!(
            "POST /{slug}/form/preferences HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    });
    let mut options = ServeOptions::new(site.clone());
    options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    options.rate = 0;
    let server = runtime.block_on(Server::start(&ws, options))?;
    let ours_at = server.address();
    let nginx_port = free_port()?;
    let nginx_at = SocketAddr::from(([127, 0, 0, 1], nginx_port));
    let nginx_dir = dir.join("nginx");
    std::fs::create_dir_all(&nginx_dir)?;

    println!("Serving a personal page ({} customers' sites, {CONNECTIONS} keep-alive connections, {SECONDS} s a round) against nginx on the same files and load:", slugs.len());
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for ours_first in [round % 2 == 0, round % 2 == 1] {
            if ours_first {
                ours.push(load(ours_at, pages.clone()));
            } else if let Some(mut nginx) = start_nginx(&site, &nginx_dir, nginx_port) {
                theirs.push(load(nginx_at, pages.clone()));
                let _ = nginx.kill();
                let _ = nginx.wait();
            }
        }
    }
    let ours_rate = median(ours);
    if theirs.is_empty() {
        println!("  tessera serve {ours_rate:>8.0} pages/s; nginx not found (apt-get install nginx-light) for the baseline");
    } else {
        let nginx_rate = median(theirs);
        println!(
            "  tessera serve {ours_rate:>8.0} pages/s against nginx {nginx_rate:>8.0} pages/s: {:.0}% of nginx (medians of {ROUNDS} alternated rounds; ours records every visit)",
            100.0 * ours_rate / nginx_rate
        );
    }
    let rates: Vec<f64> = (0..ROUNDS)
        .map(|_| load(ours_at, submissions.clone()))
        .collect();
    slow_downloads(ours_at, &site)?;
    let counts = runtime.block_on(server.stop())?;
    let stored: i64 = runtime.block_on(
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE type = 'form_submission'")
            .fetch_one(&ws.pool),
    )?;
    println!(
        "  form submissions acknowledged after commit: {:>8.0}/s (median of {ROUNDS}, {CONNECTIONS} connections, synchronous=FULL, group commit); {} acknowledged, {stored} stored",
        median(rates),
        counts.submissions
    );
    runtime.block_on(ws.close());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// This process's resident memory, in MB (Linux).
fn resident_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

const SLOW_CLIENTS: usize = 60;
const ASSET_MB: usize = 100;

/// The server's memory (this process's) while SLOW_CLIENTS clients each download a
/// ASSET_MB MB asset at 320 KB/s for a few seconds.
fn slow_downloads(at: SocketAddr, site: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::{Read, Write};
    let asset = site.join("assets").join("bench-large.bin");
    std::fs::write(&asset, vec![7u8; ASSET_MB << 20])?;
    let before = resident_mb();
    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..SLOW_CLIENTS)
        .map(|_| {
            let (stop, received) = (stop.clone(), received.clone());
            std::thread::spawn(move || {
                let Ok(mut stream) = std::net::TcpStream::connect(at) else {
                    return;
                };
                let request = "GET /assets/bench-large.bin HTTP/1.1\r\nHost: bench\r\n\r\n";
                if stream.write_all(request.as_bytes()).is_err() {
                    return;
                }
                let mut buffer = [0u8; 16 * 1024];
                while !stop.load(Ordering::Relaxed) {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => received.fetch_add(n as u64, Ordering::Relaxed),
                    };
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        })
        .collect();
    let mut peak = before;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(200));
        peak = peak.max(resident_mb());
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.join();
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = resident_mb();
    let _ = std::fs::remove_file(&asset);
    println!(
        "  {SLOW_CLIENTS} clients slowly downloading a {ASSET_MB} MB asset ({:.0} MB received in 8 s): resident memory {before:.0} MB before, {peak:.0} MB at most during ({:+.0} MB), {after:.0} MB after",
        received.load(Ordering::Relaxed) as f64 / 1048576.0,
        peak - before
    );
    Ok(())
}

/// A workspace of `customers` in `dir` and their rendered sites: (workspace, the site folder).
async fn render_sites(
    customers: usize,
    dir: &Path,
) -> Result<(Workspace, std::path::PathBuf), Box<dyn std::error::Error>> {
    let _ = std::fs::remove_dir_all(dir);
    let (people, _) = crate::demo::write_demo_files(dir, customers, 11)?;
    let ws = Workspace::open(&dir.join("workspace.sqlite"), Access::Create).await?;
    import_customers(&ws, &people, &ImportOptions::default(), &|_| {}).await?;
    install_starter_templates(&ws.pool).await?;
    let out = dir.join("out");
    let now = chrono::Utc::now();
    let campaign = Campaign::parse(SITE_CAMPAIGN)?;
    let plan = plan_campaign(&ws.pool, Selector::Sql, &campaign, now).await?;
    render_campaign(&ws.pool, plan, RunOptions::unattended(out.clone(), now)).await?;
    let site = std::fs::canonicalize(out.join("site"))?;
    Ok((ws, site))
}
