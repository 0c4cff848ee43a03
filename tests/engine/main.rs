//! Integration tests of the engine on real SQLite files: one binary, a module per capability.

mod cli;
mod hardening;
mod import;
mod models;
mod properties;
mod render;
mod segments;
mod support;
mod templates;
