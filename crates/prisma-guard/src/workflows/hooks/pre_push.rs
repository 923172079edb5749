//! The pre-push hook as a whole ([`run`]): git's lines → the check of pushed migrations (the
//! only thing that blocks a push) → the database side: migration status, and a snapshot when
//! migrations are pending. Database trouble never blocks a push: it is reported and the push
//! goes on.

use super::{HookError, PushCheck};
use crate::migrations::{self, StatusReport};
use crate::project::Project;
use crate::snapshot::{Progress, SnapshotOptions};
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
        crate::workflows::pre_migrate::snapshot_pending(
            project, url, status, options, progress, true,
        )
        .await?
    };
    Ok(PrePush {
        outcome,
        unapplied_pushed,
    })
}

/// What the whole pre-push hook found ([`run`]).
#[derive(Debug)]
pub struct PrePushRun {
    /// Notes on the refs checked (a new branch compared against its merge base, …).
    pub notes: Vec<String>,
    /// The lint findings of the migrations the push adds ([`super::lint_pushed`]).
    pub lint: crate::lint::LintReport,
    /// The database side; `None` when the push only deletes refs (nothing to check).
    pub database: Option<Result<PrePush, WorkflowError>>,
}

/// The pre-push hook, from git's stdin `input` and the `remote` name git passes: refuses (the
/// only `Err`) a push that edits or deletes a migration the remote already has, or with
/// `lint = "deny"` adds one with an error-level lint finding ([`super::lint_pushed`]); otherwise
/// checks the local database and snapshots it when migrations are pending ([`pre_push`]).
/// A database that cannot be found, reached or read is `database: Some(Err(_))`: the push goes
/// on. Never prompts.
///
/// Errors: [`HookError`] for malformed input, git failures, blocked migrations and denied lint
/// findings.
pub async fn run(
    project: &Project,
    input: &str,
    remote: Option<&str>,
    options: &SnapshotOptions,
    progress: &dyn Progress,
) -> Result<PrePushRun, HookError> {
    let updates = super::parse_pre_push(input)?;
    let check = super::check_push(project, &updates, remote)?;
    let notes = check.refs.iter().filter_map(|r| r.note.clone()).collect();
    let lint = super::lint_pushed(project, &check)?;
    if check.only_deletions() {
        return Ok(PrePushRun {
            notes,
            lint,
            database: None,
        });
    }
    let database = match project.database_url() {
        Ok(url) => pre_push(project, &url, &check, options, progress).await,
        Err(e) => Err(e.into()),
    };
    Ok(PrePushRun {
        notes,
        lint,
        database: Some(database),
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
