//! Bulk INSERT on the transaction's connection through SQLite's own API, many rows per
//! statement. sqlx hands every bound value across its worker thread; at millions of rows that
//! cost more than SQLite's own work (10M events: 52 s → 44 s). A statement of 64 rows spends
//! SQLite's per-statement work (opening cursors, foreign key set-up, reset) once for all of them
//! (400,000 identity keys: 445 ms → 370 ms).

use rusqlite::ToSql;
use sqlx::SqliteConnection;

use super::with_sqlite;

/// Rows per statement: past a few dozen the per-statement share is gone.
const ROWS_PER_STATEMENT: usize = 64;

/// Binds one row's values, in the order of the statement's columns.
pub type BindRow<'a> = dyn FnMut(&[&dyn ToSql]) -> rusqlite::Result<()> + 'a;

/// Inserts `rows` with `sql`, a fixed single-row `INSERT … VALUES (?, …) [tail]` statement (never
/// user input) that runs as `VALUES (?, …), (?, …), … [tail]`; `bind` gives each row's values
/// (`|bind, row| bind(rusqlite::params![…])`). Returns the rows changed.
pub async fn insert_rows<T, E>(
    conn: &mut SqliteConnection,
    sql: &'static str,
    rows: &[T],
    bind: impl FnMut(&mut BindRow<'_>, &T) -> rusqlite::Result<()>,
) -> Result<u64, E>
where
    E: From<sqlx::Error> + From<rusqlite::Error>,
{
    with_sqlite(conn, |db| Ok(insert_each(db, sql, rows, bind)?)).await
}

/// `insert_rows` on a handle already in hand (inside `with_sqlite`).
pub fn insert_each<T>(
    db: &rusqlite::Connection,
    sql: &'static str,
    rows: &[T],
    mut bind: impl FnMut(&mut BindRow<'_>, &T) -> rusqlite::Result<()>,
) -> rusqlite::Result<u64> {
    let statement_for = |rows: usize| db.prepare(&multi_row(sql, rows));
    let columns = single_row(sql).1.matches('?').count();
    let mut full = None;
    let mut changed = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut last;
        let statement = if chunk.len() == ROWS_PER_STATEMENT {
            match &mut full {
                Some(statement) => statement,
                empty => empty.insert(statement_for(ROWS_PER_STATEMENT)?),
            }
        } else {
            last = statement_for(chunk.len())?;
            &mut last
        };
        let mut next = 1;
        for (n, row) in chunk.iter().enumerate() {
            bind(
                &mut |values| {
                    for value in values {
                        statement.raw_bind_parameter(next, *value)?;
                        next += 1;
                    }
                    Ok(())
                },
                row,
            )?;
            // An unbound value would silently be NULL.
            let expected = 1 + (n + 1) * columns;
            if next != expected {
                return Err(rusqlite::Error::InvalidParameterCount(
                    next - 1,
                    expected - 1,
                ));
            }
        }
        changed += statement.raw_execute()? as u64;
    }
    Ok(changed)
}

/// `sql` split around its row of placeholders: (`INSERT … VALUES `, `(?, …)`, `[tail]`).
fn single_row(sql: &str) -> (&str, &str, &str) {
    let start = sql.find("VALUES (").expect("a bulk INSERT has VALUES (…)") + "VALUES ".len();
    let end = start + sql[start..].find(')').expect("VALUES (…) is closed") + 1;
    (&sql[..start], &sql[start..end], &sql[end..])
}

fn multi_row(sql: &str, rows: usize) -> String {
    let (head, row, tail) = single_row(sql);
    format!("{head}{}{tail}", vec![row; rows].join(", "))
}

/// `insert_each` into a table with a secondary `index` (not a unique one: nothing may depend
/// on it refusing rows): when the rows at least double the table, the index is built once
/// afterwards instead of row by row (see `with_index_rebuilt`).
pub fn insert_each_index_after<T>(
    db: &rusqlite::Connection,
    sql: &'static str,
    rows: &[T],
    index: &'static str,
    bind: impl FnMut(&mut BindRow<'_>, &T) -> rusqlite::Result<()>,
) -> rusqlite::Result<u64> {
    let table: String = db.query_row(
        "SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?1",
        [index],
        |row| row.get(0),
    )?;
    let existing: i64 = db.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |row| {
        row.get(0)
    })?;
    if rows.len() as i64 >= existing {
        with_index_rebuilt(db, index, || insert_each(db, sql, rows, bind))
    } else {
        insert_each(db, sql, rows, bind)
    }
}

/// Runs `work` (a bulk insert that at least doubles a table) with `index` dropped, then builds
/// the index again from its own definition: sorting all entries once is several times faster
/// than inserting them into the index one by one (200,000 customers' keys: 200 ms → 75 ms).
/// Inside the caller's transaction, so a failure leaves the index as it was. `index` is a fixed
/// name from the schema, never user input.
pub fn with_index_rebuilt<T>(
    db: &rusqlite::Connection,
    index: &'static str,
    work: impl FnOnce() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let definition: String = db.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
        [index],
        |row| row.get(0),
    )?;
    db.execute_batch(&format!("DROP INDEX \"{index}\""))?;
    let result = work()?;
    db.execute_batch(&definition)?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_go_in_many_per_statement_with_every_value_bound() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
            .unwrap();
        // Two full statements and a shorter last one.
        let rows: Vec<i64> = (0..150).collect();
        let upsert =
            "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT(a) DO UPDATE SET b = excluded.b";
        let inserted = insert_each(&db, upsert, &rows, |bind, &i| {
            bind(rusqlite::params![i, format!("r{i}")])
        })
        .unwrap();
        assert_eq!(inserted, 150);
        insert_each(&db, upsert, &rows[..3], |bind, &i| {
            bind(rusqlite::params![i, "again"])
        })
        .unwrap();
        let (count, sum, again): (i64, i64, i64) = db
            .query_row(
                "SELECT count(*), sum(a), sum(b = 'again') FROM t WHERE b = 'r' || a OR b = 'again'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((count, sum, again), (150, (0..150).sum(), 3));

        // A row that binds too few values is an error, not a silent NULL.
        let short = insert_each(&db, upsert, &rows, |bind, &i| bind(rusqlite::params![i]));
        assert!(matches!(
            short,
            Err(rusqlite::Error::InvalidParameterCount(1, 2))
        ));
    }
}
