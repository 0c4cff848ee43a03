//! Campaigns: saved documents, the plan (who gets which variant, and why not), the render with
//! what is checked before it, past runs, one customer's preview, and what a host may open.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::error::{Error, Result};
use super::Session;
use crate::campaigns::preview::preview_customer;
use crate::campaigns::store::{list_campaigns, list_runs, load_campaign, save_campaign};
use crate::campaigns::{plan_campaign, render_campaign, RunOptions, Selector};
use crate::error::ErrorKind;
use crate::output::holds_earlier_render;
use crate::storyboards::audience::check_planned;
use crate::templates::store::{compile_storyboard_bundle, load_template, TemplateKind};

pub use crate::campaigns::manifest::{Manifest, MANIFEST};
pub use crate::campaigns::preview::CampaignPreview;
pub use crate::campaigns::store::{CampaignInfo, RunInfo, RunStatus};
pub use crate::campaigns::{
    Assignment, Audience, Campaign, CampaignPlan, Content, EmailFiles, EmailSettings,
    MicrositeSettings, RunProgress, RunSummary, Split, Unreached, Variant, VideoSettings,
};
pub use crate::render::eml::Mailbox;
pub use crate::render::format::{Exclusion, FormatKind};
pub use crate::render::links::{UnsubscribePattern, DEFAULT_UNSUBSCRIBE};
pub use crate::storyboards::video::Formats;

/// A render of a campaign, as the user asked for it.
pub struct RenderRequest<'a> {
    pub campaign: Campaign,
    /// The folder the run owns (see `output::RenderFolder`).
    pub out: PathBuf,
    /// Refuse to render while a merge field is empty for some customer and has no fallback,
    /// or a video's text overflows or has characters no font has.
    pub strict: bool,
    /// Replace a folder holding an earlier render (the user said so).
    pub replace: bool,
    /// Template sources by name, used instead of the workspace's (a file rendered directly).
    pub sources: BTreeMap<String, String>,
    pub progress: &'a (dyn Fn(RunProgress) + Sync),
    /// Set to stop after the files in flight; the manifest lists what was written.
    pub cancel: Arc<AtomicBool>,
}

/// A rendered item a host may open for the user.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenderedItem {
    Folder,
    Manifest,
}

/// A seed for a new campaign: 64 random bits, in hex. The seed keys the campaign's split and
/// its customers' personal URLs, so two campaigns never share them; a renamed campaign keeps
/// its seed.
pub fn new_seed() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness to be had: the clock still tells campaigns apart.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        bytes = (now.unwrap_or_default().as_nanos() as u64).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The campaign document in the file at `path`.
pub fn campaign_file(path: &Path) -> Result<Campaign> {
    Ok(Campaign::parse(&crate::store::read_user_text(path)?)?)
}

/// The campaign a render shortcut runs (not saved): one variant of the template `name` in
/// `format`, for `audience`, with no holdout.
pub fn one_template_campaign(name: &str, format: FormatKind, audience: Audience) -> Campaign {
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
        hypothesis: None,
    }
}

impl Session {
    pub async fn campaigns(&self) -> Result<Vec<CampaignInfo>> {
        Ok(list_campaigns(&self.workspace.pool).await?)
    }

    pub async fn campaign(&self, name: &str) -> Result<Campaign> {
        Ok(load_campaign(&self.workspace.pool, name).await?)
    }

    /// Saves (or replaces) the campaign under its name, after checking it. One without a seed
    /// keeps the seed of the campaign it replaces, or gets a new one.
    pub async fn campaign_save(&self, campaign: &Campaign) -> Result<()> {
        let mut campaign = campaign.clone();
        if campaign.seed.trim().is_empty() {
            campaign.seed = match load_campaign(&self.workspace.pool, &campaign.name).await {
                Ok(saved) => saved.seed,
                Err(_) => new_seed(),
            };
        }
        Ok(save_campaign(&self.workspace.pool, &campaign).await?)
    }

    /// Who gets which variant and who is excluded (and why), selected from the index.
    pub async fn campaign_plan(&self, campaign: &Campaign) -> Result<CampaignPlan> {
        let index = self.index().await?;
        Ok(plan_campaign(
            &self.workspace.pool,
            Selector::Index(&index),
            campaign,
            chrono::Utc::now(),
        )
        .await?)
    }

    /// Customers per arm and excluded by reason: fast enough to follow every edit.
    pub async fn campaign_split(&self, campaign: &Campaign) -> Result<Split> {
        Ok(self.campaign_plan(campaign).await?.split)
    }

    /// Renders the campaign into `request.out`: a folder holding an earlier render only when
    /// the user said so; a video's texts checked over the audience first (refused with
    /// `strict` when some would overflow or not draw).
    pub async fn campaign_render(&self, request: RenderRequest<'_>) -> Result<RunSummary> {
        if !request.replace && holds_earlier_render(&request.out) {
            return Err(Error::new(
                ErrorKind::EarlierRender,
                format!("{} holds an earlier render", request.out.display()),
            ));
        }
        let now = chrono::Utc::now();
        let plan = self.campaign_plan(&request.campaign).await?;
        let (overflowing, missing_glyphs) = self.check_videos(&plan, &request.sources).await?;
        if request.strict && !(overflowing.is_empty() && missing_glyphs.is_empty()) {
            let problems: Vec<String> = overflowing
                .iter()
                .map(ToString::to_string)
                .chain(missing_glyphs.iter().map(ToString::to_string))
                .collect();
            return Err(Error::new(
                ErrorKind::Template,
                format!(
                    "a video's texts would not fit their box or not draw for some customers — {}; shorten them, give their box more room, or render without strict",
                    problems.join("; ")
                ),
            ));
        }
        *self.last_render.lock().await = Some(request.out.clone());
        let options = RunOptions {
            out: request.out,
            now,
            strict: request.strict,
            progress: request.progress,
            cancel: request.cancel,
            template_sources: request.sources,
        };
        let mut summary = render_campaign(&self.workspace.pool, plan, options).await?;
        summary.overflowing = overflowing;
        summary.missing_glyphs = missing_glyphs;
        Ok(summary)
    }

    /// The campaign's storyboards checked over everyone the plan renders: texts that overflow
    /// their box, characters no font has.
    async fn check_videos(
        &self,
        plan: &CampaignPlan,
        sources: &BTreeMap<String, String>,
    ) -> Result<(
        Vec<crate::storyboards::audience::Overflow>,
        Vec<crate::storyboards::audience::MissingGlyphs>,
    )> {
        let mut names: Vec<&str> = plan
            .campaign
            .variants
            .iter()
            .filter_map(|v| v.content(FormatKind::Video))
            .flat_map(Content::templates)
            .collect();
        names.sort_unstable();
        names.dedup();
        let (mut overflowing, mut missing_glyphs) = (Vec::new(), Vec::new());
        for name in names {
            let bundle = match sources.get(name) {
                Some(source) => source.clone(),
                None => load_template(&self.workspace.pool, name, TemplateKind::Storyboard).await?,
            };
            let video = compile_storyboard_bundle(name, &bundle)?;
            let report =
                check_planned(&self.workspace.pool, plan, &video, chrono::Utc::now()).await?;
            overflowing.extend(report.overflowing);
            missing_glyphs.extend(report.missing_glyphs);
        }
        Ok((overflowing, missing_glyphs))
    }

    /// Past runs of a campaign (all campaigns if none is named), newest first.
    pub async fn campaign_runs(&self, name: Option<&str>) -> Result<Vec<RunInfo>> {
        Ok(list_runs(&self.workspace.pool, name).await?)
    }

    /// Where run `run` of campaign `name` assigned each customer (arm, or why excluded), as the
    /// workspace keeps it.
    pub async fn run_assignments(&self, name: &str, run: i64) -> Result<Vec<Assignment>> {
        let runs = list_runs(&self.workspace.pool, Some(name.trim())).await?;
        if !runs.iter().any(|r| r.id == run) {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("campaign '{}' has no run {run}", name.trim()),
            ));
        }
        Ok(crate::campaigns::store::run_assignments(&self.workspace.pool, run).await?)
    }

    /// The campaign as one customer would get it: their variant and their language's email.
    pub async fn campaign_preview(
        &self,
        campaign: &Campaign,
        customer: i64,
    ) -> Result<CampaignPreview> {
        Ok(preview_customer(&self.workspace.pool, campaign, customer, chrono::Utc::now()).await?)
    }

    /// The folder (or manifest) this session's last render wrote: the only rendered thing a
    /// host opens for the user.
    pub async fn rendered(&self, item: RenderedItem) -> Result<PathBuf> {
        let out =
            self.last_render.lock().await.clone().ok_or_else(|| {
                Error::new(ErrorKind::NotFound, "no campaign has been rendered yet")
            })?;
        Ok(match item {
            RenderedItem::Folder => out,
            RenderedItem::Manifest => out.join(MANIFEST),
        })
    }

    /// The audience of a one-template render: everyone, a segment (a name or a rule file), or
    /// one customer (by id, email, phone or external id).
    pub async fn audience_of(
        &self,
        everyone: bool,
        segment: Option<&str>,
        customer: Option<&str>,
    ) -> Result<Audience> {
        Ok(match (everyone, segment, customer) {
            (_, Some(reference), _) => {
                let path = Path::new(reference);
                if path.extension().is_some_and(|e| e == "json") && path.is_file() {
                    Audience::Rule(self.rule_from(reference).await?)
                } else {
                    Audience::Segment(reference.to_string())
                }
            }
            (_, None, Some(c)) => Audience::Customers(vec![self.find_customer(c).await?]),
            (true, None, None) => Audience::All(true),
            (false, None, None) => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "choose who to render: everyone, a segment or a customer",
                ))
            }
        })
    }
}
