//! What the CLI prints is safe for a terminal: customer data can hold escape sequences (a name
//! of `\x1b]0;…` retitles the window, `\x1b[2J` clears it) and bidirectional controls that
//! reorder a line. Human-readable output escapes them as `\u{…}`; JSON output escapes them in
//! JSON's own way, so it parses to the same values.

use std::borrow::Cow;

/// Characters a terminal would act on or reorder instead of showing.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `text` with each unsafe character written by `escape`.
fn escaped(text: &str, escape: fn(char) -> String) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if is_unsafe(c) {
                    escape(c)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// `text` with every unsafe character written as `\u{XXXX}`.
pub fn safe(text: &str) -> Cow<'_, str> {
    escaped(text, |c| format!("\\u{{{:04x}}}", c as u32))
}

/// A value as one line of JSON whose strings escape what `serde_json` leaves raw (C1 controls,
/// bidirectional controls): those can only occur inside strings, where `\uXXXX` means the same.
pub fn json(value: &impl serde::Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    escaped(&text, |c| format!("\\u{:04x}", c as u32)).into_owned()
}

/// Prints a line to stdout, terminal-safe.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", $crate::terminal::safe(&format!($($arg)*)))
    };
}

/// Prints a line to stderr, terminal-safe.
macro_rules! tell {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::terminal::safe(&format!($($arg)*)))
    };
}

pub(crate) use {say, tell};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_run() {
        assert_eq!(safe("Ann\u{1b}[2J"), "Ann\\u{001b}[2J");
        assert_eq!(safe("two\nlines\tok"), "two\nlines\tok");
        assert_eq!(safe("\u{202e}evil"), "\\u{202e}evil");
        let j = json(&serde_json::json!({"name": "a\u{9b}b\u{1b}"}));
        assert_eq!(j, r#"{"name":"a\u009bb\u001b"}"#);
        let back: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back["name"], "a\u{9b}b\u{1b}");
    }
}
