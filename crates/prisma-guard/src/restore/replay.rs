//! The `replay` strategy: carry a snapshot's data forward through the migrations themselves.
//!
//! Matching columns by name cannot follow a renamed column, a type change with `USING`, a split
//! table or a backfill; the migrations' own SQL can. So, in a scratch database next to the target:
//! 1. apply, with the built-in deploy, exactly the migrations the snapshot's sidecar lists as
//!    applied — from the local files, each only if it still matches the recorded checksum;
//! 2. load the snapshot: the schema is now the snapshot's, so every table is empty with the same
//!    columns and the restore engine copies it straight in ([`rebuild`]);
//! 3. apply the migrations the target has applied since, in the target's order;
//! 4. snapshot the scratch database into a hidden folder of the store and drop the scratch
//!    database; the restore then runs from that snapshot with the unchanged engine.
//!
//! [`check`] decides whether replay is possible (pure); [`replay`] does steps 1–4;
//! [`ScratchDatabase`] is dropped at the end, on failure, and when the future is dropped (Ctrl-C).
//! The same [`rebuild`] serves `rollback` (see [`super::rollback`]).

use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;
use sqlx::PgConnection;

use super::{Mode, RestoreError, RestoreReport, Selection};
use crate::database::DatabaseUrl;
use crate::error::{IoError, QueryError};
use crate::migrations::{self, DeployError, DeployOptions, LocalMigration, MigrationRow};
use crate::snapshot::{MigrationInfo, NoProgress, SnapshotOptions, StoredSnapshot};
use crate::sql::quote_ident;

/// How a restore carries the snapshot's rows into today's schema (`--strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Replay when possible, else map; the plan says which and why.
    #[default]
    Auto,
    /// Replay the migrations in a scratch database (see the module documentation).
    Replay,
    /// Match columns by name between the snapshot and the live schema.
    Map,
}

/// The strategy a restore uses and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StrategyChoice {
    /// What was asked for.
    pub requested: Strategy,
    /// What is used: [`Strategy::Replay`] or [`Strategy::Map`].
    pub used: Strategy,
    /// Why, in words, for the plan.
    pub reason: String,
    /// The migrations replayed on the snapshot's data (applied in the target since), in order.
    pub replayed: Vec<String>,
}

/// The migrations a replay applies: what the snapshot had, then what the target gained since.
#[derive(Debug, Clone)]
pub struct ReplayPlan {
    /// The snapshot's applied migrations, in order, each matching its recorded checksum.
    pub at_snapshot: Vec<LocalMigration>,
    /// Applied in the target since the snapshot, in the target's order of application.
    pub since: Vec<LocalMigration>,
}

/// Which migrations the snapshot was taken at: the sidecar's applied migrations as local files,
/// each checked against the checksum `_prisma_migrations` held then.
///
/// Errors (the reason, in words) when there is no sidecar, when the snapshot's history had a
/// failed, edited or locally missing migration, or when a file is gone or changed since.
pub fn at_snapshot(
    sidecar: Option<&MigrationInfo>,
    local: &[LocalMigration],
) -> Result<Vec<LocalMigration>, String> {
    let Some(sidecar) = sidecar else {
        return Err("the snapshot has no migration-info.json sidecar".into());
    };
    if !sidecar.migrations_table {
        return Err("the snapshot's database had no _prisma_migrations table".into());
    }
    let troubled = [
        (&sidecar.failed, "was failed"),
        (&sidecar.edited, "had been edited after it was applied"),
        (&sidecar.missing_locally, "had no local folder"),
    ];
    for (records, what) in troubled {
        if let Some(record) = records.first() {
            return Err(format!(
                "migration {} {what} when the snapshot was taken",
                record.name
            ));
        }
    }
    sidecar
        .applied
        .iter()
        .map(|record| {
            let file = local.iter().find(|m| m.name == record.name).ok_or_else(|| {
                format!("migration {} is no longer in the migrations folder", record.name)
            })?;
            let recorded = record.checksum.as_deref().unwrap_or_default();
            if !file.matches(recorded) {
                return Err(format!(
                    "the local file of migration {} changed since the snapshot (its checksum differs from the one recorded then)",
                    record.name
                ));
            }
            Ok(file.clone())
        })
        .collect()
}

/// Decides whether the target's history can be replayed on the snapshot. Pure.
///
/// `target` is the target's `_prisma_migrations` (`None`: no table). Replay is possible when
/// [`at_snapshot`] is, the target has no failed migration, every migration applied at the
/// snapshot is still applied in the target (its history extends the snapshot's), and every
/// migration applied since has a local file matching the target's recorded checksum.
/// Errors: the reason it is not possible, in words.
pub fn check(
    sidecar: Option<&MigrationInfo>,
    local: &[LocalMigration],
    target: Option<&[MigrationRow]>,
) -> Result<ReplayPlan, String> {
    let at_snapshot = at_snapshot(sidecar, local)?;
    let Some(rows) = target else {
        return Err("the target has no _prisma_migrations table".into());
    };
    let applied = migrations::table::applied(rows);
    if let Some(failed) = rows.iter().find(|r| {
        r.finished_at.is_none()
            && r.rolled_back_at.is_none()
            && !applied.iter().any(|a| a.migration_name == r.migration_name)
    }) {
        return Err(format!(
            "migration {} is failed in the target",
            failed.migration_name
        ));
    }
    for migration in &at_snapshot {
        if !applied.iter().any(|r| r.migration_name == migration.name) {
            return Err(format!(
                "the target's history does not extend the snapshot's: {} was applied at the snapshot and is not applied in the target",
                migration.name
            ));
        }
    }
    let mut since = Vec::new();
    for row in applied {
        if at_snapshot.iter().any(|m| m.name == row.migration_name) {
            continue;
        }
        let file = local
            .iter()
            .find(|m| m.name == row.migration_name)
            .ok_or_else(|| {
                format!(
                    "migration {} is applied in the target but not in the migrations folder",
                    row.migration_name
                )
            })?;
        if !file.matches(&row.checksum) {
            return Err(format!(
                "the local file of migration {} differs from the one the target applied (checksum)",
                row.migration_name
            ));
        }
        since.push(file.clone());
    }
    Ok(ReplayPlan { at_snapshot, since })
}

/// Whether the connected role may create databases (`CREATEDB` or superuser).
///
/// Errors: the driver's, when `pg_roles` cannot be read.
pub async fn can_create_databases(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
        .fetch_optional(&mut *conn)
        .await
        .map(|allowed| allowed.unwrap_or(false))
}

/// A database created next to the target for the duration of a replay or a rollback dry run.
///
/// Named `xtask_scratch_<pid>_<uuid>`, so it cannot collide (and a leftover says which process
/// made it). Dropped (`DROP DATABASE … WITH (FORCE)`)
/// by [`ScratchDatabase::remove`], or, when that was not reached (an error, a dropped future on
/// Ctrl-C), by `Drop` on a thread of its own.
#[derive(Debug)]
pub struct ScratchDatabase {
    target: DatabaseUrl,
    name: String,
    url: DatabaseUrl,
    removed: bool,
}

/// The prefix of every scratch database's name.
pub const SCRATCH_PREFIX: &str = "xtask_scratch_";

impl ScratchDatabase {
    /// Creates an empty scratch database on the target's server, from `template0` with the
    /// target's encoding and locale.
    ///
    /// Errors: [`RestoreError::Connect`], [`RestoreError::Database`] (naming the database) when
    /// the role cannot create it.
    pub async fn create(target: &DatabaseUrl) -> Result<ScratchDatabase, RestoreError> {
        let mut conn = target.connect().await?;
        let name = format!(
            "{SCRATCH_PREFIX}{}_{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        let (encoding, collate, ctype): (String, String, String) = sqlx::query_as(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype
             FROM pg_database WHERE datname = current_database()",
        )
        .fetch_one(&mut conn)
        .await
        .map_err(QueryError::at("reading the target's encoding"))?;
        let literal = |text: &str| format!("'{}'", text.replace('\'', "''"));
        sqlx::raw_sql(&format!(
            "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}",
            quote_ident(&name),
            literal(&encoding),
            literal(&collate),
            literal(&ctype),
        ))
        .execute(&mut conn)
        .await
        .map_err(QueryError::at(format!(
            "creating the scratch database {name}"
        )))?;
        Ok(ScratchDatabase {
            url: target.with_database(&name),
            target: target.clone(),
            name,
            removed: false,
        })
    }

    /// The scratch database's URL (same server, credentials and working schema as the target).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the scratch database now, ending any connection to it.
    ///
    /// Errors: [`RestoreError::Connect`], [`RestoreError::Database`].
    pub async fn remove(mut self) -> Result<(), RestoreError> {
        self.removed = true;
        drop_database(&self.target, &self.name).await
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let (target, name) = (self.target.clone(), self.name.clone());
        // Drop cannot await, and may run inside the runtime: use a thread with its own.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                let _ = runtime.block_on(drop_database(&target, &name));
            }
        });
        let _ = dropper.join();
    }
}

async fn drop_database(target: &DatabaseUrl, name: &str) -> Result<(), RestoreError> {
    let mut conn = target.connect().await?;
    sqlx::raw_sql(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
    .execute(&mut conn)
    .await
    .map_err(QueryError::at(format!(
        "dropping the scratch database {name}"
    )))?;
    Ok(())
}

/// Maps a deploy failure during a replay or rollback to [`RestoreError::ReplayFailed`].
fn replay_error(error: DeployError) -> RestoreError {
    match error {
        DeployError::MigrationFailed { name, message } => RestoreError::ReplayFailed {
            migration: name,
            message,
        },
        other => RestoreError::Deploy(other),
    }
}

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
/// `at_snapshot` with the built-in deploy, then loads every table of the snapshot (but
/// `_prisma_migrations`, which the deploy wrote) with the restore engine — parents before
/// children, straight COPY into the empty tables, sequences moved past the loaded keys. Upload
/// archives are not extracted.
///
/// Errors: [`RestoreError::ReplayFailed`] naming the migration and PostgreSQL's message,
/// [`RestoreError::Deploy`] for bookkeeping, the restore engine's errors for the load.
pub async fn rebuild(
    conn: &mut PgConnection,
    schema: &str,
    snapshot: &StoredSnapshot,
    at_snapshot: &[LocalMigration],
) -> Result<Rebuilt, RestoreError> {
    migrations::deploy(conn, schema, at_snapshot, DeployOptions::default())
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
    let mut plan = super::plan::plan(
        &snapshot.manifest,
        &live,
        &[],
        &Selection::default(),
        Mode::Merge,
    )?;
    super::refuse_unrestorable(&plan)?;
    // Only the database is rebuilt: with no archives in the plan, nothing is extracted, so the
    // project root the executor takes is never used.
    plan.files.clear();
    let unused_root = &snapshot.path;
    let started = std::time::Instant::now();
    let report =
        super::execute::execute_checked(conn, &snapshot.path, &plan, unused_root, false, started)
            .await?;
    Ok(Rebuilt {
        report,
        missing,
        live,
    })
}

/// Checks every data file of `snapshot` against its manifest ([`crate::snapshot::verify()`]: size,
/// SHA-256, rows), on a blocking thread, before a replay or rollback writes anything.
///
/// Errors: [`RestoreError::Corrupt`] naming the first file that does not match.
pub async fn verified(snapshot: &StoredSnapshot) -> Result<(), RestoreError> {
    let stored = snapshot.clone();
    let report = tokio::task::spawn_blocking(move || crate::snapshot::verify(&stored))
        .await
        .expect("verify does not panic");
    match report.problems.into_iter().next() {
        Some(problem) => Err(RestoreError::Corrupt {
            file: snapshot.path.join(&problem.file),
            problem: problem.problem,
        }),
        None => Ok(()),
    }
}

/// A snapshot carried forward by a replay: a hidden folder of the store, removed when the last
/// clone is dropped.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The carried-forward snapshot (its upload archives are the original's, hard-linked or
    /// copied).
    pub snapshot: StoredSnapshot,
    /// Tables the original snapshot did not hold; left out of the carried-forward one.
    pub missing: Vec<String>,
    _folder: Arc<tempfile::TempDir>,
}

/// Steps 1–4 of the module documentation: returns the carried-forward snapshot. The target is
/// only read.
///
/// `store` is the snapshot store (the hidden folder goes there); `migrations_dir` is read for
/// the scratch database's sidecar. Errors: [`RestoreError::ReplayFailed`] naming the migration
/// that failed on the snapshot's data and PostgreSQL's message, [`RestoreError::Corrupt`] before
/// anything is created, [`RestoreError::Database`] when
/// the scratch database cannot be created, the restore engine's and snapshot errors. The scratch
/// database is gone afterwards in every case.
pub async fn replay(
    target: &DatabaseUrl,
    original: &StoredSnapshot,
    plan: &ReplayPlan,
    store: &Utf8Path,
    migrations_dir: &Utf8Path,
) -> Result<Replayed, RestoreError> {
    verified(original).await?;
    let scratch = ScratchDatabase::create(target).await?;
    let result = replay_into(&scratch, original, plan, store, migrations_dir).await;
    let removed = scratch.remove().await;
    let replayed = result?;
    removed?;
    Ok(replayed)
}

async fn replay_into(
    scratch: &ScratchDatabase,
    original: &StoredSnapshot,
    plan: &ReplayPlan,
    store: &Utf8Path,
    migrations_dir: &Utf8Path,
) -> Result<Replayed, RestoreError> {
    let url = scratch.url();
    let schema = url.schema();
    let mut conn = url.connect().await?;
    let rebuilt = rebuild(&mut conn, schema, original, &plan.at_snapshot).await?;
    let all: Vec<LocalMigration> = plan
        .at_snapshot
        .iter()
        .chain(&plan.since)
        .cloned()
        .collect();
    migrations::deploy(&mut conn, schema, &all, DeployOptions::default())
        .await
        .map_err(replay_error)?;
    let status = migrations::status(&mut conn, migrations_dir, schema).await?;
    drop(conn);

    std::fs::create_dir_all(store).map_err(IoError::at("creating", store))?;
    let folder = tempfile::Builder::new()
        .prefix(".replay-")
        .tempdir_in(store)
        .map_err(IoError::at("creating a folder in", store))?;
    let folder_path =
        Utf8PathBuf::try_from(folder.path().to_path_buf()).expect("inside a UTF-8 store path");
    let mut options = SnapshotOptions::new("replay", &folder_path);
    options.exclude = rebuilt.missing.clone();
    options.exclude.push(migrations::table::TABLE_NAME.into());
    options.command = format!("replay of {}", original.manifest.id);
    let mut manifest =
        crate::snapshot::take(url, &folder_path, &status, &options, &NoProgress).await?;
    let path = folder_path.join(&manifest.id);
    for archive in &original.manifest.files {
        let (from, to) = (original.path.join(&archive.file), path.join(&archive.file));
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(IoError::at("creating", parent))?;
        }
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(IoError::at("copying", &from))?;
        }
    }
    manifest.files = original.manifest.files.clone();
    Ok(Replayed {
        snapshot: StoredSnapshot {
            path,
            manifest,
            sidecar: None,
        },
        missing: rebuilt.missing,
        _folder: Arc::new(folder),
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::migrations::checksum;
    use crate::snapshot::sidecar::MigrationRecord;

    fn migration(name: &str, sql: &str) -> LocalMigration {
        LocalMigration {
            name: name.into(),
            script_path: Utf8PathBuf::from(format!("{name}/migration.sql")),
            script: sql.as_bytes().to_vec(),
            checksum: checksum::compute(sql.as_bytes()),
        }
    }

    fn record(m: &LocalMigration) -> MigrationRecord {
        MigrationRecord {
            name: m.name.clone(),
            checksum: Some(m.checksum.clone()),
            local_checksum: Some(m.checksum.clone()),
            finished_at: Some(Utc::now()),
        }
    }

    fn sidecar(applied: &[&LocalMigration]) -> MigrationInfo {
        MigrationInfo {
            snapshot_id: "s".into(),
            reason: "manual".into(),
            taken_at: Utc::now(),
            command: String::new(),
            migrations_table: true,
            applied: applied.iter().map(|m| record(m)).collect(),
            pending: Vec::new(),
            failed: Vec::new(),
            edited: Vec::new(),
            rolled_back: Vec::new(),
            missing_locally: Vec::new(),
            git: None,
        }
    }

    fn row(m: &LocalMigration, finished: bool) -> MigrationRow {
        MigrationRow {
            id: uuid::Uuid::new_v4().to_string(),
            checksum: m.checksum.clone(),
            finished_at: finished.then(Utc::now),
            migration_name: m.name.clone(),
            logs: None,
            rolled_back_at: None,
            started_at: Utc::now(),
            applied_steps_count: i32::from(finished),
        }
    }

    fn folder() -> Vec<LocalMigration> {
        vec![
            migration("1_init", "CREATE TABLE a (id int);"),
            migration("2_rename", "ALTER TABLE a RENAME id TO key;"),
            migration("3_backfill", "UPDATE a SET key = key + 1;"),
        ]
    }

    #[test]
    fn replays_what_the_target_gained_since_in_its_order() {
        let local = folder();
        let sidecar = sidecar(&[&local[0]]);
        let rows = [
            row(&local[0], true),
            row(&local[2], true),
            row(&local[1], true),
        ];
        let plan = check(Some(&sidecar), &local, Some(&rows)).unwrap();
        let names = |ms: &[LocalMigration]| ms.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&plan.at_snapshot), ["1_init"]);
        assert_eq!(names(&plan.since), ["3_backfill", "2_rename"]);
    }

    #[test]
    fn a_file_changed_since_the_snapshot_is_named() {
        let mut local = folder();
        let sidecar = sidecar(&[&local[0], &local[1]]);
        let rows = [row(&local[0], true), row(&local[1], true)];
        local[1] = migration("2_rename", "ALTER TABLE a RENAME id TO other;");
        let reason = check(Some(&sidecar), &local, Some(&rows)).unwrap_err();
        assert!(
            reason.contains("2_rename") && reason.contains("changed since the snapshot"),
            "{reason}"
        );
        // Line endings alone do not count, as in Prisma's checksum.
        let mut crlf = folder();
        crlf[1] = migration("2_rename", "ALTER TABLE a RENAME id TO key;\r\n");
        let lf = migration("2_rename", "ALTER TABLE a RENAME id TO key;\n");
        let sidecar = self::sidecar(&[&crlf[0], &lf]);
        let rows = [row(&crlf[0], true), row(&lf, true)];
        check(Some(&sidecar), &crlf, Some(&rows)).unwrap();
    }

    #[test]
    fn the_target_must_extend_the_snapshot_history() {
        let local = folder();
        let sidecar = sidecar(&[&local[0], &local[1]]);
        let reason = check(Some(&sidecar), &local, Some(&[row(&local[0], true)])).unwrap_err();
        assert!(
            reason.contains("does not extend") && reason.contains("2_rename"),
            "{reason}"
        );
        let reason = check(Some(&sidecar), &local, None).unwrap_err();
        assert!(reason.contains("no _prisma_migrations"), "{reason}");
        let rows = [
            row(&local[0], true),
            row(&local[1], true),
            row(&local[2], false),
        ];
        let reason = check(Some(&sidecar), &local, Some(&rows)).unwrap_err();
        assert!(reason.contains("3_backfill is failed"), "{reason}");
    }

    #[test]
    fn without_a_sidecar_or_a_local_file_there_is_no_replay() {
        let local = folder();
        let reason = check(None, &local, Some(&[])).unwrap_err();
        assert!(reason.contains("sidecar"), "{reason}");
        let sidecar = sidecar(&[&local[0]]);
        let extra = migration("4_gone", "SELECT 1;");
        let rows = [row(&local[0], true), row(&extra, true)];
        let reason = check(Some(&sidecar), &local, Some(&rows)).unwrap_err();
        assert!(reason.contains("4_gone") && reason.contains("not in the migrations folder"));
        let reason = check(Some(&sidecar), &local[1..], Some(&rows)).unwrap_err();
        assert!(reason.contains("1_init is no longer"), "{reason}");
    }
}
