//! Multi-row INSERT: one statement binds many rows, which is what makes imports fast
//! (a statement per row costs more in sqlx's round trip than the insert itself).

use sqlx::sqlite::Sqlite;
use sqlx::{QueryBuilder, SqliteConnection};

/// SQLite allows 32766 bound values per statement; stay below it.
const MAX_BINDS: usize = 32_000;

/// Inserts `rows` with `head` (e.g. `"INSERT INTO t (a, b) "`, a fixed string, never user input)
/// followed by `VALUES (...)` tuples, `columns` values each, and an optional fixed `tail`
/// (e.g. an `ON CONFLICT` clause). `bind` pushes one row's values.
pub async fn insert_rows<T, F>(
    conn: &mut SqliteConnection,
    head: &'static str,
    tail: &'static str,
    columns: usize,
    rows: &[T],
    mut bind: F,
) -> Result<u64, sqlx::Error>
where
    F: FnMut(&mut sqlx::query_builder::Separated<'_, Sqlite, &'static str>, &T),
{
    let per_statement = (MAX_BINDS / columns.max(1)).max(1);
    let mut affected = 0;
    for chunk in rows.chunks(per_statement) {
        let mut builder: QueryBuilder<Sqlite> = QueryBuilder::new(head);
        builder.push_values(chunk, |mut row, item| bind(&mut row, item));
        builder.push(tail);
        affected += builder.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(affected)
}
