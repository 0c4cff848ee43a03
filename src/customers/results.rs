//! `tessera campaign results NAME FILE`: what an email service reports per recipient of a
//! campaign (sent, opened, clicked, converted, revenue), read like any import — encoding
//! detected (GB18030 too), columns mapped by name or `--map`, bad rows rejected with line and
//! reason into `FILE.rejected.csv` — and kept per campaign and customer; a later export of the
//! same campaign replaces a customer's row.

use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};
use sqlx::Connection as _;

use super::columns::{attribute_name, map_columns, Field, Target};
use super::identity::{load_key_owners, Key, KeyKind};
use super::report::{ImportSummary, Rejection, RowProblem};
use super::source::{decode_file, SourceRow};
use super::{load_table, read_bytes, report, unreadable_rows, Counts, ImportError, ImportOptions};
use crate::store::{now_text, with_sqlite, Workspace};
use crate::values::{normalize_email, normalize_external_id, normalize_phone, parse_flag, parse_number};

/// The outcome columns of a results file, by the names services and people give them.
const OUTCOMES: [(Outcome, &[&str]); 4] = [
    (Outcome::Sent, &["sent", "delivered", "已发送", "送达", "发送"]),
    (Outcome::Opened, &["opened", "open", "opens", "已打开", "打开"]),
    (Outcome::Clicked, &["clicked", "click", "clicks", "已点击", "点击"]),
    (Outcome::Converted, &["converted", "conversion", "conversions", "已转化", "转化"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Opened,
    Clicked,
    Converted,
}

fn outcome_of(field: &Field) -> Option<Outcome> {
    let Field::Custom(name) = field else {
        return None;
    };
    let name = attribute_name(name);
    OUTCOMES
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(o, _)| *o)
}

/// One recipient's results.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Results {
    sent: bool,
    opened: bool,
    clicked: bool,
    converted: bool,
    revenue: f64,
}

fn convert_row(row: &SourceRow, columns: &[String], fields: &[Field]) -> Result<(Key, Results), RowProblem> {
    let mut key = None;
    let mut results = Results::default();
    for ((cell, field), column) in row.cells.iter().zip(fields).zip(columns) {
        let Some(text) = cell.text().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        let keyed = |kind, value: Option<String>, code| {
            value
                .map(|value| Key { kind, value })
                .ok_or_else(|| RowProblem::new(code, &[("value", &text)]))
        };
        match field {
            Field::Email if key.is_none() => {
                key = Some(keyed(KeyKind::Email, normalize_email(&text), "row_invalid_email")?)
            }
            Field::Phone if key.is_none() => {
                key = Some(keyed(KeyKind::Phone, normalize_phone(&text), "row_invalid_phone")?)
            }
            Field::ExternalId if key.is_none() => {
                key = normalize_external_id(&text).map(|value| Key {
                    kind: KeyKind::External,
                    value,
                })
            }
            Field::Value => {
                results.revenue = parse_number(&text)
                    .filter(|v| *v >= 0.0)
                    .ok_or_else(|| RowProblem::new("row_bad_number", &[("value", &text)]).in_column(column))?
            }
            other => {
                if let Some(outcome) = outcome_of(other) {
                    let flag = parse_flag(&text)
                        .ok_or_else(|| RowProblem::new("row_bad_flag", &[("value", &text)]).in_column(column))?;
                    match outcome {
                        Outcome::Sent => results.sent = flag,
                        Outcome::Opened => results.opened = flag,
                        Outcome::Clicked => results.clicked = flag,
                        Outcome::Converted => results.converted = flag,
                    }
                }
            }
        }
    }
    Ok((key.ok_or_else(|| RowProblem::new("row_no_key", &[]))?, results))
}

/// Reads `path` into the results of campaign `campaign`: every row of a customer the campaign's
/// runs assigned a variant (the holdout received nothing to have results of); the rest
/// rejected with the reason.
pub async fn import_results(
    ws: &Workspace,
    campaign: &str,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let bytes = read_bytes(path)?;
    let file = decode_file(&bytes, options.encoding)?;
    let table = load_table(path, &file, options)?;
    let fields = map_columns(&table.columns, &options.overrides, Target::Events, &[])?;
    if !fields.iter().any(Field::is_key) {
        return Err(ImportError::NoKeyColumn {
            columns: table.columns.clone(),
        });
    }
    if !fields.iter().any(|f| outcome_of(f).is_some() || *f == Field::Value) {
        return Err(ImportError::NoResultColumn {
            columns: table.columns.clone(),
        });
    }
    let rows_read = table.rows.len() + table.errors.len();
    let mut rejections = unreadable_rows(&table);
    let mut records: Vec<(&SourceRow, Key, Results)> = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        match convert_row(row, &table.columns, &fields) {
            Ok((key, results)) => records.push((row, key, results)),
            Err(reason) => rejections.push(rejection(row, reason)),
        }
    }

    options.check_cancelled()?;
    let mut conn = ws.pool.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let now = now_text();
    let campaign = campaign.to_string();
    let (rows, counts) = with_sqlite::<_, ImportError>(&mut tx, |db| {
        let keys: Vec<&Key> = {
            let mut seen = FxHashSet::default();
            records.iter().map(|(_, k, _)| k).filter(|k| seen.insert(*k)).collect()
        };
        let owners = load_key_owners(db, &keys)?;
        let mut in_campaign = db.prepare(
            "SELECT EXISTS (SELECT 1 FROM run_assignments a JOIN campaign_runs r ON r.id = a.run_id \
             WHERE r.campaign = ?1 AND a.customer_id = ?2 AND a.arm IS NOT NULL AND a.arm <> 'holdout')",
        )?;
        let mut accepted: FxHashMap<i64, (usize, Results)> = FxHashMap::default();
        let mut bad = Vec::new();
        for (row, key, results) in &records {
            let problem = match owners.get(key) {
                None => Some(RowProblem::new(
                    "row_no_customer",
                    &[("kind", key.kind.as_str()), ("value", &key.value)],
                )),
                Some(&customer) => {
                    if in_campaign.query_row(rusqlite::params![campaign, customer], |r| r.get::<_, bool>(0))? {
                        // A customer listed twice: the later row stands.
                        accepted.insert(customer, (row.line, *results));
                        None
                    } else {
                        Some(RowProblem::new("row_not_in_campaign", &[("campaign", &campaign)]))
                    }
                }
            };
            if let Some(problem) = problem {
                bad.push((row.line, problem));
            }
        }
        let mut previous = db.prepare(
            "SELECT sent, opened, clicked, converted, revenue FROM campaign_results WHERE campaign = ?1 AND customer_id = ?2",
        )?;
        let mut write = db.prepare(
            "INSERT OR REPLACE INTO campaign_results (campaign, customer_id, sent, opened, clicked, converted, revenue, imported_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let (mut inserted, mut updated, mut unchanged) = (0, 0, 0);
        for (customer, (_, r)) in &accepted {
            let before: Option<Results> = previous
                .query_row(rusqlite::params![campaign, customer], |row| {
                    Ok(Results {
                        sent: row.get(0)?,
                        opened: row.get(1)?,
                        clicked: row.get(2)?,
                        converted: row.get(3)?,
                        revenue: row.get(4)?,
                    })
                })
                .ok();
            match before {
                Some(b) if b == *r => unchanged += 1,
                Some(_) => updated += 1,
                None => inserted += 1,
            }
            if before != Some(*r) {
                write.execute(rusqlite::params![campaign, customer, r.sent, r.opened, r.clicked, r.converted, r.revenue, now])?;
            }
        }
        Ok((bad, (inserted, updated, unchanged)))
    })
    .await?;
    let by_line: FxHashMap<usize, &SourceRow> = records.iter().map(|(row, _, _)| (row.line, *row)).collect();
    rejections.extend(rows.into_iter().map(|(line, problem)| rejection(by_line[&line], problem)));
    crate::store::note_change(&mut tx).await?;
    let report = report(
        "results",
        path,
        file.encoding,
        &table,
        rows_read,
        rejections,
        Vec::new(),
        Counts {
            inserted: counts.0,
            updated: counts.1,
            merged: 0,
            unchanged: counts.2,
            possible_duplicates: 0,
        },
    )?;
    tx.commit().await?;
    report.publish(path)
}

fn rejection<'a>(row: &SourceRow<'a>, reason: RowProblem) -> Rejection<'a> {
    Rejection {
        line: row.line,
        reason,
        raw: row.raw,
    }
}
