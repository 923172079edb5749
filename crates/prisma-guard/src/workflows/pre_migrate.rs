//! `pre-migrate`, the main job: when migrations are pending, snapshot the data (with a sidecar
//! naming them) before they run; optionally run them and report what the migration lost.

use std::time::{Duration, Instant};

use sqlx::PgConnection;

use super::WorkflowError;
use crate::catalog;
use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::migrations::{self, DeployOptions, StatusReport};
use crate::project::Project;
use crate::snapshot::{self, Manifest, Progress, SnapshotOptions};

/// What `pre-migrate` found and did.
#[derive(Debug)]
pub enum PreMigrate {
    /// Nothing pending (and no `--force`): no snapshot was taken.
    NothingPending {
        /// The migration status.
        status: StatusReport,
    },
    /// A snapshot was taken, or the newest one was reused because it holds the same data and
    /// names the same pending migrations.
    Taken {
        /// The migration status at the time (what the sidecar records).
        status: StatusReport,
        /// The snapshot's manifest.
        manifest: Box<Manifest>,
        /// How long the snapshot (or the comparison) took.
        elapsed: Duration,
        /// The newest snapshot was reused: no new one was kept.
        reused: bool,
    },
}

/// Runs status and, when any migration is pending or rolled back (or `force`), takes a snapshot
/// with the given options (reason normally `pre-migrate`).
///
/// A failed or edited migration does not stop it: the snapshot is still taken, and the status in
/// the result lets the caller warn. Errors: [`WorkflowError`] from status or snapshot.
pub async fn pre_migrate(
    project: &Project,
    url: &DatabaseUrl,
    force: bool,
    options: &SnapshotOptions,
    progress: &dyn Progress,
) -> Result<PreMigrate, WorkflowError> {
    let status = {
        let mut conn = url.connect().await?;
        migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?
    };
    if status.unapplied().next().is_none() && !force {
        return Ok(PreMigrate::NothingPending { status });
    }
    snapshot_pending(project, url, status, options, progress, !force).await
}

/// The reasons of the snapshots [`snapshot_pending`] may reuse: those it takes itself.
pub const REUSABLE_REASONS: [&str; 2] = ["pre-migrate", "pre-push"];

/// Snapshots for pending migrations. With `reuse`, when the newest snapshot in the store was
/// taken for pending migrations too ([`REUSABLE_REASONS`]) and names the same ones in its
/// sidecar, the data is read and compared with it by content fingerprint ([`snapshot::take_unless`]) and, when equal, that snapshot is returned with
/// `reused: true` instead of keeping a second identical one (`pre-migrate` then
/// `pre-migrate --apply`, or a pre-push hook on every push).
///
/// Errors: [`WorkflowError`] from the snapshot or the store.
pub async fn snapshot_pending(
    project: &Project,
    url: &DatabaseUrl,
    status: StatusReport,
    options: &SnapshotOptions,
    progress: &dyn Progress,
    reuse: bool,
) -> Result<PreMigrate, WorkflowError> {
    let started = Instant::now();
    let store = &project.backups_dir;
    let pending: Vec<&str> = status.unapplied().map(|m| m.name.as_str()).collect();
    let newest = snapshot::list(store)?.pop();
    // The newest snapshot, read once, is what the new data is compared with.
    let comparable = newest.as_ref().filter(|newest| {
        REUSABLE_REASONS.contains(&newest.manifest.reason.as_str())
            && newest.sidecar.as_ref().is_some_and(|sidecar| {
                sidecar
                    .pending
                    .iter()
                    .map(|m| m.name.as_str())
                    .eq(pending.iter().copied())
            })
    });
    let fingerprint = comparable
        .filter(|_| reuse)
        .map(|newest| newest.manifest.fingerprint.as_str());
    let taken = snapshot::take_unless(url, store, &status, options, progress, fingerprint).await?;
    let (manifest, reused) = match (taken, newest) {
        (Some(manifest), _) => (manifest, false),
        (None, Some(newest)) => (newest.manifest, true),
        (None, None) => unreachable!("nothing is reused from an empty store"),
    };
    Ok(PreMigrate::Taken {
        status,
        manifest: Box::new(manifest),
        reused,
        elapsed: started.elapsed(),
    })
}

/// How to apply migrations: `migrate-command` from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrateCommand {
    /// This tool's Prisma-compatible deploy (`builtin`).
    Builtin,
    /// A program and its arguments, e.g. `npx prisma migrate deploy`.
    External(Vec<String>),
}

/// The default `migrate-command`.
pub const DEFAULT_MIGRATE_COMMAND: &str = "npx prisma migrate deploy";

impl MigrateCommand {
    /// Parses a command line with shell quoting rules (no shell is run); `builtin` is the
    /// built-in deploy. Errors with [`WorkflowError::BadCommand`] for unbalanced quotes or an
    /// empty command.
    pub fn parse(text: &str) -> Result<MigrateCommand, WorkflowError> {
        if text.trim() == "builtin" {
            return Ok(MigrateCommand::Builtin);
        }
        let words = shell_words::split(text).map_err(|e| WorkflowError::BadCommand {
            command: text.to_string(),
            problem: e.to_string(),
        })?;
        if words.is_empty() {
            return Err(WorkflowError::BadCommand {
                command: text.to_string(),
                problem: "it is empty".into(),
            });
        }
        Ok(MigrateCommand::External(words))
    }

    /// How the command is shown to the user.
    pub fn display(&self) -> String {
        match self {
            MigrateCommand::Builtin => "builtin deploy".into(),
            MigrateCommand::External(words) => shell_words::join(words),
        }
    }
}

/// What applying the migrations did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Migrations applied by the built-in deploy (empty for an external command, which reports
    /// on its own).
    pub migrations: Vec<String>,
    /// What an external command printed (stdout then stderr).
    pub output: String,
}

/// Applies pending migrations with `command`. An external command runs in the project root with
/// the database URL (Prisma parameters included) in `DATABASE_URL` and in the variables
/// schema.prisma's datasource names, never on its command line.
///
/// Errors: [`WorkflowError::Deploy`] for the built-in deploy, [`WorkflowError::CommandFailed`]
/// with the command's output when it exits non-zero or cannot start.
pub async fn apply(
    project: &Project,
    url: &DatabaseUrl,
    command: &MigrateCommand,
) -> Result<Applied, WorkflowError> {
    match command {
        MigrateCommand::Builtin => {
            let local = migrations::read_folder(&project.migrations_dir())
                .map_err(migrations::StatusError::from)?;
            let mut conn = url.connect().await?;
            let options = DeployOptions {
                statements: project.migration_statements(),
                ..DeployOptions::default()
            };
            let report = migrations::deploy(&mut conn, url.schema(), &local, options).await?;
            Ok(Applied {
                migrations: report.applied,
                output: String::new(),
            })
        }
        MigrateCommand::External(words) => {
            let (project, url, words) = (project.clone(), url.clone(), words.clone());
            tokio::task::spawn_blocking(move || run_external(&project, &url, &words))
                .await
                .expect("the command thread does not panic")
        }
    }
}

fn run_external(
    project: &Project,
    url: &DatabaseUrl,
    words: &[String],
) -> Result<Applied, WorkflowError> {
    let failed = |output: String| WorkflowError::CommandFailed {
        command: shell_words::join(words),
        output,
    };
    let sh = xshell::Shell::new().map_err(|e| failed(e.to_string()))?;
    sh.change_dir(&project.root);
    let mut names =
        crate::database::read_datasource(&project.prisma_dir.join("schema.prisma")).env_vars;
    names.push("DATABASE_URL".into());
    let (program, args) = words.split_first().expect("parse rejects empty commands");
    let mut cmd = xshell::cmd!(sh, "{program} {args...}")
        .quiet()
        .ignore_status();
    for name in &names {
        cmd = cmd.env(name, url.expose_prisma_secret());
    }
    let output = cmd.output().map_err(|e| failed(e.to_string()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() {
        return Err(failed(text));
    }
    Ok(Applied {
        migrations: Vec::new(),
        output: text,
    })
}

/// A table that lost data between the snapshot and now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Loss {
    /// The table.
    pub table: String,
    /// Rows in the snapshot.
    pub rows_before: u64,
    /// Rows now (`None`: the table is gone).
    pub rows_after: Option<u64>,
    /// Columns in the snapshot that the table no longer has.
    pub dropped_columns: Vec<String>,
}

/// Compares each snapshot table (except `_prisma_migrations`) with the live database: tables
/// that lost rows, disappeared, or lost columns that held data in the snapshot's rows.
///
/// Errors: [`WorkflowError::Database`] when a query fails.
pub async fn losses(url: &DatabaseUrl, manifest: &Manifest) -> Result<Vec<Loss>, WorkflowError> {
    let mut conn = url.connect().await?;
    let db_err = |source| QueryError {
        action: "counting rows after the migration".into(),
        source,
    };
    let live = catalog::tables(&mut conn, url.schema())
        .await
        .map_err(db_err)?;
    let mut losses = Vec::new();
    for entry in manifest
        .tables
        .iter()
        .filter(|t| t.name != migrations::table::TABLE_NAME)
    {
        let Some(table) = live.iter().find(|t| t.name == entry.name) else {
            if entry.rows > 0 {
                losses.push(Loss {
                    table: entry.name.clone(),
                    rows_before: entry.rows,
                    rows_after: None,
                    dropped_columns: Vec::new(),
                });
            }
            continue;
        };
        let after = count_rows(&mut conn, &table.qualified())
            .await
            .map_err(db_err)?;
        let dropped: Vec<String> = entry
            .columns
            .iter()
            .filter(|c| table.column(&c.name).is_none())
            .map(|c| c.name.clone())
            .collect();
        let lost_columns = !dropped.is_empty() && entry.rows > 0;
        if after < entry.rows || lost_columns {
            losses.push(Loss {
                table: entry.name.clone(),
                rows_before: entry.rows,
                rows_after: Some(after),
                dropped_columns: dropped,
            });
        }
    }
    Ok(losses)
}

async fn count_rows(conn: &mut PgConnection, table: &str) -> Result<u64, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(conn)
        .await?;
    Ok(count as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_command_parsing() {
        assert_eq!(
            MigrateCommand::parse("builtin").unwrap(),
            MigrateCommand::Builtin
        );
        assert_eq!(
            MigrateCommand::parse("pnpm exec prisma migrate deploy --schema 'db/schema.prisma'")
                .unwrap(),
            MigrateCommand::External(
                [
                    "pnpm",
                    "exec",
                    "prisma",
                    "migrate",
                    "deploy",
                    "--schema",
                    "db/schema.prisma"
                ]
                .map(String::from)
                .to_vec()
            )
        );
        assert!(MigrateCommand::parse("npx 'unbalanced").is_err());
        assert!(MigrateCommand::parse("  ").is_err());
    }
}
