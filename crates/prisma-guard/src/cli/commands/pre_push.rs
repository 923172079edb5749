//! `pre-migrate --hook pre-push`: what the installed git hook runs.

use std::process::ExitCode;

use anyhow::Context;

use super::pre_migrate::PreMigrateArgs;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;
use crate::workflows::{self};

/// `prisma-guard pre-migrate --hook pre-push`: what the installed git hook runs. Blocks (exit 1)
/// only for edited or deleted pushed migrations; database trouble warns and lets the push go.
pub(super) async fn run(
    project: &Project,
    args: PreMigrateArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    use crate::workflows::hooks;
    use std::io::Read;

    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the pre-push lines from stdin")?;
    let updates = hooks::parse_pre_push(&input)?;
    let check = hooks::check_push(project, &updates, args.remote.as_deref())?;
    for note in check.refs.iter().filter_map(|r| r.note.as_ref()) {
        printer.warn_all(std::slice::from_ref(note))?;
    }
    if check.only_deletions() {
        return Ok(ExitCode::SUCCESS);
    }
    let let_through = |error: &anyhow::Error| {
        printer.err_line(format_args!(
            "warning: cannot check the local database ({error}); the push goes on"
        ))?;
        if let Some(hint) = crate::error::hint(error.as_ref()) {
            printer.err_line(format_args!("hint: {hint}"))?;
        }
        Ok(ExitCode::SUCCESS)
    };
    let url = match project.database_url() {
        Ok(url) => url,
        Err(e) => return let_through(&e.into()),
    };
    let options = super::snapshot_options(project, "pre-push", args.jobs);
    let progress = render::SnapshotProgress::new();
    let result = hooks::pre_push(project, &url, &check, &options, &progress).await;
    progress.finish();
    let found = match result {
        Ok(found) => found,
        Err(e) => return let_through(&e.into()),
    };
    match &found.outcome {
        workflows::PreMigrate::NothingPending { status } => {
            printer.warn_all(&render::status::status_warnings(status))?;
            printer.err_line(
                "pre-push: no pushed migration is edited; nothing pending in the local database",
            )?;
        }
        workflows::PreMigrate::Taken {
            status,
            manifest,
            elapsed,
        } => {
            printer.warn_all(&render::status::status_warnings(status))?;
            printer.err(format_args!(
                "pre-push: the local database has pending migrations; snapshot taken\n{}",
                render::snapshot::pre_migrate_text(project, status, manifest, *elapsed)
            ))?;
        }
    }
    if !found.unapplied_pushed.is_empty() {
        printer.warn_all(&[format!(
            "this push carries migrations your local database has not applied: {}; \
             apply them locally (`prisma-guard pre-migrate --apply`) to try them before others deploy them",
            found.unapplied_pushed.join(", ")
        )])?;
    }
    Ok(ExitCode::SUCCESS)
}
