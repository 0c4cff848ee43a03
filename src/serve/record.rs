//! What visitors do, written into the workspace as their customer's events by one writer that
//! commits whatever has arrived in one transaction (group commit): many submissions a second,
//! each acknowledged only once its transaction is on disk.

use serde_json::{json, Map, Value};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::site::Visitor;

/// Event types a served site records.
pub const VISIT: &str = "microsite_visit";
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
            kind: SUBMISSION,
            properties,
            consent,
        }
    }
}

enum Job {
    Record(Visit, Option<oneshot::Sender<Result<(), String>>>),
    /// Answered once everything sent before it is written.
    Flush(oneshot::Sender<Result<(), String>>),
}

pub struct Recorder {
    jobs: mpsc::UnboundedSender<Job>,
    campaign: String,
    run: i64,
}

impl Recorder {
    pub fn start(pool: SqlitePool, campaign: String, run: i64) -> Recorder {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(write_all(pool, queue));
        Recorder {
            jobs,
            campaign,
            run,
        }
    }

    fn stamped(&self, mut visit: Visit) -> Visit {
        visit
            .properties
            .insert("campaign".into(), json!(self.campaign));
        visit.properties.insert("run".into(), json!(self.run));
        visit
    }

    /// Records in the background.
    pub fn record(&self, visit: Visit) {
        let _ = self.jobs.send(Job::Record(self.stamped(visit), None));
    }

    /// Records and returns once it is committed.
    pub async fn record_durably(&self, visit: Visit) -> Result<(), String> {
        let (ack, done) = oneshot::channel();
        self.jobs
            .send(Job::Record(self.stamped(visit), Some(ack)))
            .map_err(|_| "the recorder has stopped".to_string())?;
        done.await
            .map_err(|_| "the recorder has stopped".to_string())?
    }

    /// Waits until everything recorded so far is written.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.jobs.send(Job::Flush(ack)).is_ok() {
            let _ = done.await;
        }
    }
}

async fn write_all(pool: SqlitePool, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut group = Vec::with_capacity(GROUP);
    while queue.recv_many(&mut group, GROUP).await > 0 {
        let result = write_group(&pool, &group).await.map_err(|e| e.to_string());
        if let Err(e) = &result {
            eprintln!("could not record {} visitor events: {e}", group.len());
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

/// A fingerprint no imported event has (events are unique by fingerprint).
fn fingerprint(visit: &Visit, properties: &str, now: i64, sequence: u64) -> Vec<u8> {
    let mut h = blake3::Hasher::new();
    h.update(b"served event\0");
    h.update(&visit.customer_id.to_le_bytes());
    h.update(&now.to_le_bytes());
    h.update(&sequence.to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(properties.as_bytes());
    h.finalize().as_bytes()[..16].to_vec()
}

static SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

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
    let now = chrono::Utc::now();
    let mut tx = pool.begin().await?;
    for visit in visits {
        let properties = Value::Object(visit.properties.clone()).to_string();
        let sequence = SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A customer erased since the render gets nothing recorded.
        sqlx::query(
            "INSERT INTO events (customer_id, occurred_at, type, value, properties, fingerprint) \
             SELECT ?1, ?2, ?3, NULL, ?4, ?5 WHERE EXISTS (SELECT 1 FROM customers WHERE id = ?1)",
        )
        .bind(visit.customer_id)
        .bind(now.timestamp())
        .bind(visit.kind)
        .bind(&properties)
        .bind(fingerprint(
            visit,
            &properties,
            now.timestamp_nanos_opt().unwrap_or(0),
            sequence,
        ))
        .execute(&mut *tx)
        .await?;
        for (channel, granted) in &visit.consent {
            sqlx::query(
                "INSERT INTO customer_consent (customer_id, channel, granted, updated_at) \
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM customers WHERE id = ?1) \
                 ON CONFLICT (customer_id, channel) DO UPDATE SET granted = excluded.granted, updated_at = excluded.updated_at",
            )
            .bind(visit.customer_id)
            .bind(channel)
            .bind(*granted as i64)
            .bind(now.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .execute(&mut *tx)
            .await?;
        }
    }
    crate::store::note_change(&mut tx).await?;
    tx.commit().await
}
