//! `reset`: snapshot, reset the database, restore what matters.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::cli::args::{ModeArg, SelectionArgs, StrategyArg};
use crate::cli::exit;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;
use crate::snapshot;

pub(crate) const RESET_EXIT_CODES: &str = "\
Exit codes:
  0   reset and restored
  1   error or refusal (if the reset command failed, nothing was restored and the snapshot is kept)
  2   usage error";

/// `prisma-guard reset`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// What to restore after the reset [default: the groups of `reset-restore`, else admin].
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Restore everything after the reset (but `_prisma_migrations`).
    #[arg(long, conflicts_with_all = ["admin_only", "only", "tables"])]
    pub all: bool,
    /// How restored rows meet the rows the reset command's seed script created.
    #[arg(long, value_enum, default_value_t = ModeArg::Merge)]
    pub mode: ModeArg,
    /// Override `reset-command` for this run (`builtin`: drop and recreate the schema, then
    /// apply every migration with the built-in deploy).
    #[arg(long, value_name = "COMMAND")]
    pub reset_command: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `prisma-guard reset`.
pub(crate) async fn run(
    project: &Project,
    args: ResetArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    use crate::restore;
    use crate::workflows::reset as reset_flow;

    let url = project.database_url()?;
    reset_flow::check_local(&url)?;
    let command = project.reset_command(args.reset_command.as_deref())?;
    let selection = reset_flow::selection(
        args.selection.into_selection(),
        args.all,
        project.config.reset_restore.as_deref(),
    );
    let restoring = match &selection {
        None => "nothing".to_string(),
        Some(s) if s.only.is_empty() && s.tables.is_empty() => "everything".to_string(),
        Some(s) => [s.only.clone(), s.tables.clone()].concat().join(", "),
    };
    printer.line(format_args!(
        "reset {} (schema {}): snapshot, then {}, then restore {restoring}",
        url.redacted(),
        url.schema(),
        command.display()
    ))?;
    if !args.yes
        && !crate::cli::prompt::confirm(&format!(
            "Reset {}? Every row is deleted; the snapshot keeps them.",
            url.database_name()
        ))?
    {
        printer.err_line("cancelled; nothing was changed")?;
        return Ok(ExitCode::from(exit::ERROR));
    }

    let status = {
        let mut conn = url.connect().await?;
        crate::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?
    };
    let options = super::snapshot_options(project, "reset", 2);
    let progress = render::SnapshotProgress::new();
    let manifest = snapshot::take(&url, &project.backups_dir, &status, &options, &progress).await?;
    progress.finish();
    printer.line(format_args!(
        "snapshot {}: {} tables, {} rows",
        manifest.id,
        manifest.tables.len(),
        manifest.total_rows()
    ))?;
    printer.line(format_args!("running {}", command.display()))?;
    let applied = reset_flow::reset_database(project, &url, &command)
        .await
        .with_context(|| {
            format!(
                "the reset failed; nothing was restored; the snapshot {0} is kept: `prisma-guard restore {0}`",
                manifest.id
            )
        })?;
    if !applied.output.is_empty() {
        printer.err(&applied.output)?;
    }
    if !applied.migrations.is_empty() {
        printer.line(format_args!(
            "applied {} migrations",
            applied.migrations.len()
        ))?;
    }
    let Some(selection) = selection else {
        printer.line(format_args!(
            "reset-restore is empty: nothing restored; the snapshot {} holds the old data",
            manifest.id
        ))?;
        return Ok(ExitCode::SUCCESS);
    };
    let restore_hint = || {
        format!(
            "the database was reset but not restored; the snapshot {0} is kept: `prisma-guard restore {0}`",
            manifest.id
        )
    };
    let stored = snapshot::find(&project.backups_dir, &manifest.id)?;
    let prepared = restore::prepare(
        &url,
        &project.config,
        stored,
        &selection,
        args.mode.into_mode(),
        &super::prepare_options(project, StrategyArg::Auto),
    )
    .await
    .with_context(restore_hint)?;
    printer.out(format_args!(
        "\n{}",
        render::restore::plan_text(&prepared, &url, chrono::Utc::now())
    ))?;
    // The reset snapshot is the safety snapshot: the database was just emptied.
    let run = super::run_options(project, false, false);
    let (report, _) = restore::run(&url, &prepared, &run)
        .await
        .with_context(restore_hint)?;
    printer.out(format_args!(
        "\n{}",
        render::restore::report_text(&report, None)
    ))?;
    Ok(ExitCode::SUCCESS)
}
