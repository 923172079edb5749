//! `pre-migrate`: the main job: when migrations are pending, snapshot first (and with `--apply`, apply them and report the losses).

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::cli::exit;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;
use crate::workflows::{self, PreMigrate};

pub(crate) const PRE_MIGRATE_EXIT_CODES: &str = "\
Exit codes:
  0   success (snapshot taken, nothing pending, or migrations applied)
  1   error (nothing is kept of a snapshot that failed)
  2   usage error
  10  with --check and without --apply: migrations are pending (the snapshot was taken)
  12  with --check and without --apply: the prediction says they would lose data
  13  with --check and without --apply: the prediction says a migration would fail";

/// `prisma-guard pre-migrate`.
#[derive(Debug, Args)]
pub struct PreMigrateArgs {
    /// Snapshot even when nothing is pending.
    #[arg(long)]
    pub force: bool,
    /// After the snapshot, apply the migrations with `migrate-command` (default
    /// `npx prisma migrate deploy`; `builtin` uses this tool's Prisma-compatible deploy) and
    /// report the tables that lost data.
    #[arg(long)]
    pub apply: bool,
    /// Override `migrate-command` for this run (implies nothing without --apply).
    #[arg(long, value_name = "COMMAND")]
    pub migrate_command: Option<String>,
    /// Exit with 10 when migrations are pending and were not applied; 12 when the prediction
    /// says they would lose data, 13 when one would fail.
    #[arg(long)]
    pub check: bool,
    /// Do not predict what the migrations will do (the prediction replays them on a scratch
    /// copy of the snapshot before anything is applied; see `predict`).
    #[arg(long)]
    pub no_predict: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Parallel connections reading tables.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,
    /// Run as a git hook (what the installed hook calls): `pre-push` reads git's lines on stdin,
    /// blocks a push that edits or deletes a migration the remote has, and snapshots (reason
    /// `pre-push`) when migrations are pending; an unreachable database only warns.
    #[arg(long, value_enum, value_name = "NAME", conflicts_with_all = ["apply", "check", "json", "force", "migrate_command"])]
    pub hook: Option<HookArg>,
    /// With --hook pre-push: the remote's name, as git passes it.
    #[arg(requires = "hook")]
    pub remote: Option<String>,
    /// With --hook pre-push: the remote's URL, as git passes it.
    #[arg(requires = "hook")]
    pub remote_url: Option<String>,
}

/// Git hooks `pre-migrate --hook` can run as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HookArg {
    /// Read git's pre-push lines on stdin; block edits of pushed migrations; snapshot when
    /// migrations are pending; never prompt.
    PrePush,
}

/// `prisma-guard pre-migrate`.
pub(crate) async fn run(
    project: &Project,
    args: PreMigrateArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    if let Some(HookArg::PrePush) = args.hook {
        return super::pre_push::run(project, args, printer).await;
    }
    let url = project.database_url()?;
    let command = project.migrate_command(args.migrate_command.as_deref())?;
    super::clean_leftovers(project, &url, false, printer).await?;
    let options = super::snapshot_options(project, "pre-migrate", args.jobs);
    let progress = render::SnapshotProgress::new();
    let outcome = workflows::pre_migrate(project, &url, args.force, &options, &progress).await?;
    progress.finish();
    let (status, manifest, elapsed, reused) = match outcome {
        PreMigrate::NothingPending { status } => {
            if args.json {
                printer.line(render::snapshot::pre_migrate_json(
                    &status, None, None, None,
                ))?;
            } else {
                printer.line(format_args!("nothing pending: {} migrations applied; no snapshot taken (--force takes one anyway)",
                    status.count(crate::migrations::MigrationState::Applied)))?;
            }
            printer.warn_all(&render::status::status_warnings(&status))?;
            return Ok(ExitCode::SUCCESS);
        }
        PreMigrate::Taken {
            status,
            manifest,
            elapsed,
            reused,
        } => (status, manifest, elapsed, reused),
    };
    printer.warn_all(&render::status::status_warnings(&status))?;
    let lint = crate::lint::pending(project, &status)?;
    printer.err(render::lint::findings_text(&lint))?;
    super::warn_tracked_snapshots(project, printer)?;
    if !args.json {
        printer.out(render::snapshot::pre_migrate_text(
            project, &status, &manifest, elapsed, reused,
        ))?;
    }
    if !reused {
        super::auto_prune(project, printer)?;
        super::snapshots_remote::auto_push(project, &manifest.id, printer).await?;
    }
    let prediction = match args.no_predict || status.unapplied().next().is_none() {
        true => None,
        false => {
            super::predict::before_migrating(project, &url, &manifest, args.json, printer).await?
        }
    };
    if !args.apply {
        if args.json {
            printer.line(render::lint::with_lint(
                render::predict::with_prediction(
                    render::snapshot::pre_migrate_json(
                        &status,
                        Some((&manifest, reused)),
                        None,
                        None,
                    ),
                    prediction.as_ref(),
                ),
                project.lint_mode(),
                &lint,
            ))?;
        }
        let pending = status.unapplied().next().is_some();
        let predicted = prediction.as_ref().and_then(render::predict::check_code);
        return Ok(ExitCode::from(if args.check && pending {
            predicted.unwrap_or(exit::PENDING)
        } else {
            0
        }));
    }
    printer.err_line(format_args!(
        "applying migrations with {}",
        command.display()
    ))?;
    let applied = workflows::apply(project, &url, &command)
        .await
        .with_context(|| format!("the snapshot {} is kept", manifest.id))?;
    if !applied.output.is_empty() {
        printer.err(&applied.output)?;
    }
    let losses = workflows::losses(&url, &manifest).await?;
    if args.json {
        printer.line(render::lint::with_lint(
            render::predict::with_prediction(
                render::snapshot::pre_migrate_json(
                    &status,
                    Some((&manifest, reused)),
                    Some(&applied),
                    Some(&losses),
                ),
                prediction.as_ref(),
            ),
            project.lint_mode(),
            &lint,
        ))?;
    } else {
        printer.out(render::snapshot::applied_text(&manifest, &applied, &losses))?;
    }
    Ok(ExitCode::SUCCESS)
}
