//! The command line (feature `cli`): parse, resolve the project once, dispatch one line per
//! command, report errors with a hint, return the exit code. The work is the engine's; this
//! module only turns flags into options, asks, and renders.
//!
//! A user's xtask is `fn main() -> ExitCode { prisma_guard::cli::main() }`; one with commands of
//! its own nests [`Command`] in its enum with `#[command(flatten)]` and calls [`run`].

pub mod args;
mod commands;
pub mod exit;
mod printer;
pub(crate) mod program;
mod prompt;
mod render;

use std::process::ExitCode;

use anyhow::Context;
use camino::Utf8PathBuf;

pub use args::{Cli, Command, GlobalArgs};
pub use printer::{OutputError, Printer};
pub use render::render;

use crate::project::Project;

/// The whole command line: parses `std::env::args`, runs, reports. What a user's xtask `main`
/// and the `prisma-guard` binary call.
pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let name = program::name();
    let matches = Cli::command().name(name).bin_name(name).get_matches();
    run(Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit()))
}

/// Runs a parsed command line on a Tokio runtime of its own and returns the exit code: 0, the
/// command's own codes (see [`exit`]), 1 after reporting an error, 141 when stdout was closed.
pub fn run(cli: Cli) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the Tokio runtime starts");
    // Ctrl-C drops the running command: a snapshot in progress removes its temporary folder, a
    // restore's transaction is rolled back, a scratch database is dropped.
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = dispatch(cli, Printer) => result,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!(
                "interrupted; nothing unfinished was kept (no partial snapshot, restore or scratch database)"
            )),
        }
    });
    match outcome {
        Ok(code) => code,
        Err(error) => fail(&error),
    }
}

async fn dispatch(cli: Cli, printer: Printer) -> anyhow::Result<ExitCode> {
    if let Command::Demo = cli.command {
        // Never the app's own database: only a server named explicitly for the demo.
        return commands::demo::run(cli.global.database_url, printer).await;
    }
    let project = open_project(cli.global)?;
    let p = printer;
    match cli.command {
        Command::Status(args) => commands::status::run(&project, args, p).await,
        Command::PreMigrate(args) => commands::pre_migrate::run(&project, args, p).await,
        Command::Snapshot(args) => commands::snapshot::run(&project, args, p).await,
        Command::Snapshots(args) => commands::snapshots::run(&project, args, p).await,
        Command::Restore(args) => commands::restore::run(&project, args, p).await,
        Command::Rollback(args) => commands::rollback::run(&project, args, p).await,
        Command::Prune(args) => commands::prune::run(&project, args, p),
        Command::Reset(args) => commands::reset::run(&project, args, p).await,
        Command::Hooks(args) => commands::hooks::run(&project, args, p),
        Command::Demo => unreachable!("handled above"),
    }
}

fn open_project(global: GlobalArgs) -> anyhow::Result<Project> {
    let cwd = std::env::current_dir().context("reading the current folder")?;
    let start_dir = Utf8PathBuf::from_path_buf(cwd)
        .map_err(|p| anyhow::anyhow!("the current folder {} is not UTF-8", p.display()))?;
    Ok(Project::open(global.project_options(start_dir))?)
}

/// Reports `error` on stderr (`error:`, `caused by:`, `hint:`) and returns exit code 1; when the
/// error is a closed stdout ([`OutputError::is_closed_pipe`]) it reports nothing and returns 141.
pub fn fail(error: &anyhow::Error) -> ExitCode {
    let closed = error.chain().any(|cause| {
        cause
            .downcast_ref::<OutputError>()
            .is_some_and(OutputError::is_closed_pipe)
    });
    if closed {
        return ExitCode::from(exit::CLOSED_PIPE);
    }
    // stderr itself may be gone: there is nowhere left to report to.
    let _ = Printer.err(report(error));
    ExitCode::from(exit::ERROR)
}

/// `error: …`, each cause once, then `hint: …` when the library knows what to do.
fn report(error: &anyhow::Error) -> String {
    let mut text = format!("error: {}\n", error);
    // Drivers often repeat their cause inside their own message: show each text once.
    let mut shown = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !shown.ends_with(&cause) {
            text += &format!("  caused by: {}\n", cause);
        }
        shown = cause;
    }
    if let Some(hint) = crate::error::hint(error.as_ref()) {
        text += &format!("hint: {}\n", hint);
    }
    text
}
