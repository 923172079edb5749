//! The benchmark of issue 7: this tool against `pg_dump`/`pg_restore` on the same generated
//! database, timed side by side and interleaved.
//!
//! - [`generate`](mod@generate): the deterministic Prisma-style database at a scale factor.
//! - [`run`](mod@run): the benchmark itself ([`run::run`]), returning a [`run::BenchReport`] of
//!   figures (median, min, max) and ratios against the targets. It never prints.

pub mod generate;
pub mod run;

pub use run::{BenchOptions, BenchProgress, BenchReport, run};

use camino::{Utf8Path, Utf8PathBuf};
use prisma_guard::error::Hint;

/// Errors of the generator and the benchmark.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] prisma_guard::database::DatabaseError),
    /// The embedded migrations folder could not be read back.
    #[error(transparent)]
    Migrations(prisma_guard::migrations::FolderError),
    /// The built-in deploy failed.
    #[error(transparent)]
    Deploy(#[from] prisma_guard::migrations::DeployError),
    /// A query failed.
    #[error("{action}")]
    Database {
        /// What was being done.
        action: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A file or folder could not be read or written.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: Utf8PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A measured program failed or could not be started.
    #[error("`{command}` failed ({status}): {output}")]
    Command {
        /// The program and its arguments (no password).
        command: String,
        /// Its exit status, or why it could not start.
        status: String,
        /// The end of what it printed on stderr.
        output: String,
    },
    /// `pg_dump`/`pg_restore` are not in the server's bin folder.
    #[error("no {tool} in {dir}")]
    NoTool {
        /// The program looked for.
        tool: &'static str,
        /// Where it was looked for.
        dir: Utf8PathBuf,
    },
    /// A restore did not reproduce the source data.
    #[error("{restorer} did not restore the data identically: {difference}")]
    Mismatch {
        /// Which restore.
        restorer: String,
        /// The first table that differs, and how.
        difference: String,
    },
}

impl BenchError {
    /// What the user should do next, for the binary's `hint:` line.
    pub fn hint(&self) -> Option<String> {
        match self {
            BenchError::Connect(e) => e.hint(),
            BenchError::Migrations(e) => e.hint(),
            BenchError::Deploy(e) => e.hint(),
            BenchError::NoTool { .. } => Some(
                "install the PostgreSQL client programs of the server's version (`apt-get install postgresql-client`)".into(),
            ),
            BenchError::Mismatch { .. } => Some(
                "this is a bug in the restore that was measured: report it with the scale used".into(),
            ),
            BenchError::Command { .. } => {
                Some("see the program's output above; the benchmark's databases were dropped".into())
            }
            BenchError::Database { .. } | BenchError::Io { .. } => None,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: &Utf8Path,
    ) -> impl FnOnce(std::io::Error) -> BenchError {
        let path = path.to_owned();
        move |source| BenchError::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn database(action: &str) -> impl FnOnce(sqlx::Error) -> BenchError {
        let action = action.to_string();
        move |source| BenchError::Database { action, source }
    }
}
