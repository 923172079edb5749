//! The `cargo xtask` binary: parse, resolve the project once, dispatch, report errors with a
//! hint, and return the exit code. All work happens in the `xtask` library.

#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod args;
mod commands;
mod ui;

pub use ui::render;

use std::process::ExitCode;

use crate::project::{Project, ProjectOptions};
use anyhow::Context;
use camino::Utf8PathBuf;
use clap::Parser;

pub use args::{Cli, Command, GlobalArgs};
use commands::EXIT_ERROR;

/// The whole command line: parse `std::env::args`, run, report; what a user's xtask `main` calls.
pub fn main() -> ExitCode {
    run(Cli::parse())
}

/// Runs a parsed command line (for an xtask that nests [`Command`] in its own enum).
pub fn run(cli: Cli) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the Tokio runtime starts");
    // Ctrl-C drops the running command: a snapshot in progress removes its temporary folder, a
    // restore's transaction is rolled back, a scratch database is dropped.
    let interruptible = async {
        tokio::select! {
            result = dispatch(cli) => result,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!(
                "interrupted; nothing unfinished was kept (no partial snapshot, restore or scratch database)"
            )),
        }
    };
    // `print!` panics when stdout is a closed pipe (`cargo xtask status | head -3`): unwind
    // (so the running command is dropped and cleans up as on Ctrl-C), then exit quietly with
    // 141, as a process killed by SIGPIPE does.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_broken_pipe(info.payload()) {
            default_hook(info);
        }
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(interruptible)
    }));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(error)) => fail(&error),
        Err(payload) if is_broken_pipe(payload.as_ref()) => ExitCode::from(141),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Whether a panic is `print!`'s "failed printing to stdout: Broken pipe".
fn is_broken_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied());
    text.is_some_and(|t| t.contains("failed printing to") && t.contains("Broken pipe"))
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Demo = cli.command {
        // Never the app's own database: only a URL given explicitly for the demo.
        return commands::demo(cli.global.database_url).await;
    }
    let project = open_project(cli.global)?;
    match cli.command {
        Command::Status(args) => commands::status(&project, args).await,
        Command::PreMigrate(args) => commands::pre_migrate(&project, args).await,
        Command::Snapshot(args) => commands::snapshot(&project, args).await,
        Command::Snapshots(args) => commands::snapshots(&project, args).await,
        Command::Restore(args) => commands::restore(&project, args).await,
        Command::Rollback(args) => commands::rollback(&project, args).await,
        Command::Prune(args) => commands::prune(&project, args),
        Command::Reset(args) => commands::reset(&project, args).await,
        Command::Demo => unreachable!("handled above"),
        Command::Hooks(args) => commands::hooks(&project, args),
    }
}

fn open_project(global: GlobalArgs) -> anyhow::Result<Project> {
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

pub(crate) fn hint(error: &anyhow::Error) -> Option<String> {
    crate::error::hint(error.as_ref())
}

/// Reports `error` on stderr (`error:`, `caused by:`, `hint:`) and returns exit code 1.
pub fn fail(error: &anyhow::Error) -> ExitCode {
    report(error);
    ExitCode::from(EXIT_ERROR)
}
