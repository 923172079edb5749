//! `snapshot`: take a snapshot now.

use std::process::ExitCode;

use clap::Args;

use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;
use crate::snapshot;

/// `prisma-guard snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// A label kept in the manifest and the snapshot's name.
    #[arg(long)]
    pub tag: Option<String>,
    /// Keep this snapshot forever: `prune` never removes it.
    #[arg(long)]
    pub keep: bool,
    /// Why it is taken; part of the name.
    #[arg(long, default_value = "manual")]
    pub reason: String,
    /// Only these tables (comma-separated, exact names).
    #[arg(long, value_delimiter = ',', value_name = "TABLE,..")]
    pub tables: Vec<String>,
    /// Leave these tables out (comma-separated, exact names).
    #[arg(long, value_delimiter = ',', value_name = "TABLE,..")]
    pub exclude: Vec<String>,
    /// Keep no snapshot when the data equals the newest snapshot's (compared by content
    /// fingerprint, after reading everything).
    #[arg(long)]
    pub if_changed: bool,
    /// Print the manifest summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Print nothing on success (errors still go to stderr, with a non-zero exit code): for
    /// cron, which mails any output.
    #[arg(long, conflicts_with = "json")]
    pub quiet: bool,
    /// Parallel connections reading tables.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,
}

/// `prisma-guard snapshot`.
pub(crate) async fn run(
    project: &Project,
    args: SnapshotArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let mut options = super::snapshot_options(project, &args.reason, args.jobs);
    options.tag = args.tag;
    options.keep = args.keep;
    options.tables = args.tables;
    options.exclude = args.exclude;
    let started = std::time::Instant::now();
    let taken = if args.quiet {
        take_with(
            project,
            &options,
            args.if_changed,
            &snapshot::NoProgress,
            None,
        )
        .await?
    } else {
        let progress = render::SnapshotProgress::new();
        let taken = take_with(project, &options, args.if_changed, &progress, Some(printer)).await?;
        progress.finish();
        taken
    };
    let took = taken.as_ref().map(|m| m.id.clone());
    if args.quiet {
        if let Some(id) = took {
            super::auto_prune_quietly(project)?;
            super::snapshots_remote::auto_push_quietly(project, &id).await?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    match taken {
        None => {
            let latest = snapshot::latest(&project.backups_dir)?;
            printer.line(format_args!(
                "unchanged: the data equals snapshot {}; no snapshot taken",
                latest.manifest.id
            ))?;
        }
        Some(manifest) if args.json => {
            printer.line(render::snapshot::manifest_summary_json(&manifest))?
        }
        Some(manifest) => printer.out(render::snapshot::saved_text(
            project,
            &manifest,
            started.elapsed(),
        ))?,
    }
    if let Some(id) = took {
        super::auto_prune(project, printer)?;
        super::snapshots_remote::auto_push(project, &id, printer).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `snapshot --if-changed --quiet` with `reason`, for `schedule run`: the manifest when one was
/// taken, `None` when the data was unchanged. Prints nothing; leftovers of ended runs in the
/// store are removed without a word.
pub(crate) async fn take_quietly(
    project: &Project,
    reason: &str,
) -> anyhow::Result<Option<snapshot::Manifest>> {
    let options = super::snapshot_options(project, reason, 2);
    take_with(project, &options, true, &snapshot::NoProgress, None).await
}

async fn take_with(
    project: &Project,
    options: &snapshot::SnapshotOptions,
    if_changed: bool,
    progress: &dyn snapshot::Progress,
    report_cleanup: Option<Printer>,
) -> anyhow::Result<Option<snapshot::Manifest>> {
    let url = project.database_url()?;
    let status = {
        let mut conn = url.connect().await?;
        crate::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?
    };
    let store = &project.backups_dir;
    match report_cleanup {
        Some(printer) => super::clean_leftovers(project, &url, false, printer).await?,
        // Quiet: the store's leftovers only, without a word (a failure shows up below).
        None => drop(snapshot::remove_leftovers(store)),
    }
    Ok(if if_changed {
        snapshot::take_if_changed(&url, store, &status, options, progress).await?
    } else {
        Some(snapshot::take(&url, store, &status, options, progress).await?)
    })
}
