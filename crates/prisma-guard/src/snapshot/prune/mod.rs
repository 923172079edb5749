//! Retention: which snapshots to keep and which to remove, and removing them safely.
//!
//! The policy follows restic's `forget` (and borg's `prune`): snapshots are sorted newest
//! first; `keep_last` keeps the N newest; `keep_daily` keeps the newest snapshot of each of the
//! D most recent UTC days that have snapshots; `keep_weekly` the same by ISO 8601 week;
//! `keep_monthly` by calendar month (UTC). A snapshot kept by several rules lists every
//! reason. On top of the rules, the newest snapshot and any snapshot taken with
//! `snapshot --keep` are always kept. Safety snapshots (reason `pre-restore`) follow the same
//! rules as any other.
//!
//! [`plan`](fn@plan) is pure; [`apply`](fn@apply) deletes. Only complete snapshots of ours (what
//! [`super::list`] returns) are ever candidates: hidden `.tmp-*` folders being written and
//! foreign folders in the store are never touched. Hidden folders interrupted runs left behind
//! are [`super::store::remove_leftovers`]'s, which the `prune` command calls first; it removes
//! only those whose owner has ended.

mod apply;
mod plan;
#[cfg(test)]
mod tests;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

pub use apply::{Removed, apply};
pub use plan::{Candidate, Decision, Policy, SAFETY_MAX_AGE_DAYS, SAFETY_REASONS, plan};

use super::SnapshotError;

/// Errors while pruning. Nothing is removed when the checks before removal fail.
#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    /// Listing or reading the store failed.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// A decision names something that is not a complete snapshot of ours in the store.
    #[error("refusing to remove {id}: it is not a complete snapshot in {store}")]
    NotASnapshot {
        /// The id in the decision.
        id: String,
        /// The backups folder.
        store: Utf8PathBuf,
    },
    /// A decision would remove the newest snapshot or one tagged with `snapshot --keep`.
    #[error("refusing to remove {id}: it is {why}")]
    Protected {
        /// The snapshot id.
        id: String,
        /// `the newest snapshot` or `tagged --keep`.
        why: &'static str,
    },
    /// Removing a folder failed part way; it was already hidden, so it is no longer listed.
    // Not transparent: the IoError stays in the chain, so its hint is found.
    #[error("{0}")]
    Remove(#[from] crate::error::IoError),
}

impl crate::error::Hint for PruneError {
    fn hint(&self) -> Option<String> {
        match self {
            PruneError::Snapshot(e) => e.hint(),
            PruneError::NotASnapshot { .. } | PruneError::Protected { .. } => Some(
                "nothing was removed; run `prisma-guard prune --dry-run` to see the current plan"
                    .into(),
            ),
            PruneError::Remove(_) => Some(
                "the snapshot is no longer listed; delete the hidden folder by hand once the cause is fixed"
                    .into(),
            ),
        }
    }
}

/// What [`prune`] decided and did.
#[derive(Debug, Clone, Serialize)]
pub struct PruneOutcome {
    /// The policy applied.
    pub policy: Policy,
    /// One decision per snapshot in the store, newest first.
    pub decisions: Vec<Decision>,
    /// What was removed (empty in a dry run).
    pub removed: Vec<Removed>,
    /// Nothing was removed on purpose.
    pub dry_run: bool,
}

/// Lists `store`, plans with `policy` and, unless `dry_run`, applies the plan.
///
/// Errors: as [`super::list`] and [`apply`](fn@apply).
pub fn prune(store: &Utf8Path, policy: &Policy, dry_run: bool) -> Result<PruneOutcome, PruneError> {
    // A snapshot being written is hidden until complete; the lock keeps a prune from planning
    // on a listing that a concurrent `--if-changed` run is about to compare with.
    let _lock = if dry_run || !store.is_dir() {
        None
    } else {
        Some(
            super::lock::StoreLock::acquire(store, "pruning", super::lock::WAIT)
                .map_err(SnapshotError::from)?,
        )
    };
    let candidates: Vec<Candidate> = super::list(store)?.iter().map(Candidate::from).collect();
    let decisions = plan(&candidates, policy);
    let removed = if dry_run {
        Vec::new()
    } else {
        apply(store, &decisions)?
    };
    Ok(PruneOutcome {
        policy: *policy,
        decisions,
        removed,
        dry_run,
    })
}
