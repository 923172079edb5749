//! The database side of the pre-push hook: migration status, and a snapshot when migrations are
//! pending.

use std::time::Instant;

use super::PushCheck;
use crate::migrations::{self, StatusReport};
use crate::project::Project;
use crate::snapshot::{self, Progress, SnapshotOptions};
use crate::workflows::{PreMigrate, WorkflowError};

/// What the database side of the pre-push hook found and did.
#[derive(Debug)]
pub struct PrePush {
    /// Status, and the snapshot when migrations were pending (reason in the options, normally
    /// `pre-push`).
    pub outcome: PreMigrate,
    /// Migrations the push adds at the remote that the local database has not applied.
    pub unapplied_pushed: Vec<String>,
}

/// The database side of the pre-push hook: migration status of the local database and, when
/// migrations are pending, a snapshot with `options` (never prompts); plus which pushed
/// migrations the local database has not applied.
///
/// Errors: [`WorkflowError`] from connecting, status or snapshot; the hook warns and lets the
/// push through.
pub async fn pre_push(
    project: &Project,
    url: &crate::database::DatabaseUrl,
    check: &PushCheck,
    options: &SnapshotOptions,
    progress: &dyn Progress,
) -> Result<PrePush, WorkflowError> {
    let status = {
        let mut conn = url.connect().await?;
        migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?
    };
    let unapplied_pushed = unapplied_in(&status, &check.added());
    let outcome = if status.unapplied().next().is_none() {
        PreMigrate::NothingPending { status }
    } else {
        let started = Instant::now();
        let manifest =
            snapshot::take(url, &project.backups_dir, &status, options, progress).await?;
        PreMigrate::Taken {
            status,
            manifest: Box::new(manifest),
            elapsed: started.elapsed(),
        }
    };
    Ok(PrePush {
        outcome,
        unapplied_pushed,
    })
}

/// The names in `pushed` the database has not applied: pending, rolled back, or unknown to it.
fn unapplied_in(status: &StatusReport, pushed: &[String]) -> Vec<String> {
    pushed
        .iter()
        .filter(|name| {
            status
                .migrations
                .iter()
                .find(|m| &m.name == *name)
                .is_none_or(|m| m.state.is_unapplied())
        })
        .cloned()
        .collect()
}
