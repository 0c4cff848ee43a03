//! Per-customer rendering: the merge data model, the formats a customer is rendered into (email
//! now), mail messages, personal links and the missing-field report. Campaigns (`campaigns/`)
//! run these over an audience.

pub mod context;
pub mod eml;
pub mod export;
pub mod format;
pub mod images;
pub mod links;
pub mod missing;
pub mod preview;

pub use context::{load_contexts, CustomerContext, Selection};
pub use missing::{missing_fields, MissingField, UnsafeLink};
