//! One customer as a campaign would render them: their arm (or why they get nothing), the
//! template of their language, and the email with the variant's values.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::SqlitePool;

use super::assign::{Arm, Assigner};
use super::document::Campaign;
use super::error::CampaignError;
use crate::customers::reach::Reach;
use crate::render::format::Exclusion;
use crate::render::{load_contexts, Selection};
use crate::templates::store::{load_template, TemplateKind};
use crate::templates::{compile_email, Notes, RenderedEmail};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct CampaignPreview {
    /// The variant the customer is in (`holdout` if held out); none if excluded.
    pub arm: Option<String>,
    pub excluded: Option<Exclusion>,
    /// The template of their language, and that language.
    pub template: Option<String>,
    pub language: Option<String>,
    pub email: Option<RenderedEmail>,
}

/// The campaign as `customer` would get it (the audience is not checked: any customer can be
/// previewed).
pub async fn preview_customer(
    pool: &SqlitePool,
    campaign: &Campaign,
    customer: i64,
    now: DateTime<Utc>,
) -> Result<CampaignPreview, CampaignError> {
    campaign.check()?;
    let mut contexts = load_contexts(pool, &Selection::Customer(customer), now).await?;
    super::run::add_campaign_links(pool, campaign, &mut contexts, super::run::Tokens::Preview)
        .await?;
    let Some(c) = contexts.pop() else {
        return Err(CampaignError::Segment(
            crate::segments::SegmentError::NotFound(format!("customer {customer}")),
        ));
    };
    let nothing = |arm: Option<String>, excluded| CampaignPreview {
        arm,
        excluded,
        template: None,
        language: None,
        email: None,
    };
    if let Err(e) = super::plan::campaign_reaches(
        campaign,
        Reach::of(&c).suppressed(
            crate::sending::suppression::suppressed_customers(pool)
                .await?
                .contains(&c.id),
        ),
    ) {
        return Ok(nothing(None, Some(e)));
    }
    let v = match Assigner::new(campaign).assign(c.id) {
        Arm::Holdout => return Ok(nothing(Some("holdout".into()), Some(Exclusion::Holdout))),
        Arm::Variant(v) => &campaign.variants[v],
    };
    let Some(content) = &v.email else {
        return Ok(nothing(Some(v.name.trim().to_string()), None));
    };
    let locale = c.data.get("locale").and_then(Value::as_str);
    let (language, template) = content.for_locale(locale, &campaign.fallback());
    let compiled = compile_email(&load_template(pool, template, TemplateKind::Email).await?)
        .map_err(|error| CampaignError::Template {
            name: template.to_string(),
            error,
        })?;
    let data = super::run::recipient_data(&c, &v.values);
    let email =
        compiled
            .render(&data, &mut Notes::default())
            .map_err(|e| CampaignError::Template {
                name: template.to_string(),
                error: crate::templates::TemplateError::at(e.message, e.line, e.column),
            })?;
    let email = RenderedEmail {
        html: crate::render::images::with_local_images(pool, &email.html)
            .await
            .map_err(crate::store::StoreError::from)?,
        ..email
    };
    Ok(CampaignPreview {
        arm: Some(v.name.trim().to_string()),
        excluded: None,
        template: Some(template.to_string()),
        language,
        email: Some(email),
    })
}
