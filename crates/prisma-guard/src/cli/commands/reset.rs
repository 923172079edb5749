//! `reset`: snapshot, reset the database, restore what matters.

use std::process::ExitCode;

use clap::Args;

use crate::cli::args::{ModeArg, SelectionArgs, StrategyArg};
use crate::cli::exit;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;
use crate::restore::Prepared;
use crate::snapshot::{Manifest, Progress};
use crate::workflows::reset::{self as reset_flow, ResetEvents, ResetOptions};
use crate::workflows::{Applied, MigrateCommand};

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
    /// How restored rows meet the rows the reset command's migrations and seed script created:
    /// `replace` makes the restored groups equal to the snapshot's (the seeded admin and
    /// settings rows become the snapshot's).
    #[arg(long, value_enum, default_value_t = ModeArg::Replace)]
    pub mode: ModeArg,
    /// Override `reset-command` for this run (`builtin`: drop and recreate the schema, then
    /// apply every migration with the built-in deploy).
    #[arg(long, value_name = "COMMAND")]
    pub reset_command: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `prisma-guard reset`: says what it will do, confirms, then runs the engine's reset, showing
/// each step as it happens.
pub(crate) async fn run(
    project: &Project,
    args: ResetArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let url = project.database_url()?;
    reset_flow::check_local(&url)?;
    let command = project.reset_command(args.reset_command.as_deref())?;
    let options = ResetOptions {
        seed: crate::workflows::seed::seed_command(project, &command)?,
        command,
        selection: reset_flow::selection(
            args.selection.into_selection(),
            args.all,
            project.config.reset_restore.as_deref(),
        ),
        mode: args.mode.into_mode(),
        snapshot: super::snapshot_options(project, "reset", 2),
        prepare: super::prepare_options(project, StrategyArg::Auto),
        // The reset snapshot is the safety snapshot: the database is emptied right after it.
        run: super::run_options(project, false, false),
    };
    let restoring = match &options.selection {
        None => "nothing".to_string(),
        Some(s) if s.only.is_empty() && s.tables.is_empty() => "everything".to_string(),
        Some(s) => [s.only.clone(), s.tables.clone()].concat().join(", "),
    };
    printer.line(format_args!(
        "reset {} (schema {}): snapshot, then {}, then restore {restoring}",
        url.redacted(),
        url.schema(),
        options.command.display()
    ))?;
    let question = format!(
        "Reset {}? Every row is deleted; the snapshot keeps them.",
        url.database_name()
    );
    if !args.yes && !super::confirmed(printer, &question)? {
        return Ok(ExitCode::from(exit::ERROR));
    }
    let shown = Shown {
        printer,
        url: &url,
        progress: render::SnapshotProgress::new(),
        failed: Default::default(),
    };
    let done = reset_flow::reset(project, &url, &options, &shown).await;
    shown.progress.finish();
    let done = done?;
    // A closed stdout does not stop a reset half way; it is reported once the reset is whole.
    if let Some(error) = shown.failed.take() {
        return Err(error.into());
    }
    match &done.restored {
        None => printer.line(format_args!(
            "reset-restore is empty: nothing restored; the snapshot {} holds the old data",
            done.manifest.id
        ))?,
        Some(report) => printer.out(format_args!(
            "\n{}",
            render::restore::report_text(report, None)
        ))?,
    }
    if let (Some(seeded), Some(report)) = (&done.seeded, &done.restored) {
        for o in seeded.overlaps(report) {
            printer.line(format_args!(
                "{}: of {} seeded rows, the restore replaced {} and kept {} (replaced: overwritten by the snapshot's row, or deleted because the snapshot lacks its key; kept: merge leaves a seeded row whose key the snapshot also has)",
                o.table, o.seeded, o.replaced, o.kept
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Shows the reset's steps as they happen.
struct Shown<'a> {
    printer: Printer,
    url: &'a crate::database::DatabaseUrl,
    progress: render::SnapshotProgress,
    failed: std::cell::Cell<Option<crate::cli::OutputError>>,
}

impl Shown<'_> {
    fn keep(&self, printed: Result<(), crate::cli::OutputError>) {
        if let Err(error) = printed {
            let first = self.failed.take().unwrap_or(error);
            self.failed.set(Some(first));
        }
    }
}

impl ResetEvents for Shown<'_> {
    fn progress(&self) -> &dyn Progress {
        &self.progress
    }

    fn snapshot_taken(&self, manifest: &Manifest, command: &MigrateCommand) {
        self.progress.finish();
        self.keep(self.printer.line(format_args!(
            "snapshot {}: {} tables, {} rows\nrunning {}",
            manifest.id,
            manifest.tables.len(),
            manifest.total_rows(),
            command.display()
        )));
    }

    fn reset_done(&self, applied: &Applied) {
        if !applied.output.is_empty() {
            self.keep(self.printer.err(&applied.output));
        }
        if !applied.migrations.is_empty() {
            self.keep(self.printer.line(format_args!(
                "applied {} migrations",
                applied.migrations.len()
            )));
        }
    }

    fn seeding(&self, command: &MigrateCommand) {
        self.keep(self.printer.line(format_args!(
            "running the app's seed: {}",
            command.display()
        )));
    }

    fn seeded(&self, seeded: &crate::workflows::seed::Seeded) {
        if !seeded.output.is_empty() {
            self.keep(self.printer.err(&seeded.output));
        }
        let rows: u64 = seeded.rows.iter().map(|(_, n)| n).sum();
        self.keep(self.printer.line(format_args!(
            "seeded: {rows} rows in {} tables",
            seeded.rows.len()
        )));
    }

    fn restore_planned(&self, prepared: &Prepared) {
        self.keep(self.printer.out(format_args!(
            "\n{}",
            render::restore::plan_text(prepared, self.url, chrono::Utc::now())
        )));
    }
}
