//! `predict`: what the pending migrations will do to this data, from a snapshot (given, the
//! newest matching one, or a fresh one), for CI jobs; and the prediction `pre-migrate` makes.

use std::process::ExitCode;

use clap::Args;

use crate::cli::exit;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::predict::{self, Outcome, PredictOptions, Prediction};
use crate::project::Project;
use crate::snapshot::Manifest;
use crate::workflows::{self, PreMigrate};

pub(crate) const PREDICT_EXIT_CODES: &str = "\
Exit codes:
  0   success (the prediction was made, or nothing is pending)
  1   error (the scratch database cannot be created, the snapshot cannot be rebuilt, ...)
  2   usage error
  12  with --check: the migrations would lose data (rows, tables or values)
  13  with --check: a migration would fail on this data";

/// `prisma-guard predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The snapshot to predict from [default: the newest `pre-migrate` or `pre-push` snapshot
    /// naming exactly today's pending migrations, if the data is unchanged since; else a fresh
    /// `pre-migrate` snapshot].
    #[arg(value_name = "SNAPSHOT_ID")]
    pub id: Option<String>,
    /// Exit with 12 when data would be lost and 13 when a migration would fail.
    #[arg(long)]
    pub check: bool,
    /// Print `{"prediction": …}` as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Parallel connections reading tables, when a snapshot is taken.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,
}

/// `prisma-guard predict`.
pub(crate) async fn run(
    project: &Project,
    args: PredictArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let url = project.database_url()?;
    super::clean_leftovers(project, &url, true, printer).await?;
    let status = {
        let mut conn = url.connect().await?;
        crate::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?
    };
    printer.warn_all(&render::status::status_warnings(&status))?;
    if status.unapplied().next().is_none() {
        if args.json {
            printer.line(render::predict::prediction_json(None))?;
        } else {
            printer.line("nothing pending: there is nothing to predict")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (snapshot, source) = match &args.id {
        Some(id) => (
            super::snapshots_remote::find_or_pull(project, id, printer).await?,
            "given",
        ),
        None => {
            let options = super::snapshot_options(project, "pre-migrate", args.jobs);
            let progress = render::SnapshotProgress::new();
            let taken = workflows::pre_migrate::snapshot_pending(
                project, &url, status, &options, &progress, true,
            )
            .await?;
            progress.finish();
            let PreMigrate::Taken {
                manifest, reused, ..
            } = taken
            else {
                unreachable!("snapshot_pending always snapshots")
            };
            let source = if reused { "reused" } else { "taken now" };
            (
                crate::snapshot::find(&project.backups_dir, &manifest.id)?,
                source,
            )
        }
    };
    printer.err_line(format_args!(
        "predicting from snapshot {} ({source})",
        snapshot.manifest.id
    ))?;
    let migrations_dir = project.migrations_dir();
    let options = PredictOptions {
        migrations_dir: &migrations_dir,
        statements: project.migration_statements(),
    };
    let prediction = predict::predict(&url, &snapshot, &options).await?;
    if args.json {
        printer.line(render::predict::prediction_json(Some(&prediction)))?;
    } else {
        printer.out(render::predict::prediction_text(&prediction))?;
    }
    let code = match args.check {
        true => render::predict::check_code(&prediction).unwrap_or(exit::SUCCESS),
        false => exit::SUCCESS,
    };
    Ok(ExitCode::from(code))
}

/// `pre-migrate`'s prediction after its snapshot: the per-migration report on stdout (unless
/// `json`), a skip or a failure as one line on stderr — never the command's error, since the
/// snapshot stands.
pub(super) async fn before_migrating(
    project: &Project,
    url: &crate::database::DatabaseUrl,
    manifest: &Manifest,
    json: bool,
    printer: Printer,
) -> anyhow::Result<Option<Prediction>> {
    let snapshot = crate::snapshot::find(&project.backups_dir, &manifest.id)?;
    match predict::before_migrating(project, url, &snapshot).await {
        Ok(Outcome::Predicted(prediction)) => {
            if !json {
                printer.out(render::predict::prediction_text(&prediction))?;
            }
            Ok(Some(*prediction))
        }
        Ok(Outcome::Skipped(skip)) => {
            printer.err_line(render::predict::skip_note(&skip, &manifest.id))?;
            Ok(None)
        }
        Err(error) => {
            let hint = crate::error::hint(&error)
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            printer.err_line(format_args!(
                "warning: the prediction failed: {error}{hint}; the snapshot {} is kept",
                manifest.id
            ))?;
            Ok(None)
        }
    }
}
