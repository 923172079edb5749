//! `migration-info.json`, the sidecar: the migration history at the time of the snapshot, the
//! git state, and the command that took it — what a restore needs to know what changed since.

use camino::Utf8Path;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::migrations::{MigrationState, MigrationStatus, StatusReport};

/// The sidecar's file name inside a snapshot folder.
pub const SIDECAR_FILE: &str = "migration-info.json";

/// The whole sidecar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationInfo {
    /// The snapshot it belongs to.
    pub snapshot_id: String,
    /// Why the snapshot was taken.
    pub reason: String,
    /// When.
    pub taken_at: DateTime<Utc>,
    /// The command line that took it, e.g. `prisma-guard pre-migrate`.
    pub command: String,
    /// Whether `_prisma_migrations` existed.
    pub migrations_table: bool,
    /// Applied migrations, in order.
    pub applied: Vec<MigrationRecord>,
    /// Pending migrations (no row), in order.
    pub pending: Vec<MigrationRecord>,
    /// Failed migrations.
    pub failed: Vec<MigrationRecord>,
    /// Applied migrations whose file changed since.
    pub edited: Vec<MigrationRecord>,
    /// Migrations with only rolled-back rows.
    pub rolled_back: Vec<MigrationRecord>,
    /// Migrations in the database whose folder is gone.
    pub missing_locally: Vec<MigrationRecord>,
    /// The git state of the project, absent outside a git repository.
    pub git: Option<GitInfo>,
}

/// One migration in the sidecar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationRecord {
    /// The folder name.
    pub name: String,
    /// The checksum recorded in `_prisma_migrations` (absent when pending).
    pub checksum: Option<String>,
    /// The checksum of the local file (absent when missing locally).
    pub local_checksum: Option<String>,
    /// When it finished applying.
    pub finished_at: Option<DateTime<Utc>>,
}

/// The git state of the project when the snapshot was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitInfo {
    /// The branch (`HEAD` when detached).
    pub branch: String,
    /// The commit SHA.
    pub commit: String,
    /// Whether the work tree had uncommitted changes.
    pub dirty: bool,
}

impl MigrationInfo {
    /// Builds the sidecar from a status report.
    pub fn new(
        report: &StatusReport,
        snapshot_id: &str,
        reason: &str,
        command: &str,
        git: Option<GitInfo>,
    ) -> MigrationInfo {
        let list = |state: MigrationState| report.in_state(state).map(record).collect();
        MigrationInfo {
            snapshot_id: snapshot_id.to_string(),
            reason: reason.to_string(),
            taken_at: Utc::now(),
            command: command.to_string(),
            migrations_table: report.migrations_table,
            applied: list(MigrationState::Applied),
            pending: list(MigrationState::Pending),
            failed: list(MigrationState::Failed),
            edited: list(MigrationState::Edited),
            rolled_back: list(MigrationState::RolledBack),
            missing_locally: list(MigrationState::MissingLocally),
            git,
        }
    }

    /// Pending plus rolled-back migrations: what `prisma migrate deploy` would have applied.
    pub fn unapplied(&self) -> impl Iterator<Item = &MigrationRecord> {
        self.pending.iter().chain(&self.rolled_back)
    }
}

fn record(status: &MigrationStatus) -> MigrationRecord {
    MigrationRecord {
        name: status.name.clone(),
        checksum: status.recorded_checksum.clone(),
        local_checksum: status.local_checksum.clone(),
        finished_at: status.applied_at,
    }
}

/// Reads the git branch, commit and dirtiness of the repository around `dir` with the `git`
/// command; `None` outside a git repository or without git.
pub fn git_info(dir: &Utf8Path) -> Option<GitInfo> {
    let sh = xshell::Shell::new().ok()?;
    sh.change_dir(dir);
    let read = |args: &[&str]| {
        xshell::cmd!(sh, "git {args...}")
            .quiet()
            .ignore_stderr()
            .read()
            .ok()
    };
    let commit = read(&["rev-parse", "HEAD"])?;
    let branch = read(&["rev-parse", "--abbrev-ref", "HEAD"])?;
    let dirty = !read(&["status", "--porcelain"])?.is_empty();
    Some(GitInfo {
        branch,
        commit,
        dirty,
    })
}
