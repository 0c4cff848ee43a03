//! Typed custom attributes: a column's type is inferred from its values (number, bool, date,
//! text, or structured JSON), and once a workspace knows an attribute's type, imports keep to it.

use super::report::RowProblem;
use serde_json::{Number, Value};

use super::source::Cell;
use crate::values::{parse_bool, parse_date, parse_number, parse_timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttrType {
    Number,
    Bool,
    Date,
    Text,
    Json,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::Number => "number",
            AttrType::Bool => "bool",
            AttrType::Date => "date",
            AttrType::Text => "text",
            AttrType::Json => "json",
        }
    }

    pub fn parse(s: &str) -> AttrType {
        match s {
            "number" => AttrType::Number,
            "bool" => AttrType::Bool,
            "date" => AttrType::Date,
            "json" => AttrType::Json,
            _ => AttrType::Text,
        }
    }
}

/// "0123" is an identifier (zip code, member number), not the number 123.
fn has_leading_zero(s: &str) -> bool {
    let s = s.trim();
    s.len() > 1 && s.starts_with('0') && !s.starts_with("0.")
}

/// The type most values of a column have. A typed column tolerates a few stray values (they are
/// rejected with their line), but at least 90% must conform, else the column is text.
pub fn infer<'a>(cells: impl Iterator<Item = &'a Cell<'a>>) -> AttrType {
    let (mut total, mut numbers, mut bools, mut dates) = (0usize, 0usize, 0usize, 0usize);
    let mut zero_padded = false;
    for cell in cells {
        match cell {
            Cell::Empty => {}
            Cell::Json(Value::Number(_)) => {
                total += 1;
                numbers += 1;
            }
            Cell::Json(Value::Bool(_)) => {
                total += 1;
                bools += 1;
            }
            Cell::Json(_) => return AttrType::Json,
            Cell::Text(t) => {
                let t = t.trim();
                if t.is_empty() {
                    continue;
                }
                total += 1;
                zero_padded |= has_leading_zero(t);
                // Dates and numbers start with a digit, a sign or a currency symbol: most text
                // values are rejected without trying every date format.
                let numeric_start =
                    t.starts_with(|c: char| c.is_ascii_digit() || "-+.$¥€£￥".contains(c));
                if numeric_start && parse_number(t).is_some() {
                    numbers += 1;
                } else if parse_bool(t).is_some() {
                    bools += 1;
                } else if numeric_start
                    && parse_timestamp(t).is_some()
                    && !t.bytes().all(|b| b.is_ascii_digit())
                {
                    dates += 1;
                }
            }
        }
    }
    let mostly = |n: usize| total > 0 && n * 10 >= total * 9;
    if mostly(numbers) && !zero_padded {
        AttrType::Number
    } else if mostly(bools) {
        AttrType::Bool
    } else if mostly(dates) {
        AttrType::Date
    } else {
        AttrType::Text
    }
}

/// Converts a cell to the column's type; `Ok(None)` for an empty cell, `Err` names the problem.
pub fn convert(cell: &Cell, ty: AttrType) -> Result<Option<Value>, RowProblem> {
    let text = match cell {
        Cell::Empty => return Ok(None),
        Cell::Json(v) => match (ty, v) {
            (AttrType::Number, Value::Number(_))
            | (AttrType::Bool, Value::Bool(_))
            | (AttrType::Json, _) => return Ok(Some(v.clone())),
            (_, Value::Array(_) | Value::Object(_)) => return Ok(Some(v.clone())),
            _ => cell.text().map(|t| t.into_owned()).unwrap_or_default(),
        },
        Cell::Text(t) => t.trim().to_string(),
    };
    if text.is_empty() {
        return Ok(None);
    }
    let value = match ty {
        AttrType::Number => {
            let n = parse_number(&text)
                .filter(|_| !has_leading_zero(&text))
                .ok_or_else(|| RowProblem::new("row_bad_number", &[("value", &text)]))?;
            number_value(n)
        }
        AttrType::Bool => {
            Value::Bool(
                parse_bool(&text)
                    .ok_or_else(|| RowProblem::new("row_bad_flag", &[("value", &text)]))?,
            )
        }
        AttrType::Date => {
            Value::String(
                normalize_date(&text)
                    .ok_or_else(|| RowProblem::new("row_bad_date", &[("value", &text)]))?,
            )
        }
        AttrType::Text | AttrType::Json => Value::String(text),
    };
    Ok(Some(value))
}

/// Whole numbers stay integers so templates print `3`, not `3.0`.
pub fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// Dates as `YYYY-MM-DD`, times as RFC 3339 UTC.
pub fn normalize_date(text: &str) -> Option<String> {
    if let Some(d) = parse_date(text) {
        return Some(d.format("%Y-%m-%d").to_string());
    }
    parse_timestamp(text).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn cells(values: &[&'static str]) -> Vec<Cell<'static>> {
        values
            .iter()
            .map(|v| Cell::Text(Cow::Borrowed(*v)))
            .collect()
    }

    #[test]
    fn infers_types_and_keeps_zip_codes_as_text() {
        assert_eq!(
            infer(cells(&["1", "2.5", "", "1,200"]).iter()),
            AttrType::Number
        );
        assert_eq!(infer(cells(&["02134", "10001"]).iter()), AttrType::Text);
        assert_eq!(infer(cells(&["yes", "no", "是"]).iter()), AttrType::Bool);
        assert_eq!(
            infer(cells(&["2024-01-02", "2023/12/31"]).iter()),
            AttrType::Date
        );
        assert_eq!(infer(cells(&["gold", "1"]).iter()), AttrType::Text);
    }
}
