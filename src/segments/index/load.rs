//! Building the index from the workspace. Values are read through the same SQL expressions the
//! compiler uses (`lower(…)`, `json_each`), so both paths see identical text and numbers.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};

use super::{
    Bits, EventColumns, FieldColumn, FieldValue, LabelColumn, PropertyColumn, SegmentIndex, NONE,
};
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
            ids,
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
    column: FieldColumn,
    lookup: HashMap<String, u32>,
}

impl ColumnBuilder {
    fn new(n: usize) -> ColumnBuilder {
        ColumnBuilder {
            column: FieldColumn {
                codes: vec![NONE; n],
                values: Vec::new(),
                numbers: vec![f64::NAN; n],
            },
            lookup: HashMap::new(),
        }
    }

    fn set(&mut self, ordinal: usize, lower: &str, number: Option<f64>) {
        let code = match self.lookup.get(lower) {
            Some(code) => *code,
            None => {
                let code = self.column.values.len() as u32;
                self.column.values.push(FieldValue {
                    lower: lower.to_string(),
                });
                self.lookup.insert(lower.to_string(), code);
                code
            }
        };
        self.column.codes[ordinal] = code;
        if let Some(number) = number {
            self.column.numbers[ordinal] = number;
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
        .map(|((_, column), b)| (*column, b.column))
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
        .map(|(name, b)| (name, b.column))
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
    HashMap<&'static str, Vec<f64>>,
    HashMap<&'static str, LabelColumn>,
);

fn load_scores(db: &Connection, ordinals: &Ordinals<'_>) -> rusqlite::Result<Scores> {
    let n = ordinals.len();
    let numbers: Vec<&'static str> = ScoreName::ALL.iter().map(|s| s.column()).collect();
    // Each label column with the canonical names its codes index.
    let labels: Vec<(&'static str, &'static [&'static str])> =
        std::iter::once(("rfm_group", RFM_GROUPS))
            .chain(BandScore::ALL.iter().map(|b| (b.column(), BANDS)))
            .collect();
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
        numbers.into_iter().zip(number_columns).collect(),
        labels
            .into_iter()
            .zip(label_columns)
            .map(|((name, _), codes)| (name, LabelColumn { codes }))
            .collect(),
    ))
}

/// A property while events stream in: (event position, value code) pairs, made dense at the end,
/// and the codes of its lowercased values.
type SparseProperty = (Vec<(u32, u32)>, HashMap<String, u32>);

fn load_events(db: &Connection, ordinals: &Ordinals<'_>) -> rusqlite::Result<EventColumns> {
    let mut events = EventColumns {
        starts: vec![0; ordinals.len() + 1],
        ..EventColumns::default()
    };
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
            events.starts[ordinal + 1] += 1;
            events.times.push(row.get(2)?);
            let event_type = text(row, 3)?.unwrap_or_default();
            let next_type = events.type_ids.len() as u32;
            let type_id = match events.type_ids.get(event_type) {
                Some(t) => *t,
                None => *events
                    .type_ids
                    .entry(event_type.to_string())
                    .or_insert(next_type),
            };
            events.types.push(type_id);
            events
                .values
                .push(row.get::<_, Option<f64>>(4)?.unwrap_or(f64::NAN));
        } else if ordinal.is_none() {
            continue;
        }
        let (Some(key), Some(value)) = (text(row, 5)?, text(row, 6)?) else {
            continue;
        };
        let position = events.times.len() as u32 - 1;
        if !properties.contains_key(key) {
            properties.insert(key.to_string(), Default::default());
        }
        let Some((pairs, value_ids)) = properties.get_mut(key) else {
            continue;
        };
        let next = value_ids.len() as u32;
        let code = match value_ids.get(value) {
            Some(code) => *code,
            None => *value_ids.entry(value.to_string()).or_insert(next),
        };
        pairs.push((position, code));
    }
    for i in 1..events.starts.len() {
        events.starts[i] += events.starts[i - 1];
    }
    let total = events.times.len();
    events.properties = properties
        .into_iter()
        .map(|(key, (pairs, value_ids))| {
            let mut codes = vec![NONE; total];
            for (position, code) in pairs {
                codes[position as usize] = code;
            }
            (key, PropertyColumn { codes, value_ids })
        })
        .collect();
    Ok(events)
}
