//! MJML with Handlebars inside: the merge tags are swapped for inert tokens, mrml compiles the
//! MJML once, and the tags are put back into the HTML. So conditionals and loops may wrap whole
//! `mj-section`s, and the MJML source is never rewritten.

use mrml::prelude::parser::Error as MjmlError;
use mrml::prelude::render::RenderOptions;

use super::mustache::{line_column, tag_ranges};
use super::TemplateError;

/// MJML compiled to HTML, with the merge tags back in place.
pub struct CompiledMjml {
    pub html: String,
    pub title: Option<String>,
    pub preview: Option<String>,
    /// `<mjml lang="…">`: the language the email is written in.
    pub lang: Option<String>,
    pub warnings: Vec<String>,
}

struct Protected {
    text: String,
    /// (token, original tag, byte offset in the original, byte offset in `text`)
    tags: Vec<(String, String, usize, usize)>,
}

/// A token prefix that does not occur in the source, so tokens cannot collide with content.
fn token_prefix(source: &str) -> String {
    (0..)
        .map(|i| format!("tsq{i}k"))
        .find(|p| !source.contains(p.as_str()))
        .unwrap_or_default()
}

fn protect(source: &str) -> Protected {
    let prefix = token_prefix(source);
    let mut text = String::with_capacity(source.len());
    let mut tags = Vec::new();
    let mut last = 0;
    for (i, (start, end)) in tag_ranges(source).into_iter().enumerate() {
        text.push_str(&source[last..start]);
        let token = format!("{prefix}{i}z");
        tags.push((
            token.clone(),
            source[start..end].to_string(),
            start,
            text.len(),
        ));
        text.push_str(&token);
        last = end;
    }
    text.push_str(&source[last..]);
    Protected { text, tags }
}

impl Protected {
    /// Maps an offset in the protected text back to the original source.
    fn original_offset(&self, offset: usize) -> usize {
        let mut delta: isize = 0;
        for (token, tag, _, at) in &self.tags {
            if *at >= offset {
                break;
            }
            delta += tag.len() as isize - token.len() as isize;
        }
        (offset as isize + delta).max(0) as usize
    }

    fn restore(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (token, tag, _, _) in &self.tags {
            if out.contains(token.as_str()) {
                out = out.replace(token.as_str(), tag);
            }
        }
        out
    }
}

fn mjml_error(e: &MjmlError, protected: &Protected, source: &str) -> TemplateError {
    let (message, offset) = match e {
        MjmlError::UnexpectedElement { position, .. } => {
            ("unexpected element here".to_string(), Some(position.start))
        }
        MjmlError::UnexpectedToken { position, .. } => {
            ("unexpected token here".to_string(), Some(position.start))
        }
        MjmlError::MissingAttribute { name, position, .. } => {
            (format!("missing attribute '{name}'"), Some(position.start))
        }
        MjmlError::InvalidAttribute { position, .. } => {
            ("invalid attribute".to_string(), Some(position.start))
        }
        MjmlError::InvalidFormat { position, .. } => {
            ("invalid value".to_string(), Some(position.start))
        }
        MjmlError::EndOfStream { .. } => match unclosed_element(&protected.text) {
            Some((offset, name)) => (format!("<{name}> is never closed"), Some(offset)),
            None => (
                "unexpected end of the template (an element is not closed)".to_string(),
                Some(protected.text.len()),
            ),
        },
        MjmlError::IncludeLoaderError { position, .. } => (
            "mj-include is not available: templates cannot read files".to_string(),
            Some(position.start),
        ),
        MjmlError::ParserError { source: inner, .. } => {
            let pos = inner.pos();
            let offset = protected
                .text
                .split_inclusive('\n')
                .take(pos.row.saturating_sub(1) as usize)
                .map(str::len)
                .sum::<usize>()
                + protected
                    .text
                    .split_inclusive('\n')
                    .nth(pos.row.saturating_sub(1) as usize)
                    .map_or(0, |l| {
                        l.chars()
                            .take(pos.col.saturating_sub(1) as usize)
                            .map(char::len_utf8)
                            .sum()
                    });
            (format!("malformed markup: {inner}"), Some(offset))
        }
        other => (other.to_string(), None),
    };
    let (line, column) = offset.map_or((1, 1), |o| {
        line_column(source, protected.original_offset(o))
    });
    TemplateError {
        message,
        line,
        column,
        layer: Some("mjml"),
    }
}

/// The innermost `<mj-…>` element left open, for a useful "not closed" error.
fn unclosed_element(text: &str) -> Option<(usize, String)> {
    let mut open: Vec<(usize, &str)> = Vec::new();
    // An element skipped over by an outer closing tag is the one left open.
    let mut skipped: Option<(usize, &str)> = None;
    let mut pos = 0;
    while let Some(i) = text[pos..].find("<").map(|i| pos + i) {
        let rest = &text[i + 1..];
        let closing = rest.starts_with('/');
        let name_start = if closing { 1 } else { 0 };
        let name_len = rest[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len() - name_start);
        let name = &rest[name_start..name_start + name_len];
        let end = rest.find('>').map_or(text.len(), |e| i + 1 + e);
        if name.starts_with("mj") {
            if closing {
                if let Some(at) = open.iter().rposition(|(_, n)| *n == name) {
                    if at + 1 < open.len() && skipped.is_none() {
                        skipped = open.last().copied();
                    }
                    open.truncate(at);
                }
            } else if !text[..end].ends_with('/') {
                open.push((i, name));
            }
        }
        pos = end.max(i + 1);
    }
    skipped
        .or(open.last().copied())
        .map(|(i, n)| (i, n.to_string()))
}

pub fn compile_mjml(source: &str) -> Result<CompiledMjml, TemplateError> {
    let protected = protect(source);
    let parsed = mrml::parse(&protected.text).map_err(|e| mjml_error(&e, &protected, source))?;
    let warnings = parsed
        .warnings
        .iter()
        .map(|w| {
            let (line, column) = line_column(source, protected.original_offset(w.span.start));
            format!("line {line}, column {column}: {}", w.kind.as_str())
        })
        .collect();
    let html = parsed
        .element
        .render(&RenderOptions::default())
        .map_err(|e| TemplateError {
            message: format!("cannot render MJML: {e}"),
            line: 1,
            column: 1,
            layer: Some("mjml"),
        })?;
    // Every merge tag must survive. (Copies are fine: MJML repeats the title in an aria-label;
    // whether blocks still nest is checked when the HTML is compiled.)
    for (token, tag, at, _) in &protected.tags {
        if !tag.starts_with("{{!") && !html.contains(token.as_str()) {
            let (line, column) = line_column(source, *at);
            let message = format!("MJML drops the merge tag {tag} here; put it inside mj-text, mj-button, mj-raw or an attribute value");
            return Err(TemplateError {
                message,
                line,
                column,
                layer: Some("mjml"),
            });
        }
    }
    Ok(CompiledMjml {
        html: protected.restore(&html),
        title: parsed.element.get_title().map(|t| protected.restore(&t)),
        preview: parsed.element.get_preview().map(|p| protected.restore(&p)),
        lang: parsed.element.attributes.lang.clone(),
        warnings,
    })
}
