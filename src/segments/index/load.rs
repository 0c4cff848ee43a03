//! Building the index from the workspace. Values are read through the same SQL expressions the
//! compiler uses (`lower(…)`, `json_each`), so both paths see identical text and numbers.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};

use super::column::StringsBuilder;
use super::kept::Stamp;
use super::{Bits, EventColumns, FieldColumn, LabelColumn, PropertyColumn, SegmentIndex, NONE};
use crate::scores::RFM_GROUPS;
use crate::segments::compile::BUILTIN_FIELDS;
use crate::segments::rule::{BandScore, ScoreName, BANDS};

impl SegmentIndex {
    /// Reads the workspace file through rusqlite: streaming millions of rows through sqlx costs
    /// about 4 µs a row, through SQLite's own API well under one. Events load on a second
    /// connection beside the rest (both cores). Each side reads one snapshot; a write landing
    /// between the two can leave the index a moment behind, and every write rebuilds it.
    /// Blocking: call it from `spawn_blocking` in async code.
    pub fn load(workspace: &Path) -> rusqlite::Result<SegmentIndex> {
        let open = || {
            Connection::open_with_flags(
                workspace,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        };
        let mut db = open()?;
        let tx = db.transaction()?;
        // Read first: a write landing during the build makes the index look older than it is,
        // so it is rebuilt once more, never trusted when behind.
        let stamp = Stamp::read(&tx)?;
        let ids: Vec<i64> = tx
            .prepare("SELECT id FROM customers ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let ordinals = Ordinals { ids: &ids };
        let (events, customer_side) = std::thread::scope(|scope| {
            let events = scope.spawn(|| {
                let mut db = open()?;
                let tx = db.transaction()?;
                load_events(&tx, &ordinals)
            });
            let customer_side = (|| -> rusqlite::Result<_> {
                Ok((
                    load_builtin_columns(&tx, ids.len())?,
                    load_attributes(&tx, &ordinals)?,
                    load_tags_and_consent(&tx, &ordinals)?,
                    load_scores(&tx, &ordinals)?,
                ))
            })();
            (
                events
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                customer_side,
            )
        });
        let events = events?;
        let (columns, attributes, (tags, consent), (scores, labels)) = customer_side?;
        tx.commit()?;
        Ok(SegmentIndex {
            stamp,
            ids: ids.into(),
            columns,
            attributes,
            tags,
            consent,
            scores,
            labels,
            events,
        })
    }
}

/// Text of a column that may be NULL (any other type reads as its SQLite text form upstream).
fn text<'r>(row: &'r Row, i: usize) -> rusqlite::Result<Option<&'r str>> {
    match row.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => Ok(Some(std::str::from_utf8(t).unwrap_or(""))),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            "text".into(),
            other.data_type(),
        )),
    }
}

struct Ordinals<'a> {
    ids: &'a [i64],
}

impl Ordinals<'_> {
    fn of(&self, id: i64) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

/// Dictionary-encodes one field while rows stream in.
struct ColumnBuilder {
    codes: Vec<u32>,
    values: StringsBuilder,
    numbers: Vec<f64>,
}

impl ColumnBuilder {
    fn new(n: usize) -> ColumnBuilder {
        ColumnBuilder {
            codes: vec![NONE; n],
            values: StringsBuilder::default(),
            numbers: vec![f64::NAN; n],
        }
    }

    fn set(&mut self, ordinal: usize, lower: &str, number: Option<f64>) {
        self.codes[ordinal] = self.values.code(lower);
        if let Some(number) = number {
            self.numbers[ordinal] = number;
        }
    }

    fn finish(self) -> FieldColumn {
        FieldColumn {
            codes: self.codes.into(),
            values: self.values.finish(),
            numbers: self.numbers.into(),
        }
    }
}

fn load_builtin_columns(
    db: &Connection,
    n: usize,
) -> rusqlite::Result<HashMap<&'static str, FieldColumn>> {
    let mut builders: Vec<ColumnBuilder> = BUILTIN_FIELDS
        .iter()
        .map(|_| ColumnBuilder::new(n))
        .collect();
    let select: Vec<String> = BUILTIN_FIELDS
        .iter()
        .map(|(_, column)| format!("lower({column})"))
        .collect();
    // Column names come from the compiler's allow-list only.
    let mut statement = db.prepare(&format!(
        "SELECT {} FROM customers c ORDER BY c.id",
        select.join(", ")
    ))?;
    let mut rows = statement.query([])?;
    let mut ordinal = 0;
    while let Some(row) = rows.next()? {
        for (i, builder) in builders.iter_mut().enumerate() {
            if let Some(text) = text(row, i)? {
                builder.set(ordinal, text, None);
            }
        }
        ordinal += 1;
    }
    Ok(BUILTIN_FIELDS
        .iter()
        .zip(builders)
        .map(|((_, column), b)| (*column, b.finish()))
        .collect())
}

fn load_attributes(
    db: &Connection,
    ordinals: &Ordinals<'_>,
) -> rusqlite::Result<HashMap<String, FieldColumn>> {
    let mut builders: HashMap<String, ColumnBuilder> = HashMap::new();
    // What `json_extract(c.attributes, '$."name"')` returns: JSON null is SQL NULL, true/false
    // are 1/0, objects and arrays are their JSON text.
    let mut statement = db.prepare(
        "SELECT c.id, p.key, lower(CAST(p.value AS TEXT)), \
                CASE WHEN p.type IN ('integer', 'real', 'true', 'false') THEN CAST(p.value AS REAL) END \
         FROM customers c, json_each(c.attributes) p WHERE p.type <> 'null'",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let Some(ordinal) = ordinals.of(row.get(0)?) else {
            continue;
        };
        let name = text(row, 1)?.unwrap_or_default();
        let builder = match builders.get_mut(name) {
            Some(b) => b,
            None => builders
                .entry(name.to_string())
                .or_insert_with(|| ColumnBuilder::new(ordinals.len())),
        };
        builder.set(ordinal, text(row, 2)?.unwrap_or_default(), row.get(3)?);
    }
    Ok(builders
        .into_iter()
        .map(|(name, b)| (name, b.finish()))
        .collect())
}

type Consent = HashMap<String, (Bits, Bits)>;

fn load_tags_and_consent(
    db: &Connection,
    ordinals: &Ordinals<'_>,
) -> rusqlite::Result<(HashMap<String, Bits>, Consent)> {
    let n = ordinals.len();
    let mut tags: HashMap<String, Bits> = HashMap::new();
    let mut statement = db.prepare("SELECT customer_id, tag FROM customer_tags")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        if let Some(ordinal) = ordinals.of(row.get(0)?) {
            let tag = text(row, 1)?.unwrap_or_default();
            if !tags.contains_key(tag) {
                tags.insert(tag.to_string(), Bits::none(n));
            }
            if let Some(bits) = tags.get_mut(tag) {
                bits.insert(ordinal);
            }
        }
    }
    drop(rows);
    let mut consent: Consent = HashMap::new();
    let mut statement = db.prepare("SELECT customer_id, channel, granted FROM customer_consent")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        if let Some(ordinal) = ordinals.of(row.get(0)?) {
            let (granted, revoked) = consent
                .entry(row.get::<_, String>(1)?)
                .or_insert_with(|| (Bits::none(n), Bits::none(n)));
            match row.get::<_, i64>(2)? {
                1 => granted.insert(ordinal),
                0 => revoked.insert(ordinal),
                _ => {}
            }
        }
    }
    Ok((tags, consent))
}

type Scores = (
    HashMap<&'static str, super::Column<f64>>,
    HashMap<&'static str, LabelColumn>,
);

/// Each label column with the canonical names its codes index.
pub(super) fn label_columns() -> Vec<(&'static str, &'static [&'static str])> {
    std::iter::once(("rfm_group", RFM_GROUPS))
        .chain(BandScore::ALL.iter().map(|b| (b.column(), BANDS)))
        .collect()
}

fn load_scores(db: &Connection, ordinals: &Ordinals<'_>) -> rusqlite::Result<Scores> {
    let n = ordinals.len();
    let numbers: Vec<&'static str> = ScoreName::ALL.iter().map(|s| s.column()).collect();
    let labels = label_columns();
    let select: Vec<String> = numbers
        .iter()
        .map(|c| format!("CAST({c} AS REAL)"))
        .chain(labels.iter().map(|(c, _)| c.to_string()))
        .collect();
    // Column names come from the rule's allow-lists only.
    let mut statement = db.prepare(&format!(
        "SELECT customer_id, {} FROM customer_scores",
        select.join(", ")
    ))?;
    let mut number_columns: Vec<Vec<f64>> = numbers.iter().map(|_| vec![f64::NAN; n]).collect();
    let mut label_columns: Vec<Vec<u32>> = labels.iter().map(|_| vec![NONE; n]).collect();
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let Some(ordinal) = ordinals.of(row.get(0)?) else {
            continue;
        };
        for (i, column) in number_columns.iter_mut().enumerate() {
            if let Some(x) = row.get::<_, Option<f64>>(1 + i)? {
                column[ordinal] = x;
            }
        }
        for (i, ((_, names), column)) in labels.iter().zip(&mut label_columns).enumerate() {
            let label = text(row, 1 + numbers.len() + i)?;
            if let Some(position) = label.and_then(|l| names.iter().position(|n| *n == l)) {
                column[ordinal] = position as u32;
            }
        }
    }
    Ok((
        numbers
            .into_iter()
            .zip(number_columns.into_iter().map(Into::into))
            .collect(),
        labels
            .into_iter()
            .zip(label_columns)
            .map(|((name, _), codes)| {
                let codes = codes.into();
                (name, LabelColumn { codes })
            })
            .collect(),
    ))
}

/// A property while events stream in: (event position, value code) pairs, made dense at the end,
/// and the codes of its lowercased values.
type SparseProperty = (Vec<(u32, u32)>, StringsBuilder);

fn load_events(db: &Connection, ordinals: &Ordinals<'_>) -> rusqlite::Result<EventColumns> {
    let mut starts = vec![0u32; ordinals.len() + 1];
    let (mut times, mut types, mut values) = (Vec::new(), Vec::new(), Vec::new());
    let mut type_names = StringsBuilder::default();
    let mut properties: HashMap<String, SparseProperty> = HashMap::new();
    let mut statement = db.prepare(
        "SELECT e.id, e.customer_id, e.occurred_at, e.type, e.value, p.key, lower(CAST(p.value AS TEXT)) \
         FROM events e INDEXED BY events_by_customer LEFT JOIN json_each(e.properties) p \
         ORDER BY e.customer_id, e.occurred_at, e.id",
    )?;
    let mut rows = statement.query([])?;
    let (mut last_event, mut last_customer, mut ordinal) = (None, None, None);
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        if last_event != Some(id) {
            last_event = Some(id);
            let customer: i64 = row.get(1)?;
            if last_customer != Some(customer) {
                last_customer = Some(customer);
                ordinal = ordinals.of(customer);
            }
            let Some(ordinal) = ordinal else {
                continue;
            };
            starts[ordinal + 1] += 1;
            times.push(row.get(2)?);
            types.push(type_names.code(text(row, 3)?.unwrap_or_default()));
            values.push(row.get::<_, Option<f64>>(4)?.unwrap_or(f64::NAN));
        } else if ordinal.is_none() {
            continue;
        }
        let (Some(key), Some(value)) = (text(row, 5)?, text(row, 6)?) else {
            continue;
        };
        let position = times.len() as u32 - 1;
        if !properties.contains_key(key) {
            properties.insert(key.to_string(), Default::default());
        }
        if let Some((pairs, value_codes)) = properties.get_mut(key) {
            pairs.push((position, value_codes.code(value)));
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let total = times.len();
    let properties = properties
        .into_iter()
        .map(|(key, (pairs, value_codes))| {
            let mut codes = vec![NONE; total];
            for (position, code) in pairs {
                codes[position as usize] = code;
            }
            let column = PropertyColumn {
                codes: codes.into(),
                values: value_codes.finish(),
            };
            (key, column)
        })
        .collect();
    Ok(EventColumns {
        starts: starts.into(),
        times: times.into(),
        types: types.into(),
        values: values.into(),
        type_names: type_names.finish(),
        properties,
    })
}
