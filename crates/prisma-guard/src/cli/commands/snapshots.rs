//! `snapshots`: list, show and verify snapshots.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::cli::exit;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;
use crate::snapshot;

/// `prisma-guard snapshots`.
#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// What to do; lists them when omitted.
    #[command(subcommand)]
    pub action: Option<SnapshotsAction>,
    /// Print the list as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `prisma-guard snapshots <action>`.
#[derive(Debug, Subcommand)]
pub enum SnapshotsAction {
    /// Print a snapshot's manifest and sidecar readably.
    Show {
        /// The snapshot id (or a unique prefix); the newest when omitted.
        id: Option<String>,
        /// Print manifest and sidecar as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-hash, decompress and count every file; exit 1 on any mismatch. With a remote store,
    /// the remote copy too: every object re-read and checked against its recorded size and
    /// SHA-256 (no key needed).
    Verify {
        /// The snapshot id (or a unique prefix).
        #[arg(required_unless_present = "all")]
        id: Option<String>,
        /// Verify every snapshot.
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Upload snapshots to the remote store (--remote or config `remote`): data files first,
    /// the manifest last, so an interrupted push lists nothing and the next one completes it;
    /// encrypted to config `recipients` when set. A snapshot already there is skipped.
    Push {
        /// The snapshot id (or a unique prefix).
        #[arg(required_unless_present = "all")]
        id: Option<String>,
        /// Push every local snapshot.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// Print what was pushed as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Download a remote snapshot into the local store (decrypted with --identity or
    /// AGE_IDENTITY when encrypted), check it against its manifest, then put it in place.
    Pull {
        /// The snapshot id (or a unique prefix).
        id: String,
        /// Print what was pulled as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `prisma-guard snapshots [show|verify]`.
pub(crate) async fn run(
    project: &Project,
    args: SnapshotsArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let store = &project.backups_dir;
    let configured = super::snapshots_remote::configured_remote(project);
    if args.action.is_none() {
        // The list never fails for want of the remote: without it, the local snapshots.
        match &configured {
            Ok(Some(remote)) => {
                return super::snapshots_remote::list(project, remote, args.json, printer).await;
            }
            Ok(None) => {}
            Err(error) => printer.err_line(format_args!(
                "warning: the remote store is not listed: {error}"
            ))?,
        }
    }
    let remote = match args.action {
        Some(SnapshotsAction::Verify { .. }) => configured?,
        _ => None,
    };
    match args.action {
        Some(SnapshotsAction::Push { id, all, json }) => {
            super::snapshots_remote::push(project, id, all, json, printer).await
        }
        Some(SnapshotsAction::Pull { id, json }) => {
            super::snapshots_remote::pull(project, &id, json, printer).await
        }
        Some(SnapshotsAction::Verify { id, all }) if remote.is_some() => {
            let remote = remote.as_ref().expect("checked");
            super::snapshots_remote::verify(project, remote, id, all, printer).await
        }
        None => {
            let all = snapshot::list(store)?;
            if args.json {
                printer.line(render::snapshot::snapshots_json(&all))?;
            } else if all.is_empty() {
                printer.line(format_args!(
                    "no snapshots in {}",
                    project.display_path(store)
                ))?;
            } else {
                printer.out(render::snapshot::snapshots_table(&all, chrono::Utc::now()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(SnapshotsAction::Show { id, json }) => {
            let found = match id {
                Some(id) => snapshot::find(store, &id)?,
                None => snapshot::latest(store)?,
            };
            if json {
                printer.line(render::snapshot::show_json(&found))?;
            } else {
                printer.out(render::snapshot::show_text(&found, chrono::Utc::now()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(SnapshotsAction::Verify { id, all }) => {
            let targets = match (id, all) {
                (_, true) => snapshot::list(store)?,
                (Some(id), false) => vec![snapshot::find(store, &id)?],
                (None, false) => unreachable!("clap requires an id or --all"),
            };
            let reports: Vec<_> =
                tokio::task::spawn_blocking(move || targets.iter().map(snapshot::verify).collect())
                    .await
                    .context("verifying")?;
            printer.out(render::snapshot::verify_text(&reports))?;
            let ok = reports.iter().all(|r| r.ok());
            Ok(ExitCode::from(if ok { 0 } else { exit::ERROR }))
        }
    }
}
