//! What a campaign sets out to show, recorded with it before it runs: the metric that decides,
//! how long after the run outcomes count, what the arms are compared with, and the smallest
//! lift worth detecting. The report judges the campaign by it.

use serde::{Deserialize, Serialize};

/// Days after the run within which an outcome counts, when the hypothesis names none.
pub const DEFAULT_WINDOW_DAYS: u32 = 14;
/// The longest attribution window: a year.
pub const MAX_WINDOW_DAYS: u32 = 366;
/// The control arm that received nothing.
pub const HOLDOUT: &str = "holdout";

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hypothesis {
    /// The expectation in the user's words ("the personal offer lifts purchases").
    #[serde(default)]
    pub statement: String,
    pub metric: Metric,
    /// Whether the share of customers who converted decides, or the revenue per recipient.
    #[serde(default)]
    pub measure: Criterion,
    #[serde(default = "default_window")]
    pub window_days: u32,
    /// `holdout`, or the name of the variant the others are compared with.
    #[serde(default = "default_control")]
    pub control: String,
    /// The smallest lift worth detecting: percentage points of conversion as a fraction (0.02),
    /// or currency per recipient for revenue.
    #[serde(default)]
    pub mde: Option<f64>,
}

fn default_window() -> u32 {
    DEFAULT_WINDOW_DAYS
}

fn default_control() -> String {
    HOLDOUT.into()
}

/// Where a customer's outcome comes from.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// An event of this type in the workspace within the window (`purchase`, `microsite_click`,
    /// `form_submission`, `video_complete`); its values are the revenue.
    Event(String),
    /// A column of the results file an email service exported (`opened`, `clicked`,
    /// `converted`); revenue is its revenue column. Only recipients have such results, so the
    /// control must be a variant.
    Result(ResultColumn),
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultColumn {
    Sent,
    Opened,
    Clicked,
    Converted,
}

impl ResultColumn {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultColumn::Sent => "sent",
            ResultColumn::Opened => "opened",
            ResultColumn::Clicked => "clicked",
            ResultColumn::Converted => "converted",
        }
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    #[default]
    Conversion,
    Revenue,
}

impl Metric {
    /// As the report names it: `purchase`, `results.converted`.
    pub fn label(&self) -> String {
        match self {
            Metric::Event(t) => t.clone(),
            Metric::Result(c) => format!("results.{}", c.as_str()),
        }
    }
}

impl Hypothesis {
    /// The hypothesis a report assumes when a campaign records none: purchases within two
    /// weeks, against the holdout when there is one, else the first variant.
    pub fn assumed(has_holdout: bool, first_variant: &str) -> Hypothesis {
        Hypothesis {
            statement: String::new(),
            metric: Metric::Event("purchase".into()),
            measure: Criterion::Conversion,
            window_days: DEFAULT_WINDOW_DAYS,
            control: if has_holdout { HOLDOUT.into() } else { first_variant.into() },
            mde: None,
        }
    }
}
