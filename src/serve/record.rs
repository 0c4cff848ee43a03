//! What visitors do, written into the workspace as their customer's events by one writer that
//! commits whatever has arrived in one transaction (group commit): many submissions a second,
//! each acknowledged only once its transaction is on disk and the workspace file is still
//! where it was. A busy workspace (another process writing for a while) delays events, never
//! drops them: the writer retries, and what waits is bounded; only beyond that bound, or when
//! the server stops and the workspace stays unwritable, are events given up, and the counts
//! say so. Each event keeps the time it happened, not the time it was stored.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::site::Visitor;
use crate::store::Workspace;

/// Event types a served site records.
pub const VISIT: &str = "microsite_visit";
/// The event of an unsubscribe through a campaign's link.
pub const UNSUBSCRIBE: &str = "email_unsubscribe";
pub const CLICK: &str = "microsite_click";
pub const SUBMISSION: &str = "form_submission";

/// What a viewer of a video player did, by the kind the player reports, as event types.
pub const VIDEO_EVENTS: [(&str, &str); 6] = [
    ("play", "video_play"),
    ("chapter", "video_chapter"),
    ("choice", "video_choice"),
    ("hotspot", "video_hotspot"),
    ("call_to_action", "video_click"),
    ("complete", "video_complete"),
];

/// The most events one transaction takes.
const GROUP: usize = 2048;

/// One thing a visitor did.
pub struct Visit {
    customer_id: i64,
    /// When it happened (stored as such, however long storing waits).
    at: DateTime<Utc>,
    /// Tells apart visits of one customer in the same nanosecond.
    sequence: u64,
    kind: &'static str,
    properties: Map<String, Value>,
    consent: Vec<(String, bool)>,
}

fn about(visitor: &Visitor) -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert("arm".into(), json!(visitor.arm));
    properties
}

impl Visit {
    /// What a visitor did, with one property saying on what (the page, the call to action).
    fn of(visitor: &Visitor, kind: &'static str, key: &str, value: &str) -> Visit {
        let mut properties = about(visitor);
        properties.insert(key.into(), json!(value));
        Visit {
            customer_id: visitor.customer_id,
            at: Utc::now(),
            sequence: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            kind,
            properties,
            consent: Vec::new(),
        }
    }

    pub fn page(visitor: &Visitor, page: &str) -> Visit {
        Visit::of(visitor, VISIT, "page", page)
    }

    pub fn click(visitor: &Visitor, call_to_action: &str) -> Visit {
        Visit::of(visitor, CLICK, "call_to_action", call_to_action)
    }

    /// Something done in the visitor's video player (`kind`, one of `VIDEO_EVENTS`' types) in
    /// `scene`, leading to `target` (the scene a choice or hotspot jumps to), if anywhere.
    pub fn video(
        visitor: &Visitor,
        kind: &'static str,
        scene: &str,
        target: Option<&str>,
    ) -> Visit {
        let mut visit = Visit::of(visitor, kind, "scene", scene);
        if let Some(target) = target {
            visit.properties.insert("target".into(), json!(target));
        }
        visit
    }

    /// A customer unsubscribing through their one-click link (`via`: `one_click` from a mail
    /// client, `page` from the link's page): email consent withdrawn.
    pub fn unsubscribe(customer_id: i64, campaign: &str, via: &'static str) -> Visit {
        let mut properties = Map::new();
        properties.insert("campaign".into(), json!(campaign));
        properties.insert("via".into(), json!(via));
        Visit {
            customer_id,
            at: Utc::now(),
            sequence: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            kind: UNSUBSCRIBE,
            properties,
            consent: vec![("email".into(), false)],
        }
    }

    pub fn submission(
        visitor: &Visitor,
        form: &str,
        fields: Map<String, Value>,
        consent: Vec<(String, bool)>,
    ) -> Visit {
        let mut properties = about(visitor);
        properties.insert("form".into(), json!(form));
        properties.insert("fields".into(), Value::Object(fields));
        Visit {
            customer_id: visitor.customer_id,
            at: Utc::now(),
            sequence: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            kind: SUBMISSION,
            properties,
            consent,
        }
    }
}

enum Job {
    Record(Visit, Option<oneshot::Sender<Result<(), String>>>),
    /// Answered once everything sent before it is written (or given up).
    Flush(oneshot::Sender<Result<(), String>>),
}

impl Job {
    /// A submission whose sender stopped waiting (it was told to try again): not written.
    fn abandoned(&self) -> bool {
        matches!(self, Job::Record(_, Some(ack)) if ack.is_closed())
    }
}

/// What has been stored, and what could not be.
#[derive(Default)]
pub struct Recorded {
    pub visits: AtomicU64,
    pub clicks: AtomicU64,
    pub submissions: AtomicU64,
    pub video_events: AtomicU64,
    /// Events given up: more waiting than the queue holds, or the workspace unwritable until
    /// the server stopped.
    pub unrecorded: AtomicU64,
}

impl Recorded {
    fn stored(&self, kind: &str) {
        match kind {
            VISIT => &self.visits,
            CLICK => &self.clicks,
            SUBMISSION => &self.submissions,
            _ => &self.video_events,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    fn lost(&self, n: usize) {
        self.unrecorded.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Events that may wait to be stored: about 30 MB of them.
const QUEUE: usize = 100_000;

/// How long a stopping server keeps retrying a workspace it cannot write.
const STOP_PATIENCE: Duration = Duration::from_secs(30);

pub struct Recorder {
    jobs: mpsc::Sender<Job>,
    campaign: String,
    run: i64,
    pub recorded: Arc<Recorded>,
    /// Set when the server stops: from then the writer gives up after `STOP_PATIENCE`.
    stopping: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl Recorder {
    pub fn start(workspace: Workspace, campaign: String, run: i64) -> Recorder {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let recorded = Arc::new(Recorded::default());
        let stopping = Arc::new(std::sync::Mutex::new(None));
        tokio::spawn(write_all(
            workspace,
            queue,
            recorded.clone(),
            stopping.clone(),
        ));
        Recorder {
            jobs,
            campaign,
            run,
            recorded,
            stopping,
        }
    }

    fn stamped(&self, mut visit: Visit) -> Visit {
        visit
            .properties
            .insert("campaign".into(), json!(self.campaign));
        visit.properties.insert("run".into(), json!(self.run));
        visit
    }

    /// Records in the background; counted as unrecorded when too many wait already.
    pub fn record(&self, visit: Visit) {
        if self
            .jobs
            .try_send(Job::Record(self.stamped(visit), None))
            .is_err()
        {
            self.recorded.lost(1);
        }
    }

    /// Records and returns once it is committed; an error (to be answered "try again") when it
    /// is not committed within `patience`.
    pub async fn record_durably(&self, visit: Visit, patience: Duration) -> Result<(), String> {
        let (ack, done) = oneshot::channel();
        self.jobs
            .try_send(Job::Record(self.stamped(visit), Some(ack)))
            .map_err(|_| "too many answers are waiting to be saved".to_string())?;
        match tokio::time::timeout(patience, done).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err("the recorder has stopped".into()),
            Err(_) => Err("the workspace is busy".into()),
        }
    }

    /// Waits until everything recorded so far is written, or given up when the workspace
    /// cannot be written for `STOP_PATIENCE`.
    pub async fn stop(&self) {
        *self
            .stopping
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
        let (ack, done) = oneshot::channel();
        if self.jobs.send(Job::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

async fn write_all(
    workspace: Workspace,
    mut queue: mpsc::Receiver<Job>,
    recorded: Arc<Recorded>,
    stopping: Arc<std::sync::Mutex<Option<Instant>>>,
) {
    let mut group: Vec<Job> = Vec::with_capacity(GROUP);
    let mut wait = Duration::from_millis(50);
    let mut said = false;
    loop {
        if group.is_empty() {
            if queue.recv_many(&mut group, GROUP).await == 0 {
                return;
            }
        } else {
            // What arrived while the last attempt waited joins the next one.
            while group.len() < GROUP {
                match queue.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
        }
        group.retain(|job| !job.abandoned());
        let result = match write_group(&workspace.pool, &group).await {
            Ok(()) if workspace.still_in_place() => Ok(()),
            Ok(()) => Err("the workspace file was removed or replaced while serving".to_string()),
            Err(e) => Err(e.to_string()),
        };
        // Those recorded in the background; a submission given up is answered "try again".
        let events = group
            .iter()
            .filter(|j| matches!(j, Job::Record(_, None)))
            .count();
        let give_up = match &result {
            Ok(()) => false,
            // Written into a file that is gone: nothing to retry into.
            Err(_) if !workspace.still_in_place() => true,
            Err(_) => stopping
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .is_some_and(|since| since.elapsed() > STOP_PATIENCE),
        };
        match &result {
            Ok(()) => {
                for job in &group {
                    if let Job::Record(visit, _) = job {
                        recorded.stored(visit.kind);
                    }
                }
                wait = Duration::from_millis(50);
                said = false;
            }
            Err(e) if give_up => {
                eprintln!("gave up recording {events} visitor events: {e}");
                recorded.lost(events);
            }
            Err(e) => {
                if !said {
                    eprintln!("cannot record visitor events yet ({e}); retrying");
                    said = true;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(1));
                continue;
            }
        }
        for job in group.drain(..) {
            match job {
                Job::Record(_, Some(ack)) | Job::Flush(ack) => {
                    let _ = ack.send(result.clone());
                }
                Job::Record(_, None) => {}
            }
        }
    }
}

/// A fingerprint no imported event has (events are unique by fingerprint), the same on every
/// attempt to store the visit (a retried group cannot store it twice).
fn fingerprint(visit: &Visit, properties: &str) -> Vec<u8> {
    let mut h = blake3::Hasher::new();
    h.update(b"served event\0");
    h.update(&visit.customer_id.to_le_bytes());
    h.update(&visit.at.timestamp_nanos_opt().unwrap_or(0).to_le_bytes());
    h.update(&visit.sequence.to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(properties.as_bytes());
    h.finalize().as_bytes()[..16].to_vec()
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

async fn write_group(pool: &SqlitePool, group: &[Job]) -> Result<(), sqlx::Error> {
    let visits: Vec<&Visit> = group
        .iter()
        .filter_map(|j| match j {
            Job::Record(v, _) => Some(v),
            Job::Flush(_) => None,
        })
        .collect();
    if visits.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    for visit in visits {
        let properties = Value::Object(visit.properties.clone()).to_string();
        // A customer erased since the render gets nothing recorded.
        sqlx::query(
            "INSERT OR IGNORE INTO events (customer_id, occurred_at, type, value, properties, fingerprint) \
             SELECT ?1, ?2, ?3, NULL, ?4, ?5 WHERE EXISTS (SELECT 1 FROM customers WHERE id = ?1)",
        )
        .bind(visit.customer_id)
        .bind(visit.at.timestamp())
        .bind(visit.kind)
        .bind(&properties)
        .bind(fingerprint(visit, &properties))
        .execute(&mut *tx)
        .await?;
        for (channel, granted) in &visit.consent {
            // The latest choice wins, also over one stored meanwhile by other means.
            sqlx::query(
                "INSERT INTO customer_consent (customer_id, channel, granted, updated_at) \
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM customers WHERE id = ?1) \
                 ON CONFLICT (customer_id, channel) DO UPDATE SET granted = excluded.granted, updated_at = excluded.updated_at \
                 WHERE excluded.updated_at >= customer_consent.updated_at",
            )
            .bind(visit.customer_id)
            .bind(channel)
            .bind(*granted as i64)
            .bind(visit.at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .execute(&mut *tx)
            .await?;
        }
    }
    crate::store::note_change(&mut tx).await?;
    tx.commit().await
}
