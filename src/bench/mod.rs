//! `tessera bench`: the hot paths, each against a baseline measured in the same run on the same
//! input (handlebars.js and mjml on Node, Python's sqlite3), reported as ratios.

mod campaign;
mod report;
mod segments;
mod send;
mod serve;
mod video;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rayon::prelude::*;
use serde_json::{json, Value};

use crate::customers::{import_customers, ImportOptions};
use crate::demo::Rng;
use crate::store::{Access, Workspace};
use crate::templates::store::STARTER_EMAILS;
use crate::templates::{compile_email, EmailTemplate, Notes, RenderEnv};

/// What `tessera bench` measures, and where (the CLI's arguments, with the `cli` feature).
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct BenchArgs {
    /// Customers merged in the merge benchmark.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 400_000))]
    pub emails: usize,
    /// Customers of the end-to-end campaign benchmark (each an email file, unless opted out).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 50_000))]
    pub files: usize,
    /// Customers whose sites are served in the serve benchmark.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 5_000))]
    pub sites: usize,
    /// Messages sent in the sending benchmark.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 20_000))]
    pub messages: usize,
    /// Rows in the import benchmark.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 200_000))]
    pub rows: usize,
    /// Customers generated for the segment benchmark.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1_000_000))]
    pub segment_customers: usize,
    /// Events generated for the segment benchmark (about).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 10_000_000))]
    pub segment_events: usize,
    /// Folder holding the Node and Python baselines (with `npm install` run in it).
    #[cfg_attr(feature = "cli", arg(long, default_value = "bench/baseline"))]
    pub baseline: PathBuf,
    /// Scratch folder (default: a temporary folder).
    #[cfg_attr(feature = "cli", arg(long))]
    pub scratch: Option<PathBuf>,
    /// Run only these benchmarks (repeatable; default: all).
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub only: Vec<Bench>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Bench {
    Mjml,
    Merge,
    Files,
    Import,
    Segments,
    Serve,
    Send,
    Video,
}

/// About ten merge fields and a three-item loop, as a real campaign customer.
fn bench_customer(rng: &mut Rng, i: usize) -> Value {
    let items: Vec<Value> = (0..3)
        .map(|k| json!({"name": format!("Product {}", (i + k) % 50), "category": "skincare", "price": 10 + rng.below(90), "image": format!("https://shop.example/img/{k}.jpg"), "url": format!("https://shop.example/p/{k}")}))
        .collect();
    json!({"id": i, "first_name": format!("Customer{i}"), "name": format!("Customer{i} Smith"), "email": format!("c{i}@example.com"), "locale": "en-US",
        "tags": if i.is_multiple_of(10) { json!(["vip"]) } else { json!([]) }, "orders_count": rng.below(12), "total_spent": rng.below(2000), "favorite_category": "skincare",
        "recommendations": items, "unsubscribe_url": format!("mailto:u@example.com?subject={i}")})
}

fn node(baseline: &Path, args: &[&str]) -> Option<Value> {
    run_baseline(Command::new("node").current_dir(baseline).args(args))
}

/// Runs a baseline program and reads the JSON it prints; a failing baseline is reported, and
/// its numbers are left out.
fn run_baseline(command: &mut Command) -> Option<Value> {
    let out = command.output().ok()?;
    if !out.status.success() {
        eprintln!(
            "  (baseline failed: {})",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

fn ratio(ours: f64, theirs: Option<f64>) -> String {
    theirs.map_or("baseline not available".into(), |t| {
        format!("{:.2}x the baseline ({t:.0})", ours / t)
    })
}

pub async fn run(args: BenchArgs) -> Result<(), Box<dyn std::error::Error>> {
    let scratch_dir = tempfile_dir(&args.scratch)?;
    let scratch = scratch_dir.as_path();
    let baseline = std::fs::canonicalize(&args.baseline).unwrap_or(args.baseline.clone());
    let have_node = baseline.join("node_modules").exists();
    if !have_node {
        eprintln!(
            "note: run `npm install` in {} for the Node baselines",
            args.baseline.display()
        );
    }

    let wanted = |b: Bench| args.only.is_empty() || args.only.contains(&b);
    if wanted(Bench::Mjml) {
        bench_mjml(scratch, &baseline, have_node)?;
    }
    let template = compile_email(
        STARTER_EMAILS
            .iter()
            .find(|(n, _)| *n == "recommendations-en")
            .map(|t| t.1)
            .unwrap_or_default(),
    )?;
    let mut rng = Rng::new(7);
    let needs_customers = wanted(Bench::Merge);
    let customers: Vec<Value> = (0..if needs_customers {
        args.emails.min(100_000)
    } else {
        0
    })
        .map(|i| bench_customer(&mut rng, i))
        .collect();
    if wanted(Bench::Merge) {
        bench_merge(
            &template,
            &customers,
            args.emails,
            scratch,
            &baseline,
            have_node,
        )?;
    }
    if wanted(Bench::Files) {
        campaign::bench_campaign(args.files, scratch, campaign::EMAIL_CAMPAIGN, "emails").await?;
        campaign::bench_campaign(args.files, scratch, campaign::SITE_CAMPAIGN, "sites").await?;
        campaign::bench_assign(1_000_000)?;
    }
    if wanted(Bench::Import) {
        bench_import(args.rows, scratch, &baseline).await?;
    }
    if wanted(Bench::Serve) {
        serve::bench_serve(args.sites, scratch)?;
    }
    if wanted(Bench::Send) {
        send::bench_send(args.messages, scratch, &baseline).await?;
    }
    if wanted(Bench::Video) {
        video::bench_video(scratch)?;
    }
    if wanted(Bench::Segments) {
        segments::bench_segments(
            args.segment_customers,
            args.segment_events,
            scratch,
            &baseline,
        )
        .await?;
    }
    Ok(())
}

/// MJML compile of the starter templates.
fn bench_mjml(
    scratch: &Path,
    baseline: &Path,
    have_node: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    // 1. MJML compile.
    println!("MJML compile (starter templates, mrml in process):");
    let mut files = Vec::new();
    for (name, source) in STARTER_EMAILS {
        let runs = 200;
        compile_email(source)?;
        let start = Instant::now();
        for _ in 0..runs {
            compile_email(source)?;
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        let file = scratch.join(format!("{name}.mjml"));
        std::fs::write(&file, source)?;
        files.push((name, ms, file));
    }
    let theirs = if have_node {
        let file_args: Vec<String> = files.iter().map(|f| f.2.display().to_string()).collect();
        let mut a = vec!["mjml.js"];
        a.extend(file_args.iter().map(String::as_str));
        node(baseline, &a)
    } else {
        None
    };
    for (name, ms, file) in &files {
        let node_ms = theirs
            .as_ref()
            .and_then(|t| t[file.display().to_string()].as_f64());
        println!(
            "  {name:<20} {ms:6.3} ms   mjml on Node: {}",
            node_ms.map_or("-".into(), |n| format!("{n:.2} ms ({:.1}x faster)", n / ms))
        );
    }

    Ok(())
}

/// Merge into a compiled email, one core and all cores, against handlebars.js.
fn bench_merge(
    template: &EmailTemplate,
    customers: &[Value],
    emails: usize,
    scratch: &Path,
    baseline: &Path,
    have_node: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let merge = |c: &Value, buf: &mut Vec<u8>, misses: &mut Notes| {
        buf.clear();
        misses.clear();
        let _ = template.html.render(
            c,
            &RenderEnv {
                locale: template.locale_for(c),
            },
            buf,
            misses,
        );
        buf.len()
    };
    let (mut buf, mut misses) = (Vec::with_capacity(16 * 1024), Notes::default());
    let size = merge(&customers[0], &mut buf, &mut misses);
    let start = Instant::now();
    for i in 0..emails {
        merge(&customers[i % customers.len()], &mut buf, &mut misses);
    }
    let one_core = emails as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    (0..emails).into_par_iter().for_each_init(
        || (Vec::with_capacity(16 * 1024), Notes::default()),
        |(buf, misses), i| {
            merge(&customers[i % customers.len()], buf, misses);
        },
    );
    let all_cores = emails as f64 / start.elapsed().as_secs_f64();
    let hbs = if have_node {
        let html = scratch.join("email.html");
        let data = scratch.join("customers.json");
        std::fs::write(&html, &template.html_source)?;
        std::fs::write(
            &data,
            serde_json::to_vec(&customers[..customers.len().min(5000)])?,
        )?;
        node(
            baseline,
            &[
                "handlebars.js",
                &html.display().to_string(),
                &data.display().to_string(),
                "5",
            ],
        )
        .and_then(|v| v["emails_per_second"].as_f64())
    } else {
        None
    };
    println!("Merge into the compiled recommendations email ({size} bytes of HTML, 3-item loop):");
    println!(
        "  one core:  {one_core:>10.0} emails/s   {}",
        ratio(one_core, hbs)
    );
    println!(
        "  {} cores:   {all_cores:>10.0} emails/s   {}  (handlebars.js, one core)",
        rayon::current_num_threads(),
        ratio(all_cores, hbs)
    );

    Ok(())
}

/// Import into the durable database, against Python's sqlite3.
async fn bench_import(
    rows: usize,
    scratch: &Path,
    baseline: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let csv_path = scratch.join("import.csv");
    let mut csv = String::from("email,phone,first_name,last_name,locale,city,points\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "user{i}@example.com,+8613{:09},User{i},Smith,en-US,City{},{}\n",
            i,
            i % 100,
            i % 5000
        ));
    }
    std::fs::write(&csv_path, csv)?;
    let ws = Workspace::open(&scratch.join("import.sqlite"), Access::Create).await?;
    let start = Instant::now();
    let s = import_customers(&ws, &csv_path, &ImportOptions::default(), &|_| {}).await?;
    let rows_per_second = s.inserted as f64 / start.elapsed().as_secs_f64();
    // The import returns once its commit is durable; closing waits for the background copy of
    // the WAL into the database file too.
    ws.close().await;
    let with_checkpoint = s.inserted as f64 / start.elapsed().as_secs_f64();
    let migrations = baseline.join("../../migrations");
    let python = run_baseline(
        Command::new("python3")
            .arg(baseline.join("sqlite_import.py"))
            .arg(&csv_path)
            .arg(scratch.join("python.sqlite"))
            .arg(&migrations),
    );
    let python_rate = |mode: &str| {
        python
            .as_ref()
            .and_then(|v| v["rows_per_second"][mode].as_f64())
    };
    println!("Import {} customer rows (parse, validate, merge keys, write in one durable transaction): {rows_per_second:.0} rows/s ({with_checkpoint:.0} rows/s until the WAL is checkpointed and the workspace closed)", s.inserted);
    println!(
        "  {} (Python sqlite3 executemany into one plain table)",
        ratio(rows_per_second, python_rate("simple"))
    );
    println!(
        "  {} (Python sqlite3 executemany into Tessera's schema: customers and their keys)",
        ratio(rows_per_second, python_rate("same"))
    );
    Ok(())
}

/// A scratch folder: the one given, or a fresh temporary one removed on exit.
fn tempfile_dir(given: &Option<PathBuf>) -> std::io::Result<ScratchDir> {
    match given {
        Some(p) => {
            std::fs::create_dir_all(p)?;
            Ok(ScratchDir {
                path: p.clone(),
                remove: false,
            })
        }
        None => {
            let path = std::env::temp_dir().join(format!("tessera-bench-{}", std::process::id()));
            std::fs::create_dir_all(&path)?;
            Ok(ScratchDir { path, remove: true })
        }
    }
}

struct ScratchDir {
    path: PathBuf,
    remove: bool,
}

impl ScratchDir {
    fn as_path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if self.remove {
            std::fs::remove_dir_all(&self.path).ok();
        }
    }
}
