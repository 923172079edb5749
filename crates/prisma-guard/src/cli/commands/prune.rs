//! `prune`: remove old snapshots by a retention policy.

use std::process::ExitCode;

use clap::Args;

use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::{Project, RetentionFlags};
use crate::snapshot;

/// `prisma-guard prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Keep the N newest snapshots [default: config `keep-last`, else 10].
    #[arg(long, value_name = "N")]
    pub keep_last: Option<u32>,
    /// Keep the newest snapshot of each of the D most recent UTC days that have snapshots
    /// [default: config `keep-daily`, else 7].
    #[arg(long, value_name = "D")]
    pub keep_daily: Option<u32>,
    /// Keep the newest snapshot of each of the W most recent ISO weeks that have snapshots
    /// [default: config `keep-weekly`, else 4].
    #[arg(long, value_name = "W")]
    pub keep_weekly: Option<u32>,
    /// Keep the newest snapshot of each of the M most recent calendar months that have
    /// snapshots [default: config `keep-monthly`, else 12].
    #[arg(long, value_name = "M")]
    pub keep_monthly: Option<u32>,
    /// Keep the N newest safety snapshots (`pre-restore`, `pre-rollback`), which count for no
    /// other rule; any taken more than 7 days before the newest real snapshot goes
    /// [default: config `keep-safety`, else 3].
    #[arg(long, value_name = "N")]
    pub keep_safety: Option<u32>,
    /// List what would be removed and why each kept one is kept; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the decisions as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `prisma-guard prune`: flags over config over the defaults (10/7/4/12).
pub(crate) async fn run(
    project: &Project,
    args: PruneArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let policy = project.retention(RetentionFlags {
        keep_last: args.keep_last,
        keep_daily: args.keep_daily,
        keep_weekly: args.keep_weekly,
        keep_monthly: args.keep_monthly,
        keep_safety: args.keep_safety,
    });
    // `--remote` (global, with or without a URL): the same policy over the remote store.
    if project.remote_flag() {
        return remote(project, &policy, &args, printer).await;
    }
    super::clean_store_leftovers(project, args.dry_run, printer)?;
    let outcome = snapshot::prune(&project.backups_dir, &policy, args.dry_run)?;
    if args.json {
        printer.line(render::prune::prune_json(&outcome))?;
    } else if outcome.decisions.is_empty() {
        printer.line(format_args!(
            "no snapshots in {}",
            project.display_path(&project.backups_dir)
        ))?;
    } else {
        printer.out(render::prune::prune_text(&outcome, chrono::Utc::now()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `prune --remote`.
async fn remote(
    project: &Project,
    policy: &snapshot::Policy,
    args: &PruneArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let remote = super::snapshots_remote::require_remote(project)?;
    let now = chrono::Utc::now();
    let pruned = crate::remote::prune(&remote, policy, args.dry_run, now).await?;
    if args.json {
        printer.line(render::pretty(&serde_json::json!(pruned)))?;
        return Ok(ExitCode::SUCCESS);
    }
    if pruned.outcome.decisions.is_empty() {
        printer.line(format_args!("no snapshots in {}", remote.url()))?;
    } else {
        printer.out(render::prune::prune_text(&pruned.outcome, now))?;
    }
    if let Some(line) = render::remote::abandoned_line(&pruned.abandoned, args.dry_run) {
        printer.out(line)?;
    }
    Ok(ExitCode::SUCCESS)
}
