//! What the pending migrations will do to this data: they are replayed, one at a time, on a
//! scratch copy of a snapshot, and every table is compared before and after, by primary key.
//!
//! In a scratch database next to the target ([`ScratchDatabase`], dropped at the end, on error and
//! when the future is dropped):
//! 1. the snapshot's state is rebuilt ([`replay::rebuild`]) and brought forward through the
//!    migrations the target applied since the snapshot (when it is older than the target);
//! 2. the tables a pending migration may touch are copied, as text, into the schema
//!    [`BEFORE_SCHEMA`] (`copy`; which tables and columns: `scope`): wholly those it names, only the key and foreign-key columns of
//!    those reached through foreign keys; the whole set once into [`START_SCHEMA`] at the start
//!    (the first migration's before-state);
//! 3. the migration runs with the built-in deploy, statements split as the project's Prisma
//!    version splits them, and the copies are compared with the result in SQL (`compare`): rows
//!    lost and added, columns dropped, retyped or rewritten, enum values removed, renames written
//!    as DROP + ADD — each finding naming the migration;
//! 4. a migration that fails stops the prediction: PostgreSQL's message and the rows that make it
//!    fail, counted (`failure`);
//! 5. the start copies are compared with the end state: the [`Prediction::tables`] (with one
//!    pending migration that applied, its own comparison is that).
//!
//! No row is read into Rust: copies and comparisons are set-based statements in the scratch
//! database. [`gate`] decides whether `pre-migrate` predicts at all (size limit, role).

mod compare;
mod copy;
mod failure;
mod findings;
pub mod gate;
mod model;
mod scope;

use camino::Utf8Path;

pub use gate::{DEFAULT_MAX_BYTES, Outcome, Skip, before_migrating, skip_reason};
pub use model::{
    ColumnChange, ColumnChangeKind, Finding, FindingKind, MigrationOutcome, Offending, Prediction,
    TableChange,
};

use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::migrations::{self, DeployError, DeployOptions, LocalMigration, Statements};
use crate::restore::RestoreError;
use crate::restore::replay::{self, ScratchDatabase};
use crate::snapshot::StoredSnapshot;

/// The scratch database's schema holding each migration's before-state copies.
pub const BEFORE_SCHEMA: &str = "prisma_guard_before";

/// The scratch database's schema holding the copies taken before the first pending migration.
pub const START_SCHEMA: &str = "prisma_guard_start";

/// `work_mem` of the scratch connection, for the comparisons' joins.
const COMPARE_WORK_MEM: &str = "256MB";

/// Errors from [`predict`].
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// The snapshot's history cannot be rebuilt or does not lead to today's (its sidecar, a
    /// changed migration file, a target history that does not extend it).
    #[error("cannot predict from snapshot {snapshot}: {reason}")]
    Impossible {
        /// The snapshot id.
        snapshot: String,
        /// Why, in words.
        reason: String,
    },
    /// The connected role may not create the scratch database.
    #[error("the database role may not create databases, so the prediction has no scratch copy")]
    CannotCreateDatabases,
    /// Rebuilding the snapshot's data, or the scratch database itself, failed.
    #[error(transparent)]
    Restore(#[from] RestoreError),
    /// A comparison query failed.
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl crate::error::Hint for PredictError {
    fn hint(&self) -> Option<String> {
        match self {
            PredictError::Impossible { .. } => Some(
                "take a fresh snapshot with `pre-migrate` (a `predict` without an id takes one)"
                    .into(),
            ),
            PredictError::CannotCreateDatabases => Some(
                "grant the role CREATEDB (`ALTER ROLE … CREATEDB`) or predict on a local copy"
                    .into(),
            ),
            PredictError::Restore(e) => e.hint(),
            PredictError::Query(_) => None,
        }
    }
}

/// How [`predict`] reads the project.
#[derive(Debug, Clone)]
pub struct PredictOptions<'a> {
    /// `<prisma-dir>/migrations`.
    pub migrations_dir: &'a Utf8Path,
    /// How each migration file runs (the project's `migration-statements`).
    pub statements: Statements,
}

/// Predicts what today's pending migrations of `target` do to the data of `snapshot`. The target
/// is only read (its `_prisma_migrations`, to know what is pending).
///
/// Pending: the local migrations `_prisma_migrations` does not list as applied, in folder order.
/// Errors: [`PredictError::Impossible`] when the snapshot's history cannot be rebuilt (see
/// [`replay::check`]), [`PredictError::Restore`] for a corrupt snapshot or the scratch database,
/// [`PredictError::Query`]. A migration failing on the data is not an error: it is in the
/// [`Prediction`]. The scratch database is gone afterwards in every case.
pub async fn predict(
    target: &DatabaseUrl,
    snapshot: &StoredSnapshot,
    options: &PredictOptions<'_>,
) -> Result<Prediction, PredictError> {
    let started = std::time::Instant::now();
    let impossible = |reason: String| PredictError::Impossible {
        snapshot: snapshot.manifest.id.clone(),
        reason,
    };
    let local = migrations::read_folder(options.migrations_dir)
        .map_err(|e| RestoreError::Status(e.into()))?;
    let rows = {
        let mut conn = target.connect().await.map_err(RestoreError::from)?;
        if !replay::can_create_databases(&mut conn)
            .await
            .map_err(QueryError::at("reading the role's privileges"))?
        {
            return Err(PredictError::CannotCreateDatabases);
        }
        migrations::read_table(&mut conn, target.schema())
            .await
            .map_err(|e| RestoreError::Status(e.into()))?
    };
    let plan =
        replay::check(snapshot.sidecar.as_ref(), &local, rows.as_deref()).map_err(impossible)?;
    let pending: Vec<LocalMigration> = migrations::compare(&local, rows.as_deref())
        .unapplied()
        .filter_map(|m| local.iter().find(|l| l.name == m.name).cloned())
        .collect();
    replay::verified(snapshot).await?;
    let scratch = ScratchDatabase::create(target).await?;
    let result = predict_in(&scratch, snapshot, &plan, &pending, options.statements).await;
    let removed = scratch.remove().await;
    let mut prediction = result?;
    removed?;
    prediction.snapshot = snapshot.manifest.id.clone();
    prediction.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(prediction)
}

async fn predict_in(
    scratch: &ScratchDatabase,
    snapshot: &StoredSnapshot,
    plan: &replay::ReplayPlan,
    pending: &[LocalMigration],
    statements: Statements,
) -> Result<Prediction, PredictError> {
    let url = scratch.url();
    let schema = url.schema();
    let mut conn = url.connect().await.map_err(RestoreError::from)?;
    // The comparisons join whole tables: sorted and hashed in memory up to this, per node, on
    // the scratch database's connection only (PostgreSQL's default of 4 MB spills to disk).
    sqlx::query("SELECT set_config('work_mem', $1, false)")
        .bind(COMPARE_WORK_MEM)
        .execute(&mut conn)
        .await
        .map_err(QueryError::at("raising work_mem for the comparisons"))?;
    let deploy = DeployOptions {
        statements,
        ..DeployOptions::default()
    };
    replay::rebuild(&mut conn, schema, snapshot, &plan.at_snapshot, deploy).await?;
    migrations::deploy(&mut conn, schema, &plan.since, deploy)
        .await
        .map_err(|e| replay_failed(e, "brought forward"))?;

    let start = copy::State::read(&mut conn, schema).await?;
    let all_touched = scope::touched_by_all(&start, pending);
    copy::copy_tables(&mut conn, START_SCHEMA, &start.tables, &all_touched).await?;
    let start_counts = copy::row_counts(&mut conn, &start.tables, &all_touched).await?;

    let mut prediction = Prediction::default();
    // The one migration's comparison, when there is only one: the same as start against end.
    let mut only_step = None;
    for (index, migration) in pending.iter().enumerate() {
        let before = copy::State::read(&mut conn, schema).await?;
        // The start copies are the first migration's before-state: not copied twice.
        let (copies, touched) = match index {
            0 => (START_SCHEMA, all_touched.clone()),
            _ => {
                let touched = scope::touched(&before, migration);
                copy::copy_tables(&mut conn, BEFORE_SCHEMA, &before.tables, &touched).await?;
                (BEFORE_SCHEMA, touched)
            }
        };
        let counts = copy::row_counts(&mut conn, &before.tables, &touched).await?;
        let one = std::slice::from_ref(migration);
        match migrations::deploy(&mut conn, schema, one, deploy).await {
            Ok(_) => {
                let after = copy::State::read(&mut conn, schema).await?;
                let step = compare::Comparison {
                    copies,
                    before: &scope::narrowed(&before, &touched),
                    after: &scope::narrowed(&after, &touched),
                    copied: &touched,
                    counts: &counts,
                };
                let changes = step.tables(&mut conn).await?;
                prediction
                    .findings
                    .extend(step.findings(&migration.name, &changes));
                prediction
                    .migrations
                    .push(MigrationOutcome::applied(&migration.name));
                if pending.len() == 1 {
                    only_step = Some(changes);
                }
            }
            Err(DeployError::MigrationFailed { name, message }) => {
                let offending = failure::offending(&mut conn, schema, migration, &message).await?;
                prediction
                    .findings
                    .push(Finding::failed(&name, &message, offending.as_ref()));
                prediction.migrations.push(MigrationOutcome {
                    name,
                    applied: false,
                    error: Some(message),
                    offending,
                });
                break;
            }
            Err(other) => return Err(replay_failed(other, "predicted").into()),
        }
    }
    for skipped in pending.iter().skip(prediction.migrations.len()) {
        prediction
            .migrations
            .push(MigrationOutcome::not_reached(&skipped.name));
    }
    prediction.tables = match only_step {
        Some(changes) => changes,
        None => {
            let end = copy::State::read(&mut conn, schema).await?;
            let overall = compare::Comparison {
                copies: START_SCHEMA,
                before: &scope::narrowed(&start, &all_touched),
                after: &scope::narrowed(&end, &all_touched),
                copied: &all_touched,
                counts: &start_counts,
            };
            overall.tables(&mut conn).await?
        }
    };
    Ok(prediction)
}

/// A deploy failure while preparing the scratch copy: the snapshot's data cannot be carried to
/// today's applied migrations.
fn replay_failed(error: DeployError, stage: &str) -> RestoreError {
    match error {
        DeployError::MigrationFailed { name, message } => RestoreError::ReplayFailed {
            migration: format!("{name} ({stage})"),
            message,
        },
        other => RestoreError::Deploy(other),
    }
}
