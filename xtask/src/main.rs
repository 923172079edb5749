//! The `cargo xtask` binary: parse, resolve the project once, dispatch, report errors with a
//! hint, and return the exit code. All work happens in the `xtask` library.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod ui;

use std::process::ExitCode;

use anyhow::Context;
use camino::Utf8PathBuf;
use clap::Parser;
use xtask::project::{Project, ProjectOptions};

use cli::{Cli, Command, StatusArgs};

/// Exit code for errors.
const EXIT_ERROR: u8 = 1;
/// `--check`: migrations are pending, nothing else is wrong.
const EXIT_PENDING: u8 = 10;
/// `--check`: failed, edited, missing-locally or diverged migrations.
const EXIT_PROBLEMS: u8 = 11;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the Tokio runtime starts");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            report(&error);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let project = open_project(cli.global)?;
    match cli.command {
        Command::Status(args) => status(&project, args).await,
    }
}

fn open_project(global: cli::GlobalArgs) -> anyhow::Result<Project> {
    let cwd = std::env::current_dir().context("reading the current folder")?;
    let start_dir = Utf8PathBuf::from_path_buf(cwd)
        .map_err(|p| anyhow::anyhow!("the current folder {} is not UTF-8", p.display()))?;
    Ok(Project::open(ProjectOptions {
        project_dir: global.project_dir,
        prisma_dir: global.prisma_dir,
        backups_dir: global.backups_dir,
        database_url: global.database_url,
        start_dir,
    })?)
}

async fn status(project: &Project, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let url = project.database_url()?;
    let mut conn = url.connect().await?;
    let report =
        xtask::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?;
    if args.json {
        println!("{}", ui::status_json(&report, project, &url));
    } else {
        println!(
            "database    {} (schema {}, from {})",
            url.redacted(),
            url.schema(),
            url.source()
        );
        println!(
            "migrations  {}\n",
            project.display_path(&project.migrations_dir())
        );
        print!("{}", ui::status_table(&report));
        println!("\n{}", ui::status_summary(&report, url.schema()));
        for warning in ui::status_warnings(&report) {
            eprintln!("warning: {warning}");
        }
    }
    let code = match (args.check, report.has_problems(), report.unapplied().next()) {
        (false, _, _) => 0,
        (true, true, _) => EXIT_PROBLEMS,
        (true, false, Some(_)) => EXIT_PENDING,
        (true, false, None) => 0,
    };
    Ok(ExitCode::from(code))
}

/// Prints `error: …` with its causes, then a `hint: …` when the library knows what to do.
fn report(error: &anyhow::Error) {
    eprintln!("error: {error}");
    // Drivers often repeat their cause inside their own message: show each text once.
    let mut shown = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !shown.ends_with(&text) {
            eprintln!("  caused by: {text}");
        }
        shown = text;
    }
    if let Some(hint) = hint(error) {
        eprintln!("hint: {hint}");
    }
}

fn hint(error: &anyhow::Error) -> Option<String> {
    use xtask::{cluster, config, database, migrations};
    error.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<database::DatabaseError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<config::ConfigError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<migrations::StatusError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<migrations::FolderError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<migrations::DeployError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<cluster::ClusterError>() {
            e.hint()
        } else {
            None
        }
    })
}
