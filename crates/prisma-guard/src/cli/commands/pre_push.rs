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
    let options = super::snapshot_options(project, "pre-push", args.jobs);
    let progress = render::SnapshotProgress::new();
    let run =
        hooks::run_pre_push(project, &input, args.remote.as_deref(), &options, &progress).await;
    progress.finish();
    let run = run?;
    printer.warn_all(&run.notes)?;
    printer.err(render::lint::findings_text(&run.lint))?;
    let found = match run.database {
        None => return Ok(ExitCode::SUCCESS),
        Some(Ok(found)) => found,
        Some(Err(error)) => {
            printer.err_line(format_args!(
                "warning: cannot check the local database ({error}); the push goes on"
            ))?;
            if let Some(hint) = crate::error::hint(&error) {
                printer.err_line(format_args!("hint: {hint}"))?;
            }
            return Ok(ExitCode::SUCCESS);
        }
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
            reused,
        } => {
            printer.warn_all(&render::status::status_warnings(status))?;
            printer.err(format_args!(
                "pre-push: the local database has pending migrations; {}\n{}",
                if *reused {
                    "the newest snapshot already holds this data"
                } else {
                    "snapshot taken"
                },
                render::snapshot::pre_migrate_text(project, status, manifest, *elapsed, *reused)
            ))?;
            if !*reused {
                super::snapshots_remote::auto_push(project, &manifest.id, printer).await?;
            }
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
