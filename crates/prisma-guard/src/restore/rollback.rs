//! `prisma-guard rollback`: put a database back exactly as it was when a snapshot was taken —
//! schema, data and `_prisma_migrations` — the undo for "my migration went wrong".
//!
//! In one transaction: the working schema is dropped and recreated, the snapshot's applied
//! migrations are replayed with the built-in deploy (each local file checked against the
//! checksum recorded in the sidecar), every table is loaded from the snapshot, and
//! `_prisma_migrations` gets the snapshot's rows. A failure rolls it all back. A dry run does the
//! same in a scratch database and drops it.

use serde::Serialize;
use sqlx::{Connection, PgConnection};

use super::replay::{self, ScratchDatabase};
use super::{Mode, RestoreError, RunOptions, Selection, TableResult};
use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::migrations::{self, LocalMigration, table::TABLE_NAME};
use crate::snapshot::{Manifest, NoProgress, SnapshotOptions, StoredSnapshot};
use crate::sql::quote_ident;

/// The reason rollback's safety snapshots are taken with.
pub const SAFETY_REASON: &str = "pre-rollback";

/// What a rollback will do.
#[derive(Debug, Clone)]
pub struct RollbackPlan {
    /// The snapshot to go back to.
    pub snapshot: StoredSnapshot,
    /// The snapshot's applied migrations, replayed in order on the empty schema.
    pub migrations: Vec<LocalMigration>,
    /// Migrations applied in the target that the snapshot does not have: the rollback undoes
    /// them.
    pub undone: Vec<String>,
    /// Whether the snapshot holds `_prisma_migrations` (then its rows are put back as they were;
    /// otherwise the table keeps the rows the replay wrote).
    pub history: bool,
}

/// Refuses to roll `url` back to a snapshot taken of another database or schema (compared by
/// name, as the manifest records them) unless `force`: it would replace this database's schema
/// with another one's.
///
/// Errors with [`RestoreError::OtherDatabase`].
pub fn check_source(
    manifest: &crate::snapshot::Manifest,
    url: &DatabaseUrl,
    force: bool,
) -> Result<(), RestoreError> {
    let source = &manifest.database;
    let same = source.name == url.database_name() && source.schema == url.schema();
    if same || force {
        return Ok(());
    }
    Err(RestoreError::OtherDatabase {
        source_database: source.name.clone(),
        source_schema: source.schema.clone(),
        target_database: url.database_name(),
        target_schema: url.schema().to_string(),
    })
}

/// Plans a rollback of `url` to `snapshot`. Only reads.
///
/// Errors: [`RestoreError::RollbackImpossible`] when the snapshot has no sidecar, or a migration
/// it was taken at is missing from `migrations_dir` or changed since (checksum);
/// [`RestoreError::Status`] when the folder or `_prisma_migrations` cannot be read;
/// [`RestoreError::Connect`].
pub async fn prepare(
    url: &DatabaseUrl,
    snapshot: StoredSnapshot,
    migrations_dir: &camino::Utf8Path,
) -> Result<RollbackPlan, RestoreError> {
    let local = migrations::read_folder(migrations_dir).map_err(migrations::StatusError::from)?;
    let migrations = replay::at_snapshot(snapshot.sidecar.as_ref(), &local)
        .map_err(|reason| RestoreError::RollbackImpossible { reason })?;
    let mut conn = url.connect().await?;
    let rows = migrations::read_table(&mut conn, url.schema())
        .await
        .map_err(migrations::StatusError::from)?
        .unwrap_or_default();
    let undone = migrations::table::applied(&rows)
        .into_iter()
        .filter(|row| !migrations.iter().any(|m| m.name == row.migration_name))
        .map(|row| row.migration_name.clone())
        .collect();
    let history = snapshot.manifest.table(TABLE_NAME).is_some();
    Ok(RollbackPlan {
        snapshot,
        migrations,
        undone,
        history,
    })
}

/// What a rollback did.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    /// Rows loaded per table (`_prisma_migrations` not included).
    pub tables: Vec<TableResult>,
    /// The migrations replayed, in order.
    pub migrations: Vec<String>,
    /// Rows of `_prisma_migrations` put back from the snapshot (0 when it does not hold them).
    pub history_rows: u64,
    /// Whether this was a dry run in a scratch database.
    pub dry_run: bool,
    /// Wall time, in milliseconds.
    pub elapsed_ms: u64,
}

/// Runs a rollback: verifies every data file of the snapshot, takes the safety snapshot of the
/// whole database (reason [`SAFETY_REASON`]; unless a dry run or disabled), then rebuilds the
/// working schema in one transaction. A dry run rebuilds in a scratch database instead and drops
/// it; the target is not touched.
///
/// Returns the report and the safety snapshot's manifest. Errors: [`RestoreError::Corrupt`]
/// before anything is done; [`RestoreError::ReplayFailed`] naming the migration;
/// [`RestoreError::Incomplete`] when the snapshot lacks tables its migrations create; the
/// restore engine's errors. On any error the database is as it was.
pub async fn run(
    url: &DatabaseUrl,
    plan: &RollbackPlan,
    options: &RunOptions,
) -> Result<(RollbackReport, Option<Manifest>), RestoreError> {
    let started = std::time::Instant::now();
    replay::verified(&plan.snapshot).await?;
    let schema = url.schema();
    let (loaded, safety) = if options.dry_run {
        let scratch = ScratchDatabase::create(url).await?;
        let loaded = async {
            let mut conn = scratch.url().connect().await?;
            rebuild(&mut conn, schema, plan).await
        }
        .await;
        scratch.remove().await?;
        (loaded?, None)
    } else {
        let safety = if options.safety_snapshot {
            Some(safety_snapshot(url, options).await?)
        } else {
            None
        };
        let mut conn = url.connect().await?;
        let mut tx = conn
            .begin()
            .await
            .map_err(QueryError::at("starting the transaction"))?;
        let quoted = quote_ident(schema);
        sqlx::raw_sql(&format!(
            "DROP SCHEMA IF EXISTS {quoted} CASCADE; CREATE SCHEMA {quoted}"
        ))
        .execute(&mut *tx)
        .await
        .map_err(QueryError::at(format!(
            "dropping and recreating schema {schema}"
        )))?;
        let loaded = rebuild(&mut tx, schema, plan).await?;
        tx.commit()
            .await
            .map_err(QueryError::at("committing the rollback"))?;
        (loaded, safety)
    };
    let (tables, history_rows) = loaded;
    Ok((
        RollbackReport {
            tables,
            migrations: plan.migrations.iter().map(|m| m.name.clone()).collect(),
            history_rows,
            dry_run: options.dry_run,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        },
        safety,
    ))
}

/// Rebuilds the snapshot's state in the empty `schema` and puts `_prisma_migrations` back.
async fn rebuild(
    conn: &mut PgConnection,
    schema: &str,
    plan: &RollbackPlan,
) -> Result<(Vec<TableResult>, u64), RestoreError> {
    // The rebuild runs inside the rollback's one transaction, where only whole files fit.
    let deploy = migrations::DeployOptions::default();
    let rebuilt = replay::rebuild(conn, schema, &plan.snapshot, &plan.migrations, deploy).await?;
    if !rebuilt.missing.is_empty() {
        return Err(RestoreError::Incomplete {
            tables: rebuilt.missing.join(", "),
        });
    }
    let mut history_rows = 0;
    if plan.history {
        let selection = Selection {
            tables: vec![TABLE_NAME.into()],
            ..Selection::default()
        };
        let history = super::plan::plan(
            &plan.snapshot.manifest,
            &rebuilt.live,
            &[],
            &selection,
            Mode::Merge,
        )?;
        let table = history
            .tables
            .first()
            .expect("the snapshot holds the table");
        let columns = table
            .snapshot_columns
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::raw_sql(&format!("DELETE FROM {}", table.qualified()))
            .execute(&mut *conn)
            .await
            .map_err(QueryError::at(
                "clearing the replay's _prisma_migrations rows",
            ))?;
        let target = format!("{} ({columns})", table.qualified());
        history_rows = super::execute::copy_file(conn, &plan.snapshot.path, table, &target).await?;
    }
    Ok((rebuilt.report.tables, history_rows))
}

async fn safety_snapshot(
    url: &DatabaseUrl,
    options: &RunOptions,
) -> Result<Manifest, RestoreError> {
    let status = {
        let mut conn = url.connect().await?;
        migrations::status(&mut conn, &options.migrations_dir, url.schema()).await?
    };
    let mut snapshot = SnapshotOptions::new(SAFETY_REASON, &options.project_root);
    snapshot.command = options.command.clone();
    snapshot.git = crate::snapshot::sidecar::git_info(&options.project_root);
    Ok(crate::snapshot::take(url, &options.store, &status, &snapshot, &NoProgress).await?)
}
