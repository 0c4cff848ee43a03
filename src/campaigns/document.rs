//! The campaign document: who it is for, what they get (content per format and language, in one
//! or more variants with weights), the holdout and the seed of the split. Versioned JSON, read
//! strictly (a misspelled key is an error), stored in the workspace and exchanged as a file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::FieldProblem;
use crate::render::eml::Mailbox;
use crate::render::format::FormatKind;
use crate::render::links::{UnsubscribePattern, SET_BY_TESSERA};
use crate::segments::Rule;
use crate::store::check_name;
use crate::experiments::hypothesis::{Hypothesis, Criterion, Metric, HOLDOUT, MAX_WINDOW_DAYS};
use crate::storyboards::video::Formats;

/// The campaign format this engine writes and reads.
pub const CAMPAIGN_VERSION: u32 = 1;
/// More variants than this is not an experiment anyone can read.
pub const MAX_VARIANTS: usize = 26;
/// The largest weight a variant may have (weights are relative: 1 and 3 split a quarter to three
/// quarters; far larger numbers would only lose precision in the shares).
pub const MAX_WEIGHT: f64 = 1_000_000.0;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub version: u32,
    pub name: String,
    /// Keys the split: the same seed gives every customer the same arm on every run. Defaults to
    /// the campaign's name.
    #[serde(default)]
    pub seed: String,
    pub audience: Audience,
    /// The share of eligible customers held out (rendered nothing, compared against later).
    #[serde(default)]
    pub holdout: f64,
    pub variants: Vec<Variant>,
    /// The language whose template customers get when a format has none in theirs: required
    /// when content is given per language and "en" is not one of them.
    #[serde(default)]
    pub fallback_language: Option<String>,
    #[serde(default)]
    pub email_settings: EmailSettings,
    #[serde(default)]
    pub microsite_settings: MicrositeSettings,
    #[serde(default)]
    pub video_settings: VideoSettings,
    /// What the campaign sets out to show, recorded before it runs: the report judges it so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hypothesis: Option<Hypothesis>,
}

/// Who the campaign is for: `{"all": true}`, `{"segment": "name"}`, `{"rule": {…}}`, or
/// `{"customers": [42, 43]}` (a test send, or `render email --customer`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    All(bool),
    Segment(String),
    Rule(Rule),
    Customers(Vec<i64>),
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    #[serde(default = "one")]
    pub weight: f64,
    /// The email template: one for everyone, or one per language.
    #[serde(default)]
    pub email: Option<Content>,
    /// The microsite template (a site in the workspace), likewise.
    #[serde(default)]
    pub microsite: Option<Content>,
    /// The video storyboard (a storyboard in the workspace), likewise.
    #[serde(default)]
    pub video: Option<Content>,
    /// Merge values this variant sets over the customer's (a subject line, an offer), so one
    /// template can carry two copies.
    #[serde(default)]
    pub values: Map<String, Value>,
}

fn one() -> f64 {
    1.0
}

impl Variant {
    /// The templates the variant names in `format`.
    pub fn content(&self, format: FormatKind) -> Option<&Content> {
        match format {
            FormatKind::Email => self.email.as_ref(),
            FormatKind::Microsite => self.microsite.as_ref(),
            FormatKind::Video => self.video.as_ref(),
        }
    }
}

/// `"welcome-en"` or `{"en": "welcome-en", "zh": "welcome-zh"}`.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Template(String),
    ByLanguage(BTreeMap<String, String>),
}

/// How the email format is written.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailSettings {
    #[serde(default = "default_from")]
    pub from: String,
    /// The mail unsubscribe link beside the one-click page: `{token}` (each customer's opaque
    /// token) and `{from}` (the sender's address) are filled in.
    #[serde(default = "default_unsubscribe")]
    pub unsubscribe: String,
    #[serde(default)]
    pub files: EmailFiles,
}

fn default_from() -> String {
    "Tessera Demo <hello@tessera.local>".into()
}

fn default_unsubscribe() -> String {
    crate::render::links::DEFAULT_UNSUBSCRIBE.into()
}

impl Default for EmailSettings {
    fn default() -> EmailSettings {
        EmailSettings {
            from: default_from(),
            unsubscribe: default_unsubscribe(),
            files: EmailFiles::default(),
        }
    }
}

/// Where a campaign's microsites are hosted.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MicrositeSettings {
    /// The address the rendered `site/` folder is served at; each customer's site is
    /// `BASE_URL/SLUG/` (the `microsite_url` merge field). Defaults to `tessera serve`'s.
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

fn default_base_url() -> String {
    "http://127.0.0.1:8080".into()
}

impl Default for MicrositeSettings {
    fn default() -> MicrositeSettings {
        MicrositeSettings {
            base_url: default_base_url(),
        }
    }
}

/// What a campaign's videos are made into.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoSettings {
    /// Any of `poster`, `gif`, `mp4`, `webm`, `player`, comma-separated (all but `webm` by
    /// default). The player is hosted with the
    /// customer's site (`BASE_URL/SLUG/video/`: the `video_url` merge field).
    #[serde(default = "all_video_formats")]
    pub formats: String,
}

fn all_video_formats() -> String {
    "poster,gif,mp4,player".into()
}

impl Default for VideoSettings {
    fn default() -> VideoSettings {
        VideoSettings {
            formats: all_video_formats(),
        }
    }
}

/// `.eml` messages ready to send, or HTML pages to look at.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EmailFiles {
    #[default]
    Eml,
    Html,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CampaignDocumentError {
    #[error("not a valid campaign: {0}")]
    Document(#[from] crate::document::DocumentError),
    #[error(
        "campaign version {0} is not supported (this Tessera reads version {CAMPAIGN_VERSION})"
    )]
    Version(u64),
    #[error(transparent)]
    Name(#[from] crate::store::NameError),
    /// A field with a value the campaign cannot have: the message in English, the problem for
    /// the app to word and show at that field.
    #[error("{message}")]
    Invalid {
        message: String,
        problem: FieldProblem,
    },
    #[error("the audience's rule: {0}")]
    Rule(#[from] crate::segments::rule::RuleError),
}

impl crate::error::Coded for CampaignDocumentError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::InvalidInput
    }

    fn problem(&self) -> Option<FieldProblem> {
        match self {
            CampaignDocumentError::Invalid { problem, .. } => Some(problem.clone()),
            CampaignDocumentError::Name(e) => Some(e.at("name")),
            CampaignDocumentError::Rule(_) => Some(FieldProblem::new("audience", "audience_rule", &[])),
            CampaignDocumentError::Document(_) | CampaignDocumentError::Version(_) => None,
        }
    }
}

/// `field` has a value the campaign cannot have: `code` and `params` for the app's words,
/// `message` for the CLI's.
fn invalid(
    field: impl Into<String>,
    code: &str,
    params: &[(&str, String)],
    message: impl Into<String>,
) -> CampaignDocumentError {
    CampaignDocumentError::Invalid {
        message: message.into(),
        problem: FieldProblem::new(field, code, params),
    }
}

impl Campaign {
    /// Whether any variant has content in `format`.
    pub fn uses(&self, format: FormatKind) -> bool {
        self.variants.iter().any(|v| v.content(format).is_some())
    }

    /// Whether customers get an interactive video player (a page hosted with their site).
    pub fn has_player(&self) -> bool {
        self.uses(FormatKind::Video) && self.video_formats().is_ok_and(|f| f.player)
    }

    /// What personal URLs are keyed by: the seed, like the split, so a renamed campaign keeps
    /// its customers' addresses (the name for documents from before seeds).
    pub fn page_identity(&self) -> &str {
        match self.seed.trim() {
            "" => self.name.as_str(),
            seed => seed,
        }
    }

    /// Whether customers get pages under a personal URL: a microsite or a video player.
    pub fn has_personal_pages(&self) -> bool {
        self.uses(FormatKind::Microsite) || self.has_player()
    }

    /// Reads a campaign document: unknown keys are errors, and so is anything [`Campaign::check`]
    /// refuses.
    pub fn parse(json: &str) -> Result<Campaign, CampaignDocumentError> {
        let syntax = |e: serde_json::Error| crate::document::DocumentError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        };
        crate::document::unique_keys(json).map_err(syntax)?;
        let value: Value = serde_json::from_str(json).map_err(syntax)?;
        if let Some(version) = value.get("version").and_then(Value::as_u64) {
            if version != CAMPAIGN_VERSION as u64 {
                return Err(CampaignDocumentError::Version(version));
            }
        }
        let mut campaign: Campaign = crate::document::from_value_strict(value)?;
        campaign.check()?;
        if campaign.seed.is_empty() {
            campaign.seed = campaign.name.clone();
        }
        Ok(campaign)
    }

    /// What a campaign must be to run: a usable name, an audience, weighted variants with
    /// content, a holdout below one, a fallback language where content is per language, and
    /// a sender and unsubscribe link that can go into mail headers.
    pub fn check(&self) -> Result<(), CampaignDocumentError> {
        if self.version != CAMPAIGN_VERSION {
            return Err(CampaignDocumentError::Version(self.version as u64));
        }
        check_name(&self.name, "campaign")?;
        match &self.audience {
            Audience::All(false) => {
                return Err(invalid(
                    "audience",
                    "audience_nobody",
                    &[],
                    "the audience {\"all\": false} is nobody; write {\"all\": true}, a segment or a rule",
                ))
            }
            Audience::Segment(name) if name.trim().is_empty() => {
                return Err(invalid(
                    "audience",
                    "audience_no_segment",
                    &[],
                    "the audience names no segment",
                ))
            }
            Audience::Rule(rule) => rule.validate()?,
            _ => {}
        }
        if !(0.0..1.0).contains(&self.holdout) {
            return Err(invalid(
                "holdout",
                "holdout_range",
                &[("percent", (self.holdout * 100.0).to_string())],
                format!(
                    "the holdout is a share of the audience from 0 to below 1 (0.05 is 5%), not {}",
                    self.holdout
                ),
            ));
        }
        if self.variants.is_empty() || self.variants.len() > MAX_VARIANTS {
            return Err(invalid(
                "variants",
                "variant_count",
                &[
                    ("max", MAX_VARIANTS.to_string()),
                    ("count", self.variants.len().to_string()),
                ],
                format!(
                    "a campaign has from 1 to {MAX_VARIANTS} variants, not {}",
                    self.variants.len()
                ),
            ));
        }
        for (i, v) in self.variants.iter().enumerate() {
            let at = |field: &str| format!("variants.{i}.{field}");
            check_name(&v.name, "variant").map_err(|e| CampaignDocumentError::Invalid {
                message: e.to_string(),
                problem: e.at(at("name")),
            })?;
            if self.variants[..i]
                .iter()
                .any(|w| w.name.trim() == v.name.trim())
            {
                return Err(invalid(
                    at("name"),
                    "variant_duplicate",
                    &[("variant", v.name.clone())],
                    format!("two variants are named '{}'", v.name),
                ));
            }
            if !(v.weight.is_finite() && v.weight > 0.0 && v.weight <= MAX_WEIGHT) {
                return Err(invalid(
                    at("weight"),
                    "weight_range",
                    &[("variant", v.name.clone()), ("max", MAX_WEIGHT.to_string())],
                    format!(
                        "variant '{}': a weight is a number above 0 and at most {MAX_WEIGHT}, not {}",
                        v.name, v.weight
                    ),
                ));
            }
            if let Some(key) = v
                .values
                .keys()
                .find(|k| SET_BY_TESSERA.contains(&k.as_str()))
            {
                return Err(invalid(
                    at("values"),
                    "value_reserved",
                    &[("variant", v.name.clone()), ("key", key.clone())],
                    format!(
                        "variant '{}': '{key}' is a link Tessera sets for each customer (checked, and the same in the message's headers); a variant's values cannot replace it",
                        v.name
                    ),
                ));
            }
            if FormatKind::ALL.iter().all(|f| v.content(*f).is_none()) {
                return Err(invalid(
                    at("email"),
                    "variant_empty",
                    &[("variant", v.name.clone())],
                    format!(
                        "variant '{}' has no content: name its email template (\"email\": \"welcome-en\"), microsite (\"microsite\": \"offer-en\") or video (\"video\": \"picks-en\")",
                        v.name
                    ),
                ));
            }
            for format in FormatKind::ALL {
                if let Some(content) = v.content(format) {
                    self.check_content(&v.name, &at(format.as_str()), content)?;
                }
            }
        }
        if self.has_personal_pages() {
            let base = self.microsite_settings.base_url.trim();
            let lower = base.to_ascii_lowercase();
            let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
            if !scheme_ok || base.contains(['"', '<', '>', ' ', '?', '#']) {
                return Err(invalid(
                    "microsite_settings.base_url",
                    "base_url",
                    &[("value", base.to_string())],
                    format!(
                        "microsite_settings.base_url: '{base}' is not an http(s) address to serve the sites at (https://offers.example.com)"
                    ),
                ));
            }
        }
        if self.uses(FormatKind::Video) {
            self.video_formats()?;
        }
        Mailbox::parse(&self.email_settings.from).map_err(|e| {
            invalid(
                "email_settings.from",
                "sender",
                &[],
                format!("email_settings.from: {e}"),
            )
        })?;
        UnsubscribePattern::parse(&self.email_settings.unsubscribe).map_err(|e| {
            let code = match e {
                crate::render::eml::HeaderError::PersonalLink(_) => "unsubscribe_personal",
                _ => "unsubscribe",
            };
            invalid(
                "email_settings.unsubscribe",
                code,
                &[],
                format!("email_settings.unsubscribe: {e}"),
            )
        })?;
        if let Some(hypothesis) = &self.hypothesis {
            self.check_hypothesis(hypothesis)?;
        }
        Ok(())
    }

    /// A hypothesis the report can judge: a metric, a window, a control the campaign has, and
    /// a lift above zero (a share below one for conversion).
    fn check_hypothesis(&self, h: &Hypothesis) -> Result<(), CampaignDocumentError> {
        if let Metric::Event(event) = &h.metric {
            if event.trim().is_empty() {
                return Err(invalid(
                    "hypothesis.metric",
                    "hypothesis_metric",
                    &[],
                    "hypothesis.metric: name the event that counts as converting (purchase, form_submission)",
                ));
            }
        }
        if !(1..=MAX_WINDOW_DAYS).contains(&h.window_days) {
            return Err(invalid(
                "hypothesis.window_days",
                "hypothesis_window",
                &[("max", MAX_WINDOW_DAYS.to_string())],
                format!(
                    "hypothesis.window_days: outcomes count from 1 to {MAX_WINDOW_DAYS} days after the run, not {}",
                    h.window_days
                ),
            ));
        }
        let control = h.control.trim();
        let is_holdout = control == HOLDOUT;
        if is_holdout && self.holdout <= 0.0 {
            return Err(invalid(
                "hypothesis.control",
                "hypothesis_no_holdout",
                &[],
                "hypothesis.control: the campaign holds nobody out; give it a holdout or compare with a variant",
            ));
        }
        if !is_holdout && !self.variants.iter().any(|v| v.name.trim() == control) {
            return Err(invalid(
                "hypothesis.control",
                "hypothesis_control",
                &[("control", control.to_string())],
                format!("hypothesis.control: '{control}' is neither 'holdout' nor a variant of the campaign"),
            ));
        }
        if is_holdout && matches!(h.metric, Metric::Result(_)) {
            return Err(invalid(
                "hypothesis.control",
                "hypothesis_results_holdout",
                &[],
                "hypothesis.control: an email service's results cover only recipients, so they compare variants, not the holdout",
            ));
        }
        if let Some(mde) = h.mde {
            let in_range = match h.measure {
                Criterion::Conversion => mde > 0.0 && mde < 1.0,
                Criterion::Revenue => mde > 0.0 && mde.is_finite(),
            };
            if !in_range {
                return Err(invalid(
                    "hypothesis.mde",
                    "hypothesis_mde",
                    &[("value", mde.to_string())],
                    format!(
                        "hypothesis.mde: the smallest lift worth detecting is above 0 (and below 1 for a conversion rate: 0.02 is 2 points), not {mde}"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The video files the campaign makes for each customer.
    pub fn video_formats(&self) -> Result<Formats, CampaignDocumentError> {
        Formats::parse(&self.video_settings.formats).map_err(|e| {
            invalid(
                "video_settings.formats",
                "video_formats",
                &[],
                format!("video_settings.formats: {e}"),
            )
        })
    }

    /// A variant's content for one format (`field`: where it is, `variants.0.email`).
    fn check_content(
        &self,
        variant: &str,
        field: &str,
        content: &Content,
    ) -> Result<(), CampaignDocumentError> {
        let named = &[("variant", variant.to_string())];
        match content {
            Content::Template(name) if name.trim().is_empty() => Err(invalid(
                field,
                "content_none",
                named,
                format!("variant '{variant}' names no template"),
            )),
            Content::Template(_) => Ok(()),
            Content::ByLanguage(by) if by.is_empty() => Err(invalid(
                field,
                "content_none",
                named,
                format!("variant '{variant}' lists no template per language"),
            )),
            Content::ByLanguage(by) => {
                if let Some(bad) = by.keys().find(|l| language_tag(l).is_none()) {
                    return Err(invalid(
                        field,
                        "content_language",
                        &[("variant", variant.to_string()), ("language", bad.clone())],
                        format!("variant '{variant}': '{bad}' is not a language (en, zh, zh-TW, …)"),
                    ));
                }
                let fallback = self.fallback();
                if !by.keys().any(|l| language_tag(l) == Some(fallback.clone())) {
                    let languages = by.keys().cloned().collect::<Vec<_>>().join(", ");
                    return Err(invalid(
                        field,
                        "content_fallback",
                        &[
                            ("variant", variant.to_string()),
                            ("fallback", fallback.clone()),
                            ("languages", languages.clone()),
                        ],
                        format!(
                            "variant '{variant}' has no template in the fallback language '{fallback}'; \
                             add one, or set \"fallback_language\" to one of {languages}"
                        ),
                    ));
                }
                Ok(())
            }
        }
    }

    /// The language customers get when none of a format's templates is in theirs.
    pub fn fallback(&self) -> String {
        self.fallback_language
            .as_deref()
            .and_then(language_tag)
            .unwrap_or_else(|| "en".into())
    }
}

/// A language tag in lower case with `-` (`zh_CN` → `zh-cn`), if it looks like one.
pub fn language_tag(text: &str) -> Option<String> {
    let tag = text.trim().replace('_', "-").to_ascii_lowercase();
    let primary = tag.split('-').next().unwrap_or("");
    ((2..=3).contains(&primary.len()) && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .then_some(tag)
}

impl Content {
    /// The template for a customer whose locale is `locale`: the exact tag, else the same
    /// language (`zh-TW` → `zh`), else the fallback. Returns (language, template).
    pub fn for_locale<'a>(
        &'a self,
        locale: Option<&str>,
        fallback: &str,
    ) -> (Option<String>, &'a str) {
        match self {
            Content::Template(name) => (None, name),
            Content::ByLanguage(by) => {
                let tags: Vec<(String, &String)> = by
                    .iter()
                    .filter_map(|(l, t)| language_tag(l).map(|tag| (tag, t)))
                    .collect();
                let wanted = locale.and_then(language_tag);
                let primary = |t: &str| t.split('-').next().unwrap_or("").to_string();
                let found = wanted.as_ref().and_then(|w| {
                    tags.iter()
                        .find(|(tag, _)| tag == w)
                        .or_else(|| tags.iter().find(|(tag, _)| primary(tag) == primary(w)))
                });
                let (tag, template) = found
                    .or_else(|| tags.iter().find(|(tag, _)| tag == fallback))
                    .or(tags.first())
                    .map(|(tag, t)| (tag.clone(), t.as_str()))
                    .unwrap_or_default();
                (Some(tag), template)
            }
        }
    }

    /// Every template the content names.
    pub fn templates(&self) -> Vec<&str> {
        match self {
            Content::Template(name) => vec![name.as_str()],
            Content::ByLanguage(by) => by.values().map(String::as_str).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shape_reads_and_misspellings_do_not() {
        let c = Campaign::parse(
            r#"{ "version": 1, "name": "spring", "seed": "spring-2026",
                 "audience": { "segment": "coffee-lovers" }, "holdout": 0.05,
                 "variants": [ { "name": "A", "weight": 1, "email": "welcome-en" },
                               { "name": "B", "weight": 1, "email": "winback-en" } ] }"#,
        )
        .unwrap();
        assert_eq!(c.variants.len(), 2);
        assert_eq!(c.audience, Audience::Segment("coffee-lovers".into()));
        let err = Campaign::parse(
            r#"{ "version": 1, "name": "s", "audience": { "all": true },
                 "variants": [ { "name": "A", "wieght": 2, "email": "w" } ] }"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown key 'wieght'"), "{err}");
    }

    #[test]
    fn each_customer_gets_the_template_of_their_language() {
        let by: BTreeMap<String, String> = [("en", "welcome-en"), ("zh", "welcome-zh")]
            .into_iter()
            .map(|(a, b)| (a.into(), b.into()))
            .collect();
        let content = Content::ByLanguage(by);
        assert_eq!(content.for_locale(Some("zh-CN"), "en").1, "welcome-zh");
        assert_eq!(content.for_locale(Some("zh_TW"), "en").1, "welcome-zh");
        assert_eq!(
            content.for_locale(Some("de-DE"), "en"),
            (Some("en".into()), "welcome-en")
        );
        assert_eq!(content.for_locale(None, "en").1, "welcome-en");
    }
}
