//! What an import reports: counts, rejected rows with line and reason, and the
//! `<file>.rejected.csv` written beside the source so nothing the user gave is lost.

use std::path::{Path, PathBuf};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub reason: String,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub kind: &'static str,
    pub file: String,
    pub format: super::source::Format,
    pub encoding: &'static str,
    pub delimiter: Option<String>,
    /// Data rows read (good and bad).
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub merged: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub errors: Vec<RowError>,
    pub rejected_file: Option<String>,
}

/// A rejected row: where it was, why, and its text.
pub struct Rejection<'a> {
    pub line: usize,
    pub reason: String,
    pub raw: &'a str,
}

/// Writes `FILE.rejected.csv` (line, reason, original record) beside `source`; removes a stale
/// one when nothing was rejected. Returns the path written.
pub fn write_rejected(source: &Path, rejections: &[Rejection]) -> std::io::Result<Option<PathBuf>> {
    let mut name = source.file_name().unwrap_or_default().to_os_string();
    name.push(".rejected.csv");
    let path = source.with_file_name(name);
    if rejections.is_empty() {
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
        return Ok(None);
    }
    let mut out = String::from("line,reason,record\n");
    for r in rejections {
        out.push_str(&format!(
            "{},{},{}\n",
            r.line,
            csv_field(&r.reason),
            csv_field(r.raw)
        ));
    }
    std::fs::write(&path, out)?;
    Ok(Some(path))
}

/// One CSV field, quoted when needed.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
