//! `tessera segment …`: count, save, list, show, export and sample segments.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::Subcommand;
use tessera_engine::output::{write_file, Overwrite};
use tessera_engine::render::export::members_csv;
use tessera_engine::render::{load_contexts, Selection};
use tessera_engine::segments::describe::describe;
use tessera_engine::segments::index::Kept;
use tessera_engine::segments::store::{list_segments, load_catalog, load_segment, save_segment};
use tessera_engine::segments::{Clock, Rule, SegmentIndex};
use tessera_engine::store::{read_user_text, Workspace};

use crate::terminal::{json, say, tell};
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

/// `now`, or the moment given with --now.
pub fn clock(now: Option<&str>) -> Result<Clock, Failure> {
    let now = match now {
        None => Utc::now(),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                tessera_engine::values::parse_date(text)
                    .and_then(|d| d.and_hms_opt(12, 0, 0))
                    .map(|t| t.and_utc())
            })
            .ok_or_else(|| format!("--now '{text}' is not a date"))?,
    };
    Ok(Clock { now })
}

/// A rule from a .json file, or a saved segment's.
pub async fn rule_from(ws: &Workspace, reference: &str) -> Result<Rule, Failure> {
    match rule_file(reference)? {
        Some(rule) => Ok(rule),
        None => Ok(load_segment(&ws.pool, reference).await?),
    }
}

/// The rule in `reference`, if it names a `.json` file.
pub fn rule_file(reference: &str) -> Result<Option<Rule>, Failure> {
    let path = Path::new(reference);
    if path.extension().is_some_and(|e| e == "json") && path.is_file() {
        return Ok(Some(Rule::parse(&read_user_text(path)?)?));
    }
    Ok(None)
}

/// The workspace's segment index: the one kept beside it, or built (and kept) when customers,
/// events or scores changed since. Every command that selects customers goes through it.
pub async fn segment_index(ws: &Workspace) -> Result<SegmentIndex, Failure> {
    let path = ws.path.clone();
    let current = tokio::task::spawn_blocking(move || {
        SegmentIndex::current(&path, || {
            tell!("building the segment index (once after each change to customers or events)…")
        })
    })
    .await??;
    if let Kept::NotKept(reason) = &current.kept {
        tell!("note: the segment index could not be kept beside the workspace ({reason}); the next command builds it again");
    }
    Ok(current.index)
}

/// The ids of a segment's members.
async fn member_ids(ws: &Workspace, reference: &str) -> Result<Vec<i64>, Failure> {
    let rule = rule_from(ws, reference).await?;
    let catalog = load_catalog(&ws.pool).await?;
    let index = segment_index(ws).await?;
    Ok(index.members(&rule, &catalog, clock(None)?)?)
}

pub async fn run(ws: &Workspace, command: SegmentCommand) -> Result<(), Failure> {
    match command {
        SegmentCommand::Count {
            rule,
            json: as_json,
            now,
        } => {
            let rule = rule_from(ws, &rule).await?;
            let catalog = load_catalog(&ws.pool).await?;
            let index = segment_index(ws).await?;
            let result = index.count(&rule, &catalog, clock(now.as_deref())?)?;
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
            let parsed = Rule::parse(&read_user_text(&rule)?)?;
            save_segment(&ws.pool, &name, &parsed, clock(None)?).await?;
            say!("saved segment '{}'", name.trim());
        }
        SegmentCommand::List => {
            for (name, updated) in list_segments(&ws.pool).await? {
                say!("{name}\t{updated}");
            }
        }
        SegmentCommand::Show { name } => {
            let rule = load_segment(&ws.pool, &name).await?;
            let catalog = load_catalog(&ws.pool).await?;
            let index = segment_index(ws).await?;
            let result = index.count(&rule, &catalog, clock(None)?)?;
            say!(
                "segment '{name}': {} of {} customers",
                result.count,
                result.total
            );
            for (i, c) in rule.root.conditions.iter().enumerate() {
                say!("  {}. {}", i + 1, describe(c));
            }
            say!("{}", serde_json::to_string_pretty(&rule)?);
        }
        SegmentCommand::Export {
            rule,
            out,
            force,
            columns,
        } => {
            let ids = member_ids(ws, &rule).await?;
            let contexts = load_contexts(&ws.pool, &Selection::Customers(ids), Utc::now()).await?;
            let overwrite = if force {
                Overwrite::Replace
            } else {
                Overwrite::Refuse
            };
            write_file(
                &out,
                members_csv(&contexts, &columns).as_bytes(),
                overwrite,
                &ws.files(),
            )?;
            say!("exported {} customers to {}", contexts.len(), out.display());
        }
        SegmentCommand::Sample { rule, limit } => {
            let ids = member_ids(ws, &rule).await?;
            let total = ids.len();
            let sample: Vec<i64> = ids.into_iter().take(limit).collect();
            let contexts =
                load_contexts(&ws.pool, &Selection::Customers(sample), Utc::now()).await?;
            say!("{total} customers match; the first {}:", contexts.len());
            for c in &contexts {
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
