//! DKIM signatures (RFC 6376) over the rendered messages as they are sent: `rsa-sha256`,
//! relaxed/relaxed canonicalization, with the user's key, domain and selector. The files stay
//! as rendered (the manifest hashes them); the signature is put in front of each as it goes out.
//!
//! Written here over the RSA and SHA-256 crates because the mail crates sign only messages they
//! build themselves (lettre) or bring a DNS resolver along (mail-auth); the tests verify the
//! signatures with an independent implementation (Python's dkimpy).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};

/// The headers signed, where the message has them (the ones a receiver shows or acts on).
const SIGNED: [&str; 9] = [
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "content-type",
];

#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    #[error("cannot read the DKIM key {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not an RSA private key in PEM (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)", .0.display())]
    Key(PathBuf),
    #[error("'{0}' is not a domain and selector DKIM can name (letters, digits, '-', '_' and dots)")]
    Name(String),
}

crate::coded!(DkimError {
    DkimError::Read { .. } => Io,
    DkimError::Key(_) | DkimError::Name(_) => InvalidInput,
});

pub struct DkimSigner {
    domain: String,
    selector: String,
    key: RsaPrivateKey,
}

impl std::fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DKIM {}._domainkey.{}", self.selector, self.domain)
    }
}

fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl DkimSigner {
    pub fn load(domain: &str, selector: &str, key_file: &Path) -> Result<DkimSigner, DkimError> {
        for name in [domain, selector] {
            if !is_name(name) {
                return Err(DkimError::Name(name.to_string()));
            }
        }
        let pem = std::fs::read_to_string(key_file).map_err(|source| DkimError::Read {
            path: key_file.to_path_buf(),
            source,
        })?;
        let key = RsaPrivateKey::from_pkcs1_pem(&pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(&pem))
            .map_err(|_| DkimError::Key(key_file.to_path_buf()))?;
        Ok(DkimSigner {
            domain: domain.to_ascii_lowercase(),
            selector: selector.to_string(),
            key,
        })
    }

    /// The message with its `DKIM-Signature` header in front, signed at `now` (unix seconds).
    pub fn sign(&self, message: &[u8], now: i64) -> Vec<u8> {
        let split = message
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(message.len(), |p| p + 2);
        let (head, body) = message.split_at(split);
        let body = body.strip_prefix(b"\r\n").unwrap_or(body);
        let headers = header_fields(head);
        let signed: Vec<&(String, &[u8])> = SIGNED
            .iter()
            .filter_map(|name| headers.iter().rev().find(|(n, _)| n == name))
            .collect();
        let names: Vec<&str> = signed.iter().map(|(n, _)| n.as_str()).collect();
        let body_hash = STANDARD.encode(Sha256::digest(relaxed_body(body)));
        let unsigned = format!(
            "v=1; a=rsa-sha256; c=relaxed/relaxed; d={}; s={}; t={now};\r\n h={};\r\n bh={body_hash};\r\n b=",
            self.domain,
            self.selector,
            names.join(":")
        );
        let mut hasher = Sha256::new();
        for (name, raw) in &signed {
            hasher.update(relaxed_header(name, raw));
        }
        // The signature's own header, with an empty b= and no final line end.
        let own = relaxed_header("dkim-signature", unsigned.as_bytes());
        hasher.update(&own[..own.len() - 2]);
        let signature = self
            .key
            .sign(Pkcs1v15Sign::new::<Sha256>(), &hasher.finalize())
            .map(|s| STANDARD.encode(s))
            .unwrap_or_default();
        let mut out = Vec::with_capacity(message.len() + unsigned.len() + signature.len() + 64);
        out.extend_from_slice(b"DKIM-Signature: ");
        out.extend_from_slice(unsigned.as_bytes());
        // Folded every 72 characters so no line grows past what mail servers take.
        for (i, chunk) in signature.as_bytes().chunks(72).enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\r\n ");
            }
            out.extend_from_slice(chunk);
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(message);
        out
    }
}

/// Each header field of a message head: its name in lower case and its raw value (folds kept).
fn header_fields(head: &[u8]) -> Vec<(String, &[u8])> {
    let mut fields: Vec<(String, &[u8])> = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < head.len() {
        let end = head[i..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(head.len(), |p| i + p + 2);
        // A line starting with white space continues the field before it.
        let continues = matches!(head.get(end), Some(b' ' | b'\t'));
        if !continues {
            let field = &head[start..end];
            if let Some(colon) = field.iter().position(|&b| b == b':') {
                let name = String::from_utf8_lossy(&field[..colon]).trim().to_ascii_lowercase();
                fields.push((name, &field[colon + 1..]));
            }
            start = end;
        }
        i = end;
    }
    fields
}

/// `name:value\r\n` as relaxed header canonicalization writes it: the name in lower case, the
/// value unfolded, runs of white space as one space, none at either end.
fn relaxed_header(name: &str, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + value.len() + 3);
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    let mut space = false;
    for &b in value {
        match b {
            b'\r' | b'\n' => {}
            b' ' | b'\t' => space = true,
            _ => {
                if space && out.last() != Some(&b':') {
                    out.push(b' ');
                }
                space = false;
                out.push(b);
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The body as relaxed body canonicalization writes it: white space at line ends removed, runs
/// inside lines as one space, empty lines at the end removed, ending in one line end.
fn relaxed_body(body: &[u8]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = body
        .split(|&b| b == b'\n')
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let mut out = Vec::with_capacity(line.len());
            let mut space = false;
            for &b in line {
                if b == b' ' || b == b'\t' {
                    space = true;
                } else {
                    if space {
                        out.push(b' ');
                    }
                    space = false;
                    out.push(b);
                }
            }
            out
        })
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut out = Vec::with_capacity(body.len());
    for line in lines {
        out.extend_from_slice(&line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_canonicalization_follows_rfc_6376() {
        // RFC 6376 §3.4.5's example.
        assert_eq!(relaxed_header("a", b" X\r\n"), b"a:X\r\n");
        assert_eq!(relaxed_header("b", b" Y\r\n\tZ  \r\n"), b"b:Y Z\r\n");
        assert_eq!(relaxed_body(b" C \r\nD \t E\r\n\r\n\r\n"), b" C\r\nD E\r\n");
        let fields = header_fields(b"A: X\r\nB : Y\t\r\n\tZ  \r\n");
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[1].0, "b");
    }
}
