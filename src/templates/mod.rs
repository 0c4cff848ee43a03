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
    /// What is wrong, for the app to say in the user's language (`template_unknown_helper`
    /// with its `name`, …); the message says it in English. None for the rarer mistakes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Box<crate::error::FieldProblem>>,
}

impl TemplateError {
    pub fn at(message: impl Into<String>, line: usize, column: usize) -> TemplateError {
        TemplateError {
            message: message.into(),
            line,
            column,
            layer: Some("handlebars"),
            problem: None,
        }
    }

    /// An MJML mistake.
    pub(crate) fn in_mjml(message: impl Into<String>, line: usize, column: usize) -> TemplateError {
        TemplateError {
            layer: Some("mjml"),
            ..TemplateError::at(message, line, column)
        }
    }

    /// Says what is wrong as a code and the values its words need (see [`TemplateError::problem`]).
    pub(crate) fn because(mut self, code: &str, params: &[(&str, String)]) -> TemplateError {
        self.problem = Some(Box::new(crate::error::FieldProblem::new(
            "source", code, params,
        )));
        self
    }

    pub(crate) fn from_handlebars(e: handlebars::TemplateError) -> TemplateError {
        use handlebars::TemplateErrorReason;
        let (line, column) = e.pos().unwrap_or((1, 1));
        let error = TemplateError::at(e.reason().to_string(), line, column);
        match e.reason() {
            TemplateErrorReason::MismatchingClosedHelper(open, close) => error.because(
                "template_mismatched_close",
                &[("open", open.clone()), ("close", close.clone())],
            ),
            TemplateErrorReason::InvalidSyntax(_) => error.because("template_syntax", &[]),
            _ => error,
        }
    }
}

impl crate::error::Coded for TemplateError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Template
    }

    fn place(&self) -> Option<(usize, usize)> {
        Some((self.line, self.column))
    }

    fn problem(&self) -> Option<crate::error::FieldProblem> {
        self.problem.as_deref().cloned()
    }
}
