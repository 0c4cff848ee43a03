//! `tessera import customers|events FILE`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tessera_engine::app::{Encoding, ImportKind, ImportSettings, ImportSummary, Progress, Session};

use crate::terminal::{json, say, tell};
use crate::Failure;

#[derive(Args)]
pub struct ImportArgs {
    file: PathBuf,
    /// Force the text encoding (utf-8 or gb18030) instead of detecting it.
    #[arg(long)]
    encoding: Option<Encoding>,
    /// Force the CSV delimiter (',', ';' or 'tab').
    #[arg(long)]
    delimiter: Option<String>,
    /// Map a column to a field: --map "Mobile No=phone" (repeatable).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    map: Vec<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Print progress as JSON lines on stderr (for tools driving the CLI).
    #[arg(long)]
    progress_json: bool,
}

#[derive(Subcommand)]
pub enum ImportCommand {
    Customers(ImportArgs),
    Events {
        #[command(flatten)]
        args: ImportArgs,
        /// Event type for files without a type column (e.g. purchase).
        #[arg(long = "type")]
        event_type: Option<String>,
        /// Keep events dated after now instead of rejecting them.
        #[arg(long)]
        allow_future: bool,
    },
}

pub async fn run(session: &Session, command: ImportCommand) -> Result<(), Failure> {
    let (args, event_type, allow_future, kind) = match command {
        ImportCommand::Customers(args) => (args, None, false, ImportKind::Customers),
        ImportCommand::Events {
            args,
            event_type,
            allow_future,
        } => (args, event_type, allow_future, ImportKind::Events),
    };
    let mapping = parse_mapping(&args.map)?;
    let settings = ImportSettings {
        encoding: args.encoding.map(|e| e.name().to_string()),
        delimiter: args.delimiter.clone(),
        mapping,
        event_type,
        allow_future,
    };
    let progress_json = args.progress_json;
    let progress = move |p: Progress| {
        if progress_json {
            eprintln!("{}", json(&p));
        }
    };
    let summary = session
        .import(&args.file, kind, &settings, None, &progress)
        .await?;
    print_summary(&summary, args.json);
    Ok(())
}

/// `--map COLUMN=FIELD` arguments as (column, field) pairs.
pub fn parse_mapping(args: &[String]) -> Result<Vec<(String, String)>, String> {
    args.iter()
        .map(|arg| {
            arg.split_once('=')
                .map(|(column, field)| (column.to_string(), field.to_string()))
                .ok_or_else(|| format!("--map '{arg}' is not COLUMN=FIELD"))
        })
        .collect()
}

pub fn print_summary(summary: &ImportSummary, as_json: bool) {
    if as_json {
        println!("{}", json(summary));
        return;
    }
    say!(
        "{}: {} rows ({}, {}) — {} inserted, {} updated, {} merged, {} unchanged, {} rejected",
        summary.file,
        summary.rows,
        serde_json::to_value(summary.format)
            .unwrap_or_default()
            .as_str()
            .unwrap_or(""),
        summary.encoding,
        summary.inserted,
        summary.updated,
        summary.merged,
        summary.unchanged,
        summary.rejected
    );
    for (what, list) in [("", &summary.errors), ("warning: ", &summary.warnings)] {
        for e in list.iter().take(20) {
            say!("  {what}line {}: {}", e.line, e.reason);
        }
        if list.len() > 20 {
            say!("  … {} more", list.len() - 20);
        }
    }
    if let Some(f) = &summary.rejected_file {
        say!("rejected rows written to {f}");
    }
    if summary.rows > 0 && summary.rejected == summary.rows {
        tell!("warning: every row was rejected; check the file's columns and format");
    }
}
