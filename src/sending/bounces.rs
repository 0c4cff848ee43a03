//! Bounces and complaints, imported from what mail servers and providers send back: delivery
//! status notifications (RFC 3464 `message/delivery-status` reports) and complaint reports
//! (RFC 5965 `message/feedback-report`), saved as `.eml` files, an mbox or a folder of them,
//! and a provider's CSV export. A hard bounce or a complaint suppresses the address; a soft
//! bounce is counted and suppresses it when repeated.

use std::path::{Path, PathBuf};

use mail_parser::{MessageParser, MimeHeaders};
use sqlx::SqlitePool;

use super::suppression::{count_soft_bounce, suppress, AddressKey, SuppressionReason};

#[derive(Debug, thiserror::Error)]
pub enum BounceError {
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

crate::coded!(BounceError {
    BounceError::Read { .. } => Io,
    BounceError::Sql(_) => Database,
});

/// What one report or row says about one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hard,
    Soft,
    Complaint,
}

/// Something that could not be read, and where.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    /// The file, with the message's number in an mbox or the CSV line.
    pub place: String,
    pub reason: String,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BounceReport {
    pub files: u64,
    /// Reports and rows read.
    pub reports: u64,
    pub hard_bounces: u64,
    pub soft_bounces: u64,
    pub complaints: u64,
    /// Addresses newly suppressed.
    pub suppressed: u64,
    pub skipped: Vec<Skipped>,
}

/// Imports every report under `path` (a file or a folder of files).
pub async fn import_bounces(pool: &SqlitePool, path: &Path) -> Result<BounceReport, BounceError> {
    let read_error = |path: &Path, source| BounceError::Read {
        path: path.to_path_buf(),
        source,
    };
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| read_error(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut report = BounceReport::default();
    let mut found: Vec<(String, Kind, String)> = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).map_err(|e| read_error(file, e))?;
        report.files += 1;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let is_csv = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv {
            read_csv(&bytes, &name, &mut found, &mut report.skipped);
        } else {
            for (i, message) in split_mbox(&bytes).into_iter().enumerate() {
                let place = if bytes.starts_with(b"From ") {
                    format!("{name} message {}", i + 1)
                } else {
                    name.clone()
                };
                match read_report(message) {
                    Ok(entries) => found.extend(entries.into_iter().map(|(a, k)| (a, k, name.clone()))),
                    Err(reason) => report.skipped.push(Skipped { place, reason }),
                }
            }
        }
    }
    let key = AddressKey::load(pool).await?;
    let mut tx = pool.begin().await?;
    for (address, kind, source) in &found {
        report.reports += 1;
        let newly = match kind {
            Kind::Hard => {
                report.hard_bounces += 1;
                suppress(&mut tx, &key, address, SuppressionReason::HardBounce, source).await?
                    == Some(true)
            }
            Kind::Complaint => {
                report.complaints += 1;
                suppress(&mut tx, &key, address, SuppressionReason::Complaint, source).await?
                    == Some(true)
            }
            Kind::Soft => {
                report.soft_bounces += 1;
                count_soft_bounce(&mut tx, &key, address, source).await?
            }
        };
        report.suppressed += u64::from(newly);
    }
    tx.commit().await?;
    Ok(report)
}

/// The messages of an mbox (lines starting "From " separate them), or the one message.
fn split_mbox(bytes: &[u8]) -> Vec<&[u8]> {
    if !bytes.starts_with(b"From ") {
        return vec![bytes];
    }
    let mut messages = Vec::new();
    let mut start = None;
    let mut i = 0;
    while i < bytes.len() {
        let line_start = i;
        let line_end = bytes[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| i + p + 1);
        if bytes[line_start..].starts_with(b"From ") {
            if let Some(s) = start {
                messages.push(&bytes[s..line_start]);
            }
            start = Some(line_end);
        }
        i = line_end;
    }
    if let Some(s) = start {
        messages.push(&bytes[s..]);
    }
    messages
}

/// The addresses a delivery status or complaint report names, with what happened to each.
fn read_report(bytes: &[u8]) -> Result<Vec<(String, Kind)>, String> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or("not a mail message")?;
    let mut entries = Vec::new();
    let mut complaint = false;
    let mut complained_to: Option<String> = None;
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let subtype = ct.subtype().unwrap_or_default().to_ascii_lowercase();
        let ctype = ct.ctype().to_ascii_lowercase();
        let text = String::from_utf8_lossy(part.contents());
        match (ctype.as_str(), subtype.as_str()) {
            ("message", "delivery-status") | ("message", "global-delivery-status") => {
                entries.extend(delivery_status(&text));
            }
            ("message", "feedback-report") => {
                complaint = true;
                complained_to = complained_to.or_else(|| field(&text, "original-rcpt-to"));
            }
            ("message", "rfc822") | ("text", "rfc822-headers") if complaint => {
                complained_to = complained_to.or_else(|| {
                    super::header_address(part.contents(), "to")
                });
            }
            _ => {}
        }
    }
    if complaint {
        let address = complained_to.ok_or("a complaint report that names no recipient")?;
        entries.push((address, Kind::Complaint));
    }
    if entries.is_empty() {
        return Err(
            "not a delivery status notification (RFC 3464) or complaint report (RFC 5965)".into(),
        );
    }
    Ok(entries)
}

/// A field of a report block (`Name: value`), its address after the type (`rfc822; a@b.c`).
fn field(block: &str, name: &str) -> Option<String> {
    block.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        if !key.trim().eq_ignore_ascii_case(name) {
            return None;
        }
        let value = value.rsplit_once(';').map_or(value, |(_, v)| v);
        crate::values::normalize_email(value.trim().trim_matches(['<', '>']))
    })
}

/// Each recipient block of a `message/delivery-status` body: its final recipient and whether
/// it failed for good (status 5.x.x) or for now (4.x.x, or action "delayed").
fn delivery_status(text: &str) -> Vec<(String, Kind)> {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .filter_map(|block| {
            let recipient = field(block, "final-recipient").or_else(|| field(block, "original-recipient"))?;
            let value = |name: &str| {
                block.lines().find_map(|line| {
                    let (key, value) = line.split_once(':')?;
                    key.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| value.trim().to_ascii_lowercase())
                })
            };
            let action = value("action").unwrap_or_default();
            let status = value("status").unwrap_or_default();
            let kind = if matches!(action.as_str(), "delivered" | "relayed" | "expanded") {
                return None;
            } else if status.starts_with('5') {
                Kind::Hard
            } else if status.starts_with('4') || action == "delayed" {
                Kind::Soft
            } else if action == "failed" {
                Kind::Hard
            } else {
                return None;
            };
            Some((recipient, kind))
        })
        .collect()
}

/// A provider's export: a column with the address (`email`, `address`, `recipient`) and one
/// or two saying what happened (`type`, `event`, `bounce_type`, `category`, `subtype`).
fn read_csv(
    bytes: &[u8],
    name: &str,
    found: &mut Vec<(String, Kind, String)>,
    skipped: &mut Vec<Skipped>,
) {
    let text = match crate::customers::decode::decode(bytes, None) {
        Ok((text, _)) => text,
        Err(e) => {
            skipped.push(Skipped {
                place: name.to_string(),
                reason: e.to_string(),
            });
            return;
        }
    };
    let csv = crate::customers::csv_text::read(&text, None);
    let column = |names: &[&str]| {
        csv.header.iter().position(|h| {
            let h = h.trim().to_ascii_lowercase().replace([' ', '-'], "_");
            names.contains(&h.as_str())
        })
    };
    let Some(address_at) = column(&["email", "address", "email_address", "recipient", "to"]) else {
        skipped.push(Skipped {
            place: format!("{name} line 1"),
            reason: "no column with the address (email, address or recipient)".into(),
        });
        return;
    };
    let kind_columns: Vec<usize> = ["type", "event", "bounce_type", "category", "subtype", "bounce_subtype", "reason"]
        .iter()
        .filter_map(|n| column(&[n]))
        .collect();
    for (line, problem, _) in &csv.errors {
        skipped.push(Skipped {
            place: format!("{name} line {line}"),
            reason: problem.to_string(),
        });
    }
    for record in &csv.records {
        let place = format!("{name} line {}", record.line);
        let Some(address) = record
            .fields
            .get(address_at)
            .and_then(|a| crate::values::normalize_email(a))
        else {
            skipped.push(Skipped {
                place,
                reason: "no valid address".into(),
            });
            continue;
        };
        let words: String = kind_columns
            .iter()
            .filter_map(|&i| record.fields.get(i))
            .map(|f| f.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let kind = if ["complain", "spam", "abuse"].iter().any(|w| words.contains(w)) {
            Kind::Complaint
        } else if ["soft", "transient", "temporary", "deferred", "delayed"]
            .iter()
            .any(|w| words.contains(w))
        {
            Kind::Soft
        } else if ["hard", "permanent", "bounce", "undeliverable", "invalid"]
            .iter()
            .any(|w| words.contains(w))
        {
            Kind::Hard
        } else {
            skipped.push(Skipped {
                place,
                reason: format!("'{words}' is not a bounce (hard or soft) or a complaint"),
            });
            continue;
        };
        found.push((address, kind, name.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mbox_splits_into_its_messages() {
        let mbox = b"From a@b Mon\nSubject: one\n\nbody\nFrom c@d Tue\nSubject: two\n\nx\n";
        let parts = split_mbox(mbox);
        assert_eq!(parts.len(), 2);
        assert!(parts[1].starts_with(b"Subject: two"));
    }

    #[test]
    fn status_classes_decide_hard_and_soft() {
        let text = "Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; Gone@Example.com\nAction: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822;full@example.com\nAction: delayed\nStatus: 4.2.2\n\nFinal-Recipient: rfc822; ok@example.com\nAction: delivered\nStatus: 2.0.0\n";
        assert_eq!(
            delivery_status(text),
            vec![
                ("gone@example.com".to_string(), Kind::Hard),
                ("full@example.com".to_string(), Kind::Soft)
            ]
        );
    }
}
