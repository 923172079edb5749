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
/// command's own codes (see [`exit`]), 1 after reporting an error, 141 when stdout was closed,
/// and after SIGINT, SIGTERM or SIGHUP those of [`Interrupted`].
pub fn run(cli: Cli) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the Tokio runtime starts");
    // SIGINT (Ctrl-C), SIGTERM and SIGHUP drop the running command: a snapshot in progress
    // removes its temporary folder, a restore's transaction is rolled back, a scratch database
    // is dropped. The handlers are installed before the command starts.
    let outcome = runtime.block_on(async { dispatch(cli, Printer, Signals::install()).await });
    match outcome {
        Ok(code) => code,
        Err(error) => fail(&error),
    }
}

/// The command was stopped by a signal; everything unfinished was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "interrupted by {name}; nothing unfinished was kept (no partial snapshot, restore or scratch database)",
    name = self.name()
)]
pub enum Interrupted {
    /// SIGINT: Ctrl-C. Exit code [`exit::INTERRUPTED`].
    Interrupt,
    /// SIGTERM: `kill`, `timeout`, a cancelled CI job. Exit code [`exit::TERMINATED`].
    Terminate,
    /// SIGHUP: the terminal was closed. Exit code [`exit::HANGUP`].
    Hangup,
}

impl Interrupted {
    /// The signal's name: `SIGINT (Ctrl-C)`, `SIGTERM`, `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            Interrupted::Interrupt => "SIGINT (Ctrl-C)",
            Interrupted::Terminate => "SIGTERM",
            Interrupted::Hangup => "SIGHUP",
        }
    }

    /// The exit code after this signal.
    pub fn exit_code(self) -> u8 {
        match self {
            Interrupted::Interrupt => exit::INTERRUPTED,
            Interrupted::Terminate => exit::TERMINATED,
            Interrupted::Hangup => exit::HANGUP,
        }
    }
}

/// The three signals that stop a command, each registered with Tokio once installed (one that
/// cannot be registered is never received).
struct Signals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
            hangup: signal(SignalKind::hangup()).ok(),
        }
    }

    /// The first of the signals to arrive.
    async fn received(mut self) -> Interrupted {
        async fn next(signal: &mut Option<tokio::signal::unix::Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = next(&mut self.interrupt) => Interrupted::Interrupt,
            _ = next(&mut self.terminate) => Interrupted::Terminate,
            _ = next(&mut self.hangup) => Interrupted::Hangup,
        }
    }
}

/// Runs the command until it ends or a signal stops it, then sends the notification its outcome
/// asks for ([`crate::notify`]).
async fn dispatch(cli: Cli, printer: Printer, signals: Signals) -> anyhow::Result<ExitCode> {
    let stopped = |signal| Err(anyhow::Error::new(signal));
    if let Command::Demo = cli.command {
        // Never the app's own database: only a server named explicitly for the demo.
        return tokio::select! {
            result = commands::demo::run(cli.global.database_url, printer) => result,
            signal = signals.received() => stopped(signal),
        };
    }
    let project = open_project(cli.global)?;
    let notified = commands::notify::name(&cli.command);
    let result = tokio::select! {
        result = command(&project, cli.command, printer) => result,
        signal = signals.received() => stopped(signal),
    };
    if let Some(name) = notified {
        commands::notify::after(&project, name, &result, printer).await;
    }
    result
}

async fn command(project: &Project, command: Command, p: Printer) -> anyhow::Result<ExitCode> {
    match command {
        Command::Status(args) => commands::status::run(project, args, p).await,
        Command::PreMigrate(args) => commands::pre_migrate::run(project, args, p).await,
        Command::Predict(args) => commands::predict::run(project, args, p).await,
        Command::Snapshot(args) => commands::snapshot::run(project, args, p).await,
        Command::Snapshots(args) => commands::snapshots::run(project, args, p).await,
        Command::Restore(args) => commands::restore::run(project, args, p).await,
        Command::Rollback(args) => commands::rollback::run(project, args, p).await,
        Command::Prune(args) => commands::prune::run(project, args, p).await,
        Command::Reset(args) => commands::reset::run(project, args, p).await,
        Command::Hooks(args) => commands::hooks::run(project, args, p),
        Command::Schedule(args) => commands::schedule::run(project, args, p).await,
        Command::Demo => unreachable!("handled above"),
    }
}

fn open_project(global: GlobalArgs) -> anyhow::Result<Project> {
    let cwd = std::env::current_dir().context("reading the current folder")?;
    let start_dir = Utf8PathBuf::from_path_buf(cwd)
        .map_err(|p| anyhow::anyhow!("the current folder {} is not UTF-8", p.display()))?;
    Ok(Project::open(global.project_options(start_dir))?)
}

/// Reports `error` on stderr (`error:`, `caused by:`, `hint:`) and returns exit code 1, or
/// [`Interrupted::exit_code`] for a signal; when the error is a closed stdout
/// ([`OutputError::is_closed_pipe`]) it reports nothing and returns 141.
pub fn fail(error: &anyhow::Error) -> ExitCode {
    let closed = error.chain().any(|cause| {
        cause
            .downcast_ref::<OutputError>()
            .is_some_and(OutputError::is_closed_pipe)
    });
    if closed {
        return ExitCode::from(exit::CLOSED_PIPE);
    }
    // stderr itself may be gone (SIGHUP: the terminal closed): there is nowhere left to report.
    let _ = Printer.err(report(error));
    let signal = error.chain().find_map(|c| c.downcast_ref::<Interrupted>());
    ExitCode::from(signal.map_or(exit::ERROR, |s| s.exit_code()))
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
