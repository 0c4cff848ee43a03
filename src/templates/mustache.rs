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

    /// The byte offset of a 1-based line and column (in characters), clamped to the text.
    pub fn offset(&self, s: &str, line: usize, column: usize) -> usize {
        let start = self.starts[line.clamp(1, self.starts.len()) - 1];
        s[start..]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(s.len(), |(i, _)| start + i)
    }

    /// The 1-based line and column (in characters) of byte `offset` in `s`, the text this
    /// index was made of.
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

/// Places an error found in text generated from `source` (MJML's HTML, the plain-text part)
/// at the merge tag it concerns in `source`: the tag at or before the error, matched to the
/// same tag in the source by how many times it occurs before (MJML keeps tags in order).
pub fn locate_in_source(
    generated: &str,
    source: &str,
    error: super::TemplateError,
) -> super::TemplateError {
    let (line, column) = place_in_source(generated, source, error.line, error.column);
    super::TemplateError {
        message: format!(
            "{} (after MJML placed the merge tags; check that each block opens and closes inside the same element)",
            error.message
        ),
        line,
        column,
        ..error
    }
}

/// The place in `source` of the merge tag at (`line`, `column`) of `generated` (the k-th use of
/// the same tag text there is taken to be its k-th use in the source).
pub fn place_in_source(
    generated: &str,
    source: &str,
    line: usize,
    column: usize,
) -> (usize, usize) {
    let generated_lines = LineIndex::new(generated);
    let at = generated_lines.offset(generated, line, column);
    let tags = tag_ranges(generated);
    let near = tags
        .iter()
        .rposition(|(start, _)| *start <= at)
        .or(if tags.is_empty() { None } else { Some(0) });
    let place = near.and_then(|i| {
        let text = &generated[tags[i].0..tags[i].1];
        let before = tags[..i]
            .iter()
            .filter(|(s, e)| &generated[*s..*e] == text)
            .count();
        let in_source: Vec<usize> = tag_ranges(source)
            .into_iter()
            .filter(|(s, e)| &source[*s..*e] == text)
            .map(|(s, _)| s)
            .collect();
        in_source.get(before).or(in_source.first()).copied()
    });
    place.map_or((1, 1), |offset| {
        LineIndex::new(source).line_column(source, offset)
    })
}

/// Sources shorter than this are parsed whole.
const PIECE_BYTES: usize = 4096;

/// A piece of a source: its byte range, and where it starts (1-based line and column).
pub struct Piece {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
}

/// Whether a tag is a plain expression (`{{x}}`, `{{{x}}}`, `{{&x}}`, `{{helper x}}`) without
/// whitespace control: the only tags Handlebars never treats as standing alone on their line.
fn is_plain(tag: &str) -> bool {
    let inner = tag.trim_start_matches('{');
    !inner.starts_with('~')
        && !tag.trim_end_matches('}').ends_with('~')
        && !inner
            .trim_start()
            .starts_with(['#', '^', '/', '!', '>', '*'])
        && !inner.trim_start().starts_with("else")
}

/// The source cut into pieces Handlebars parses separately with the same result. A cut falls
/// just before a plain expression, outside every block, and only where the text before it does
/// not leave a block tag standing alone at the end of the first piece; raw blocks
/// (`{{{{raw}}}}`) keep the source whole.
pub fn pieces(source: &str) -> Vec<Piece> {
    let whole = || {
        vec![Piece {
            start: 0,
            end: source.len(),
            line: 1,
            column: 1,
        }]
    };
    if source.len() <= PIECE_BYTES || source.contains("{{{{") {
        return whole();
    }
    let lines = LineIndex::new(source);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut previous: Option<(usize, usize)> = None;
    for (s, e) in tag_ranges(source) {
        let tag = &source[s..e];
        let between = &source[previous.map_or(start, |p| p.1.max(start))..s];
        let previous_plain =
            previous.is_none_or(|(ps, pe)| ps < start || is_plain(&source[ps..pe]));
        let safe_before = previous_plain || between.contains('\n') || !between.trim().is_empty();
        if s - start >= PIECE_BYTES && depth == 0 && is_plain(tag) && safe_before {
            let (line, column) = lines.line_column(source, start);
            pieces.push(Piece {
                start,
                end: s,
                line,
                column,
            });
            start = s;
        }
        let inner = tag
            .trim_start_matches('{')
            .trim_start_matches('~')
            .trim_start();
        if !inner.starts_with('!') {
            if inner.starts_with('#')
                || (inner.starts_with('^') && !inner[1..].trim_start().starts_with(['}', '~']))
            {
                depth += 1;
            } else if inner.starts_with('/') {
                depth = depth.saturating_sub(1);
            }
        }
        previous = Some((s, e));
    }
    if pieces.is_empty() {
        return whole();
    }
    let (line, column) = lines.line_column(source, start);
    pieces.push(Piece {
        start,
        end: source.len(),
        line,
        column,
    });
    pieces
}
