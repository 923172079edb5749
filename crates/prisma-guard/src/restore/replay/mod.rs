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
//! 4. describe the scratch database's tables in a manifest (columns, keys, exact row counts)
//!    and register the scratch database as where they are read from: the restore then streams
//!    each table straight from it (`COPY … TO STDOUT` → `COPY … FROM STDIN`, the same CSV a
//!    snapshot holds, row counts checked) with the unchanged engine, and the scratch database
//!    is dropped when the carried-forward snapshot is.
//!
//! [`check`] decides whether replay is possible (pure); [`replay`] does steps 1–4;
//! [`ScratchDatabase`] is dropped at the end, on failure, and when the future is dropped (Ctrl-C):
//! by [`replay`] on its errors, else with the last clone of its [`Replayed`].
//! The same [`rebuild`] serves `rollback` (see [`super::rollback`]).
//!
//! Here [`replay`] (steps 1–4) and the strategy types; [`check`] is in `history`,
//! [`ScratchDatabase`] in `scratch`, [`rebuild`] in `rebuild`, step 4's manifest in `stream`.

mod history;
mod rebuild;
mod scratch;
mod stream;

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
use crate::restore::execute::StreamRegistration;
use crate::snapshot::{Manifest, StoredSnapshot};

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

/// A snapshot carried forward by a replay, its tables streamed from the scratch database the
/// replay migrated (see [`crate::restore::execute::StreamRegistration`]); the scratch database
/// and the hidden folder of the store (which holds only the upload archives, hard-linked or
/// copied) are removed when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The carried-forward snapshot: its manifest describes the scratch database's tables, which
    /// the restore reads from there; its upload archives are the original's.
    pub snapshot: StoredSnapshot,
    /// Tables the original snapshot did not hold; left out of the carried-forward one.
    pub missing: Vec<String>,
    _streamed: Arc<stream::Streamed>,
}

/// Steps 1–4 of the module documentation: returns the carried-forward snapshot, whose tables
/// are read from the scratch database while it lives. The target is only read.
///
/// `store` is the snapshot store (the hidden folder goes there); `statements` is how each
/// migration file runs. Errors: [`RestoreError::ReplayFailed`] naming the migration that failed
/// on the snapshot's data and PostgreSQL's message, [`RestoreError::Corrupt`] before anything is
/// created, [`RestoreError::Database`] when the scratch database cannot be created, the restore
/// engine's errors. On an error the scratch database is gone when this returns; otherwise it
/// goes with the last clone of the [`Replayed`].
pub async fn replay(
    target: &DatabaseUrl,
    original: &StoredSnapshot,
    plan: &ReplayPlan,
    store: &Utf8Path,
    statements: migrations::Statements,
) -> Result<Replayed, RestoreError> {
    verified(original).await?;
    let scratch = ScratchDatabase::create(target).await?;
    let deploy = DeployOptions {
        statements,
        ..DeployOptions::default()
    };
    let migrated = replay_into(&scratch, original, plan, deploy).await;
    let (manifest, missing) = match migrated {
        Ok(migrated) => migrated,
        Err(error) => {
            // The replay's error matters more than one dropping the database.
            let _ = scratch.remove().await;
            return Err(error);
        }
    };
    let folder = match hidden_folder(store, original, &manifest.id) {
        Ok(folder) => folder,
        Err(error) => {
            let _ = scratch.remove().await;
            return Err(error);
        }
    };
    let path =
        Utf8PathBuf::try_from(folder.path().join(&manifest.id)).expect("inside a UTF-8 store path");
    let registration = StreamRegistration::new(&path, scratch.url().clone());
    Ok(Replayed {
        snapshot: StoredSnapshot {
            path,
            manifest,
            sidecar: None,
        },
        missing,
        _streamed: Arc::new(stream::Streamed {
            _registration: registration,
            _scratch: scratch,
            _folder: folder,
        }),
    })
}

/// Steps 1–3 in the scratch database, then its manifest and the tables left out.
async fn replay_into(
    scratch: &ScratchDatabase,
    original: &StoredSnapshot,
    plan: &ReplayPlan,
    deploy: DeployOptions,
) -> Result<(Manifest, Vec<String>), RestoreError> {
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
    let manifest = stream::manifest(&mut conn, url, &original.manifest, &rebuilt.missing).await?;
    Ok((manifest, rebuilt.missing))
}

/// The hidden folder of the store, `.replay-<pid>-<start>-<random>/<id>/`, holding the original's
/// upload archives (hard-linked, else copied): a later run removes it if this process dies
/// first.
fn hidden_folder(
    store: &Utf8Path,
    original: &StoredSnapshot,
    id: &str,
) -> Result<tempfile::TempDir, RestoreError> {
    std::fs::create_dir_all(store).map_err(IoError::at("creating", store))?;
    let prefix = format!(
        "{}{}-",
        crate::snapshot::store::REPLAY_PREFIX,
        crate::owner::Owner::current().tag()
    );
    let folder = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(store)
        .map_err(IoError::at("creating a folder in", store))?;
    let path = Utf8PathBuf::try_from(folder.path().join(id)).expect("inside a UTF-8 store path");
    std::fs::create_dir_all(&path).map_err(IoError::at("creating", &path))?;
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
    Ok(folder)
}
