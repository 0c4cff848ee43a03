//! `tessera preview email` and `tessera render email` (a one-variant campaign, not saved).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use tessera_engine::app::{
    one_template_campaign, Audience, EmailFiles, EmailSettings, FormatKind, Formats, Mailbox,
    MicrositeSettings, Session, TemplateKind, UnsubscribePattern, VideoSettings,
    DEFAULT_UNSUBSCRIBE,
};

use crate::terminal::say;
use crate::{campaign, Failure};

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

/// Who a one-template render is for.
#[derive(clap::Args)]
pub struct Who {
    /// Every customer (opted-out ones are skipped and counted).
    #[arg(long, conflicts_with_all = ["customer", "segment"])]
    all: bool,
    /// The members of a saved segment or of a rule file.
    #[arg(long, conflicts_with = "customer")]
    segment: Option<String>,
    #[arg(long)]
    customer: Option<String>,
}

#[derive(Subcommand)]
pub enum RenderCommand {
    /// A one-variant campaign of one template (`tessera campaign render` for the rest).
    Email {
        /// Template name in the workspace, or an .mjml file.
        #[arg(long)]
        template: String,
        #[command(flatten)]
        who: Who,
        /// A new or empty folder, or one a previous render wrote (its files are replaced).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "html")]
        format: FormatArg,
        #[arg(long, default_value = "Tessera Demo <hello@tessera.local>")]
        from: String,
        /// The mail unsubscribe link: {token} (each customer's opaque token) and {from} (the
        /// sender's address) are filled in.
        #[arg(long, default_value = DEFAULT_UNSUBSCRIBE)]
        unsubscribe: String,
        /// Stop before rendering if any merge field is missing for some customer.
        #[arg(long)]
        strict: bool,
        #[arg(long)]
        json: bool,
    },
    /// Every customer's personal site, as a one-variant campaign: the folder to upload is
    /// OUT/site/ (a folder per customer under their unguessable slug, shared assets, robots.txt,
    /// 404.html), the manifest OUT/manifest.json beside it.
    Microsite {
        /// Site template name in the workspace, or a template folder (with site.json).
        #[arg(long)]
        template: String,
        #[command(flatten)]
        who: Who,
        /// A new or empty folder, or one a previous render wrote (its files are replaced).
        #[arg(long)]
        out: PathBuf,
        /// Where OUT/site/ will be served: each customer's site is BASE_URL/SLUG/.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
        /// Stop before rendering if any merge field is missing for some customer.
        #[arg(long)]
        strict: bool,
        #[arg(long)]
        json: bool,
    },
    /// Every customer's personalized video, as a one-variant campaign: OUT/video/ID/ holds
    /// their poster.png, thumbnail.gif and video.mp4 (the linear cut, H.264; video.webm in VP9
    /// with --formats …,webm), OUT/site/SLUG/video/
    /// their interactive player (open its index.html, or `tessera serve OUT/site`), the manifest
    /// OUT/manifest.json beside them.
    Video {
        /// Storyboard name in the workspace, or a storyboard folder (or its storyboard.json).
        #[arg(long)]
        storyboard: String,
        #[command(flatten)]
        who: Who,
        /// A new or empty folder, or one a previous render wrote (its files are replaced).
        #[arg(long)]
        out: PathBuf,
        /// Any of poster, gif, mp4, webm (the linear cut in VP9, royalty-free), player.
        #[arg(long, default_value = "poster,gif,mp4,player")]
        formats: String,
        /// Stop before rendering if any merge field is missing for some customer.
        #[arg(long)]
        strict: bool,
        #[arg(long)]
        json: bool,
    },
}

pub async fn preview(session: &Session, command: PreviewCommand) -> Result<(), Failure> {
    match command {
        PreviewCommand::Email {
            template,
            customer,
            part,
        } => {
            let email = session.email_for(&template, &customer).await?;
            match part {
                Part::Html => say!("{}", email.html),
                Part::Text => say!("{}", email.text),
                Part::Subject => say!("{}", email.subject),
            }
        }
        PreviewCommand::Microsite {
            template,
            customer,
            page,
        } => {
            let (html, missing) = session
                .site_page_for(&template, &customer, page.as_deref())
                .await?;
            say!("{html}");
            if !missing.is_empty() {
                eprintln!("empty for this customer: {}", missing.join(", "));
            }
        }
    }
    Ok(())
}

/// The audience `who` names.
async fn audience(session: &Session, who: Who) -> Result<Audience, Failure> {
    session
        .audience_of(who.all, who.segment.as_deref(), who.customer.as_deref())
        .await
        .map_err(|e| match (who.all, &who.segment, &who.customer) {
            (false, None, None) => {
                "choose who to render: --all, --segment NAME or --customer ID".into()
            }
            _ => e.into(),
        })
}

pub async fn render(session: &Session, command: RenderCommand) -> Result<(), Failure> {
    let (name, source, campaign, strict, json, out) = match command {
        RenderCommand::Email {
            template,
            who,
            out,
            format,
            from,
            unsubscribe,
            strict,
            json,
        } => {
            // Said in the options' own names, before anything else is read.
            Mailbox::parse(&from).map_err(|e| format!("--from: {e}"))?;
            UnsubscribePattern::parse(&unsubscribe).map_err(|e| format!("--unsubscribe: {e}"))?;
            let (name, source) = session
                .template_from(&template, TemplateKind::Email)
                .await?;
            let mut campaign =
                one_template_campaign(&name, FormatKind::Email, audience(session, who).await?);
            campaign.email_settings = EmailSettings {
                from,
                unsubscribe,
                files: match format {
                    FormatArg::Html => EmailFiles::Html,
                    FormatArg::Eml => EmailFiles::Eml,
                },
            };
            (name, source, campaign, strict, json, out)
        }
        RenderCommand::Microsite {
            template,
            who,
            out,
            base_url,
            strict,
            json,
        } => {
            let (name, bundle) = session
                .template_from(&template, TemplateKind::Microsite)
                .await?;
            let mut campaign =
                one_template_campaign(&name, FormatKind::Microsite, audience(session, who).await?);
            campaign.microsite_settings = MicrositeSettings { base_url };
            campaign.check().map_err(|e| format!("--base-url: {e}"))?;
            (name, bundle, campaign, strict, json, out)
        }
        RenderCommand::Video {
            storyboard,
            who,
            out,
            formats,
            strict,
            json,
        } => {
            Formats::parse(&formats).map_err(|e| format!("--formats: {e}"))?;
            let (name, bundle) = session
                .template_from(&storyboard, TemplateKind::Storyboard)
                .await?;
            let mut campaign =
                one_template_campaign(&name, FormatKind::Video, audience(session, who).await?);
            campaign.video_settings = VideoSettings { formats };
            (name, bundle, campaign, strict, json, out)
        }
    };
    let sources = BTreeMap::from([(name, source)]);
    campaign::render(session, campaign, out, strict, json, sources).await
}
