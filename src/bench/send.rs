//! Sending: the messages of a rendered campaign through SMTP, as `campaign send` sends them
//! (each claimed in the workspace before it goes out and recorded after), against Python's
//! smtplib sending the same files with no record at all.
//!
//! Fairness: both send the same files over the same number of connections to the same sink, an
//! SMTP server in this process that takes every message and keeps none (so the sender, not the
//! server, is measured); the rate limit is off; rounds alternate and medians are compared.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::campaign::EMAIL_CAMPAIGN;
use crate::campaigns::store::save_campaign;
use crate::campaigns::{plan_campaign, render_campaign, Campaign, RunOptions, Selector};
use crate::customers::{import_customers, ImportOptions};
use crate::sending::smtp::{Security, SmtpServer};
use crate::sending::{send_campaign, SendControl, SendOptions};
use crate::store::{Access, Workspace};
use crate::templates::store::install_starter_templates;

const ROUNDS: usize = 3;
const CONNECTIONS: usize = 4;

pub async fn bench_send(
    customers: usize,
    scratch: &Path,
    baseline: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = scratch.join("send");
    let _ = std::fs::remove_dir_all(&dir);
    let (people, _) = crate::demo::write_demo_files(&dir, customers, 7)?;
    let ws = Workspace::open(&dir.join("workspace.sqlite"), Access::Create).await?;
    import_customers(&ws, &people, &ImportOptions::default(), &|_| {}).await?;
    install_starter_templates(&ws.pool).await?;
    let campaign = Campaign::parse(EMAIL_CAMPAIGN)?;
    save_campaign(&ws.pool, &campaign).await?;
    let out = dir.join("out");
    let now = chrono::Utc::now();
    let plan = plan_campaign(&ws.pool, Selector::Sql, &campaign, now).await?;
    let rendered = render_campaign(&ws.pool, plan, RunOptions::unattended(out.clone(), now))
        .await?
        .rendered;
    let sink = start_sink()?;
    let server = SmtpServer::parse(&format!("smtp://{sink}"), Some(Security::None))?;

    println!("Sending {rendered} rendered messages over {CONNECTIONS} connections to a local SMTP sink, rate limit off, against Python's smtplib on the same files:");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for ours_first in [round % 2 == 0, round % 2 == 1] {
            if ours_first {
                // Each round sends everything again: the ledger starts empty.
                sqlx::query("DELETE FROM sends").execute(&ws.pool).await?;
                let started = std::time::Instant::now();
                let report = send_campaign(
                    &ws.pool,
                    "bench",
                    SendOptions {
                        server: server.clone(),
                        run: None,
                        rate: 0.0,
                        per_day: None,
                        connections: CONNECTIONS,
                        retry: Default::default(),
                        control: SendControl::default(),
                        progress: &|_| {},
                        retry_delay: 1,
                        dkim: None,
                    },
                )
                .await?;
                ours.push(report.sent as f64 / started.elapsed().as_secs_f64());
            } else if let Some(per_second) = super::run_baseline(
                Command::new("python3")
                    .arg(baseline.join("smtp_send.py"))
                    .arg(&out)
                    .arg(sink.port().to_string())
                    .arg(CONNECTIONS.to_string()),
            )
            .and_then(|v| v["per_second"].as_f64())
            {
                theirs.push(per_second);
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let ours = median(ours).unwrap_or_default();
    println!(
        "  {ours:>8.0} messages/s, each claimed and recorded in the workspace: {} (medians of {ROUNDS} alternated rounds)",
        super::ratio(ours, median(theirs))
    );
    ws.close().await;
    Ok(())
}

/// An SMTP server on loopback that accepts every message and discards it, on a thread of its
/// own.
fn start_sink() -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async move {
            let Ok(listener) = TcpListener::from_std(listener) else {
                return;
            };
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut line = Vec::new();
                    let mut in_data = false;
                    loop {
                        line.clear();
                        match lines.read_until(b'\n', &mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let reply: &[u8] = if in_data {
                            if line != b".\r\n" {
                                continue;
                            }
                            in_data = false;
                            b"250 2.0.0 taken\r\n"
                        } else {
                            let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                            match verb.as_slice() {
                                b"EHLO" => b"250-sink\r\n250-8BITMIME\r\n250 PIPELINING\r\n",
                                b"DATA" => {
                                    in_data = true;
                                    b"354 go on\r\n"
                                }
                                b"QUIT" => {
                                    let _ = write.write_all(b"221 bye\r\n").await;
                                    return;
                                }
                                _ => b"250 OK\r\n",
                            }
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
    });
    Ok(address)
}
