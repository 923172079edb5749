//! `reset`, the local dev reset: snapshot (reason `reset`), run the reset command, restore the
//! chosen groups from that snapshot.
//!
//! The steps are separate functions so the binary can show and confirm between them; this module
//! runs the reset command itself. The restore is [`crate::restore`]'s, unchanged.

use super::WorkflowError;
use super::pre_migrate::{Applied, MigrateCommand};
use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::project::Project;
use crate::restore::Selection;

/// The default `reset-command`.
pub const DEFAULT_RESET_COMMAND: &str = "npx prisma migrate reset --force";

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
