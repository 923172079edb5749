//! `status`: which migrations are applied, pending, failed, edited or missing locally.

use std::process::ExitCode;

use clap::Args;

use crate::cli::exit;
use crate::cli::printer::Printer;
use crate::cli::render;
use crate::project::Project;

pub(crate) const STATUS_EXIT_CODES: &str = "\
Exit codes:
  0   success (with --check: nothing pending and nothing wrong)
  1   error (no database, no migrations folder, ...)
  2   usage error
  10  with --check: migrations are pending (or rolled back), nothing else is wrong
  11  with --check: a migration is failed, edited or missing locally, or the histories diverge";

/// `prisma-guard status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Exit with 10 when migrations are pending and 11 when any is failed, edited or missing
    /// locally (see the exit codes below).
    #[arg(long)]
    pub check: bool,
}

/// `prisma-guard status`.
pub(crate) async fn run(
    project: &Project,
    args: StatusArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    let url = project.database_url()?;
    let tracked = super::tracked_snapshots(project);
    // Two connections, so that the server reads `_prisma_migrations` and the catalog at once.
    let migrations = async {
        let mut conn = url.connect().await?;
        anyhow::Ok(
            crate::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?,
        )
    };
    let catalog = async {
        let mut conn = url.connect().await?;
        // Names and columns are all the groups look at.
        let tables = crate::catalog::table_columns(&mut conn, url.schema()).await?;
        let enums = crate::catalog::enums(&mut conn, url.schema()).await?;
        let groups = crate::restore::groups::resolve(&project.config, &tables, &enums);
        let counts =
            crate::restore::groups::count_filtered(&mut conn, url.schema(), &groups).await?;
        anyhow::Ok((groups, counts))
    };
    let (report, catalog) = tokio::join!(migrations, catalog);
    let (report, (groups, counts)) = (report?, catalog?);
    let lint = crate::lint::pending(project, &report)?;
    if args.json {
        printer.line(render::status::status_json(
            &report, &groups, &counts, &lint, project, &url,
        ))?;
    } else {
        printer.out(render::status::database_header(project, &url))?;
        printer.out(render::status::status_table(&report))?;
        printer.line(format_args!(
            "\n{}",
            render::status::status_summary(&report, url.schema())
        ))?;
        if !lint.findings.is_empty() {
            printer.out(format_args!("\n{}", render::lint::findings_text(&lint)))?;
        }
        printer.out(format_args!(
            "\n{}",
            render::status::groups_text(&groups, &counts)
        ))?;
        printer.warn_all(&render::status::status_warnings(&report))?;
    }
    let tracked = tracked.await.unwrap_or_default();
    super::warn_tracked(project, printer, &tracked)?;
    match super::schedule::overdue_warning(project) {
        Ok(Some(warning)) => printer.err_line(warning)?,
        Ok(None) => {}
        Err(error) => printer.err_line(format_args!("warning: {error}"))?,
    }
    let code = match (args.check, report.has_problems(), report.unapplied().next()) {
        (false, _, _) => 0,
        (true, true, _) => exit::PROBLEMS,
        (true, false, Some(_)) => exit::PENDING,
        (true, false, None) => 0,
    };
    Ok(ExitCode::from(code))
}
