//! Running the measured programs as child processes: wall time, peak RSS (see [`super::rss`]),
//! stdout kept, stderr's end in the error; our binary in the project, `pg_dump`/`pg_restore` with
//! the password out of the command line.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use camino::Utf8Path;
use prisma_guard::database::DatabaseUrl;

use super::BenchOptions;
use super::rss::PeakRss;
use crate::bench::BenchError;

/// What one child process did.
pub(super) struct ChildRun {
    /// From start to exit.
    pub(super) wall: Duration,
    /// Peak resident memory, KiB, when it could be sampled.
    pub(super) peak_rss_kib: Option<u64>,
    /// The size of what it produced, set by the caller.
    pub(super) bytes: Option<u64>,
    /// Everything it printed on stdout.
    pub(super) stdout: String,
}

/// A [`BenchError::Command`] for `command`, with the end (2,000 characters) of `output`.
pub(super) fn command_error(command: &str, status: &str, output: &str) -> BenchError {
    let tail: String = {
        let chars: Vec<char> = output.chars().collect();
        chars[chars.len().saturating_sub(2000)..].iter().collect()
    };
    BenchError::Command {
        command: command.to_string(),
        status: status.to_string(),
        output: tail.trim().to_string(),
    }
}

/// Runs `command` to its end with stdin empty, measuring wall time and peak RSS (`VmHWM`,
/// sampled every millisecond). Fails unless it exits with 0.
pub(super) fn run_child(command: Command, what: &str) -> Result<ChildRun, BenchError> {
    run_child_with_input(command, what, Stdio::null())
}

/// [`run_child`] with `stdin` as the child's standard input.
pub(super) fn run_child_with_input(
    mut command: Command,
    what: &str,
    stdin: Stdio,
) -> Result<ChildRun, BenchError> {
    command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| command_error(what, &format!("cannot start: {e}"), ""))?;
    let drain = |stream: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut stream) = stream {
                let _ = stream.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let mut peak = PeakRss::of(child.id());
    let status = loop {
        peak.sample();
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => return Err(command_error(what, &format!("cannot wait: {e}"), "")),
        }
    };
    let wall = started.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(command_error(what, &status.to_string(), &stderr));
    }
    Ok(ChildRun {
        wall,
        peak_rss_kib: peak.kib(),
        bytes: None,
        stdout,
    })
}

/// Our binary in `project`, against `url`.
pub(super) fn run_ours(
    command: Command,
    project: &Utf8Path,
    url: &DatabaseUrl,
    what: &str,
) -> Result<ChildRun, BenchError> {
    run_ours_with_input(command, project, url, what, Stdio::null())
}

/// [`run_ours`] with `stdin` as the child's standard input.
pub(super) fn run_ours_with_input(
    mut command: Command,
    project: &Utf8Path,
    url: &DatabaseUrl,
    what: &str,
    stdin: Stdio,
) -> Result<ChildRun, BenchError> {
    command
        .current_dir(project)
        .env("DATABASE_URL", url.expose_secret())
        .env_remove("DIRECT_URL")
        .env("NO_COLOR", "1");
    run_child_with_input(command, &format!("xtask {what}"), stdin)
}

/// A PostgreSQL client program from the server's bin folder, connecting to `url`: the password
/// goes in `PGPASSWORD`, never on the command line, and Prisma's `?schema=` is left out.
pub(super) fn pg_command(options: &BenchOptions, tool: &str, url: &DatabaseUrl) -> Command {
    let mut command = Command::new(options.pg_bin.join(tool));
    let (target, password) = match url::Url::parse(url.expose_secret()) {
        Ok(mut parsed) => {
            let password = parsed.password().map(str::to_string);
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            (parsed.to_string(), password)
        }
        Err(_) => (url.expose_secret().to_string(), None),
    };
    command.arg("--dbname").arg(target);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
}
