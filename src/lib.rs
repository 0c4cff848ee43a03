//! Tessera's engine: the customer store, import, templates and rendering. The `tessera` CLI
//! and the desktop app are thin hosts over this library.

pub mod app;
pub mod bench;
pub mod campaigns;
pub mod customers;
pub mod demo;
pub mod document;
pub mod error;
pub mod microsites;
pub mod output;
pub mod render;
pub mod scores;
pub mod segments;
pub mod serve;
pub mod store;
pub mod storyboards;
pub mod templates;
pub mod values;
