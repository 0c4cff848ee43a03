//! `tessera import events FILE`: purchases and behaviour, each tied to a customer by email,
//! phone or customer id. Re-importing a file adds nothing (each event has a content fingerprint).

use rayon::iter::Either;
use rayon::prelude::*;
use rustc_hash::FxHashSet;
use std::path::Path;

use serde_json::{Map, Value};
use sqlx::Connection as _;

use super::columns::{map_columns, Field, Target};
use super::identity::{load_key_owners, Key, KeyKind};
use super::import::cleaned_warning;
use super::report::{ImportSummary, Rejection};
use super::source::decode_file;
use super::source::{Cell, SourceRow};
use super::{
    load_table, read_bytes, report, unreadable_rows, Counts, EventColumn, ImportError,
    ImportOptions, Progress,
};
use crate::store::{
    checkpoint_in_background, insert_each, now_text, with_index_rebuilt, with_sqlite, Workspace,
};
use crate::values::clean::{self, Cleaned};
use crate::values::{
    normalize_email, normalize_external_id, normalize_phone, parse_number, parse_timestamp,
};
use super::report::RowProblem;

/// Where a row came from in the file, for its rejection.
#[derive(Clone, Copy)]
struct Origin<'a> {
    line: usize,
    raw: &'a str,
}

impl<'a> Origin<'a> {
    fn rejection(self, reason: RowProblem) -> Rejection<'a> {
        Rejection {
            line: self.line,
            reason,
            raw: self.raw,
        }
    }
}

struct EventRecord {
    key: Key,
    occurred_at: i64,
    event_type: String,
    value: Option<f64>,
    properties: String,
    /// Columns whose text lost control or invisible characters.
    cleaned: Vec<String>,
}

impl EventRecord {
    /// Identifies the event across imports. `repeat` numbers identical rows within one file, so
    /// two genuine identical purchases on one day both land, and re-importing the file still
    /// adds nothing.
    fn fingerprint(&self, repeat: usize) -> [u8; 16] {
        use std::io::Write;
        let mut h = blake3::Hasher::new();
        h.update(&(repeat as u64).to_le_bytes());
        // Formatted straight into the hasher: the bytes fingerprints have always been made of.
        let _ = write!(
            h,
            "{}\0{}\0{}\0{:?}\0",
            self.key, self.occurred_at, self.event_type, self.value
        );
        h.update(self.properties.as_bytes());
        let mut fingerprint = [0; 16];
        fingerprint.copy_from_slice(&h.finalize().as_bytes()[..16]);
        fingerprint
    }
}

/// Converts one row. `latest` is the last moment an event may have happened (now, unless the
/// import allows future dates): a date after it is a typo that would move every model's end.
fn convert_row(
    row: &SourceRow,
    columns: &[String],
    fields: &[Field],
    default_type: Option<&str>,
    latest: Option<i64>,
) -> Result<EventRecord, RowProblem> {
    let (mut key, mut occurred_at, mut event_type, mut value) =
        (None, None, default_type.map(String::from), None);
    let mut properties = Map::new();
    let mut cleaned = Vec::new();
    for ((cell, field), column) in row.cells.iter().zip(fields).zip(columns) {
        let text = cell.text();
        match (field, text) {
            (Field::Email, Some(t)) if key.is_none() => {
                let email = normalize_email(&t)
                    .ok_or_else(|| RowProblem::new("row_invalid_email", &[("value", &t)]))?;
                key = Some(Key {
                    kind: KeyKind::Email,
                    value: email,
                });
            }
            (Field::Phone, Some(t)) if key.is_none() => {
                let phone = normalize_phone(&t)
                    .ok_or_else(|| RowProblem::new("row_invalid_phone", &[("value", &t)]))?;
                key = Some(Key {
                    kind: KeyKind::Phone,
                    value: phone,
                });
            }
            (Field::ExternalId, Some(t)) if key.is_none() => {
                key = normalize_external_id(&t).map(|value| Key {
                    kind: KeyKind::External,
                    value,
                })
            }
            (Field::Timestamp, Some(t)) => {
                let ts = parse_timestamp(&t)
                    .ok_or_else(|| RowProblem::new("row_bad_date", &[("value", &t)]).in_column(column))?;
                if latest.is_some_and(|latest| ts.timestamp() > latest) {
                    return Err(RowProblem::new("row_future_date", &[("value", &t)]));
                }
                occurred_at = Some(ts.timestamp());
            }
            (Field::EventType, Some(t)) => {
                let (name, how) = clean::name(&t);
                if how == Cleaned::Removed {
                    cleaned.push(column.clone());
                }
                event_type = Some(name.to_lowercase()).filter(|n| !n.is_empty())
            }
            (Field::Value, Some(t)) => {
                value = Some(
                    parse_number(&t)
                        .ok_or_else(|| {
                            RowProblem::new("row_bad_number", &[("value", &t)]).in_column(column)
                        })?,
                )
            }
            (Field::Custom(name), _) => match cell {
                Cell::Empty => {}
                Cell::Text(t) if t.trim().is_empty() => {}
                Cell::Text(t) => {
                    let (text, how) = clean::text(t.trim());
                    if how == Cleaned::Removed {
                        cleaned.push(column.clone());
                    }
                    properties.insert(name.clone(), Value::String(text.into_owned()));
                }
                Cell::Json(v) => {
                    properties.insert(name.clone(), v.clone());
                }
            },
            _ => {}
        }
    }
    Ok(EventRecord {
        key: key.ok_or_else(|| RowProblem::new("row_no_key", &[]))?,
        occurred_at: occurred_at.ok_or_else(|| RowProblem::new("row_no_timestamp", &[]))?,
        event_type: event_type.ok_or_else(|| RowProblem::new("row_no_event_type", &[]))?,
        value,
        properties: Value::Object(properties).to_string(),
        cleaned,
    })
}

/// That the columns as mapped name the customer, the time and (or the options give) the type.
pub(super) fn check_event_columns(
    columns: &[String],
    fields: &[Field],
    options: &ImportOptions,
) -> Result<(), ImportError> {
    let missing = |what| ImportError::MissingColumn {
        what,
        columns: columns.to_vec(),
    };
    if !fields.iter().any(Field::is_key) {
        return Err(ImportError::NoKeyColumn {
            columns: columns.to_vec(),
        });
    }
    if !fields.contains(&Field::Timestamp) {
        return Err(missing(EventColumn::Timestamp));
    }
    let typed = options
        .event_type
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty());
    if !fields.contains(&Field::EventType) && !typed {
        return Err(missing(EventColumn::EventType));
    }
    Ok(())
}

/// The rows as event records (in parallel, each consumed as it is converted), and the rows
/// that are not events (with why).
fn event_records<'a, R>(
    rows: Vec<R>,
    columns: &[String],
    fields: &[Field],
    options: &ImportOptions,
) -> (Vec<(Origin<'a>, EventRecord)>, Vec<Rejection<'a>>)
where
    R: std::borrow::Borrow<SourceRow<'a>> + Send,
{
    let latest = (!options.allow_future).then(|| chrono::Utc::now().timestamp());
    // Written as a type column's value would be: cleaned, in lower case.
    let default_type = options
        .event_type
        .as_deref()
        .map(|t| clean::name(t).0.to_lowercase())
        .filter(|t| !t.is_empty());
    let default_type = default_type.as_deref();
    rows.into_par_iter().partition_map(|row| {
        let row = row.borrow();
        let origin = Origin {
            line: row.line,
            raw: row.raw,
        };
        match convert_row(row, columns, fields, default_type, latest) {
            Ok(record) => Either::Left((origin, record)),
            Err(reason) => Either::Right(origin.rejection(reason)),
        }
    })
}

/// The workspace's customer of each record's key.
async fn key_owners(
    conn: &mut sqlx::SqliteConnection,
    records: &[(Origin<'_>, EventRecord)],
) -> Result<rustc_hash::FxHashMap<Key, i64>, ImportError> {
    let keys: Vec<&Key> = {
        let mut seen = FxHashSet::default();
        records
            .iter()
            .map(|(_, r)| &r.key)
            .filter(|k| seen.insert(*k))
            .collect()
    };
    with_sqlite::<_, ImportError>(conn, |db| Ok(load_key_owners(db, &keys)?)).await
}

/// The records of known customers, each with its customer and fingerprint, in the order they
/// are inserted; a record of no customer is rejected.
fn owned_events<'r, 'a>(
    records: &'r [(Origin<'a>, EventRecord)],
    owners: &rustc_hash::FxHashMap<Key, i64>,
    rejections: &mut Vec<Rejection<'a>>,
) -> Vec<(i64, &'r EventRecord, [u8; 16])> {
    let mut rows = Vec::with_capacity(records.len());
    for (origin, record) in records {
        match owners.get(&record.key) {
            Some(&customer) => rows.push((customer, record, [0; 16])),
            None => rejections.push(origin.rejection(RowProblem::new(
                "row_no_customer",
                &[
                    ("kind", record.key.kind.as_str()),
                    ("value", &record.key.value),
                ],
            ))),
        }
    }
    rows.par_iter_mut()
        .for_each(|(_, record, fingerprint)| *fingerprint = record.fingerprint(0));
    // In index order: each insert lands next to the previous one in the per-customer index. The
    // fingerprint in the key puts identical rows side by side, to be numbered as repeats.
    rows.par_sort_unstable_by(|a, b| (a.0, a.1.occurred_at, a.2).cmp(&(b.0, b.1.occurred_at, b.2)));
    for identical in
        rows.chunk_by_mut(|a, b| (a.0, a.1.occurred_at, a.2) == (b.0, b.1.occurred_at, b.2))
    {
        for (repeat, (_, record, fingerprint)) in identical.iter_mut().enumerate().skip(1) {
            *fingerprint = record.fingerprint(repeat);
        }
    }
    rows
}

/// What importing the previewed rows as events would do.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventsForecast {
    /// Events that would be added, and the customers they belong to.
    pub new_events: usize,
    pub customers: usize,
    /// Events the workspace already has (from an earlier import of the same rows): not added.
    pub already_imported: usize,
    /// Rows that would be rejected (the first ones), with line and reason, and how many in all.
    pub rejected: Vec<super::report::RowError>,
    pub rejected_total: usize,
}

/// Rejected rows a preview lists; the rest are counted.
const REJECTED_SHOWN: usize = 50;

/// The previewed rows planned as the import plans them, without writing.
pub(super) async fn events_forecast(
    ws: &Workspace,
    table: &super::source::SourceTable<'_>,
    fields: &[Field],
    options: &ImportOptions,
) -> Result<EventsForecast, ImportError> {
    let mut rejections = unreadable_rows(table);
    let (records, bad) = event_records(table.rows.iter().collect(), &table.columns, fields, options);
    rejections.extend(bad);
    let mut conn = ws.pool.acquire().await?;
    let owners = key_owners(&mut conn, &records).await?;
    let rows = owned_events(&records, &owners, &mut rejections);
    let already_imported = with_sqlite::<_, ImportError>(&mut conn, |db| {
        let mut known = db.prepare(
            "SELECT EXISTS (SELECT 1 FROM events WHERE customer_id = ? AND occurred_at = ? AND fingerprint = ?)",
        )?;
        let mut count = 0;
        for (customer, record, fingerprint) in &rows {
            let params = rusqlite::params![customer, record.occurred_at, fingerprint.as_slice()];
            if known.query_row(params, |r| r.get::<_, bool>(0))? {
                count += 1;
            }
        }
        Ok(count)
    })
    .await?;
    rejections.sort_by_key(|r| r.line);
    let customers: FxHashSet<i64> = rows.iter().map(|(c, _, _)| *c).collect();
    Ok(EventsForecast {
        new_events: rows.len() - already_imported,
        customers: customers.len(),
        already_imported,
        rejected_total: rejections.len(),
        rejected: rejections
            .into_iter()
            .take(REJECTED_SHOWN)
            .map(|r| r.reason.at(r.line))
            .collect(),
    })
}

pub async fn import_events(
    ws: &Workspace,
    path: &Path,
    options: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportSummary, ImportError> {
    options.outcome(run_events_import(ws, path, options, progress).await)
}

async fn run_events_import(
    ws: &Workspace,
    path: &Path,
    options: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportSummary, ImportError> {
    let bytes = read_bytes(path)?;
    let file = decode_file(&bytes, options.encoding)?;
    let mut table = load_table(path, &file, options)?;
    let fields = map_columns(&table.columns, &options.overrides, Target::Events, &[])?;
    check_event_columns(&table.columns, &fields, options)?;
    progress(Progress::Read {
        rows: table.rows.len(),
    });

    let rows_read = table.rows.len() + table.errors.len();
    let mut rejections = unreadable_rows(&table);
    // The source rows are consumed as they are converted: at ten million events their cells
    // would otherwise stay in memory beside the records (gigabytes, each page zeroed by the
    // kernel once). Each record keeps where it came from for its rejection, if any.
    let source_rows = std::mem::take(&mut table.rows);
    let (mut records, bad) = event_records(source_rows, &table.columns, &fields, options);
    rejections.extend(bad);
    let warnings: Vec<_> = records
        .iter_mut()
        .filter(|(_, r)| !r.cleaned.is_empty())
        .map(|(origin, r)| cleaned_warning(origin.line, &std::mem::take(&mut r.cleaned)))
        .collect();

    options.check_cancelled()?;
    let mut conn = ws.bulk_connection(options.cancel.clone()).await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let owners = key_owners(&mut tx, &records).await?;
    let rows = owned_events(&records, &owners, &mut rejections);
    progress(Progress::Writing { rows: rows.len() });
    let inserted = with_sqlite::<_, ImportError>(&mut tx, |db| {
        let insert = || {
            insert_each(
                db,
                "INSERT OR IGNORE INTO events (customer_id, occurred_at, type, value, properties, fingerprint) VALUES (?, ?, ?, ?, ?, ?)",
                &rows,
                |bind, (customer, r, fingerprint)| {
                    bind(rusqlite::params![
                        customer,
                        r.occurred_at,
                        r.event_type,
                        r.value,
                        r.properties,
                        fingerprint.as_slice()
                    ])
                },
            )
        };
        // Into an empty table nothing can be a re-import, and one file's rows are told apart by
        // their repeat numbers: the unique index can be built once, after the insert.
        let empty: bool = db.query_row("SELECT NOT EXISTS (SELECT 1 FROM events)", [], |r| r.get(0))?;
        Ok(if empty {
            with_index_rebuilt(db, "events_by_customer", insert)?
        } else {
            insert()?
        })
    })
    .await? as usize;
    let unchanged = rows.len() - inserted;
    sqlx::query(
        "INSERT INTO imports (kind, file_name, encoding, imported_at, inserted, updated, merged, rejected, unchanged) \
         VALUES ('events', ?, ?, ?, ?, 0, 0, ?, ?)",
    )
    .bind(path.display().to_string())
    .bind(file.encoding.name())
    .bind(now_text())
    .bind(inserted as i64)
    .bind(rejections.len() as i64)
    .bind(unchanged as i64)
    .execute(&mut *tx)
    .await?;
    // Scores depend on purchase history: recomputed in the same transaction.
    crate::scores::refresh_scores(&mut tx, chrono::Utc::now().date_naive()).await?;
    crate::store::note_change(&mut tx).await?;
    crate::store::refresh_statistics(&mut tx).await?;
    let report = report(
        "events",
        path,
        file.encoding,
        &table,
        rows_read,
        rejections,
        warnings,
        Counts {
            inserted,
            updated: 0,
            merged: 0,
            unchanged,
            possible_duplicates: 0,
        },
    )?;
    tx.commit().await?;
    checkpoint_in_background(conn);
    report.publish(path)
}
