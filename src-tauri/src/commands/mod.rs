//! Commands, one module per noun; each a few lines over the engine.

pub mod campaigns;
pub mod customers;
pub mod experiments;
pub mod files;
pub mod segments;
pub mod sending;
pub mod sites;
pub mod storyboards;
pub mod templates;
pub mod workspace;
