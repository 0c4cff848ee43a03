//! An independent evaluator: the same rule semantics as the SQL compiler, over customers held in
//! memory. It exists to prove the compiler right (the property test compares the two on random
//! rules and random customers), and states the semantics in plain Rust.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{Map, Value};
use sqlx::{Row, SqlitePool};

use super::compile::{day_start, resolve_field, rule_date, Catalog, Clock, FieldSource};
use super::rule::{
    Condition, ConsentStatus, DateOp, FieldOp, FirstOrLast, Group, Match, Measure, TagOp, Window,
};

pub struct EventRow {
    pub occurred_at: i64,
    pub event_type: String,
    pub value: Option<f64>,
    pub properties: Map<String, Value>,
}

pub struct CustomerRow {
    pub id: i64,
    pub columns: BTreeMap<&'static str, Option<String>>,
    pub attributes: Map<String, Value>,
    pub tags: BTreeSet<String>,
    pub consent: BTreeMap<String, bool>,
    pub events: Vec<EventRow>,
    /// `customer_scores` columns (numbers, and the group and bands as text); empty for non-buyers.
    pub scores: BTreeMap<String, Value>,
}

/// Loads every customer with tags, consent and events (ordered by id, as SQLite sums them).
pub async fn load_customers(pool: &SqlitePool) -> Result<Vec<CustomerRow>, sqlx::Error> {
    let mut customers: BTreeMap<i64, CustomerRow> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT id, email, phone, first_name, last_name, locale, attributes FROM customers",
    )
    .fetch_all(pool)
    .await?
    {
        let id: i64 = r.get(0);
        let columns = [
            "c.email",
            "c.phone",
            "c.first_name",
            "c.last_name",
            "c.locale",
        ]
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name, r.get::<Option<String>, _>(i + 1)))
        .collect();
        let attributes = serde_json::from_str(r.get::<&str, _>(6)).unwrap_or_default();
        customers.insert(
            id,
            CustomerRow {
                id,
                columns,
                attributes,
                tags: BTreeSet::new(),
                consent: BTreeMap::new(),
                events: Vec::new(),
                scores: BTreeMap::new(),
            },
        );
    }
    for r in sqlx::query("SELECT customer_id, tag FROM customer_tags")
        .fetch_all(pool)
        .await?
    {
        if let Some(c) = customers.get_mut(&r.get(0)) {
            c.tags.insert(r.get(1));
        }
    }
    for r in sqlx::query("SELECT customer_id, channel, granted FROM customer_consent")
        .fetch_all(pool)
        .await?
    {
        if let Some(c) = customers.get_mut(&r.get(0)) {
            c.consent.insert(r.get(1), r.get::<i64, _>(2) == 1);
        }
    }
    for r in sqlx::query(
        "SELECT customer_id, occurred_at, type, value, properties FROM events ORDER BY id",
    )
    .fetch_all(pool)
    .await?
    {
        if let Some(c) = customers.get_mut(&r.get(0)) {
            c.events.push(EventRow {
                occurred_at: r.get(1),
                event_type: r.get(2),
                value: r.get(3),
                properties: serde_json::from_str(r.get::<&str, _>(4)).unwrap_or_default(),
            });
        }
    }
    for r in sqlx::query("SELECT * FROM customer_scores")
        .fetch_all(pool)
        .await?
    {
        use sqlx::{Column, TypeInfo, ValueRef};
        let id: i64 = r.get("customer_id");
        let Some(c) = customers.get_mut(&id) else {
            continue;
        };
        for (i, column) in r.columns().iter().enumerate() {
            let raw = r.try_get_raw(i)?;
            let value = if raw.is_null() {
                Value::Null
            } else {
                match raw.type_info().name() {
                    "TEXT" => Value::String(r.get(i)),
                    "INTEGER" => Value::from(r.get::<i64, _>(i)),
                    _ => serde_json::Number::from_f64(r.get::<f64, _>(i))
                        .map_or(Value::Null, Value::Number),
                }
            };
            c.scores.insert(column.name().to_string(), value);
        }
    }
    Ok(customers.into_values().collect())
}

/// A field's value as SQLite sees it through `json_each`: text, number (true/false as 1/0) or none.
#[derive(Debug, Clone, PartialEq)]
enum Sql {
    Text(String),
    Number(f64),
}

fn sql_value(v: &Value) -> Option<Sql> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(Sql::Number(if *b { 1.0 } else { 0.0 })),
        Value::Number(n) => n.as_f64().map(Sql::Number),
        Value::String(s) => Some(Sql::Text(s.clone())),
        other => Some(Sql::Text(other.to_string())),
    }
}

fn as_text(v: &Sql) -> String {
    match v {
        Sql::Text(s) => s.clone(),
        Sql::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Sql::Number(n) => n.to_string(),
    }
}

/// SQLite's julianday() accepts days past the month's end and rolls over (Feb 30 → Mar 2).
fn lenient_date(year: i32, month_day: &str) -> Option<NaiveDate> {
    let b = month_day.as_bytes();
    if b.len() != 6 || b[0] != b'-' || b[3] != b'-' {
        return None;
    }
    let month: u32 = month_day[1..3].parse().ok()?;
    let day: i64 = month_day[4..6].parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, 1).map(|d| d + Duration::days(day - 1))
}

pub struct Evaluator<'a> {
    pub catalog: &'a Catalog,
    pub clock: Clock,
}

impl Evaluator<'_> {
    pub fn group(&self, c: &CustomerRow, g: &Group, stack: &mut Vec<String>) -> bool {
        let result = match g.matching {
            Match::All => g.conditions.iter().all(|x| self.condition(c, x, stack)),
            Match::Any => {
                g.conditions.is_empty() || g.conditions.iter().any(|x| self.condition(c, x, stack))
            }
        };
        result != g.not
    }

    fn condition(&self, c: &CustomerRow, cond: &Condition, stack: &mut Vec<String>) -> bool {
        match cond {
            Condition::Group(g) => self.group(c, g, stack),
            Condition::Segment { name } => {
                let Some(rule) = self.catalog.segments.get(name) else {
                    return false;
                };
                if stack.contains(name) {
                    return false;
                }
                stack.push(name.clone());
                let r = self.group(c, &rule.root, stack);
                stack.pop();
                r
            }
            Condition::Field { field, op } => self.field(c, field, op),
            Condition::Score {
                score,
                compare,
                value,
            } => c
                .scores
                .get(score.column())
                .and_then(Value::as_f64)
                .is_some_and(|s| compare.holds(s, *value)),
            Condition::RfmGroup { groups } => c
                .scores
                .get("rfm_group")
                .and_then(Value::as_str)
                .is_some_and(|g| groups.iter().any(|x| x.trim().eq_ignore_ascii_case(g))),
            Condition::Band { score, bands } => c
                .scores
                .get(score.column())
                .and_then(Value::as_str)
                .is_some_and(|b| bands.iter().any(|x| x.trim().eq_ignore_ascii_case(b))),
            Condition::Tags { op, tags } => {
                let wanted: BTreeSet<&String> = tags.iter().collect();
                let present = wanted.iter().filter(|t| c.tags.contains(**t)).count();
                match op {
                    TagOp::HasAny => present > 0,
                    TagOp::HasAll => present == wanted.len(),
                    TagOp::HasNone => present == 0,
                }
            }
            Condition::Consent { channel, status } => {
                let state = c.consent.get(&channel.to_lowercase());
                match status {
                    ConsentStatus::Granted => state == Some(&true),
                    ConsentStatus::Revoked => state == Some(&false),
                    ConsentStatus::Unknown => state.is_none(),
                }
            }
            Condition::Event {
                event_type,
                measure,
                property,
                window,
                compare,
                value,
            } => {
                let now = self.clock.now.timestamp();
                let (from, to) = match window {
                    Window::Ever => (i64::MIN, i64::MAX),
                    Window::LastDays(days) => (now - *days as i64 * 86_400, now + 1),
                    Window::Between { from, to } => (
                        rule_date(from).map_or(i64::MAX, day_start),
                        rule_date(to).map_or(i64::MIN, |d| day_start(d) + 86_400),
                    ),
                };
                let event_type = event_type.to_lowercase();
                let matching = c.events.iter().filter(|e| {
                    e.event_type == event_type
                        && e.occurred_at >= from
                        && e.occurred_at < to
                        && property.as_ref().is_none_or(|p| {
                            e.properties
                                .get(&p.name)
                                .and_then(sql_value)
                                .is_some_and(|v| as_text(&v).eq_ignore_ascii_case(&p.equals))
                        })
                });
                let values: Vec<Option<f64>> = matching.map(|e| e.value).collect();
                let present: Vec<f64> = values.iter().flatten().copied().collect();
                let aggregate = match measure {
                    Measure::Count => Some(values.len() as f64),
                    Measure::Sum => Some(present.iter().sum()),
                    Measure::Average => (!present.is_empty())
                        .then(|| present.iter().sum::<f64>() / present.len() as f64),
                };
                aggregate.is_some_and(|a| compare.holds(a, *value))
            }
            Condition::Occurrence {
                event_type,
                which,
                op,
            } => {
                let event_type = event_type.to_lowercase();
                let times = c
                    .events
                    .iter()
                    .filter(|e| e.event_type == event_type)
                    .map(|e| e.occurred_at);
                let t = match which {
                    FirstOrLast::First => times.min(),
                    FirstOrLast::Last => times.max(),
                };
                let now = self.clock.now.timestamp();
                t.is_some_and(|t| match op {
                    DateOp::Before { value } => rule_date(value).is_some_and(|d| t < day_start(d)),
                    DateOp::After { value } => {
                        rule_date(value).is_some_and(|d| t >= day_start(d) + 86_400)
                    }
                    DateOp::WithinLastDays { days } => {
                        (now - *days as i64 * 86_400..=now).contains(&t)
                    }
                    DateOp::WithinNextDays { days } => {
                        (now..=now + *days as i64 * 86_400).contains(&t)
                    }
                    DateOp::AnniversaryWithinDays { .. } => false,
                })
            }
        }
    }

    fn field(&self, c: &CustomerRow, field: &str, op: &FieldOp) -> bool {
        let Some((source, _)) = resolve_field(field, self.catalog) else {
            return false;
        };
        let value = match source {
            FieldSource::Column(column) => c.columns.get(column).cloned().flatten().map(Sql::Text),
            FieldSource::Attribute(name) => c.attributes.get(&name).and_then(sql_value),
        };
        let text = value.as_ref().map(|v| as_text(v).to_ascii_lowercase());
        let number = match &value {
            Some(Sql::Number(n)) => Some(*n),
            _ => None,
        };
        match op {
            FieldOp::IsSet => text.as_ref().is_some_and(|t| !t.is_empty()),
            FieldOp::NotSet => text.as_ref().is_none_or(|t| t.is_empty()),
            FieldOp::Equals { value } => text.is_some_and(|t| t == value.to_ascii_lowercase()),
            FieldOp::NotEquals { value } => text.is_none_or(|t| t != value.to_ascii_lowercase()),
            FieldOp::Contains { value } => {
                text.is_some_and(|t| t.contains(&value.to_ascii_lowercase()))
            }
            FieldOp::StartsWith { value } => {
                text.is_some_and(|t| t.starts_with(&value.to_ascii_lowercase()))
            }
            FieldOp::In { values } => {
                text.is_some_and(|t| values.iter().any(|v| v.to_ascii_lowercase() == t))
            }
            FieldOp::Compare { compare, value } => number.is_some_and(|n| compare.holds(n, *value)),
            FieldOp::Between { min, max } => number.is_some_and(|n| *min <= n && n <= *max),
            FieldOp::IsTrue => number == Some(1.0),
            FieldOp::IsFalse => number == Some(0.0),
            FieldOp::Date(op) => {
                let Some(Sql::Text(v)) = value else {
                    return false;
                };
                let day = v.chars().take(10).collect::<String>();
                let today = self.clock.today();
                let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
                match op {
                    DateOp::Before { value } => rule_date(value).is_some_and(|d| day < iso(d)),
                    DateOp::After { value } => rule_date(value).is_some_and(|d| day > iso(d)),
                    DateOp::WithinLastDays { days } => {
                        iso(today - Duration::days(*days as i64)) <= day && day <= iso(today)
                    }
                    DateOp::WithinNextDays { days } => {
                        iso(today) <= day && day <= iso(today + Duration::days(*days as i64))
                    }
                    DateOp::AnniversaryWithinDays { days } => {
                        let month_day: String = v.chars().skip(4).take(6).collect();
                        [today.year(), today.year() + 1].into_iter().any(|year| {
                            lenient_date(year, &month_day).is_some_and(|d| {
                                (0..=*days as i64).contains(&(d - today).num_days())
                            })
                        })
                    }
                }
            }
        }
    }
}
