//! `tessera campaign save|list|show|assign|render|runs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use tessera_engine::campaigns::store::{list_campaigns, list_runs, load_campaign, save_campaign};
use tessera_engine::campaigns::{
    plan_campaign, render_campaign, Campaign, CampaignPlan, Content, RunOptions, Selector, Split,
};
use tessera_engine::store::{read_user_text, Workspace};

use crate::segment::segment_index;
use crate::terminal::{json, say, tell};
use crate::Failure;

#[derive(Subcommand)]
pub enum CampaignCommand {
    /// Save a campaign document under a name (replacing a campaign of that name).
    Save { name: String, file: PathBuf },
    /// Campaigns in the workspace, with their runs.
    List,
    /// A campaign's document.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Each customer's arm (or why they are excluded), without rendering.
    Assign {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Render every assigned customer into a folder with a manifest, logging each file.
    Render {
        name: String,
        /// A new or empty folder, or one a previous render wrote (its files are replaced).
        #[arg(long)]
        out: PathBuf,
        /// Stop before rendering if any merge field is missing for some customer.
        #[arg(long)]
        strict: bool,
        #[arg(long)]
        json: bool,
    },
    /// Past runs, from the delivery log (of one campaign, or all).
    Runs {
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(ws: &Workspace, command: CampaignCommand) -> Result<(), Failure> {
    match command {
        CampaignCommand::Save { name, file } => {
            let mut campaign = Campaign::parse(&read_user_text(&file)?)?;
            campaign.name = name.trim().to_string();
            save_campaign(&ws.pool, &campaign).await?;
            say!("saved campaign '{}'", campaign.name);
        }
        CampaignCommand::List => {
            for c in list_campaigns(&ws.pool).await? {
                say!(
                    "{}\t{}\t{} runs{}",
                    c.name,
                    c.updated_at,
                    c.runs,
                    c.last_run
                        .map(|r| format!(", last {r}"))
                        .unwrap_or_default()
                );
            }
        }
        CampaignCommand::Show {
            name,
            json: as_json,
        } => {
            let campaign = load_campaign(&ws.pool, &name).await?;
            if as_json {
                println!("{}", json(&campaign));
            } else {
                describe(&campaign);
            }
        }
        CampaignCommand::Assign {
            name,
            json: as_json,
        } => {
            let campaign = load_campaign(&ws.pool, &name).await?;
            let plan = plan(ws, &campaign).await?;
            if as_json {
                println!(
                    "{}",
                    json(&serde_json::json!({
                        "campaign": campaign.name,
                        "split": plan.split,
                        "assignments": plan.assignments(),
                    }))
                );
            } else {
                print_split(&plan.split);
            }
        }
        CampaignCommand::Render {
            name,
            out,
            strict,
            json: as_json,
        } => {
            let campaign = load_campaign(&ws.pool, &name).await?;
            let plan = plan(ws, &campaign).await?;
            render(ws, plan, out, strict, as_json, BTreeMap::new()).await?;
        }
        CampaignCommand::Runs {
            name,
            json: as_json,
        } => {
            let runs = list_runs(&ws.pool, name.as_deref()).await?;
            if as_json {
                println!("{}", json(&runs));
            }
            for r in runs.iter().filter(|_| !as_json) {
                say!(
                    "run {}\t{}\t{}\t{:?}\t{} customers, {} files\t{}",
                    r.id,
                    r.campaign,
                    r.started_at,
                    r.status,
                    r.customers,
                    r.files,
                    r.out
                );
            }
        }
    }
    Ok(())
}

fn describe(c: &Campaign) {
    say!("campaign '{}' (seed '{}')", c.name, c.seed);
    say!(
        "  audience: {}",
        serde_json::to_string(&c.audience).unwrap_or_default()
    );
    if c.holdout > 0.0 {
        say!("  holdout: {:.1}%", c.holdout * 100.0);
    }
    for v in &c.variants {
        let email = match &v.email {
            Some(Content::Template(t)) => t.clone(),
            Some(Content::ByLanguage(by)) => by
                .iter()
                .map(|(l, t)| format!("{l}: {t}"))
                .collect::<Vec<_>>()
                .join(", "),
            None => "-".into(),
        };
        say!("  variant {} (weight {}): email {email}", v.name, v.weight);
    }
}

/// The counts per arm, before anything is rendered, with the sample-ratio check.
/// The campaign's plan as of now, its audience selected from the kept segment index.
pub async fn plan(ws: &Workspace, campaign: &Campaign) -> Result<CampaignPlan, Failure> {
    let index = segment_index(ws).await?;
    Ok(plan_campaign(
        &ws.pool,
        Selector::Index(&index),
        campaign,
        chrono::Utc::now(),
    )
    .await?)
}

pub fn print_split(split: &Split) {
    say!(
        "{} customers in the audience, {} eligible",
        split.audience,
        split.eligible
    );
    for arm in split.arms.iter().chain(std::iter::once(&split.holdout)) {
        if arm.share > 0.0 {
            say!(
                "  {:<12} {:>9}  ({:.1}% asked, {:.1}% drawn)",
                arm.name,
                arm.customers,
                arm.share * 100.0,
                100.0 * arm.customers as f64 / split.eligible.max(1) as f64
            );
        }
    }
    say!(
        "  excluded: {} opted out, {} without an address",
        split.excluded.opted_out,
        split.excluded.no_address
    );
    let srm = &split.sample_ratio;
    if srm.mismatch {
        tell!(
            "warning: the split does not fit the weights (chi-square {:.1}, p = {:.2e}): check the campaign before trusting any comparison",
            srm.chi_square,
            srm.p_value
        );
    } else if srm.degrees_of_freedom > 0 {
        say!(
            "  split fits the weights (chi-square {:.2}, p = {:.3})",
            srm.chi_square,
            srm.p_value
        );
    }
}

/// Renders a plan with a progress bar; Ctrl-C stops after the files in flight.
pub async fn render(
    ws: &Workspace,
    plan: CampaignPlan,
    out: PathBuf,
    strict: bool,
    as_json: bool,
    template_sources: BTreeMap<String, String>,
) -> Result<(), Failure> {
    if !as_json {
        print_split(&plan.split);
    }
    let bar = if as_json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let cancel = Arc::new(AtomicBool::new(false));
    let on_interrupt = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    });
    let progress = |p: tessera_engine::campaigns::RunProgress| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
    };
    let result = render_campaign(
        &ws.pool,
        plan,
        RunOptions {
            out,
            now: chrono::Utc::now(),
            strict,
            progress: &progress,
            cancel,
            template_sources,
        },
    )
    .await;
    on_interrupt.abort();
    bar.finish_and_clear();
    let summary = match result {
        Err(tessera_engine::campaigns::CampaignError::Missing(missing)) => {
            for m in &missing {
                tell!("'{}' in {} (line {}, column {}) is empty for {} of {} customers and has no fallback", m.field, m.template, m.line, m.column, m.customers, m.of);
            }
            return Err(tessera_engine::campaigns::CampaignError::Missing(missing).into());
        }
        other => other?,
    };
    if as_json {
        println!("{}", json(&summary));
    } else {
        say!(
            "rendered {} customers to {}{}; manifest {}",
            summary.rendered,
            summary.out,
            if summary.resumed > 0 {
                format!(" ({} kept from the interrupted run)", summary.resumed)
            } else {
                String::new()
            },
            summary.manifest
        );
        for m in &summary.missing_fields {
            tell!("warning: '{}' in {} (line {}, column {}) was empty for {} of {} customers (no fallback)", m.field, m.template, m.line, m.column, m.customers, m.of);
        }
        for u in &summary.unsafe_links {
            tell!("warning: the link '{}' in {} (line {}, column {}) had an unsafe address (not http, https, mailto or tel) for {} of {} customers; it was written as '#'", u.field, u.template, u.line, u.column, u.customers, u.of);
        }
        for f in &summary.failed {
            say!("  customer {}: {}", f.customer_id, f.error);
        }
    }
    if summary.cancelled {
        return Err(format!(
            "cancelled: {} customers were rendered; {} lists them",
            summary.rendered, summary.manifest
        )
        .into());
    }
    if !summary.failed.is_empty() {
        return Err(format!("{} customers failed to render", summary.failed.len()).into());
    }
    Ok(())
}
