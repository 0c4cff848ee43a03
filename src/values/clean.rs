//! What imported text is cleaned of before it is stored. Identifiers (email, phone, external id)
//! are matched in one canonical form, so invisible characters or full-width letters copied from
//! a spreadsheet cannot split one person into several; names and other text lose the control
//! characters that would break a header, a terminal or a layout (each cleaning is reported).

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// Characters that occupy no space and carry no letter: zero-width spaces and joiners used as
/// separators, byte-order marks, soft hyphens and the bidirectional controls that can make text
/// display in an order other than the one it is stored in.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// An identifier as it is matched: compatibility-normalized (full-width `ａｎｎ＠` is `ann@`),
/// without invisible or control characters, with every kind of space as one ASCII space, trimmed.
pub fn identifier(raw: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_graphic() || c == ' ';
    let trimmed = raw.trim_matches(|c: char| c == ' ' || c == '\t');
    if trimmed.chars().all(plain) {
        return Cow::Borrowed(trimmed);
    }
    let cleaned: String = raw
        .nfkc()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    Cow::Owned(cleaned.trim().to_string())
}

/// How a text value was cleaned, for the import's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleaned {
    Unchanged,
    /// Control or invisible characters were removed.
    Removed,
}

/// A name as stored: composed (NFC), without control characters, byte-order marks or
/// bidirectional controls, runs of spaces (any kind) as one space, trimmed. Zero-width joiners
/// stay: they hold emoji sequences and some scripts together.
pub fn name(raw: &str) -> (Cow<'_, str>, Cleaned) {
    clean(raw, false)
}

/// Free text (attributes, event properties): as [`name`], but line breaks and tabs are kept
/// (a note may have several lines) and spaces are not collapsed.
pub fn text(raw: &str) -> (Cow<'_, str>, Cleaned) {
    clean(raw, true)
}

fn clean(raw: &str, free_text: bool) -> (Cow<'_, str>, Cleaned) {
    let unwanted = |c: char| {
        // In a name a line break or tab separates words: it becomes a space below.
        let kept_control = if free_text {
            matches!(c, '\n' | '\t')
        } else {
            c.is_whitespace()
        };
        (c.is_control() && !kept_control)
            || matches!(c, '\u{FEFF}' | '\u{200B}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    let odd_space = |c: char| !free_text && c.is_whitespace() && c != ' ';
    let needs_work = raw
        .chars()
        .any(|c| unwanted(c) || odd_space(c) || !c.is_ascii())
        || (!free_text && raw.contains("  "));
    if !needs_work {
        return (Cow::Borrowed(raw.trim()), Cleaned::Unchanged);
    }
    let removed = raw
        .chars()
        .any(|c| unwanted(c) || (c.is_control() && !free_text));
    let mut out = String::with_capacity(raw.len());
    for c in raw.nfc().filter(|c| !unwanted(*c)) {
        if !free_text && c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    let out = out.trim().to_string();
    (
        Cow::Owned(out),
        if removed {
            Cleaned::Removed
        } else {
            Cleaned::Unchanged
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_lose_what_cannot_be_seen() {
        for raw in [
            "ann@example.com",
            "\u{FEFF}ann@example.com",
            "ann@example.com\u{200B}",
            "\u{00A0}ann@example.com\u{00A0}",
            "ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "ann@exam\u{00AD}ple.com",
        ] {
            assert_eq!(identifier(raw), "ann@example.com", "{raw:?}");
        }
    }

    #[test]
    fn names_lose_controls_but_keep_emoji_and_cjk() {
        assert_eq!(name("Evil\r\nBcc: x@evil.com").0, "Evil Bcc: x@evil.com");
        assert_eq!(name("Evil\r\nBcc: x").1, Cleaned::Removed);
        assert_eq!(name("王\u{3000}芳").0, "王 芳");
        let family = "Zoë 👨\u{200D}👩\u{200D}👧";
        assert_eq!(name(family), (Cow::Borrowed(family), Cleaned::Unchanged));
        assert_eq!(name("\u{202E}evil").0, "evil");
        assert_eq!(name("Jose\u{301}").0, "José");
        assert_eq!(text("line one\nline two\u{7}").0, "line one\nline two");
    }
}
