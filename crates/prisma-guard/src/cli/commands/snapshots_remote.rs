//! `snapshots push|pull`, the merged list and remote verify, and what other commands share
//! with them: pushing after a snapshot (`push = true`) and pulling a remote id before a
//! restore or rollback.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::cli::exit;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;
use crate::remote::{self, Remote, RemoteError};
use crate::snapshot::{self, SnapshotError, StoredSnapshot};

/// The process environment, where the AWS and age variables are read.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The configured remote store, or [`RemoteError::NoRemote`].
pub(crate) fn require_remote(project: &Project) -> Result<Remote, RemoteError> {
    project.remote(&env)?.ok_or(RemoteError::NoRemote)
}

/// The configured remote store, if any.
pub(crate) fn configured_remote(project: &Project) -> Result<Option<Remote>, RemoteError> {
    project.remote(&env)
}

/// `snapshots push ID|--all`.
pub(crate) async fn push(
    project: &Project,
    id: Option<String>,
    all: bool,
    json: bool,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let remote = require_remote(project)?;
    let recipients = project.recipients()?;
    let targets = match id {
        Some(id) if !all => vec![snapshot::find(&project.backups_dir, &id)?],
        _ => snapshot::list(&project.backups_dir)?,
    };
    let shown = remote.url().to_string();
    let mut outcomes = Vec::new();
    for target in &targets {
        let outcome = remote::push(&remote, target, &recipients).await?;
        if !json {
            printer.out(render::remote::push_line(&outcome, &shown))?;
        }
        outcomes.push(outcome);
    }
    if json {
        printer.line(render::pretty(
            &serde_json::json!({ "remote": shown, "pushed": outcomes }),
        ))?;
    } else if targets.is_empty() {
        printer.line(format_args!(
            "no snapshots in {}",
            project.display_path(&project.backups_dir)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `snapshots pull ID`.
pub(crate) async fn pull(
    project: &Project,
    id: &str,
    json: bool,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let remote = require_remote(project)?;
    let identity = project.identity(&env)?.map(Arc::new);
    let outcome = remote::pull(&remote, id, &project.backups_dir, identity).await?;
    if json {
        printer.line(render::pretty(&serde_json::json!(outcome.summary())))?;
    } else {
        let shown = project.display_path(&outcome.snapshot.path).to_string();
        printer.out(render::remote::pull_line(
            &outcome,
            &remote.url().to_string(),
            &shown,
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `snapshots` with a remote store configured: local and remote, one row each.
pub(crate) async fn list(
    project: &Project,
    remote: &Remote,
    json: bool,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let local = snapshot::list(&project.backups_dir)?;
    let remote_list = remote.list().await?;
    let all = render::remote::merge(&local, &remote_list);
    let shown = remote.url().to_string();
    if json {
        printer.line(render::remote::listing_json(&all, &shown))?;
    } else if all.is_empty() {
        printer.line(format_args!(
            "no snapshots in {} or {shown}",
            project.display_path(&project.backups_dir)
        ))?;
    } else {
        printer.out(render::remote::listing_table(&all, chrono::Utc::now()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `snapshots verify ID|--all` with a remote store: the local copy (when there is one) as
/// without a remote, then the remote copy (when there is one).
pub(crate) async fn verify(
    project: &Project,
    remote: &Remote,
    id: Option<String>,
    all: bool,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let store = &project.backups_dir;
    let (local, remote_targets) = match id {
        Some(id) if !all => {
            let local = match snapshot::find(store, &id) {
                Ok(found) => vec![found],
                Err(SnapshotError::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            let exact = local.first().map_or(id.clone(), |s| s.manifest.id.clone());
            let remote_targets = match remote.find(&exact).await {
                Ok(found) => vec![found],
                Err(RemoteError::NotFound { .. }) if !local.is_empty() => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            (local, remote_targets)
        }
        _ => (snapshot::list(store)?, remote.list().await?),
    };
    let local_manifests: Vec<_> = local.iter().map(|s| s.manifest.clone()).collect();
    let mut reports: Vec<_> =
        tokio::task::spawn_blocking(move || local.iter().map(snapshot::verify).collect())
            .await
            .context("verifying")?;
    for target in &remote_targets {
        let same = local_manifests.iter().find(|m| m.id == target.manifest.id);
        reports.push(remote::verify(remote, target, same).await?);
    }
    printer.out(render::snapshot::verify_text(&reports))?;
    let ok = reports.iter().all(|r| r.ok());
    Ok(ExitCode::from(if ok { 0 } else { exit::ERROR }))
}

/// The local snapshot `id`; when it is not local and a remote store is configured, the remote
/// one, pulled into the local store (decrypted with the identity, verified) first, saying so
/// on stderr.
pub(crate) async fn find_or_pull(
    project: &Project,
    id: &str,
    printer: Printer,
) -> anyhow::Result<StoredSnapshot> {
    let missing = match snapshot::find(&project.backups_dir, id) {
        Ok(found) => return Ok(found),
        Err(e @ SnapshotError::NotFound { .. }) => e,
        Err(e) => return Err(e.into()),
    };
    let Some(remote) = configured_remote(project)? else {
        return Err(missing.into());
    };
    let identity = project.identity(&env)?.map(Arc::new);
    let outcome = remote::pull(&remote, id, &project.backups_dir, identity)
        .await
        .with_context(|| {
            format!(
                "{id} is not in the local store; pulling it from {}",
                remote.url()
            )
        })?;
    let shown = project.display_path(&outcome.snapshot.path).to_string();
    printer.err(render::remote::pull_line(
        &outcome,
        &remote.url().to_string(),
        &shown,
    ))?;
    Ok(outcome.snapshot)
}

/// With `push = true` and a remote store: pushes the snapshot `id` just taken and says so in
/// one stderr line. A failure is a warning: the local snapshot stands.
pub(crate) async fn auto_push(
    project: &Project,
    id: &str,
    printer: Printer,
) -> Result<(), crate::cli::OutputError> {
    auto_push_reporting(project, id, printer, false).await
}

/// [`auto_push`] for a quiet run (`snapshot --quiet`, `schedule run`): says nothing unless the
/// push fails.
pub(crate) async fn auto_push_quietly(
    project: &Project,
    id: &str,
) -> Result<(), crate::cli::OutputError> {
    auto_push_reporting(project, id, Printer, true).await
}

async fn auto_push_reporting(
    project: &Project,
    id: &str,
    printer: Printer,
    quiet: bool,
) -> Result<(), crate::cli::OutputError> {
    if project.config.push != Some(true) {
        return Ok(());
    }
    let pushed = async {
        let remote = require_remote(project)?;
        let recipients = project.recipients()?;
        let found = snapshot::find(&project.backups_dir, id)?;
        let outcome = remote::push(&remote, &found, &recipients).await?;
        Ok::<_, RemoteError>((outcome, remote.url().to_string()))
    }
    .await;
    match pushed {
        Ok(_) if quiet => Ok(()),
        Ok((outcome, shown)) => printer.err(render::remote::push_line(&outcome, &shown)),
        Err(error) => {
            printer.err_line(format_args!(
                "warning: push = true, but pushing {id} failed: {error}; the local snapshot was kept (push it later with `snapshots push {id}`)"
            ))
        }
    }
}
