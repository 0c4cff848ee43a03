//! `tessera import customers FILE`: maps rows to customer records, rejects bad rows with their
//! line, merges records that are one person, and writes everything in one transaction.

use std::collections::HashMap;

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use std::path::Path;

use serde_json::Value;
use sqlx::{Connection as _, Row, SqliteConnection};

use super::attributes::{self, AttrType};
use super::columns::{map_columns, Field, Target};
use super::identity::{group_records, load_key_owners, load_strong_keys, Key, KeyKind, Other};
use super::names::split_full_name;
use super::profile::{load_profiles, Profile};
use super::report::{ImportSummary, Rejection, RowError};
use super::source::decode_file;
use super::source::{Cell, SourceRow, SourceTable};
use super::{
    load_table, read_bytes, report, unreadable_rows, Counts, ImportError, ImportOptions, Progress,
};
use crate::store::{
    checkpoint_in_background, insert_each_index_after, insert_rows, now_text, with_sqlite,
    Workspace,
};
use crate::values::clean::{self, Cleaned};
use crate::values::{normalize_email, normalize_external_id, normalize_phone, parse_flag};
use super::report::RowProblem;

/// One valid row, ready to be folded into a profile.
struct CustomerRecord {
    /// The row's line in the file.
    line: usize,
    keys: Vec<Key>,
    profile: Profile,
    /// Columns whose text lost control or invisible characters.
    cleaned: Vec<String>,
}

/// Converts the table's rows on all cores; bad rows become rejections (in file order), cleaned
/// text becomes a warning.
fn convert_rows<'a>(
    table: &'a SourceTable<'a>,
    fields: &[Field],
    types: &HashMap<String, AttrType>,
    rejections: &mut Vec<Rejection<'a>>,
    warnings: &mut Vec<RowError>,
) -> Vec<CustomerRecord> {
    let converted: Vec<Result<CustomerRecord, RowProblem>> = table
        .rows
        .par_iter()
        .map(|row| convert_row(row, &table.columns, fields, types))
        .collect();
    let mut records = Vec::with_capacity(converted.len());
    for (row, result) in table.rows.iter().zip(converted) {
        match result {
            Ok(mut r) => {
                if !r.cleaned.is_empty() {
                    warnings.push(cleaned_warning(row.line, &std::mem::take(&mut r.cleaned)));
                }
                records.push(r)
            }
            Err(reason) => rejections.push(Rejection {
                line: row.line,
                reason,
                raw: row.raw,
            }),
        }
    }
    records
}

/// The warning for a row whose text was cleaned (see `clean`).
/// The rows whose address is on the suppression list: imported (the customer is real) and
/// flagged, since that address gets no email.
async fn suppressed_rows(
    tx: &mut SqliteConnection,
    records: &[CustomerRecord],
) -> Result<Vec<RowError>, sqlx::Error> {
    use crate::sending::suppression::{suppressed_hashes, AddressKey};
    let hashes = suppressed_hashes(&mut *tx).await?;
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    let key = AddressKey::load(&mut *tx).await?;
    Ok(records
        .iter()
        .filter(|r| {
            r.profile
                .email
                .as_deref()
                .and_then(|e| key.hash(e))
                .is_some_and(|h| hashes.contains(&h))
        })
        .map(|r| RowProblem::new("row_suppressed", &[]).at(r.line))
        .collect())
}

pub(super) fn cleaned_warning(line: usize, columns: &[String]) -> RowError {
    let columns = columns
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    RowProblem::new("row_cleaned", &[("columns", &columns)]).at(line)
}

fn convert_row(
    row: &SourceRow,
    columns: &[String],
    fields: &[Field],
    types: &HashMap<String, AttrType>,
) -> Result<CustomerRecord, RowProblem> {
    let mut keys = Vec::new();
    let mut p = Profile::default();
    let mut cleaned = Vec::new();
    for ((cell, field), column) in row.cells.iter().zip(fields).zip(columns) {
        let text = cell.text();
        // Names, locales and tags as stored: see `clean::name`.
        let mut as_name = |t: &str| {
            let (name, how) = clean::name(t);
            if how == Cleaned::Removed {
                cleaned.push(column.clone());
            }
            Some(name.into_owned()).filter(|n| !n.is_empty())
        };
        match field {
            Field::Email => {
                if let Some(t) = text {
                    let email = normalize_email(&t)
                        .ok_or_else(|| RowProblem::new("row_invalid_email", &[("value", &t)]))?;
                    keys.push(Key {
                        kind: KeyKind::Email,
                        value: email.clone(),
                    });
                    p.email = Some(email);
                }
            }
            Field::Phone => {
                if let Some(t) = text {
                    let phone = normalize_phone(&t)
                        .ok_or_else(|| RowProblem::new("row_invalid_phone", &[("value", &t)]))?;
                    keys.push(Key {
                        kind: KeyKind::Phone,
                        value: phone.clone(),
                    });
                    p.phone = Some(phone);
                }
            }
            Field::ExternalId => {
                if let Some(id) = text.as_deref().and_then(normalize_external_id) {
                    keys.push(Key {
                        kind: KeyKind::External,
                        value: id,
                    });
                }
            }
            Field::FirstName => p.first_name = text.as_deref().and_then(&mut as_name),
            Field::LastName => p.last_name = text.as_deref().and_then(&mut as_name),
            Field::FullName => {
                if let Some(t) = text.as_deref().and_then(&mut as_name) {
                    let (first, last) = split_full_name(&t);
                    p.first_name = p.first_name.take().or(first);
                    p.last_name = p.last_name.take().or(last);
                }
            }
            Field::Locale => {
                p.locale = text
                    .as_deref()
                    .and_then(&mut as_name)
                    .map(|t| t.replace('_', "-"))
            }
            Field::Tags => {
                let list: Vec<String> = match cell {
                    Cell::Json(Value::Array(items)) => items
                        .iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect(),
                    _ => text
                        .map(|t| {
                            t.split([';', ',', '，', '；'])
                                .map(|s| s.to_string())
                                .collect()
                        })
                        .unwrap_or_default(),
                };
                p.tags.extend(list.iter().filter_map(|t| as_name(t)));
            }
            Field::Consent { channel, opt_out } => {
                if let Some(t) = text {
                    let flag = parse_flag(&t).ok_or_else(|| {
                        RowProblem::new("row_bad_flag", &[("value", &t)]).in_column(column)
                    })?;
                    p.consent
                        .insert(channel.as_str().to_string(), flag != *opt_out);
                }
            }
            Field::Custom(name) => {
                let ty = types.get(name).copied().unwrap_or(AttrType::Text);
                if let Some(v) = attributes::convert(cell, ty)
                    .map_err(|e| e.in_column(column))?
                {
                    let v = match v {
                        Value::String(s) => match clean::text(&s) {
                            (t, Cleaned::Removed) => {
                                cleaned.push(column.clone());
                                Value::String(t.into_owned())
                            }
                            (_, Cleaned::Unchanged) => Value::String(s),
                        },
                        other => other,
                    };
                    p.attributes.insert(name.clone(), v);
                }
            }
            Field::Timestamp | Field::EventType | Field::Value | Field::Ignore => {}
        }
    }
    if keys.is_empty() {
        return Err(RowProblem::new("row_no_key", &[]));
    }
    Ok(CustomerRecord {
        line: row.line,
        keys,
        profile: p,
        cleaned,
    })
}

/// The type of each custom column: the workspace's if known, else inferred from this file.
async fn column_types(
    conn: &mut SqliteConnection,
    table: &SourceTable<'_>,
    fields: &[Field],
) -> Result<(HashMap<String, AttrType>, Vec<(String, AttrType)>), sqlx::Error> {
    let known: HashMap<String, AttrType> = sqlx::query("SELECT name, type FROM attribute_types")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| (r.get::<String, _>(0), AttrType::parse(r.get::<&str, _>(1))))
        .collect();
    let mut types = HashMap::new();
    let mut new_types = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if let Field::Custom(name) = field {
            if types.contains_key(name) {
                continue;
            }
            let ty = match known.get(name) {
                Some(t) => *t,
                None => {
                    let t = attributes::infer(table.rows.iter().map(|r| &r.cells[i]));
                    new_types.push((name.clone(), t));
                    t
                }
            };
            types.insert(name.clone(), ty);
        }
    }
    Ok((types, new_types))
}

/// The names of the workspace's attributes.
pub(super) async fn attribute_names(pool: &sqlx::SqlitePool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM attribute_types ORDER BY name")
        .fetch_all(pool)
        .await
}

/// What the import will write, decided before the write transaction's first statement.
#[derive(Default)]
pub(super) struct Plan {
    pub(super) upserts: Vec<(i64, Profile)>,
    /// Beside each upsert: the first line of the file it comes from.
    upsert_lines: Vec<usize>,
    /// The profiles of the existing customers the file touches, as they were.
    before: HashMap<i64, Profile>,
    new_keys: Vec<(Key, i64)>,
    /// (survivor, merged-away customer, the key that matched)
    pub(super) merges: Vec<(i64, i64, String)>,
    /// Records joined to a customer of the workspace (`Some`) or to earlier rows of the file:
    /// (line, customer, the key they share).
    joined: Vec<(usize, Option<i64>, String)>,
    /// Customers kept apart though they share a key: (customer, other customer, the key).
    possible_duplicates: Vec<(i64, i64, String)>,
    pub(super) merged_profiles: HashMap<i64, Profile>,
    inserted: usize,
    updated: usize,
    merged: usize,
    unchanged: usize,
}

/// Decides what to write. Takes the records by value: their profiles and keys move into the
/// plan rather than being copied (imports are large).
async fn plan(
    conn: &mut SqliteConnection,
    mut records: Vec<CustomerRecord>,
) -> Result<Plan, ImportError> {
    let all_keys: Vec<&Key> = {
        let mut seen = FxHashSet::with_capacity_and_hasher(records.len() * 2, Default::default());
        records
            .iter()
            .flat_map(|r| r.keys.iter())
            .filter(|k| seen.insert(*k))
            .collect()
    };
    let (owners, owner_keys) = with_sqlite::<_, ImportError>(conn, |db| {
        let owners = load_key_owners(db, &all_keys)?;
        let mut ids: Vec<i64> = owners.values().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        Ok((owners, load_strong_keys(db, &ids)?))
    })
    .await?;
    let record_keys: Vec<&[Key]> = records.iter().map(|r| r.keys.as_slice()).collect();
    let grouping = group_records(&record_keys, &owners, &owner_keys);
    let groups = grouping.groups;
    drop(all_keys);
    let existing_ids: Vec<i64> = {
        let mut ids: Vec<i64> = groups
            .iter()
            .flat_map(|g| g.existing.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let existing = load_profiles(conn, &existing_ids).await?;
    let mut next_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM customers")
        .fetch_one(&mut *conn)
        .await?;

    let mut plan = Plan::default();
    // Keys are one customer's each: the first group to bring a new one gets it.
    let mut claimed: FxHashSet<Key> = FxHashSet::default();
    let mut customer_of_record: Vec<i64> = vec![0; records.len()];
    for group in groups {
        let (id, before) = match group.existing.first() {
            Some(&survivor) => (survivor, existing.get(&survivor).cloned()),
            None => {
                next_id += 1;
                (next_id - 1, None)
            }
        };
        let mut profile = before.clone().unwrap_or_default();
        for &loser in group.existing.iter().skip(1) {
            let loser_profile = existing.get(&loser).cloned().unwrap_or_default();
            profile.fill_from(&loser_profile);
            let matched_on = group
                .records
                .iter()
                .flat_map(|&r| records[r].keys.iter())
                .find(|k| owners.get(*k) == Some(&loser))
                .map(|k| k.to_string())
                .unwrap_or_default();
            plan.merges.push((id, loser, matched_on));
            plan.merged_profiles.insert(loser, loser_profile);
        }
        let keys_start = plan.new_keys.len();
        for (n, &r) in group.records.iter().enumerate() {
            customer_of_record[r] = id;
            let record = &mut records[r];
            if n > 0 || before.is_some() {
                let matched = record
                    .keys
                    .iter()
                    .find(|k| owners.get(*k).is_some_and(|o| group.existing.contains(o)))
                    .or_else(|| record.keys.first());
                plan.joined.push((
                    record.line,
                    before.is_some().then_some(id),
                    matched.map(ToString::to_string).unwrap_or_default(),
                ));
            }
            let incoming = std::mem::take(&mut record.profile);
            if n == 0 && before.is_none() {
                profile = incoming;
            } else {
                profile.overlay(&incoming);
            }
            for key in std::mem::take(&mut record.keys) {
                // A key another customer has stays theirs (the two were kept apart).
                if owners.contains_key(&key) || claimed.contains(&key) {
                    continue;
                }
                claimed.insert(key.clone());
                plan.new_keys.push((key, id));
            }
        }
        let losers = group.existing.len().saturating_sub(1);
        let changed =
            losers > 0 || plan.new_keys.len() > keys_start || before.as_ref() != Some(&profile);
        if !changed {
            plan.unchanged += 1;
            continue;
        }
        if before.is_some() {
            plan.updated += 1;
        } else {
            plan.inserted += 1;
        }
        plan.merged += group.records.len() - 1 + losers;
        plan.upserts.push((id, profile));
        plan.upsert_lines.push(
            group
                .records
                .iter()
                .map(|&r| records[r].line)
                .min()
                .unwrap_or(0),
        );
    }
    for apart in grouping.apart {
        let customer = customer_of_record[apart.record];
        let other = match apart.other {
            Other::Record(r) => customer_of_record[r],
            Other::Customer(c) => c,
        };
        if customer != other {
            plan.possible_duplicates
                .push((customer.min(other), customer.max(other), apart.key.to_string()));
        }
    }
    plan.possible_duplicates.sort();
    plan.possible_duplicates.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
    plan.before = existing;
    Ok(plan)
}

/// Writes `plan`: the merges it decided (`import_id` names the import that found them, none for
/// one the user decided), the customers, their keys, tags, consent and new attribute types.
pub(super) async fn write(
    conn: &mut SqliteConnection,
    plan: &Plan,
    new_types: &[(String, AttrType)],
    import_id: Option<i64>,
) -> Result<(), ImportError> {
    let now = now_text();
    for (survivor, loser, matched_on) in &plan.merges {
        let snapshot = serde_json::to_string(&plan.merged_profiles[loser]).unwrap_or_default();
        sqlx::query("UPDATE customer_keys SET customer_id = ? WHERE customer_id = ?")
            .bind(survivor)
            .bind(loser)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE events SET customer_id = ? WHERE customer_id = ?")
            .bind(survivor)
            .bind(loser)
            .execute(&mut *conn)
            .await?;
        // What the merged-away customer was kept apart from, the survivor now is.
        sqlx::query(
            "INSERT OR IGNORE INTO possible_duplicates (customer_id, other_id, matched_on, import_id, found_at, kept_apart_at) \
             SELECT MIN(s, o), MAX(s, o), matched_on, import_id, found_at, kept_apart_at FROM \
             (SELECT ? AS s, CASE WHEN customer_id = ? THEN other_id ELSE customer_id END AS o, matched_on, import_id, found_at, kept_apart_at \
              FROM possible_duplicates WHERE customer_id = ? OR other_id = ?) WHERE o <> s",
        )
        .bind(survivor)
        .bind(loser)
        .bind(loser)
        .bind(loser)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM customers WHERE id = ?")
            .bind(loser)
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO customer_merges (survivor_id, merged_id, matched_on, import_id, snapshot, merged_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(survivor).bind(loser).bind(matched_on).bind(import_id).bind(snapshot).bind(&now)
            .execute(&mut *conn).await?;
    }
    let customers_sql = "INSERT INTO customers (id, email, phone, first_name, last_name, locale, attributes, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT(id) DO UPDATE SET email = excluded.email, phone = excluded.phone, first_name = excluded.first_name, \
         last_name = excluded.last_name, locale = excluded.locale, attributes = excluded.attributes, updated_at = excluded.updated_at";
    // Serialized on all cores beforehand: the insert itself is one core's work.
    let rows: Vec<(&(i64, Profile), String)> = plan
        .upserts
        .par_iter()
        .map(|upsert| {
            let attributes =
                serde_json::to_string(&upsert.1.attributes).unwrap_or_else(|_| "{}".into());
            (upsert, attributes)
        })
        .collect();
    insert_rows::<_, ImportError>(conn, customers_sql, &rows, |bind, ((id, p), attributes)| {
        bind(rusqlite::params![
            id,
            p.email,
            p.phone,
            p.first_name,
            p.last_name,
            p.locale,
            attributes,
            now,
            now
        ])
    })
    .await?;
    // Once both customers exist.
    for (customer, other, key) in &plan.possible_duplicates {
        sqlx::query("INSERT OR IGNORE INTO possible_duplicates (customer_id, other_id, matched_on, import_id, found_at) VALUES (?, ?, ?, ?, ?)")
            .bind(customer).bind(other).bind(key).bind(import_id).bind(&now)
            .execute(&mut *conn).await?;
    }
    // In primary-key order, the key index grows at its end instead of splitting pages everywhere.
    let mut keys: Vec<&(Key, i64)> = plan.new_keys.iter().collect();
    keys.sort_unstable_by(|a, b| {
        (a.0.kind.as_str(), &a.0.value).cmp(&(b.0.kind.as_str(), &b.0.value))
    });
    // New keys have no owner yet (owned ones were found by `load_key_owners`).
    let keys_sql = "INSERT INTO customer_keys (kind, value, customer_id) VALUES (?, ?, ?)";
    with_sqlite::<_, ImportError>(conn, |db| {
        Ok(insert_each_index_after(
            db,
            keys_sql,
            &keys,
            "customer_keys_by_customer",
            |bind, (key, id)| bind(rusqlite::params![key.kind.as_str(), key.value, id]),
        )?)
    })
    .await?;
    let tags: Vec<(i64, &str)> = plan
        .upserts
        .iter()
        .flat_map(|(id, p)| p.tags.iter().map(move |t| (*id, t.as_str())))
        .collect();
    let tags_sql = "INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (?, ?)";
    with_sqlite::<_, ImportError>(conn, |db| {
        Ok(insert_each_index_after(
            db,
            tags_sql,
            &tags,
            "customer_tags_by_tag",
            |bind, (id, tag)| bind(rusqlite::params![id, tag]),
        )?)
    })
    .await?;
    let consent: Vec<(i64, &str, bool)> = plan
        .upserts
        .iter()
        .flat_map(|(id, p)| p.consent.iter().map(move |(c, g)| (*id, c.as_str(), *g)))
        .collect();
    let consent_sql = "INSERT INTO customer_consent (customer_id, channel, granted, updated_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT(customer_id, channel) DO UPDATE SET granted = excluded.granted, updated_at = excluded.updated_at \
         WHERE granted != excluded.granted";
    insert_rows::<_, ImportError>(
        conn,
        consent_sql,
        &consent,
        |bind, (id, channel, granted)| bind(rusqlite::params![id, channel, *granted as i64, now]),
    )
    .await?;
    let types_sql = "INSERT OR IGNORE INTO attribute_types (name, type) VALUES (?, ?)";
    insert_rows::<_, ImportError>(conn, types_sql, new_types, |bind, (name, ty)| {
        bind(rusqlite::params![name, ty.as_str()])
    })
    .await?;
    Ok(())
}

pub async fn import_customers(
    ws: &Workspace,
    path: &Path,
    options: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportSummary, ImportError> {
    options.outcome(run_customers_import(ws, path, options, progress).await)
}

async fn run_customers_import(
    ws: &Workspace,
    path: &Path,
    options: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportSummary, ImportError> {
    let bytes = read_bytes(path)?;
    let file = decode_file(&bytes, options.encoding)?;
    let table = &load_table(path, &file, options)?;
    let existing = attribute_names(&ws.pool).await?;
    let fields = map_columns(
        &table.columns,
        &options.overrides,
        Target::Customers,
        &existing,
    )?;
    if !fields.iter().any(Field::is_key) {
        return Err(ImportError::NoKeyColumn {
            columns: table.columns.clone(),
        });
    }
    progress(Progress::Read {
        rows: table.rows.len(),
    });

    options.check_cancelled()?;
    let mut conn = ws.bulk_connection(options.cancel.clone()).await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let (types, new_types) = column_types(&mut tx, table, &fields).await?;
    let mut rejections = unreadable_rows(table);
    let mut warnings = Vec::new();
    let records = convert_rows(table, &fields, &types, &mut rejections, &mut warnings);
    options.check_cancelled()?;
    warnings.extend(suppressed_rows(&mut tx, &records).await?);
    let plan = plan(&mut tx, records).await?;
    options.check_cancelled()?;
    progress(Progress::Writing {
        rows: plan.upserts.len(),
    });

    let import_id: i64 = sqlx::query_scalar(
        "INSERT INTO imports (kind, file_name, encoding, imported_at, inserted, updated, merged, rejected, unchanged) \
         VALUES ('customers', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(path.display().to_string())
    .bind(file.encoding.name())
    .bind(now_text())
    .bind(plan.inserted as i64)
    .bind(plan.updated as i64)
    .bind(plan.merged as i64)
    .bind(rejections.len() as i64)
    .bind(plan.unchanged as i64)
    .fetch_one(&mut *tx)
    .await?;
    write(&mut tx, &plan, &new_types, Some(import_id)).await?;
    if !plan.merges.is_empty() {
        // Merges move purchases between customers: their scores change.
        crate::scores::refresh_scores(&mut tx, chrono::Utc::now().date_naive()).await?;
    }
    crate::store::note_change(&mut tx).await?;
    crate::store::refresh_statistics(&mut tx).await?;
    let counts = Counts {
        inserted: plan.inserted,
        updated: plan.updated,
        merged: plan.merged,
        unchanged: plan.unchanged,
        possible_duplicates: plan.possible_duplicates.len(),
    };
    let rows_read = table.rows.len() + table.errors.len();
    let report = report(
        "customers",
        path,
        file.encoding,
        table,
        rows_read,
        rejections,
        warnings,
        counts,
    )?;
    tx.commit().await?;
    checkpoint_in_background(conn);
    report.publish(path)
}

/// What importing a file's rows would do to the workspace, worked out without writing: the
/// import wizard shows it before the user commits (see `inspect::preview_import`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportForecast {
    pub new_customers: usize,
    pub updated_customers: usize,
    pub unchanged: usize,
    /// Rows that would join a customer of the workspace or an earlier row of the file (the
    /// first ones), and how many in all.
    pub merges: Vec<MergeForecast>,
    pub merged_total: usize,
    /// Customers that would be kept apart from one they share a phone or an email with (their
    /// emails or customer numbers differ): possibly one person, to look at after the import.
    pub possible_duplicates: usize,
    /// Rows that would be rejected, with line and reason.
    pub rejected: Vec<RowError>,
    /// Customers whose existing values would change (the first ones), and how many in all.
    pub changes: Vec<CustomerChange>,
    pub changed_total: usize,
}

/// A row that would be merged into a customer: where, into whom, through which key.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct MergeForecast {
    pub line: usize,
    /// The workspace's customer it joins; none when it joins an earlier row of the file.
    pub customer: Option<i64>,
    /// The key they share, as `email:ann@example.com`.
    pub key: String,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct CustomerChange {
    pub line: usize,
    pub customer: i64,
    pub name: Option<String>,
    pub values: Vec<ValueChange>,
}

/// A value the customer has that the import would replace. `field` in `--map` spelling.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ValueChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

const CHANGES_SHOWN: usize = 50;

pub(super) async fn forecast(
    ws: &Workspace,
    table: &SourceTable<'_>,
    fields: &[Field],
) -> Result<ImportForecast, ImportError> {
    let mut conn = ws.pool.acquire().await?;
    let (types, _) = column_types(&mut conn, table, fields).await?;
    let mut rejections = unreadable_rows(table);
    let records = convert_rows(table, fields, &types, &mut rejections, &mut Vec::new());
    rejections.sort_by_key(|r| r.line);
    let plan = plan(&mut conn, records).await?;
    let mut changes: Vec<CustomerChange> = plan
        .upserts
        .iter()
        .zip(&plan.upsert_lines)
        .filter_map(|((id, after), &line)| {
            let values = changed_values(plan.before.get(id)?, after);
            (!values.is_empty()).then(|| CustomerChange {
                line,
                customer: *id,
                name: super::names::display_name(
                    after.first_name.as_deref(),
                    after.last_name.as_deref(),
                ),
                values,
            })
        })
        .collect();
    changes.sort_by_key(|c| c.line);
    let changed_total = changes.len();
    changes.truncate(CHANGES_SHOWN);
    let mut merges: Vec<MergeForecast> = plan
        .joined
        .iter()
        .map(|(line, customer, key)| MergeForecast {
            line: *line,
            customer: *customer,
            key: key.clone(),
        })
        .collect();
    merges.sort_by_key(|m| m.line);
    let merged_total = merges.len();
    merges.truncate(CHANGES_SHOWN);
    Ok(ImportForecast {
        new_customers: plan.inserted,
        updated_customers: plan.updated,
        unchanged: plan.unchanged,
        merges,
        merged_total,
        possible_duplicates: plan.possible_duplicates.len(),
        rejected: rejections
            .into_iter()
            .map(|r| r.reason.at(r.line))
            .collect(),
        changes,
        changed_total,
    })
}

/// The values `before` has that `after` replaces with another (added values change nothing).
fn changed_values(before: &Profile, after: &Profile) -> Vec<ValueChange> {
    let mut changes = Vec::new();
    let mut compare = |field: String, old: Option<String>, new: Option<String>| {
        if let (Some(before), Some(after)) = (old, new) {
            if before != after {
                changes.push(ValueChange {
                    field,
                    before,
                    after,
                });
            }
        }
    };
    for (field, old, new) in [
        ("email", &before.email, &after.email),
        ("phone", &before.phone, &after.phone),
        ("first_name", &before.first_name, &after.first_name),
        ("last_name", &before.last_name, &after.last_name),
        ("locale", &before.locale, &after.locale),
    ] {
        compare(field.to_string(), old.clone(), new.clone());
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (name, old) in &before.attributes {
        let new = after.attributes.get(name);
        compare(format!("attribute:{name}"), Some(text(old)), new.map(text));
    }
    for (channel, old) in &before.consent {
        let new = after.consent.get(channel);
        compare(
            format!("consent:{channel}"),
            Some(old.to_string()),
            new.map(bool::to_string),
        );
    }
    changes
}
