//! `tessera preview email` and `tessera render email`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use tessera_engine::customers::show::find_customer;
use tessera_engine::render::batch::{add_unsubscribe_links, eligible, UnsubscribePattern};
use tessera_engine::render::eml::Mailbox;
use tessera_engine::render::{self, BatchOptions, OutputFormat, Selection};
use tessera_engine::store::Workspace;

use crate::terminal::{json, say, tell};
use crate::{segment, template, Failure};

#[derive(Clone, Copy, ValueEnum)]
pub enum Part {
    Html,
    Text,
    Subject,
}

#[derive(Subcommand)]
pub enum PreviewCommand {
    Email {
        /// Template name in the workspace, or an .mjml file.
        #[arg(long)]
        template: String,
        /// Customer id, email, phone or external id.
        #[arg(long)]
        customer: String,
        #[arg(long, value_enum, default_value = "html")]
        part: Part,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Html,
    Eml,
}

#[derive(Subcommand)]
pub enum RenderCommand {
    Email {
        #[arg(long)]
        template: String,
        /// Every customer (opted-out ones are skipped and counted).
        #[arg(long, conflicts_with_all = ["customer", "segment"])]
        all: bool,
        /// The members of a saved segment or of a rule file.
        #[arg(long, conflicts_with = "customer")]
        segment: Option<String>,
        #[arg(long)]
        customer: Option<String>,
        /// A new or empty folder, or one a previous render wrote (its files are replaced).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "html")]
        format: FormatArg,
        #[arg(long, default_value = "Tessera Demo <hello@tessera.local>")]
        from: String,
        /// Unsubscribe link; {id} and {email} are filled in per customer.
        #[arg(long, default_value = render::batch::DEFAULT_UNSUBSCRIBE)]
        unsubscribe: String,
        /// Stop before rendering if any merge field is missing for some customer.
        #[arg(long)]
        strict: bool,
        #[arg(long)]
        json: bool,
    },
}

pub async fn preview(ws: &Workspace, command: PreviewCommand) -> Result<(), Failure> {
    let PreviewCommand::Email {
        template,
        customer,
        part,
    } = command;
    let (name, source) = template::source(ws, &template).await?;
    let compiled = template::compile(&name, &source)?;
    let id = find_customer(&ws.pool, &customer)
        .await?
        .ok_or_else(|| format!("no customer '{customer}'"))?;
    let data = render::preview::preview_data(&ws.pool, id, chrono::Utc::now()).await?;
    let email = render::preview::preview_email(&compiled, &data)?;
    match part {
        Part::Html => say!("{}", email.html),
        Part::Text => say!("{}", email.text),
        Part::Subject => say!("{}", email.subject),
    }
    Ok(())
}

pub async fn render(ws: &Workspace, command: RenderCommand) -> Result<(), Failure> {
    let RenderCommand::Email {
        template,
        all,
        segment,
        customer,
        out,
        format,
        from,
        unsubscribe,
        strict,
        json: as_json,
    } = command;
    let from = Mailbox::parse(&from).map_err(|e| format!("--from: {e}"))?;
    let unsubscribe =
        UnsubscribePattern::parse(&unsubscribe).map_err(|e| format!("--unsubscribe: {e}"))?;
    let (name, source) = template::source(ws, &template).await?;
    let compiled = template::compile(&name, &source)?;
    let selection = match (all, customer) {
        _ if segment.is_some() => Selection::Customers(
            segment::member_ids(ws, segment.as_deref().unwrap_or_default()).await?,
        ),
        (_, Some(c)) => Selection::Customer(
            find_customer(&ws.pool, &c)
                .await?
                .ok_or_else(|| format!("no customer '{c}'"))?,
        ),
        (true, None) => Selection::All,
        (false, None) => {
            return Err("choose who to render: --all, --segment NAME or --customer ID".into())
        }
    };
    let mut contexts = render::load_contexts(&ws.pool, &selection, chrono::Utc::now()).await?;
    add_unsubscribe_links(&mut contexts, &unsubscribe);
    let (eligible, _, _) = eligible(&contexts);
    let eligible_count = eligible.len();
    let missing = render::missing_fields(&compiled, &eligible);
    if !as_json {
        for m in &missing {
            tell!("warning: '{}' (line {}, column {}) is empty for {} of {} customers and has no fallback", m.field, m.line, m.column, m.customers, m.of);
        }
    }
    if strict && !missing.is_empty() {
        return Err("missing fields (see above); add fallbacks like {{default field \"…\"}} or drop --strict".into());
    }
    let bar = if as_json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(eligible_count as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let options = BatchOptions {
        out,
        format: match format {
            FormatArg::Html => OutputFormat::Html,
            FormatArg::Eml => OutputFormat::Eml,
        },
        from,
        unsubscribe,
        date: chrono::Utc::now().to_rfc2822(),
        template_name: name,
    };
    // Ctrl-C stops the render after the files in flight; the manifest lists what was written.
    let cancel = Arc::new(AtomicBool::new(false));
    let on_interrupt = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    });
    let summary = tokio::task::block_in_place(|| {
        render::render_batch(
            &compiled,
            &mut contexts,
            &options,
            &|done, _| bar.set_position(done as u64),
            &cancel,
        )
    })?;
    on_interrupt.abort();
    bar.finish_and_clear();
    if summary.cancelled {
        return Err(format!(
            "cancelled: {} of {eligible_count} emails were written; {} lists them",
            summary.rendered, summary.manifest
        )
        .into());
    }
    if as_json {
        println!("{}", json(&summary));
    } else {
        say!(
            "rendered {} emails to {} ({} opted out and {} without email skipped); manifest {}",
            summary.rendered,
            summary.out,
            summary.skipped_opted_out,
            summary.skipped_no_email,
            summary.manifest
        );
        for u in &summary.unsafe_links {
            tell!("warning: the link '{}' (line {}, column {}) had an unsafe address (not http, https, mailto or tel) for {} of {} customers; it was written as '#'", u.field, u.line, u.column, u.customers, u.of);
        }
        for f in &summary.failed {
            say!("  customer {}: {}", f.customer_id, f.error);
        }
    }
    if !summary.failed.is_empty() {
        return Err(format!("{} customers failed to render", summary.failed.len()).into());
    }
    Ok(())
}
