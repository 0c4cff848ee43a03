//! A rendered email as a real MIME message: multipart/alternative (plain text + HTML), UTF-8
//! headers as RFC 2047 encoded words, List-Unsubscribe (RFC 2369 / 8058).
//!
//! Every header is built from a typed value, never from raw text: addresses are parsed and
//! checked, display names and subjects are quoted or encoded (a line break in customer data
//! becomes a space, never a new header), Message-IDs are made of safe characters only. Written
//! here rather than with a MIME crate so the output is byte-for-byte reproducible (the manifest
//! hashes it) and costs no allocation per header; `tests/engine/render.rs` reads the result back
//! with a real MIME parser.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::templates::RenderedEmail;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error(
        "'{0}' is not an email address (write name@example.com or \"Name <name@example.com>\")"
    )]
    Address(String),
    #[error("the unsubscribe link '{0}' must be an https://, http:// or mailto: link of printable ASCII without spaces (percent-encode the rest)")]
    Unsubscribe(String),
    #[error("the unsubscribe link may not name the customer ({0}): links carry an opaque token, write {{token}}")]
    PersonalLink(String),
}

crate::coded!(HeaderError {
    _ => InvalidAddress,
});

/// A sender or recipient: an optional display name and a checked address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl Mailbox {
    /// `name@example.com` or `Display Name <name@example.com>` (the name may be quoted).
    pub fn parse(text: &str) -> Result<Mailbox, HeaderError> {
        let bad = || HeaderError::Address(text.to_string());
        if text.chars().any(char::is_control) {
            return Err(bad());
        }
        let text = text.trim();
        let (name, address) = match text.rfind('<') {
            Some(open) if text.ends_with('>') => {
                let name = text[..open].trim().trim_matches('"').trim();
                (
                    Some(name.to_string()).filter(|n| !n.is_empty()),
                    &text[open + 1..text.len() - 1],
                )
            }
            Some(_) => return Err(bad()),
            None => (None, text),
        };
        Mailbox::new(name, address).ok_or_else(bad)
    }

    /// A mailbox from stored data (a customer's name and address); `None` if the address is not
    /// one. Control characters in the name are dropped.
    pub fn new(name: Option<String>, address: &str) -> Option<Mailbox> {
        let address = address.trim();
        let plain = address.is_ascii() && !address.contains(['"', '<', '>', ' ']);
        let checked = crate::values::normalize_email(address).filter(|_| plain)?;
        Some(Mailbox {
            name: name.map(|n| one_line(&n)).filter(|n| !n.is_empty()),
            address: checked,
        })
    }

    fn header_value(&self) -> String {
        match &self.name {
            None => self.address.clone(),
            Some(name) => format!("{} <{}>", display_name(name), self.address),
        }
    }
}

/// The characters a display name may have unquoted (RFC 5322 `atext` and spaces).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ' ' || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn display_name(name: &str) -> String {
    if name.chars().all(is_atext) && !name.contains("=?") {
        name.to_string()
    } else if name.bytes().all(|b| (0x20..0x7f).contains(&b)) && !name.contains("=?") {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        encoded_words(name)
    }
}

/// A one-line header text (a subject): line breaks and other control characters become
/// spaces; printable ASCII is folded at spaces, anything else becomes encoded words.
pub fn unstructured(text: &str) -> String {
    let line = one_line(text);
    let line = line.as_str();
    if line.bytes().all(|b| (0x20..0x7f).contains(&b)) && !line.contains("=?") {
        fold(line)
    } else {
        encoded_words(line)
    }
}

/// `text` on one line: control characters and Unicode line and paragraph separators as
/// spaces, runs of spaces as one, trimmed.
fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            ' '
        } else {
            c
        };
        if !(c == ' ' && line.ends_with(' ')) {
            line.push(c);
        }
    }
    line.trim().to_string()
}

/// Folds printable ASCII at spaces so lines stay under 78 characters where words allow.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut width = 0;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            if width + 1 + word.len() > 76 {
                out.push_str("\r\n ");
                width = 1;
            } else {
                out.push(' ');
                width += 1;
            }
        }
        out.push_str(word);
        width += word.len();
    }
    out
}

/// Base64 encoded words of whole characters, each under 76 characters, one per folded line.
pub fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(&chunk)));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(&chunk)));
    }
    words.join("\r\n ")
}

/// A link checked for the List-Unsubscribe header and for templates: `https://`, `http://` or
/// `mailto:`, printable ASCII, no spaces or angle brackets.
pub fn check_unsubscribe_link(link: &str) -> Result<(), HeaderError> {
    let lower = link.to_ascii_lowercase();
    let scheme_ok = ["https://", "http://", "mailto:"]
        .iter()
        .any(|s| lower.starts_with(s) && lower.len() > s.len());
    let chars_ok = link
        .bytes()
        .all(|b| (0x21..0x7f).contains(&b) && !matches!(b, b'<' | b'>' | b'"'));
    if scheme_ok && chars_ok {
        Ok(())
    } else {
        Err(HeaderError::Unsubscribe(link.to_string()))
    }
}

pub struct Envelope<'a> {
    pub from: &'a Mailbox,
    pub to: Mailbox,
    /// The one-click page and the mail link, already checked with [`check_unsubscribe_link`].
    pub unsubscribe_url: &'a str,
    pub unsubscribe_mailto: &'a str,
    /// Letters, digits, `.` and `-` only (see `message_id`).
    pub message_id: String,
    pub date: &'a str,
}

/// The Message-ID of a run's message to a customer: a hash of both at the sender's domain, the
/// same on every render and send of it, naming no one (nothing a user typed reaches it but the
/// domain of a checked address).
pub fn message_id(run: &str, customer_id: i64, from: &Mailbox) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(run.as_bytes());
    hasher.update(b"\0");
    hasher.update(&customer_id.to_le_bytes());
    let domain = from.address.rsplit_once('@').map_or("tessera.local", |(_, d)| d);
    format!("<{}@{domain}>", &hasher.finalize().to_hex()[..32])
}

fn base64_body(out: &mut String, body: &str) {
    let encoded = STANDARD.encode(body.as_bytes());
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
}

/// A header value may break lines only to fold them (CRLF followed by a space).
fn folds_only(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'\r' => bytes.get(i + 1) == Some(&b'\n') && bytes.get(i + 2) == Some(&b' '),
        b'\n' => i > 0 && bytes[i - 1] == b'\r',
        _ => true,
    })
}

pub fn to_eml(email: &RenderedEmail, env: &Envelope) -> String {
    let boundary = format!(
        "=_tessera_{}",
        &blake3::hash(env.message_id.as_bytes()).to_hex()[..24]
    );
    let mut out = String::with_capacity(email.html.len() * 4 / 3 + email.text.len() * 4 / 3 + 1024);
    let mut header = |name: &str, value: &str| {
        // Every value comes from the builders above; this holds by construction.
        debug_assert!(folds_only(value), "{name}: {value:?}");
        out.push_str(name);
        out.push_str(": ");
        if folds_only(value) {
            out.push_str(value);
        } else {
            out.push_str(&unstructured(value));
        }
        out.push_str("\r\n");
    };
    header("From", &env.from.header_value());
    header("To", &env.to.header_value());
    header("Subject", &unstructured(&email.subject));
    header("Date", env.date);
    header("Message-ID", &env.message_id);
    header("MIME-Version", "1.0");
    // RFC 8058: the one-click page (answered by `tessera serve`) and a mail link.
    let links: Vec<String> = [env.unsubscribe_url, env.unsubscribe_mailto]
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| format!("<{l}>"))
        .collect();
    if !links.is_empty() {
        header("List-Unsubscribe", &links.join(",\r\n "));
    }
    if env.unsubscribe_url.starts_with("https://") || env.unsubscribe_url.starts_with("http://") {
        header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }
    header(
        "Content-Type",
        &format!("multipart/alternative; boundary=\"{boundary}\""),
    );
    out.push_str("\r\n");
    for (mime, body) in [("text/plain", &email.text), ("text/html", &email.html)] {
        out.push_str(&format!("--{boundary}\r\nContent-Type: {mime}; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"));
        base64_body(&mut out, body);
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_subject_is_an_encoded_word() {
        let h = unstructured("欢迎，张伟！");
        assert!(h.starts_with("=?UTF-8?B?") && h.ends_with("?="));
        let inner = h.trim_start_matches("=?UTF-8?B?").trim_end_matches("?=");
        assert_eq!(
            String::from_utf8(STANDARD.decode(inner).unwrap()).unwrap(),
            "欢迎，张伟！"
        );
        assert_eq!(unstructured("Hello"), "Hello");
    }

    #[test]
    fn line_breaks_in_data_never_start_a_header() {
        assert_eq!(unstructured("Hi\r\nBcc: x@evil.com"), "Hi Bcc: x@evil.com");
        let to = Mailbox::new(Some("Evil\r\nBcc: x@evil.com".into()), "v@example.com").unwrap();
        assert_eq!(
            to.header_value(),
            "\"Evil Bcc: x@evil.com\" <v@example.com>"
        );
        for bad in [
            "a@b.com\r\nBcc: x@evil.com",
            "Name <a@b.com>\nBcc: x",
            "x",
            "<a@b.com",
            "Name <a@b.com> extra",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Mailbox::parse("Tessera Demo <hello@tessera.local>").unwrap(),
            Mailbox {
                name: Some("Tessera Demo".into()),
                address: "hello@tessera.local".into()
            }
        );
        for bad in [
            "https://x.com/u?e={email}\r\nBcc: x",
            "javascript:alert(1)",
            "https://x.com/ü",
            "https://",
        ] {
            assert!(check_unsubscribe_link(bad).is_err(), "{bad:?}");
        }
        assert!(check_unsubscribe_link("mailto:u@x.com?subject=unsubscribe-{token}").is_ok());
        let from = Mailbox::parse("Shop <hello@shop.example>").unwrap();
        let id = message_id("welcome\r\nBcc: x", 7, &from);
        assert!(id.ends_with("@shop.example>") && !id.contains(['\r', '\n']), "{id}");
        assert_eq!(id, message_id("welcome\r\nBcc: x", 7, &from));
        assert_ne!(id, message_id("welcome\r\nBcc: x", 8, &from));
    }
}
