//! Sending a rendered run through the user's own mail server, each message exactly once where
//! that can be known and marked `unknown` where it cannot (see `ledger`), at the pace the user
//! sets, with the customers who may no longer get email left out at the moment of sending.
//!
//! A send is a few workers, one SMTP connection each, and one ledger connection they share:
//! each worker claims one message when its connection is ready and its pace slot has come,
//! sends it, and hands back the outcome with its next claim, so claims and outcomes of all
//! workers are committed together in few transactions.

pub mod bounces;
pub mod dkim;
pub mod ledger;
pub mod pace;
pub mod smtp;
pub mod suppression;
pub mod unsubscribe;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lettre::transport::smtp::extension::ClientId;
use lettre::Address;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot, watch};

use crate::campaigns::store::CampaignStoreError;
use crate::output::{Claim as Lock, ClaimError};
use crate::render::eml::Mailbox;
use ledger::{Claim, Claimed, Ledger, Outcome, Retry, SendState};
use pace::Pace;
use smtp::{Connection, SmtpError, SmtpServer, Verdict};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("campaign '{0}' has no finished render to send: render it with emails as .eml files first")]
    NothingRendered(String),
    #[error("run {run} is not a finished render of campaign '{campaign}'")]
    NotARun { campaign: String, run: i64 },
    #[error("the folder of run {run} of campaign '{campaign}' ({}) now holds {}: send that run instead (or render again)", .folder.display(), match .holds { Some(other) => format!("run {other}"), None => "no render".to_string() })]
    Replaced {
        campaign: String,
        run: i64,
        folder: std::path::PathBuf,
        holds: Option<i64>,
    },
    #[error("run {run} of campaign '{campaign}' wrote no .eml messages (its emails are HTML pages to look at, or it has no email): render with email_settings.files = \"eml\"")]
    NoMessages { campaign: String, run: i64 },
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    #[error(transparent)]
    Lock(#[from] ClaimError),
    #[error(transparent)]
    Campaign(#[from] CampaignStoreError),
    #[error("the sender's address '{0}' cannot be used on the SMTP envelope")]
    Sender(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
}

impl crate::error::Coded for SendError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            SendError::NothingRendered(_)
            | SendError::NotARun { .. }
            | SendError::Replaced { .. } => ErrorKind::NotFound,
            SendError::NoMessages { .. } | SendError::Sender(_) => ErrorKind::InvalidInput,
            SendError::Smtp(e) => e.kind(),
            SendError::Lock(e) => e.kind(),
            SendError::Campaign(e) => e.kind(),
            SendError::Sql(_) | SendError::Ledger(_) => ErrorKind::Database,
        }
    }
}

/// Pause, resume and stop a send from another task (the app's buttons, the CLI's Ctrl-C).
#[derive(Clone)]
pub struct SendControl(watch::Sender<Flow>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    Pause,
    Stop,
}

impl Default for SendControl {
    fn default() -> SendControl {
        SendControl(watch::channel(Flow::Go).0)
    }
}

impl SendControl {
    pub fn pause(&self) {
        self.0.send_if_modified(|f| {
            let changed = *f == Flow::Go;
            if changed {
                *f = Flow::Pause;
            }
            changed
        });
    }

    pub fn resume(&self) {
        self.0.send_if_modified(|f| {
            let changed = *f == Flow::Pause;
            if changed {
                *f = Flow::Go;
            }
            changed
        });
    }

    /// Stops claiming; the messages with the server are finished and recorded.
    pub fn stop(&self) {
        self.0.send_replace(Flow::Stop);
    }

    pub fn is_paused(&self) -> bool {
        *self.0.borrow() == Flow::Pause
    }

    /// Waits while paused; false once stopped.
    async fn proceed(&self) -> bool {
        let mut flow = self.0.subscribe();
        loop {
            match *flow.borrow_and_update() {
                Flow::Go => return true,
                Flow::Stop => return false,
                Flow::Pause => {}
            }
            if flow.changed().await.is_err() {
                return false;
            }
        }
    }
}

pub struct SendOptions<'a> {
    pub server: SmtpServer,
    /// The run to send; the campaign's latest finished run if none.
    pub run: Option<i64>,
    /// Messages per second at most (0: as fast as the server takes them).
    pub rate: f64,
    /// Messages per day at most, over every campaign of the workspace.
    pub per_day: Option<u64>,
    /// Connections (and messages in flight) at once.
    pub connections: usize,
    pub retry: Retry,
    pub control: SendControl,
    pub progress: &'a (dyn Fn(SendProgress) + Sync),
    /// Seconds before a temporary refusal is tried again the first time (doubling after).
    pub retry_delay: i64,
    /// Signs each message as it goes out.
    pub dkim: Option<Arc<dkim::DkimSigner>>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct SendProgress {
    pub sent: u64,
    pub failed: u64,
    pub unknown: u64,
    pub excluded: u64,
    /// Tried again later (temporary refusals, broken connections).
    pub deferred: u64,
    /// The run's messages.
    pub total: u64,
    pub paused: bool,
}

/// What a send did. `sent` counts this send's; the others are the run's messages as they now
/// stand (so a second send of a finished run says `already_sent` for each).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SendReport {
    pub campaign: String,
    pub run: i64,
    pub server: String,
    pub sent: u64,
    pub failed: u64,
    pub unknown: u64,
    pub already_sent: u64,
    pub excluded: u64,
    /// Still waiting: the send was stopped or paused for the day, or temporary refusals wait.
    pub queued: u64,
    /// The run's messages.
    pub total: u64,
    /// Messages found `sending` from a sender that stopped, now `unknown`.
    pub settled_unknown: u64,
    /// The day's limit stopped the send.
    pub day_limit_reached: bool,
    pub stopped: bool,
    pub seconds: f64,
}

/// Sends the run's messages not sent yet.
pub async fn send_campaign(
    pool: &SqlitePool,
    campaign: &str,
    options: SendOptions<'_>,
) -> Result<SendReport, SendError> {
    let started = std::time::Instant::now();
    let campaign = campaign.trim().to_string();
    let run = chosen_run(pool, &campaign, options.run).await?;
    let document = crate::campaigns::store::load_run_document(pool, run).await?;
    let from = Mailbox::parse(&document.email_settings.from)
        .map_err(|_| SendError::Sender(document.email_settings.from.clone()))?;
    let envelope_from: Address = from
        .address
        .parse()
        .map_err(|_| SendError::Sender(from.address.clone()))?;

    // This sender's lock file says it runs; another sender finding it gone settles its claims.
    let sender = crate::app::new_seed();
    let _alive = Lock::take(
        &crate::store::claim_file(pool, &format!("sender:{sender}")).await?,
        &format!("sender {sender}"),
    )?;
    let mut gone = Vec::new();
    for other in ledger::claiming_senders(pool, &campaign).await? {
        if !sender_alive(pool, other.as_deref()).await? {
            gone.push(other);
        }
    }
    let settled = ledger::settle_abandoned(pool, &campaign, &gone).await?;
    let queued = ledger::queue_run(pool, &campaign, run, &from, options.retry).await?;
    if queued.messages == 0 {
        return Err(SendError::NoMessages { campaign, run });
    }

    // Fails early (and sends nothing) when the server cannot be reached or refuses the login.
    let hello = ClientId::Domain(
        from.address
            .rsplit_once('@')
            .map_or("localhost", |(_, d)| d)
            .to_string(),
    );
    let first = options.server.connect(&hello).await?;

    let day_budget = match options.per_day {
        Some(limit) => {
            let since = chrono::Utc::now().timestamp() - 86_400;
            Some(limit.saturating_sub(ledger::handed_over_since(pool, since).await?))
        }
        None => None,
    };
    let shared = Arc::new(Shared {
        pace: Pace::new(options.rate),
        control: options.control.clone(),
        counts: Counts::default(),
        day_budget: day_budget.map(AtomicU64::new),
        day_limit_reached: std::sync::atomic::AtomicBool::new(false),
        retry_delay: options.retry_delay.max(1),
        total: queued.messages,
    });
    let (requests, inbox) = mpsc::channel::<Request>(64);
    let ledger = Ledger::open(pool, &campaign, &sender).await?;
    let keeper = tokio::spawn(keep_ledger(ledger, inbox));

    let mut workers = tokio::task::JoinSet::new();
    let mut first = Some(first);
    for _ in 0..options.connections.max(1) {
        let worker = Worker {
            dkim: options.dkim.clone(),
            server: options.server.clone(),
            hello: hello.clone(),
            from: envelope_from.clone(),
            shared: shared.clone(),
            requests: requests.clone(),
        };
        let connection = first.take();
        workers.spawn(worker.run(connection));
    }
    drop(requests);
    let mut failure = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            joined = workers.join_next() => match joined {
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(e))) => {
                    // The server became unreachable: the others stop after their message.
                    shared.control.stop();
                    failure.get_or_insert(e);
                }
                Some(Err(e)) => {
                    shared.control.stop();
                    failure.get_or_insert(SendError::Smtp(SmtpError::Connect {
                        server: options.server.describe(),
                        message: format!("a sending task stopped unexpectedly: {e}"),
                    }));
                }
                None => break,
            },
            _ = ticker.tick() => (options.progress)(shared.progress()),
        }
    }
    keeper.await.map_err(|e| {
        SendError::Sql(sqlx::Error::Protocol(format!("the ledger task stopped: {e}")))
    })??;
    (options.progress)(shared.progress());
    if let Some(e) = failure {
        return Err(e);
    }
    let states = ledger::state_counts(pool, &campaign, run).await?;
    let count = |s: SendState| states.get(&s).copied().unwrap_or(0);
    let sent_now = shared.counts.sent.load(Ordering::Relaxed);
    Ok(SendReport {
        campaign,
        run,
        server: options.server.describe(),
        sent: sent_now,
        failed: count(SendState::Failed),
        unknown: count(SendState::Unknown),
        already_sent: count(SendState::Sent).saturating_sub(sent_now),
        excluded: count(SendState::Excluded),
        queued: count(SendState::Queued) + count(SendState::Sending),
        total: queued.messages,
        settled_unknown: settled,
        day_limit_reached: shared.day_limit_reached.load(Ordering::Relaxed),
        stopped: options.control.is_stopped(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl SendControl {
    fn is_stopped(&self) -> bool {
        *self.0.borrow() == Flow::Stop
    }
}

/// The run a send takes: the one named (it must be a finished render of the campaign), else the
/// campaign's latest finished run.
async fn chosen_run(pool: &SqlitePool, campaign: &str, run: Option<i64>) -> Result<i64, SendError> {
    let found: Option<i64> = match run {
        Some(run) => sqlx::query_scalar(
            "SELECT id FROM campaign_runs WHERE id = ? AND campaign = ? AND status = 'done'",
        )
        .bind(run)
        .bind(campaign)
        .fetch_optional(pool)
        .await?,
        None => sqlx::query_scalar(
            "SELECT MAX(id) FROM campaign_runs WHERE campaign = ? AND status = 'done'",
        )
        .bind(campaign)
        .fetch_one(pool)
        .await?,
    };
    match (found, run) {
        (Some(id), _) => {
            // The folder must still hold this run: a later render into it replaced its files.
            let folder: String = sqlx::query_scalar("SELECT out FROM campaign_runs WHERE id = ?")
                .bind(id)
                .fetch_one(pool)
                .await?;
            let folder = std::path::PathBuf::from(folder);
            let holds = crate::campaigns::manifest::Manifest::read(&folder)
                .ok()
                .map(|m| m.run);
            if holds != Some(id) {
                return Err(SendError::Replaced {
                    campaign: campaign.to_string(),
                    run: id,
                    folder,
                    holds,
                });
            }
            Ok(id)
        }
        (None, Some(run)) => Err(SendError::NotARun {
            campaign: campaign.to_string(),
            run,
        }),
        (None, None) => {
            crate::campaigns::store::load_campaign(pool, campaign).await?;
            Err(SendError::NothingRendered(campaign.to_string()))
        }
    }
}

/// Whether the sender `id` still runs: its lock file is held (a killed process holds none).
async fn sender_alive(pool: &SqlitePool, id: Option<&str>) -> Result<bool, sqlx::Error> {
    let Some(id) = id else {
        return Ok(false);
    };
    let path = crate::store::claim_file(pool, &format!("sender:{id}")).await?;
    Ok(matches!(
        Lock::take(&path, "sender"),
        Err(ClaimError::Busy { .. })
    ))
}

#[derive(Default)]
struct Counts {
    sent: AtomicU64,
    failed: AtomicU64,
    unknown: AtomicU64,
    excluded: AtomicU64,
    deferred: AtomicU64,
}

struct Shared {
    pace: Pace,
    control: SendControl,
    counts: Counts,
    day_budget: Option<AtomicU64>,
    day_limit_reached: std::sync::atomic::AtomicBool,
    retry_delay: i64,
    total: u64,
}

impl Shared {
    fn progress(&self) -> SendProgress {
        let c = &self.counts;
        SendProgress {
            sent: c.sent.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            unknown: c.unknown.load(Ordering::Relaxed),
            excluded: c.excluded.load(Ordering::Relaxed),
            deferred: c.deferred.load(Ordering::Relaxed),
            total: self.total,
            paused: self.control.is_paused(),
        }
    }

    /// Takes one message of the day's budget; false when it is spent.
    fn take_day_slot(&self) -> bool {
        let Some(budget) = &self.day_budget else {
            return true;
        };
        let taken = budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1))
            .is_ok();
        if !taken {
            self.day_limit_reached.store(true, Ordering::Relaxed);
        }
        taken
    }

    fn give_back_day_slot(&self) {
        if let Some(budget) = &self.day_budget {
            budget.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A worker's visit to the ledger: the outcome of its last message, and whether it wants the
/// next one.
struct Request {
    outcome: Option<(i64, Outcome)>,
    wants: bool,
    reply: oneshot::Sender<Result<Claim, String>>,
}

/// Serves the workers' requests, as many as are waiting in one transaction.
async fn keep_ledger(mut ledger: Ledger, mut inbox: mpsc::Receiver<Request>) -> Result<(), SendError> {
    let mut batch = Vec::new();
    while inbox.recv_many(&mut batch, 64).await > 0 {
        let outcomes: Vec<(i64, Outcome)> =
            batch.iter().filter_map(|r| r.outcome.clone()).collect();
        let wanted = batch.iter().filter(|r| r.wants).count();
        let now = chrono::Utc::now().timestamp();
        match ledger.exchange(&outcomes, wanted, now).await {
            Ok(claims) => {
                let mut claims = claims.into_iter();
                let mut last = None;
                for request in batch.drain(..) {
                    let claim = if request.wants {
                        match claims.next() {
                            Some(c) => {
                                if !matches!(c, Claim::Message(_)) {
                                    last = Some(match &c {
                                        Claim::Wait(s) => Claim::Wait(*s),
                                        _ => Claim::Done,
                                    });
                                }
                                c
                            }
                            None => match &last {
                                Some(Claim::Wait(s)) => Claim::Wait(*s),
                                _ => Claim::Done,
                            },
                        }
                    } else {
                        Claim::Done
                    };
                    let _ = request.reply.send(Ok(claim));
                }
            }
            Err(e) => {
                for request in batch.drain(..) {
                    let _ = request.reply.send(Err(e.to_string()));
                }
                return Err(e.into());
            }
        }
    }
    Ok(())
}

struct Worker {
    dkim: Option<Arc<dkim::DkimSigner>>,
    server: SmtpServer,
    hello: ClientId,
    from: Address,
    shared: Arc<Shared>,
    requests: mpsc::Sender<Request>,
}

impl Worker {
    async fn ask(&self, outcome: Option<(i64, Outcome)>, wants: bool) -> Result<Claim, SendError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request {
                outcome,
                wants,
                reply,
            })
            .await
            .map_err(|_| SendError::Sql(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| SendError::Sql(sqlx::Error::PoolClosed))?
            .map_err(|e| SendError::Sql(sqlx::Error::Protocol(e)))
    }

    async fn run(self, mut connection: Option<Connection>) -> Result<(), SendError> {
        let mut outcome: Option<(i64, Outcome)> = None;
        let mut connect_failures = 0u32;
        loop {
            if self.shared.control.is_paused() {
                // Recorded before waiting: a pause may last until the app is closed.
                self.finish(outcome.take()).await?;
            }
            if !self.shared.control.proceed().await {
                break;
            }
            if connection.is_none() {
                match self.server.connect(&self.hello).await {
                    Ok(c) => {
                        connection = Some(c);
                        connect_failures = 0;
                    }
                    Err(e @ SmtpError::Login { .. }) => {
                        self.finish(outcome).await?;
                        return Err(e.into());
                    }
                    Err(e) => {
                        connect_failures += 1;
                        if connect_failures >= 4 {
                            self.finish(outcome).await?;
                            return Err(e.into());
                        }
                        tokio::time::sleep(Duration::from_secs(1 << connect_failures)).await;
                        continue;
                    }
                }
            }
            if !self.shared.take_day_slot() {
                break;
            }
            self.shared.pace.wait().await;
            let claimed = match self.ask(outcome.take(), true).await? {
                Claim::Message(m) => m,
                Claim::Wait(seconds) => {
                    self.shared.give_back_day_slot();
                    tokio::time::sleep(Duration::from_secs(seconds.clamp(1, 5) as u64)).await;
                    continue;
                }
                Claim::Done => {
                    self.shared.give_back_day_slot();
                    break;
                }
            };
            let Some(conn) = connection.as_mut() else {
                continue;
            };
            let result = self.deliver(conn, &claimed).await;
            if conn.is_broken() {
                connection = None;
            }
            self.count(&result);
            outcome = Some((claimed.customer_id, result));
        }
        self.finish(outcome).await?;
        if let Some(c) = connection {
            c.quit().await;
        }
        Ok(())
    }

    /// Hands back the last outcome without claiming.
    async fn finish(&self, outcome: Option<(i64, Outcome)>) -> Result<(), SendError> {
        if outcome.is_some() {
            self.ask(outcome, false).await?;
        }
        Ok(())
    }

    fn count(&self, outcome: &Outcome) {
        let c = &self.shared.counts;
        let counter = match outcome {
            Outcome::Sent(_) => &c.sent,
            Outcome::Failed(_) => &c.failed,
            Outcome::Unknown(_) => &c.unknown,
            Outcome::Excluded(_) => &c.excluded,
            Outcome::Again { .. } => &c.deferred,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// One message: its file read, addressed as the ledger says, sent.
    async fn deliver(&self, conn: &mut Connection, m: &Claimed) -> Outcome {
        let bytes = match tokio::fs::read(&m.file).await {
            Ok(bytes) => bytes,
            Err(e) => {
                return Outcome::Failed(format!(
                    "the rendered message {} cannot be read ({e}): render the campaign again",
                    m.file.display()
                ))
            }
        };
        // A render into the same folder during the send replaced the file: not this message.
        if header_value(&bytes, "message-id").as_deref() != Some(m.message_id.as_str()) {
            return Outcome::Excluded(
                "replaced: a later render replaced the message's file; send the latest run".into(),
            );
        }
        let Some(to) = header_address(&bytes, "to") else {
            return Outcome::Failed(format!(
                "the rendered message {} has no recipient",
                m.file.display()
            ));
        };
        if crate::values::normalize_email(&m.email).as_deref() != Some(to.as_str()) {
            return Outcome::Excluded(
                "address_changed: the customer's address changed after the render; render the campaign again".into(),
            );
        }
        let Ok(to) = to.parse::<Address>() else {
            return Outcome::Failed(format!("'{to}' cannot be used on the SMTP envelope"));
        };
        let bytes = match &self.dkim {
            Some(signer) => signer.sign(&bytes, chrono::Utc::now().timestamp()),
            None => bytes,
        };
        let delay = self.shared.retry_delay << (m.attempts - 1).clamp(0, 10);
        match conn.send(&self.from, &to, &bytes).await {
            Verdict::Sent(reply) => Outcome::Sent(reply),
            Verdict::Refused(reply) => Outcome::Failed(reply),
            Verdict::Unknown(reply) => Outcome::Unknown(reply),
            Verdict::Deferred(reply) => Outcome::Again { reply, delay },
            Verdict::Interrupted(reply) => Outcome::Again { reply, delay: 0 },
        }
    }
}

/// A header's value in a rendered message (`message-id`), unfolded and trimmed.
fn header_value(message: &[u8], name: &str) -> Option<String> {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.len());
    let head = std::str::from_utf8(&message[..end]).ok()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

/// The address of a header of a rendered message (`to`), normalized.
fn header_address(message: &[u8], name: &str) -> Option<String> {
    let value = header_value(message, name)?;
    let address = match value.rfind('<') {
        Some(open) => value[open + 1..].trim_end_matches('>'),
        None => value.as_str(),
    };
    crate::values::normalize_email(address)
}

/// A test message: one customer's email of the campaign as they would get it now, sent to the
/// user's own address, its subject marked as a test. Not in the ledger or the delivery log, and
/// its unsubscribe links unsubscribe no one.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestSend {
    pub to: String,
    pub message_id: String,
    /// The server's reply.
    pub reply: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TestSendError {
    #[error("customer {customer} gets no email of this campaign ({why})")]
    NoEmail { customer: i64, why: String },
    #[error("the mail server did not take the test message: {0}")]
    NotTaken(String),
    #[error(transparent)]
    Address(#[from] crate::render::eml::HeaderError),
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    #[error(transparent)]
    Campaign(#[from] crate::campaigns::CampaignError),
}

impl crate::error::Coded for TestSendError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            TestSendError::NoEmail { .. } => ErrorKind::InvalidInput,
            TestSendError::NotTaken(_) => ErrorKind::SmtpUnavailable,
            TestSendError::Address(e) => e.kind(),
            TestSendError::Smtp(e) => e.kind(),
            TestSendError::Campaign(e) => e.kind(),
        }
    }

    fn problem(&self) -> Option<crate::error::FieldProblem> {
        match self {
            TestSendError::Campaign(e) => e.problem(),
            _ => None,
        }
    }
}

pub async fn send_test(
    pool: &SqlitePool,
    campaign: &crate::campaigns::Campaign,
    customer: i64,
    to: &str,
    server: &SmtpServer,
    dkim: Option<&dkim::DkimSigner>,
) -> Result<TestSend, TestSendError> {
    use crate::render::eml::{message_id, to_eml, Envelope};
    use crate::render::links::{one_click_url, UnsubscribePattern};
    let to = Mailbox::parse(to)?;
    let from = Mailbox::parse(&campaign.email_settings.from)?;
    let preview =
        crate::campaigns::preview::preview_customer(pool, campaign, customer, chrono::Utc::now())
            .await?;
    let Some(mut email) = preview.email else {
        let why = match (preview.excluded, preview.arm) {
            (Some(e), _) => e.as_str().to_string(),
            (None, Some(arm)) => format!("variant {arm} has no email"),
            (None, None) => "not in the campaign".into(),
        };
        return Err(TestSendError::NoEmail { customer, why });
    };
    email.subject = format!("[Test] {}", email.subject);
    let now = chrono::Utc::now();
    let mailto = UnsubscribePattern::parse(&campaign.email_settings.unsubscribe)?
        .link("preview", &from.address);
    let envelope = Envelope {
        from: &from,
        to: to.clone(),
        unsubscribe_url: &one_click_url(&campaign.microsite_settings.base_url, "preview"),
        unsubscribe_mailto: &mailto,
        message_id: message_id(
            &format!("test {}", now.timestamp_nanos_opt().unwrap_or_default()),
            customer,
            &from,
        ),
        date: &now.to_rfc2822(),
    };
    let mut message = to_eml(&email, &envelope).into_bytes();
    if let Some(signer) = dkim {
        message = signer.sign(&message, now.timestamp());
    }
    let hello = ClientId::Domain(
        from.address
            .rsplit_once('@')
            .map_or("localhost", |(_, d)| d)
            .to_string(),
    );
    let mut conn = server.connect(&hello).await?;
    let (Ok(sender), Ok(recipient)) = (from.address.parse(), to.address.parse()) else {
        return Err(TestSendError::NotTaken(
            "the addresses cannot be used on the SMTP envelope".into(),
        ));
    };
    let verdict = conn.send(&sender, &recipient, &message).await;
    conn.quit().await;
    match verdict {
        Verdict::Sent(reply) => Ok(TestSend {
            to: to.address,
            message_id: envelope.message_id,
            reply,
        }),
        Verdict::Deferred(r) | Verdict::Refused(r) | Verdict::Interrupted(r) | Verdict::Unknown(r) => {
            Err(TestSendError::NotTaken(r))
        }
    }
}
