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
    /// Customers kept apart from one they share a phone or an email with, because their
    /// emails or customer numbers differ: possibly one person, for the user to look at.
    pub possible_duplicates: usize,
    pub rejected: usize,
    pub errors: Vec<RowError>,
    /// Rows imported with a change the user should know of (control characters removed).
    pub warnings: Vec<RowError>,
    pub rejected_file: Option<String>,
}

/// A rejected row: where it was, why, and its text.
pub struct Rejection<'a> {
    pub line: usize,
    pub reason: String,
    pub raw: &'a str,
}

/// How the rejected rows are written so they open where the source opened: the source's
/// delimiter and encoding (GB18030 stays GB18030; UTF-8 gets a BOM, which Excel needs to read it
/// as UTF-8), its header after `line` and `reason`, each row as it was in the file.
pub struct RejectedLayout<'a> {
    /// `None` for JSON sources: their records go into one `record` column.
    pub delimiter: Option<char>,
    pub columns: &'a [String],
    pub encoding: super::Encoding,
}

impl RejectedLayout<'_> {
    fn text(&self, rejections: &[Rejection]) -> String {
        let d = self.delimiter.unwrap_or(',');
        let field = |s: &str| delimited_field(s, d);
        let mut out = format!("line{d}reason{d}");
        match self.delimiter {
            Some(_) => {
                let header: Vec<String> = self.columns.iter().map(|c| field(c)).collect();
                out.push_str(&header.join(&d.to_string()));
            }
            None => out.push_str("record"),
        }
        out.push('\n');
        for r in rejections {
            let record = match self.delimiter {
                Some(_) => r.raw.trim_end_matches(['\r', '\n']).to_string(),
                None => field(r.raw),
            };
            out.push_str(&format!("{}{d}{}{d}{record}\n", r.line, field(&r.reason)));
        }
        out
    }

    fn bytes(&self, text: &str) -> Vec<u8> {
        match self.encoding {
            super::Encoding::Gb18030 => encoding_rs::GB18030.encode(text).0.into_owned(),
            super::Encoding::Utf8 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        }
    }
}

/// `FILE.rejected.csv`, written before the import commits (so an import whose report cannot be
/// written, on a full disk say, commits nothing) and put in place once it has committed.
pub struct RejectedFile {
    path: PathBuf,
    /// The written rows, beside `path` under a temporary name; `None` when nothing was rejected.
    pending: Option<PathBuf>,
}

impl RejectedFile {
    /// Writes the rows rejected from `source` (line, reason, original record) to a temporary
    /// file beside it, synced to disk.
    pub fn write(
        source: &Path,
        rejections: &[Rejection],
        layout: &RejectedLayout,
    ) -> std::io::Result<RejectedFile> {
        let mut name = source.file_name().unwrap_or_default().to_os_string();
        name.push(".rejected.csv");
        let path = source.with_file_name(&name);
        if rejections.is_empty() {
            return Ok(RejectedFile {
                path,
                pending: None,
            });
        }
        if path.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                format!("{} is a folder", path.display()),
            ));
        }
        let out = layout.bytes(&layout.text(rejections));
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(&name);
        temp_name.push(format!(".tessera-{}", std::process::id()));
        let temp = source.with_file_name(temp_name);
        let written = crate::output::write_new_synced(&temp, &out);
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written?;
        Ok(RejectedFile {
            path,
            pending: Some(temp),
        })
    }

    /// After the commit: moves the rows into place, or removes a stale file when nothing was
    /// rejected. Returns the path written.
    pub fn publish(mut self) -> std::io::Result<Option<PathBuf>> {
        match self.pending.take() {
            Some(temp) => {
                std::fs::rename(&temp, &self.path)?;
                Ok(Some(self.path.clone()))
            }
            None => {
                if self.path.is_file() {
                    std::fs::remove_file(&self.path)?;
                }
                Ok(None)
            }
        }
    }
}

impl Drop for RejectedFile {
    /// An import that failed after writing its rows leaves no temporary file behind.
    fn drop(&mut self) {
        if let Some(temp) = self.pending.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// One CSV field, quoted when needed.
pub fn csv_field(s: &str) -> String {
    delimited_field(s, ',')
}

/// One field of a file delimited by `delimiter`, quoted when needed.
fn delimited_field(s: &str, delimiter: char) -> String {
    if s.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
