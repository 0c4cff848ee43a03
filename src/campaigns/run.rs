//! The one pipeline that renders a campaign: audience → eligibility per format → holdout and
//! arms → merge data (with the variant's values) → each format's rendering → files in the run's
//! folder → manifest and delivery log. The CLI, the desktop app, the demo and the benchmark all
//! call [`plan_campaign`] and [`render_campaign`]; none of them assembles these steps itself.
//!
//! Consistency: a file is logged after it is written, in batches, so the delivery log never
//! names a file that is missing or torn. A run writes into a staging folder and swaps it in when
//! done; a run killed midway leaves its files there and its run 'running', and the next run of
//! the campaign into the same folder continues it: logged files of customers still assigned
//! the same way are kept, the rest is rendered.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use sqlx::SqlitePool;

use super::assign::Arm;
use super::document::{Campaign, Content, EmailFiles};
use super::manifest::{
    Counts, ExcludedCustomer, Manifest, RenderedCustomer, RenderedFile, SharedFile, MANIFEST,
};
use super::store::{
    abandon_runs_into, finish_run, forget_deliveries, forget_run, log_deliveries, reassign_run,
    run_deliveries, start_run, unfinished_run, CampaignStoreError, Delivery, RunStatus,
};
use super::error::CampaignError;
use super::plan::{format_reaches, CampaignPlan, Split};
use crate::customers::reach::Reach;
use crate::microsites::render::MicrositeRendering;
use crate::microsites::slug::{add_personal_urls, slug, slug_key};
use crate::output::{Claim, RenderFolder};
use crate::render::eml::Mailbox;
use crate::render::format::{
    EmailOutput, EmailRendering, Exclusion, FormatKind, Part, Recipient, RenderError,
    Rendering,
};
use crate::render::links::{add_unsubscribe_links, UnsubscribeLinks, UnsubscribePattern};
use crate::sending::suppression::suppressed_customers;
use crate::sending::unsubscribe::{remember_tokens, TokenKey};
use crate::render::missing::SlotCounter;
use crate::render::{load_contexts, CustomerContext, MissingField, Selection, UnsafeLink};
use crate::storyboards::render::VideoRendering;
use crate::templates::store::load_template;
use crate::templates::Notes;

/// Progress of a run, for progress bars.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RunProgress {
    pub done: u32,
    pub total: u32,
}

pub struct RunOptions<'a> {
    /// The folder the run owns (see `output::RenderFolder`).
    pub out: PathBuf,
    pub now: DateTime<Utc>,
    /// Refuse to render when a merge field is empty for some customer and has no fallback.
    pub strict: bool,
    pub progress: &'a (dyn Fn(RunProgress) + Sync),
    /// Set to stop after the files in flight; the manifest lists what was written.
    pub cancel: Arc<AtomicBool>,
    /// Template sources by name, used instead of the workspace's (a file rendered directly).
    pub template_sources: BTreeMap<String, String>,
}

impl RunOptions<'_> {
    /// A run into `out` with nothing to report progress to, no cancel and the workspace's
    /// templates (the demo, the benchmark, tests).
    pub fn unattended(out: PathBuf, now: DateTime<Utc>) -> RunOptions<'static> {
        RunOptions {
            out,
            now,
            strict: false,
            progress: &|_| {},
            cancel: Default::default(),
            template_sources: Default::default(),
        }
    }
}

/// What a run did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub campaign: String,
    pub run: i64,
    pub out: String,
    pub manifest: String,
    /// Customers rendered (in this run, or kept from the interrupted run it continued).
    pub rendered: u64,
    /// Of them, kept from an interrupted run.
    pub resumed: u64,
    pub split: Split,
    /// The same counts as `split.excluded`, under the names `render email --json` always had.
    pub skipped_opted_out: u64,
    pub skipped_no_email: u64,
    pub failed: Vec<RenderFailure>,
    pub cancelled: bool,
    pub missing_fields: Vec<MissingField>,
    /// Links whose value had an unsafe scheme for some customers (written as `#`).
    pub unsafe_links: Vec<UnsafeLink>,
    /// Video texts that overflow their box for some customers, found before rendering.
    pub overflowing: Vec<crate::storyboards::audience::Overflow>,
    /// Characters of video texts that no font has, found before rendering.
    pub missing_glyphs: Vec<crate::storyboards::audience::MissingGlyphs>,
    /// Sites or players the campaign made that none of its emails links to.
    pub unreached: Vec<Unreached>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct RenderFailure {
    pub customer_id: i64,
    pub error: String,
}

/// One compiled template of the run.
struct Compiled {
    name: String,
    rendering: Box<dyn Rendering>,
}

/// Pages a campaign makes that its emails do not lead to: a site or a video player whose
/// link no email of the campaign writes.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreached {
    pub format: FormatKind,
    /// The merge field an email would link it with (`microsite_url`, `video_url`).
    pub link: String,
}

/// What the campaign makes that none of its emails links to (a campaign without email gives
/// its addresses out some other way: nothing to say then).
fn unreached(campaign: &Campaign, compiled: &[Compiled]) -> Vec<Unreached> {
    let emails: Vec<&Compiled> = compiled
        .iter()
        .filter(|c| c.rendering.format() == FormatKind::Email)
        .collect();
    if emails.is_empty() {
        return Vec::new();
    }
    let linked = |field: &str| {
        emails
            .iter()
            .any(|c| c.rendering.fields().iter().any(|f| f == field))
    };
    let mut missing = Vec::new();
    if campaign.uses(FormatKind::Microsite) && !linked("microsite_url") {
        missing.push(Unreached {
            format: FormatKind::Microsite,
            link: "microsite_url".into(),
        });
    }
    if campaign.has_player() && !linked("video_url") {
        missing.push(Unreached {
            format: FormatKind::Video,
            link: "video_url".into(),
        });
    }
    missing
}

/// What one customer gets: their variant and, per format, the template (index) and language.
struct Target {
    customer: usize,
    variant: usize,
    pieces: Vec<(usize, Option<String>)>,
    /// Their personal URL's slug (empty when the campaign has no microsite).
    slug: String,
}

/// Compiles every template the campaign names, once each.
async fn compile_templates(
    pool: &SqlitePool,
    campaign: &Campaign,
    date: &str,
    sources: &BTreeMap<String, String>,
) -> Result<Vec<Compiled>, CampaignError> {
    let from = Mailbox::parse(&campaign.email_settings.from)?;
    let output = match campaign.email_settings.files {
        EmailFiles::Eml => EmailOutput::Eml,
        EmailFiles::Html => EmailOutput::Html,
    };
    let mut compiled = Vec::new();
    for format in FormatKind::ALL {
        let mut names: Vec<&str> = campaign
            .variants
            .iter()
            .filter_map(|v| v.content(format))
            .flat_map(Content::templates)
            .collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let source = match sources.get(name) {
                Some(source) => source.clone(),
                None => load_template(pool, name, format.template_kind()).await?,
            };
            // Each format compiles its own template (`render/format.rs`, `microsites/render.rs`,
            // `storyboards/render.rs`).
            let rendering: Box<dyn Rendering> = match format {
                FormatKind::Email => Box::new(
                    EmailRendering::compile(&source, output, from.clone(), date).map_err(
                        |error| CampaignError::Template {
                            name: name.to_string(),
                            error,
                        },
                    )?,
                ),
                FormatKind::Microsite => {
                    Box::new(blocking(|| MicrositeRendering::compile(name, &source))?)
                }
                FormatKind::Video => {
                    let formats = campaign.video_formats()?;
                    Box::new(blocking(|| VideoRendering::compile(name, &source, formats))?)
                }
            };
            compiled.push(Compiled {
                name: name.to_string(),
                rendering,
            });
        }
    }
    Ok(compiled)
}

/// The customers a plan renders, with their merge data (loaded now: a customer who opted out
/// since the plan was made is dropped here, never rendered).
async fn load_targets(
    pool: &SqlitePool,
    plan: &CampaignPlan,
    compiled: &[Compiled],
    now: DateTime<Utc>,
) -> Result<(Vec<CustomerContext>, Vec<Target>), CampaignError> {
    let assigned: Vec<(i64, usize)> = plan
        .ids
        .iter()
        .zip(&plan.arms)
        .filter_map(|(id, arm)| match arm {
            Ok(Arm::Variant(v)) => Some((*id, *v)),
            _ => None,
        })
        .collect();
    let mut customers = load_contexts(
        pool,
        &Selection::Customers(assigned.iter().map(|(id, _)| *id).collect()),
        now,
    )
    .await?;
    let campaign = &plan.campaign;
    let slugs = add_campaign_links(pool, campaign, &mut customers, Tokens::Remember).await?;
    let suppressed = suppressed_customers(pool).await?;
    let variant_of: HashMap<i64, usize> = assigned.into_iter().collect();
    let fallback = campaign.fallback();
    let index_of = |name: &str| compiled.iter().position(|c| c.name == name);
    let targets = customers
        .iter()
        .zip(slugs)
        .enumerate()
        .filter_map(|(i, (c, slug))| {
            let v = *variant_of.get(&c.id)?;
            let variant = &campaign.variants[v];
            let locale = c.data.get("locale").and_then(Value::as_str);
            let reach = Reach::of(c).suppressed(suppressed.contains(&c.id));
            let pieces: Vec<(usize, Option<String>)> = FormatKind::ALL
                .into_iter()
                .filter(|format| format_reaches(campaign, *format, reach))
                .filter_map(|format| variant.content(format))
                .filter_map(|content| {
                    let (language, template) = content.for_locale(locale, &fallback);
                    index_of(template).map(|t| (t, language))
                })
                .collect();
            (!pieces.is_empty()).then_some(Target {
                customer: i,
                variant: v,
                pieces,
                slug,
            })
        })
        .collect();
    Ok((customers, targets))
}

/// Whether the links made are for a render (their unsubscribe tokens are remembered for the
/// server to find) or for a preview.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tokens {
    Remember,
    Preview,
}

/// Sets the links a campaign gives each customer: `unsubscribe_url` (the one-click page under
/// the served base URL) and `unsubscribe_mailto`, and where the campaign has personal pages,
/// `microsite_url` and the video player's `video_url`, `video_poster_url` and
/// `video_thumbnail_url`. Returns each customer's slug (empty without personal pages).
pub(crate) async fn add_campaign_links(
    pool: &SqlitePool,
    campaign: &Campaign,
    customers: &mut [CustomerContext],
    tokens: Tokens,
) -> Result<Vec<String>, CampaignError> {
    let from = Mailbox::parse(&campaign.email_settings.from)?;
    let links = UnsubscribeLinks {
        base_url: &campaign.microsite_settings.base_url,
        mailto: UnsubscribePattern::parse(&campaign.email_settings.unsubscribe)?,
        from: &from.address,
    };
    let tokens: Vec<String> = if tokens == Tokens::Remember {
        let key = TokenKey::load(pool).await?;
        let made: Vec<(i64, String)> =
            customers.iter().map(|c| (c.id, key.token(c.id))).collect();
        let mut conn = pool.acquire().await?;
        remember_tokens(&mut conn, &made).await?;
        made.into_iter().map(|(_, t)| t).collect()
    } else {
        // A preview's links unsubscribe no one, wherever it is sent.
        vec!["preview".to_string(); customers.len()]
    };
    add_unsubscribe_links(customers, &tokens, &links);
    if !campaign.has_personal_pages() {
        return Ok(vec![String::new(); customers.len()]);
    }
    let key = slug_key(pool).await?;
    let identity = campaign.page_identity();
    let slugs: Vec<String> = customers
        .iter()
        .map(|c| slug(&key, identity, c.id))
        .collect();
    add_personal_urls(
        customers,
        &slugs,
        &campaign.microsite_settings.base_url,
        (
            campaign.uses(FormatKind::Microsite),
            campaign.has_player(),
        ),
    );
    Ok(slugs)
}

/// The customer's merge data with the variant's values over it (copied only when there are
/// values: a copy costs as much as rendering).
pub(crate) fn recipient_data<'a>(
    customer: &'a CustomerContext,
    values: &serde_json::Map<String, Value>,
) -> std::borrow::Cow<'a, Value> {
    if values.is_empty() {
        return std::borrow::Cow::Borrowed(&customer.data);
    }
    let mut data = customer.data.clone();
    if let Value::Object(map) = &mut data {
        for (k, v) in values {
            map.insert(k.clone(), v.clone());
        }
    }
    std::borrow::Cow::Owned(data)
}

/// Renders a planned campaign into `options.out`, continuing an interrupted run of it there.
/// One run at a time holds the campaign and the folder: a second is refused before it touches
/// anything. A run that fails replaces nothing and is logged as failed.
pub async fn render_campaign(
    pool: &SqlitePool,
    plan: CampaignPlan,
    options: RunOptions<'_>,
) -> Result<RunSummary, CampaignError> {
    let date = options.now.to_rfc2822();
    let compiled =
        compile_templates(pool, &plan.campaign, &date, &options.template_sources).await?;
    let (customers, targets) = load_targets(pool, &plan, &compiled, options.now).await?;
    if options.strict {
        let missing = blocking(|| missing_before(&plan, &customers, &compiled, &targets));
        if !missing.is_empty() {
            return Err(CampaignError::Missing(missing));
        }
    }
    let campaign_name = plan.campaign.name.trim().to_string();
    // Claimed before the log is read: a run it says is 'running' is then one that was killed.
    let _campaign = Claim::take(
        &crate::store::claim_file(pool, &format!("campaign {campaign_name}")).await?,
        &format!("campaign '{campaign_name}'"),
    )?;
    let claim = RenderFolder::lock(&options.out)?;
    let out_text = options.out.display().to_string();
    let workspace = crate::store::workspace_id(pool).await?;
    let (folder, run_id, logged) = match unfinished_run(pool, &campaign_name, &out_text).await? {
        // Not one killed while swapping a complete run in (marked whole): that one is redone.
        Some(u)
            if Path::new(&u.staging).is_dir()
                && !Path::new(&u.staging).join(crate::output::MARKER).exists() =>
        {
            let folder = claim.resume(Path::new(&u.staging))?;
            let logged = run_deliveries(pool, u.run_id).await?;
            reassign_run(pool, u.run_id, &plan).await?;
            (folder, u.run_id, logged)
        }
        _ => {
            // A run killed after its folder was published is done; the others are given up
            // (claiming the folder removes what they left beside it, so their log goes too).
            let published = Manifest::read(&options.out).ok().map(|m| m.run);
            abandon_runs_into(pool, &out_text, published).await?;
            let folder = claim.fresh()?;
            let staging = folder.staging().display().to_string();
            let run_id = start_run(pool, &plan, &out_text, &staging).await?;
            (folder, run_id, Vec::new())
        }
    };
    let work = Work {
        plan: &plan,
        customers: &customers,
        compiled: &compiled,
        targets: &targets,
    };
    let result = run(pool, &work, folder, (run_id, &workspace), logged, &options).await;
    if let Err(e) = &result {
        // The staging folder went with the error; so does the log of what was in it.
        let _ = forget_run(pool, run_id).await;
        let _ = finish_run(pool, run_id, RunStatus::Failed, &e.to_string()).await;
    }
    result
}

/// Runs CPU work (rendering on every core) off the async runtime's workers where there are
/// several, so other tasks go on meanwhile.
pub(crate) fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// Customers who have a merge tag with no value and no fallback, per template, before anything
/// is written.
fn missing_before(
    plan: &CampaignPlan,
    customers: &[CustomerContext],
    compiled: &[Compiled],
    targets: &[Target],
) -> Vec<MissingField> {
    let mut counters: Vec<SlotCounter> = compiled.iter().map(|c| c.rendering.counter()).collect();
    let mut parts = Vec::new();
    for t in targets {
        let c = &customers[t.customer];
        let data = recipient_data(c, &plan.campaign.variants[t.variant].values);
        for (template, _) in &t.pieces {
            let mut notes = Notes::default();
            parts.clear();
            let recipient = Recipient {
                customer: c,
                data: &data,
                run_key: "",
                slug: &t.slug,
            };
            let _ = compiled[*template]
                .rendering
                .render(&recipient, &mut parts, &mut notes);
            counters[*template].record(&mut notes);
        }
    }
    compiled
        .iter()
        .zip(&counters)
        .flat_map(|(c, counter)| with_template(c.rendering.report(counter).0, &c.name))
        .collect()
}

/// The fields with the template's name; a field a format located in one of the template's
/// files (a microsite's page) reads `TEMPLATE/FILE`.
fn with_template(mut fields: Vec<MissingField>, template: &str) -> Vec<MissingField> {
    for f in &mut fields {
        f.template = if f.template.is_empty() {
            template.to_string()
        } else {
            format!("{template}/{}", f.template)
        };
    }
    fields
}

/// What rendering the customers produced, besides their files and log.
#[derive(Default)]
struct Rendered {
    failed: Vec<RenderFailure>,
    counters: Vec<SlotCounter>,
    /// Why the run could not go on, if it could not (the first reason met).
    run_failed: Option<String>,
}

impl Rendered {
    fn merge(mut self, other: Rendered) -> Rendered {
        self.failed.extend(other.failed);
        self.counters = self
            .counters
            .into_iter()
            .zip(other.counters)
            .map(|(x, y)| x.merge(y))
            .collect();
        self.run_failed = self.run_failed.or(other.run_failed);
        self
    }
}

/// Progress reported as customers are done, about 200 times over a run.
struct Progress<'a> {
    report: &'a (dyn Fn(RunProgress) + Sync),
    done: AtomicU32,
    total: u32,
    step: u32,
}

impl Progress<'_> {
    fn advance(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(self.step) || done == self.total {
            (self.report)(RunProgress {
                done,
                total: self.total,
            });
        }
    }
}

/// What a run renders: the plan, the targets' merge data, the compiled templates.
struct Work<'a> {
    plan: &'a CampaignPlan,
    customers: &'a [CustomerContext],
    compiled: &'a [Compiled],
    targets: &'a [Target],
}

async fn run(
    pool: &SqlitePool,
    work: &Work<'_>,
    folder: RenderFolder,
    (run_id, workspace): (i64, &str),
    logged: Vec<Delivery>,
    options: &RunOptions<'_>,
) -> Result<RunSummary, CampaignError> {
    let (plan, compiled, targets) = (work.plan, work.compiled, work.targets);
    let campaign = &plan.campaign;
    let run_key = format!("{}\0{run_id}", campaign.name.trim());
    let (kept, gone) = keep_logged(work, &folder, logged);
    forget_deliveries(pool, run_id, &gone).await?;
    let resumed = kept.len() as u64;
    let kept_files: std::collections::BTreeSet<String> =
        kept.values().flatten().map(|d| d.file.clone()).collect();
    folder.keep_only(&kept_files);
    folder.add_written(kept_files);
    let todo: Vec<&Target> = targets
        .iter()
        .filter(|t| !kept.contains_key(&work.customers[t.customer].id))
        .collect();
    // What every customer's files share, once (a site's assets); not in the delivery log.
    let mut shared: Vec<(String, String)> = Vec::new();
    for c in compiled {
        for part in c.rendering.shared() {
            if shared.iter().all(|(name, _)| *name != part.name) {
                folder.put(&part.name, &part.bytes)?;
                folder.add_written([part.name.clone()]);
                shared.push((part.name, blake3::hash(&part.bytes).to_hex().to_string()));
            }
        }
    }
    let total = targets.len() as u32;
    let progress = Progress {
        report: options.progress,
        done: AtomicU32::new(resumed as u32),
        total,
        step: (total / 200).max(1),
    };
    (options.progress)(RunProgress {
        done: resumed as u32,
        total,
    });
    // Each customer is logged as soon as their files are in place, by a writer of its own: a
    // run killed midway is continued from where it was, whatever its pace.
    let stop = Arc::new(AtomicBool::new(false));
    let (log, written) = tokio::sync::mpsc::unbounded_channel();
    let logger = tokio::spawn(log_as_written(pool.clone(), run_id, written, stop.clone()));
    let rendered = blocking(|| {
        let each = Each {
            work,
            run_key: &run_key,
            folder: &folder,
            log: &log,
            stop: &stop,
            cancel: &options.cancel,
            progress: &progress,
        };
        render_all(&each, &todo)
    });
    drop(log);
    let logged = logger
        .await
        .map_err(|e| CampaignError::Crashed(e.to_string()))??;
    if let Some(reason) = rendered.run_failed {
        return Err(CampaignError::RunFailed(reason));
    }
    let Rendered {
        failed, counters, ..
    } = rendered;
    let cancelled = options.cancel.load(Ordering::Relaxed);
    let mut deliveries: Vec<Delivery> = kept.into_values().flatten().chain(logged).collect();
    if deliveries.is_empty() && !cancelled {
        if let Some(first) = failed.first() {
            return Err(CampaignError::EveryoneFailed {
                count: failed.len(),
                first: first.error.clone(),
            });
        }
    }
    deliveries.sort_by(|a, b| (a.customer_id, &a.file).cmp(&(b.customer_id, &b.file)));
    let mut missing_fields = Vec::new();
    let mut unsafe_links = Vec::new();
    for (c, counter) in compiled.iter().zip(&counters) {
        let (missing, unsafe_) = c.rendering.report(counter);
        missing_fields.extend(with_template(missing, &c.name));
        unsafe_links.extend(with_template(unsafe_, &c.name));
    }
    let mut customers: Vec<i64> = deliveries.iter().map(|d| d.customer_id).collect();
    customers.dedup();
    let manifest = manifest(
        work,
        (run_id, workspace),
        &deliveries,
        &failed,
        &shared,
        cancelled,
        options.now,
    );
    folder.write(MANIFEST, &manifest.to_bytes())?;
    let out = folder.publish()?;
    let summary = RunSummary {
        campaign: campaign.name.trim().to_string(),
        run: run_id,
        out: out.display().to_string(),
        manifest: out.join(MANIFEST).display().to_string(),
        rendered: customers.len() as u64,
        resumed,
        skipped_opted_out: plan.split.excluded.opted_out,
        skipped_no_email: plan.split.excluded.no_address,
        split: plan.split.clone(),
        failed,
        cancelled,
        missing_fields,
        unsafe_links,
        overflowing: Vec::new(),
        missing_glyphs: Vec::new(),
        unreached: unreached(campaign, compiled),
    };
    let status = if cancelled {
        RunStatus::Cancelled
    } else {
        RunStatus::Done
    };
    finish_run(pool, run_id, status, &summary).await?;
    Ok(summary)
}

/// Logs what the renderers send as it arrives, each group of customers in one transaction.
/// Returns everything logged; a failure stops the renderers.
async fn log_as_written(
    pool: SqlitePool,
    run_id: i64,
    mut written: tokio::sync::mpsc::UnboundedReceiver<Vec<Delivery>>,
    stop: Arc<AtomicBool>,
) -> Result<Vec<Delivery>, CampaignStoreError> {
    let mut all = Vec::new();
    let mut arrived = Vec::new();
    while written.recv_many(&mut arrived, 1024).await > 0 {
        let group: Vec<Delivery> = arrived.drain(..).flatten().collect();
        if let Err(e) = log_deliveries(&pool, run_id, &group).await {
            stop.store(true, Ordering::Relaxed);
            return Err(e);
        }
        all.extend(group);
    }
    Ok(all)
}

/// Of what an interrupted run logged, the pieces to keep: customers still assigned the same
/// variant and templates, whose files are there. The others' files are removed; returns the
/// kept pieces by customer and the customers whose log is to be dropped.
fn keep_logged(
    work: &Work,
    folder: &RenderFolder,
    logged: Vec<Delivery>,
) -> (HashMap<i64, Vec<Delivery>>, Vec<i64>) {
    let (plan, compiled, targets) = (work.plan, work.compiled, work.targets);
    let mut kept: HashMap<i64, Vec<Delivery>> = HashMap::new();
    for d in logged {
        kept.entry(d.customer_id).or_default().push(d);
    }
    let wanted: HashMap<i64, &Target> = targets
        .iter()
        .map(|t| (work.customers[t.customer].id, t))
        .collect();
    let mut gone = Vec::new();
    kept.retain(|id, pieces| {
        let same = wanted.get(id).is_some_and(|t| {
            let arm = plan.campaign.variants[t.variant].name.trim();
            // A piece may be several files (a site's pages): the templates must be the same.
            let mut logged: Vec<&str> = pieces.iter().map(|d| d.template.as_str()).collect();
            let mut planned: Vec<&str> = t
                .pieces
                .iter()
                .map(|(template, _)| compiled[*template].name.as_str())
                .collect();
            for list in [&mut logged, &mut planned] {
                list.sort_unstable();
                list.dedup();
            }
            logged == planned
                && pieces
                    .iter()
                    .all(|d| d.arm == arm && folder.path_of(&d.file).is_ok_and(|p| p.is_file()))
        });
        if !same {
            gone.push(*id);
            for d in pieces.iter() {
                if let Ok(path) = folder.path_of(&d.file) {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        same
    });
    (kept, gone)
}

/// What rendering each customer needs besides the customer.
struct Each<'a> {
    work: &'a Work<'a>,
    run_key: &'a str,
    folder: &'a RenderFolder,
    /// Where each customer's pieces go once their files are written.
    log: &'a tokio::sync::mpsc::UnboundedSender<Vec<Delivery>>,
    /// Set when the run cannot go on.
    stop: &'a AtomicBool,
    cancel: &'a AtomicBool,
    progress: &'a Progress<'a>,
}

/// Renders and writes the customers on every core, stopping early when cancelled or when the
/// run cannot go on.
fn render_all(each: &Each, todo: &[&Target]) -> Rendered {
    let compiled = each.work.compiled;
    let fresh = || Rendered {
        counters: compiled.iter().map(|c| c.rendering.counter()).collect(),
        ..Rendered::default()
    };
    todo.par_iter()
        .fold(fresh, |mut rendered, t| {
            if each.stop.load(Ordering::Relaxed) || each.cancel.load(Ordering::Relaxed) {
                return rendered;
            }
            render_one(each, t, &mut rendered);
            each.progress.advance();
            rendered
        })
        .reduce(fresh, Rendered::merge)
}

/// Renders one customer's pieces, writes their files and sends them to the log.
fn render_one(each: &Each, t: &Target, rendered: &mut Rendered) {
    let (plan, compiled) = (each.work.plan, each.work.compiled);
    let c = &each.work.customers[t.customer];
    let variant = &plan.campaign.variants[t.variant];
    let data = recipient_data(c, &variant.values);
    let recipient = Recipient {
        customer: c,
        data: &data,
        run_key: each.run_key,
        slug: &t.slug,
    };
    let mut parts: Vec<Part> = Vec::new();
    let mut deliveries = Vec::new();
    for (template, language) in &t.pieces {
        let mut notes = Notes::default();
        let first = parts.len();
        let result = compiled[*template]
            .rendering
            .render(&recipient, &mut parts, &mut notes)
            .and_then(|()| {
                parts[first..].iter().try_for_each(|part| {
                    // A file that cannot be written (a full disk) fails everyone after.
                    each.folder
                        .put(&part.name, &part.bytes)
                        .map_err(|e| RenderError::Run(e.to_string()))
                })
            });
        rendered.counters[*template].record(&mut notes);
        match result {
            Ok(()) => deliveries.extend(parts[first..].iter().map(|part| Delivery {
                customer_id: c.id,
                arm: variant.name.trim().to_string(),
                format: compiled[*template].rendering.format(),
                language: language.clone(),
                template: compiled[*template].name.clone(),
                file: part.name.clone(),
                hash: blake3::hash(&part.bytes).to_hex().to_string(),
            })),
            Err(RenderError::Customer(error)) => rendered.failed.push(RenderFailure {
                customer_id: c.id,
                error,
            }),
            Err(RenderError::Run(reason)) => {
                each.stop.store(true, Ordering::Relaxed);
                rendered.run_failed.get_or_insert(reason);
                return;
            }
        }
    }
    if !deliveries.is_empty() {
        each.folder
            .add_written(deliveries.iter().map(|d: &Delivery| d.file.clone()));
        // Logged after the files are written: the log never names a file that is not there.
        let _ = each.log.send(deliveries);
    }
}

/// The run's manifest (see `manifest`).
fn manifest(
    work: &Work,
    (run_id, workspace): (i64, &str),
    deliveries: &[Delivery],
    failed: &[RenderFailure],
    shared: &[(String, String)],
    cancelled: bool,
    now: DateTime<Utc>,
) -> Manifest {
    let plan = work.plan;
    let slugs: HashMap<i64, &str> = work
        .targets
        .iter()
        .map(|t| (work.customers[t.customer].id, t.slug.as_str()))
        .collect();
    let mut rendered: BTreeMap<i64, RenderedCustomer> = BTreeMap::new();
    for d in deliveries {
        rendered
            .entry(d.customer_id)
            .or_insert_with(|| RenderedCustomer {
                customer_id: d.customer_id,
                arm: d.arm.clone(),
                slug: slugs
                    .get(&d.customer_id)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.to_string()),
                files: Vec::new(),
            })
            .files
            .push(RenderedFile {
                format: d.format,
                language: d.language.clone(),
                template: d.template.clone(),
                file: d.file.clone(),
                hash: d.hash.clone(),
            });
    }
    let excluded = plan
        .ids
        .iter()
        .zip(&plan.arms)
        .filter_map(|(&customer_id, arm)| {
            let reason = match arm {
                Ok(Arm::Holdout) => Exclusion::Holdout,
                Err(e) => *e,
                Ok(Arm::Variant(_)) => return None,
            };
            Some(ExcludedCustomer {
                customer_id,
                reason,
            })
        })
        .collect();
    let mut failed: Vec<i64> = failed.iter().map(|f| f.customer_id).collect();
    failed.sort_unstable();
    failed.dedup();
    Manifest {
        campaign: plan.campaign.name.trim().to_string(),
        run: run_id,
        workspace: Some(workspace.to_string()),
        rendered_at: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        seed: plan.campaign.seed.clone(),
        base_url: plan.campaign.microsite_settings.base_url.trim().to_string(),
        cancelled,
        counts: Counts {
            audience: plan.split.audience,
            rendered: rendered.len() as u64,
            excluded: plan.split.excluded.clone(),
            arms: plan.split.arms.clone(),
        },
        sample_ratio: plan.split.sample_ratio.clone(),
        rendered: rendered.into_values().collect(),
        excluded,
        failed,
        shared: shared
            .iter()
            .map(|(file, hash)| SharedFile {
                file: file.clone(),
                hash: hash.clone(),
            })
            .collect(),
        sites: work
            .compiled
            .iter()
            .filter_map(|c| Some((c.name.clone(), c.rendering.manifest_section()?)))
            .collect(),
    }
}
