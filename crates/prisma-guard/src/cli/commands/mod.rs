//! One file per subcommand: its clap args and its `run`, which turns the args into the engine's
//! options, calls the engine and renders what it returns. Shared here: the options every
//! snapshot, restore and rollback is taken with.

pub mod demo;
pub mod hooks;
pub mod notify;
pub mod pre_migrate;
mod pre_push;
pub mod predict;
pub mod prune;
pub mod reset;
pub mod restore;
pub mod rollback;
pub mod schedule;
pub mod snapshot;
pub mod snapshots;
pub(crate) mod snapshots_remote;
pub mod status;

use crate::project::Project;
use crate::snapshot::{self as store, SnapshotOptions};

use super::printer::Printer;
use super::render;

pub(super) fn snapshot_options(project: &Project, reason: &str, jobs: usize) -> SnapshotOptions {
    let mut options = SnapshotOptions::new(reason, &project.root);
    options.jobs = jobs.max(1);
    options.files = project.config.files.clone();
    options.command = command_line();
    options.git = store::sidecar::git_info(&project.root);
    options
}

pub(super) fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // --database-url may hold a password: never record it.
    let mut shown = Vec::new();
    let mut hide_next = false;
    for arg in args {
        if hide_next {
            shown.push("***".to_string());
            hide_next = false;
        } else if arg == "--database-url" {
            hide_next = true;
            shown.push(arg);
        } else if arg.starts_with("--database-url=") {
            shown.push("--database-url=***".to_string());
        } else {
            shown.push(arg);
        }
    }
    format!("{} {}", super::program::name(), shell_words::join(shown))
}

/// With `auto-prune = true`: prunes by the configured policy after a snapshot was taken and
/// says in one line on stderr what went. A failure is a warning: the snapshot stands.
pub(super) fn auto_prune(project: &Project, printer: Printer) -> Result<(), super::OutputError> {
    auto_prune_reporting(project, printer, false)
}

/// [`auto_prune`] for a quiet run: says nothing unless the prune fails.
pub(super) fn auto_prune_quietly(project: &Project) -> Result<(), super::OutputError> {
    auto_prune_reporting(project, Printer, true)
}

fn auto_prune_reporting(
    project: &Project,
    printer: Printer,
    quiet: bool,
) -> Result<(), super::OutputError> {
    if project.config.auto_prune != Some(true) {
        return Ok(());
    }
    let policy = project.retention(Default::default());
    match store::prune(&project.backups_dir, &policy, false) {
        Ok(outcome) => {
            if let Some(line) = render::prune::auto_prune_line(&outcome).filter(|_| !quiet) {
                printer.err_line(format_args!("{line}"))?;
            }
        }
        Err(error) => printer.err_line(format_args!(
            "warning: auto-prune failed: {error}; the snapshot was kept"
        ))?,
    }
    Ok(())
}

/// How a restore or rollback runs in `project`.
pub(super) fn run_options(
    project: &Project,
    dry_run: bool,
    safety_snapshot: bool,
) -> crate::restore::RunOptions {
    crate::restore::RunOptions {
        dry_run,
        safety_snapshot,
        project_root: project.root.clone(),
        store: project.backups_dir.clone(),
        migrations_dir: project.migrations_dir(),
        command: command_line(),
    }
}

pub(super) fn prepare_options(
    project: &Project,
    strategy: crate::cli::args::StrategyArg,
) -> crate::restore::PrepareOptions {
    use crate::restore::Strategy;
    crate::restore::PrepareOptions {
        strategy: match strategy {
            crate::cli::args::StrategyArg::Auto => Strategy::Auto,
            crate::cli::args::StrategyArg::Replay => Strategy::Replay,
            crate::cli::args::StrategyArg::Map => Strategy::Map,
        },
        migrations_dir: project.migrations_dir(),
        store: project.backups_dir.clone(),
        statements: project.migration_statements(),
    }
}

/// Warns when git tracks files inside snapshots of the store: they hold the app's data
/// (password hashes, tokens), so they must not be committed.
pub(super) fn warn_tracked_snapshots(
    project: &Project,
    printer: Printer,
) -> Result<(), super::OutputError> {
    let tracked = store::store::tracked_by_git(&project.root, &project.backups_dir);
    warn_tracked(project, printer, &tracked)
}

/// Starts [`warn_tracked_snapshots`]'s `git ls-files` on a blocking thread, so that the git
/// process runs while the database answers (`status` is timed, issue 18).
pub(super) fn tracked_snapshots(
    project: &Project,
) -> tokio::task::JoinHandle<Vec<camino::Utf8PathBuf>> {
    let (root, backups) = (project.root.clone(), project.backups_dir.clone());
    tokio::task::spawn_blocking(move || store::store::tracked_by_git(&root, &backups))
}

/// The warning of [`warn_tracked_snapshots`] for the files `tracked`, if any.
pub(super) fn warn_tracked(
    project: &Project,
    printer: Printer,
    tracked: &[camino::Utf8PathBuf],
) -> Result<(), super::OutputError> {
    let Some(first) = tracked.first() else {
        return Ok(());
    };
    let folder = project.display_path(&project.backups_dir);
    printer.warn_all(&[format!(
        "git tracks {} snapshot file(s) in {folder} ({first}, …): they hold your data; \
         untrack them with `git rm -r --cached {folder}` and add `{folder}/` to .gitignore",
        tracked.len()
    )])
}

/// A plan is data on stdout, unless the result goes there as JSON: then it is shown on stderr.
pub(super) fn show_plan(
    printer: Printer,
    json: bool,
    plan: &str,
) -> Result<(), super::OutputError> {
    if json {
        printer.err(plan)
    } else {
        printer.out(plan)
    }
}

/// Asks `question` (see [`super::prompt::confirm`]); a No says so on stderr and returns `false`.
pub(super) fn confirmed(printer: Printer, question: &str) -> anyhow::Result<bool> {
    let yes = super::prompt::confirm(question)?;
    if !yes {
        printer.err_line("cancelled; nothing was changed")?;
    }
    Ok(yes)
}

/// Removes what interrupted runs left behind, when their process has ended: hidden folders in
/// the store and scratch databases on `url`'s server — there only when the server is local or
/// the command writes to it anyway (`writes_there`: restore, rollback), so a snapshot never
/// writes to a remote server. Says so in one line on stderr; a failure is a warning, never the
/// command's error (an unreachable server is left for the command itself to report).
pub(super) async fn clean_leftovers(
    project: &Project,
    url: &crate::database::DatabaseUrl,
    writes_there: bool,
    printer: Printer,
) -> Result<(), super::OutputError> {
    let url = (writes_there || url.is_local()).then_some(url);
    let mut cleanup = crate::owner::Cleanup::default();
    match store::remove_leftovers(&project.backups_dir) {
        Ok(found) => cleanup.merge(found),
        Err(error) => warn_unlisted(printer, &error)?,
    }
    if let Some(url) = url {
        match crate::restore::replay::remove_leftover_databases(url).await {
            Ok(found) => cleanup.merge(found),
            Err(crate::restore::RestoreError::Connect(_)) => {}
            Err(error) => printer.err_line(format_args!(
                "warning: could not look for leftover scratch databases: {error}"
            ))?,
        }
    }
    report_cleanup(&cleanup, false, printer)
}

/// [`clean_leftovers`] of the store only, for `prune`; with `dry_run` it only says what it
/// would remove.
pub(super) fn clean_store_leftovers(
    project: &Project,
    dry_run: bool,
    printer: Printer,
) -> Result<(), super::OutputError> {
    let found = if dry_run {
        store::leftovers(&project.backups_dir).map(|removed| crate::owner::Cleanup {
            removed,
            failed: Vec::new(),
        })
    } else {
        store::remove_leftovers(&project.backups_dir)
    };
    match found {
        Ok(cleanup) => report_cleanup(&cleanup, dry_run, printer),
        Err(error) => warn_unlisted(printer, &error),
    }
}

fn warn_unlisted(
    printer: Printer,
    error: &crate::snapshot::SnapshotError,
) -> Result<(), super::OutputError> {
    printer.err_line(format_args!(
        "warning: could not look for leftovers of interrupted runs: {error}"
    ))
}

fn report_cleanup(
    cleanup: &crate::owner::Cleanup,
    dry_run: bool,
    printer: Printer,
) -> Result<(), super::OutputError> {
    if let Some(line) = render::leftovers::removed_line(&cleanup.removed, dry_run) {
        printer.err_line(line)?;
    }
    for (leftover, error) in &cleanup.failed {
        printer.err_line(render::leftovers::failed_line(leftover, error))?;
    }
    Ok(())
}
