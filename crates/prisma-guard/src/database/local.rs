//! The one guard for writes that must stay on this machine: `restore` (unless
//! `--allow-remote`), `rollback` and `reset` (no override).

use super::DatabaseUrl;

/// A write that must only reach a database on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalWrite {
    /// `restore`: refused unless `--allow-remote`.
    Restore,
    /// `rollback`: drops and rebuilds the schema; no override.
    Rollback,
    /// `reset`: destroys every row; no override.
    Reset,
}

impl LocalWrite {
    fn refusal(self) -> &'static str {
        match self {
            LocalWrite::Restore => "restore into",
            LocalWrite::Rollback => "roll back",
            LocalWrite::Reset => "reset",
        }
    }
}

/// `url` names a host that is not this machine, for a [`LocalWrite`].
#[derive(Debug, thiserror::Error)]
#[error("refusing to {} {url}: the host is not local", write.refusal())]
pub struct NotLocal {
    /// What was refused.
    pub write: LocalWrite,
    /// The redacted URL.
    pub url: String,
}

impl crate::error::Hint for NotLocal {
    fn hint(&self) -> Option<String> {
        const LOCAL: &str = "(localhost, 127.0.0.0/8, ::1, a Unix socket)";
        Some(match self.write {
            LocalWrite::Restore => format!(
                "restores are for development databases on this machine {LOCAL}; pass --allow-remote if this one is"
            ),
            LocalWrite::Rollback => format!(
                "rollback drops and rebuilds the schema, so it is for development databases on this machine only {LOCAL}"
            ),
            LocalWrite::Reset => format!(
                "reset destroys every row and is for development databases on this machine only {LOCAL}"
            ),
        })
    }
}

/// Refuses `url` for `write` unless it is on this machine ([`DatabaseUrl::is_local`]), before
/// any connection is made.
///
/// Errors with [`NotLocal`], whose hint names the override when there is one.
pub fn require_local(url: &DatabaseUrl, write: LocalWrite) -> Result<(), NotLocal> {
    if url.is_local() {
        Ok(())
    } else {
        Err(NotLocal {
            write,
            url: url.redacted(),
        })
    }
}
