//! The send ledger: each message's state in the workspace (`sends`), keyed by campaign and
//! customer. Messages are *claimed* (their state moved to `sending` in a write transaction that
//! also checks the customer may still get email), never read and then sent, so two senders on
//! one workspace never take the same message; the claim is committed before the SMTP
//! transaction starts, so after a crash the ledger knows which messages were with the server.

use std::collections::HashMap;
use std::path::PathBuf;

use sqlx::{Row, SqlitePool};

use super::suppression::AddressKey;
use crate::render::eml::{message_id, Mailbox};
use crate::store::now_text;

/// A message's state.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// Waiting to be sent (or to be tried again after a temporary refusal).
    Queued,
    /// Claimed by a sender and handed to the server now.
    Sending,
    /// The server took it.
    Sent,
    /// The server refused it for good (its reply says why), or it kept failing.
    Failed,
    /// The connection failed after the end of the message: the server may have it. Not
    /// resent unless the user asks.
    Unknown,
    /// Not sent: the customer opted out, is suppressed, erased, or changed address since the
    /// render.
    Excluded,
}

impl SendState {
    pub fn as_str(self) -> &'static str {
        match self {
            SendState::Queued => "queued",
            SendState::Sending => "sending",
            SendState::Sent => "sent",
            SendState::Failed => "failed",
            SendState::Unknown => "unknown",
            SendState::Excluded => "excluded",
        }
    }

    pub(crate) fn parse(text: &str) -> SendState {
        match text {
            "sending" => SendState::Sending,
            "sent" => SendState::Sent,
            "failed" => SendState::Failed,
            "unknown" => SendState::Unknown,
            "excluded" => SendState::Excluded,
            _ => SendState::Queued,
        }
    }
}

/// How often a temporary refusal or a broken connection is tried again before the message is
/// `failed`.
pub const MAX_ATTEMPTS: i64 = 6;

/// One customer's message, as `tessera campaign sends` lists it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct SendRecord {
    pub customer_id: i64,
    pub state: SendState,
    pub message_id: String,
    /// The server's last reply, or why the message was excluded or its fate is unknown.
    pub reply: Option<String>,
    pub run: i64,
    pub attempts: i64,
    pub updated_at: String,
}

/// The campaign's messages, by customer.
pub async fn list_sends(pool: &SqlitePool, campaign: &str) -> Result<Vec<SendRecord>, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT customer_id, state, message_id, reply, run_id, attempts, updated_at FROM sends \
         WHERE campaign = ? ORDER BY customer_id",
    )
    .bind(campaign)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| SendRecord {
        customer_id: r.get(0),
        state: SendState::parse(r.get(1)),
        message_id: r.get(2),
        reply: r.get(3),
        run: r.get(4),
        attempts: r.get(5),
        updated_at: r.get(6),
    })
    .collect())
}

/// How many of run `run`'s messages are in each state.
pub async fn state_counts(
    pool: &SqlitePool,
    campaign: &str,
    run: i64,
) -> Result<HashMap<SendState, u64>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.state, COUNT(*) FROM sends s WHERE s.campaign = ? AND s.customer_id IN \
         (SELECT customer_id FROM deliveries WHERE run_id = ? AND format = 'email') GROUP BY s.state",
    )
    .bind(campaign)
    .bind(run)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| (SendState::parse(r.get(0)), r.get::<i64, _>(1) as u64))
        .collect())
}

/// What queueing a run found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Queued {
    /// The run's messages.
    pub messages: u64,
    /// Of them, sent before (by this run or an earlier one of the campaign).
    pub already_sent: u64,
}

/// What the user allows again.
#[derive(Debug, Default, Clone, Copy)]
pub struct Retry {
    /// Messages whose fate is unknown are sent again (the customer may get two).
    pub unknown: bool,
    /// Messages the server refused are tried again.
    pub failed: bool,
}

/// Puts `run`'s messages in the ledger: new ones `queued`; a message still waiting (or excluded
/// before) takes this run's file; one sent, failed or unknown stays so unless `retry` says.
pub async fn queue_run(
    pool: &SqlitePool,
    campaign: &str,
    run: i64,
    from: &Mailbox,
    retry: Retry,
) -> Result<Queued, LedgerError> {
    let files: Vec<(i64, String)> = sqlx::query_as(
        "SELECT customer_id, file FROM deliveries WHERE run_id = ? AND format = 'email' \
         AND file LIKE '%.eml' ORDER BY customer_id",
    )
    .bind(run)
    .fetch_all(pool)
    .await?;
    let run_key = run_key(campaign, run);
    let now = now_text();
    let mut conn = pool.acquire().await?;
    // One statement per message on the raw handle: a run of 100,000 queues in a moment.
    let already_sent = crate::store::with_sqlite::<_, LedgerError>(&mut conn, |db| {
        let tx = rusqlite::Transaction::new_unchecked(db, rusqlite::TransactionBehavior::Immediate)?;
        let already_sent: i64 = tx.query_row(
            "SELECT COUNT(*) FROM sends WHERE campaign = ? AND state = 'sent' AND customer_id IN \
             (SELECT customer_id FROM deliveries WHERE run_id = ? AND format = 'email')",
            rusqlite::params![campaign, run],
            |r| r.get(0),
        )?;
        let mut insert = tx.prepare(
            "INSERT INTO sends (campaign, customer_id, run_id, file, state, message_id, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6) \
             ON CONFLICT (campaign, customer_id) DO UPDATE SET run_id = excluded.run_id, \
             file = excluded.file, message_id = excluded.message_id, state = 'queued', reply = NULL, \
             attempts = 0, not_before = 0, updated_at = excluded.updated_at \
             WHERE sends.state IN ('queued', 'excluded') OR (sends.state = 'unknown' AND ?7) \
             OR (sends.state = 'failed' AND ?8)",
        )?;
        for (customer, file) in &files {
            insert.execute(rusqlite::params![
                campaign,
                customer,
                run,
                file,
                message_id(&run_key, *customer, from),
                now,
                retry.unknown,
                retry.failed
            ])?;
        }
        drop(insert);
        tx.commit()?;
        Ok(already_sent)
    })
    .await?;
    Ok(Queued {
        messages: files.len() as u64,
        already_sent: already_sent as u64,
    })
}

/// What identifies a run's messages (the render's Message-IDs are made from it).
pub fn run_key(campaign: &str, run: i64) -> String {
    format!("{}\0{run}", campaign.trim())
}

/// The senders holding messages in `sending`.
pub async fn claiming_senders(
    pool: &SqlitePool,
    campaign: &str,
) -> Result<Vec<Option<String>>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT sender FROM sends WHERE campaign = ? AND state = 'sending'")
        .bind(campaign)
        .fetch_all(pool)
        .await
}

/// Marks the `sending` messages of senders that are gone as `unknown`: they were with the
/// server when their sender stopped.
pub async fn settle_abandoned(
    pool: &SqlitePool,
    campaign: &str,
    gone: &[Option<String>],
) -> Result<u64, sqlx::Error> {
    let mut settled = 0;
    for sender in gone {
        settled += sqlx::query(
            "UPDATE sends SET state = 'unknown', reply = ?, updated_at = ? \
             WHERE campaign = ? AND state = 'sending' AND sender IS ?",
        )
        .bind(ABANDONED)
        .bind(now_text())
        .bind(campaign)
        .bind(sender)
        .execute(pool)
        .await?
        .rows_affected();
    }
    Ok(settled)
}

const ABANDONED: &str =
    "the sender stopped while the message was with the mail server: whether it arrived is unknown";

/// A message claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub customer_id: i64,
    pub run: i64,
    pub file: PathBuf,
    pub message_id: String,
    /// The customer's address now (the file must be addressed to it).
    pub email: String,
    pub attempts: i64,
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    Message(Claimed),
    /// Nothing to send before this many seconds (temporary refusals wait).
    Wait(i64),
    Done,
}

/// How a claimed message ended (or is put back).
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent(String),
    Failed(String),
    Unknown(String),
    /// Tried again after `delay` seconds (a temporary refusal, a broken connection), unless it
    /// has been tried [`MAX_ATTEMPTS`] times: then failed.
    Again { reply: String, delay: i64 },
    Excluded(String),
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The ledger as one sender writes it: claims and outcomes go through one connection, grouped
/// into few transactions (each still committed before the SMTP transactions it covers start),
/// on the raw handle (a message costs a few statements, not a few round trips to sqlx's thread).
pub struct Ledger {
    conn: sqlx::pool::PoolConnection<sqlx::Sqlite>,
    campaign: String,
    sender: String,
    key: AddressKey,
    folders: HashMap<i64, PathBuf>,
}

impl Ledger {
    pub async fn open(pool: &SqlitePool, campaign: &str, sender: &str) -> Result<Ledger, sqlx::Error> {
        let folders = sqlx::query("SELECT id, out FROM campaign_runs WHERE campaign = ?")
            .bind(campaign)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| (r.get::<i64, _>(0), PathBuf::from(r.get::<String, _>(1))))
            .collect();
        Ok(Ledger {
            conn: pool.acquire().await?,
            campaign: campaign.to_string(),
            sender: sender.to_string(),
            key: AddressKey::load(pool).await?,
            folders,
        })
    }

    /// Records `outcomes` and claims up to `wanted` messages, in one transaction.
    pub async fn exchange(
        &mut self,
        outcomes: &[(i64, Outcome)],
        wanted: usize,
        now: i64,
    ) -> Result<Vec<Claim>, LedgerError> {
        let Ledger {
            conn,
            campaign,
            sender,
            key,
            folders,
        } = self;
        crate::store::with_sqlite(conn, |db| {
            db.execute_batch("BEGIN IMMEDIATE")?;
            let done = (|| {
                let stamp = now_text();
                for (customer, outcome) in outcomes {
                    record(db, campaign, *customer, outcome, now, &stamp)?;
                }
                let mut claims = Vec::with_capacity(wanted);
                for _ in 0..wanted {
                    let claim = claim(db, campaign, sender, key, now, &stamp)?;
                    let last = !matches!(claim, Claim::Message(_));
                    claims.push(claim);
                    if last {
                        break;
                    }
                }
                Ok::<_, LedgerError>(claims)
            })();
            match done {
                Ok(claims) => {
                    db.execute_batch("COMMIT")?;
                    Ok(claims)
                }
                Err(e) => {
                    let _ = db.execute_batch("ROLLBACK");
                    Err(e)
                }
            }
        })
        .await
        .map(|mut claims| {
            for claim in &mut claims {
                if let Claim::Message(m) = claim {
                    if let Some(folder) = folders.get(&m.run) {
                        m.file = folder.join(&m.file);
                    }
                }
            }
            claims
        })
    }
}

fn record(
    db: &rusqlite::Connection,
    campaign: &str,
    customer: i64,
    outcome: &Outcome,
    now: i64,
    stamp: &str,
) -> Result<SendState, LedgerError> {
    let (state, reply, not_before, sent_at) = match outcome {
        Outcome::Sent(reply) => (SendState::Sent, reply.as_str(), 0, Some(now)),
        Outcome::Failed(reply) => (SendState::Failed, reply.as_str(), 0, None),
        // Counted against the day's limit: the server may have taken it.
        Outcome::Unknown(reply) => (SendState::Unknown, reply.as_str(), 0, Some(now)),
        Outcome::Excluded(reason) => (SendState::Excluded, reason.as_str(), 0, None),
        Outcome::Again { reply, delay } => {
            let attempts: i64 = db
                .prepare("SELECT attempts FROM sends WHERE campaign = ? AND customer_id = ?")?
                .query_row(rusqlite::params![campaign, customer], |r| r.get(0))
                .unwrap_or(MAX_ATTEMPTS);
            if attempts >= MAX_ATTEMPTS {
                (SendState::Failed, reply.as_str(), 0, None)
            } else {
                (SendState::Queued, reply.as_str(), now + delay, None)
            }
        }
    };
    // Only while it is being sent (by this sender: no other finds it in that state).
    db.prepare(
        "UPDATE sends SET state = ?, reply = ?, not_before = ?, sent_at = COALESCE(?, sent_at), \
         sender = NULL, updated_at = ? WHERE campaign = ? AND customer_id = ? AND state = 'sending'",
    )?
    .execute(rusqlite::params![
        state.as_str(),
        reply,
        not_before,
        sent_at,
        stamp,
        campaign,
        customer
    ])?;
    Ok(state)
}

/// Claims the next queued message whose customer may still get email (the others are marked
/// `excluded` with the reason on the way).
fn claim(
    db: &rusqlite::Connection,
    campaign: &str,
    sender: &str,
    key: &AddressKey,
    now: i64,
    stamp: &str,
) -> Result<Claim, LedgerError> {
    use rusqlite::OptionalExtension;
    loop {
        // By the index of waiting messages: the primary key's order would walk past every
        // message already sent to find the next.
        let row = db
            .prepare(
                "SELECT s.customer_id, s.run_id, s.file, s.message_id, s.attempts, c.id, c.email, \
                 (SELECT x.granted FROM customer_consent x WHERE x.customer_id = s.customer_id AND x.channel = 'email') \
                 FROM sends s INDEXED BY sends_waiting LEFT JOIN customers c ON c.id = s.customer_id \
                 WHERE s.campaign = ? AND s.state = 'queued' AND s.not_before <= ? \
                 ORDER BY s.customer_id LIMIT 1",
            )?
            .query_row(rusqlite::params![campaign, now], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<bool>>(7)?,
                ))
            })
            .optional()?;
        let Some((customer, run, file, message_id, attempts, exists, email, consent)) = row else {
            let next: Option<i64> = db
                .prepare(
                    "SELECT MIN(not_before) FROM sends WHERE campaign = ? AND state = 'queued'",
                )?
                .query_row([campaign], |r| r.get(0))?;
            return Ok(match next {
                Some(at) => Claim::Wait((at - now).max(1)),
                None => Claim::Done,
            });
        };
        let reach = crate::customers::reach::Reach::new(email.as_deref(), consent);
        let suppressed = match email.as_deref().and_then(|e| key.hash(e)) {
            Some(hash) => db
                .prepare("SELECT 1 FROM suppressions WHERE address_hash = ?")?
                .exists([&hash[..]])?,
            None => false,
        };
        let excluded = if exists.is_none() {
            Some("erased: the customer is no longer in the workspace")
        } else if reach.email_opted_out {
            Some("opted_out: the customer withdrew email consent after the render")
        } else if !reach.email {
            Some("no_address: the customer has no email address now")
        } else if suppressed {
            Some("suppressed: the address is on the suppression list")
        } else {
            None
        };
        match excluded {
            Some(reason) => {
                db.prepare(
                    "UPDATE sends SET state = 'excluded', reply = ?, updated_at = ? \
                     WHERE campaign = ? AND customer_id = ?",
                )?
                .execute(rusqlite::params![reason, stamp, campaign, customer])?;
            }
            None => {
                db.prepare(
                    "UPDATE sends SET state = 'sending', sender = ?, attempts = attempts + 1, \
                     updated_at = ? WHERE campaign = ? AND customer_id = ?",
                )?
                .execute(rusqlite::params![sender, stamp, campaign, customer])?;
                return Ok(Claim::Message(Claimed {
                    customer_id: customer,
                    run,
                    file: PathBuf::from(file),
                    message_id,
                    email: email.unwrap_or_default(),
                    attempts: attempts + 1,
                }));
            }
        }
    }
}

/// Messages handed to the server since `since` (unix seconds), in every campaign: what the
/// day's limit counts.
pub async fn handed_over_since(pool: &SqlitePool, since: i64) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sends WHERE sent_at >= ? AND state IN ('sent', 'unknown')",
    )
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok(n as u64)
}
