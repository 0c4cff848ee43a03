//! Segments: who a campaign is for. Rules are typed data compiled to SQL with bound values, and
//! evaluated over an in-memory columnar index for live counts; the property test requires both
//! paths to select the same customers.

pub mod compile;
pub mod describe;
pub mod index;
pub mod query;
pub mod rule;
pub mod store;

pub use compile::{CampaignMembers, Catalog, Clock};
pub use index::SegmentIndex;
pub use query::{count, members, FunnelStep, SegmentCount, SegmentError};
pub use rule::{Condition, Group, Rule};
