//! What an import would read, shown before anything is written: the detected format, encoding
//! and delimiter, how each column maps to a field, and the first rows (the import wizard's
//! preview step). Large files are previewed from their beginning only.

use std::io::Read;
use std::path::Path;

use super::columns::{check_mapping, field_name, propose_fields, Target};
use super::source::{decode_file, Format};
use super::{load_table, ImportError, ImportOptions};

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
}

/// Previews `path` as an import of `target` with `options` (forced encoding, delimiter, mapping).
pub fn preview_file(
    path: &Path,
    options: &ImportOptions,
    target: Target,
) -> Result<FilePreview, ImportError> {
    let read_error = |source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
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
    let decoded = decode_file(&bytes, options.encoding)?;
    let table = load_table(path, &decoded, options)?;
    let fields = propose_fields(&table.columns, &options.overrides, target);
    let problem = check_mapping(&table.columns, &fields, &options.overrides).err();
    let columns = table
        .columns
        .iter()
        .zip(&fields)
        .map(|(name, field)| ColumnPreview {
            name: name.clone(),
            field: field_name(field),
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
    Ok(FilePreview {
        format: table.format,
        encoding: decoded.encoding.name(),
        delimiter: table.delimiter.map(String::from),
        columns,
        rows,
        whole_file,
        rows_read: table.rows.len() + table.errors.len(),
        problem,
    })
}
