//! Workflows: compositions of status, snapshot and deploy that the commands run.
//!
//! - [`pre_migrate`](mod@pre_migrate): status, snapshot, applying migrations, lost-data report.
//! - [`hooks`]: the git `pre-push` hook (install, uninstall, status) and its migration check.
//! - [`reset`](mod@reset) and [`seed`]: the local dev reset, and the app's seed it runs.

pub mod demo;
pub mod hooks;
pub mod pre_migrate;
pub mod reset;
pub mod seed;

pub use pre_migrate::{Applied, Loss, MigrateCommand, PreMigrate, apply, losses, pre_migrate};

/// Errors from a workflow: whatever its parts report, plus running the user's commands.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] crate::database::DatabaseError),
    /// Reading migration status failed.
    #[error(transparent)]
    Status(#[from] crate::migrations::StatusError),
    /// Taking or reading a snapshot failed.
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    /// The built-in deploy failed.
    #[error(transparent)]
    Deploy(#[from] crate::migrations::DeployError),
    /// A query failed.
    #[error(transparent)]
    Database(#[from] crate::error::QueryError),
    /// `migrate-command` cannot be parsed.
    #[error("cannot parse the command `{command}`: {problem}")]
    BadCommand {
        /// The command as configured.
        command: String,
        /// What is wrong.
        problem: String,
    },
    /// A file could not be read or written.
    // Not transparent: the IoError stays in the chain, so its hint is found.
    #[error("{0}")]
    Io(#[from] crate::error::IoError),
    /// `reset` was pointed at a database on another machine.
    #[error(transparent)]
    NotLocal(#[from] crate::database::NotLocal),
    /// The user's command failed.
    #[error("`{command}` failed:\n{output}")]
    CommandFailed {
        /// The command.
        command: String,
        /// What it printed.
        output: String,
    },
}

impl crate::error::Hint for WorkflowError {
    fn hint(&self) -> Option<String> {
        match self {
            WorkflowError::Connect(e) => e.hint(),
            WorkflowError::Status(e) => e.hint(),
            WorkflowError::Snapshot(e) => e.hint(),
            WorkflowError::Deploy(e) => e.hint(),
            WorkflowError::Database(_) | WorkflowError::Io(_) => None,
            WorkflowError::NotLocal(e) => e.hint(),
            WorkflowError::BadCommand { .. } => Some("fix migrate-command in [workspace.metadata.prisma-guard]".into()),
            WorkflowError::CommandFailed { .. } => Some(
                "the snapshot was taken before the command ran; `prisma-guard restore` puts the data back".into(),
            ),
        }
    }
}
