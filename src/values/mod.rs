//! Parsing and normalizing values as users write them: emails, phones, ids, numbers, booleans,
//! dates. Imports, rules, templates and the CLI read values through these, so a date or an
//! address means the same everywhere.

pub mod clean;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use clean::identifier;

/// Lower-cased, trimmed email if it looks deliverable (one `@`, a dotted domain, no spaces).
/// Invisible characters and full-width forms are normalized first (see `clean::identifier`).
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = identifier(raw).to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>(),;:\"[]\\".contains(c));
    valid.then_some(email)
}

/// Digits with an optional leading `+`; separators (spaces, dashes, dots, parentheses) dropped.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let normalized = identifier(raw);
    let trimmed = normalized.trim();
    let mut out = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    let digits = out.trim_start_matches('+').len();
    // A Chinese mobile number written without its country code is the same phone as with it.
    if !out.starts_with('+')
        && digits == 11
        && out.starts_with('1')
        && matches!(out.as_bytes()[1], b'3'..=b'9')
    {
        out.insert_str(0, "+86");
    }
    (7..=15).contains(&digits).then_some(out)
}

/// An external id (member number, CRM id) as it is matched: see `clean::identifier`.
pub fn normalize_external_id(raw: &str) -> Option<String> {
    Some(identifier(raw).into_owned()).filter(|id| !id.is_empty())
}

/// A number as users type it: `1234.5`, `1,234.50`, `¥99`, `$12`, `12%` is not a number.
pub fn parse_number(raw: &str) -> Option<f64> {
    let s = raw.trim();
    let s = s.trim_start_matches(['$', '¥', '€', '£', '￥']).trim();
    if s.is_empty() {
        return None;
    }
    // Thousands separators only in the "1,234,567.89" shape, so "1,5" is not silently 15.
    let plain: String = if s.contains(',') {
        let int_part = s.split('.').next().unwrap_or("");
        let groups: Vec<&str> = int_part.trim_start_matches('-').split(',').collect();
        let grouped = groups.len() > 1
            && (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3);
        if !grouped {
            return None;
        }
        s.replace(',', "")
    } else {
        s.to_string()
    };
    let bytes_ok = plain.bytes().all(|b| {
        b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'e' || b == b'E' || b == b'+'
    });
    if !bytes_ok {
        return None;
    }
    plain.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Yes/no in the forms exports use: English, Chinese and the common European words.
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "t" | "ja" | "oui" | "sí" | "si" | "是" | "对" | "真" | "已订阅"
        | "订阅" => Some(true),
        "false" | "no" | "n" | "f" | "nein" | "non" | "否" | "不" | "假" | "已退订" | "未订阅" => {
            Some(false)
        }
        _ => None,
    }
}

/// Like [`parse_bool`] but also 1/0, for columns already known to be flags (consent).
pub fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim() {
        "1" => Some(true),
        "0" => Some(false),
        other => parse_bool(other),
    }
}

const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%d.%m.%Y",
    "%Y%m%d",
];
const DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
];

/// A timestamp in ISO 8601 (with or without zone; naive times are UTC), a date, or unix seconds.
pub fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%z") {
        return Some(t.with_timezone(&Utc));
    }
    for f in DATETIME_FORMATS {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    if let Some(d) = parse_date(s) {
        return Some(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
    }
    if s.len() >= 9 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(|secs| Utc.timestamp_opt(secs, 0).single());
    }
    None
}

/// A calendar date in the unambiguous forms (year first, or day.month.year).
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim();
    if s.len() < 8 {
        return None;
    }
    DATE_FORMATS
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" Li.Na@Example.CN "),
            Some("li.na@example.cn".into())
        );
        for bad in [
            "no-at.example.com",
            "a@b",
            "a b@c.de",
            "a@@c.de",
            "a@.c",
            "@c.de",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(parse_number("1,234.50"), Some(1234.5));
        assert_eq!(parse_number("¥99"), Some(99.0));
        assert_eq!(parse_number("1,5"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(
            parse_date("2024年3月5日"),
            NaiveDate::from_ymd_opt(2024, 3, 5)
        );
        assert_eq!(
            parse_timestamp("2024-03-05T10:00:00+08:00")
                .unwrap()
                .to_rfc3339(),
            "2024-03-05T02:00:00+00:00"
        );
        assert!(parse_timestamp("2024-13-01").is_none());
    }

    #[test]
    fn phones() {
        assert_eq!(
            normalize_phone("+86 138-0013-8000"),
            Some("+8613800138000".into())
        );
        assert_eq!(normalize_phone("call me"), None);
    }
}
