//! Campaigns in the workspace, their runs, and the delivery log of what each run rendered.

use sqlx::{Connection, Row, SqlitePool};

use super::document::{Campaign, CampaignDocumentError};
use super::plan::{Assignment, CampaignPlan};
use crate::render::format::{Exclusion, FormatKind};
use crate::store::{insert_rows, now_text};

#[derive(Debug, thiserror::Error)]
pub enum CampaignStoreError {
    #[error("no campaign named '{0}'")]
    NotFound(String),
    #[error(transparent)]
    Document(#[from] CampaignDocumentError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the workspace holds an exclusion this version does not know: '{0}'")]
    UnknownExclusion(String),
}

impl crate::error::Coded for CampaignStoreError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            CampaignStoreError::NotFound(_) => ErrorKind::NotFound,
            CampaignStoreError::Document(e) => e.kind(),
            CampaignStoreError::Sql(_)
            | CampaignStoreError::Sqlite(_)
            | CampaignStoreError::UnknownExclusion(_) => ErrorKind::Database,
        }
    }

    fn problem(&self) -> Option<crate::error::FieldProblem> {
        match self {
            CampaignStoreError::Document(e) => e.problem(),
            _ => None,
        }
    }
}

/// Saves (or replaces) a campaign under its own name after checking it.
pub async fn save_campaign(
    pool: &SqlitePool,
    campaign: &Campaign,
) -> Result<(), CampaignStoreError> {
    campaign.check()?;
    sqlx::query("INSERT INTO campaigns (name, document, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at")
        .bind(campaign.name.trim())
        .bind(serde_json::to_string(campaign).unwrap_or_default())
        .bind(now_text())
        .execute(pool)
        .await?;
    Ok(())
}

/// The campaign document as run `run` rendered it.
pub async fn load_run_document(pool: &SqlitePool, run: i64) -> Result<Campaign, CampaignStoreError> {
    let json: String = sqlx::query_scalar("SELECT document FROM campaign_runs WHERE id = ?")
        .bind(run)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| CampaignStoreError::NotFound(format!("run {run}")))?;
    Ok(Campaign::parse(&json)?)
}

pub async fn load_campaign(pool: &SqlitePool, name: &str) -> Result<Campaign, CampaignStoreError> {
    let json: String = sqlx::query_scalar("SELECT document FROM campaigns WHERE name = ?")
        .bind(name.trim())
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| CampaignStoreError::NotFound(name.to_string()))?;
    Ok(Campaign::parse(&json)?)
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct CampaignInfo {
    pub name: String,
    pub updated_at: String,
    /// Runs so far, and when the last one started.
    pub runs: u32,
    pub last_run: Option<String>,
}

pub async fn list_campaigns(pool: &SqlitePool) -> Result<Vec<CampaignInfo>, CampaignStoreError> {
    Ok(sqlx::query(
        "SELECT c.name, c.updated_at, COUNT(r.id), MAX(r.started_at) FROM campaigns c \
         LEFT JOIN campaign_runs r ON r.campaign = c.name GROUP BY c.id ORDER BY c.name",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| CampaignInfo {
        name: r.get(0),
        updated_at: r.get(1),
        runs: r.get::<i64, _>(2) as u32,
        last_run: r.get(3),
    })
    .collect())
}

/// How a run ended.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Done,
    Cancelled,
    Failed,
}

impl RunStatus {
    fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> RunStatus {
        match text {
            "done" => RunStatus::Done,
            "cancelled" => RunStatus::Cancelled,
            "failed" => RunStatus::Failed,
            _ => RunStatus::Running,
        }
    }
}

/// A past run, from the delivery log.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunInfo {
    pub id: i64,
    pub campaign: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    pub out: String,
    /// Files the delivery log holds for the run.
    pub files: u32,
    pub customers: u32,
    /// Whether it rendered personal sites or video players (its folder can be served).
    pub sites: bool,
}

/// The runs of `campaign` (all campaigns if `None`), newest first.
pub async fn list_runs(
    pool: &SqlitePool,
    campaign: Option<&str>,
) -> Result<Vec<RunInfo>, CampaignStoreError> {
    Ok(sqlx::query(
        "SELECT r.id, r.campaign, r.started_at, r.finished_at, r.status, r.out, \
         (SELECT COUNT(*) FROM deliveries d WHERE d.run_id = r.id), \
         (SELECT COUNT(DISTINCT d.customer_id) FROM deliveries d WHERE d.run_id = r.id), \
         EXISTS (SELECT 1 FROM deliveries d WHERE d.run_id = r.id AND (d.format = 'microsite' \
         OR (d.format = 'video' AND d.file LIKE 'site/%'))) \
         FROM campaign_runs r WHERE ?1 IS NULL OR r.campaign = ?1 ORDER BY r.id DESC",
    )
    .bind(campaign)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| RunInfo {
        id: r.get(0),
        campaign: r.get(1),
        started_at: r.get(2),
        finished_at: r.get(3),
        status: RunStatus::parse(r.get::<&str, _>(4)),
        out: r.get(5),
        files: r.get::<i64, _>(6) as u32,
        customers: r.get::<i64, _>(7) as u32,
        sites: r.get(8),
    })
    .collect())
}

/// A run not finished: killed while writing `staging` (its delivery rows name files there).
pub struct Unfinished {
    pub run_id: i64,
    pub staging: String,
    pub document: String,
}

/// The latest run of `campaign` into `out` that never finished, if any.
pub async fn unfinished_run(
    pool: &SqlitePool,
    campaign: &str,
    out: &str,
) -> Result<Option<Unfinished>, CampaignStoreError> {
    Ok(sqlx::query(
        "SELECT id, staging, document FROM campaign_runs \
         WHERE campaign = ? AND out = ? AND status = 'running' AND staging IS NOT NULL \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(campaign)
    .bind(out)
    .fetch_optional(pool)
    .await?
    .map(|r| Unfinished {
        run_id: r.get(0),
        staging: r.get(1),
        document: r.get(2),
    }))
}

/// Starts a run of `plan`'s campaign: the run and its assignments, in one transaction.
pub(crate) async fn start_run(
    pool: &SqlitePool,
    plan: &CampaignPlan,
    out: &str,
    staging: &str,
) -> Result<i64, CampaignStoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let run_id = sqlx::query_scalar(
        "INSERT INTO campaign_runs (campaign, document, started_at, status, out, staging) \
         VALUES (?, ?, ?, 'running', ?, ?) RETURNING id",
    )
    .bind(plan.campaign.name.trim())
    .bind(serde_json::to_string(&plan.campaign).unwrap_or_default())
    .bind(now_text())
    .bind(out)
    .bind(staging)
    .fetch_one(&mut *tx)
    .await?;
    write_assignments(&mut tx, run_id, plan).await?;
    tx.commit().await?;
    Ok(run_id)
}

/// Replaces the assignments of a run continued after a kill with the plan it continues with.
pub(crate) async fn reassign_run(
    pool: &SqlitePool,
    run_id: i64,
    plan: &CampaignPlan,
) -> Result<(), CampaignStoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM run_assignments WHERE run_id = ?")
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
    write_assignments(&mut tx, run_id, plan).await?;
    tx.commit().await?;
    Ok(())
}

async fn write_assignments(
    conn: &mut sqlx::SqliteConnection,
    run_id: i64,
    plan: &CampaignPlan,
) -> Result<(), CampaignStoreError> {
    insert_rows::<_, CampaignStoreError>(
        conn,
        "INSERT INTO run_assignments (run_id, customer_id, arm, excluded) VALUES (?, ?, ?, ?)",
        &plan.assignments(),
        |bind, a| {
            bind(rusqlite::params![
                run_id,
                a.customer_id,
                a.arm,
                a.excluded.map(Exclusion::as_str)
            ])
        },
    )
    .await?;
    Ok(())
}

/// Where each customer of run `run_id` was assigned, in customer order.
pub async fn run_assignments(
    pool: &SqlitePool,
    run_id: i64,
) -> Result<Vec<Assignment>, CampaignStoreError> {
    sqlx::query("SELECT customer_id, arm, excluded FROM run_assignments WHERE run_id = ? ORDER BY customer_id")
        .bind(run_id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| {
            let excluded: Option<String> = r.get(2);
            Ok(Assignment {
                customer_id: r.get(0),
                arm: r.get(1),
                excluded: excluded
                    .map(|e| {
                        Exclusion::parse(&e).ok_or(CampaignStoreError::UnknownExclusion(e))
                    })
                    .transpose()?,
            })
        })
        .collect()
}

pub(crate) async fn finish_run(
    pool: &SqlitePool,
    run_id: i64,
    status: RunStatus,
    summary: &impl serde::Serialize,
) -> Result<(), CampaignStoreError> {
    sqlx::query(
        "UPDATE campaign_runs SET status = ?, finished_at = ?, staging = NULL, summary = ? WHERE id = ?",
    )
    .bind(status.as_str())
    .bind(now_text())
    .bind(serde_json::to_string(summary).unwrap_or_default())
    .bind(run_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// One rendered piece, as the delivery log keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Delivery {
    pub customer_id: i64,
    pub arm: String,
    pub format: FormatKind,
    pub language: Option<String>,
    pub template: String,
    pub file: String,
    pub hash: String,
}

/// Logs pieces whose files are written (in one transaction: all of them or none).
pub(crate) async fn log_deliveries(
    pool: &SqlitePool,
    run_id: i64,
    deliveries: &[Delivery],
) -> Result<(), CampaignStoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let now = now_text();
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    insert_rows::<_, CampaignStoreError>(
        &mut tx,
        "INSERT OR REPLACE INTO deliveries (run_id, file, customer_id, arm, format, language, template, hash, rendered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        deliveries,
        |bind, d| {
            bind(rusqlite::params![
                run_id,
                d.file,
                d.customer_id,
                d.arm,
                d.format.as_str(),
                d.language,
                d.template,
                d.hash,
                now
            ])
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives up the unfinished runs into `out` (their staging folders are about to be removed by a
/// new run claiming the folder): marked failed, their log dropped with their files. The run
/// whose files `out` holds (`published`: killed between publishing its folder and saying so
/// here) is marked done instead, its log kept.
pub(crate) async fn abandon_runs_into(
    pool: &SqlitePool,
    out: &str,
    published: Option<i64>,
) -> Result<(), CampaignStoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    if let Some(run_id) = published {
        sqlx::query("UPDATE campaign_runs SET status = 'done', staging = NULL, finished_at = ? WHERE id = ? AND out = ? AND status = 'running'")
            .bind(now_text())
            .bind(run_id)
            .bind(out)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM deliveries WHERE run_id IN (SELECT id FROM campaign_runs WHERE out = ? AND status = 'running')")
        .bind(out)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE campaign_runs SET status = 'failed', staging = NULL, finished_at = ? WHERE out = ? AND status = 'running'")
        .bind(now_text())
        .bind(out)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Drops the log of a run whose files are gone (it failed; its staging folder was removed).
pub(crate) async fn forget_run(pool: &SqlitePool, run_id: i64) -> Result<(), CampaignStoreError> {
    sqlx::query("DELETE FROM deliveries WHERE run_id = ?")
        .bind(run_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Drops the log of pieces that were not kept (a resumed run's customers who left).
pub(crate) async fn forget_deliveries(
    pool: &SqlitePool,
    run_id: i64,
    customers: &[i64],
) -> Result<(), CampaignStoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    for id in customers {
        sqlx::query("DELETE FROM deliveries WHERE run_id = ? AND customer_id = ?")
            .bind(run_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What a run logged, in file order.
pub async fn run_deliveries(
    pool: &SqlitePool,
    run_id: i64,
) -> Result<Vec<Delivery>, CampaignStoreError> {
    Ok(sqlx::query(
        "SELECT customer_id, arm, format, language, template, file, hash FROM deliveries \
         WHERE run_id = ? ORDER BY file",
    )
    .bind(run_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Delivery {
        customer_id: r.get(0),
        arm: r.get(1),
        format: FormatKind::parse(r.get::<&str, _>(2)).unwrap_or(FormatKind::Email),
        language: r.get(3),
        template: r.get(4),
        file: r.get(5),
        hash: r.get(6),
    })
    .collect())
}

/// A campaign a customer was rendered into, and where their personal pages of it are.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct Received {
    pub campaign: String,
    pub run: i64,
    /// When the run started.
    pub at: String,
    pub arm: String,
    pub formats: Vec<FormatKind>,
    /// Their personal site, when the campaign gave them one.
    pub site_url: Option<String>,
    /// Their video's interactive player, when the campaign gave them one.
    pub video_url: Option<String>,
    /// Their email of this run, where it was sent (or tried): its state and the server's reply.
    pub email: Option<EmailDelivery>,
}

/// Where one customer's email of a campaign stands.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct EmailDelivery {
    pub state: crate::sending::ledger::SendState,
    pub reply: Option<String>,
    pub updated_at: String,
}

/// The campaigns the customer was rendered into (runs that finished), newest first.
pub async fn received_by(pool: &SqlitePool, customer: i64) -> Result<Vec<Received>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id, r.campaign, r.started_at, r.document, MIN(d.arm), group_concat(DISTINCT d.format), \
         MAX(d.format = 'video' AND d.file LIKE 'site/%'), MAX(s.state), MAX(s.reply), MAX(s.updated_at) \
         FROM deliveries d JOIN campaign_runs r ON r.id = d.run_id \
         LEFT JOIN sends s ON s.campaign = r.campaign AND s.customer_id = d.customer_id AND s.run_id = r.id \
         WHERE d.customer_id = ? AND r.status IN ('done', 'cancelled') \
         GROUP BY r.id ORDER BY r.id DESC",
    )
    .bind(customer)
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let key = crate::microsites::slug::slug_key(pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let document: Option<Campaign> = serde_json::from_str(r.get::<&str, _>(3)).ok();
            let mut formats: Vec<FormatKind> = r
                .get::<String, _>(5)
                .split(',')
                .filter_map(FormatKind::parse)
                .collect();
            formats.sort_by_key(|f| f.as_str());
            let player: bool = r.get(6);
            let site = document.as_ref().map(|c| {
                let slug = crate::microsites::slug::slug(&key, c.page_identity(), customer);
                crate::microsites::slug::personal_url(&c.microsite_settings.base_url, &slug)
            });
            Received {
                campaign: r.get(1),
                run: r.get(0),
                at: r.get(2),
                arm: r.get(4),
                site_url: site
                    .clone()
                    .filter(|_| formats.contains(&FormatKind::Microsite)),
                video_url: site
                    .filter(|_| player)
                    .map(|s| crate::microsites::slug::player_url(&s)),
                formats,
                email: r.get::<Option<String>, _>(7).map(|state| EmailDelivery {
                    state: crate::sending::ledger::SendState::parse(&state),
                    reply: r.get(8),
                    updated_at: r.get::<Option<String>, _>(9).unwrap_or_default(),
                }),
            }
        })
        .collect())
}
