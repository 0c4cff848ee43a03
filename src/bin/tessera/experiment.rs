//! `tessera campaign plan|report|results`: the sample-size planner, the report with its
//! verdict, and an email service's per-recipient results.

use std::path::PathBuf;

use clap::Args;
use tessera_engine::app::{plan_experiment, ImportSettings, PlanInput, Report, Session, Verdict};

use crate::terminal::{json, say, tell};
use crate::Failure;

#[derive(Args)]
pub struct PlanArgs {
    /// The control's expected conversion rate (0.10 for 10%).
    #[arg(long, required_unless_present = "baseline_from")]
    baseline: Option<f64>,
    /// Take the baseline from the workspace: the share of customers with this event in the
    /// last --window days.
    #[arg(long, value_name = "EVENT", conflicts_with = "baseline")]
    pub baseline_from: Option<String>,
    #[arg(long, default_value_t = 14)]
    window: u32,
    /// The smallest absolute lift worth detecting (0.02: from 10% to 12%).
    #[arg(long, required_unless_present = "customers")]
    mde: Option<f64>,
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    #[arg(long, default_value_t = 0.8)]
    power: f64,
    /// Arms compared, the control (holdout or a variant) included.
    #[arg(long, default_value_t = 2)]
    arms: u32,
    /// The customers there are: prints the smallest lift they can detect.
    #[arg(long)]
    customers: Option<u64>,
    #[arg(long)]
    json: bool,
}

pub async fn plan(session: Option<&Session>, args: PlanArgs) -> Result<(), Failure> {
    let baseline = match (&args.baseline_from, session) {
        (Some(event), Some(session)) => session.baseline_rate(event, args.window).await?,
        _ => args.baseline.unwrap_or_default(),
    };
    let input = PlanInput {
        baseline,
        mde: args.mde.unwrap_or(0.0),
        alpha: args.alpha,
        power: args.power,
        arms: args.arms,
    };
    let planned = plan_experiment(&input, args.customers)?;
    if args.json {
        let mut value = serde_json::to_value(&planned)?;
        value["baseline"] = baseline.into();
        println!("{}", json(&value));
        return Ok(());
    }
    say!("baseline {:.2}%", baseline * 100.0);
    if let Some(size) = &planned.size {
        say!(
            "to detect +{:.2} points at alpha {} and power {}: {} customers per arm, {} in all",
            input.mde * 100.0,
            input.alpha,
            input.power,
            size.per_arm,
            size.total
        );
    }
    match (args.customers, planned.detectable_lift) {
        (Some(n), Some(lift)) => say!(
            "{n} customers detect a lift of +{:.2} points or more",
            lift * 100.0
        ),
        (Some(n), None) => say!("{n} customers are too few to detect any lift at this power"),
        _ => {}
    }
    Ok(())
}

#[derive(Args)]
pub struct ReportArgs {
    name: String,
    /// A run of the campaign (its latest finished run by default).
    #[arg(long)]
    run: Option<i64>,
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    #[arg(long)]
    json: bool,
}

pub async fn report(session: &Session, args: ReportArgs) -> Result<(), Failure> {
    let report = session
        .campaign_report(&args.name, args.run, args.alpha)
        .await?;
    if args.json {
        println!("{}", json(&report));
    } else {
        describe(&report);
    }
    Ok(())
}

fn percent(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{:.2}%", v * 100.0))
}

fn describe(r: &Report) {
    say!(
        "campaign '{}', run {} ({}): {} within {} days, control '{}'{}",
        r.campaign,
        r.run,
        r.run_started_at,
        r.metric,
        r.hypothesis.window_days,
        r.control,
        if r.window_complete {
            ""
        } else {
            " (window still open)"
        }
    );
    say!("arm\tcustomers\tconverted\trate (95% CI)\tlift\tp (Holm)\trevenue/recipient");
    for a in &r.arms {
        say!(
            "{}{}\t{}\t{}\t{} ({} – {})\t{}\t{}\t{}",
            a.arm,
            if a.control { " (control)" } else { "" },
            a.n,
            a.conversions,
            percent(a.rate),
            percent(a.ci_low),
            percent(a.ci_high),
            a.lift_abs
                .map_or("".into(), |l| format!("{:+.2} pts", l * 100.0)),
            a.p_adjusted.map_or("".into(), |p| format!("{p:.4}")),
            a.revenue_per_recipient
                .map_or("–".into(), |v| format!("{v:.2}")),
        );
    }
    if let Some(p) = r.srm_p_value {
        say!(
            "split check: p = {p:.4}{}",
            if r.srm_mismatch {
                " — SAMPLE RATIO MISMATCH"
            } else {
                ""
            }
        );
    }
    if let Some(revenue) = r.incremental_revenue {
        say!("incremental revenue against the holdout: {revenue:.2}");
    }
    say!(
        "verdict: {}{}",
        match r.verdict {
            Verdict::Supported => "supported",
            Verdict::NotSupported => "not supported",
            Verdict::NotYetDecidable => "not yet decidable",
        },
        r.winner
            .as_ref()
            .map(|w| format!(" (winner: {w})"))
            .unwrap_or_default()
    );
    for note in &r.notes {
        say!("note: {}", note_text(note));
    }
}

/// A report's note in words.
fn note_text(note: &str) -> &str {
    match note {
        "window_open" => "the outcome window is still open; only the always-valid test may decide before it ends",
        "no_outcomes" => "no outcomes yet: nobody in the compared arms has converted",
        "empty_arm" => "an arm has too few customers to compare",
        "sample_ratio_mismatch" => "the split is not what the weights ask for (sample ratio mismatch): nothing is decided",
        "underpowered" => "underpowered: the hypothesis's lift needs more customers per arm than the smallest arm has",
        "decided_early" => "decided before the window ended, by the always-valid test",
        "hypothesis_after_run" => "the hypothesis was recorded after the run: read the verdict with care",
        "assumed_hypothesis" => "no hypothesis recorded: purchases within 14 days against the holdout are assumed",
        other => other,
    }
}

#[derive(Args)]
pub struct ResultsArgs {
    name: String,
    file: PathBuf,
    /// Force the text encoding (utf-8 or gb18030) instead of detecting it.
    #[arg(long)]
    encoding: Option<String>,
    /// Force the CSV delimiter (',', ';' or 'tab').
    #[arg(long)]
    delimiter: Option<String>,
    /// Map a column: --map "Recipient=email", --map "Bought=attribute:converted" (repeatable).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    map: Vec<String>,
    #[arg(long)]
    json: bool,
}

pub async fn results(session: &Session, args: ResultsArgs) -> Result<(), Failure> {
    let settings = ImportSettings {
        encoding: args.encoding,
        delimiter: args.delimiter,
        mapping: crate::import::parse_mapping(&args.map)?,
        event_type: None,
        allow_future: false,
    };
    let summary = session
        .campaign_results_import(&args.name, &args.file, &settings)
        .await?;
    if args.json {
        println!("{}", json(&summary));
    } else {
        crate::import::print_summary(&summary, false);
        if summary.rejected > 0 {
            tell!("{} rows rejected", summary.rejected);
        }
    }
    Ok(())
}
