//! `tessera model fit`.

use clap::Subcommand;
use tessera_engine::scores::fit_models;
use tessera_engine::store::Workspace;
use tessera_engine::values::parse_date;

use crate::terminal::{json, say};
use crate::Failure;

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Fit BG/NBD and Gamma-Gamma on purchases up to a date (default: today).
    Fit {
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(ws: &Workspace, command: ModelCommand) -> Result<(), Failure> {
    let ModelCommand::Fit {
        until,
        json: as_json,
    } = command;
    let until = match until {
        Some(d) => Some(
            parse_date(&d).ok_or_else(|| format!("--until '{d}' is not a date (YYYY-MM-DD)"))?,
        ),
        None => None,
    };
    let report = fit_models(&ws.pool, until).await?;
    if as_json {
        println!("{}", json(&report));
        return Ok(());
    }
    say!(
        "fitted on {} customers ({} repeat buyers), purchases up to {}, time in {}",
        report.customers,
        report.repeat_customers,
        report.until,
        report.time_unit
    );
    if let Some(m) = &report.bgnbd {
        say!(
            "  BG/NBD       r = {:.4}  alpha = {:.4}  a = {:.4}  b = {:.4}",
            m.r,
            m.alpha,
            m.a,
            m.b
        );
    }
    if let Some(g) = &report.gamma_gamma {
        say!(
            "  Gamma-Gamma  p = {:.4}  q = {:.4}  gamma = {:.4}",
            g.p,
            g.q,
            g.gamma
        );
    }
    if let Some(why) = &report.fallback {
        say!("  note: {why}");
    }
    Ok(())
}
