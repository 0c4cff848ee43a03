//! `tessera`: every engine capability, scriptable. `--json` prints machine-readable output.
//! One module per command; each is a few lines over one engine call.

use std::path::PathBuf;
use std::process::ExitCode;

mod campaign;
mod customers;
mod import;
mod model;
mod render;
mod segment;
mod serve;
mod template;
mod terminal;

use clap::{Parser, Subcommand};
use tessera_engine::store::{default_workspace_path, Access, Workspace};
use tessera_engine::{bench, demo};

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

/// The workspaces a command opened, closed before the process exits (on error too): closing
/// copies the WAL into the database file, so the workspace is one file again when the command
/// returns, safe to copy or back up.
#[derive(Default)]
struct Opened(std::sync::Mutex<Vec<Workspace>>);

impl Opened {
    async fn open(&self, db: &Option<PathBuf>, access: Access) -> Result<Workspace, Failure> {
        let path = db.clone().unwrap_or_else(default_workspace_path);
        let ws = Workspace::open(&path, access).await?;
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

async fn run(cli: Cli, opened: &Opened) -> Result<(), Failure> {
    let access = access(&cli.command);
    let workspace = || opened.open(&cli.db, access);
    match cli.command {
        Command::Status { json } => customers::status(&workspace().await?, json).await?,
        Command::Import(command) => import::run(&workspace().await?, command).await?,
        Command::Customers(command) => customers::run(&workspace().await?, command).await?,
        Command::Template(template::TemplateCommand::Check { file, json }) => {
            template::check(&file, json)?
        }
        Command::Template(command) => template::run(&workspace().await?, command).await?,
        Command::Preview(command) => render::preview(&workspace().await?, command).await?,
        Command::Render(command) => render::render(&workspace().await?, command).await?,
        Command::Campaign(command) => campaign::run(&workspace().await?, command).await?,
        Command::Demo {
            dir,
            customers,
            json: as_json,
        } => {
            let db = cli
                .db
                .clone()
                .unwrap_or_else(|| dir.join("workspace.sqlite"));
            let report = demo::create_demo(&dir, &db, customers).await?;
            if as_json {
                println!("{}", json(&report));
            } else {
                say!("{report}");
            }
        }
        Command::Model(command) => model::run(&workspace().await?, command).await?,
        Command::Segment(command) => segment::run(&workspace().await?, command).await?,
        Command::Serve {
            site,
            listen,
            rate,
            log,
        } => serve::serve(&workspace().await?, site, listen, rate, log).await?,
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
            tell!("error: cannot start: {e}");
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
            tell!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
