//! Integration tests of the engine on real SQLite files: one binary, a module per capability.

mod cli;
mod import;
mod models;
mod render;
mod segments;
mod support;
mod templates;
