//! Reading Prisma's `_prisma_migrations` table.
//!
//! The table's shape is Prisma's (schema engine, `migration_persistence`): `id varchar(36)`,
//! `checksum varchar(64)`, `finished_at timestamptz`, `migration_name varchar(255)`, `logs text`,
//! `rolled_back_at timestamptz`, `started_at timestamptz default now()`,
//! `applied_steps_count int default 0`. A name may have several rows (rolled back, retried).

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};

use crate::error::QueryError;

/// Errors while reading `_prisma_migrations`.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The query failed: `cannot read <schema>._prisma_migrations`.
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// One row of `_prisma_migrations`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct MigrationRow {
    /// A UUID Prisma generates per attempt.
    pub id: String,
    /// The checksum of migration.sql when it was applied.
    pub checksum: String,
    /// When it finished; `None` while running or after a failure.
    pub finished_at: Option<DateTime<Utc>>,
    /// The migration's folder name.
    pub migration_name: String,
    /// The error output of a failed attempt.
    pub logs: Option<String>,
    /// Set by `prisma migrate resolve --rolled-back`.
    pub rolled_back_at: Option<DateTime<Utc>>,
    /// When the attempt started.
    pub started_at: DateTime<Utc>,
    /// 1 once the script has run.
    pub applied_steps_count: i32,
}

/// The name of Prisma's bookkeeping table.
pub const TABLE_NAME: &str = "_prisma_migrations";

/// The applied rows of `rows` (finished, not rolled back), one per migration (the first), in the
/// order given — [`read_table`]'s order of application.
pub fn applied(rows: &[MigrationRow]) -> Vec<&MigrationRow> {
    let mut applied: Vec<&MigrationRow> = Vec::new();
    for row in rows {
        let done = row.finished_at.is_some() && row.rolled_back_at.is_none();
        if done
            && !applied
                .iter()
                .any(|a| a.migration_name == row.migration_name)
        {
            applied.push(row);
        }
    }
    applied
}

/// The fully quoted name of `_prisma_migrations` in `schema`.
pub fn qualified_name(schema: &str) -> String {
    crate::sql::qualified(schema, TABLE_NAME)
}

/// Reads every row of `<schema>._prisma_migrations`, ordered by `started_at` then `id`.
///
/// Returns `None` when the table does not exist: the database was never migrated with Prisma.
/// Runs in a `READ ONLY` transaction that is rolled back, so it cannot write.
/// Errors with [`TableError::Query`] when a query fails.
pub async fn read_table(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<Option<Vec<MigrationRow>>, TableError> {
    let to_error = |source| QueryError {
        action: format!("cannot read {schema}._prisma_migrations"),
        source,
    };
    // `begin`, not `begin_with("BEGIN READ ONLY")`: a caller may already be in a transaction
    // (a rollback's rebuild), where this is a savepoint. The simple protocol: one round trip.
    let mut tx = conn.begin().await.map_err(to_error)?;
    sqlx::raw_sql("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(to_error)?;
    let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(qualified_name(schema))
        .fetch_one(&mut *tx)
        .await
        .map_err(to_error)?;
    if exists.is_none() {
        return Ok(None);
    }
    let sql = format!(
        "SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, \
         applied_steps_count FROM {} ORDER BY started_at, id",
        qualified_name(schema)
    );
    let rows = sqlx::query_as(&sql)
        .fetch_all(&mut *tx)
        .await
        .map_err(to_error)?;
    tx.rollback().await.map_err(to_error)?;
    Ok(Some(rows))
}
