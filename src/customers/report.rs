//! What an import reports: counts, rejected rows with line and reason, and the
//! `<file>.rejected.csv` written beside the source so nothing the user gave is lost.

use std::path::{Path, PathBuf};

use crate::error::FieldProblem;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    /// In English (the CLI, the rejected-rows file).
    pub reason: String,
    /// The same as a code and the values its words need, for the app to say in the user's
    /// language (`row_invalid_email` with its `value`, …).
    pub problem: FieldProblem,
}

/// Why a row is rejected (or what was changed in it): a code and its values. Said in English by
/// `Display`, in the user's language by the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    code: &'static str,
    params: Vec<(&'static str, String)>,
}

impl RowProblem {
    pub fn new(code: &'static str, params: &[(&'static str, &str)]) -> RowProblem {
        RowProblem {
            code,
            params: params.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        }
    }

    /// The same problem, in the file's column `column`.
    pub fn in_column(mut self, column: &str) -> RowProblem {
        self.params.push(("column", column.to_string()));
        self
    }

    fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// As the app and the summaries show it, for the row at `line`.
    pub fn at(&self, line: usize) -> RowError {
        RowError {
            line,
            reason: self.to_string(),
            problem: FieldProblem::new(
                "row",
                self.code,
                &self
                    .params
                    .iter()
                    .map(|(k, v)| (*k, v.clone()))
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.param("value");
        let english = match self.code {
            "row_invalid_email" => format!("invalid email '{value}'"),
            "row_invalid_phone" => format!("invalid phone number '{value}'"),
            "row_bad_number" => format!("bad number '{value}'"),
            "row_bad_flag" => format!("bad yes/no value '{value}'"),
            "row_bad_date" => format!("bad date '{value}'"),
            "row_future_date" => format!(
                "the date '{value}' is in the future (import with --allow-future to keep it)"
            ),
            "row_no_key" => "no email, phone or customer id to identify the customer".into(),
            "row_no_timestamp" => "missing timestamp".into(),
            "row_no_event_type" => "missing event type".into(),
            "row_no_customer" => format!("no customer with {} '{value}'", self.param("kind")),
            "row_not_in_campaign" => format!(
                "the customer was sent nothing by the campaign '{}' (not in its audience, or held out)",
                self.param("campaign")
            ),
            "row_not_object" => "expected a JSON object".into(),
            "row_invalid_json" => format!("invalid JSON: {}", self.param("error")),
            "row_columns" => format!(
                "wrong number of columns: expected {}, found {}",
                self.param("expected"),
                self.param("found")
            ),
            "row_quote" => "broken quoting: a quoted field is never closed".into(),
            "row_quote_text_after" => "broken quoting: text after a closing quote".into(),
            "row_quote_inside" => "broken quoting: a quote inside an unquoted field".into(),
            "row_suppressed" => {
                "this address is on the suppression list (bounced, complained or suppressed by hand): it gets no email".into()
            }
            "row_cleaned" => format!(
                "removed control or invisible characters from {}",
                self.param("columns")
            ),
            other => other.to_string(),
        };
        let column = self.param("column");
        if column.is_empty() || self.code == "row_cleaned" {
            f.write_str(&english)
        } else {
            write!(f, "{english} in column '{column}'")
        }
    }
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
    pub reason: RowProblem,
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
            out.push_str(&format!("{}{d}{}{d}{record}\n", r.line, field(&r.reason.to_string())));
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
