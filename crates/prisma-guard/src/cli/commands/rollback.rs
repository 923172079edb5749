//! `rollback`: put the database back exactly as a snapshot had it.

use std::process::ExitCode;

use clap::Args;

use crate::cli::exit;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;

pub(crate) const ROLLBACK_EXIT_CODES: &str = "\
Exit codes:
  0   rolled back (or, with --dry-run, rebuilt in a scratch database that was then dropped)
  1   error or refusal; the database is unchanged
  2   usage error";

/// `prisma-guard rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The snapshot id (or a unique prefix) [default: the newest that is not a safety
    /// snapshot].
    #[arg(conflicts_with = "latest")]
    pub id: Option<String>,
    /// Roll back to the newest snapshot that is not a safety snapshot (the default when no id
    /// is given).
    #[arg(long)]
    pub latest: bool,
    /// Rebuild in a scratch database instead, report, and drop it; the database is not touched.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Do not take the `pre-rollback` safety snapshot first.
    #[arg(long)]
    pub no_safety_snapshot: bool,
    /// Roll back to a snapshot that was taken of another database or schema.
    #[arg(long)]
    pub force: bool,
    /// Print the plan and the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `prisma-guard rollback`.
pub(crate) async fn run(
    project: &Project,
    args: RollbackArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    use crate::restore::{self, rollback};

    let url = project.database_url()?;
    crate::database::require_local(&url, crate::database::LocalWrite::Rollback)?;
    super::clean_leftovers(project, &url, true, printer).await?;
    let snapshot = match &args.id {
        Some(id) => super::snapshots_remote::find_or_pull(project, id, printer).await?,
        None => restore::default_snapshot(&project.backups_dir)?,
    };
    rollback::check_source(&snapshot.manifest, &url, args.force)?;
    let plan = rollback::prepare(&url, snapshot, &project.migrations_dir()).await?;
    let plan_text =
        render::rollback::rollback_plan_text(&plan, &url, chrono::Utc::now(), args.dry_run);
    super::show_plan(printer, args.json, &plan_text)?;
    if !args.dry_run && !args.yes {
        let question = format!(
            "Drop schema {} of {} and rebuild it as it was at {}?",
            url.schema(),
            url.database_name(),
            plan.snapshot.manifest.id
        );
        if !super::confirmed(printer, &question)? {
            return Ok(ExitCode::from(exit::ERROR));
        }
    }
    let options = super::run_options(project, args.dry_run, !args.no_safety_snapshot);
    let (report, safety) = rollback::run(&url, &plan, &options).await?;
    if args.json {
        printer.line(render::rollback::rollback_json(
            &plan,
            &url,
            &report,
            safety.as_ref(),
        ))?;
    } else {
        printer.out(format_args!(
            "\n{}",
            render::rollback::rollback_report_text(&report, safety.as_ref())
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
