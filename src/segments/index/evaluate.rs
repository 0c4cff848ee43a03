//! Evaluating a rule over the index: each condition becomes a bitset of customers, groups combine
//! them word by word. Semantics are the SQL compiler's, condition by condition (NULL never
//! matches, text compares after ASCII lowercasing, windows and dates as in `compile.rs`); rules
//! are checked by the compiler first, so errors read the same on both paths.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{Datelike, Duration, NaiveDate};

use super::{Bits, FieldColumn, SegmentIndex, NONE};
use crate::scores::RFM_GROUPS;
use crate::segments::compile::{
    check, day_start, resolve_field, rule_date, Catalog, Clock, FieldSource,
};
use crate::segments::describe::describe;
use crate::segments::query::{FunnelStep, SegmentCount};
use crate::segments::rule::{
    condition_path, Condition, ConsentStatus, DateOp, FieldOp, FirstOrLast, Group, Match, Measure,
    PropertyFilter, Rule, RuleError, TagOp, Window, BANDS,
};

impl SegmentIndex {
    /// The exact count and the funnel, as `segments::count` gives them from SQL.
    pub fn count(
        &self,
        rule: &Rule,
        catalog: &Catalog,
        clock: Clock,
    ) -> Result<SegmentCount, RuleError> {
        check(rule, catalog, clock)?;
        let run = Run::new(self, catalog, clock);
        let root = &rule.root;
        let mut funnel = Vec::new();
        let selected = if !root.not && root.conditions.len() > 1 {
            // Each step is the group cut after that condition.
            let mut so_far = match root.matching {
                Match::All => Bits::all(self.customers()),
                Match::Any => Bits::none(self.customers()),
            };
            for (i, condition) in root.conditions.iter().enumerate() {
                let bits = run.condition(condition);
                match root.matching {
                    Match::All => so_far.and(&bits),
                    Match::Any => so_far.or(&bits),
                }
                funnel.push(FunnelStep {
                    condition: condition_path("", i),
                    label: describe(condition),
                    remaining: so_far.count() as i64,
                });
            }
            so_far
        } else {
            let bits = run.group(root);
            if let [only] = root.conditions.as_slice() {
                funnel.push(FunnelStep {
                    condition: "1".into(),
                    label: describe(only),
                    remaining: bits.count() as i64,
                });
            }
            bits
        };
        Ok(SegmentCount {
            count: selected.count() as i64,
            total: self.customers() as i64,
            funnel,
        })
    }

    /// Ids of the members, ascending.
    pub fn members(
        &self,
        rule: &Rule,
        catalog: &Catalog,
        clock: Clock,
    ) -> Result<Vec<i64>, RuleError> {
        check(rule, catalog, clock)?;
        let bits = Run::new(self, catalog, clock).group(&rule.root);
        let ids: &[i64] = &self.ids;
        Ok(bits.ones().map(|i| ids[i]).collect())
    }
}

struct Run<'a> {
    index: &'a SegmentIndex,
    catalog: &'a Catalog,
    clock: Clock,
    /// Saved segments evaluated so far: each once per count, however often it is referenced.
    segments: Mutex<HashMap<String, Bits>>,
}

impl<'a> Run<'a> {
    fn new(index: &'a SegmentIndex, catalog: &'a Catalog, clock: Clock) -> Run<'a> {
        Run {
            index,
            catalog,
            clock,
            segments: Mutex::default(),
        }
    }

    fn segment(&self, name: &str) -> Bits {
        let known = self.segments.lock().ok().and_then(|m| m.get(name).cloned());
        if let Some(bits) = known {
            return bits;
        }
        let bits = self
            .catalog
            .segments
            .get(name)
            .map_or_else(|| Bits::none(self.n()), |rule| self.group(&rule.root));
        if let Ok(mut m) = self.segments.lock() {
            m.insert(name.to_string(), bits.clone());
        }
        bits
    }

    fn n(&self) -> usize {
        self.index.customers()
    }

    fn group(&self, g: &Group) -> Bits {
        let mut result = match g.matching {
            Match::All => Bits::all(self.n()),
            Match::Any if g.conditions.is_empty() => Bits::all(self.n()),
            Match::Any => Bits::none(self.n()),
        };
        for c in &g.conditions {
            match g.matching {
                Match::All => result.and(&self.condition(c)),
                Match::Any => result.or(&self.condition(c)),
            }
        }
        if g.not {
            result.not();
        }
        result
    }

    fn condition(&self, c: &Condition) -> Bits {
        let index = self.index;
        let n = self.n();
        match c {
            Condition::Group(g) => self.group(g),
            // `check` refused unknown names and cycles.
            Condition::Segment { name } => self.segment(name),
            Condition::Campaign { campaign, arm, converted } => {
                let members = self
                    .catalog
                    .campaign_members(campaign, arm.as_deref(), *converted, "")
                    .unwrap_or_default();
                let ids: &[i64] = &index.ids;
                Bits::from_fn(n, |i| members.binary_search(&ids[i]).is_ok())
            }
            Condition::Field { field, op } => match resolve_field(field, self.catalog) {
                Some((FieldSource::Column(column), _)) => self.field(index.columns.get(column), op),
                Some((FieldSource::Attribute(name), _)) => {
                    self.field(index.attributes.get(&name), op)
                }
                None => Bits::none(n),
            },
            Condition::Tags { op, tags } => {
                let mut distinct: Vec<&String> = tags.iter().collect();
                distinct.sort();
                distinct.dedup();
                let has = |tag: &String| index.tags.get(tag);
                match op {
                    TagOp::HasAny | TagOp::HasNone => {
                        let mut any = Bits::none(n);
                        distinct
                            .iter()
                            .filter_map(|t| has(t))
                            .for_each(|b| any.or(b));
                        if *op == TagOp::HasNone {
                            any.not();
                        }
                        any
                    }
                    TagOp::HasAll => {
                        let mut all = Bits::all(n);
                        for tag in distinct {
                            match has(tag) {
                                Some(b) => all.and(b),
                                None => return Bits::none(n),
                            }
                        }
                        all
                    }
                }
            }
            Condition::Consent { channel, status } => {
                let Some((granted, revoked)) = index.consent.get(&channel.to_lowercase()) else {
                    return match status {
                        ConsentStatus::Unknown => Bits::all(n),
                        _ => Bits::none(n),
                    };
                };
                match status {
                    ConsentStatus::Granted => granted.clone(),
                    ConsentStatus::Revoked => revoked.clone(),
                    ConsentStatus::Unknown => {
                        let mut known = granted.clone();
                        known.or(revoked);
                        known.not();
                        known
                    }
                }
            }
            Condition::Event {
                event_type,
                measure,
                property,
                window,
                compare,
                value,
            } => self.event(event_type, *measure, property.as_ref(), window, |a| {
                compare.holds(a, *value)
            }),
            Condition::Occurrence {
                event_type,
                which,
                op,
            } => self.occurrence(event_type, *which, op),
            Condition::Score {
                score,
                compare,
                value,
            } => match index.scores.get(score.column()) {
                Some(scores) => {
                    let scores: &[f64] = scores;
                    Bits::from_fn(n, |i| {
                        present(scores[i]).is_some_and(|s| compare.holds(s, *value))
                    })
                }
                None => Bits::none(n),
            },
            Condition::RfmGroup { groups } => self.labels("rfm_group", RFM_GROUPS, groups),
            Condition::Band { score, bands } => self.labels(score.column(), BANDS, bands),
        }
    }

    /// Customers whose label is one of `wanted` (matched to the canonical names case-insensitively).
    fn labels(&self, column: &str, names: &[&str], wanted: &[String]) -> Bits {
        let positions: Vec<u32> = names
            .iter()
            .enumerate()
            .filter(|(_, name)| wanted.iter().any(|w| name.eq_ignore_ascii_case(w.trim())))
            .map(|(i, _)| i as u32)
            .collect();
        match self.index.labels.get(column) {
            Some(labels) => {
                let codes: &[u32] = &labels.codes;
                Bits::from_fn(self.n(), |i| positions.contains(&codes[i]))
            }
            None => Bits::none(self.n()),
        }
    }

    fn field(&self, column: Option<&FieldColumn>, op: &FieldOp) -> Bits {
        let n = self.n();
        let Some(column) = column else {
            // Nobody has this attribute: only "not set" and "not equals" hold.
            return match op {
                FieldOp::NotSet | FieldOp::NotEquals { .. } => Bits::all(n),
                _ => Bits::none(n),
            };
        };
        let numbers = |test: &(dyn Fn(f64) -> bool + Sync)| {
            let numbers: &[f64] = &column.numbers;
            Bits::from_fn(n, |i| present(numbers[i]).is_some_and(test))
        };
        match op {
            FieldOp::IsSet => column.by_value(|v| !v.is_empty(), false),
            FieldOp::NotSet => column.by_value(|v| v.is_empty(), true),
            FieldOp::Equals { value } => {
                let value = value.to_ascii_lowercase();
                column.by_value(|v| v == value, false)
            }
            FieldOp::NotEquals { value } => {
                let value = value.to_ascii_lowercase();
                column.by_value(|v| v != value, true)
            }
            FieldOp::Contains { value } => {
                let value = value.to_ascii_lowercase();
                column.by_value(|v| v.contains(&value), false)
            }
            FieldOp::StartsWith { value } => {
                let value = value.to_ascii_lowercase();
                column.by_value(|v| v.starts_with(&value), false)
            }
            FieldOp::In { values } => {
                let values: Vec<String> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
                column.by_value(|v| values.iter().any(|x| x == v), false)
            }
            FieldOp::Compare { compare, value } => numbers(&|x| compare.holds(x, *value)),
            FieldOp::Between { min, max } => numbers(&|x| *min <= x && x <= *max),
            FieldOp::IsTrue => numbers(&|x| x == 1.0),
            FieldOp::IsFalse => numbers(&|x| x == 0.0),
            FieldOp::Date(op) => {
                let today = self.clock.today();
                let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
                // Dates are ISO text: the first ten characters compare as the SQL `substr` does.
                let day = |v: &str| -> String { v.chars().take(10).collect() };
                match op {
                    DateOp::Before { value } => {
                        let limit = rule_date(value).map(iso);
                        column.by_value(|v| limit.as_ref().is_some_and(|l| day(v) < *l), false)
                    }
                    DateOp::After { value } => {
                        let limit = rule_date(value).map(iso);
                        column.by_value(|v| limit.as_ref().is_some_and(|l| day(v) > *l), false)
                    }
                    DateOp::WithinLastDays { days } => {
                        let (from, to) =
                            (iso(self.clock.day_from_today(-(*days as i64))), iso(today));
                        column.by_value(
                            |v| (from.as_str()..=to.as_str()).contains(&day(v).as_str()),
                            false,
                        )
                    }
                    DateOp::WithinNextDays { days } => {
                        let (from, to) = (iso(today), iso(self.clock.day_from_today(*days as i64)));
                        column.by_value(
                            |v| (from.as_str()..=to.as_str()).contains(&day(v).as_str()),
                            false,
                        )
                    }
                    DateOp::AnniversaryWithinDays { days } => column.by_value(
                        |v| {
                            let month_day: String = v.chars().skip(4).take(6).collect();
                            [today.year(), today.year() + 1].into_iter().any(|year| {
                                lenient_date(year, &month_day).is_some_and(|d| {
                                    (0..=*days as i64).contains(&(d - today).num_days())
                                })
                            })
                        },
                        false,
                    ),
                }
            }
        }
    }

    /// count / sum / average of matching events in the window, tested per customer.
    fn event(
        &self,
        event_type: &str,
        measure: Measure,
        property: Option<&PropertyFilter>,
        window: &Window,
        holds: impl Fn(f64) -> bool + Sync,
    ) -> Bits {
        let events = &self.index.events;
        let now = self.clock.now.timestamp();
        // Inclusive bounds, as the compiled SQL states them.
        let (from, to) = match window {
            Window::Ever => (i64::MIN, i64::MAX),
            Window::LastDays(days) => (self.clock.seconds_from_now(-(*days as i64)), now),
            Window::Between { from, to } => (
                rule_date(from).map_or(i64::MAX, day_start),
                rule_date(to).map_or(i64::MIN, |d| day_start(d) + 86_399),
            ),
        };
        let type_id = events.type_names.code_of(&event_type.to_lowercase());
        // The property's column and the code of the wanted value; an unknown one matches nothing.
        let filter = property.map(|p| {
            events.properties.get(&p.name).and_then(|column| {
                column
                    .values
                    .code_of(&p.equals.to_ascii_lowercase())
                    .map(|code| (&*column.codes, code))
            })
        });
        let (starts, times, types, values): (&[u32], &[i64], &[u32], &[f64]) =
            (&events.starts, &events.times, &events.types, &events.values);
        Bits::from_fn(self.n(), |i| {
            let (start, end) = (starts[i] as usize, starts[i + 1] as usize);
            let times = &times[start..end];
            let lo = start + times.partition_point(|t| *t < from);
            let hi = start + times.partition_point(|t| *t <= to);
            let (mut count, mut sum, mut present) = (0u32, 0.0f64, 0u32);
            if let Some(type_id) = type_id {
                for e in lo..hi.max(lo) {
                    if types[e] != type_id {
                        continue;
                    }
                    match filter {
                        Some(Some((codes, code))) if codes[e] != code => continue,
                        Some(None) => continue,
                        _ => {}
                    }
                    count += 1;
                    let value = values[e];
                    if !value.is_nan() {
                        sum += value;
                        present += 1;
                    }
                }
            }
            let aggregate = match measure {
                Measure::Count => Some(count as f64),
                Measure::Sum => Some(sum),
                Measure::Average => (present > 0).then(|| sum / present as f64),
            };
            aggregate.is_some_and(&holds)
        })
    }

    fn occurrence(&self, event_type: &str, which: FirstOrLast, op: &DateOp) -> Bits {
        let events = &self.index.events;
        let now = self.clock.now.timestamp();
        let Some(type_id) = events.type_names.code_of(&event_type.to_lowercase()) else {
            return Bits::none(self.n());
        };
        let (from, to) = match op {
            DateOp::Before { value } => {
                (i64::MIN, rule_date(value).map_or(i64::MIN, day_start) - 1)
            }
            DateOp::After { value } => (
                rule_date(value).map_or(i64::MAX, |d| day_start(d) + 86_400),
                i64::MAX,
            ),
            DateOp::WithinLastDays { days } => (self.clock.seconds_from_now(-(*days as i64)), now),
            DateOp::WithinNextDays { days } => (now, self.clock.seconds_from_now(*days as i64)),
            // `check` refuses anniversaries of events.
            DateOp::AnniversaryWithinDays { .. } => return Bits::none(self.n()),
        };
        let (starts, times, types): (&[u32], &[i64], &[u32]) =
            (&events.starts, &events.times, &events.types);
        Bits::from_fn(self.n(), |i| {
            let range = starts[i] as usize..starts[i + 1] as usize;
            let mut of_type = range.filter(|e| types[*e] == type_id);
            // Events are in time order, so the first and last of the type are at the ends.
            let t = match which {
                FirstOrLast::First => of_type.next(),
                FirstOrLast::Last => of_type.next_back(),
            };
            t.is_some_and(|e| (from..=to).contains(&times[e]))
        })
    }
}

impl FieldColumn {
    /// Tests each distinct value once; customers without a value get `when_missing`.
    fn by_value(&self, test: impl Fn(&str) -> bool, when_missing: bool) -> Bits {
        let matches: Vec<bool> = self.values.iter().map(test).collect();
        let codes: &[u32] = &self.codes;
        Bits::from_fn(codes.len(), |i| match codes[i] {
            NONE => when_missing,
            // A code past the dictionary (a damaged kept file) is no value.
            code => matches.get(code as usize).copied().unwrap_or(when_missing),
        })
    }
}

/// NaN stands for NULL, which fails every comparison in SQL (including `<>`).
fn present(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
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
