//! `tessera customers show ID` and `tessera status`.

use clap::Subcommand;
use tessera_engine::app::Session;

use crate::terminal::{json, say};
use crate::Failure;

#[derive(Subcommand)]
pub enum CustomersCommand {
    /// The merged profile with its events: by id, email, phone or external id.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn status(session: &Session, as_json: bool) -> Result<(), Failure> {
    let status = session.status().await?;
    if as_json {
        println!("{}", json(&status));
    } else {
        say!(
            "workspace {}\n  customers {}\n  events {}\n  templates {}\n  imports {}\n  merges {}\n  email opt-outs {}",
            status.path, status.customers, status.events, status.templates, status.imports,
            status.merges, status.email_opted_out
        );
    }
    Ok(())
}

pub async fn run(session: &Session, command: CustomersCommand) -> Result<(), Failure> {
    let CustomersCommand::Show { id, json: as_json } = command;
    let view = session.customer_view(&id).await?;
    let explanation = view
        .scores
        .as_ref()
        .map(|s| s.explain())
        .unwrap_or_default();
    if as_json {
        let mut value = serde_json::to_value(&view)?;
        value["explanation"] = serde_json::to_value(&explanation)?;
        println!("{}", json(&value));
        return Ok(());
    }
    if explanation.is_empty() {
        say!("scores: none yet (no purchases)");
    } else {
        say!("scores:\n  {}", explanation.join("\n  "));
    }
    let p = &view.profile;
    say!(
        "customer {}: {}",
        view.id,
        view.name.as_deref().unwrap_or("")
    );
    say!(
        "  email {}  phone {}  locale {}",
        p.email.as_deref().unwrap_or("-"),
        p.phone.as_deref().unwrap_or("-"),
        p.locale.as_deref().unwrap_or("-")
    );
    say!("  keys {}", view.keys.join(", "));
    say!(
        "  tags {}",
        p.tags.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    say!(
        "  consent {}",
        p.consent
            .iter()
            .map(|(c, g)| format!("{c}={}", if *g { "yes" } else { "no" }))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (k, v) in &p.attributes {
        say!("  {k}: {v}");
    }
    for m in &view.merged_from {
        say!(
            "  merged customer {} (matched on {}) at {}",
            m.customer_id,
            m.matched_on,
            m.merged_at
        );
    }
    say!("  {} events", view.events.len());
    for e in view.events.iter().take(20) {
        say!(
            "    {} {} {} {}",
            e.occurred_at,
            e.event_type,
            e.value.map(|v| v.to_string()).unwrap_or_default(),
            e.properties
        );
    }
    Ok(())
}
