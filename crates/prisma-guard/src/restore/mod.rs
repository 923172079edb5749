//! Restores: groups, a pure planner and an executor.
//!
//! [`prepare`] reads the target's catalog, resolves the groups, chooses the strategy, builds the
//! [`plan::RestorePlan`] and tests the snapshot's values against it ([`preflight`]), so the plan
//! names every table that cannot be restored; the binary shows it and asks for confirmation;
//! [`run`] takes the safety snapshot and executes the plan in one transaction. Nothing here
//! prints or prompts.

mod error;
pub mod execute;
pub mod groups;
pub mod plan;
pub mod preflight;
pub mod replay;
pub mod rollback;

use camino::Utf8PathBuf;

pub use error::RestoreError;
pub use execute::{FileResult, RestoreReport, TableResult};
pub use groups::{Group, GroupSource, GroupTable};
pub use plan::{Mode, RestorePlan, Selection};
pub use replay::{Strategy, StrategyChoice};

use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::snapshot::{Manifest, NoProgress, SnapshotOptions, StoredSnapshot};

/// Refuses a target that is not this machine unless `allow_remote`.
///
/// Local means `localhost`, 127.0.0.0/8, `::1` or a Unix socket ([`DatabaseUrl::is_local`]).
/// Errors with [`RestoreError::Remote`].
pub fn check_target(url: &DatabaseUrl, allow_remote: bool) -> Result<(), RestoreError> {
    if !allow_remote {
        crate::database::require_local(url, crate::database::LocalWrite::Restore)?;
    }
    Ok(())
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
    /// The snapshot store: a replay keeps the upload archives of its carried-forward snapshot in
    /// a hidden folder there.
    pub store: Utf8PathBuf,
    /// How a replay runs each migration file, as the app's Prisma does
    /// ([`crate::project::Project::migration_statements`]).
    pub statements: crate::migrations::Statements,
}

/// Reads the live catalog of `url`, resolves the groups from `config`, chooses the strategy
/// (running the replay in a scratch database when it is used), and plans the restore.
///
/// With `auto`, a replay whose migration fails on the snapshot's data falls back to `map`, and
/// the strategy's reason names the migration and PostgreSQL's error; an explicit `replay` stops
/// with the error. Then [`preflight::preflight`] tests the data the plan restores from, so every
/// unrestorable table is listed in [`RestorePlan::unrestorable`] (an error only when the restore
/// runs: [`refuse_unrestorable`]).
///
/// Only reads the target (the preflight stages data in a transaction it rolls back). Errors:
/// [`RestoreError::Connect`], [`RestoreError::Database`] for the catalog, the planner's errors
/// (see [`plan::plan`]) and [`RestoreError::MatchOn`] (see [`plan::natural_keys`]), checked before any replay; [`RestoreError::ReplayImpossible`] when
/// `replay` was asked for and is not possible; [`RestoreError::ReplayFailed`] when a migration
/// fails on the snapshot's data under `--strategy replay`; the preflight's errors.
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
    plan::natural_keys(&mut plan, &live, &config.match_on)?;
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
        plan::natural_keys(&mut plan, &live, &config.match_on)?;
    }
    let source = replayed.as_ref().map_or(&snapshot, |r| &r.snapshot);
    preflight::preflight(&mut conn, &source.path, &source.manifest, &live, &mut plan).await?;
    execute::survey(&mut plan).await?;
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
    let replayed = match replay::replay(url, snapshot, &plan, &options.store, options.statements)
        .await
    {
        Err(RestoreError::ReplayFailed { migration, message })
            if options.strategy == Strategy::Auto =>
        {
            let reason = format!(
                "replay failed, so columns are matched by name: migration {migration} fails on the snapshot's data ({message})"
            );
            return Ok((map(&reason), None));
        }
        replayed => replayed?,
    };
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

/// Runs a prepared restore: refuses an unrestorable plan or one with missing tables, checks
/// every file against the manifest and every archive entry against where it would land, takes the safety snapshot (unless a dry run or disabled), then executes in one
/// transaction. A corrupt snapshot is refused before anything is written, safety snapshot
/// included.
///
/// Returns the report and the safety snapshot's manifest. Errors: [`RestoreError::Unrestorable`]
/// and [`RestoreError::Missing`] before anything is done, the safety snapshot's errors (nothing is restored then), and the
/// executor's (see [`execute::execute`]).
pub async fn run(
    url: &DatabaseUrl,
    prepared: &Prepared,
    options: &RunOptions,
) -> Result<(RestoreReport, Option<Manifest>), RestoreError> {
    refuse_unrestorable(&prepared.plan)?;
    refuse_missing(&prepared.plan)?;
    let started = std::time::Instant::now();
    let source = prepared.source();
    // A streamed replay's tables have no files: their rows are counted as they load.
    let mut checked = std::borrow::Cow::Borrowed(&prepared.plan);
    if prepared.replayed.is_some() {
        checked.to_mut().tables.clear();
    }
    execute::check_files_async(&source.path, &checked, &options.project_root).await?;
    execute::check_buckets(&source.path, &prepared.plan).await?;
    let touches = !prepared.plan.tables.is_empty() || !bucket_backup(&prepared.plan).is_empty();
    let safety = if options.safety_snapshot && !options.dry_run && touches {
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
    // Objects are written after the commit, as upload files are (see README, "Images in
    // buckets"): a failure here leaves the rows restored and says how far the objects got.
    let mut report = report;
    report.buckets = execute::apply_buckets(&source.path, &prepared.plan, options.dry_run).await?;
    Ok((report, safety))
}

/// The bucket prefixes a restore overwrites or deletes objects under, per group: the safety
/// snapshot copies them first (a merge only adds keys, so it needs none).
fn bucket_backup(plan: &RestorePlan) -> std::collections::BTreeMap<String, Vec<Utf8PathBuf>> {
    let mut prefixes = std::collections::BTreeMap::<String, Vec<Utf8PathBuf>>::new();
    for bucket in &plan.buckets {
        let changes = bucket.changes.clone().unwrap_or_default();
        if changes.overwrite + changes.delete > 0 {
            let entry = prefixes.entry(bucket.group.clone()).or_default();
            entry.push(bucket.url.as_str().into());
        }
    }
    prefixes
}

/// Errors with [`RestoreError::Unrestorable`], carrying every listed table, when the plan lists
/// unrestorable tables.
pub fn refuse_unrestorable(plan: &RestorePlan) -> Result<(), RestoreError> {
    if plan.unrestorable.is_empty() {
        return Ok(());
    }
    Err(RestoreError::Unrestorable {
        tables: plan.unrestorable.clone(),
    })
}

/// Errors with [`RestoreError::Missing`] when the plan lists selected snapshot tables the live
/// schema does not have ([`RestorePlan::missing`]): their rows would not be restored, so the
/// restore goes ahead only once they are left out (`--exclude`).
pub fn refuse_missing(plan: &RestorePlan) -> Result<(), RestoreError> {
    if plan.missing.is_empty() {
        return Ok(());
    }
    let tables = plan
        .missing
        .iter()
        .map(|m| format!("{} ({} rows)", m.name, m.rows));
    let names = plan.missing.iter().map(|m| m.name.as_str());
    Err(RestoreError::Missing {
        tables: tables.collect::<Vec<_>>().join(", "),
        names: names.collect::<Vec<_>>().join(","),
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
    for (group, prefixes) in bucket_backup(&prepared.plan) {
        snapshot.files.entry(group).or_default().extend(prefixes);
    }
    Ok(crate::snapshot::take(url, &options.store, &status, &snapshot, &NoProgress).await?)
}
