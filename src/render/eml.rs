//! A rendered email as a real MIME message: multipart/alternative (plain text + HTML), UTF-8
//! headers as RFC 2047 encoded words, List-Unsubscribe (RFC 2369 / 8058).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::templates::RenderedEmail;

pub struct Envelope<'a> {
    pub from: &'a str,
    pub to_name: Option<&'a str>,
    pub to_email: &'a str,
    pub unsubscribe_url: &'a str,
    pub message_id: String,
    pub date: &'a str,
}

/// `text` as a header value: as is if printable ASCII, else base64 encoded words of whole chars.
pub fn encode_header(text: &str) -> String {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text.to_string();
    }
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

fn mailbox(name: Option<&str>, email: &str) -> String {
    match name.filter(|n| !n.is_empty()) {
        Some(n) if n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ') => {
            format!("{n} <{email}>")
        }
        Some(n) if n.is_ascii() => format!("\"{}\" <{email}>", n.replace(['"', '\\'], "")),
        Some(n) => format!("{} <{email}>", encode_header(n)),
        None => email.to_string(),
    }
}

fn base64_body(out: &mut String, body: &str) {
    let encoded = STANDARD.encode(body.as_bytes());
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
}

pub fn to_eml(email: &RenderedEmail, env: &Envelope) -> String {
    let boundary = format!(
        "=_tessera_{}",
        &blake3::hash(env.message_id.as_bytes()).to_hex()[..24]
    );
    let mut out = String::with_capacity(email.html.len() * 4 / 3 + email.text.len() * 4 / 3 + 1024);
    let mut header = |name: &str, value: &str| {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    };
    header("From", env.from);
    header("To", &mailbox(env.to_name, env.to_email));
    header("Subject", &encode_header(&email.subject));
    header("Date", env.date);
    header("Message-ID", &env.message_id);
    header("MIME-Version", "1.0");
    header("List-Unsubscribe", &format!("<{}>", env.unsubscribe_url));
    if env.unsubscribe_url.starts_with("https://") {
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
        let h = encode_header("欢迎，张伟！");
        assert!(h.starts_with("=?UTF-8?B?") && h.ends_with("?="));
        let inner = h.trim_start_matches("=?UTF-8?B?").trim_end_matches("?=");
        assert_eq!(
            String::from_utf8(STANDARD.decode(inner).unwrap()).unwrap(),
            "欢迎，张伟！"
        );
        assert_eq!(encode_header("Hello"), "Hello");
    }
}
