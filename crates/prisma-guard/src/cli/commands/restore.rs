//! `restore`: put a snapshot's data back, across schema changes.

use std::process::ExitCode;

use clap::Args;

use crate::cli::args::{ModeArg, SelectionArgs, StrategyArg};
use crate::cli::exit;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;

pub(crate) const RESTORE_EXIT_CODES: &str = "\
Groups (see `prisma-guard status`): admin, images and analytics are inferred from table names
unless [workspace.metadata.prisma-guard.groups] defines them.

A snapshot table the live schema does not have (dropped or renamed since the snapshot) cannot
be restored: the plan lists it and the restore refuses until it is left out with --exclude.
A data file whose rows differ from the manifest's count stops the restore (rolled back).
A selected table the restore cannot fill (a new NOT NULL column or foreign key the snapshot
lacks, NULLs in a column that is NOT NULL now, a value that no longer casts) is found before
anything is written: the refusal names every one with its reasons; --json lists them all under
unrestorable. With --strategy auto, a migration that fails when replayed on the snapshot's
data makes the restore fall back to map, and the plan's strategy line says why.

Upload archives are extracted only into the folders configured now (files.<group>): an archive
taken from other folders is skipped, and the plan says why; a manifest folder that is not a
relative path inside the project refuses the restore. Only regular files and folders are
written, never through or over a symlink: a symlink on the way refuses the whole restore, and
merge keeps every path that exists (file, folder or link). These checks run before the
database is touched.

Bucket prefixes (files.<group> entries s3://bucket/prefix/) are restored only under the
prefix the snapshot recorded, and only when files.<group> lists it now: merge puts back
missing keys, upsert also overwrites differing ones, replace also deletes keys under the
prefix that the snapshot lacks. The objects are written after the database commit.

Exit codes:
  0   restored (or, with --dry-run, planned and rolled back)
  1   error or refusal; the database is unchanged
  2   usage error";

/// `prisma-guard restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The snapshot id (or a unique prefix) [default: the newest that is not a `pre-restore`
    /// safety snapshot].
    #[arg(conflicts_with = "latest")]
    pub id: Option<String>,
    /// Restore the newest snapshot that is not a `pre-restore` safety snapshot (the default
    /// when no id is given; name a safety snapshot by id to restore it).
    #[arg(long)]
    pub latest: bool,
    /// What to restore.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// How restored rows meet existing rows.
    #[arg(long, value_enum, default_value_t = ModeArg::Merge)]
    pub mode: ModeArg,
    /// How the rows reach today's schema: replay the migrations since the snapshot on its data,
    /// or map columns by name; `auto` replays when possible and says why not.
    #[arg(long, value_enum, default_value_t = StrategyArg::Auto)]
    pub strategy: StrategyArg,
    /// Run the whole restore in a transaction that is rolled back, and report what it did.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Do not take the `pre-restore` safety snapshot first.
    #[arg(long)]
    pub no_safety_snapshot: bool,
    /// Allow a database that is not on this machine.
    #[arg(long)]
    pub allow_remote: bool,
    /// Print the plan and the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `prisma-guard restore`.
pub(crate) async fn run(
    project: &Project,
    args: RestoreArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    use crate::restore;

    let url = project.database_url()?;
    restore::check_target(&url, args.allow_remote)?;
    super::clean_leftovers(project, &url, true, printer).await?;
    let snapshot = match &args.id {
        Some(id) => super::snapshots_remote::find_or_pull(project, id, printer).await?,
        None => restore::default_snapshot(&project.backups_dir)?,
    };
    let selection = args.selection.into_selection();
    let mode = args.mode.into_mode();
    let options = super::prepare_options(project, args.strategy);
    let prepared =
        restore::prepare(&url, &project.config, snapshot, &selection, mode, &options).await?;
    let plan_text = render::restore::plan_text(&prepared, &url, chrono::Utc::now());
    super::show_plan(printer, args.json, &plan_text)?;
    let refused = restore::refuse_unrestorable(&prepared.plan)
        .and_then(|()| restore::refuse_missing(&prepared.plan));
    if let Err(error) = refused {
        if args.json {
            let text = render::restore::refused_json(&prepared, &url, &error.to_string());
            printer.line(text)?;
        }
        return Err(error.into());
    }
    if prepared.plan.tables.is_empty()
        && prepared.plan.files.is_empty()
        && prepared.plan.buckets.is_empty()
    {
        anyhow::bail!("nothing to restore with this selection; nothing was changed");
    }
    if !args.dry_run && !args.yes {
        let objects: usize = prepared.plan.buckets.iter().map(|b| b.actions.len()).sum();
        let objects = match objects {
            0 => String::new(),
            n => format!(" and make {n} object change(s) in the bucket"),
        };
        let question = format!(
            "Restore {} rows of {} tables into {}{objects}?",
            prepared.plan.snapshot_rows(),
            prepared.plan.tables.len(),
            url.database_name()
        );
        if !super::confirmed(printer, &question)? {
            return Ok(ExitCode::from(exit::ERROR));
        }
    }
    let options = super::run_options(project, args.dry_run, !args.no_safety_snapshot);
    let (report, safety) = restore::run(&url, &prepared, &options).await?;
    if args.json {
        printer.line(render::restore::json(
            &prepared,
            &url,
            &report,
            safety.as_ref(),
        ))?;
    } else {
        printer.out(format_args!(
            "\n{}",
            render::restore::restore_report_text(&prepared, &report, safety.as_ref())
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
