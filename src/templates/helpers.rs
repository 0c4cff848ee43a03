//! The merge helpers templates may call. Pure functions of their arguments and the customer's
//! locale: none reads files, the environment, the clock or the network, so a template can
//! never reach outside the data it is given.

use std::borrow::Cow;

use serde_json::Value;

use crate::customers::attributes::number_value;

use super::format::{format_currency, format_date, format_number};

/// Arguments of one helper call.
pub struct HelperArgs<'a> {
    pub params: &'a [Cow<'a, Value>],
    pub hash: &'a [(&'a str, Cow<'a, Value>)],
    /// The customer's locale (or the template's default).
    pub locale: &'a str,
}

impl HelperArgs<'_> {
    fn param(&self, i: usize) -> &Value {
        self.params.get(i).map_or(&Value::Null, |v| v.as_ref())
    }
    fn hash(&self, name: &str) -> Option<&Value> {
        self.hash
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_ref())
    }
    fn locale(&self) -> Cow<'_, str> {
        self.hash("locale")
            .map(text)
            .unwrap_or(Cow::Borrowed(self.locale))
    }
}

pub type HelperFn = fn(&HelperArgs) -> Result<Value, String>;

pub struct Helper {
    pub name: &'static str,
    pub run: HelperFn,
    /// Whether a missing argument means a visibly missing value (formatting helpers), as opposed
    /// to helpers whose job is to handle absence (`default`, comparisons).
    pub reports_missing: bool,
    pub usage: &'static str,
}

/// How Handlebars prints a value.
pub fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed(""),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::Array(items) => Cow::Owned(format!(
            "[{}]",
            items
                .iter()
                .map(|i| text(i).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Value::Object(_) => Cow::Borrowed("[object]"),
    }
}

/// Handlebars truthiness (0, "", [], {}, null and false are false).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(f64::is_normal),
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A value users consider "there" (what `default` falls back from).
pub fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (number(a), number(b)) {
        (Some(x), Some(y)) if !matches!((a, b), (Value::String(_), Value::String(_))) => {
            x.partial_cmp(&y)
        }
        _ => Some(text(a).cmp(&text(b))),
    }
}

fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), _) | (_, Value::Number(_)) => {
            number(a).is_some() && number(a) == number(b)
        }
        _ => a == b,
    }
}

fn date_of(v: &Value) -> Option<chrono::NaiveDate> {
    let s = v.as_str()?;
    crate::values::parse_date(s.get(..10).unwrap_or(s))
        .or_else(|| crate::values::parse_timestamp(s).map(|t| t.date_naive()))
}

fn h_default(a: &HelperArgs) -> Result<Value, String> {
    Ok(a.params
        .iter()
        .find(|v| present(v))
        .map_or(Value::Null, |v| v.as_ref().clone()))
}
fn h_eq(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(loosely_equal(a.param(0), a.param(1))))
}
fn h_ne(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(!loosely_equal(a.param(0), a.param(1))))
}
fn h_gt(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(
        compare(a.param(0), a.param(1)) == Some(std::cmp::Ordering::Greater),
    ))
}
fn h_gte(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(matches!(
        compare(a.param(0), a.param(1)),
        Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
    )))
}
fn h_lt(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(
        compare(a.param(0), a.param(1)) == Some(std::cmp::Ordering::Less),
    ))
}
fn h_lte(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(matches!(
        compare(a.param(0), a.param(1)),
        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
    )))
}
fn h_and(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(
        !a.params.is_empty() && a.params.iter().all(|v| truthy(v)),
    ))
}
fn h_or(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(a.params.iter().any(|v| truthy(v))))
}
fn h_not(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(!truthy(a.param(0))))
}
fn h_upper(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::String(text(a.param(0)).to_uppercase()))
}
fn h_lower(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::String(text(a.param(0)).to_lowercase()))
}
fn h_capitalize(a: &HelperArgs) -> Result<Value, String> {
    let s = text(a.param(0));
    let mut chars = s.chars();
    Ok(Value::String(
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default(),
    ))
}
fn h_trim(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::String(text(a.param(0)).trim().to_string()))
}
fn h_truncate(a: &HelperArgs) -> Result<Value, String> {
    let s = text(a.param(0));
    let max = number(a.param(1)).ok_or("truncate needs a length: {{truncate text 40}}")? as usize;
    if s.chars().count() <= max {
        return Ok(Value::String(s.into_owned()));
    }
    let suffix = a
        .params
        .get(2)
        .map_or(Cow::Borrowed("…"), |v| text(v).into_owned().into());
    Ok(Value::String(
        s.chars().take(max).collect::<String>() + &suffix,
    ))
}
fn h_replace(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::String(
        text(a.param(0)).replace(text(a.param(1)).as_ref(), &text(a.param(2))),
    ))
}
fn h_concat(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::String(a.params.iter().map(|v| text(v)).collect()))
}
fn h_join(a: &HelperArgs) -> Result<Value, String> {
    let sep = a
        .params
        .get(1)
        .map_or(Cow::Borrowed(", "), |v| text(v).into_owned().into());
    let items = match a.param(0) {
        Value::Array(items) => items
            .iter()
            .map(|v| text(v).into_owned())
            .collect::<Vec<_>>(),
        other => vec![text(other).into_owned()],
    };
    Ok(Value::String(items.join(&sep)))
}
fn h_length(a: &HelperArgs) -> Result<Value, String> {
    let n = match a.param(0) {
        Value::Array(v) => v.len(),
        Value::Object(o) => o.len(),
        Value::String(s) => s.chars().count(),
        _ => 0,
    };
    Ok(Value::from(n))
}
fn h_contains(a: &HelperArgs) -> Result<Value, String> {
    Ok(Value::Bool(match a.param(0) {
        Value::Array(items) => items.iter().any(|v| loosely_equal(v, a.param(1))),
        other => text(other).contains(text(a.param(1)).as_ref()),
    }))
}
fn h_lookup(a: &HelperArgs) -> Result<Value, String> {
    Ok(match a.param(0) {
        Value::Object(o) => o
            .get(text(a.param(1)).as_ref())
            .cloned()
            .unwrap_or(Value::Null),
        Value::Array(items) => number(a.param(1))
            .and_then(|i| items.get(i as usize))
            .cloned()
            .unwrap_or(Value::Null),
        _ => Value::Null,
    })
}
fn h_number(a: &HelperArgs) -> Result<Value, String> {
    let Some(n) = number(a.param(0)) else {
        return Ok(Value::String(String::new()));
    };
    let decimals = a.params.get(1).and_then(|v| number(v)).map(|d| d as usize);
    Ok(Value::String(format_number(n, decimals, &a.locale())))
}
fn h_currency(a: &HelperArgs) -> Result<Value, String> {
    let Some(n) = number(a.param(0)) else {
        return Ok(Value::String(String::new()));
    };
    let code = a
        .params
        .get(1)
        .map(|v| text(v).into_owned())
        .or_else(|| a.hash("code").map(|v| text(v).into_owned()))
        .unwrap_or_else(|| "USD".into());
    Ok(Value::String(format_currency(n, &code, &a.locale())?))
}
fn h_percent(a: &HelperArgs) -> Result<Value, String> {
    let Some(n) = number(a.param(0)) else {
        return Ok(Value::String(String::new()));
    };
    let decimals = a
        .params
        .get(1)
        .and_then(|v| number(v))
        .map_or(0, |d| d as usize);
    Ok(Value::String(
        format_number(n * 100.0, Some(decimals), &a.locale()) + "%",
    ))
}
fn h_date(a: &HelperArgs) -> Result<Value, String> {
    let Some(d) = date_of(a.param(0)) else {
        return Ok(Value::String(text(a.param(0)).into_owned()));
    };
    let style = a
        .params
        .get(1)
        .map_or(Cow::Borrowed("long"), |v| text(v).into_owned().into());
    Ok(Value::String(format_date(d, &style, &a.locale())))
}
fn h_add(a: &HelperArgs) -> Result<Value, String> {
    Ok(number_value(
        number(a.param(0)).unwrap_or(0.0) + number(a.param(1)).unwrap_or(0.0),
    ))
}

fn h_plural(a: &HelperArgs) -> Result<Value, String> {
    let one = number(a.param(0)) == Some(1.0);
    Ok(a.param(if one { 1 } else { 2 }).clone())
}

macro_rules! helpers {
    ($($name:literal => $f:ident, $reports:literal, $usage:literal;)*) => {
        pub static HELPERS: &[Helper] = &[$(Helper { name: $name, run: $f, reports_missing: $reports, usage: $usage }),*];
    };
}

helpers! {
    "default" => h_default, false, "{{default first_name \"there\"}}: the first argument that has a value";
    "eq" => h_eq, false, "{{#if (eq tier \"gold\")}}";
    "ne" => h_ne, false, "{{#if (ne country \"CN\")}}";
    "gt" => h_gt, false, "{{#if (gt orders 3)}}";
    "gte" => h_gte, false, "{{#if (gte orders 3)}}";
    "lt" => h_lt, false, "{{#if (lt days_since_order 30)}}";
    "lte" => h_lte, false, "{{#if (lte days_since_order 30)}}";
    "and" => h_and, false, "{{#if (and vip subscribed)}}";
    "or" => h_or, false, "{{#if (or vip big_spender)}}";
    "not" => h_not, false, "{{#if (not vip)}}";
    "upper" => h_upper, true, "{{upper city}}";
    "lower" => h_lower, true, "{{lower email}}";
    "capitalize" => h_capitalize, true, "{{capitalize first_name}}";
    "trim" => h_trim, true, "{{trim name}}";
    "truncate" => h_truncate, true, "{{truncate product.name 30}} or {{truncate text 30 \"...\"}}";
    "replace" => h_replace, true, "{{replace text \"old\" \"new\"}}";
    "concat" => h_concat, false, "{{concat first_name \" \" last_name}}";
    "join" => h_join, true, "{{join tags \", \"}}";
    "length" => h_length, false, "{{length recent_purchases}}";
    "contains" => h_contains, false, "{{#if (contains tags \"vip\")}}";
    "lookup" => h_lookup, false, "{{lookup prices currency}}";
    "number" => h_number, true, "{{number points}} or {{number total 2}} (locale=\"de\" to override)";
    "currency" => h_currency, true, "{{currency total \"EUR\"}} (locale=\"de\" to override)";
    "percent" => h_percent, true, "{{percent discount 1}}";
    "date" => h_date, true, "{{date last_order_date \"long\"}} (long, short, iso or a strftime pattern)";
    "add" => h_add, false, "{{add @index 1}}";
    "plural" => h_plural, false, "{{orders_count}} {{plural orders_count \"order\" \"orders\"}}";
}

pub fn find(name: &str) -> Option<&'static Helper> {
    HELPERS.iter().find(|h| h.name == name)
}

/// Names a block may open with: the built-in block helpers.
pub const BLOCK_HELPERS: &[&str] = &["if", "unless", "each", "with"];
