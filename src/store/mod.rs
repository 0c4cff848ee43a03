//! The workspace store: one SQLite file, opened through sqlx with WAL and foreign keys,
//! migrated forward-only by the migrations embedded at build time.

mod bulk;
mod raw;

pub use bulk::{insert_each, insert_each_index_after, insert_rows, with_index_rebuilt};
pub use raw::with_sqlite;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
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
}

/// An open workspace: a pool of connections to one SQLite file.
#[derive(Clone)]
pub struct Workspace {
    pub pool: SqlitePool,
    pub path: PathBuf,
}

/// Where a workspace lives when the user names none: the user's data directory.
pub fn default_workspace_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tessera")
        .join("workspace.sqlite")
}

impl Workspace {
    /// Opens (creating if needed) the workspace file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Workspace, StoreError> {
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
        Ok(Workspace {
            pool,
            path: path.to_path_buf(),
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

/// The current time as stored in the workspace (RFC 3339, UTC, seconds).
pub fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
