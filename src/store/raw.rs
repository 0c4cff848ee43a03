//! SQLite's own API on a connection sqlx holds, for bulk work inside sqlx's transaction: sqlx
//! hands each row across its worker thread (about 4 µs a row), rusqlite steps rows in place.
#![allow(unsafe_code)]

use sqlx::SqliteConnection;

/// Runs `work` on `conn`'s SQLite handle, inside whatever transaction `conn` has open.
pub async fn with_sqlite<T, E>(
    conn: &mut SqliteConnection,
    work: impl FnOnce(&rusqlite::Connection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<sqlx::Error> + From<rusqlite::Error>,
{
    let mut locked = conn.lock_handle().await?;
    // SAFETY: `locked` keeps sqlx's worker thread off the handle until it is dropped, which is
    // after `db`; `from_handle` borrows the handle and never closes it.
    let db = unsafe { rusqlite::Connection::from_handle(locked.as_raw_handle().as_ptr())? };
    let result = work(&db);
    drop(db);
    result
}
