//! Renders a template for many customers into one file each, on every core, with a manifest.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use serde_json::Value;

use super::context::CustomerContext;
use super::eml::{to_eml, Envelope};
use super::missing::{MissCounter, MissingField};
use crate::templates::{EmailTemplate, Misses, RenderEnv};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Html,
    Eml,
}

pub struct BatchOptions {
    pub out: PathBuf,
    pub format: OutputFormat,
    pub from: String,
    /// Unsubscribe link; `{id}` and `{email}` are replaced per customer.
    pub unsubscribe: String,
    /// RFC 2822 date written into .eml files.
    pub date: String,
    pub template_name: String,
}

#[derive(Debug, serde::Serialize)]
pub struct ManifestEntry {
    pub customer_id: i64,
    pub email: Option<String>,
    pub file: String,
    /// BLAKE3 of the file's bytes.
    pub hash: String,
    pub subject: String,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct RenderFailure {
    pub customer_id: i64,
    pub error: String,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct RenderSummary {
    pub template: String,
    pub format: OutputFormat,
    pub out: String,
    pub manifest: String,
    pub rendered: usize,
    pub skipped_opted_out: usize,
    pub skipped_no_email: usize,
    pub failed: Vec<RenderFailure>,
    pub cancelled: bool,
    pub missing_fields: Vec<MissingField>,
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot write to {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
    move |source| BatchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Percent-encodes a value for a URL query.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The unsubscribe link used when the user sets none.
pub const DEFAULT_UNSUBSCRIBE: &str = "mailto:unsubscribe@tessera.local?subject=unsubscribe-{id}";

/// Sets each customer's `unsubscribe_url` from `pattern` (`{id}`, `{email}` filled in).
pub fn add_unsubscribe_links(customers: &mut [CustomerContext], pattern: &str) {
    for c in customers {
        let link = pattern
            .replace("{id}", &c.id.to_string())
            .replace("{email}", &url_encode(c.email.as_deref().unwrap_or("")));
        if let Value::Object(map) = &mut c.data {
            map.insert("unsubscribe_url".into(), Value::String(link));
        }
    }
}

/// Customers who may receive email: an address and no opt-out (a hard guard).
pub fn eligible(customers: &[CustomerContext]) -> (Vec<&CustomerContext>, usize, usize) {
    let mut ok = Vec::with_capacity(customers.len());
    let (mut opted_out, mut no_email) = (0, 0);
    for c in customers {
        if c.email_opted_out {
            opted_out += 1;
        } else if c.email.is_none() {
            no_email += 1;
        } else {
            ok.push(c);
        }
    }
    (ok, opted_out, no_email)
}

struct Worker {
    buf: Vec<u8>,
    misses: Misses,
    counter: MissCounter,
    entries: Vec<ManifestEntry>,
    failed: Vec<RenderFailure>,
}

impl Worker {
    fn new(template: &EmailTemplate) -> Worker {
        Worker {
            buf: Vec::with_capacity(template.html.size_hint * 2),
            misses: Misses::default(),
            counter: MissCounter::new(template),
            entries: Vec::new(),
            failed: Vec::new(),
        }
    }
}

struct Job<'a> {
    template: &'a EmailTemplate,
    options: &'a BatchOptions,
    cancel: &'a AtomicBool,
    progress: &'a (dyn Fn(usize, usize) + Sync),
    done: &'a AtomicUsize,
    total: usize,
}

impl Job<'_> {
    /// Renders one customer's file; `None` once cancelled.
    fn render_one(
        &self,
        c: &CustomerContext,
        w: &mut Worker,
    ) -> Result<Option<ManifestEntry>, RenderFailure> {
        if self.cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let failure = |error: String| RenderFailure {
            customer_id: c.id,
            error,
        };
        w.misses.0.clear();
        w.buf.clear();
        let (subject, extension) = match self.options.format {
            // HTML straight from the plan into the worker's buffer: no intermediate strings.
            OutputFormat::Html => {
                let env = RenderEnv {
                    locale: self.template.locale_for(&c.data),
                };
                self.template
                    .html
                    .render(&c.data, &env, &mut w.buf, &mut w.misses)
                    .map_err(|e| failure(e.to_string()))?;
                (
                    self.template
                        .subject
                        .render_to_string(&c.data, &env)
                        .map_err(|e| failure(e.to_string()))?,
                    "html",
                )
            }
            OutputFormat::Eml => {
                let rendered = self
                    .template
                    .render(&c.data, &mut w.misses)
                    .map_err(|e| failure(e.to_string()))?;
                let envelope = Envelope {
                    from: &self.options.from,
                    to_name: c.data.get("name").and_then(Value::as_str),
                    to_email: c.email.as_deref().unwrap_or_default(),
                    unsubscribe_url: c
                        .data
                        .get("unsubscribe_url")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    message_id: format!("<{}.{}@tessera.local>", self.options.template_name, c.id),
                    date: &self.options.date,
                };
                w.buf
                    .extend_from_slice(to_eml(&rendered, &envelope).as_bytes());
                (rendered.subject, "eml")
            }
        };
        w.counter.record(&mut w.misses);
        let file = format!("{}.{extension}", c.id);
        let path = self.options.out.join(&file);
        std::fs::write(&path, &w.buf)
            .map_err(|e| failure(format!("cannot write {}: {e}", path.display())))?;
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(64) || n == self.total {
            (self.progress)(n, self.total);
        }
        Ok(Some(ManifestEntry {
            customer_id: c.id,
            email: c.email.clone(),
            file,
            hash: blake3::hash(&w.buf).to_hex().to_string(),
            subject: subject.trim().to_string(),
        }))
    }
}

/// Renders every eligible customer. `progress(done, total)` is called as work completes;
/// setting `cancel` stops the job after the files in flight (the manifest lists what was written).
pub fn render_batch(
    template: &EmailTemplate,
    customers: &mut [CustomerContext],
    options: &BatchOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<RenderSummary, BatchError> {
    add_unsubscribe_links(customers, &options.unsubscribe);
    let (targets, skipped_opted_out, skipped_no_email) = eligible(customers);
    std::fs::create_dir_all(&options.out).map_err(io_err(&options.out))?;
    let total = targets.len();
    let done = AtomicUsize::new(0);
    let job = Job {
        template,
        options,
        cancel,
        progress,
        done: &done,
        total,
    };
    // Each worker keeps its buffers, its manifest entries and its miss counts; merged at the end.
    let (mut entries, failed, misses) = targets
        .par_iter()
        .fold(
            || Worker::new(template),
            |mut w, c| {
                match job.render_one(c, &mut w) {
                    Ok(Some(entry)) => w.entries.push(entry),
                    Ok(None) => {}
                    Err(failure) => w.failed.push(failure),
                }
                w
            },
        )
        .map(|w| (w.entries, w.failed, w.counter))
        .reduce(
            || (Vec::new(), Vec::new(), MissCounter::new(template)),
            |mut a, b| {
                a.0.extend(b.0);
                a.1.extend(b.1);
                (a.0, a.1, a.2.merge(b.2))
            },
        );
    entries.sort_by_key(|e| e.customer_id);
    let missing = misses.report(template);
    let manifest_path = options.out.join("manifest.json");
    let manifest = serde_json::json!({
        "template": options.template_name,
        "format": options.format,
        "count": entries.len(),
        "skipped_opted_out": skipped_opted_out,
        "skipped_no_email": skipped_no_email,
        "files": entries,
    });
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    )
    .map_err(io_err(&manifest_path))?;
    Ok(RenderSummary {
        template: options.template_name.clone(),
        format: options.format,
        out: options.out.display().to_string(),
        manifest: manifest_path.display().to_string(),
        rendered: entries.len(),
        skipped_opted_out,
        skipped_no_email,
        failed,
        cancelled: cancel.load(Ordering::Relaxed),
        missing_fields: missing,
    })
}
