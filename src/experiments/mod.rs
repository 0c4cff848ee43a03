//! Experiments: did the campaign work? A hypothesis recorded with the campaign, the sample size
//! it needs, and a report per arm with the statistics a data scientist would accept and a
//! verdict that says "not yet decidable" rather than guess.

pub mod hypothesis;
pub mod report;
pub mod sample_size;
pub mod stats;

pub use hypothesis::{Hypothesis, Criterion, Metric, ResultColumn};
pub use report::{campaign_report, ArmReport, DayPoint, HypothesisSource, Report, ReportError, ReportRequest, Verdict};
pub use sample_size::{detectable_lift, sample_size, PlanError, PlanInput, SampleSize};
