//! `tessera`: every engine capability, scriptable. `--json` prints machine-readable output.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

mod segment;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use tessera_engine::customers::{self, ImportOptions, ImportSummary, Progress};
use tessera_engine::render::{self, BatchOptions, OutputFormat, Selection};
use tessera_engine::store::{default_workspace_path, Workspace};
use tessera_engine::templates::{self, store as template_store};
use tessera_engine::{bench, demo};

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Local-first studio for personalized campaigns"
)]
struct Cli {
    /// Workspace file (SQLite). Default: tessera/workspace.sqlite in the user's data directory.
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summarize the workspace.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Import customers or events from CSV, JSON or NDJSON.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Look at customers.
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// Manage templates.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Render one customer's email to stdout.
    #[command(subcommand)]
    Preview(PreviewCommand),
    /// Render customers into files with a manifest.
    #[command(subcommand)]
    Render(RenderCommand),
    /// Create a demo workspace (synthetic customers, starter templates) and render a demo campaign.
    Demo {
        /// Folder for the demo's files and rendered campaign.
        #[arg(long, default_value = "tessera-demo")]
        dir: PathBuf,
        #[arg(long, default_value_t = 2000)]
        customers: usize,
        #[arg(long)]
        json: bool,
    },
    /// Customer-value models.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Build, count, save and export segments.
    #[command(subcommand)]
    Segment(segment::SegmentCommand),
    /// Measure the hot paths against baselines run on this machine.
    Bench(bench::BenchArgs),
}

#[derive(Args)]
struct ImportArgs {
    file: PathBuf,
    /// Force the text encoding (utf-8 or gb18030) instead of detecting it.
    #[arg(long)]
    encoding: Option<customers::Encoding>,
    /// Force the CSV delimiter (',', ';' or 'tab').
    #[arg(long)]
    delimiter: Option<String>,
    /// Map a column to a field: --map "Mobile No=phone" (repeatable).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    map: Vec<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Print progress as JSON lines on stderr (for tools driving the CLI).
    #[arg(long)]
    progress_json: bool,
}

#[derive(Subcommand)]
enum ImportCommand {
    Customers(ImportArgs),
    Events {
        #[command(flatten)]
        args: ImportArgs,
        /// Event type for files without a type column (e.g. purchase).
        #[arg(long = "type")]
        event_type: Option<String>,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Fit BG/NBD and Gamma-Gamma on purchases up to a date (default: the last purchase).
    Fit {
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CustomersCommand {
    /// The merged profile with its events: by id, email, phone or external id.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TemplateCommand {
    /// Check an MJML template file; errors point to line and column.
    Check {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Add or replace a template in the workspace.
    Add { name: String, file: PathBuf },
    /// Templates in the workspace, with when each was last changed.
    List,
    /// Install the starter templates.
    InstallStarters,
}

#[derive(Clone, Copy, ValueEnum)]
enum Part {
    Html,
    Text,
    Subject,
}

#[derive(Subcommand)]
enum PreviewCommand {
    Email {
        /// Template name in the workspace, or an .mjml file.
        #[arg(long)]
        template: String,
        /// Customer id, email, phone or external id.
        #[arg(long)]
        customer: String,
        #[arg(long, value_enum, default_value = "html")]
        part: Part,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Html,
    Eml,
}

#[derive(Subcommand)]
enum RenderCommand {
    Email {
        #[arg(long)]
        template: String,
        /// Every customer (opted-out ones are skipped and counted).
        #[arg(long, conflicts_with_all = ["customer", "segment"])]
        all: bool,
        /// The members of a saved segment or of a rule file.
        #[arg(long, conflicts_with = "customer")]
        segment: Option<String>,
        #[arg(long)]
        customer: Option<String>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "html")]
        format: FormatArg,
        #[arg(long, default_value = "Tessera Demo <hello@tessera.local>")]
        from: String,
        /// Unsubscribe link; {id} and {email} are filled in per customer.
        #[arg(long, default_value = render::batch::DEFAULT_UNSUBSCRIBE)]
        unsubscribe: String,
        /// Stop before rendering if any merge field is missing for some customer.
        #[arg(long)]
        strict: bool,
        #[arg(long)]
        json: bool,
    },
}

// Rendering and import allocate many small strings on every core; mimalloc's per-thread heaps
// keep that off the critical path (an import of 200,000 rows: 3.8 s with glibc, 1.9 s here).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages make every fresh 2 MB of heap a 2 MB zeroing in the kernel; on the
/// virtual machines measured that cost more than a third of an import.
#[allow(unsafe_code)]
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only changes this process's policy.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

pub type Failure = Box<dyn std::error::Error>;

/// The workspaces a command opened, closed before the process exits (on error too): closing
/// copies the WAL into the database file, so the workspace is one file again when the command
/// returns, safe to copy or back up.
#[derive(Default)]
struct Opened(std::sync::Mutex<Vec<Workspace>>);

impl Opened {
    async fn open(&self, db: &Option<PathBuf>) -> Result<Workspace, Failure> {
        let ws = Workspace::open(&db.clone().unwrap_or_else(default_workspace_path)).await?;
        self.0
            .lock()
            .map_err(|_| "workspace list poisoned")?
            .push(ws.clone());
        Ok(ws)
    }

    async fn close_all(&self) {
        let opened = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        for ws in opened {
            ws.close().await;
        }
    }
}

async fn template_source(ws: &Workspace, reference: &str) -> Result<(String, String), Failure> {
    let path = PathBuf::from(reference);
    if path.extension().is_some_and(|e| e == "mjml") && path.is_file() {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok((name, std::fs::read_to_string(&path)?));
    }
    Ok((
        reference.to_string(),
        template_store::load_template_source(&ws.pool, reference).await?,
    ))
}

fn compile(name: &str, source: &str) -> Result<templates::EmailTemplate, Failure> {
    templates::compile_email(source).map_err(|e| format!("template '{name}': {e}").into())
}

fn print_import(summary: &ImportSummary, json: bool) {
    if json {
        println!("{}", serde_json::to_string(summary).unwrap_or_default());
        return;
    }
    println!(
        "{}: {} rows ({}, {}) — {} inserted, {} updated, {} merged, {} unchanged, {} rejected",
        summary.file,
        summary.rows,
        serde_json::to_value(summary.format)
            .unwrap_or_default()
            .as_str()
            .unwrap_or(""),
        summary.encoding,
        summary.inserted,
        summary.updated,
        summary.merged,
        summary.unchanged,
        summary.rejected
    );
    for e in summary.errors.iter().take(20) {
        println!("  line {}: {}", e.line, e.reason);
    }
    if summary.errors.len() > 20 {
        println!("  … {} more", summary.errors.len() - 20);
    }
    if let Some(f) = &summary.rejected_file {
        println!("rejected rows written to {f}");
    }
}

async fn import(
    ws: &Workspace,
    args: &ImportArgs,
    event_type: Option<String>,
    events: bool,
) -> Result<(), Failure> {
    let delimiter = args
        .delimiter
        .as_deref()
        .map(customers::parse_delimiter)
        .transpose()?;
    let options = ImportOptions {
        encoding: args.encoding,
        delimiter,
        overrides: customers::parse_overrides(&args.map)?,
        event_type,
        cancel: None,
    };
    let progress_json = args.progress_json;
    let progress = move |p: Progress| {
        if progress_json {
            eprintln!("{}", serde_json::to_string(&p).unwrap_or_default());
        }
    };
    let summary = if events {
        customers::import_events(ws, &args.file, &options, &progress).await?
    } else {
        customers::import_customers(ws, &args.file, &options, &progress).await?
    };
    print_import(&summary, args.json);
    Ok(())
}

async fn run(cli: Cli, opened: &Opened) -> Result<(), Failure> {
    match cli.command {
        Command::Status { json } => {
            let ws = opened.open(&cli.db).await?;
            let status =
                customers::show::workspace_status(&ws.pool, &ws.path.display().to_string()).await?;
            if json {
                println!("{}", serde_json::to_string(&status)?);
            } else {
                println!("workspace {}\n  customers {}\n  events {}\n  templates {}\n  imports {}\n  merges {}\n  email opt-outs {}", status.path, status.customers, status.events, status.templates, status.imports, status.merges, status.email_opted_out);
            }
        }
        Command::Import(cmd) => {
            let ws = opened.open(&cli.db).await?;
            match cmd {
                ImportCommand::Customers(args) => import(&ws, &args, None, false).await?,
                ImportCommand::Events { args, event_type } => {
                    import(&ws, &args, event_type, true).await?
                }
            }
        }
        Command::Customers(CustomersCommand::Show { id, json }) => {
            let ws = opened.open(&cli.db).await?;
            let found = customers::show::find_customer(&ws.pool, &id)
                .await?
                .ok_or_else(|| format!("no customer '{id}'"))?;
            let view = customers::show::customer_view(&ws.pool, found)
                .await?
                .ok_or_else(|| format!("no customer '{id}'"))?;
            let scores = tessera_engine::segments::scores::customer_scores(&ws.pool, found).await?;
            let explanation = scores.as_ref().map(|s| s.explain()).unwrap_or_default();
            if json {
                let mut value = serde_json::to_value(&view)?;
                value["scores"] = serde_json::to_value(&scores)?;
                value["explanation"] = serde_json::to_value(&explanation)?;
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                println!(
                    "{}",
                    if explanation.is_empty() {
                        "scores: none yet (no purchases)".to_string()
                    } else {
                        format!("scores:\n  {}", explanation.join("\n  "))
                    }
                );
                let p = &view.profile;
                println!(
                    "customer {}: {} {}",
                    view.id,
                    p.first_name.as_deref().unwrap_or(""),
                    p.last_name.as_deref().unwrap_or("")
                );
                println!(
                    "  email {}  phone {}  locale {}",
                    p.email.as_deref().unwrap_or("-"),
                    p.phone.as_deref().unwrap_or("-"),
                    p.locale.as_deref().unwrap_or("-")
                );
                println!("  keys {}", view.keys.join(", "));
                println!(
                    "  tags {}",
                    p.tags.iter().cloned().collect::<Vec<_>>().join(", ")
                );
                println!(
                    "  consent {}",
                    p.consent
                        .iter()
                        .map(|(c, g)| format!("{c}={}", if *g { "yes" } else { "no" }))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                for (k, v) in &p.attributes {
                    println!("  {k}: {v}");
                }
                for m in &view.merged_from {
                    println!(
                        "  merged customer {} (matched on {}) at {}",
                        m.customer_id, m.matched_on, m.merged_at
                    );
                }
                println!("  {} events", view.events.len());
                for e in view.events.iter().take(20) {
                    println!(
                        "    {} {} {} {}",
                        e.occurred_at,
                        e.event_type,
                        e.value.map(|v| v.to_string()).unwrap_or_default(),
                        e.properties
                    );
                }
            }
        }
        Command::Template(cmd) => match cmd {
            TemplateCommand::Check { file, json } => {
                let source = std::fs::read_to_string(&file)?;
                match templates::compile_email(&source) {
                    Ok(t) => {
                        if json {
                            println!(
                                "{}",
                                serde_json::json!({ "ok": true, "warnings": t.warnings, "fields": t.slots() })
                            );
                        } else {
                            println!("{}: ok", file.display());
                            for w in &t.warnings {
                                println!("  warning: {w}");
                            }
                        }
                    }
                    Err(e) => {
                        if json {
                            println!("{}", serde_json::json!({ "ok": false, "error": e }));
                        }
                        return Err(format!("{}: {e}", file.display()).into());
                    }
                }
            }
            TemplateCommand::Add { name, file } => {
                let ws = opened.open(&cli.db).await?;
                template_store::save_email_template(
                    &ws.pool,
                    &name,
                    &std::fs::read_to_string(&file)?,
                )
                .await?;
                println!("saved template '{name}'");
            }
            TemplateCommand::List => {
                let ws = opened.open(&cli.db).await?;
                for (name, updated) in template_store::list_templates(&ws.pool).await? {
                    println!("{name}\t{updated}");
                }
            }
            TemplateCommand::InstallStarters => {
                let ws = opened.open(&cli.db).await?;
                let n = template_store::install_starter_templates(&ws.pool).await?;
                println!("installed {n} starter templates");
            }
        },
        Command::Preview(PreviewCommand::Email {
            template,
            customer,
            part,
        }) => {
            let ws = opened.open(&cli.db).await?;
            let (name, source) = template_source(&ws, &template).await?;
            let compiled = compile(&name, &source)?;
            let id = customers::show::find_customer(&ws.pool, &customer)
                .await?
                .ok_or_else(|| format!("no customer '{customer}'"))?;
            let data = render::preview::preview_data(&ws.pool, id, chrono::Utc::now()).await?;
            let email = render::preview::preview_email(&compiled, &data)?;
            match part {
                Part::Html => println!("{}", email.html),
                Part::Text => println!("{}", email.text),
                Part::Subject => println!("{}", email.subject),
            }
        }
        Command::Render(RenderCommand::Email {
            template,
            all,
            segment,
            customer,
            out,
            format,
            from,
            unsubscribe,
            strict,
            json,
        }) => {
            let ws = opened.open(&cli.db).await?;
            let (name, source) = template_source(&ws, &template).await?;
            let compiled = compile(&name, &source)?;
            let selection = match (all, customer) {
                _ if segment.is_some() => Selection::Customers(
                    segment::member_ids(&ws, segment.as_deref().unwrap_or_default()).await?,
                ),
                (_, Some(c)) => Selection::Customer(
                    customers::show::find_customer(&ws.pool, &c)
                        .await?
                        .ok_or_else(|| format!("no customer '{c}'"))?,
                ),
                (true, None) => Selection::All,
                (false, None) => {
                    return Err(
                        "choose who to render: --all, --segment NAME or --customer ID".into(),
                    )
                }
            };
            let mut contexts =
                render::load_contexts(&ws.pool, &selection, chrono::Utc::now()).await?;
            render::batch::add_unsubscribe_links(&mut contexts, &unsubscribe);
            let (eligible, _, _) = render::batch::eligible(&contexts);
            let eligible_count = eligible.len();
            let missing = render::missing_fields(&compiled, &eligible);
            if !json {
                for m in &missing {
                    eprintln!("warning: '{}' (line {}, column {}) is empty for {} of {} customers and has no fallback", m.field, m.line, m.column, m.customers, m.of);
                }
            }
            if strict && !missing.is_empty() {
                return Err("missing fields (see above); add fallbacks like {{default field \"…\"}} or drop --strict".into());
            }
            let bar = if json {
                ProgressBar::hidden()
            } else {
                ProgressBar::new(eligible.len() as u64)
            };
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let options = BatchOptions {
                out,
                format: match format {
                    FormatArg::Html => OutputFormat::Html,
                    FormatArg::Eml => OutputFormat::Eml,
                },
                from,
                unsubscribe,
                date: chrono::Utc::now().to_rfc2822(),
                template_name: name,
            };
            // Ctrl-C stops the render after the files in flight; the manifest lists what was written.
            let cancel = std::sync::Arc::new(AtomicBool::new(false));
            let on_interrupt = tokio::spawn({
                let cancel = cancel.clone();
                async move {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
            let summary = tokio::task::block_in_place(|| {
                render::render_batch(
                    &compiled,
                    &mut contexts,
                    &options,
                    &|done, _| bar.set_position(done as u64),
                    &cancel,
                )
            })?;
            on_interrupt.abort();
            bar.finish_and_clear();
            if summary.cancelled {
                return Err(format!(
                    "cancelled: {} of {eligible_count} emails were written; {} lists them",
                    summary.rendered, summary.manifest
                )
                .into());
            }
            if json {
                println!("{}", serde_json::to_string(&summary)?);
            } else {
                println!("rendered {} emails to {} ({} opted out and {} without email skipped); manifest {}", summary.rendered, summary.out, summary.skipped_opted_out, summary.skipped_no_email, summary.manifest);
                for f in &summary.failed {
                    println!("  customer {}: {}", f.customer_id, f.error);
                }
            }
            if !summary.failed.is_empty() {
                return Err(format!("{} customers failed to render", summary.failed.len()).into());
            }
        }
        Command::Demo {
            dir,
            customers,
            json,
        } => {
            let db = cli
                .db
                .clone()
                .unwrap_or_else(|| dir.join("workspace.sqlite"));
            let report = demo::create_demo(&dir, &db, customers).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{report}");
            }
        }
        Command::Model(ModelCommand::Fit { until, json }) => {
            let ws = opened.open(&cli.db).await?;
            let until = match until {
                Some(d) => Some(
                    customers::values::parse_date(&d)
                        .ok_or_else(|| format!("--until '{d}' is not a date (YYYY-MM-DD)"))?,
                ),
                None => None,
            };
            let report = tessera_engine::segments::scores::fit_models(&ws.pool, until).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "fitted on {} customers ({} repeat buyers), purchases up to {}, time in {}",
                    report.customers, report.repeat_customers, report.until, report.time_unit
                );
                if let Some(m) = &report.bgnbd {
                    println!(
                        "  BG/NBD       r = {:.4}  alpha = {:.4}  a = {:.4}  b = {:.4}",
                        m.r, m.alpha, m.a, m.b
                    );
                }
                if let Some(g) = &report.gamma_gamma {
                    println!(
                        "  Gamma-Gamma  p = {:.4}  q = {:.4}  gamma = {:.4}",
                        g.p, g.q, g.gamma
                    );
                }
                if let Some(why) = &report.fallback {
                    println!("  note: {why}");
                }
            }
        }
        Command::Segment(command) => segment::run(&opened.open(&cli.db).await?, command).await?,
        Command::Bench(args) => bench::run(args).await?,
    }
    Ok(())
}

/// `tessera … | head` should end quietly, as other command-line tools do, not panic on a
/// closed pipe: restore the default SIGPIPE action that Rust's runtime ignores.
#[allow(unsafe_code)]
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_DFL at startup, before any threads exist.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    disable_transparent_huge_pages();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let opened = Opened::default();
    let result = runtime.block_on(async {
        let result = run(cli, &opened).await;
        // Also waits for an import's WAL checkpoint, which runs after its durable commit.
        opened.close_all().await;
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
