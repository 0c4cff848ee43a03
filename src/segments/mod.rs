//! Segments: who a campaign is for. Rules are typed data compiled to SQL with bound values; an
//! independent in-memory evaluator checks the compiler in the property test.

pub mod compile;
pub mod describe;
pub mod eval;
pub mod models;
pub mod query;
pub mod rule;
pub mod scores;
pub mod store;

pub use compile::{Catalog, Clock};
pub use query::{count, members, FunnelStep, SegmentCount, SegmentError};
pub use rule::{Condition, Group, Rule};
