//! What the library's errors share: [`Hint`], the next step a user should take, found by
//! [`hint`] anywhere in an error's chain; and the two causes most of them wrap, a file operation
//! ([`IoError`]) and a query ([`QueryError`]).

use std::error::Error;

use camino::{Utf8Path, Utf8PathBuf};

/// An error that knows what the user should do next (the CLI's `hint:` line).
pub trait Hint: Error {
    /// One sentence, lowercase, no trailing period; `None` when there is nothing to add.
    fn hint(&self) -> Option<String>;
}

/// The hint of the first error in `error`'s chain (itself, then its sources) that is one of this
/// library's error types and has a hint.
pub fn hint(error: &(dyn Error + 'static)) -> Option<String> {
    std::iter::successors(Some(error), |&e| e.source()).find_map(hint_of)
}

fn hint_of(error: &(dyn Error + 'static)) -> Option<String> {
    macro_rules! first_of {
        ($($ty:ty),* $(,)?) => {
            $(if let Some(e) = error.downcast_ref::<$ty>() {
                return e.hint();
            })*
        };
    }
    first_of!(
        crate::config::ConfigError,
        crate::database::DatabaseError,
        crate::database::NotLocal,
        crate::migrations::StatusError,
        crate::migrations::FolderError,
        crate::migrations::DeployError,
        crate::lint::LintError,
        crate::snapshot::SnapshotError,
        crate::snapshot::PruneError,
        crate::snapshot::LockError,
        crate::schedule::ScheduleError,
        crate::schedule::crontab::CrontabError,
        crate::notify::NotifyConfigError,
        crate::restore::RestoreError,
        crate::predict::PredictError,
        crate::remote::RemoteError,
        crate::workflows::WorkflowError,
        crate::workflows::hooks::HookError,
        crate::workflows::reset::ResetError,
        IoError,
    );
    None
}

/// A file or folder operation failed: `"{action} {path}"`, with the I/O error as its source.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}")]
pub struct IoError {
    /// What was being done: `creating`, `writing`, `reading`, ...
    pub action: &'static str,
    /// The file or folder.
    pub path: Utf8PathBuf,
    /// The I/O error (disk full, permission denied, ...).
    #[source]
    pub source: std::io::Error,
}

impl IoError {
    /// For `map_err`: `std::fs::read(&path).map_err(IoError::at("reading", &path))`.
    pub fn at(action: &'static str, path: &Utf8Path) -> impl FnOnce(std::io::Error) -> IoError {
        let path = path.to_owned();
        move |source| IoError {
            action,
            path,
            source,
        }
    }

    /// Whether the disk (or the user's quota) is full: `ENOSPC`, or `EDQUOT`.
    pub fn is_disk_full(&self) -> bool {
        matches!(self.source.raw_os_error(), Some(28 | 122))
    }
}

impl Hint for IoError {
    fn hint(&self) -> Option<String> {
        if self.is_disk_full() {
            return Some(
                "the disk is full: free some space (`prune` removes old snapshots)".into(),
            );
        }
        match self.source.kind() {
            std::io::ErrorKind::PermissionDenied => {
                Some(format!("check the permissions of {}", self.path))
            }
            _ => None,
        }
    }
}

/// Whether `error` is the connection failing rather than a statement: an I/O or protocol error,
/// or SQLSTATE class 08 (connection exception) or 57P01–57P03 (the server shut down or
/// terminated the backend, as `pg_terminate_backend` does).
pub fn connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// A query or a COPY stream failed: `"{action}"` — or `"lost the connection to the server while
/// {action}"` when the connection went away ([`QueryError::is_connection_lost`]) — with the
/// driver's error as its source.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.describe())]
pub struct QueryError {
    /// What was being done, naming the table when there is one.
    pub action: String,
    /// The driver's error.
    #[source]
    pub source: sqlx::Error,
}

impl QueryError {
    /// For `map_err`: `query.execute(c).await.map_err(QueryError::at("reading the catalog"))`.
    pub fn at(action: impl Into<String>) -> impl FnOnce(sqlx::Error) -> QueryError {
        let action = action.into();
        move |source| QueryError { action, source }
    }

    /// Whether the connection itself failed rather than the statement ([`connection_lost`]).
    pub fn is_connection_lost(&self) -> bool {
        match &self.source {
            sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(e) => e.code().is_some_and(|code| {
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
            }),
            _ => false,
        }
    }

    fn describe(&self) -> String {
        if self.is_connection_lost() {
            format!("lost the connection to the server while {}", self.action)
        } else {
            self.action.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::SnapshotError;

    #[test]
    fn a_wrapped_io_error_gives_its_own_hint() {
        let io = std::io::Error::from_raw_os_error(28);
        let error = SnapshotError::from(IoError::at("writing", Utf8Path::new("backups/x"))(io));
        let full = hint(&error).expect("a hint");
        assert!(full.contains("free disk space"), "{full}");
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let error = crate::workflows::WorkflowError::from(IoError::at(
            "reading",
            Utf8Path::new(".env"),
        )(denied));
        assert_eq!(
            hint(&error).as_deref(),
            Some("check the permissions of .env")
        );
        assert_eq!(error.to_string(), "reading .env");
    }
}
