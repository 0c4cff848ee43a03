//! Locale-aware number, currency and date formatting for the template helpers.
//! A small table of the locales campaigns use most; unknown locales fall back to their
//! language, then to English.

use chrono::{Datelike, NaiveDate};

struct LocaleData {
    group: &'static str,
    decimal: &'static str,
    /// Where the currency symbol goes.
    currency: Placement,
    months: Option<&'static [&'static str; 12]>,
    long_date: DateStyle,
    short_date: DateStyle,
}

#[derive(Clone, Copy)]
enum Placement {
    Before,       // $1.00
    BeforeSpaced, // R$ 1,00
    AfterSpaced,  // 1,00 €
}

#[derive(Clone, Copy)]
enum DateStyle {
    MonthDayYear,    // November 22, 2026 / 11/22/2026
    DayMonthYear,    // 22 November 2026 / 22/11/2026
    DayDotMonth,     // 22. November 2026 / 22.11.2026
    DayDeMonth,      // 22 de noviembre de 2026
    YearMonthDayCjk, // 2026年11月22日 / 2026/11/22
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

fn locale_data(locale: &str) -> LocaleData {
    // Lower-cased with '-' on the stack: this runs for every formatted value.
    let mut buf = [0u8; 16];
    let n = locale.len().min(buf.len());
    for (slot, b) in buf.iter_mut().zip(locale.bytes()) {
        *slot = if b == b'_' {
            b'-'
        } else {
            b.to_ascii_lowercase()
        };
    }
    let lower = std::str::from_utf8(&buf[..n]).unwrap_or("en");
    let lang = lower.split('-').next().unwrap_or("en");
    let en = LocaleData {
        group: ",",
        decimal: ".",
        currency: Placement::Before,
        months: Some(&EN_MONTHS),
        long_date: DateStyle::MonthDayYear,
        short_date: DateStyle::MonthDayYear,
    };
    match (lang, lower) {
        (_, "en-gb" | "en-au" | "en-nz" | "en-ie" | "en-in") => LocaleData {
            long_date: DateStyle::DayMonthYear,
            short_date: DateStyle::DayMonthYear,
            ..en
        },
        ("zh" | "ja", _) => LocaleData {
            months: None,
            long_date: DateStyle::YearMonthDayCjk,
            short_date: DateStyle::YearMonthDayCjk,
            ..en
        },
        ("de", _) => LocaleData {
            group: ".",
            decimal: ",",
            currency: Placement::AfterSpaced,
            months: Some(&DE_MONTHS),
            long_date: DateStyle::DayDotMonth,
            short_date: DateStyle::DayDotMonth,
        },
        ("fr", _) => LocaleData {
            group: "\u{202f}",
            decimal: ",",
            currency: Placement::AfterSpaced,
            months: Some(&FR_MONTHS),
            long_date: DateStyle::DayMonthYear,
            short_date: DateStyle::DayMonthYear,
        },
        ("es", _) => LocaleData {
            group: ".",
            decimal: ",",
            currency: Placement::AfterSpaced,
            months: Some(&ES_MONTHS),
            long_date: DateStyle::DayDeMonth,
            short_date: DateStyle::DayMonthYear,
        },
        ("it" | "nl" | "pt", _) => LocaleData {
            group: ".",
            decimal: ",",
            currency: Placement::BeforeSpaced,
            months: Some(&EN_MONTHS),
            long_date: DateStyle::DayMonthYear,
            short_date: DateStyle::DayMonthYear,
        },
        _ => en,
    }
}

/// Groups the integer digits of a plain decimal string ("1234567.5" -> "1,234,567.5").
fn localize_digits(plain: &str, data: &LocaleData) -> String {
    let (sign, digits) = plain.strip_prefix('-').map_or(("", plain), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(plain.len() + 8);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push_str(data.group);
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push_str(data.decimal);
        out.push_str(f);
    }
    out
}

/// `value` with exactly `decimals` fraction digits. Integer arithmetic where exact enough: the
/// float formatter's exact path is slow and this runs for every price in every email.
fn fixed(value: f64, decimals: usize) -> String {
    let scale = 10f64.powi(decimals as i32);
    let scaled = (value * scale).round();
    if decimals > 9 || scaled.abs() >= 9.0e15 {
        return format!("{value:.decimals$}");
    }
    let digits = (scaled.abs() as u64).to_string();
    let digits = format!("{digits:0>width$}", width = decimals + 1);
    let (int, frac) = digits.split_at(digits.len() - decimals);
    let sign = if scaled < 0.0 { "-" } else { "" };
    if decimals == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// `1234.5` -> "1,234.5" (en) / "1.234,5" (de); `decimals` fixes the fraction digits.
pub fn format_number(value: f64, decimals: Option<usize>, locale: &str) -> String {
    let plain = match decimals {
        Some(d) => fixed(value, d),
        None => {
            let s = format!("{:.6}", value);
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    localize_digits(&plain, &locale_data(locale))
}

/// Symbol and fraction digits of a currency (ISO 4217 code).
fn currency_info(code: &str, locale: &str) -> Option<(&'static str, usize)> {
    let zh_or_ja = locale.starts_with("zh") || locale.starts_with("ja");
    Some(match code.to_ascii_uppercase().as_str() {
        "USD" => ("$", 2),
        "EUR" => ("€", 2),
        "GBP" => ("£", 2),
        "CNY" | "RMB" => ("¥", 2),
        "JPY" => (if zh_or_ja { "￥" } else { "¥" }, 0),
        "KRW" => ("₩", 0),
        "HKD" => ("HK$", 2),
        "TWD" => ("NT$", 2),
        "SGD" => ("S$", 2),
        "AUD" => ("A$", 2),
        "CAD" => ("CA$", 2),
        "CHF" => ("CHF", 2),
        "INR" => ("₹", 2),
        "BRL" => ("R$", 2),
        _ => return None,
    })
}

pub fn format_currency(value: f64, code: &str, locale: &str) -> Result<String, String> {
    let (symbol, decimals) =
        currency_info(code, locale).ok_or_else(|| format!("unknown currency '{code}'"))?;
    let data = locale_data(locale);
    let number = localize_digits(&fixed(value.abs(), decimals), &data);
    let mut out = String::with_capacity(number.len() + symbol.len() + 4);
    if value < 0.0 {
        out.push('-');
    }
    match data.currency {
        Placement::Before => out.extend([symbol, &number]),
        Placement::BeforeSpaced => out.extend([symbol, "\u{a0}", &number]),
        Placement::AfterSpaced => out.extend([&number, "\u{a0}", symbol]),
    }
    Ok(out)
}

/// `style`: "long" (November 22, 2026), "short" (11/22/2026), "iso" (2026-11-22), or a strftime pattern.
pub fn format_date(date: NaiveDate, style: &str, locale: &str) -> String {
    let data = locale_data(locale);
    let (y, m, d) = (date.year(), date.month() as usize, date.day());
    let month_name = data.months.map_or("", |names| names[m - 1]);
    match style {
        "iso" => date.format("%Y-%m-%d").to_string(),
        "long" => match data.long_date {
            DateStyle::MonthDayYear => format!("{month_name} {d}, {y}"),
            DateStyle::DayMonthYear => format!("{d} {month_name} {y}"),
            DateStyle::DayDotMonth => format!("{d}. {month_name} {y}"),
            DateStyle::DayDeMonth => format!("{d} de {month_name} de {y}"),
            DateStyle::YearMonthDayCjk => format!("{y}年{m}月{d}日"),
        },
        "short" => match data.short_date {
            DateStyle::MonthDayYear => format!("{m}/{d}/{y}"),
            DateStyle::DayMonthYear | DateStyle::DayDeMonth => format!("{d:02}/{m:02}/{y}"),
            DateStyle::DayDotMonth => format!("{d:02}.{m:02}.{y}"),
            DateStyle::YearMonthDayCjk => format!("{y}/{m:02}/{d:02}"),
        },
        pattern => {
            use std::fmt::Write;
            let mut out = String::new();
            // An invalid pattern is shown as the ISO date rather than failing the whole email.
            if write!(out, "{}", date.format(pattern)).is_err() {
                return date.format("%Y-%m-%d").to_string();
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_currencies_dates_by_locale() {
        assert_eq!(format_number(1234567.891, Some(2), "en-US"), "1,234,567.89");
        assert_eq!(format_number(1234.5, Some(2), "de-DE"), "1.234,50");
        assert_eq!(
            format_currency(1234.5, "USD", "en-US").unwrap(),
            "$1,234.50"
        );
        assert_eq!(
            format_currency(1234.5, "EUR", "de").unwrap(),
            "1.234,50\u{a0}€"
        );
        assert_eq!(format_currency(99.0, "CNY", "zh-CN").unwrap(), "¥99.00");
        assert_eq!(format_currency(1500.0, "JPY", "ja").unwrap(), "￥1,500");
        assert_eq!(
            format_currency(-0.5, "BRL", "pt-BR").unwrap(),
            "-R$\u{a0}0,50"
        );
        assert_eq!(format_number(-1234.567, Some(1), "en"), "-1,234.6");
        assert_eq!(format_number(0.004, Some(2), "en"), "0.00");
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(format_date(d, "long", "en-US"), "November 22, 2026");
        assert_eq!(format_date(d, "long", "zh-CN"), "2026年11月22日");
        assert_eq!(format_date(d, "long", "de"), "22. November 2026");
        assert_eq!(format_date(d, "short", "en-GB"), "22/11/2026");
    }
}
