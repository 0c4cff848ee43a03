//! `tessera campaign …`: save, list, show, assign, render and past runs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use tessera_engine::app::{
    campaign_file, Campaign, Content, RenderRequest, RunProgress, Session, Split,
};

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
    /// Each customer's arm (or why they are excluded), without rendering; with `--run N`, as
    /// run N assigned them (kept in the workspace).
    Assign {
        name: String,
        #[arg(long)]
        run: Option<i64>,
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
    /// Send a rendered run's .eml messages through your mail server, each customer's once.
    Send(crate::send::SendArgs),
    /// Each customer's message of the campaign and its state (queued, sending, sent, failed,
    /// unknown, excluded), with the server's reply.
    Sends {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Send one customer's email to your own address to look at (not logged as a delivery).
    TestSend(crate::send::TestSendArgs),
    /// How many customers an experiment needs (and the smallest lift an audience can detect).
    Plan(crate::experiment::PlanArgs),
    /// Did it work? Each arm's outcome against the control, and the verdict on the hypothesis.
    Report(crate::experiment::ReportArgs),
    /// Import an email service's per-recipient results of the campaign (CSV: a customer key,
    /// sent, opened, clicked, converted, revenue).
    Results(crate::experiment::ResultsArgs),
    /// Past runs, from the delivery log (of one campaign, or all).
    Runs {
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(session: &Session, command: CampaignCommand) -> Result<(), Failure> {
    match command {
        CampaignCommand::Save { name, file } => {
            let mut campaign = campaign_file(&file)?;
            campaign.name = name.trim().to_string();
            session.campaign_save(&campaign).await?;
            say!("saved campaign '{}'", campaign.name);
        }
        CampaignCommand::List => {
            for c in session.campaigns().await? {
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
            let campaign = session.campaign(&name).await?;
            if as_json {
                println!("{}", json(&campaign));
            } else {
                describe(&campaign);
            }
        }
        CampaignCommand::Assign {
            name,
            run: Some(run),
            json: as_json,
        } => {
            let assignments = session.run_assignments(&name, run).await?;
            if as_json {
                println!(
                    "{}",
                    json(
                        &serde_json::json!({"campaign": name.trim(), "run": run, "assignments": assignments})
                    )
                );
            } else {
                for a in &assignments {
                    let excluded = a.excluded.map(|e| e.as_str()).unwrap_or("");
                    say!(
                        "{}\t{}\t{}",
                        a.customer_id,
                        a.arm.as_deref().unwrap_or("-"),
                        excluded
                    );
                }
            }
        }
        CampaignCommand::Assign {
            name,
            run: None,
            json: as_json,
        } => {
            let campaign = session.campaign(&name).await?;
            let plan = session.campaign_plan(&campaign).await?;
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
            let campaign = session.campaign(&name).await?;
            render(session, campaign, out, strict, as_json, BTreeMap::new()).await?;
        }
        CampaignCommand::Send(args) => crate::send::send(session, args).await?,
        CampaignCommand::Sends {
            name,
            json: as_json,
        } => crate::send::sends(session, &name, as_json).await?,
        CampaignCommand::TestSend(args) => crate::send::test_send(session, args).await?,
        CampaignCommand::Plan(args) => crate::experiment::plan(Some(session), args).await?,
        CampaignCommand::Report(args) => crate::experiment::report(session, args).await?,
        CampaignCommand::Results(args) => crate::experiment::results(session, args).await?,
        CampaignCommand::Runs {
            name,
            json: as_json,
        } => {
            let runs = session.campaign_runs(name.as_deref()).await?;
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
pub fn print_split(split: &Split) {
    say!(
        "{} customers in the audience, {} eligible",
        split.audience,
        split.eligible
    );
    for arm in split.arms.iter().chain(std::iter::once(&split.holdout)) {
        if arm.share > 0.0 {
            say!(
                "  {:<12} {:>9}  ({:.1}% asked, {:.1}% drawn; {}–{} expected)",
                arm.name,
                arm.customers,
                arm.share * 100.0,
                100.0 * arm.customers as f64 / split.eligible.max(1) as f64,
                arm.expected_low,
                arm.expected_high
            );
        }
    }
    say!(
        "  excluded: {} opted out, {} without an address",
        split.excluded.opted_out,
        split.excluded.no_address
    );
    let srm = &split.sample_ratio;
    if !srm.enough && srm.degrees_of_freedom > 0 {
        say!("  too few customers to check the split against the weights (each arm should be expected to get at least 5)");
    } else if srm.mismatch {
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

/// Renders a campaign with a progress bar (a folder holding an earlier render is replaced);
/// Ctrl-C stops after the files in flight.
pub async fn render(
    session: &Session,
    campaign: Campaign,
    out: PathBuf,
    strict: bool,
    as_json: bool,
    sources: BTreeMap<String, String>,
) -> Result<(), Failure> {
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
    let progress = |p: RunProgress| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
    };
    let result = session
        .campaign_render(RenderRequest {
            campaign,
            out,
            strict,
            replace: true,
            sources,
            progress: &progress,
            cancel,
        })
        .await;
    on_interrupt.abort();
    bar.finish_and_clear();
    let summary = result?;
    if as_json {
        println!("{}", json(&summary));
    } else {
        print_split(&summary.split);
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
        for u in &summary.unreached {
            tell!(
                "warning: the campaign's {} were rendered, but none of its emails links {{{{{}}}}}: nobody will find them",
                match u.format {
                    tessera_engine::app::FormatKind::Video => "video players",
                    _ => "personal sites",
                },
                u.link
            );
        }
        for o in &summary.overflowing {
            tell!("warning: {o}");
        }
        for g in &summary.missing_glyphs {
            tell!("warning: {g}");
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
