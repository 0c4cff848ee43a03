//! `tessera model fit`.

use clap::Subcommand;
use tessera_engine::app::Session;

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

pub async fn run(session: &Session, command: ModelCommand) -> Result<(), Failure> {
    let ModelCommand::Fit {
        until,
        json: as_json,
    } = command;
    let report = session
        .fit_models(until.as_deref())
        .await
        .map_err(|e| format!("--until: {e}"))?;
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
