//! `tessera preview email` and `tessera render email` (a one-variant campaign, not saved).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use tessera_engine::campaigns::{Audience, Campaign, Content, EmailFiles, EmailSettings, Variant};
use tessera_engine::customers::show::find_customer;
use tessera_engine::render;
use tessera_engine::render::eml::Mailbox;
use tessera_engine::render::links::UnsubscribePattern;
use tessera_engine::store::Workspace;

use crate::terminal::say;
use crate::{campaign, segment, template, Failure};

#[derive(Clone, Copy, ValueEnum)]
pub enum Part {
    Html,
    Text,
    Subject,
}

#[derive(Subcommand)]
pub enum PreviewCommand {
    /// One page of a microsite template folder for one customer, to stdout.
    Microsite {
        /// The template's folder (with site.json).
        #[arg(long)]
        template: PathBuf,
        /// Customer id, email, phone or external id.
        #[arg(long)]
        customer: String,
        /// The page's file; the first page if left out.
        #[arg(long)]
        page: Option<String>,
    },
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
    /// A one-variant campaign of one template (`tessera campaign render` for the rest).
    Email {
        /// Template name in the workspace, or an .mjml file.
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
        #[arg(long, default_value = render::links::DEFAULT_UNSUBSCRIBE)]
        unsubscribe: String,
        /// Stop before rendering if any merge field is missing for some customer.
        #[arg(long)]
        strict: bool,
        #[arg(long)]
        json: bool,
    },
}

pub async fn preview(ws: &Workspace, command: PreviewCommand) -> Result<(), Failure> {
    let (template, customer, part) = match command {
        PreviewCommand::Email {
            template,
            customer,
            part,
        } => (template, customer, part),
        PreviewCommand::Microsite {
            template,
            customer,
            page,
        } => return preview_microsite(ws, &template, &customer, page.as_deref()).await,
    };
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

async fn preview_microsite(
    ws: &Workspace,
    folder: &std::path::Path,
    customer: &str,
    page: Option<&str>,
) -> Result<(), Failure> {
    let site = tessera_engine::microsites::SiteTemplate::load(folder)?;
    let page = match page {
        Some(file) => site.page(file).ok_or_else(|| {
            let pages: Vec<&str> = site.pages.iter().map(|p| p.file.as_str()).collect();
            format!("no page '{file}' (the site has {})", pages.join(", "))
        })?,
        None => &site.pages[0],
    };
    let id = find_customer(&ws.pool, customer)
        .await?
        .ok_or_else(|| format!("no customer '{customer}'"))?;
    let data = render::preview::preview_data(&ws.pool, id, chrono::Utc::now()).await?;
    let (html, missing) = tessera_engine::microsites::preview_page(&site, page, &data)?;
    say!("{html}");
    if !missing.is_empty() {
        eprintln!("empty for this customer: {}", missing.join(", "));
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
        json,
    } = command;
    // Said in the options' own names, before anything else is read.
    Mailbox::parse(&from).map_err(|e| format!("--from: {e}"))?;
    UnsubscribePattern::parse(&unsubscribe).map_err(|e| format!("--unsubscribe: {e}"))?;
    let (name, source) = template::source(ws, &template).await?;
    let audience = match (all, segment, customer) {
        (_, Some(reference), _) => match segment::rule_file(&reference)? {
            Some(rule) => Audience::Rule(rule),
            None => Audience::Segment(reference),
        },
        (_, None, Some(c)) => Audience::Customers(vec![find_customer(&ws.pool, &c)
            .await?
            .ok_or_else(|| format!("no customer '{c}'"))?]),
        (true, None, None) => Audience::All(true),
        (false, None, None) => {
            return Err("choose who to render: --all, --segment NAME or --customer ID".into())
        }
    };
    let campaign = Campaign {
        version: 1,
        name: format!("{name} (render email)"),
        seed: name.clone(),
        audience,
        holdout: 0.0,
        variants: vec![Variant {
            name: "A".into(),
            weight: 1.0,
            email: Some(Content::Template(name.clone())),
            values: Default::default(),
        }],
        fallback_language: None,
        email_settings: EmailSettings {
            from,
            unsubscribe,
            files: match format {
                FormatArg::Html => EmailFiles::Html,
                FormatArg::Eml => EmailFiles::Eml,
            },
        },
    };
    let plan = campaign::plan(ws, &campaign).await?;
    let sources = BTreeMap::from([(name, source)]);
    campaign::render(ws, plan, out, strict, json, sources).await
}
