//! Renders a template for many customers into one file each, on every core, with a manifest.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use serde_json::Value;

use super::context::CustomerContext;
use super::eml::{check_unsubscribe_link, message_id, to_eml, Envelope, HeaderError, Mailbox};
use super::missing::{MissingField, SlotCounter, UnsafeLink};
use crate::output::{OutputError, RenderFolder};
use crate::templates::{EmailTemplate, Notes, RenderEnv};

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
    pub from: Mailbox,
    pub unsubscribe: UnsubscribePattern,
    /// RFC 2822 date written into .eml files.
    pub date: String,
    pub template_name: String,
}

/// An unsubscribe link with `{id}` and `{email}` filled in per customer, checked once: an
/// `https://`, `http://` or `mailto:` link of printable ASCII (it goes into a mail header).
#[derive(Debug, Clone)]
pub struct UnsubscribePattern(String);

impl UnsubscribePattern {
    pub fn parse(pattern: &str) -> Result<UnsubscribePattern, HeaderError> {
        check_unsubscribe_link(pattern)?;
        Ok(UnsubscribePattern(pattern.to_string()))
    }

    /// The link for one customer (the id is digits and the address is percent-encoded, so the
    /// link stays as safe as the pattern).
    pub fn link(&self, id: i64, email: Option<&str>) -> String {
        self.0
            .replace("{id}", &id.to_string())
            .replace("{email}", &url_encode(email.unwrap_or("")))
    }
}

impl Default for UnsubscribePattern {
    fn default() -> UnsubscribePattern {
        UnsubscribePattern(DEFAULT_UNSUBSCRIBE.to_string())
    }
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
    /// Links whose value had an unsafe scheme for some customers (written as `#`).
    pub unsafe_links: Vec<UnsafeLink>,
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl crate::error::Coded for BatchError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            BatchError::Output(e) => crate::error::Coded::kind(e),
        }
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
pub fn add_unsubscribe_links(customers: &mut [CustomerContext], pattern: &UnsubscribePattern) {
    for c in customers {
        let link = pattern.link(c.id, c.email.as_deref());
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
    notes: Notes,
    counter: SlotCounter,
    entries: Vec<ManifestEntry>,
    failed: Vec<RenderFailure>,
}

impl Worker {
    fn new(template: &EmailTemplate) -> Worker {
        Worker {
            buf: Vec::with_capacity(template.html.size_hint * 2),
            notes: Notes::default(),
            counter: SlotCounter::new(template),
            entries: Vec::new(),
            failed: Vec::new(),
        }
    }
}

struct Job<'a> {
    template: &'a EmailTemplate,
    options: &'a BatchOptions,
    folder: &'a RenderFolder,
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
        w.notes.clear();
        w.buf.clear();
        let (subject, extension) = match self.options.format {
            // HTML straight from the plan into the worker's buffer: no intermediate strings.
            OutputFormat::Html => {
                let env = RenderEnv {
                    locale: self.template.locale_for(&c.data),
                };
                self.template
                    .html
                    .render(&c.data, &env, &mut w.buf, &mut w.notes)
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
                    .render(&c.data, &mut w.notes)
                    .map_err(|e| failure(e.to_string()))?;
                let name = c.data.get("name").and_then(Value::as_str).map(String::from);
                let to = Mailbox::new(name, c.email.as_deref().unwrap_or_default())
                    .ok_or_else(|| failure("the customer's email address is not valid".into()))?;
                let envelope = Envelope {
                    from: &self.options.from,
                    to,
                    unsubscribe_url: c
                        .data
                        .get("unsubscribe_url")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    message_id: message_id(
                        &format!("{}\0{}", self.options.template_name, self.options.date),
                        c.id,
                    ),
                    date: &self.options.date,
                };
                w.buf
                    .extend_from_slice(to_eml(&rendered, &envelope).as_bytes());
                (rendered.subject, "eml")
            }
        };
        w.counter.record(&mut w.notes);
        let file = format!("{}.{extension}", c.id);
        let path = self
            .folder
            .path_of(&file)
            .map_err(|e| failure(e.to_string()))?;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, &w.buf))
            .map_err(|e| failure(format!("cannot write {file}: {e}")))?;
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
    let mut folder = RenderFolder::claim(&options.out)?;
    let total = targets.len();
    let done = AtomicUsize::new(0);
    let job = Job {
        template,
        options,
        folder: &folder,
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
            || (Vec::new(), Vec::new(), SlotCounter::new(template)),
            |mut a, b| {
                a.0.extend(b.0);
                a.1.extend(b.1);
                (a.0, a.1, a.2.merge(b.2))
            },
        );
    entries.sort_by_key(|e| e.customer_id);
    let missing = misses.missing(template);
    let unsafe_links = misses.unsafe_links(template);
    let cancelled = cancel.load(Ordering::Relaxed);
    let manifest = serde_json::json!({
        "template": options.template_name,
        "format": options.format,
        "count": entries.len(),
        "cancelled": cancelled,
        "skipped_opted_out": skipped_opted_out,
        "skipped_no_email": skipped_no_email,
        "files": entries,
    });
    folder.add_written(entries.iter().map(|e| e.file.clone()));
    folder.write(
        "manifest.json",
        &serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    )?;
    let out = folder.publish()?;
    Ok(RenderSummary {
        template: options.template_name.clone(),
        format: options.format,
        out: out.display().to_string(),
        manifest: out.join("manifest.json").display().to_string(),
        rendered: entries.len(),
        skipped_opted_out,
        skipped_no_email,
        failed,
        cancelled,
        missing_fields: missing,
        unsafe_links,
    })
}
