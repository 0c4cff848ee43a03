//! MJML with Handlebars inside: the merge tags are swapped for inert tokens, mrml compiles the
//! MJML once, and the tags are put back into the HTML. So conditionals and loops may wrap whole
//! `mj-section`s, and the MJML source is never rewritten.

use mrml::prelude::parser::Error as MjmlError;
use mrml::prelude::render::RenderOptions;

use super::mustache::{tag_ranges, LineIndex};
use super::TemplateError;

/// Deepest element nesting an MJML template may have: mrml parses and renders recursively, and
/// a thread's stack is finite (3,000 nested `mj-wrapper`s overflowed it).
pub const MAX_ELEMENT_DEPTH: usize = 100;

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
    prefix: String,
    /// (original tag, byte offset in the original, byte offset in `text`)
    tags: Vec<(String, usize, usize)>,
    /// For each tag, how much longer the original is than the text up to and including it.
    deltas: Vec<isize>,
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
    let mut deltas = Vec::new();
    let mut delta = 0isize;
    let mut last = 0;
    for (i, (start, end)) in tag_ranges(source).into_iter().enumerate() {
        text.push_str(&source[last..start]);
        let token = format!("{prefix}{i}z");
        tags.push((source[start..end].to_string(), start, text.len()));
        delta += (end - start) as isize - token.len() as isize;
        deltas.push(delta);
        text.push_str(&token);
        last = end;
    }
    text.push_str(&source[last..]);
    Protected {
        text,
        prefix,
        tags,
        deltas,
    }
}

impl Protected {
    /// Maps an offset in the protected text back to the original source.
    fn original_offset(&self, offset: usize) -> usize {
        let before = self.tags.partition_point(|(_, _, at)| *at < offset);
        let delta = if before == 0 {
            0
        } else {
            self.deltas[before - 1]
        };
        (offset as isize + delta).max(0) as usize
    }

    /// `s` with every token put back as its tag, in one pass; also which tags were found.
    fn restore(&self, s: &str) -> (String, Vec<bool>) {
        let mut out = String::with_capacity(s.len() + s.len() / 4);
        let mut seen = vec![false; self.tags.len()];
        let mut last = 0;
        for (at, _) in s.match_indices(self.prefix.as_str()) {
            if at < last {
                continue;
            }
            let digits_start = at + self.prefix.len();
            let digits = s[digits_start..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let number = s[digits_start..digits_start + digits].parse::<usize>().ok();
            let closed = s.as_bytes().get(digits_start + digits) == Some(&b'z');
            if let (Some(i), true) = (number.filter(|i| *i < self.tags.len()), closed) {
                out.push_str(&s[last..at]);
                out.push_str(&self.tags[i].0);
                seen[i] = true;
                last = digits_start + digits + 1;
            }
        }
        out.push_str(&s[last..]);
        (out, seen)
    }
}

/// Refuses elements nested deeper than [`MAX_ELEMENT_DEPTH`], at the first one too deep
/// (byte offset in `text`). Void and self-closing elements do not nest; comments, CDATA and
/// declarations are skipped.
fn check_element_depth(text: &str) -> Result<(), (usize, String)> {
    const VOID: &[&str] = &[
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "mj-image",
        "mj-divider",
        "mj-spacer",
        "mj-font",
        "mj-breakpoint",
    ];
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut pos = 0;
    while let Some(i) = text[pos..].find('<').map(|i| pos + i) {
        let rest = &text[i..];
        if let Some(skip) = [
            ("<!--", "-->"),
            ("<![CDATA[", "]]>"),
            ("<!", ">"),
            ("<?", ">"),
        ]
        .iter()
        .find(|(open, _)| rest.starts_with(open))
        {
            pos = rest
                .find(skip.1)
                .map_or(text.len(), |e| i + e + skip.1.len());
            continue;
        }
        let closing = rest.as_bytes().get(1) == Some(&b'/');
        let name_start = i + if closing { 2 } else { 1 };
        let name_len = text[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
            .unwrap_or(text.len() - name_start);
        if name_len == 0 {
            pos = i + 1;
            continue;
        }
        let name = text[name_start..name_start + name_len].to_ascii_lowercase();
        // The tag's end, quotes respected.
        let mut end = name_start + name_len;
        let mut quote = None;
        while end < bytes.len() {
            match (quote, bytes[end]) {
                (Some(q), b) if b == q => quote = None,
                (None, b'"' | b'\'') => quote = Some(bytes[end]),
                (None, b'>') => break,
                _ => {}
            }
            end += 1;
        }
        let self_closing = end > 0 && bytes.get(end - 1) == Some(&b'/');
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closing && !VOID.contains(&name.as_str()) {
            depth += 1;
            if depth > MAX_ELEMENT_DEPTH {
                return Err((
                    i,
                    format!("elements nest deeper than {MAX_ELEMENT_DEPTH} levels here"),
                ));
            }
        }
        pos = (end + 1).min(text.len());
    }
    Ok(())
}

fn mjml_error(e: &MjmlError, protected: &Protected, source: &str) -> TemplateError {
    // (message, where, the problem's code and what its words need)
    let (message, offset, code, params): (String, Option<usize>, &str, Vec<(&str, String)>) =
        match e {
            MjmlError::UnexpectedElement { position, .. } => (
                "unexpected element here".to_string(),
                Some(position.start),
                "template_mjml_unexpected",
                vec![],
            ),
            MjmlError::UnexpectedToken { position, .. } => (
                "unexpected token here".to_string(),
                Some(position.start),
                "template_mjml_unexpected",
                vec![],
            ),
            MjmlError::MissingAttribute { name, position, .. } => (
                format!("missing attribute '{name}'"),
                Some(position.start),
                "template_mjml_missing_attribute",
                vec![("name", name.to_string())],
            ),
            MjmlError::InvalidAttribute { position, .. } => (
                "invalid attribute".to_string(),
                Some(position.start),
                "template_mjml_invalid_value",
                vec![],
            ),
            MjmlError::InvalidFormat { position, .. } => (
                "invalid value".to_string(),
                Some(position.start),
                "template_mjml_invalid_value",
                vec![],
            ),
            MjmlError::EndOfStream { .. } => match unclosed_element(&protected.text) {
                Some((offset, name)) => (
                    format!("<{name}> is never closed"),
                    Some(offset),
                    "template_unclosed",
                    vec![("element", name)],
                ),
                None => (
                    "unexpected end of the template (an element is not closed)".to_string(),
                    Some(protected.text.len()),
                    "template_unclosed_somewhere",
                    vec![],
                ),
            },
            MjmlError::IncludeLoaderError { position, .. } => (
                "mj-include is not available: templates cannot read files".to_string(),
                Some(position.start),
                "template_include",
                vec![],
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
                (
                    format!("malformed markup: {inner}"),
                    Some(offset),
                    "template_malformed",
                    vec![],
                )
            }
            other => (other.to_string(), None, "template_malformed", vec![]),
        };
    let (line, column) = offset.map_or((1, 1), |o| {
        LineIndex::new(source).line_column(source, protected.original_offset(o))
    });
    TemplateError::in_mjml(message, line, column).because(code, &params)
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

/// What an MJML warning means to the person who wrote the template.
fn warning_text(kind: &mrml::prelude::parser::WarningKind) -> &'static str {
    use mrml::prelude::parser::WarningKind;
    match kind {
        WarningKind::UnexpectedAttribute => "this element has no such attribute; MJML ignores it",
        WarningKind::InlineStyleUnsupported => {
            "mj-style inline=\"inline\" is not supported: these styles stay in the <style> block instead of being written onto each element, so email clients that drop <style> (some Gmail and Outlook views) will not apply them"
        }
    }
}

pub fn compile_mjml(source: &str) -> Result<CompiledMjml, TemplateError> {
    let protected = protect(source);
    let lines = LineIndex::new(source);
    let at = |offset: usize| lines.line_column(source, protected.original_offset(offset));
    check_element_depth(&protected.text).map_err(|(offset, message)| {
        let (line, column) = at(offset);
        TemplateError::in_mjml(message, line, column)
    })?;
    let parsed = mrml::parse(&protected.text).map_err(|e| mjml_error(&e, &protected, source))?;
    let warnings = parsed
        .warnings
        .iter()
        .map(|w| {
            let (line, column) = at(w.span.start);
            format!("line {line}, column {column}: {}", warning_text(&w.kind))
        })
        .collect();
    let html = parsed
        .element
        .render(&RenderOptions::default())
        .map_err(|e| TemplateError::in_mjml(format!("cannot render MJML: {e}"), 1, 1))?;
    let (html, seen) = protected.restore(&html);
    // Every merge tag must survive. (Copies are fine: MJML repeats the title in an aria-label;
    // whether blocks still nest is checked when the HTML is compiled.)
    for ((tag, at, _), seen) in protected.tags.iter().zip(seen) {
        if !seen && !tag.starts_with("{{!") {
            let (line, column) = lines.line_column(source, *at);
            let message = format!("MJML drops the merge tag {tag} here; put it inside mj-text, mj-button, mj-raw or an attribute value");
            return Err(TemplateError::in_mjml(message, line, column)
                .because("template_tag_dropped", &[("tag", tag.to_string())]));
        }
    }
    Ok(CompiledMjml {
        html,
        title: parsed.element.get_title().map(|t| protected.restore(&t).0),
        preview: parsed
            .element
            .get_preview()
            .map(|p| protected.restore(&p).0),
        lang: parsed.element.attributes.lang.clone(),
        warnings,
    })
}
