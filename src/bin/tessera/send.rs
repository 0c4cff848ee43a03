//! `tessera campaign send | sends | test-send`, `tessera suppress …`, `tessera bounces import`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tessera_engine::app::{
    DkimKey, Retry, Security, SendControl, SendRequest, Session, SmtpServer,
};

use crate::terminal::{json, say, tell};
use crate::Failure;

/// The mail server, as every sending command names it.
#[derive(Args)]
pub struct Smtp {
    /// smtp://HOST:PORT or smtp://USER@HOST:PORT (the password comes from
    /// TESSERA_SMTP_PASSWORD, or is asked for).
    #[arg(long)]
    smtp: String,
    /// How the connection is secured (default: none on this computer, tls on port 465,
    /// starttls elsewhere).
    #[arg(long, value_parser = ["none", "starttls", "tls"])]
    tls: Option<String>,
}

/// The DKIM key messages are signed with, if any.
#[derive(Args)]
pub struct Dkim {
    /// The signing domain (d=), usually the sender's.
    #[arg(long, requires_all = ["dkim_selector", "dkim_key"])]
    dkim_domain: Option<String>,
    /// The selector (s=): the key's DNS record is SELECTOR._domainkey.DOMAIN.
    #[arg(long, requires_all = ["dkim_domain", "dkim_key"])]
    dkim_selector: Option<String>,
    /// The RSA private key, in PEM.
    #[arg(long, requires_all = ["dkim_domain", "dkim_selector"])]
    dkim_key: Option<PathBuf>,
}

impl Dkim {
    fn key(&self) -> Option<DkimKey> {
        Some(DkimKey {
            domain: self.dkim_domain.clone()?,
            selector: self.dkim_selector.clone()?,
            key_file: self.dkim_key.clone()?,
        })
    }
}

impl Smtp {
    fn server(&self) -> Result<SmtpServer, Failure> {
        let security = self.tls.as_deref().and_then(Security::parse);
        let mut server = SmtpServer::parse(&self.smtp, security)?;
        if let Some(login) = server.login.as_mut() {
            login.password = match std::env::var("TESSERA_SMTP_PASSWORD") {
                Ok(password) => password,
                Err(_) if std::io::stdin().is_terminal() => {
                    ask_password(&format!("Password for {}: ", server_name(&self.smtp)))?
                }
                Err(_) => {
                    return Err(
                        "the mail server needs a password: set TESSERA_SMTP_PASSWORD".into(),
                    )
                }
            };
        }
        Ok(server)
    }
}

fn server_name(url: &str) -> &str {
    url.split("://").nth(1).unwrap_or(url)
}

/// Reads a line from the terminal without echoing it.
#[allow(unsafe_code)]
fn ask_password(prompt: &str) -> Result<String, Failure> {
    use std::os::fd::AsRawFd;
    eprint!("{prompt}");
    let fd = std::io::stdin().as_raw_fd();
    // SAFETY: termios is plain data, read and written for the terminal on stdin only.
    let saved = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return Err("cannot read the terminal's settings".into());
        }
        let saved = t;
        t.c_lflag &= !libc::ECHO;
        libc::tcsetattr(fd, libc::TCSANOW, &t);
        saved
    };
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    // SAFETY: as above, restoring what was read.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, &saved);
    }
    eprintln!();
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

#[derive(Args)]
pub struct SendArgs {
    name: String,
    #[command(flatten)]
    smtp: Smtp,
    #[command(flatten)]
    dkim: Dkim,
    /// The run to send (default: the campaign's latest finished render).
    #[arg(long)]
    run: Option<i64>,
    /// Messages per second at most (0: as fast as the server takes them).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Messages per day at most, over all campaigns (a provider's daily quota).
    #[arg(long)]
    per_day: Option<u64>,
    /// Connections to the server at once.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Send again the messages whose fate is unknown (their customers may get two).
    #[arg(long)]
    resend_unknown: bool,
    /// Try again the messages the server refused.
    #[arg(long)]
    retry_failed: bool,
    #[arg(long)]
    json: bool,
}

pub async fn send(session: &Session, args: SendArgs) -> Result<(), Failure> {
    let server = args.smtp.server()?;
    let control = SendControl::default();
    {
        // Ctrl-C stops claiming; the messages with the server are finished and recorded.
        let control = control.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                control.stop();
            }
        });
    }
    let bar = if args.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    };
    let progress = |p: tessera_engine::app::SendProgress| {
        bar.set_length(p.total);
        bar.set_position(p.sent + p.failed + p.unknown + p.excluded);
        bar.set_message(format!(
            "sent {}, failed {}, unknown {}",
            p.sent, p.failed, p.unknown
        ));
    };
    let report = session
        .campaign_send(
            &args.name,
            SendRequest {
                dkim: args.dkim.key(),
                server,
                run: args.run,
                rate: args.rate,
                per_day: args.per_day,
                connections: args.connections,
                retry: Retry {
                    unknown: args.resend_unknown,
                    failed: args.retry_failed,
                },
                control,
                progress: &progress,
            },
        )
        .await?;
    bar.finish_and_clear();
    if args.json {
        println!("{}", json(&report));
        return Ok(());
    }
    say!(
        "run {} of '{}' through {}: {} sent now, {} already sent, {} failed, {} unknown, {} excluded, {} waiting ({:.1} s)",
        report.run,
        report.campaign,
        report.server,
        report.sent,
        report.already_sent,
        report.failed,
        report.unknown,
        report.excluded,
        report.queued,
        report.seconds
    );
    if report.settled_unknown > 0 {
        tell!("note: {} messages were with the server when an earlier send stopped; their fate is unknown and they are not resent (--resend-unknown sends them again)", report.settled_unknown);
    }
    if report.day_limit_reached {
        tell!("note: the day's limit is reached; run the same command tomorrow to go on");
    } else if report.stopped || report.queued > 0 {
        tell!(
            "note: {} messages wait; run the same command to go on",
            report.queued
        );
    }
    if report.failed > 0 || report.unknown > 0 {
        tell!(
            "see each message's state: tessera campaign sends '{}'",
            report.campaign
        );
    }
    Ok(())
}

pub async fn sends(session: &Session, name: &str, as_json: bool) -> Result<(), Failure> {
    let sends = session.campaign_sends(name).await?;
    if as_json {
        println!("{}", json(&sends));
        return Ok(());
    }
    for s in &sends {
        say!(
            "{}\t{}\t{}\t{}",
            s.customer_id,
            s.state.as_str(),
            s.message_id,
            s.reply.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

#[derive(Args)]
pub struct TestSendArgs {
    name: String,
    #[command(flatten)]
    dkim: Dkim,
    /// The customer whose email is sent.
    #[arg(long)]
    customer: i64,
    /// Your own address.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    smtp: Smtp,
    #[arg(long)]
    json: bool,
}

pub async fn test_send(session: &Session, args: TestSendArgs) -> Result<(), Failure> {
    let server = args.smtp.server()?;
    let sent = session
        .campaign_test_send(
            &args.name,
            args.customer,
            &args.to,
            &server,
            args.dkim.key().as_ref(),
        )
        .await?;
    if args.json {
        println!("{}", json(&sent));
    } else {
        say!(
            "test message sent to {} ({}): {}",
            sent.to,
            sent.message_id,
            sent.reply
        );
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum SuppressCommand {
    /// Suppress an address: it gets no email from any campaign.
    Add { address: String },
    /// The suppressed addresses (kept as keyed hashes; the address is shown where a customer
    /// has it).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Lift an address's suppression.
    Remove { address: String },
}

pub async fn suppress(session: &Session, command: SuppressCommand) -> Result<(), Failure> {
    match command {
        SuppressCommand::Add { address } => {
            if session.suppress(&address).await? {
                say!("suppressed {address}");
            } else {
                say!("{address} was already suppressed");
            }
        }
        SuppressCommand::Remove { address } => {
            if session.unsuppress(&address).await? {
                say!("{address} is no longer suppressed");
            } else {
                return Err(format!("{address} is not suppressed").into());
            }
        }
        SuppressCommand::List { json: as_json } => {
            let list = session.suppressions().await?;
            if as_json {
                println!("{}", json(&list));
            }
            for s in list.iter().filter(|_| !as_json) {
                say!(
                    "{}\t{:?}\t{}\t{}\t{}",
                    s.hash,
                    s.reason,
                    s.source,
                    s.created_at,
                    s.email.as_deref().unwrap_or("(no customer has it)")
                );
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum BouncesCommand {
    /// Read bounce and complaint reports: .eml files, an mbox, a folder of them, or a
    /// provider's CSV (email and type columns).
    Import {
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub async fn bounces(session: &Session, command: BouncesCommand) -> Result<(), Failure> {
    let BouncesCommand::Import {
        path,
        json: as_json,
    } = command;
    let report = session.bounces_import(&path).await?;
    if as_json {
        println!("{}", json(&report));
        return Ok(());
    }
    say!(
        "{} files, {} reports: {} hard bounces, {} soft bounces, {} complaints; {} addresses newly suppressed",
        report.files,
        report.reports,
        report.hard_bounces,
        report.soft_bounces,
        report.complaints,
        report.suppressed
    );
    for s in &report.skipped {
        tell!("skipped {}: {}", s.place, s.reason);
    }
    Ok(())
}
