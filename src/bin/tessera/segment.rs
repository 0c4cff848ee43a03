//! `tessera segment …`: count, save, list, show, export and sample segments.

use std::path::PathBuf;

use clap::Subcommand;
use tessera_engine::app::{clock_at, describe_rule, rule_file, Overwrite, Session};

use crate::terminal::{json, say};
use crate::Failure;

#[derive(Subcommand)]
pub enum SegmentCommand {
    /// Exact count of a rule (a .json file or a saved segment) and the per-condition funnel.
    Count {
        rule: String,
        #[arg(long)]
        json: bool,
        /// Evaluate as of this date or time instead of now (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        now: Option<String>,
    },
    /// Save a rule file under a name (replacing a segment of that name).
    Save { name: String, rule: PathBuf },
    /// Saved segments, with when each was last changed.
    List,
    /// The rule of a saved segment, in words and as JSON, with its count.
    Show { name: String },
    /// Write the members to CSV with the columns asked for (any merge field or attribute).
    Export {
        rule: String,
        #[arg(long)]
        out: PathBuf,
        /// Replace the file if it exists (a workspace is never replaced).
        #[arg(long)]
        force: bool,
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "id,email,first_name,last_name"
        )]
        columns: Vec<String>,
    },
    /// A few matching customers.
    Sample {
        rule: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
}

pub async fn run(session: &Session, command: SegmentCommand) -> Result<(), Failure> {
    match command {
        SegmentCommand::Count {
            rule,
            json: as_json,
            now,
        } => {
            let rule = session.rule_from(&rule).await?;
            let clock = clock_at(now.as_deref()).map_err(|e| format!("--now: {e}"))?;
            let result = session.segment_count(&rule, clock).await?;
            if as_json {
                println!("{}", json(&result));
            } else {
                say!("{} of {} customers", result.count, result.total);
                for step in &result.funnel {
                    say!(
                        "  {:>4}  {:>9}  {}",
                        step.condition,
                        step.remaining,
                        step.label
                    );
                }
            }
        }
        SegmentCommand::Save { name, rule } => {
            let parsed = rule_file(&rule)?;
            session.segment_save(&name, &parsed).await?;
            say!("saved segment '{}'", name.trim());
        }
        SegmentCommand::List => {
            for s in session.segments().await? {
                say!("{}\t{}", s.name, s.updated_at);
            }
        }
        SegmentCommand::Show { name } => {
            let rule = session.segment(&name).await?;
            let result = session.segment_count(&rule, clock_at(None)?).await?;
            say!(
                "segment '{name}': {} of {} customers",
                result.count,
                result.total
            );
            for (i, line) in describe_rule(&rule).iter().enumerate() {
                say!("  {}. {line}", i + 1);
            }
            say!("{}", serde_json::to_string_pretty(&rule)?);
        }
        SegmentCommand::Export {
            rule,
            out,
            force,
            columns,
        } => {
            let rule = session.rule_from(&rule).await?;
            let overwrite = if force {
                Overwrite::Replace
            } else {
                Overwrite::Refuse
            };
            let written = session
                .segment_export(&rule, &columns, &out, overwrite)
                .await?;
            say!("exported {written} customers to {}", out.display());
        }
        SegmentCommand::Sample { rule, limit } => {
            let rule = session.rule_from(&rule).await?;
            let total = session.segment_ids(&rule, clock_at(None)?).await?.len();
            let sample = session.segment_customers(&rule, Some(limit)).await?;
            say!("{total} customers match; the first {}:", sample.len());
            for c in &sample {
                let name = c.data.get("name").and_then(|v| v.as_str()).unwrap_or("");
                say!(
                    "  {:>7}  {:<24}  {}",
                    c.id,
                    name,
                    c.email.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(())
}
