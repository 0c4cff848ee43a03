//! `tessera customers show ID`, the review of possible duplicates, and `tessera status`.

use clap::Subcommand;
use tessera_engine::app::{DuplicateDecision, DuplicateSide, Session};

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
    /// Pairs of customers an import kept apart though they share a phone or an email: possibly
    /// one person, never merged without you.
    Duplicates {
        #[arg(long)]
        json: bool,
    },
    /// Merges a possible duplicate: OTHER is folded into KEEP (keys, events, what KEEP lacks).
    Merge {
        keep: i64,
        other: i64,
        #[arg(long)]
        json: bool,
    },
    /// Keeps a possible duplicate apart: two people; the pair is not proposed again.
    KeepApart {
        customer: i64,
        other: i64,
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
            "workspace {}\n  customers {}\n  events {}\n  templates {}\n  imports {}\n  merges {}\n  possible duplicates {}\n  email opt-outs {}",
            status.path, status.customers, status.events, status.templates, status.imports,
            status.merges, status.possible_duplicates, status.email_opted_out
        );
    }
    Ok(())
}

pub async fn run(session: &Session, command: CustomersCommand) -> Result<(), Failure> {
    match command {
        CustomersCommand::Show { id, json } => show(session, &id, json).await,
        CustomersCommand::Duplicates { json: as_json } => {
            let pairs = session.possible_duplicates().await?;
            if as_json {
                println!("{}", json(&pairs));
            } else if pairs.is_empty() {
                say!("no possible duplicates");
            } else {
                for p in &pairs {
                    say!(
                        "{}\n{}\n  share {}; merge: tessera customers merge {} {}; keep apart: tessera customers keep-apart {} {}",
                        side(&p.customer),
                        side(&p.other),
                        p.matched_on,
                        p.customer.id,
                        p.other.id,
                        p.customer.id,
                        p.other.id
                    );
                }
            }
            Ok(())
        }
        CustomersCommand::Merge { keep, other, json } => {
            decide(session, keep, other, DuplicateDecision::Merge, json).await
        }
        CustomersCommand::KeepApart {
            customer,
            other,
            json,
        } => decide(session, customer, other, DuplicateDecision::KeepApart, json).await,
    }
}

fn side(c: &DuplicateSide) -> String {
    format!(
        "  #{} {}  email {}  phone {}  customer no. {}  {} events",
        c.id,
        c.name.as_deref().unwrap_or("-"),
        c.email.as_deref().unwrap_or("-"),
        c.phone.as_deref().unwrap_or("-"),
        if c.customer_numbers.is_empty() {
            "-".to_string()
        } else {
            c.customer_numbers.join(", ")
        },
        c.events
    )
}

async fn decide(
    session: &Session,
    keep: i64,
    other: i64,
    decision: DuplicateDecision,
    as_json: bool,
) -> Result<(), Failure> {
    session.decide_duplicate(keep, other, decision).await?;
    if as_json {
        println!(
            "{}",
            json(
                &serde_json::json!({"customer_id": keep, "other_id": other, "decision": decision})
            )
        );
    } else if decision == DuplicateDecision::Merge {
        say!("customer {other} merged into customer {keep}");
    } else {
        say!("customers {keep} and {other} kept apart");
    }
    Ok(())
}

async fn show(session: &Session, id: &str, as_json: bool) -> Result<(), Failure> {
    let view = session.customer_view(id).await?;
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
