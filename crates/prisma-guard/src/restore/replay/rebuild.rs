//! Rebuilding a snapshot's state in an empty schema: its migrations deployed, its tables
//! loaded with the restore engine ([`rebuild`]), from a snapshot checked first ([`verified`]).

use sqlx::PgConnection;

use super::replay_error;
use crate::error::QueryError;
use crate::migrations::{self, DeployOptions, LocalMigration};
use crate::restore::{Mode, RestoreError, RestoreReport, Selection};
use crate::snapshot::StoredSnapshot;

/// What [`rebuild`] built.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// The load's report (rows per table).
    pub report: RestoreReport,
    /// Tables the snapshot's migrations create that the snapshot does not hold (taken with
    /// `--tables`/`--exclude`); they stay empty.
    pub missing: Vec<String>,
    /// The rebuilt schema's catalog.
    pub live: Vec<crate::catalog::Table>,
}

/// Builds the snapshot's state in `schema` of `conn`, which must be empty, from a snapshot the
/// caller has [`verified`]: deploys
/// `at_snapshot` with the built-in deploy (run as `deploy` says), then makes every table of the
/// snapshot (but `_prisma_migrations`, which the deploy wrote) equal to the snapshot's rows with
/// the restore engine in `replace` mode — the rows those migrations inserted are updated to the
/// snapshot's, or deleted when the snapshot lacks their key; parents before children, straight
/// COPY into the tables left empty, sequences moved past the loaded keys. Upload archives are not
/// extracted.
///
/// Errors: [`RestoreError::ReplayFailed`] naming the migration and PostgreSQL's message,
/// [`RestoreError::Deploy`] for bookkeeping, the restore engine's errors for the load.
pub async fn rebuild(
    conn: &mut PgConnection,
    schema: &str,
    snapshot: &StoredSnapshot,
    at_snapshot: &[LocalMigration],
    deploy: DeployOptions,
) -> Result<Rebuilt, RestoreError> {
    migrations::deploy(conn, schema, at_snapshot, deploy)
        .await
        .map_err(replay_error)?;
    let live = crate::catalog::tables(conn, schema)
        .await
        .map_err(QueryError::at("reading the rebuilt catalog"))?;
    let missing = live
        .iter()
        .filter(|t| t.name != migrations::table::TABLE_NAME)
        .filter(|t| snapshot.manifest.table(&t.name).is_none())
        .map(|t| t.name.clone())
        .collect();
    // Replace, not merge: the migrations may have inserted rows (a default admin, a settings
    // row, one row per user with a random id); every table is made equal to the snapshot's, so
    // what the later migrations run on is exactly the snapshot.
    let mut plan = crate::restore::plan::plan(
        &snapshot.manifest,
        &live,
        &[],
        &Selection::default(),
        Mode::Replace,
    )?;
    crate::restore::refuse_unrestorable(&plan)?;
    // Only the database is rebuilt: with no archives in the plan, nothing is extracted, so the
    // project root the executor takes is never used.
    plan.files.clear();
    let unused_root = &snapshot.path;
    let started = std::time::Instant::now();
    let report = crate::restore::execute::execute_checked(
        conn,
        &snapshot.path,
        &plan,
        unused_root,
        false,
        started,
    )
    .await?;
    Ok(Rebuilt {
        report,
        missing,
        live,
    })
}

/// Checks every data file of `snapshot` against its manifest
/// ([`crate::snapshot::check_data_files`]: the fingerprint, each file's size and SHA-256; the
/// load then checks each file's rows), on a blocking thread, before a replay or rollback writes
/// anything.
///
/// Errors: [`RestoreError::Corrupt`] naming the first file that does not match.
pub async fn verified(snapshot: &StoredSnapshot) -> Result<(), RestoreError> {
    let stored = snapshot.clone();
    let problem = tokio::task::spawn_blocking(move || crate::snapshot::check_data_files(&stored))
        .await
        .expect("the check does not panic");
    match problem {
        Some(problem) => Err(RestoreError::Corrupt {
            file: snapshot.path.join(&problem.file),
            problem: problem.problem,
        }),
        None => Ok(()),
    }
}
