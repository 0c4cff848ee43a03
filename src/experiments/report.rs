//! A campaign's report: each arm's outcome (from the workspace's events within the attribution
//! window, or from an email service's results file), compared with the control by the tests in
//! [`super::stats`], and a verdict on the hypothesis that is never more confident than the data.
//!
//! Customers count once, in the arm the run assigned them (its stored assignments), whatever
//! they received; every arm's window starts at the run's start, the holdout's too, so no arm
//! gets a longer window than another.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::path::Path;

use super::hypothesis::{Hypothesis, Criterion, Metric, HOLDOUT};
use super::sample_size::{sample_size, PlanInput};
use super::stats::{
    always_valid, cuped, holm, two_proportions, welch, wilson, Moments, Paired,
};
use crate::campaigns::assign::sample_ratio;
use crate::campaigns::Campaign;
use crate::segments::CampaignMembers;
use crate::store::Workspace;

const DAY: i64 = 86_400;

/// Where the hypothesis the report judges by was recorded.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HypothesisSource {
    /// With the campaign before the run: a test planned in advance.
    BeforeRun,
    /// Added to the campaign after the run: read with care (chosen with the data in view).
    AfterRun,
    /// None recorded: the report assumes purchases within 14 days.
    Assumed,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Supported,
    NotSupported,
    NotYetDecidable,
}

/// One arm's outcome and, for every arm but the control, its comparison with the control.
/// A number the data cannot give is null.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, Default)]
pub struct ArmReport {
    pub arm: String,
    pub control: bool,
    /// Customers assigned to the arm.
    pub n: u64,
    /// Of them, those whose message was sent (the campaign's own send states).
    pub sent: u64,
    pub conversions: u64,
    pub rate: Option<f64>,
    /// Wilson 95% interval of the rate.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub revenue: f64,
    pub revenue_per_recipient: Option<f64>,
    pub lift_abs: Option<f64>,
    pub lift_abs_low: Option<f64>,
    pub lift_abs_high: Option<f64>,
    pub lift_rel: Option<f64>,
    pub lift_rel_low: Option<f64>,
    pub lift_rel_high: Option<f64>,
    /// Of the decisive measure: the pooled two-proportion z-test for conversion, Welch's
    /// t-test for revenue; two-sided.
    pub p_value: Option<f64>,
    /// Holm-adjusted across the arms compared with the control.
    pub p_adjusted: Option<f64>,
    pub revenue_lift: Option<f64>,
    pub revenue_lift_low: Option<f64>,
    pub revenue_lift_high: Option<f64>,
    /// Welch's t-test of revenue per recipient.
    pub revenue_p_value: Option<f64>,
    /// The always-valid interval and p-value of the decisive measure's lift.
    pub sequential_low: Option<f64>,
    pub sequential_high: Option<f64>,
    pub sequential_p_value: Option<f64>,
    /// The decisive measure's lift adjusted for the customers' behaviour before the campaign.
    pub cuped_lift: Option<f64>,
    pub cuped_low: Option<f64>,
    pub cuped_high: Option<f64>,
    /// How much narrower CUPED's interval is than the unadjusted one (0.2: 20%).
    pub cuped_narrowed: Option<f64>,
}

/// Each arm's cumulative conversion rate at the end of a day since the run.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct DayPoint {
    pub day: u32,
    pub rates: Vec<Option<f64>>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub campaign: String,
    pub run: i64,
    pub run_started_at: String,
    pub hypothesis: Hypothesis,
    pub hypothesis_source: HypothesisSource,
    pub metric: String,
    pub alpha: f64,
    pub control: String,
    pub window_from: String,
    pub window_to: String,
    /// Whether the attribution window has ended: the fixed-horizon tests are final then.
    pub window_complete: bool,
    pub arms: Vec<ArmReport>,
    /// The chi-square test of the customers per arm against the campaign's weights.
    pub srm_p_value: Option<f64>,
    pub srm_mismatch: bool,
    /// The arm the test supports as best, or null.
    pub winner: Option<String>,
    pub verdict: Verdict,
    /// Why the verdict is what it is, and what to look out for (codes, worded by the hosts):
    /// `window_open`, `no_outcomes`, `empty_arm`, `sample_ratio_mismatch`, `underpowered`,
    /// `decided_early`, `hypothesis_after_run`, `assumed_hypothesis`.
    pub notes: Vec<String>,
    /// Customers each arm needs to detect the hypothesis's lift at the control's observed
    /// rate (conversion only), and the smallest lift the arms as they are can detect.
    pub needed_per_arm: Option<u64>,
    pub detectable_lift: Option<f64>,
    /// Revenue the treated arms made beyond what they would have at the holdout's revenue
    /// per recipient (against a holdout only).
    pub incremental_revenue: Option<f64>,
    pub daily: Vec<DayPoint>,
    /// Which method produced each number.
    pub methods: BTreeMap<&'static str, &'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("campaign '{0}' has no finished run to report on; render it first")]
    NoRun(String),
    #[error("run {run} is not a run of campaign '{campaign}'")]
    WrongRun { run: i64, campaign: String },
    #[error("alpha is above 0 and below 1 (0.05 usually), not {0}")]
    Alpha(f64),
    #[error("the run's campaign document cannot be read: {0}")]
    Document(String),
    #[error("the report stopped unexpectedly: {0}")]
    Crashed(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

crate::coded!(ReportError {
    ReportError::NoRun(_) | ReportError::WrongRun { .. } => NotFound,
    ReportError::Alpha(_) => InvalidInput,
    ReportError::Crashed(_) => Internal,
    ReportError::Document(_) | ReportError::Sql(_) | ReportError::Sqlite(_) => Database,
});

/// What the report is asked.
pub struct ReportRequest<'a> {
    /// The campaign as it is now (its hypothesis, if the run's document has none).
    pub campaign: &'a Campaign,
    /// A run of the campaign; its latest finished one if none.
    pub run: Option<i64>,
    pub alpha: f64,
    pub now: DateTime<Utc>,
}

/// One arm's sums, gathered in one pass over its customers.
#[derive(Default)]
struct ArmSums {
    n: u64,
    conversions: u64,
    revenue: Moments,
    /// The decisive outcome with the same metric before the run (CUPED's covariate).
    paired: Paired,
    /// First conversions per day since the run.
    by_day: Vec<u64>,
    sent: u64,
}

/// The run a report or a segment condition reads: its start, its document's arms (the holdout
/// first, when there is one) and the hypothesis it is judged by.
struct RunUnderTest {
    run: i64,
    started_at: String,
    start: DateTime<Utc>,
    ran: Campaign,
    hypothesis: Hypothesis,
    source: HypothesisSource,
    arms: Vec<String>,
}

/// Run `run` of `campaign` (its latest finished one if none), as the report reads it.
fn run_under_test(db: &rusqlite::Connection, campaign: &Campaign, run: Option<i64>) -> Result<RunUnderTest, ReportError> {
    use rusqlite::OptionalExtension;
    let name = campaign.name.trim();
    let row = |r: &rusqlite::Row| Ok((r.get(0)?, r.get(1)?, r.get(2)?));
    let (run, started_at, document): (i64, String, String) = match run {
        Some(run) => db
            .query_row("SELECT id, started_at, document FROM campaign_runs WHERE id = ?1 AND campaign = ?2", rusqlite::params![run, name], row)
            .optional()?
            .ok_or_else(|| ReportError::WrongRun { run, campaign: name.to_string() })?,
        None => db
            .query_row(
                "SELECT id, started_at, document FROM campaign_runs WHERE campaign = ?1 AND status = 'done' ORDER BY id DESC LIMIT 1",
                [name],
                row,
            )
            .optional()?
            .ok_or_else(|| ReportError::NoRun(name.to_string()))?,
    };
    let ran: Campaign = serde_json::from_str(&document).map_err(|e| ReportError::Document(e.to_string()))?;
    let start = DateTime::parse_from_rfc3339(&started_at)
        .map_err(|e| ReportError::Document(format!("the run's start '{started_at}': {e}")))?
        .with_timezone(&Utc);
    let (hypothesis, source) = match (&ran.hypothesis, &campaign.hypothesis) {
        (Some(h), _) => (h.clone(), HypothesisSource::BeforeRun),
        (None, Some(h)) => (h.clone(), HypothesisSource::AfterRun),
        (None, None) => (
            Hypothesis::assumed(ran.holdout > 0.0, &ran.variants[0].name),
            HypothesisSource::Assumed,
        ),
    };
    let mut arms: Vec<String> = Vec::new();
    if ran.holdout > 0.0 {
        arms.push(HOLDOUT.into());
    }
    arms.extend(ran.variants.iter().map(|v| v.name.trim().to_string()));
    Ok(RunUnderTest { run, started_at, start, ran, hypothesis, source, arms })
}

impl RunUnderTest {
    /// What one pass over its customers reads, with `days` days observed.
    fn pass(&self, workspace: &Path, campaign: &str, days: usize) -> Pass {
        let from = self.start.timestamp();
        Pass {
            workspace: workspace.to_path_buf(),
            campaign: campaign.to_string(),
            run: self.run,
            hypothesis: self.hypothesis.clone(),
            arms: self.arms.clone(),
            from,
            to: from + i64::from(self.hypothesis.window_days) * DAY,
            days,
        }
    }
}

/// Who campaign `campaign`'s latest finished run assigned to each arm, and who of them converted
/// by its hypothesis (the same attribution as its report): what segment conditions on the
/// campaign select. None when the campaign has no finished run.
pub fn campaign_members(workspace: &Path, campaign: &Campaign) -> Result<Option<CampaignMembers>, ReportError> {
    let db = read_only(workspace)?;
    let under_test = match run_under_test(&db, campaign, None) {
        Ok(r) => r,
        Err(ReportError::NoRun(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let pass = under_test.pass(workspace, campaign.name.trim(), 0);
    let mut members = CampaignMembers::default();
    for (id, arm, outcome) in load_outcomes(&pass)? {
        members.arms.entry(pass.arms[arm].clone()).or_default().push(id);
        if outcome.converted_at.is_some() {
            members.converted.push(id);
        }
    }
    Ok(Some(members))
}

pub async fn campaign_report(workspace: &Workspace, request: ReportRequest<'_>) -> Result<Report, ReportError> {
    if !(request.alpha > 0.0 && request.alpha < 1.0) {
        return Err(ReportError::Alpha(request.alpha));
    }
    let (path, campaign, run, now) = (workspace.path.clone(), request.campaign.clone(), request.run, request.now);
    let (under_test, sums, days) = tokio::task::spawn_blocking(move || -> Result<_, ReportError> {
        let db = read_only(&path)?;
        let under_test = run_under_test(&db, &campaign, run)?;
        let from = under_test.start.timestamp();
        let to = from + i64::from(under_test.hypothesis.window_days) * DAY;
        let days = (((now.timestamp().min(to) - from).max(0) + DAY - 1) / DAY) as usize;
        let sums = load_sums(&under_test.pass(&path, campaign.name.trim(), days))?;
        Ok((under_test, sums, days))
    })
    .await
    .map_err(|e| ReportError::Crashed(e.to_string()))??;
    let RunUnderTest { run, started_at, start, ran, hypothesis, source, arms: arm_names } = under_test;
    let name = request.campaign.name.trim().to_string();
    let control_index = arm_names.iter().position(|a| *a == hypothesis.control.trim());
    let to = start.timestamp() + i64::from(hypothesis.window_days) * DAY;

    let mut report = Report {
        campaign: name,
        run,
        run_started_at: started_at,
        metric: hypothesis.metric.label(),
        alpha: request.alpha,
        control: hypothesis.control.trim().to_string(),
        window_from: start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        window_to: DateTime::<Utc>::from_timestamp(to, 0).unwrap_or(start).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        window_complete: now.timestamp() >= to,
        hypothesis,
        hypothesis_source: source,
        arms: Vec::new(),
        srm_p_value: None,
        srm_mismatch: false,
        winner: None,
        verdict: Verdict::NotYetDecidable,
        notes: Vec::new(),
        needed_per_arm: None,
        detectable_lift: None,
        incremental_revenue: None,
        daily: daily(&sums, days),
        methods: methods(),
    };
    match source {
        HypothesisSource::AfterRun => report.notes.push("hypothesis_after_run".into()),
        HypothesisSource::Assumed => report.notes.push("assumed_hypothesis".into()),
        HypothesisSource::BeforeRun => {}
    }
    compare(&mut report, &arm_names, &sums, control_index, &ran);
    Ok(report)
}

/// What one pass over a run's assignments reads.
struct Pass {
    workspace: std::path::PathBuf,
    campaign: String,
    run: i64,
    hypothesis: Hypothesis,
    arms: Vec<String>,
    from: i64,
    to: i64,
    days: usize,
}

impl ArmSums {
    fn new(days: usize) -> ArmSums {
        ArmSums {
            by_day: vec![0; days],
            ..ArmSums::default()
        }
    }
}

fn read_only(workspace: &Path) -> rusqlite::Result<rusqlite::Connection> {
    rusqlite::Connection::open_with_flags(
        workspace,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// One customer's outcome: their first conversion in the window, its revenue, and what they did
/// in the equal-length window before the run (CUPED's covariate).
#[derive(Clone, Copy, Default)]
struct Outcome {
    converted_at: Option<i64>,
    revenue: f64,
    count_before: f64,
    revenue_before: f64,
}

impl Outcome {
    /// Both parts of one customer's events, read apart.
    fn merge(&mut self, other: &Outcome) {
        self.converted_at = match (self.converted_at, other.converted_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.revenue += other.revenue;
        self.count_before += other.count_before;
        self.revenue_before += other.revenue_before;
    }
}

/// Adds customers' outcomes to their arms' sums.
struct Accumulator {
    sums: Vec<ArmSums>,
    revenue_decides: bool,
    from: i64,
}

impl Accumulator {
    fn new(pass: &Pass) -> Accumulator {
        Accumulator {
            sums: pass.arms.iter().map(|_| ArmSums::new(pass.days)).collect(),
            revenue_decides: pass.hypothesis.measure == Criterion::Revenue,
            from: pass.from,
        }
    }

    fn add(&mut self, arm: usize, o: Outcome) {
        let s = &mut self.sums[arm];
        s.n += 1;
        s.revenue.add(o.revenue);
        s.conversions += u64::from(o.converted_at.is_some());
        let (outcome, covariate) = if self.revenue_decides {
            (o.revenue, o.revenue_before)
        } else {
            (f64::from(u8::from(o.converted_at.is_some())), o.count_before)
        };
        s.paired.add(outcome, covariate);
        let day = o.converted_at.map(|at| ((at - self.from).max(0) / DAY) as usize);
        if let Some(count) = day.and_then(|d| s.by_day.get_mut(d)) {
            *count += 1;
        }
    }
}

fn arm_index(arms: &[String]) -> FxHashMap<&str, usize> {
    arms.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect()
}

/// The run's assigned customers, in id order, each with their arm's position (customers of an
/// arm the run's document does not name, a renamed variant, are left out).
fn assigned(db: &rusqlite::Connection, pass: &Pass) -> rusqlite::Result<Vec<(i64, usize)>> {
    let index = arm_index(&pass.arms);
    let mut rows = db.prepare("SELECT customer_id, arm FROM run_assignments WHERE run_id = ? AND arm IS NOT NULL")?;
    let mut rows = rows.query([pass.run])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        if let Some(&arm) = r.get_ref(1)?.as_str().ok().and_then(|a| index.get(a)) {
            out.push((r.get(0)?, arm));
        }
    }
    Ok(out)
}

/// `work` over `parts` in parallel, each on a connection of its own.
fn in_parallel<T: Send>(
    pass: &Pass,
    parts: &[(i64, i64)],
    work: impl Fn(&rusqlite::Connection, i64, i64) -> Result<T, ReportError> + Sync,
) -> Result<Vec<T>, ReportError> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|&(first, end)| {
                let work = &work;
                scope.spawn(move || work(&read_only(&pass.workspace)?, first, end))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(ReportError::Crashed("a reading thread panicked".into()))))
            .collect()
    })
}

/// `[low, high]` cut into one range per core.
fn ranges(low: i64, high: i64) -> Vec<(i64, i64)> {
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) as i64;
    let step = (high - low) / parts + 1;
    (0..parts).map(|i| (low + i * step, low + (i + 1) * step)).collect()
}

/// Each assigned customer's outcome: their id, their arm's position and what they did, in id
/// order. With many recipients the metric's events are read in one scan of the events table,
/// its rows in id ranges, one per core; with few, each customer's are looked up in the
/// per-customer event index, in ranges of customers, one per core. A look-up costs about as much
/// as scanning 50 events (measured at 750,000 recipients and 10,000,000 events: 1.4 s of look-ups
/// against 0.4 s of scanning on one core).
fn load_outcomes(pass: &Pass) -> Result<Vec<(i64, usize, Outcome)>, ReportError> {
    let db = read_only(&pass.workspace)?;
    let customers = assigned(&db, pass)?;
    let events: i64 = db.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?;
    Ok(match &pass.hypothesis.metric {
        Metric::Event(event) if customers.len() as i64 * 50 >= events => {
            let outcomes = scan_events(pass, event, &customers, events)?;
            customers.into_iter().zip(outcomes).map(|((id, arm), o)| (id, arm, o)).collect()
        }
        _ => match (customers.first(), customers.last()) {
            (Some(first), Some(last)) => in_parallel(pass, &ranges(first.0, last.0), |db, first, end| look_up(db, pass, first, end))?
                .into_iter()
                .flatten()
                .collect(),
            _ => Vec::new(),
        },
    })
}

/// Each arm's sums, and how many of its messages were sent.
fn load_sums(pass: &Pass) -> Result<Vec<ArmSums>, ReportError> {
    let mut total = Accumulator::new(pass);
    for (_, arm, outcome) in load_outcomes(pass)? {
        total.add(arm, outcome);
    }
    let db = read_only(&pass.workspace)?;
    let index = arm_index(&pass.arms);
    let mut sent = db.prepare(
        "SELECT a.arm, count(*) FROM sends s JOIN run_assignments a ON a.run_id = ?2 AND a.customer_id = s.customer_id \
         WHERE s.campaign = ?1 AND s.state = 'sent' GROUP BY a.arm",
    )?;
    let mut rows = sent.query(rusqlite::params![pass.campaign, pass.run])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = r.get_ref(0)?.as_str().ok().and_then(|a| index.get(a)) {
            total.sums[i].sent = r.get::<_, i64>(1)? as u64;
        }
    }
    Ok(total.sums)
}

/// Each assigned customer's outcome, in `customers`' order, from one scan of the events of type
/// `event` in the window and before it.
fn scan_events(pass: &Pass, event: &str, customers: &[(i64, usize)], events: i64) -> Result<Vec<Outcome>, ReportError> {
    let position: FxHashMap<i64, usize> = customers.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let event = event.trim().to_lowercase();
    let before = pass.from - (pass.to - pass.from);
    let parts = in_parallel(pass, &ranges(0, events), |db, first, end| {
        let mut outcomes = vec![Outcome::default(); customers.len()];
        let mut rows = db.prepare(
            "SELECT customer_id, occurred_at, value FROM events \
             WHERE id >= ?1 AND id < ?2 AND type = ?3 AND occurred_at >= ?4 AND occurred_at < ?5",
        )?;
        let mut rows = rows.query(rusqlite::params![first, end, event, before, pass.to])?;
        while let Some(r) = rows.next()? {
            let Some(&at) = position.get(&r.get::<_, i64>(0)?) else { continue };
            let (when, value): (i64, Option<f64>) = (r.get(1)?, r.get(2)?);
            let value = value.unwrap_or(0.0);
            let read = if when >= pass.from {
                Outcome { converted_at: Some(when), revenue: value, ..Outcome::default() }
            } else {
                Outcome { count_before: 1.0, revenue_before: value, ..Outcome::default() }
            };
            outcomes[at].merge(&read);
        }
        Ok(outcomes)
    })?;
    let mut parts = parts.into_iter();
    let mut outcomes = parts.next().unwrap_or_default();
    for part in parts {
        for (o, p) in outcomes.iter_mut().zip(&part) {
            o.merge(p);
        }
    }
    Ok(outcomes)
}

/// The outcomes of the run's customers with ids in `[first, end)`, each looked up in the
/// per-customer event index (or the results table).
fn look_up(db: &rusqlite::Connection, pass: &Pass, first: i64, end: i64) -> Result<Vec<(i64, usize, Outcome)>, ReportError> {
    let index = arm_index(&pass.arms);
    let mut out = Vec::new();
    let arm_of = |r: &rusqlite::Row| -> rusqlite::Result<Option<usize>> {
        Ok(r.get_ref(1)?.as_str().ok().and_then(|a| index.get(a)).copied())
    };
    match &pass.hypothesis.metric {
        Metric::Event(event) => {
            let mut rows = db.prepare(
                "SELECT a.customer_id, a.arm, \
                    min(CASE WHEN e.occurred_at >= ?2 THEN e.occurred_at END), \
                    total(CASE WHEN e.occurred_at >= ?2 THEN e.value END), \
                    count(CASE WHEN e.occurred_at < ?2 THEN 1 END), \
                    total(CASE WHEN e.occurred_at < ?2 THEN e.value END) \
                 FROM run_assignments a \
                 LEFT JOIN events e ON e.customer_id = a.customer_id AND e.occurred_at >= ?1 \
                    AND e.occurred_at < ?3 AND e.type = ?4 \
                 WHERE a.run_id = ?5 AND a.customer_id >= ?6 AND a.customer_id < ?7 AND a.arm IS NOT NULL \
                 GROUP BY a.customer_id",
            )?;
            let before = pass.from - (pass.to - pass.from);
            let event = event.trim().to_lowercase();
            let mut rows = rows.query(rusqlite::params![before, pass.from, pass.to, event, pass.run, first, end])?;
            while let Some(r) = rows.next()? {
                if let Some(arm) = arm_of(r)? {
                    let count_before: i64 = r.get(4)?;
                    let outcome = Outcome {
                        converted_at: r.get(2)?,
                        revenue: r.get(3)?,
                        count_before: count_before as f64,
                        revenue_before: r.get(5)?,
                    };
                    out.push((r.get(0)?, arm, outcome));
                }
            }
        }
        Metric::Result(column) => {
            let sql = format!(
                "SELECT a.customer_id, a.arm, coalesce(r.{}, 0), coalesce(r.revenue, 0) FROM run_assignments a \
                 LEFT JOIN campaign_results r ON r.campaign = ?1 AND r.customer_id = a.customer_id \
                 WHERE a.run_id = ?2 AND a.customer_id >= ?3 AND a.customer_id < ?4 AND a.arm IS NOT NULL",
                column.as_str()
            );
            let mut rows = db.prepare(&sql)?;
            let mut rows = rows.query(rusqlite::params![pass.campaign, pass.run, first, end])?;
            while let Some(r) = rows.next()? {
                if let Some(arm) = arm_of(r)? {
                    // Results carry no time: a conversion counts on the first day.
                    let converted: bool = r.get(2)?;
                    let outcome = Outcome { converted_at: converted.then_some(pass.from), revenue: r.get(3)?, ..Outcome::default() };
                    out.push((r.get(0)?, arm, outcome));
                }
            }
        }
    }
    Ok(out)
}

fn daily(sums: &[ArmSums], days: usize) -> Vec<DayPoint> {
    let mut cumulative = vec![0u64; sums.len()];
    (0..days)
        .map(|day| DayPoint {
            day: day as u32 + 1,
            rates: sums
                .iter()
                .zip(cumulative.iter_mut())
                .map(|(s, c)| {
                    *c += s.by_day[day];
                    (s.n > 0).then(|| *c as f64 / s.n as f64)
                })
                .collect(),
        })
        .collect()
}

fn methods() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("ci", "Wilson score interval, 95%"),
        ("lift_abs", "difference of rates; Wald interval"),
        ("lift_rel", "ratio of rates − 1; interval on the log scale (Katz)"),
        ("p_value", "conversion: two-sided pooled two-proportion z-test; revenue: Welch's t-test"),
        ("p_adjusted", "Holm step-down across the arms compared with the control"),
        ("revenue", "Welch's t-test of revenue per recipient (unequal variances)"),
        ("srm", "chi-square goodness of fit of customers per arm against the campaign's weights; mismatch below p = 0.001"),
        ("sequential", "always-valid interval and p-value: mixture sequential probability ratio test, normal mixture with variance (hypothesis lift)², or (10% of the control's level)² without one (Johari et al. 2017)"),
        ("cuped", "CUPED: outcome adjusted by the same metric in the equal-length window before the run, one θ over both arms (Deng et al. 2013); normal interval"),
        ("incremental_revenue", "treated arms' revenue minus their customers × the holdout's revenue per recipient"),
        ("needed_per_arm", "two-sided two-proportion sample size, normal approximation (Fleiss), Bonferroni across arms"),
        ("winner", "after the window: the best arm whose Holm-adjusted p-value is below alpha with a positive lift; during it: the same with the always-valid p-values"),
    ])
}

/// Fills each arm's numbers, its comparison with the control, the split's check and the verdict.
fn compare(report: &mut Report, arms: &[String], sums: &[ArmSums], control: Option<usize>, ran: &Campaign) {
    let alpha = report.alpha;
    let revenue_decides = report.hypothesis.measure == Criterion::Revenue;
    report.arms = arms
        .iter()
        .zip(sums)
        .enumerate()
        .map(|(i, (arm, s))| {
            let interval = wilson(s.conversions, s.n, alpha);
            ArmReport {
                arm: arm.clone(),
                control: Some(i) == control,
                n: s.n,
                sent: s.sent,
                conversions: s.conversions,
                rate: (s.n > 0).then(|| s.conversions as f64 / s.n as f64),
                ci_low: interval.map(|i| i.low),
                ci_high: interval.map(|i| i.high),
                revenue: s.revenue.mean * s.n as f64,
                revenue_per_recipient: (s.n > 0).then_some(s.revenue.mean),
                ..ArmReport::default()
            }
        })
        .collect();

    // The split as planned: the holdout's share, then the variants' by weight.
    let total_weight: f64 = ran.variants.iter().map(|v| v.weight).sum();
    let mut shares = Vec::new();
    if ran.holdout > 0.0 {
        shares.push(ran.holdout);
    }
    shares.extend(ran.variants.iter().map(|v| (1.0 - ran.holdout) * v.weight / total_weight));
    let counts: Vec<u64> = sums.iter().map(|s| s.n).collect();
    if shares.len() > 1 {
        let srm = sample_ratio(&counts, &shares);
        report.srm_p_value = srm.enough.then_some(srm.p_value);
        report.srm_mismatch = srm.mismatch;
    }

    let Some(c) = control else {
        report.notes.push("empty_arm".into());
        return;
    };
    let control_sums = &sums[c];
    let treated: Vec<usize> = (0..arms.len()).filter(|&i| i != c).collect();
    let control_rate = report.arms[c].rate.unwrap_or(0.0);
    // The mixture's variance: the lift the user cares about, or a tenth of the control's level.
    let tau2 = match report.hypothesis.mde {
        Some(mde) => mde * mde,
        None if revenue_decides => (0.1 * control_sums.revenue.mean).powi(2),
        None => (0.1 * control_rate).powi(2),
    };
    let mut decisive = Vec::new();
    let mut sequential = Vec::new();
    for &i in &treated {
        let s = &sums[i];
        let arm = &mut report.arms[i];
        let proportions = two_proportions(s.conversions, s.n, control_sums.conversions, control_sums.n, alpha);
        if let Some(t) = proportions {
            arm.lift_abs = Some(t.lift_abs);
            arm.lift_abs_low = Some(t.lift_abs_interval.low);
            arm.lift_abs_high = Some(t.lift_abs_interval.high);
            arm.lift_rel = t.lift_rel;
            arm.lift_rel_low = t.lift_rel_interval.map(|i| i.low);
            arm.lift_rel_high = t.lift_rel_interval.map(|i| i.high);
        }
        let revenue = welch(&s.revenue, &control_sums.revenue, alpha);
        if let Some(w) = revenue {
            arm.revenue_lift = Some(w.difference);
            arm.revenue_lift_low = Some(w.interval.low);
            arm.revenue_lift_high = Some(w.interval.high);
            arm.revenue_p_value = Some(w.p_value);
        }
        // The decisive measure's lift, the variance of its estimate and its p-value.
        let decided = if revenue_decides {
            revenue.map(|w| (w.difference, w.standard_error.powi(2), w.p_value))
        } else {
            proportions.map(|t| {
                let (p1, p0) = (s.conversions as f64 / s.n as f64, control_rate);
                let variance = p1 * (1.0 - p1) / s.n as f64 + p0 * (1.0 - p0) / control_sums.n as f64;
                (t.lift_abs, variance, t.p_value)
            })
        };
        arm.p_value = decided.map(|d| d.2);
        if let Some(seq) = decided.and_then(|(lift, variance, _)| always_valid(lift, variance, tau2, alpha)) {
            arm.sequential_low = Some(seq.interval.low);
            arm.sequential_high = Some(seq.interval.high);
            arm.sequential_p_value = Some(seq.p_value);
        }
        if let Some(cu) = cuped(&s.paired, &control_sums.paired, alpha) {
            arm.cuped_lift = Some(cu.difference);
            arm.cuped_low = Some(cu.interval.low);
            arm.cuped_high = Some(cu.interval.high);
            arm.cuped_narrowed = Some(cu.narrowed());
        }
        decisive.push((i, decided.map(|d| (d.0, d.2))));
        sequential.push(arm.sequential_p_value);
    }
    // Holm over the arms that have a test; an arm without one stays null.
    let tested: Vec<(usize, f64)> = decisive.iter().filter_map(|(i, d)| d.map(|d| (*i, d.1))).collect();
    let adjusted = holm(&tested.iter().map(|t| t.1).collect::<Vec<_>>());
    for ((i, _), p) in tested.iter().zip(&adjusted) {
        report.arms[*i].p_adjusted = Some(*p);
    }
    let sequential_tested: Vec<(usize, f64)> = treated
        .iter()
        .zip(&sequential)
        .filter_map(|(i, p)| p.map(|p| (*i, p)))
        .collect();
    let sequential_adjusted = holm(&sequential_tested.iter().map(|t| t.1).collect::<Vec<_>>());

    if report.hypothesis.control.trim() == HOLDOUT {
        let holdout_rpr = control_sums.revenue.mean;
        report.incremental_revenue = (control_sums.n > 0).then(|| {
            treated
                .iter()
                .map(|&i| sums[i].revenue.mean * sums[i].n as f64 - holdout_rpr * sums[i].n as f64)
                .sum()
        });
    }

    // How many customers the hypothesis's lift needs at the control's rate, and what the
    // smallest arm can detect.
    let smallest = sums.iter().map(|s| s.n).min().unwrap_or(0);
    if !revenue_decides && control_rate > 0.0 && control_rate < 1.0 {
        let plan = |mde: f64| PlanInput {
            baseline: control_rate,
            mde,
            alpha,
            power: 0.8,
            arms: arms.len() as u32,
        };
        if let Some(mde) = report.hypothesis.mde.filter(|m| control_rate + m < 1.0) {
            report.needed_per_arm = sample_size(&plan(mde)).ok().map(|s| s.per_arm);
            if report.needed_per_arm.is_some_and(|needed| needed > smallest) {
                report.notes.push("underpowered".into());
            }
        }
        report.detectable_lift = super::sample_size::detectable_lift(&plan(0.01), smallest).ok().flatten();
    }

    // The verdict: never more than the data supports.
    let lift_of = |i: usize| decisive.iter().find(|d| d.0 == i).and_then(|d| d.1).map(|d| d.0);
    let best = |significant: &[(usize, f64)], adjusted: &[f64]| {
        significant
            .iter()
            .zip(adjusted)
            .filter(|((i, _), p)| **p < alpha && lift_of(*i).is_some_and(|l| l > 0.0))
            .max_by(|((a, _), _), ((b, _), _)| lift_of(*a).unwrap_or(0.0).total_cmp(&lift_of(*b).unwrap_or(0.0)))
            .map(|((i, _), _)| *i)
    };
    let empty = control_sums.n < 2 || treated.iter().all(|&i| sums[i].n < 2);
    let no_outcomes = tested.is_empty();
    if empty {
        report.notes.push("empty_arm".into());
    } else if no_outcomes {
        report.notes.push("no_outcomes".into());
    }
    if report.srm_mismatch {
        // A split that is not what was planned makes every comparison suspect.
        report.notes.push("sample_ratio_mismatch".into());
        return;
    }
    if empty || no_outcomes {
        if !report.window_complete {
            report.notes.push("window_open".into());
        }
        return;
    }
    if report.window_complete {
        report.winner = best(&tested, &adjusted).map(|i| arms[i].clone());
        let all_worse = !tested.is_empty()
            && tested.len() == treated.len()
            && tested.iter().zip(&adjusted).all(|((i, _), p)| *p < alpha && lift_of(*i).is_some_and(|l| l < 0.0));
        if report.winner.is_none() && all_worse && arms[c] != HOLDOUT {
            report.winner = Some(arms[c].clone());
        }
        report.verdict = if report.winner.as_deref().is_some_and(|w| w != arms[c]) {
            Verdict::Supported
        } else {
            Verdict::NotSupported
        };
    } else if let Some(i) = best(&sequential_tested, &sequential_adjusted) {
        report.winner = Some(arms[i].clone());
        report.verdict = Verdict::Supported;
        report.notes.push("decided_early".into());
    } else {
        report.notes.push("window_open".into());
    }
}
