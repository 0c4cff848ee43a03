//! Campaigns: an audience, content in one or more formats and languages, variants with weights,
//! a holdout and a seed; rendered by one pipeline into files with a manifest and a delivery log.

pub mod assign;
pub mod document;
pub mod manifest;
pub mod preview;
pub mod run;
pub mod store;

pub use assign::{Arm, Assigner, SampleRatio};
pub use document::{
    Audience, Campaign, Content, EmailFiles, EmailSettings, MicrositeSettings, Variant,
    VideoSettings,
};
pub use run::{
    plan_campaign, render_campaign, Assignment, CampaignError, CampaignPlan, RunOptions,
    RunProgress, RunSummary, Selector, Split, Unreached,
};
