//! Integration tests of the engine on real SQLite files: one binary, a module per capability.

mod campaigns;
mod cli;
mod experiments;
mod hardening;
mod import;
mod limits;
mod microsites;
mod mjml_corpus;
mod models;
mod properties;
mod runs;
mod segments;
mod sending;
mod serving;
mod sessions;
mod sites;
mod storyboards;
mod support;
mod templates;
