//! What an import would read, shown before anything is written: the detected format, encoding
//! and delimiter, how each column maps to a field, and the first rows (the import wizard's
//! preview step). Large files are previewed from their beginning only. Against a workspace the
//! preview also says which columns are existing attributes and what importing the previewed rows
//! would change.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use super::columns::{check_mapping, field_name, propose_fields, Field, Target};
use super::import::{attribute_names, forecast, ImportForecast};
use super::source::{decode_file, Format, SourceTable};
use super::suggest::{attribute_by_values, named_attribute, SuggestionReason};
use super::{load_table, ImportError, ImportOptions};
use crate::store::Workspace;

/// Bytes read from the start of a CSV or NDJSON file for its preview.
const PREVIEW_BYTES: u64 = 1 << 20;
/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 5;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnPreview {
    /// The header as written in the file.
    pub name: String,
    /// The field it maps to, in `--map` spelling (`email`, `consent:sms`, `attribute:city`, …).
    pub field: String,
    /// An existing attribute this column is (already mapped to it) or looks like (by values).
    pub suggestion: Option<Suggestion>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suggestion {
    /// `attribute:NAME`.
    pub field: String,
    pub reason: SuggestionReason,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct FilePreview {
    pub format: Format,
    pub encoding: &'static str,
    pub delimiter: Option<String>,
    pub columns: Vec<ColumnPreview>,
    /// The first rows, a text per column (empty where the row has no value).
    pub rows: Vec<Vec<String>>,
    /// Whether the whole file was read (otherwise only its first megabyte).
    pub whole_file: bool,
    /// Rows read in what was previewed (good and unreadable).
    pub rows_read: usize,
    /// Why the import would be refused with this mapping (two columns for one field, …).
    pub problem: Option<super::columns::MappingError>,
    /// What importing the previewed rows would do (customers, previewed against a workspace).
    pub forecast: Option<ImportForecast>,
    /// What importing the previewed rows as events would do.
    pub events_forecast: Option<super::events::EventsForecast>,
    /// What an events file lacks as mapped (a timestamp column, an event type), to ask for.
    pub missing: Option<crate::error::FieldProblem>,
}

/// The preview against `ws`: columns that name an existing attribute in other words import into
/// it, columns whose values look like an attribute's are suggested, and the previewed rows are
/// planned as the import would plan them (rejections, changed values), without writing.
pub async fn preview_import(
    ws: &Workspace,
    path: &Path,
    options: &ImportOptions,
    target: Target,
) -> Result<FilePreview, ImportError> {
    let existing = match target {
        Target::Customers => attribute_names(&ws.pool).await?,
        Target::Events => Vec::new(),
    };
    let (bytes, whole_file) = read_start(path)?;
    let decoded = decode_file(&bytes, options.encoding)?;
    let table = load_table(path, &decoded, options)?;
    let fields = propose_fields(&table.columns, &options.overrides, target, &existing);
    let mut preview = describe(
        &table,
        &fields,
        options,
        whole_file,
        decoded.encoding.name(),
    );
    if target == Target::Customers {
        let known = known_values(ws, &existing).await?;
        for (i, column) in preview.columns.iter_mut().enumerate() {
            column.suggestion = suggestion(&table, i, &fields[i], &existing, &known);
        }
        if preview.problem.is_none() && fields.iter().any(Field::is_key) {
            preview.forecast = Some(forecast(ws, &table, &fields).await?);
        }
    }
    if target == Target::Events && preview.problem.is_none() {
        match super::events::check_event_columns(&table.columns, &fields, options) {
            Ok(()) => {
                preview.events_forecast =
                    Some(super::events::events_forecast(ws, &table, &fields, options).await?)
            }
            Err(e) => preview.missing = crate::error::Coded::problem(&e),
        }
    }
    Ok(preview)
}

/// Up to this many customers are read for the values each attribute has.
const VALUE_SAMPLE: i64 = 5_000;

/// Each attribute's text values among the first customers, lower case.
async fn known_values(
    ws: &Workspace,
    attributes: &[String],
) -> Result<Vec<(String, HashSet<String>)>, sqlx::Error> {
    let rows: Vec<String> = sqlx::query_scalar("SELECT attributes FROM customers LIMIT ?")
        .bind(VALUE_SAMPLE)
        .fetch_all(&ws.pool)
        .await?;
    let mut known: Vec<(String, HashSet<String>)> = attributes
        .iter()
        .map(|a| (a.clone(), HashSet::new()))
        .collect();
    for row in rows {
        let Ok(serde_json::Value::Object(values)) = serde_json::from_str(&row) else {
            continue;
        };
        for (name, set) in &mut known {
            if let Some(serde_json::Value::String(v)) = values.get(name) {
                if set.len() < 1_000 {
                    set.insert(v.trim().to_lowercase());
                }
            }
        }
    }
    Ok(known)
}

fn suggestion(
    table: &SourceTable,
    column: usize,
    field: &Field,
    existing: &[String],
    known: &[(String, HashSet<String>)],
) -> Option<Suggestion> {
    let Field::Custom(name) = field else {
        return None;
    };
    let header = &table.columns[column];
    if existing.contains(name) {
        let reason = named_attribute(header, existing)
            .filter(|(a, _)| *a == name)
            .map_or(SuggestionReason::SameName, |(_, r)| r);
        return Some(Suggestion {
            field: field_name(field),
            reason,
        });
    }
    let values: Vec<String> = table
        .rows
        .iter()
        .filter_map(|r| r.cells[column].text().map(|t| t.into_owned()))
        .collect();
    attribute_by_values(&values, known).map(|a| Suggestion {
        field: field_name(&Field::Custom(a.clone())),
        reason: SuggestionReason::Values,
    })
}

/// Previews `path` as an import of `target` with `options` (forced encoding, delimiter, mapping).
pub fn preview_file(
    path: &Path,
    options: &ImportOptions,
    target: Target,
) -> Result<FilePreview, ImportError> {
    let (bytes, whole_file) = read_start(path)?;
    let decoded = decode_file(&bytes, options.encoding)?;
    let table = load_table(path, &decoded, options)?;
    let fields = propose_fields(&table.columns, &options.overrides, target, &[]);
    Ok(describe(
        &table,
        &fields,
        options,
        whole_file,
        decoded.encoding.name(),
    ))
}

/// The file's first megabyte cut at a line end (a JSON array whole), and whether that is all.
fn read_start(path: &Path) -> Result<(Vec<u8>, bool), ImportError> {
    let read_error = |source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = crate::store::open_user_file(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.by_ref()
        .take(PREVIEW_BYTES)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    let mut whole_file = (bytes.len() as u64) < PREVIEW_BYTES;
    // A JSON array cannot be read in part.
    if !whole_file && bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        file.read_to_end(&mut bytes).map_err(read_error)?;
        whole_file = true;
    }
    if !whole_file {
        // Whole lines only, so neither a row nor a multi-byte character is cut.
        let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(end);
    }
    Ok((bytes, whole_file))
}

fn describe(
    table: &SourceTable,
    fields: &[Field],
    options: &ImportOptions,
    whole_file: bool,
    encoding: &'static str,
) -> FilePreview {
    let problem = check_mapping(&table.columns, fields, &options.overrides).err();
    let columns = table
        .columns
        .iter()
        .zip(fields)
        .map(|(name, field)| ColumnPreview {
            name: name.clone(),
            field: field_name(field),
            suggestion: None,
        })
        .collect();
    let rows = table
        .rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|row| {
            row.cells
                .iter()
                .map(|cell| cell.text().map(|t| t.into_owned()).unwrap_or_default())
                .collect()
        })
        .collect();
    FilePreview {
        format: table.format,
        encoding,
        delimiter: table.delimiter.map(String::from),
        columns,
        rows,
        whole_file,
        rows_read: table.rows.len() + table.errors.len(),
        problem,
        forecast: None,
        events_forecast: None,
        missing: None,
    }
}
