//! Templates: one merge syntax (Handlebars) over one customer data model, compiled once into
//! plans; email is MJML rendered by mrml in process. Microsites and storyboards reuse the same
//! plans, helpers and fallbacks.

pub mod email;
pub mod format;
pub mod helpers;
mod html_context;
mod mjml;
mod mustache;
pub mod plan;
pub mod reference;
pub mod store;
mod text;

pub use email::{compile_email, EmailTemplate, RenderedEmail};
pub use html_context::is_safe_url;
pub use plan::{Escaping, Notes, Plan, RenderEnv, Slot};

/// A template problem, located in the template's source.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{}line {line}, column {column}: {message}", layer.map(|l| format!("{l}: ")).unwrap_or_default())]
pub struct TemplateError {
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// Which layer found it: "handlebars" or "mjml".
    pub layer: Option<&'static str>,
}

impl TemplateError {
    pub fn at(message: impl Into<String>, line: usize, column: usize) -> TemplateError {
        TemplateError {
            message: message.into(),
            line,
            column,
            layer: Some("handlebars"),
        }
    }

    pub(crate) fn from_handlebars(e: handlebars::TemplateError) -> TemplateError {
        let (line, column) = e.pos().unwrap_or((1, 1));
        TemplateError::at(e.reason().to_string(), line, column)
    }
}

impl crate::error::Coded for TemplateError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Template
    }

    fn place(&self) -> Option<(usize, usize)> {
        Some((self.line, self.column))
    }
}
