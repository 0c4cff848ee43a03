//! `tessera preview email` and `tessera render email` (a one-variant campaign, not saved).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use tessera_engine::campaigns::{
    Audience, Campaign, Content, EmailFiles, EmailSettings, MicrositeSettings, Variant,
    VideoSettings,
};
use tessera_engine::customers::show::find_customer;
use tessera_engine::render;
use tessera_engine::render::eml::Mailbox;
use tessera_engine::render::format::FormatKind;
use tessera_engine::render::links::UnsubscribePattern;
use tessera_engine::store::Workspace;
use tessera_engine::storyboards::audience::check_planned;
use tessera_engine::storyboards::video::Formats;
use tessera_engine::templates::store::compile_storyboard_bundle;
use tessera_engine::templates::store::TemplateKind;

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
        /// Unsubscribe link; {id} and {email} are filled in per customer.
        #[arg(long, default_value = render::links::DEFAULT_UNSUBSCRIBE)]
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

/// The audience `who` names.
async fn audience(ws: &Workspace, who: Who) -> Result<Audience, Failure> {
    Ok(match (who.all, who.segment, who.customer) {
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
    })
}

pub async fn render(ws: &Workspace, command: RenderCommand) -> Result<(), Failure> {
    let (template, who, out, format, from, unsubscribe, strict, json) = match command {
        RenderCommand::Email {
            template,
            who,
            out,
            format,
            from,
            unsubscribe,
            strict,
            json,
        } => (template, who, out, format, from, unsubscribe, strict, json),
        RenderCommand::Microsite {
            template,
            who,
            out,
            base_url,
            strict,
            json,
        } => return render_microsite(ws, &template, who, out, base_url, strict, json).await,
        RenderCommand::Video {
            storyboard,
            who,
            out,
            formats,
            strict,
            json,
        } => return render_video(ws, &storyboard, who, out, formats, strict, json).await,
    };
    // Said in the options' own names, before anything else is read.
    Mailbox::parse(&from).map_err(|e| format!("--from: {e}"))?;
    UnsubscribePattern::parse(&unsubscribe).map_err(|e| format!("--unsubscribe: {e}"))?;
    let (name, source) = template::source(ws, &template).await?;
    let mut campaign = one_template_campaign(&name, FormatKind::Email, audience(ws, who).await?);
    campaign.email_settings = EmailSettings {
        from,
        unsubscribe,
        files: match format {
            FormatArg::Html => EmailFiles::Html,
            FormatArg::Eml => EmailFiles::Eml,
        },
    };
    let plan = campaign::plan(ws, &campaign).await?;
    let sources = BTreeMap::from([(name, source)]);
    campaign::render(ws, plan, out, strict, json, sources).await
}

/// The campaign a render shortcut runs (not saved): one variant of the template `name` in
/// `format`, for `audience`, with no holdout.
fn one_template_campaign(name: &str, format: FormatKind, audience: Audience) -> Campaign {
    let content = |f: FormatKind| (f == format).then(|| Content::Template(name.to_string()));
    Campaign {
        version: 1,
        name: format!("{name} (render {})", format.as_str()),
        seed: name.to_string(),
        audience,
        holdout: 0.0,
        variants: vec![Variant {
            name: "A".into(),
            weight: 1.0,
            email: content(FormatKind::Email),
            microsite: content(FormatKind::Microsite),
            video: content(FormatKind::Video),
            values: Default::default(),
        }],
        fallback_language: None,
        email_settings: Default::default(),
        microsite_settings: Default::default(),
        video_settings: Default::default(),
    }
}

async fn render_microsite(
    ws: &Workspace,
    template: &str,
    who: Who,
    out: PathBuf,
    base_url: String,
    strict: bool,
    json: bool,
) -> Result<(), Failure> {
    let (name, bundle) = template::folder_source(ws, template, TemplateKind::Microsite).await?;
    let mut campaign =
        one_template_campaign(&name, FormatKind::Microsite, audience(ws, who).await?);
    campaign.microsite_settings = MicrositeSettings { base_url };
    campaign.check().map_err(|e| format!("--base-url: {e}"))?;
    let plan = campaign::plan(ws, &campaign).await?;
    let sources = BTreeMap::from([(name, bundle)]);
    campaign::render(ws, plan, out, strict, json, sources).await
}

async fn render_video(
    ws: &Workspace,
    storyboard: &str,
    who: Who,
    out: PathBuf,
    formats: String,
    strict: bool,
    json: bool,
) -> Result<(), Failure> {
    Formats::parse(&formats).map_err(|e| format!("--formats: {e}"))?;
    let (name, bundle) = template::folder_source(ws, storyboard, TemplateKind::Storyboard).await?;
    let mut campaign = one_template_campaign(&name, FormatKind::Video, audience(ws, who).await?);
    campaign.video_settings = VideoSettings { formats };
    let plan = campaign::plan(ws, &campaign).await?;
    // Before anything renders: texts too long for their box, characters no font has.
    let video = compile_storyboard_bundle(&name, &bundle)?;
    let report = check_planned(&ws.pool, &plan, &video, chrono::Utc::now()).await?;
    for o in &report.overflowing {
        eprintln!(
            "warning: scene '{}', layer '{}': the text overflows its box for {} of {} customers (at worst customer {}, by {:.0} px across and {:.0} px down)",
            o.scene, o.layer, o.customers, o.of, o.worst_customer, o.worst_width, o.worst_height
        );
    }
    for g in &report.missing_glyphs {
        eprintln!(
            "warning: scene '{}', layer '{}': no font has {} (for {} customers): they would be drawn as boxes",
            g.scene, g.layer, g.characters.chars().map(|c| format!("'{c}' (U+{:04X})", c as u32)).collect::<Vec<_>>().join(", "), g.customers
        );
    }
    if strict && !(report.overflowing.is_empty() && report.missing_glyphs.is_empty()) {
        return Err("texts would not fit or not draw for some customers (see above); shorten them, give their box more room, or render without --strict".into());
    }
    let sources = BTreeMap::from([(name, bundle)]);
    campaign::render(ws, plan, out, strict, json, sources).await
}
