//! Finding Handlebars tags in text, without parsing them: for the MJML layer (which must not
//! see them) and the plain-text conversion (which must keep block tags).

/// Byte ranges of every `{{...}}`, `{{{...}}}` and `{{!-- ... --}}` in `s`, in order.
pub fn tag_ranges(s: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut pos = 0;
    while let Some(found) = s[pos..].find("{{") {
        let start = pos + found;
        if start > 0 && s.as_bytes()[start - 1] == b'\\' {
            pos = start + 2;
            continue;
        }
        let rest = &s[start..];
        let close = if rest.starts_with("{{!--") {
            "--}}"
        } else if rest.starts_with("{{{") {
            "}}}"
        } else {
            "}}"
        };
        let Some(end) = rest[2..].find(close).map(|e| start + 2 + e + close.len()) else {
            break;
        };
        ranges.push((start, end));
        pos = end;
    }
    ranges
}

/// A tag that opens, continues or closes a block (`{{#if}}`, `{{else}}`, `{{/if}}`, `{{^}}`).
pub fn is_block_tag(tag: &str) -> bool {
    let inner = tag
        .trim_start_matches('{')
        .trim_start_matches('~')
        .trim_start();
    inner.starts_with('#')
        || inner.starts_with('/')
        || inner.starts_with('^')
        || inner.starts_with("else")
}

/// Deepest nesting of blocks (`{{#if}}`, `{{#each}}`, …) a template may have: the Handlebars
/// parser and the plans recurse once per level, and a thread's stack is finite.
pub const MAX_BLOCK_DEPTH: usize = 64;
/// Deepest nesting of subexpressions (`(lower (trim x))`).
pub const MAX_SUBEXPRESSION_DEPTH: usize = 16;

/// Refuses nesting beyond the limits, at the tag that goes too deep.
pub fn check_nesting(source: &str) -> Result<(), super::TemplateError> {
    let lines = LineIndex::new(source);
    let too_deep = |at: usize, message: String| {
        let (line, column) = lines.line_column(source, at);
        Err(super::TemplateError::at(message, line, column))
    };
    let mut depth = 0usize;
    for (start, end) in tag_ranges(source) {
        let tag = &source[start..end];
        let inner = tag
            .trim_start_matches('{')
            .trim_start_matches('~')
            .trim_start();
        if inner.starts_with('!') {
            continue;
        }
        let opens = inner.starts_with('#')
            || (inner.starts_with('^') && !inner[1..].trim_start().starts_with(['}', '~']));
        if opens {
            depth += 1;
            if depth > MAX_BLOCK_DEPTH {
                return too_deep(
                    start,
                    format!("blocks nest deeper than {MAX_BLOCK_DEPTH} levels here"),
                );
            }
        } else if inner.starts_with('/') {
            depth = depth.saturating_sub(1);
        }
        let (mut parens, mut deepest, mut quote) = (0usize, 0usize, None);
        for c in inner.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '"' | '\'' => quote = Some(c),
                    '(' => {
                        parens += 1;
                        deepest = deepest.max(parens);
                    }
                    ')' => parens = parens.saturating_sub(1),
                    _ => {}
                },
            }
        }
        if deepest > MAX_SUBEXPRESSION_DEPTH {
            return too_deep(
                start,
                format!("subexpressions nest deeper than {MAX_SUBEXPRESSION_DEPTH} levels here"),
            );
        }
    }
    Ok(())
}

/// Where lines start in a text, for many offset → (line, column) lookups in linear time.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(s: &str) -> LineIndex {
        LineIndex {
            starts: std::iter::once(0)
                .chain(s.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        }
    }

    /// As [`line_column`], for the text this index was made of.
    pub fn line_column(&self, s: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(s.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = s
            .get(start..offset)
            .map_or(1, |before| before.chars().count() + 1);
        (line, column)
    }
}
