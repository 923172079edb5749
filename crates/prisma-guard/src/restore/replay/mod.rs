//! The `replay` strategy: carry a snapshot's data forward through the migrations themselves.
//!
//! Matching columns by name cannot follow a renamed column, a type change with `USING`, a split
//! table or a backfill; the migrations' own SQL can. So, in a scratch database next to the target:
//! 1. apply, with the built-in deploy, exactly the migrations the snapshot's sidecar lists as
//!    applied — from the local files, each only if it still matches the recorded checksum;
//! 2. load the snapshot: the schema is now the snapshot's, so every table has the same columns;
//!    the restore engine makes each equal to the snapshot (`replace`: the rows those migrations
//!    inserted become the snapshot's, or go when the snapshot lacks their key), copying
//!    straight into the tables they left empty ([`rebuild`]);
//! 3. apply the migrations the target has applied since, in the target's order;
//! 4. snapshot the scratch database into a hidden folder of the store and drop the scratch
//!    database; the restore then runs from that snapshot with the unchanged engine.
//!
//! [`check`] decides whether replay is possible (pure); [`replay`] does steps 1–4;
//! [`ScratchDatabase`] is dropped at the end, on failure, and when the future is dropped (Ctrl-C).
//! The same [`rebuild`] serves `rollback` (see [`super::rollback`]).
//!
//! Here [`replay`] (steps 1–4) and the strategy types; [`check`] is in `history`,
//! [`ScratchDatabase`] in `scratch`, [`rebuild`] in `rebuild`.

mod history;
mod rebuild;
mod scratch;

use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

pub use history::{ReplayPlan, at_snapshot, check};
pub use rebuild::{Rebuilt, rebuild, verified};
pub use scratch::{
    LEGACY_SCRATCH_PREFIX, SCRATCH_PREFIX, ScratchDatabase, can_create_databases,
    remove_leftover_databases,
};

use super::RestoreError;
use crate::database::DatabaseUrl;
use crate::error::IoError;
use crate::migrations::{self, DeployError, DeployOptions, LocalMigration};
use crate::snapshot::{NoProgress, SnapshotOptions, StoredSnapshot};

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
/// the scratch database's sidecar; `statements` is how each migration file runs. Errors:
/// [`RestoreError::ReplayFailed`] naming the migration
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
    statements: migrations::Statements,
) -> Result<Replayed, RestoreError> {
    verified(original).await?;
    let scratch = ScratchDatabase::create(target).await?;
    let deploy = DeployOptions {
        statements,
        ..DeployOptions::default()
    };
    let result = replay_into(&scratch, original, plan, store, migrations_dir, deploy).await;
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
    deploy: DeployOptions,
) -> Result<Replayed, RestoreError> {
    let url = scratch.url();
    let schema = url.schema();
    let mut conn = url.connect().await?;
    let rebuilt = rebuild(&mut conn, schema, original, &plan.at_snapshot, deploy).await?;
    let all: Vec<LocalMigration> = plan
        .at_snapshot
        .iter()
        .chain(&plan.since)
        .cloned()
        .collect();
    migrations::deploy(&mut conn, schema, &all, deploy)
        .await
        .map_err(replay_error)?;
    let status = migrations::status(&mut conn, migrations_dir, schema).await?;
    drop(conn);

    std::fs::create_dir_all(store).map_err(IoError::at("creating", store))?;
    // `.replay-<pid>-<start>-<random>`: a later run removes it if this process dies first.
    let prefix = format!(
        "{}{}-",
        crate::snapshot::store::REPLAY_PREFIX,
        crate::owner::Owner::current().tag()
    );
    let folder = tempfile::Builder::new()
        .prefix(&prefix)
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
    let archives = original.manifest.files.iter().map(|a| &a.file);
    for file in archives.chain(original.manifest.buckets.iter().map(|b| &b.file)) {
        let (from, to) = (original.path.join(file), path.join(file));
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(IoError::at("creating", parent))?;
        }
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(IoError::at("copying", &from))?;
        }
    }
    manifest.files = original.manifest.files.clone();
    manifest.buckets = original.manifest.buckets.clone();
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
