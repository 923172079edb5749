//! The built-in deploy: applies pending migrations exactly as `prisma migrate deploy` does, for
//! machines without Prisma's engines (tests, CI, `migrate-command = "builtin"`).
//!
//! Source: Prisma's schema engine (`apply_migrations`, `migration_persistence`). It creates the
//! schema and `_prisma_migrations` when missing, refuses to run while a migration is failed
//! (Prisma's P3009), then for each pending or rolled-back migration in folder order: inserts a
//! row (new UUID, checksum, `started_at = now()`), runs migration.sql the way the app's Prisma
//! version does ([`Statements`]: the whole file as one simple query, or statement by statement
//! outside a transaction block from Prisma 7.4 on), and on success sets `finished_at = now()`
//! and `applied_steps_count = 1`; on failure stores the error in `logs` and leaves the row failed.

use sqlx::PgConnection;

use super::{
    LocalMigration, MigrationState, Statements, compare, read_table, split, table::qualified_name,
};
use crate::sql::quote_ident;

/// Prisma's DDL for its bookkeeping table (PostgreSQL connector).
const CREATE_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS {table} (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)"#;

/// Errors from [`deploy`].
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A previous migration is failed; Prisma refuses to deploy (P3009).
    #[error("migration {name} failed earlier and is not resolved, so no migration is applied")]
    FailedBefore {
        /// The failed migration.
        name: String,
    },
    /// A migration's SQL failed; its row is left failed with the error in `logs`.
    #[error("migration {name} failed: {message}")]
    MigrationFailed {
        /// The migration that failed.
        name: String,
        /// PostgreSQL's error.
        message: String,
    },
    /// Bookkeeping (schema, table, rows) failed.
    #[error("cannot update {schema}._prisma_migrations")]
    Bookkeeping {
        /// The working schema.
        schema: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The table could not be read.
    #[error(transparent)]
    Table(#[from] super::TableError),
}

impl crate::error::Hint for DeployError {
    fn hint(&self) -> Option<String> {
        match self {
            DeployError::FailedBefore { name } | DeployError::MigrationFailed { name, .. } => {
                Some(format!(
                    "fix the database by hand, then mark it with `npx prisma migrate resolve --rolled-back {name}` (or --applied)"
                ))
            }
            _ => None,
        }
    }
}

/// What [`deploy`] should apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeployOptions {
    /// Only consider the first N local migrations (in folder order); `None`: all of them.
    pub first: Option<usize>,
    /// How each file runs (default [`Statements::Whole`]; the project's choice comes from
    /// `migration-statements`, see [`crate::project::Project::migration_statements`]).
    pub statements: Statements,
}

/// What [`deploy`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployReport {
    /// The migrations applied, in order.
    pub applied: Vec<String>,
}

/// Applies the pending and rolled-back migrations of `local` (in folder order) to `schema`.
///
/// Errors: [`DeployError::FailedBefore`] when a failed migration is unresolved (nothing is
/// applied), [`DeployError::MigrationFailed`] naming the migration whose SQL failed (the ones
/// before it stay applied, as in Prisma), [`DeployError::Bookkeeping`] for table updates.
pub async fn deploy(
    conn: &mut PgConnection,
    schema: &str,
    local: &[LocalMigration],
    options: DeployOptions,
) -> Result<DeployReport, DeployError> {
    let table = qualified_name(schema);
    let bookkeeping = |source| DeployError::Bookkeeping {
        schema: schema.to_string(),
        source,
    };
    let setup = format!(
        "CREATE SCHEMA IF NOT EXISTS {};\n{}",
        quote_ident(schema),
        CREATE_TABLE.replace("{table}", &table)
    );
    sqlx::raw_sql(&setup)
        .execute(&mut *conn)
        .await
        .map_err(bookkeeping)?;
    let rows = read_table(conn, schema).await?.unwrap_or_default();
    let report = compare(local, Some(&rows));
    if let Some(failed) = report.in_state(MigrationState::Failed).next() {
        return Err(DeployError::FailedBefore {
            name: failed.name.clone(),
        });
    }
    let considered = &local[..options.first.unwrap_or(local.len()).min(local.len())];
    let mut applied = Vec::new();
    for migration in considered {
        let unapplied = report
            .migrations
            .iter()
            .any(|m| m.name == migration.name && m.state.is_unapplied());
        if unapplied {
            apply_one(conn, &table, migration, options.statements)
                .await
                .map_err(|e| match e {
                    ApplyError::Script(message) => DeployError::MigrationFailed {
                        name: migration.name.clone(),
                        message,
                    },
                    ApplyError::Bookkeeping(source) => bookkeeping(source),
                })?;
            applied.push(migration.name.clone());
        }
    }
    Ok(DeployReport { applied })
}

enum ApplyError {
    Script(String),
    Bookkeeping(sqlx::Error),
}

async fn apply_one(
    conn: &mut PgConnection,
    table: &str,
    migration: &LocalMigration,
    statements: Statements,
) -> Result<(), ApplyError> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(&format!(
        "INSERT INTO {table} (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())"
    ))
    .bind(&id)
    .bind(&migration.checksum)
    .bind(&migration.name)
    .execute(&mut *conn)
    .await
    .map_err(ApplyError::Bookkeeping)?;
    let script = String::from_utf8_lossy(&migration.script);
    match run_script(conn, &script, statements).await {
        Ok(_) => {
            sqlx::query(&format!(
                "UPDATE {table} SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1"
            ))
            .bind(&id)
            .execute(&mut *conn)
            .await
            .map_err(ApplyError::Bookkeeping)?;
            Ok(())
        }
        Err(error) => {
            let message = match &error {
                sqlx::Error::Database(db) => db.message().to_string(),
                other => other.to_string(),
            };
            let logs = format!("Database error:\n{message}");
            sqlx::query(&format!("UPDATE {table} SET logs = $2 WHERE id = $1"))
                .bind(&id)
                .bind(&logs)
                .execute(&mut *conn)
                .await
                .map_err(ApplyError::Bookkeeping)?;
            Err(ApplyError::Script(message))
        }
    }
}

/// Runs a migration's SQL as [`Statements`] says. Split: each statement as its own simple query
/// (autocommit, so `CREATE INDEX CONCURRENTLY` can run); after a failure a `ROLLBACK` ends a
/// transaction the file itself opened (`BEGIN;`), so the bookkeeping that follows can run.
async fn run_script(
    conn: &mut PgConnection,
    script: &str,
    statements: Statements,
) -> Result<(), sqlx::Error> {
    match statements {
        Statements::Whole => sqlx::raw_sql(script).execute(&mut *conn).await.map(drop),
        Statements::Split => {
            for statement in split::statements(script) {
                if let Err(error) = sqlx::raw_sql(statement).execute(&mut *conn).await {
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                    return Err(error);
                }
            }
            Ok(())
        }
    }
}
