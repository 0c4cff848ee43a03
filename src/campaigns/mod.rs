//! Campaigns: an audience, content in one or more formats and languages, variants with weights,
//! a holdout and a seed; rendered by one pipeline into files with a manifest and a delivery log.

pub mod assign;
pub mod document;
mod error;
pub mod manifest;
pub mod plan;
pub mod preview;
pub mod run;
pub mod store;

pub use assign::{Arm, Assigner, SampleRatio};
pub use document::{
    Audience, Campaign, Content, EmailFiles, EmailSettings, MicrositeSettings, Variant,
    VideoSettings,
};
pub use error::CampaignError;
pub use plan::{plan_campaign, Assignment, CampaignPlan, Selector, Split};
pub use run::{render_campaign, RunOptions, RunProgress, RunSummary, Unreached};
