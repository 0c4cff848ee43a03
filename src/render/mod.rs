//! Per-customer rendering: the merge data model, batch jobs over both cores with progress and
//! cancel, output files (HTML or .eml) and the manifest.

pub mod batch;
pub mod context;
pub mod eml;
pub mod export;
pub mod missing;
pub mod preview;

pub use batch::{render_batch, BatchOptions, OutputFormat, RenderSummary};
pub use context::{load_contexts, CustomerContext, Selection};
pub use missing::{missing_fields, MissingField, UnsafeLink};
