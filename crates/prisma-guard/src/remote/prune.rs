//! `prune --remote`: the local retention policy applied to the remote snapshots, and the
//! objects of pushes abandoned long ago removed.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Remote, RemoteError};
use crate::snapshot::prune::{Candidate, Removed, SAFETY_REASONS, plan};
use crate::snapshot::{Policy, PruneOutcome};

/// How old the newest object of a folder without a manifest must be before `prune --remote`
/// takes it for an abandoned push and deletes it: a day, far longer than any push runs.
pub const ABANDONED_AFTER_HOURS: i64 = 24;

/// What [`prune`] decided and did.
#[derive(Debug, Clone, Serialize)]
pub struct RemotePruneOutcome {
    /// The decisions on the complete snapshots, as a local prune's.
    #[serde(flatten)]
    pub outcome: PruneOutcome,
    /// Folders of abandoned pushes (no manifest, nothing newer than
    /// [`ABANDONED_AFTER_HOURS`]): removed, or with `dry_run` to be removed.
    pub abandoned: Vec<String>,
}

/// Plans `policy` over the remote snapshots (the pure [`plan`] of a local prune) and, unless
/// `dry_run`, deletes what it does not keep — each snapshot's manifest first, so it is gone
/// from listings before its data — and the folders of abandoned pushes older than `now` −
/// [`ABANDONED_AFTER_HOURS`]. The newest snapshot and those taken with `--keep` are never
/// removed.
///
/// Errors: [`RemoteError::Request`] for a failed request (what was deleted before stays deleted,
/// and a snapshot whose manifest went is no longer listed).
pub async fn prune(
    remote: &Remote,
    policy: &Policy,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<RemotePruneOutcome, RemoteError> {
    let listed = remote.list().await?;
    let candidates: Vec<Candidate> = listed
        .iter()
        .map(|s| Candidate {
            id: s.manifest.id.clone(),
            created_at: s.manifest.created_at,
            keep: s.manifest.keep,
            safety: SAFETY_REASONS.contains(&s.manifest.reason.as_str()),
        })
        .collect();
    let decisions = plan(&candidates, policy);
    let newest = listed.last().map(|s| s.manifest.id.clone());
    let mut removed = Vec::new();
    for decision in decisions.iter().filter(|d| !d.keep) {
        let Some(snapshot) = listed.iter().find(|s| s.manifest.id == decision.id) else {
            continue;
        };
        if snapshot.manifest.keep || newest.as_deref() == Some(decision.id.as_str()) {
            continue; // plan never decides so; checked again before deleting anything
        }
        if !dry_run {
            remote.delete_snapshot(&decision.id).await?;
        }
        removed.push(Removed {
            id: decision.id.clone(),
            bytes: snapshot.index.total_bytes(),
        });
    }
    let complete: Vec<&str> = listed.iter().map(|s| s.manifest.id.as_str()).collect();
    let mut abandoned = Vec::new();
    for id in remote.folders().await? {
        if complete.contains(&id.as_str()) {
            continue;
        }
        let objects = remote.objects(&id).await?;
        let newest_object = objects.iter().map(|o| o.last_modified).max();
        let old = newest_object.is_none_or(|t| t < now - Duration::hours(ABANDONED_AFTER_HOURS));
        if !old || remote.open_snapshot(&id).await?.is_some() {
            continue; // a push may be running, or just finished
        }
        if !dry_run {
            for object in &objects {
                remote.delete_object(&object.location).await?;
            }
        }
        abandoned.push(id);
    }
    Ok(RemotePruneOutcome {
        outcome: PruneOutcome {
            policy: *policy,
            decisions,
            removed: if dry_run { Vec::new() } else { removed },
            dry_run,
        },
        abandoned,
    })
}
