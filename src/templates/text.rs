//! The plain-text part of an email, derived once per template from its HTML (merge tags
//! included), so every customer's text part costs a plan render, not an HTML conversion.

use super::mustache::{is_block_tag, tag_ranges};

/// Elements whose content is never text.
const SKIPPED: &[&str] = &["head", "style", "script", "title"];
/// Elements that end a line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
];

/// Keeps the block merge tags found in markup that is dropped, so blocks still nest.
fn keep_block_tags(dropped: &str, out: &mut String) {
    for (s, e) in tag_ranges(dropped) {
        if is_block_tag(&dropped[s..e]) {
            out.push_str(&dropped[s..e]);
        }
    }
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!(" {name}="))? + name.len() + 2;
    let rest = &tag[at..];
    let quote = rest.chars().next()?;
    if quote == '"' || quote == '\'' {
        rest[1..].find(quote).map(|end| &rest[1..1 + end])
    } else {
        Some(rest.split([' ', '>']).next().unwrap_or(""))
    }
}

/// Decodes the HTML entities text may carry (`&amp;`, `&#233;`, …).
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Converts email HTML (with merge tags) to a plain-text template.
pub fn html_to_text_template(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 4);
    let mut pos = 0;
    let mut pending_href: Vec<Option<String>> = Vec::new();
    let lower = html.to_ascii_lowercase();
    while pos < html.len() {
        let Some(lt) = html[pos..].find('<').map(|i| pos + i) else {
            push_text(&mut out, &html[pos..]);
            break;
        };
        push_text(&mut out, &html[pos..lt]);
        if html[lt..].starts_with("<!--") {
            let end = html[lt..].find("-->").map_or(html.len(), |e| lt + e + 3);
            keep_block_tags(&html[lt..end], &mut out);
            pos = end;
            continue;
        }
        let Some(gt) = find_tag_end(html, lt) else {
            push_text(&mut out, &html[lt..]);
            break;
        };
        let tag = &html[lt..=gt];
        let closing = tag.starts_with("</");
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        pos = gt + 1;
        if !closing && SKIPPED.contains(&name.as_str()) {
            let close = format!("</{name}");
            let end = lower[pos..].find(&close).map_or(html.len(), |e| pos + e);
            keep_block_tags(&html[pos..end], &mut out);
            pos = html[end..].find('>').map_or(html.len(), |e| end + e + 1);
            continue;
        }
        // Hidden content (the preheader MJML puts at the top) is not part of the text.
        let hidden = !closing
            && !tag.ends_with("/>")
            && attribute(tag, "style").is_some_and(|st| {
                st.replace(' ', "")
                    .to_ascii_lowercase()
                    .contains("display:none")
            });
        if hidden {
            let end = matching_close(&lower, pos, &name);
            keep_block_tags(&html[pos..end], &mut out);
            pos = html[end..].find('>').map_or(html.len(), |e| end + e + 1);
            continue;
        }
        keep_block_tags(tag, &mut out);
        match (name.as_str(), closing) {
            ("br", _) => out.push('\n'),
            ("a", false) => pending_href.push(attribute(tag, "href").map(str::to_string)),
            ("a", true) => {
                if let Some(Some(href)) = pending_href.pop() {
                    let href = decode_entities(&href);
                    if !href.is_empty() && href != "#" && !out.trim_end().ends_with(href.as_str()) {
                        out.push_str(" (");
                        out.push_str(&href);
                        out.push(')');
                    }
                }
            }
            ("img", _) => {
                if let Some(alt) = attribute(tag, "alt").filter(|a| !a.trim().is_empty()) {
                    push_text(&mut out, alt);
                }
            }
            (n, _) if BLOCKS.contains(&n) => out.push('\n'),
            ("td", true) => out.push(' '),
            _ => {}
        }
    }
    tidy(&out)
}

/// Where the element `name` opened just before `from` closes (same-name elements nest).
fn matching_close(lower: &str, from: usize, name: &str) -> usize {
    let (open, close) = (format!("<{name}"), format!("</{name}"));
    let mut depth = 1;
    let mut pos = from;
    while let Some(i) = lower[pos..].find('<').map(|i| pos + i) {
        let rest = &lower[i..];
        let boundary = |s: &str, prefix: &str| {
            s.starts_with(prefix) && s[prefix.len()..].starts_with(['>', ' ', '/'])
        };
        if boundary(rest, &close) {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        } else if boundary(rest, &open) {
            depth += 1;
        }
        pos = i + 1;
    }
    lower.len()
}

/// The `>` ending the tag at `lt`, skipping `>` inside quoted attribute values.
fn find_tag_end(html: &str, lt: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, &b) in html.as_bytes()[lt..].iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return Some(lt + i),
            _ => {}
        }
    }
    None
}

/// Text content: whitespace collapses as in HTML; entities decode.
fn push_text(out: &mut String, s: &str) {
    let decoded = decode_entities(s);
    for (i, word) in decoded
        .split(|c: char| c.is_whitespace() && c != '\u{a0}')
        .enumerate()
    {
        if i > 0 && !out.ends_with([' ', '\n']) && !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// Trims each line and keeps at most one blank line in a row (for the template, and again for
/// each rendered text, where skipped blocks leave blank lines behind).
pub fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    // Zero-width spaces (MJML's spacers) count as blank too.
    for line in s.lines().map(|l| {
        l.trim_matches(|c: char| {
            c.is_whitespace() || matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}')
        })
    }) {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_merge_tags_links_and_blocks() {
        let html = "<html><head><title>{{subject}}</title><style>p{}</style></head><body>\
            <div><p>Hello {{first_name}} &amp; co</p><!--[if mso]>{{#if vip}}<![endif]--><p>VIP</p>{{/if}}\
            <a href=\"https://x.test/{{id}}\">Shop now</a></div></body></html>";
        let text = html_to_text_template(html);
        assert_eq!(text, "Hello {{first_name}} & co\n{{#if vip}}\nVIP\n{{/if}}Shop now (https://x.test/{{id}})\n");
    }
}
