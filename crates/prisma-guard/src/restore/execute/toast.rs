//! How the values a restore writes are compressed on disk: lz4 instead of pglz for the columns
//! that name no method, when the server has it (issue 18).
//!
//! PostgreSQL compresses a row's large values (TOAST, over about 2 KB) with the column's
//! `COMPRESSION` method, or, when the column names none, with `default_toast_compression`
//! (PostgreSQL 14+, `pglz` unless configured; `lz4` only in servers built `--with-lz4`, which
//! the Debian, Homebrew and Docker builds are). pglz is several times slower to compress: on the
//! bench database (BENCHMARKS.md), the `COPY` of `Image`'s 20k rows of 5 KiB `bytea` took 4.9 s
//! with pglz and 2.1–2.9 s with lz4. The values read back are the same either way. A column whose
//! method is set explicitly keeps it on the straight load; through a staging table a value keeps
//! the method it was compressed with there (PostgreSQL does not recompress a value moved between
//! tables), as it did before with pglz.

use sqlx::PgConnection;

use crate::error::QueryError;
use crate::restore::RestoreError;

/// Sets `default_toast_compression` to `lz4` for the rest of the current transaction
/// (`set_config(…, true)`, like `SET LOCAL`), when the server offers it (its `pg_settings`
/// lists `lz4` among the setting's values: PostgreSQL 14 and later, built with lz4); otherwise
/// changes nothing. Any role may set it. Returns whether it was set. Errors: [`QueryError`] when
/// the statement fails.
pub(super) async fn compress_with_lz4(conn: &mut PgConnection) -> Result<bool, RestoreError> {
    let set: Option<String> = sqlx::query_scalar(
        "SELECT set_config(name, 'lz4', true) FROM pg_settings
         WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(QueryError::at("choosing lz4 for the restored values"))?;
    Ok(set.is_some())
}
