//! An email template: MJML with Handlebars in the subject (`mj-title`), preheader
//! (`mj-preview`) and body, compiled once into plans for subject, HTML and plain text.

use serde_json::Value;

use super::mjml::compile_mjml;
use super::mustache::{locate_in_source, place_in_source};
use super::plan::{self, Escaping, Notes, Plan, RenderEnv, RenderError, Slot};
use super::text::{decode_entities, html_to_text_template, tidy};
use super::TemplateError;

pub struct EmailTemplate {
    pub subject: Plan,
    pub preheader: Plan,
    pub html: Plan,
    pub text: Plan,
    /// MJML warnings (unknown attributes and the like), located in the source.
    pub warnings: Vec<String>,
    /// The HTML that MJML produced, merge tags in place (what `html` was compiled from).
    pub html_source: String,
    /// The language the email is written in (`<mjml lang>`); numbers, money and dates are
    /// formatted in it, so an English email reads "$214.50" whoever receives it.
    pub lang: Option<String>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct RenderedEmail {
    pub subject: String,
    pub preheader: String,
    pub html: String,
    pub text: String,
}

/// Line ends as XML reads them (CR LF and a lone CR are LF): MJML's parser refuses a CR inside
/// a tag, and templates written on Windows (13 of the 25 official MJML templates) have them.
/// Lines keep their numbers, so errors still point at the user's file.
fn unix_line_ends(source: &str) -> std::borrow::Cow<'_, str> {
    if source.contains('\r') {
        source.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        source.into()
    }
}

/// Compiles an MJML + Handlebars email. Handlebars syntax is checked on the source first, so
/// its errors point at the template's own lines; then MJML; then the merged HTML.
pub fn compile_email(source: &str) -> Result<EmailTemplate, TemplateError> {
    let source = &unix_line_ends(source);
    let source_plan = plan::compile(source, Escaping::Html)?;
    let mjml = compile_mjml(source)?;
    let locate = |generated: &str| {
        let generated = generated.to_string();
        move |e: TemplateError| locate_in_source(&generated, source, e)
    };
    let mut html = plan::compile(&mjml.html, Escaping::Html).map_err(locate(&mjml.html))?;
    html.locate_slots_in(source_plan.slots());
    html.locate_places(&|line, column| place_in_source(&mjml.html, source, line, column));
    // Raw output of merge data is allowed (a field may hold trusted HTML) but never silently.
    let mut warnings: Vec<String> = source_plan
        .raw_outputs()
        .iter()
        .map(|s| {
            format!(
                "line {}, column {}: '{}' is printed as raw HTML ({{{{{{…}}}}}} or {{{{&…}}}}), so a customer's value can add markup or scripts to the email; write {{{{{}}}}} to escape it unless the field holds HTML you trust",
                s.line, s.column, s.field, s.field
            )
        })
        .collect();
    // Read off the source, where MJML's attributes that become styles are still in place.
    warnings.extend(source_plan.css_outputs().iter().map(plan::css_warning));
    warnings.extend(mjml.warnings);
    let title = decode_entities(mjml.title.as_deref().unwrap_or("").trim());
    let preview = decode_entities(mjml.preview.as_deref().unwrap_or("").trim());
    let text = html_to_text_template(&mjml.html);
    Ok(EmailTemplate {
        subject: plan::compile(&title, Escaping::PlainText).map_err(locate(&title))?,
        preheader: plan::compile(&preview, Escaping::PlainText).map_err(locate(&preview))?,
        html,
        text: plan::compile(&text, Escaping::PlainText).map_err(locate(&text))?,
        lang: mjml.lang.filter(|l| !l.trim().is_empty()),
        warnings,
        html_source: mjml.html,
    })
}

/// The customer's locale, else English (for plans rendered without a template language).
pub fn locale_of(data: &Value) -> &str {
    data.get("locale")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
        .unwrap_or("en-US")
}

impl EmailTemplate {
    /// Renders all parts; `notes` collects the HTML's missing fields (the HTML holds the
    /// subject and preheader too, so it sees every merge tag) and unsafe links.
    pub fn render(&self, data: &Value, notes: &mut Notes) -> Result<RenderedEmail, RenderError> {
        let env = RenderEnv {
            locale: self.locale_for(data),
        };
        let mut scratch = Notes::default();
        Ok(RenderedEmail {
            subject: self
                .subject
                .render_to_string(data, &env)?
                .trim()
                .to_string(),
            preheader: self
                .preheader
                .render_to_string(data, &env)?
                .trim()
                .to_string(),
            html: {
                let mut buf = Vec::with_capacity(self.html.size_hint);
                self.html.render(data, &env, &mut buf, notes)?;
                plan::into_string(buf)
            },
            text: {
                let mut buf = Vec::with_capacity(self.html.size_hint / 4);
                self.text.render(data, &env, &mut buf, &mut scratch)?;
                tidy(&plan::into_string(buf))
            },
        })
    }

    /// The locale formatting helpers use: the template's language, else the customer's.
    pub fn locale_for<'a>(&'a self, data: &'a Value) -> &'a str {
        self.lang.as_deref().unwrap_or_else(|| locale_of(data))
    }

    /// The merge tags that can be missing, located in the template source.
    pub fn slots(&self) -> &[Slot] {
        self.html.slots()
    }
}
