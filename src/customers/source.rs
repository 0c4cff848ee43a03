//! Reads an import file (CSV, JSON array or NDJSON, in UTF-8 or GB18030) into one shape:
//! named columns and rows of cells, each row with its line number and source text.

use std::borrow::Cow;

use serde_json::value::RawValue;
use serde_json::Value;

use super::csv_text;
use rayon::prelude::*;

use super::decode::{decode, DecodeError, Encoding};
use super::report::RowProblem;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Json,
    Ndjson,
}

#[derive(Debug, Clone)]
pub enum Cell<'a> {
    Empty,
    Text(Cow<'a, str>),
    /// A typed JSON value (number, bool, array, object) from a JSON source.
    Json(Value),
}

impl Cell<'_> {
    /// The cell as trimmed text, if it is a non-empty scalar.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Cell::Empty => None,
            Cell::Text(t) => Some(Cow::Borrowed(t.trim())).filter(|t| !t.is_empty()),
            Cell::Json(Value::Number(n)) => Some(Cow::Owned(n.to_string())),
            Cell::Json(Value::Bool(b)) => Some(Cow::Owned(b.to_string())),
            Cell::Json(_) => None,
        }
    }
}

pub struct SourceRow<'a> {
    pub line: usize,
    pub cells: Vec<Cell<'a>>,
    pub raw: &'a str,
}

/// A row that could not be read at all.
pub struct SourceError<'a> {
    pub line: usize,
    pub reason: RowProblem,
    pub raw: &'a str,
}

pub struct SourceTable<'a> {
    pub format: Format,
    pub delimiter: Option<char>,
    pub columns: Vec<String>,
    pub rows: Vec<SourceRow<'a>>,
    pub errors: Vec<SourceError<'a>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceFileError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the file has no header row")]
    NoHeader,
}

/// Decoded file text; the table borrows from it.
pub struct DecodedFile<'a> {
    pub text: Cow<'a, str>,
    pub encoding: Encoding,
}

pub fn decode_file(
    bytes: &[u8],
    forced: Option<Encoding>,
) -> Result<DecodedFile<'_>, SourceFileError> {
    let (text, encoding) = decode(bytes, forced)?;
    // Old Mac exports end lines with CR alone: read them as the lines they are.
    let text = if text.contains('\r') && !text.contains('\n') {
        Cow::Owned(text.replace('\r', "\n"))
    } else {
        text
    };
    Ok(DecodedFile { text, encoding })
}

/// Picks the format from the file name, else from the first character.
pub fn detect_format(file_name: &str, text: &str) -> Format {
    let lower = file_name.to_lowercase();
    if lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
        return Format::Ndjson;
    }
    match text.trim_start().chars().next() {
        Some('[') => Format::Json,
        Some('{') => Format::Ndjson,
        _ => Format::Csv,
    }
}

pub fn read_table<'a>(
    text: &'a str,
    format: Format,
    delimiter: Option<u8>,
) -> Result<SourceTable<'a>, SourceFileError> {
    match format {
        Format::Csv => Ok(read_csv(text, delimiter)?),
        Format::Json => read_json_array(text),
        Format::Ndjson => Ok(read_ndjson(text)),
    }
}

fn read_csv(text: &str, delimiter: Option<u8>) -> Result<SourceTable<'_>, SourceFileError> {
    let csv = csv_text::read(text, delimiter);
    if csv.header.is_empty() {
        return Err(SourceFileError::NoHeader);
    }
    let rows = csv
        .records
        .into_par_iter()
        .map(|r| SourceRow {
            line: r.line,
            raw: r.raw,
            cells: r.fields.into_iter().map(Cell::Text).collect(),
        })
        .collect();
    let errors = csv
        .errors
        .into_iter()
        .map(|(line, reason, raw)| SourceError { line, reason, raw })
        .collect();
    Ok(SourceTable {
        format: Format::Csv,
        delimiter: Some(csv.delimiter as char),
        columns: csv.header.iter().map(|h| h.trim().to_string()).collect(),
        rows,
        errors,
    })
}

/// Collects objects into rows; columns are the keys in order of first appearance.
struct ObjectRows<'a> {
    columns: Vec<String>,
    index: std::collections::HashMap<String, usize>,
    rows: Vec<SourceRow<'a>>,
    errors: Vec<SourceError<'a>>,
}

impl<'a> ObjectRows<'a> {
    fn new() -> Self {
        ObjectRows {
            columns: Vec::new(),
            index: Default::default(),
            rows: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn push(&mut self, line: usize, raw: &'a str) {
        let object = match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                self.errors.push(SourceError {
                    line,
                    reason: RowProblem::new("row_not_object", &[]),
                    raw,
                });
                return;
            }
            Err(e) => {
                self.errors.push(SourceError {
                    line: line + e.line() - 1,
                    reason: RowProblem::new("row_invalid_json", &[("error", &e.to_string())]),
                    raw,
                });
                return;
            }
        };
        let mut cells = vec![Cell::Empty; self.columns.len()];
        for (key, value) in object {
            let at = match self.index.get(&key) {
                Some(&i) => i,
                None => {
                    self.columns.push(key.clone());
                    self.index.insert(key, self.columns.len() - 1);
                    cells.push(Cell::Empty);
                    self.columns.len() - 1
                }
            };
            cells[at] = match value {
                Value::Null => Cell::Empty,
                Value::String(s) => Cell::Text(Cow::Owned(s)),
                other => Cell::Json(other),
            };
        }
        self.rows.push(SourceRow { line, cells, raw });
    }

    fn finish(mut self, format: Format) -> SourceTable<'a> {
        let width = self.columns.len();
        for row in &mut self.rows {
            row.cells.resize(width, Cell::Empty);
        }
        SourceTable {
            format,
            delimiter: None,
            columns: self.columns,
            rows: self.rows,
            errors: self.errors,
        }
    }
}

fn read_ndjson(text: &str) -> SourceTable<'_> {
    let mut rows = ObjectRows::new();
    for (i, line) in text.lines().enumerate() {
        if !line.trim().is_empty() {
            rows.push(i + 1, line);
        }
    }
    rows.finish(Format::Ndjson)
}

fn read_json_array(text: &str) -> Result<SourceTable<'_>, SourceFileError> {
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| SourceFileError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut rows = ObjectRows::new();
    for item in items {
        let raw = item.get();
        // RawValue borrows from `text`, so its address gives its offset and line.
        let offset = raw.as_ptr() as usize - text.as_ptr() as usize;
        let line = line_starts.partition_point(|&start| start <= offset);
        rows.push(line, raw);
    }
    Ok(rows.finish(Format::Json))
}
