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

/// 1-based line and column (in characters) of byte `offset` in `s`.
pub fn line_column(s: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(s.len());
    let before = &s[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
