//! Where in an HTML document a merge tag sits, as far as safety goes: whether it starts the value
//! of an attribute that holds a URL (`href="{{link}}"`), where a customer's `javascript:` link
//! would run when clicked; and whether it is in CSS (a `style` attribute or a `<style>`
//! element, a colour attribute, MJML's attributes that become styles), where a customer's
//! `red;background:url(…)` would add a rule (a tracking beacon). The inside of Outlook's
//! conditional comments is read as the HTML it is.
//! A small tokenizer over the template's static text, in document order; plans consult it while
//! compiling, once per template.

/// Attributes whose value a browser follows or loads as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "poster",
    "cite",
    "xlink:href",
    "longdesc",
    "usemap",
    "data",
    // MJML's, for templates checked before MJML makes them HTML.
    "background-url",
    "thumbnails-src",
];

/// A comment just opened: `[` next makes it a conditional comment, whose inside is HTML.
const OPENED: u8 = 3;

/// Attributes of MJML's elements (`mj-…`) that are not CSS; MJML writes the others into styles.
const MJML_PLAIN: &[&str] = &[
    "href",
    "src",
    "srcset",
    "sizes",
    "usemap",
    "alt",
    "title",
    "rel",
    "target",
    "name",
    "id",
    "lang",
    "dir",
    "css-class",
    "mj-class",
    "owa",
    "mode",
    "background-url",
    "thumbnails-src",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Text,
    TagOpen,
    TagName,
    /// `</…>`, `<!doctype …>`: skipped to `>`.
    Skip,
    InTag,
    AttributeName,
    AfterAttributeName,
    BeforeValue,
    /// Inside a value, with its quote (`None`: unquoted).
    Value(Option<u8>),
    /// Inside `<!-- … -->`, with how many `-` were just seen (`OPENED` right after `<!--`).
    Comment(u8),
    /// Inside a `<style>` element, with how much of `</style` was just seen.
    StyleText(u8),
}

#[derive(Debug, Clone, Default)]
pub struct HtmlContext {
    state: State,
    /// How the style element being read ends (`</style`, `</mj-style`).
    style_end: &'static [u8],
    /// The name of the tag being read (lowercase).
    tag: String,
    attribute: String,
    /// Whether the current attribute value has content already (static or from a merge tag).
    value_started: bool,
    /// Bytes of a `<!--` being recognized after `<!`.
    bang: u8,
}

impl HtmlContext {
    /// Follows the document through `text`.
    pub fn feed(&mut self, text: &str) {
        for &b in text.as_bytes() {
            self.step(b);
        }
    }

    /// Whether a merge tag here would start a URL attribute's value.
    pub fn at_url_start(&self) -> bool {
        matches!(self.state, State::Value(_) | State::BeforeValue)
            && !self.value_started
            && URL_ATTRIBUTES
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&self.attribute))
    }

    /// Whether a merge tag here would be read as CSS.
    pub fn in_css(&self) -> bool {
        match self.state {
            State::StyleText(_) => true,
            State::Value(_) | State::BeforeValue => {
                ["style", "bgcolor", "color"]
                    .iter()
                    .any(|a| self.attribute.eq_ignore_ascii_case(a))
                    || (self.tag.starts_with("mj-")
                        && !MJML_PLAIN
                            .iter()
                            .any(|a| a.eq_ignore_ascii_case(&self.attribute)))
            }
            _ => false,
        }
    }

    /// A merge tag's output goes here: an attribute value now has content.
    pub fn dynamic_content(&mut self) {
        match self.state {
            State::Value(_) => self.value_started = true,
            State::BeforeValue => {
                self.state = State::Value(None);
                self.value_started = true;
            }
            _ => {}
        }
    }

    fn step(&mut self, b: u8) {
        let space = b.is_ascii_whitespace();
        self.state = match self.state {
            State::Text => {
                if b == b'<' {
                    State::TagOpen
                } else {
                    State::Text
                }
            }
            State::TagOpen => match b {
                b'!' => {
                    self.bang = 0;
                    State::Skip
                }
                b'/' | b'?' => {
                    self.bang = 3;
                    State::Skip
                }
                b if b.is_ascii_alphabetic() => {
                    self.tag.clear();
                    self.tag.push(b.to_ascii_lowercase() as char);
                    State::TagName
                }
                b'<' => State::TagOpen,
                _ => State::Text,
            },
            State::TagName => match b {
                b'>' => self.tag_ends(),
                b'/' => State::InTag,
                _ if space => State::InTag,
                _ => {
                    self.tag.push(b.to_ascii_lowercase() as char);
                    State::TagName
                }
            },
            State::Skip => {
                // `<!--` opens a comment, which ends at `-->` rather than at the first `>`.
                if b == b'-' && self.bang < 2 {
                    self.bang += 1;
                    if self.bang == 2 {
                        self.bang = 3;
                        State::Comment(OPENED)
                    } else {
                        State::Skip
                    }
                } else {
                    self.bang = 3;
                    if b == b'>' {
                        State::Text
                    } else {
                        State::Skip
                    }
                }
            }
            // `<!--[if mso]>…<![endif]-->`: what Outlook reads as HTML is read as HTML here.
            State::Comment(OPENED) if b == b'[' => {
                self.bang = 3;
                State::Skip
            }
            State::Comment(dashes) => match b {
                b'-' => State::Comment((dashes % OPENED + 1).min(2)),
                b'>' if dashes >= 2 => State::Text,
                _ => State::Comment(0),
            },
            State::StyleText(seen) => {
                let seen = usize::from(seen);
                if b.to_ascii_lowercase() == self.style_end[seen] {
                    if seen + 1 == self.style_end.len() {
                        self.bang = 3;
                        State::Skip
                    } else {
                        State::StyleText(seen as u8 + 1)
                    }
                } else if b == b'<' {
                    State::StyleText(1)
                } else {
                    State::StyleText(0)
                }
            }
            State::InTag => match b {
                b'>' => self.tag_ends(),
                b'/' => State::InTag,
                _ if space => State::InTag,
                _ => self.attribute_starts(b),
            },
            State::AttributeName => match b {
                b'=' => self.value_expected(),
                b'>' => self.tag_ends(),
                b'/' => State::InTag,
                _ if space => State::AfterAttributeName,
                _ => {
                    self.attribute.push(b as char);
                    State::AttributeName
                }
            },
            State::AfterAttributeName => match b {
                b'=' => self.value_expected(),
                b'>' => self.tag_ends(),
                b'/' => State::InTag,
                _ if space => State::AfterAttributeName,
                _ => self.attribute_starts(b),
            },
            State::BeforeValue => match b {
                b'"' | b'\'' => State::Value(Some(b)),
                b'>' => self.tag_ends(),
                _ if space => State::BeforeValue,
                _ => {
                    self.value_started = true;
                    State::Value(None)
                }
            },
            State::Value(Some(quote)) => {
                if b == quote {
                    State::InTag
                } else {
                    if !space {
                        self.value_started = true;
                    }
                    State::Value(Some(quote))
                }
            }
            State::Value(None) => match b {
                b'>' => self.tag_ends(),
                _ if space => State::InTag,
                _ => State::Value(None),
            },
        };
    }

    /// The end of a start tag: a `<style>` element's text follows, or the document's.
    fn tag_ends(&mut self) -> State {
        self.style_end = match self.tag.as_str() {
            "style" => b"</style",
            "mj-style" => b"</mj-style",
            _ => return State::Text,
        };
        State::StyleText(0)
    }

    fn attribute_starts(&mut self, b: u8) -> State {
        self.attribute.clear();
        self.attribute.push(b as char);
        State::AttributeName
    }

    fn value_expected(&mut self) -> State {
        self.value_started = false;
        State::BeforeValue
    }
}

/// Whether `url` may be followed: http, https, mailto and tel links, and relative ones. Read as a
/// browser reads it (surrounding spaces and control characters ignored, tabs and line breaks
/// removed); `raw` output can also hide a `:` in an entity, so an `&` before it is refused too.
pub fn is_safe_url(url: &str, raw: bool) -> bool {
    let cleaned: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let end = cleaned.find([':', '/', '?', '#']).unwrap_or(cleaned.len());
    let scheme = &cleaned[..end];
    if raw && scheme.contains('&') {
        return false;
    }
    if cleaned.as_bytes().get(end) != Some(&b':') {
        // No scheme: a path, a fragment or `//host` (the page's own scheme).
        return true;
    }
    ["http", "https", "mailto", "tel"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_start_after(html: &str) -> bool {
        let mut c = HtmlContext::default();
        c.feed(html);
        c.at_url_start()
    }

    #[test]
    fn finds_the_start_of_url_attribute_values() {
        assert!(url_start_after(r#"<a class="x" href=""#));
        assert!(url_start_after(r#"<img alt='a' SRC='"#));
        assert!(url_start_after("<a href="));
        assert!(!url_start_after(r#"<a href="https://shop.example/?id="#));
        assert!(!url_start_after(r#"<a title=""#));
        assert!(!url_start_after(r#"<a href="x">"#));
        assert!(!url_start_after(r#"<!-- <a href=" -->"#));
        assert!(!url_start_after(r#"<p>href=""#));
        let mut c = HtmlContext::default();
        c.feed(r#"<a href=""#);
        c.dynamic_content();
        assert!(!c.at_url_start(), "only the first tag decides the scheme");
    }

    #[test]
    fn only_followable_schemes_are_safe() {
        for ok in [
            "https://shop.example/a",
            "HTTP://x",
            "mailto:a@b.c",
            "tel:+123",
            "/relative",
            "page.html",
            "#top",
            "//cdn.example/x.png",
            "",
        ] {
            assert!(is_safe_url(ok, false), "{ok}");
        }
        for bad in [
            "javascript:alert(4)",
            " JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "\u{1}javascript:x",
            "data:text/html,<script>",
            "vbscript:x",
        ] {
            assert!(!is_safe_url(bad, false), "{bad:?}");
        }
        assert!(!is_safe_url("javascript&#58;alert(1)", true));
    }
}
