//! The workspace store: one SQLite file, opened through sqlx with WAL and foreign keys,
//! migrated forward-only by the migrations embedded at build time.

mod bulk;
mod held;
mod names;
mod raw;

pub use bulk::{insert_each, insert_each_index_after, insert_rows, with_index_rebuilt};
pub use held::{checked_opened, is_open_workspace, open_user_file, read_user_file, read_user_text};
pub use names::{check_name, NameError, MAX_NAME_CHARS};
pub use raw::with_sqlite;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

/// Marks a SQLite file as a Tessera workspace (SQLite's `application_id` header field): "TSRA".
pub const APPLICATION_ID: u32 = 0x5453_5241;

/// Sets [`APPLICATION_ID`] (a test holds the two equal).
const MARK_WORKSPACE: &str = "PRAGMA application_id = 1414746689";

/// Whether a command may create the workspace it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Commands that add data: a missing workspace is created.
    Create,
    /// Commands that read: a missing workspace is an error (a mistyped path must not create one).
    Existing,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no workspace at {}", .0.display())]
    Missing(PathBuf),
    #[error("{} is not a Tessera workspace ({reason}); nothing was changed", .path.display())]
    Foreign { path: PathBuf, reason: String },
    #[error("cannot create the workspace folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open workspace {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("cannot migrate workspace {path}: {source}")]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

crate::coded!(StoreError {
    StoreError::Missing(_) => NotFound,
    StoreError::Foreign { .. } => NotAWorkspace,
    StoreError::CreateDir { .. } => Io,
    StoreError::Open { .. } | StoreError::Migrate { .. } | StoreError::Sql(_) | StoreError::Sqlite(_) => Database,
});

/// An open workspace: a pool of connections to one SQLite file.
#[derive(Clone)]
pub struct Workspace {
    pub pool: SqlitePool,
    pub path: PathBuf,
    /// Keeps the rest of the process from opening the file while its connections hold it.
    _hold: Arc<held::Hold>,
}

/// Where a workspace lives when the user names none: the user's data directory.
pub fn default_workspace_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tessera")
        .join("workspace.sqlite")
}

/// What a path holds, as far as opening it as a workspace goes.
enum FileKind {
    Missing,
    /// An empty file: nobody's data yet.
    Empty,
    Workspace,
    Foreign(String),
}

/// Looks at `path` without SQLite touching it (opening would switch another application's
/// database to WAL, and migrating would add tables to it). A workspace this process has open
/// is known without reading it (reading would drop its locks, see `held`).
fn classify(path: &Path) -> std::io::Result<FileKind> {
    if path.is_dir() {
        return Ok(FileKind::Foreign("it is a folder".into()));
    }
    if held::is_open_workspace(path) {
        return Ok(FileKind::Workspace);
    }
    let header = match read_header(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::Missing),
        Err(e) => return Err(e),
    };
    if header.is_empty() {
        return Ok(FileKind::Empty);
    }
    if header.len() < 100 || !header.starts_with(b"SQLite format 3\0") {
        return Ok(FileKind::Foreign("it is not an SQLite database".into()));
    }
    Ok(
        match u32::from_be_bytes([header[68], header[69], header[70], header[71]]) {
            APPLICATION_ID => FileKind::Workspace,
            // No application id: a workspace made before workspaces were marked, a new empty
            // database, or another program's; its tables tell.
            0 => {
                let tables = table_names(path).map_err(std::io::Error::other)?;
                let ours = tables.iter().any(|t| t == "_sqlx_migrations")
                    && tables.iter().any(|t| t == "customers");
                if ours {
                    FileKind::Workspace
                } else if tables.is_empty() {
                    FileKind::Empty
                } else {
                    FileKind::Foreign(format!(
                        "it is another application's SQLite database (tables: {})",
                        tables.into_iter().take(5).collect::<Vec<_>>().join(", ")
                    ))
                }
            }
            other => FileKind::Foreign(format!(
                "it is another application's SQLite database (application id {other:#x})"
            )),
        },
    )
}

fn check_file(path: &Path, access: Access) -> Result<(), StoreError> {
    let kind = classify(path).map_err(|e| StoreError::Open {
        path: path.to_path_buf(),
        source: sqlx::Error::Io(e),
    })?;
    match (kind, access) {
        (FileKind::Missing, Access::Existing) => Err(StoreError::Missing(path.to_path_buf())),
        (FileKind::Foreign(reason), _) => Err(StoreError::Foreign {
            path: path.to_path_buf(),
            reason,
        }),
        _ => Ok(()),
    }
}

/// The first 100 bytes of a file (SQLite's header), or fewer if it is shorter.
fn read_header(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut header = Vec::with_capacity(100);
    std::fs::File::open(path)?
        .take(100)
        .read_to_end(&mut header)?;
    Ok(header)
}

/// Whether `path` is a Tessera workspace: exports never replace one.
pub fn is_workspace_file(path: &Path) -> bool {
    matches!(classify(path), Ok(FileKind::Workspace))
}

/// The tables of an SQLite file, read without changing it (no journal, no WAL, no locks).
fn table_names(path: &Path) -> rusqlite::Result<Vec<String>> {
    let uri = format!(
        "file:{}?immutable=1",
        path.display()
            .to_string()
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23")
    );
    let db = rusqlite::Connection::open_with_flags(
        uri,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )?;
    let mut names =
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
    let rows = names.query_map([], |r| r.get(0))?;
    rows.collect()
}

impl Workspace {
    /// Opens the workspace file (creating it if `access` allows), after checking it is one, and
    /// brings its schema up to date.
    pub async fn open(path: &Path, access: Access) -> Result<Workspace, StoreError> {
        check_file(path, access)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a finished import survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-262144")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;
        sqlx::query(MARK_WORKSPACE).execute(&pool).await?;
        Ok(Workspace {
            pool,
            path: path.to_path_buf(),
            _hold: Arc::new(held::Hold::new(path)),
        })
    }

    /// A connection for one bulk write (an import). Its commit is durable when it returns; the
    /// copy of the WAL into the database file (the checkpoint, which at a million rows takes
    /// seconds) is left to `checkpoint_in_background`.
    /// Setting `cancel` interrupts the statement running on it (its transaction then rolls back).
    pub async fn bulk_connection(
        &self,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        // Closed after use, so it never goes back to the pool with these settings.
        conn.close_on_drop();
        sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut *conn)
            .await?;
        if let Some(cancel) = cancel {
            conn.lock_handle()
                .await?
                .set_progress_handler(10_000, move || !cancel.load(Ordering::Relaxed));
        }
        Ok(conn)
    }

    /// The workspace file and the journal files SQLite keeps beside it: nothing may replace them.
    pub fn files(&self) -> Vec<PathBuf> {
        held::with_journals(&self.path)
    }

    /// Whether the workspace file is still where it was opened (a file deleted or replaced
    /// while open takes every later write with it: such writes must not be acknowledged).
    pub fn still_in_place(&self) -> bool {
        self._hold.still_at(&self.path)
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// Copies what a bulk connection wrote to the WAL into the database file, in the background:
/// readers and writers go on meanwhile, and closing the workspace waits for it.
pub fn checkpoint_in_background(mut conn: PoolConnection<Sqlite>) {
    tokio::spawn(async move {
        // A checkpoint that cannot finish now is finished by the next one or by closing.
        let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut *conn)
            .await;
    });
}

/// Refreshes the query planner's statistics after a bulk change, inside its transaction
/// (sampled, so it stays quick).
pub async fn refresh_statistics(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA analysis_limit = 1000")
        .execute(&mut *conn)
        .await?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    Ok(())
}

/// Records that customers, events, tags, consent or scores changed, inside the transaction that
/// changed them: a kept segment index from before is then rebuilt, not trusted.
pub async fn note_change(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE workspace_state SET generation = generation + 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The workspace's id, made when it was created (kept segment indexes and render manifests name
/// the workspace they belong to by it).
pub async fn workspace_id(pool: &SqlitePool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT workspace_id FROM workspace_state WHERE id = 1")
        .fetch_one(pool)
        .await
}

/// The lock file of a claim on something in the workspace (a campaign being rendered), in a
/// hidden folder beside the workspace file: `.NAME.tessera-locks/` (see `output::Claim`).
pub async fn claim_file(pool: &SqlitePool, what: &str) -> Result<PathBuf, sqlx::Error> {
    // The file SQLite has open, as it names it (the workspace itself is never opened here).
    let file: String =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(pool)
            .await?;
    let file = PathBuf::from(file);
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let key = blake3::hash(what.as_bytes()).to_hex();
    Ok(file
        .with_file_name(format!(".{name}.tessera-locks"))
        .join(format!("{}.lock", &key[..24])))
}

/// One of the workspace's 32-byte secrets (`workspace_secrets`): keys of its slugs, hashed
/// addresses and unsubscribe tokens.
pub async fn secret(
    db: impl sqlx::SqliteExecutor<'_>,
    name: &str,
) -> Result<[u8; 32], sqlx::Error> {
    let value: Vec<u8> = sqlx::query_scalar("SELECT value FROM workspace_secrets WHERE name = ?")
        .bind(name)
        .fetch_one(db)
        .await?;
    value
        .try_into()
        .map_err(|_| sqlx::Error::Decode(format!("the workspace's {name} is not 32 bytes").into()))
}

/// The current time as stored in the workspace (RFC 3339, UTC, seconds).
pub fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pragma_sets_the_application_id() {
        assert_eq!(
            super::MARK_WORKSPACE,
            format!("PRAGMA application_id = {}", super::APPLICATION_ID)
        );
    }
}
