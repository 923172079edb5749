//! Restores: groups, a pure planner and an executor.
//!
//! [`prepare`] reads the target's catalog, resolves the groups and builds the
//! [`plan::RestorePlan`]; the binary shows it and asks for confirmation; [`run`] takes the
//! safety snapshot and executes the plan in one transaction. Nothing here prints or prompts.

pub mod execute;
pub mod groups;
pub mod plan;
pub mod replay;
pub mod rollback;

use camino::Utf8PathBuf;

pub use execute::{FileResult, RestoreReport, TableResult};
pub use groups::{Group, GroupSource, GroupTable};
pub use plan::{Mode, RestorePlan, Selection};
pub use replay::{Strategy, StrategyChoice};

use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::snapshot::{Manifest, NoProgress, SnapshotOptions, StoredSnapshot};

/// Errors while planning or running a restore.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] crate::database::DatabaseError),
    /// Reading or taking a snapshot failed (the safety snapshot, for one).
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    /// Reading the migration status for the safety snapshot failed.
    #[error(transparent)]
    Status(#[from] crate::migrations::StatusError),
    /// A query outside any one table failed.
    #[error(transparent)]
    Database(#[from] crate::error::QueryError),
    /// The target is not this machine and `--allow-remote` was not given.
    #[error("refusing to restore into {url}: the host is not local")]
    Remote {
        /// The redacted URL.
        url: String,
    },
    /// `--only`/`--skip` named a group that does not exist.
    #[error("no group {name} (groups: {known})")]
    UnknownGroup {
        /// The name given.
        name: String,
        /// The groups there are.
        known: String,
    },
    /// `--tables`/`--exclude` named a table in neither the snapshot nor the live schema.
    #[error("no table {name} in the snapshot or the live schema")]
    UnknownTable {
        /// The name given.
        name: String,
    },
    /// Selected tables have live NOT NULL columns without default that the snapshot lacks.
    #[error("cannot restore {tables}: the live schema requires columns the snapshot does not have")]
    Unrestorable {
        /// `Table (col, col)`, comma-separated.
        tables: String,
        /// The table names, for the hint.
        names: String,
    },
    /// A foreign-key cycle with no nullable edge to defer.
    #[error("the foreign keys of {tables} form a cycle with no nullable column to break it")]
    Cycle {
        /// The tables on the cycle.
        tables: String,
    },
    /// A data file or archive does not match the manifest.
    #[error("{file} does not match the manifest: {problem}")]
    Corrupt {
        /// The file.
        file: Utf8PathBuf,
        /// What differs.
        problem: String,
    },
    /// An archive entry would land outside its folders.
    #[error("{archive} holds {entry}, which lies outside the folders it was taken from")]
    UnsafeEntry {
        /// The archive.
        archive: Utf8PathBuf,
        /// The entry's path.
        entry: String,
    },
    /// `replace` would delete rows a table outside the selection references.
    #[error(
        "table {table} references {rows} row(s) of {referenced} (foreign key {foreign_key}); --mode replace would delete them"
    )]
    OutsideReference {
        /// The referencing table, outside the selection.
        table: String,
        /// Its foreign key.
        foreign_key: String,
        /// The selected table.
        referenced: String,
        /// Referencing rows.
        rows: u64,
    },
    /// A snapshot value cannot be cast to the live column's type.
    #[error(
        "table {table}, column {column}: a snapshot value does not fit the live type {data_type}: {message}"
    )]
    Cast {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The live type.
        data_type: String,
        /// PostgreSQL's message, which quotes the value.
        message: String,
    },
    /// Any other failure while restoring a table.
    #[error("table {table}: {action}")]
    Table {
        /// The table.
        table: String,
        /// What was being done.
        action: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// `--strategy replay` was asked for and replay is not possible.
    #[error("cannot replay the migrations: {reason}")]
    ReplayImpossible {
        /// Why, in words.
        reason: String,
    },
    /// A migration failed while being replayed in the scratch database.
    #[error("migration {migration} failed while being replayed on the snapshot's data: {message}")]
    ReplayFailed {
        /// The migration.
        migration: String,
        /// PostgreSQL's error.
        message: String,
    },
    /// The built-in deploy failed outside a migration's SQL (bookkeeping).
    #[error(transparent)]
    Deploy(crate::migrations::DeployError),
    /// `rollback` cannot rebuild the snapshot's schema.
    #[error("cannot roll back to this snapshot: {reason}")]
    RollbackImpossible {
        /// Why, in words.
        reason: String,
    },
    /// A rollback needs a snapshot of every table; this one was taken with `--tables`/`--exclude`.
    #[error("the snapshot does not hold the tables {tables}, so it cannot put the database back")]
    Incomplete {
        /// The tables missing, comma-separated.
        tables: String,
    },
    /// A file could not be written.
    #[error(transparent)]
    Io(#[from] crate::error::IoError),
}

impl crate::error::Hint for RestoreError {
    fn hint(&self) -> Option<String> {
        const UNCHANGED: &str = "nothing was changed";
        Some(match self {
            RestoreError::Connect(e) => return e.hint(),
            RestoreError::Snapshot(e) => return e.hint(),
            RestoreError::Status(e) => return e.hint(),
            RestoreError::Remote { .. } => {
                "restores are for development databases; pass --allow-remote if this one is".into()
            }
            RestoreError::UnknownGroup { .. } => {
                "`cargo xtask status` lists the groups; define more under [workspace.metadata.prisma-guard.groups]".into()
            }
            RestoreError::UnknownTable { .. } => {
                "`cargo xtask snapshots show` lists the snapshot's tables; names are case-sensitive".into()
            }
            RestoreError::Unrestorable { names, .. } => {
                format!("leave them out with --exclude {names}; {UNCHANGED}")
            }
            RestoreError::Cycle { .. } => {
                format!("leave one of these tables out with --exclude; {UNCHANGED}")
            }
            RestoreError::Corrupt { .. } | RestoreError::UnsafeEntry { .. } => format!(
                "{UNCHANGED}; this snapshot cannot be trusted (`cargo xtask snapshots verify --all`), restore an older one"
            ),
            RestoreError::OutsideReference { table, .. } => format!(
                "{UNCHANGED}; add {table} to the selection, use --mode merge or upsert, or delete those rows first"
            ),
            RestoreError::Cast { .. } => format!(
                "{UNCHANGED}; the column's type changed since the snapshot: exclude the table with --exclude, or fix the value in a copy of the snapshot"
            ),
            RestoreError::Database(_) | RestoreError::Table { .. } => {
                format!("{UNCHANGED} (the restore runs in one transaction)")
            }
            RestoreError::ReplayImpossible { .. } => format!(
                "{UNCHANGED}; --strategy map restores by matching column names instead"
            ),
            RestoreError::ReplayFailed { .. } => format!(
                "{UNCHANGED} (the replay ran in a scratch database, now dropped); fix the migration or restore with --strategy map"
            ),
            RestoreError::Deploy(e) => return e.hint(),
            RestoreError::RollbackImpossible { .. } => format!(
                "{UNCHANGED}; `cargo xtask restore` can still bring the data back by matching column names"
            ),
            RestoreError::Incomplete { .. } => format!(
                "{UNCHANGED}; roll back to a snapshot of the whole database (`cargo xtask snapshots` lists them), or restore this one with `cargo xtask restore`"
            ),
            RestoreError::Io(_) => {
                "the database restore was committed; some upload files may be missing: fix the cause and run the same restore again (merge keeps what is there)".into()
            }
        })
    }
}

/// Refuses a target that is not this machine unless `allow_remote`.
///
/// Local means `localhost`, 127.0.0.0/8, `::1` or a Unix socket ([`DatabaseUrl::is_local`]).
/// Errors with [`RestoreError::Remote`].
pub fn check_target(url: &DatabaseUrl, allow_remote: bool) -> Result<(), RestoreError> {
    if allow_remote || url.is_local() {
        Ok(())
    } else {
        Err(RestoreError::Remote {
            url: url.redacted(),
        })
    }
}

/// The reason safety snapshots are taken with.
pub const SAFETY_REASON: &str = "pre-restore";

/// The snapshot a restore or rollback uses when none is named: the newest that is not a safety
/// snapshot (reason `pre-restore` or `pre-rollback`, taken of the state a restore or rollback
/// replaced), else the newest.
///
/// Errors: [`crate::snapshot::SnapshotError::Empty`] when the store has none,
/// [`crate::snapshot::SnapshotError::Io`] when it cannot be read.
pub fn default_snapshot(
    store: &camino::Utf8Path,
) -> Result<StoredSnapshot, crate::snapshot::SnapshotError> {
    let mut all = crate::snapshot::list(store)?;
    match all.iter().rposition(|s| {
        ![SAFETY_REASON, rollback::SAFETY_REASON].contains(&s.manifest.reason.as_str())
    }) {
        Some(newest) => Ok(all.swap_remove(newest)),
        None => crate::snapshot::latest(store),
    }
}

/// A plan and what it was made from, ready to show and run.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The snapshot named.
    pub snapshot: StoredSnapshot,
    /// The strategy used and why.
    pub strategy: StrategyChoice,
    /// With the replay strategy: the snapshot carried forward through the migrations, which the
    /// plan restores from.
    pub replayed: Option<replay::Replayed>,
    /// The groups as resolved against the live catalog.
    pub groups: Vec<Group>,
    /// The plan.
    pub plan: RestorePlan,
    /// Migrations applied in the target that the snapshot's sidecar did not list as applied,
    /// in order of application.
    pub applied_since: Vec<String>,
}

impl Prepared {
    /// The snapshot the plan restores from: the replayed one, else the one named.
    pub fn source(&self) -> &StoredSnapshot {
        self.replayed
            .as_ref()
            .map_or(&self.snapshot, |r| &r.snapshot)
    }
}

/// Where [`prepare`] finds what a replay needs.
#[derive(Debug, Clone)]
pub struct PrepareOptions {
    /// `--strategy`.
    pub strategy: Strategy,
    /// The migrations folder (`prisma/migrations`).
    pub migrations_dir: Utf8PathBuf,
    /// The snapshot store: a replay writes its carried-forward snapshot in a hidden folder there.
    pub store: Utf8PathBuf,
}

/// Reads the live catalog of `url`, resolves the groups from `config`, chooses the strategy
/// (running the replay in a scratch database when it is used), and plans the restore.
///
/// Only reads the target. Errors: [`RestoreError::Connect`], [`RestoreError::Database`] for the
/// catalog, the planner's errors (see [`plan::plan`]), checked before any replay;
/// [`RestoreError::ReplayImpossible`] when `replay` was asked for and is not possible;
/// [`RestoreError::ReplayFailed`] when a migration fails on the snapshot's data.
pub async fn prepare(
    url: &DatabaseUrl,
    config: &crate::config::Config,
    snapshot: StoredSnapshot,
    selection: &Selection,
    mode: Mode,
    options: &PrepareOptions,
) -> Result<Prepared, RestoreError> {
    let mut conn = url.connect().await?;
    let live = crate::catalog::tables(&mut conn, url.schema())
        .await
        .map_err(QueryError::at("reading the catalog"))?;
    let enums = crate::catalog::enums(&mut conn, url.schema())
        .await
        .map_err(QueryError::at("reading the enum types"))?;
    let groups = groups::resolve(config, &live, &enums);
    // Planned once on the snapshot as it is: a bad selection fails before any replay.
    let mut plan = plan::plan(&snapshot.manifest, &live, &groups, selection, mode)?;
    let rows = crate::migrations::table::read_table(&mut conn, url.schema())
        .await
        .ok()
        .flatten();
    let before: Vec<&str> = snapshot
        .sidecar
        .as_ref()
        .map(|s| s.applied.iter().map(|m| m.name.as_str()).collect())
        .unwrap_or_default();
    let applied_since: Vec<String> =
        crate::migrations::table::applied(rows.as_deref().unwrap_or_default())
            .into_iter()
            .filter(|row| !before.contains(&row.migration_name.as_str()))
            .map(|row| row.migration_name.clone())
            .collect();
    let (strategy, replayed) = choose(url, &mut conn, &snapshot, rows.as_deref(), options).await?;
    if let Some(replayed) = &replayed {
        plan = plan::plan(&replayed.snapshot.manifest, &live, &groups, selection, mode)?;
    }
    Ok(Prepared {
        snapshot,
        strategy,
        replayed,
        groups,
        plan,
        applied_since,
    })
}

/// Chooses the strategy (see [`Strategy`]) and, for replay, runs it.
async fn choose(
    url: &DatabaseUrl,
    conn: &mut sqlx::PgConnection,
    snapshot: &StoredSnapshot,
    rows: Option<&[crate::migrations::MigrationRow]>,
    options: &PrepareOptions,
) -> Result<(StrategyChoice, Option<replay::Replayed>), RestoreError> {
    let map = |reason: &str| StrategyChoice {
        requested: options.strategy,
        used: Strategy::Map,
        reason: reason.to_string(),
        replayed: Vec::new(),
    };
    if options.strategy == Strategy::Map {
        return Ok((map("asked for with --strategy map"), None));
    }
    let possible = match crate::migrations::read_folder(&options.migrations_dir) {
        Err(e) => Err(format!("the migrations folder cannot be read ({e})")),
        Ok(local) => replay::check(snapshot.sidecar.as_ref(), &local, rows),
    };
    let possible = match possible {
        Ok(plan) => match replay::can_create_databases(conn).await {
            Ok(true) => Ok(plan),
            Ok(false) => {
                Err("the role may not create the scratch database (it needs CREATEDB)".into())
            }
            Err(e) => Err(format!("the role's privileges cannot be read ({e})")),
        },
        Err(reason) => Err(reason),
    };
    let plan = match (options.strategy, possible) {
        (Strategy::Auto, Err(reason)) => return Ok((map(&reason), None)),
        (_, Err(reason)) => return Err(RestoreError::ReplayImpossible { reason }),
        (Strategy::Auto, Ok(plan)) if plan.since.is_empty() => {
            return Ok((
                map(
                    "no migration was applied since the snapshot, so its columns are the live schema's",
                ),
                None,
            ));
        }
        (_, Ok(plan)) => plan,
    };
    let replayed = replay::replay(
        url,
        snapshot,
        &plan,
        &options.store,
        &options.migrations_dir,
    )
    .await?;
    let mut reason = format!(
        "the snapshot's {} migrations match the local files; the {} applied since are replayed on its data in a scratch database",
        plan.at_snapshot.len(),
        plan.since.len(),
    );
    if !replayed.missing.is_empty() {
        reason.push_str(&format!(
            " (tables not in the snapshot are left out: {})",
            replayed.missing.join(", ")
        ));
    }
    Ok((
        StrategyChoice {
            requested: options.strategy,
            used: Strategy::Replay,
            reason,
            replayed: plan.since.iter().map(|m| m.name.clone()).collect(),
        },
        Some(replayed),
    ))
}

/// How to run a prepared restore.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Roll everything back and move no sequence; take no safety snapshot.
    pub dry_run: bool,
    /// Take a safety snapshot (reason `pre-restore`) of the touched tables first.
    pub safety_snapshot: bool,
    /// The project root (upload folders are relative to it).
    pub project_root: Utf8PathBuf,
    /// The snapshot store, for the safety snapshot.
    pub store: Utf8PathBuf,
    /// The migrations folder, for the safety snapshot's sidecar.
    pub migrations_dir: Utf8PathBuf,
    /// The command line, for the safety snapshot's sidecar.
    pub command: String,
}

/// Runs a prepared restore: refuses an unrestorable plan, checks every file against the
/// manifest, takes the safety snapshot (unless a dry run or disabled), then executes in one
/// transaction. A corrupt snapshot is refused before anything is written, safety snapshot
/// included.
///
/// Returns the report and the safety snapshot's manifest. Errors: [`RestoreError::Unrestorable`]
/// before anything is done, the safety snapshot's errors (nothing is restored then), and the
/// executor's (see [`execute::execute`]).
pub async fn run(
    url: &DatabaseUrl,
    prepared: &Prepared,
    options: &RunOptions,
) -> Result<(RestoreReport, Option<Manifest>), RestoreError> {
    refuse_unrestorable(&prepared.plan)?;
    let started = std::time::Instant::now();
    let source = prepared.source();
    execute::check_files_async(&source.path, &prepared.plan).await?;
    let safety = if options.safety_snapshot && !options.dry_run && !prepared.plan.tables.is_empty()
    {
        Some(safety_snapshot(url, prepared, options).await?)
    } else {
        None
    };
    let mut conn = url.connect().await?;
    let report = execute::execute_checked(
        &mut conn,
        &source.path,
        &prepared.plan,
        &options.project_root,
        options.dry_run,
        started,
    )
    .await?;
    Ok((report, safety))
}

/// Errors with [`RestoreError::Unrestorable`] when the plan lists unrestorable tables.
pub fn refuse_unrestorable(plan: &RestorePlan) -> Result<(), RestoreError> {
    if plan.unrestorable.is_empty() {
        return Ok(());
    }
    Err(RestoreError::Unrestorable {
        tables: plan
            .unrestorable
            .iter()
            .map(|u| {
                format!(
                    "{} (new NOT NULL column without default: {})",
                    u.table,
                    u.columns.join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        names: plan
            .unrestorable
            .iter()
            .map(|u| u.table.as_str())
            .collect::<Vec<_>>()
            .join(","),
    })
}

async fn safety_snapshot(
    url: &DatabaseUrl,
    prepared: &Prepared,
    options: &RunOptions,
) -> Result<Manifest, RestoreError> {
    let status = {
        let mut conn = url.connect().await?;
        crate::migrations::status(&mut conn, &options.migrations_dir, url.schema()).await?
    };
    let mut snapshot = SnapshotOptions::new(SAFETY_REASON, &options.project_root);
    snapshot.tables = prepared
        .plan
        .tables
        .iter()
        .map(|t| t.name.clone())
        .collect();
    snapshot.command = options.command.clone();
    snapshot.git = crate::snapshot::sidecar::git_info(&options.project_root);
    if prepared.plan.mode != Mode::Merge {
        // Files are overwritten only outside merge: keep the current ones first.
        snapshot.files = prepared
            .plan
            .files
            .iter()
            .map(|f| (f.group.clone(), f.folders.clone()))
            .collect();
    }
    Ok(crate::snapshot::take(url, &options.store, &status, &snapshot, &NoProgress).await?)
}
