//! `tessera`: every engine capability, scriptable. `--json` prints machine-readable output.
//! One module per command; each is a few lines over one engine call.

use std::path::PathBuf;
use std::process::ExitCode;

mod campaign;
mod customers;
mod experiment;
mod import;
mod model;
mod render;
mod segment;
mod send;
mod serve;
mod template;
mod terminal;

use clap::{Parser, Subcommand};
use tessera_engine::app::{self, Access, Session};
use tessera_engine::bench;

use terminal::{json, say, tell};

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
    Import(import::ImportCommand),
    /// Look at customers.
    #[command(subcommand)]
    Customers(customers::CustomersCommand),
    /// Manage templates.
    #[command(subcommand)]
    Template(template::TemplateCommand),
    /// Render one customer's email to stdout.
    #[command(subcommand)]
    Preview(render::PreviewCommand),
    /// Render customers into files with a manifest.
    #[command(subcommand)]
    Render(render::RenderCommand),
    /// Campaigns: an audience, variants with templates per language, a holdout; assigned and
    /// rendered with a manifest and a delivery log.
    #[command(subcommand)]
    Campaign(campaign::CampaignCommand),
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
    Model(model::ModelCommand),
    /// Build, count, save and export segments.
    #[command(subcommand)]
    Segment(segment::SegmentCommand),
    /// Host a rendered microsite (the site/ folder of a render) and record its visits, calls to
    /// action and form submissions as the customers' events.
    Serve {
        /// The site/ folder of a render (its manifest.json is beside it).
        #[arg(long)]
        site: PathBuf,
        /// Address to listen on; loopback unless you mean others to reach it.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Requests per second each client may make (0: no limit).
        #[arg(long, default_value_t = 20)]
        rate: u32,
        /// Print a line per request (its kind and status; never a path or address).
        #[arg(long)]
        log: bool,
    },
    /// The suppression list: addresses that get no email, whatever a segment says.
    #[command(subcommand)]
    Suppress(send::SuppressCommand),
    /// Bounces and complaints your mail server or provider reported.
    #[command(subcommand)]
    Bounces(send::BouncesCommand),
    /// Measure the hot paths against baselines run on this machine.
    Bench(bench::BenchArgs),
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

/// Which commands may create the workspace they name: those that add to it. Reading a
/// mistyped path fails instead of leaving an empty workspace there.
fn access(command: &Command) -> Access {
    use segment::SegmentCommand;
    use template::TemplateCommand;
    match command {
        Command::Import(_)
        | Command::Template(TemplateCommand::Add { .. } | TemplateCommand::InstallStarters)
        | Command::Segment(SegmentCommand::Save { .. })
        | Command::Campaign(campaign::CampaignCommand::Save { .. }) => Access::Create,
        _ => Access::Existing,
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    // Commands that need no workspace.
    match cli.command {
        Command::Template(template::TemplateCommand::Check { file, json }) => {
            return template::check(&file, json)
        }
        Command::Demo {
            dir,
            customers,
            json: as_json,
        } => {
            let report = app::create_demo(&dir, cli.db.as_deref(), customers).await?;
            if as_json {
                println!("{}", json(&report));
            } else {
                say!("{report}");
            }
            return Ok(());
        }
        Command::Bench(args) => return bench::run(args).await,
        // The planner reads the workspace only for a baseline from its history.
        Command::Campaign(campaign::CampaignCommand::Plan(args))
            if args.baseline_from.is_none() =>
        {
            return experiment::plan(None, args).await
        }
        command => {
            let path = cli.db.unwrap_or_else(app::default_workspace_path);
            let session = Session::open(&path, access(&command))
                .await?
                .with_notices(|text| tell!("note: {text}"));
            let result = on_workspace(&session, command).await;
            // Closing copies the WAL into the database file (an import's checkpoint
            // included): the workspace is one file again when the command returns.
            let closed = session.close().await;
            result?;
            Ok(closed?)
        }
    }
}

async fn on_workspace(session: &Session, command: Command) -> Result<(), Failure> {
    match command {
        Command::Status { json } => customers::status(session, json).await,
        Command::Import(command) => import::run(session, command).await,
        Command::Customers(command) => customers::run(session, command).await,
        Command::Template(command) => template::run(session, command).await,
        Command::Preview(command) => render::preview(session, command).await,
        Command::Render(command) => render::render(session, command).await,
        Command::Campaign(command) => campaign::run(session, command).await,
        Command::Model(command) => model::run(session, command).await,
        Command::Segment(command) => segment::run(session, command).await,
        Command::Suppress(command) => send::suppress(session, command).await,
        Command::Bounces(command) => send::bounces(session, command).await,
        Command::Serve {
            site,
            listen,
            rate,
            log,
        } => serve::serve(session, site, listen, rate, log).await,
        Command::Demo { .. } | Command::Bench(_) => Ok(()),
    }
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
            tell!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tell!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
