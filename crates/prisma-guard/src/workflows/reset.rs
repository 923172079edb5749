//! `reset`, the local dev reset: snapshot (reason `reset`), run the reset command, run the app's
//! seed where the reset command no longer does ([`super::seed`]), restore the chosen groups from
//! that snapshot — [`reset`], reporting each step through [`ResetEvents`] so
//! the command line can show it as it happens. The restore is [`crate::restore`]'s, unchanged.

use super::WorkflowError;
use super::pre_migrate::{Applied, MigrateCommand};
use super::seed::Seeded;
use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::project::Project;
use crate::restore::{
    Mode, PrepareOptions, Prepared, RestoreError, RestoreReport, RunOptions, Selection,
};
use crate::snapshot::{Manifest, Progress, SnapshotOptions};

/// What [`reset`] reports between its steps. The calls come in this order; a reset that fails
/// stops the sequence.
pub trait ResetEvents {
    /// Progress of the `reset` snapshot (the first step).
    fn progress(&self) -> &dyn Progress;
    /// The snapshot is complete; the reset command runs next.
    fn snapshot_taken(&self, manifest: &Manifest, command: &MigrateCommand);
    /// The reset command finished: what it printed, the migrations it applied.
    fn reset_done(&self, applied: &Applied);
    /// The restore is planned and about to run, in one transaction.
    fn restore_planned(&self, prepared: &Prepared);
    /// The seed command is about to run (after the reset, before the restore).
    fn seeding(&self, _command: &MigrateCommand) {}
    /// The seed ran: what it printed, the rows it created.
    fn seeded(&self, _seeded: &Seeded) {}
}

/// How [`reset`] runs.
#[derive(Debug, Clone)]
pub struct ResetOptions {
    /// The reset command ([`Project::reset_command`]).
    pub command: MigrateCommand,
    /// The app's seed, run after the reset command and before the restore
    /// ([`super::seed::seed_command`]); `None`: no seed step.
    pub seed: Option<MigrateCommand>,
    /// What to restore afterwards ([`selection`]); `None` restores nothing.
    pub selection: Option<Selection>,
    /// How restored rows meet the rows the reset command's migrations or seed created:
    /// [`DEFAULT_RESET_MODE`] unless asked otherwise.
    pub mode: Mode,
    /// The `reset` snapshot's options (reason `reset`).
    pub snapshot: SnapshotOptions,
    /// How the restore reaches today's schema.
    pub prepare: PrepareOptions,
    /// How the restore runs; the reset snapshot is its safety snapshot, so none is taken.
    pub run: RunOptions,
}

/// What [`reset`] did.
#[derive(Debug)]
pub struct ResetDone {
    /// The `reset` snapshot: the data as it was before.
    pub manifest: Manifest,
    /// What the reset command did.
    pub applied: Applied,
    /// The restore's report; `None` when nothing was to be restored.
    pub restored: Option<RestoreReport>,
    /// What the seed step did; `None` when there was none.
    pub seeded: Option<Seeded>,
}

/// Errors of [`reset`], saying how far it got and which snapshot holds the data.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Before anything was changed: the local-only check, status, or the snapshot.
    #[error(transparent)]
    Before(#[from] WorkflowError),
    /// The reset command failed after the snapshot.
    #[error(
        "the reset failed; nothing was restored; the snapshot {id} is kept: `prisma-guard restore {id}`"
    )]
    Reset {
        /// The `reset` snapshot.
        id: String,
        /// What failed.
        #[source]
        source: WorkflowError,
    },
    /// The database was reset, and the seed command failed; nothing was restored.
    #[error(
        "the database was reset but the seed failed; nothing was restored; the snapshot {id} is kept: `prisma-guard restore {id}`"
    )]
    Seed {
        /// The `reset` snapshot.
        id: String,
        /// What failed.
        #[source]
        source: WorkflowError,
    },
    /// The database was reset, and the restore failed (its transaction rolled back).
    #[error(
        "the database was reset but not restored; the snapshot {id} is kept: `prisma-guard restore {id}`"
    )]
    Restore {
        /// The `reset` snapshot.
        id: String,
        /// What failed.
        #[source]
        source: RestoreError,
    },
}

impl crate::error::Hint for ResetError {
    fn hint(&self) -> Option<String> {
        match self {
            ResetError::Before(e)
            | ResetError::Reset { source: e, .. }
            | ResetError::Seed { source: e, .. } => e.hint(),
            ResetError::Restore { source, .. } => source.hint(),
        }
    }
}

/// The local dev reset: refuses a database not on this machine ([`check_local`]), snapshots it
/// (reason `reset`), runs the reset command ([`reset_database`]), then restores `selection` from
/// that snapshot (the snapshot is the safety snapshot: none other is taken). Asks nothing: the
/// caller confirms before.
///
/// Errors: [`ResetError::Before`] with nothing changed; [`ResetError::Reset`] and
/// [`ResetError::Restore`] name the snapshot that holds the data.
pub async fn reset(
    project: &Project,
    url: &DatabaseUrl,
    options: &ResetOptions,
    events: &dyn ResetEvents,
) -> Result<ResetDone, ResetError> {
    check_local(url)?;
    let status = {
        let mut conn = url.connect().await.map_err(WorkflowError::from)?;
        crate::migrations::status(&mut conn, &project.migrations_dir(), url.schema())
            .await
            .map_err(WorkflowError::from)?
    };
    let manifest = crate::snapshot::take(
        url,
        &project.backups_dir,
        &status,
        &options.snapshot,
        events.progress(),
    )
    .await
    .map_err(WorkflowError::from)?;
    events.snapshot_taken(&manifest, &options.command);
    let id = manifest.id.clone();
    let applied = reset_database(project, url, &options.command)
        .await
        .map_err(|source| ResetError::Reset {
            id: id.clone(),
            source,
        })?;
    events.reset_done(&applied);
    let mut seeded = None;
    if let Some(command) = &options.seed {
        events.seeding(command);
        let done = super::seed::run_seed(project, url, command)
            .await
            .map_err(|source| ResetError::Seed {
                id: id.clone(),
                source,
            })?;
        events.seeded(&done);
        seeded = Some(done);
    }
    let Some(selection) = &options.selection else {
        return Ok(ResetDone {
            manifest,
            applied,
            restored: None,
            seeded,
        });
    };
    let restore_error = |source| ResetError::Restore {
        id: id.clone(),
        source,
    };
    let stored = crate::snapshot::find(&project.backups_dir, &id)
        .map_err(|e| restore_error(RestoreError::from(e)))?;
    let prepared = crate::restore::prepare(
        url,
        &project.config,
        stored,
        selection,
        options.mode,
        &options.prepare,
    )
    .await
    .map_err(restore_error)?;
    events.restore_planned(&prepared);
    let (report, _) = crate::restore::run(url, &prepared, &options.run)
        .await
        .map_err(restore_error)?;
    Ok(ResetDone {
        manifest,
        applied,
        restored: Some(report),
        seeded,
    })
}

/// The default `reset-command`.
pub const DEFAULT_RESET_COMMAND: &str = "npx prisma migrate reset --force";

/// How `reset` restores by default: `replace`, since the tables were just emptied and what is in
/// them came from migrations or the seed script (a default admin, a settings row), which the
/// snapshot's rows must replace, not sit beside.
pub const DEFAULT_RESET_MODE: Mode = Mode::Replace;

/// The groups restored after a reset when neither flags nor `reset-restore` say otherwise.
pub const DEFAULT_RESET_RESTORE: &[&str] = &["admin"];

/// Refuses a database that is not on this machine: a reset destroys every row, and unlike
/// `restore` there is no override. Errors with [`WorkflowError::NotLocal`].
pub fn check_local(url: &DatabaseUrl) -> Result<(), WorkflowError> {
    crate::database::require_local(url, crate::database::LocalWrite::Reset)?;
    Ok(())
}

/// What to restore after the reset: the explicit selection when it names anything, else
/// everything with `all`, else the groups of `reset-restore` (default [`DEFAULT_RESET_RESTORE`]).
/// `None` means restore nothing (`reset-restore = []`).
pub fn selection(
    explicit: Selection,
    all: bool,
    reset_restore: Option<&[String]>,
) -> Option<Selection> {
    if explicit != Selection::default() || all {
        return Some(explicit);
    }
    let groups: Vec<String> = match reset_restore {
        Some(groups) => groups.to_vec(),
        None => DEFAULT_RESET_RESTORE
            .iter()
            .map(|g| g.to_string())
            .collect(),
    };
    (!groups.is_empty()).then(|| Selection {
        only: groups,
        ..Selection::default()
    })
}

/// Resets the database with `command`: `builtin` drops and recreates the working schema and
/// applies every migration with the built-in deploy (as `prisma migrate reset --skip-seed` does);
/// an external command runs as `migrate-command` does ([`super::apply`]).
///
/// Errors: [`WorkflowError::Database`] when the schema cannot be dropped or created,
/// [`WorkflowError::Deploy`], [`WorkflowError::CommandFailed`].
pub async fn reset_database(
    project: &Project,
    url: &DatabaseUrl,
    command: &MigrateCommand,
) -> Result<Applied, WorkflowError> {
    if *command == MigrateCommand::Builtin {
        let mut conn = url.connect().await?;
        let schema = crate::sql::quote_ident(url.schema());
        sqlx::raw_sql(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .execute(&mut conn)
        .await
        .map_err(QueryError::at(format!(
            "dropping and recreating schema {}",
            url.schema()
        )))?;
    }
    // On the empty schema the built-in deploy applies every migration; an external command
    // runs exactly as `migrate-command` does.
    super::apply(project, url, command).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_prefers_flags_then_all_then_config() {
        let flags = Selection {
            skip: vec!["images".into()],
            ..Selection::default()
        };
        assert_eq!(selection(flags.clone(), false, None), Some(flags));
        assert_eq!(
            selection(Selection::default(), true, None),
            Some(Selection::default())
        );
        let admin = selection(Selection::default(), false, None).unwrap();
        assert_eq!(admin.only, ["admin"]);
        let config = ["admin".to_string(), "content".to_string()];
        assert_eq!(
            selection(Selection::default(), false, Some(&config))
                .unwrap()
                .only,
            config
        );
        assert_eq!(selection(Selection::default(), false, Some(&[])), None);
    }

    #[test]
    fn only_local_databases_are_reset() {
        let local = DatabaseUrl::parse("postgresql://postgres@127.0.0.1/app", "test").unwrap();
        assert!(check_local(&local).is_ok());
        let remote = DatabaseUrl::parse("postgresql://u:pw@db.example.com/app", "test").unwrap();
        let err = check_local(&remote).unwrap_err().to_string();
        assert!(
            err.contains("db.example.com") && !err.contains("pw"),
            "{err}"
        );
    }
}
