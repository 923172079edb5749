//! Linting pending migrations with squawk-linter, under a profile for Prisma-generated SQL.
//!
//! [`pending`] lints the migration.sql of each migration `prisma migrate deploy` would run
//! (pending or rolled back, from the [`StatusReport`]); [`scripts`] lints texts the caller has
//! (the pre-push hook passes the files as pushed). Nothing runs when nothing is pending or the
//! key `lint` is `off`. Each [`Finding`] names its migration, squawk's rule, the profile's
//! [`Severity`] ([`Profile`] says which rules run and why), squawk's message and help, the line
//! in migration.sql and the first line of the statement.
//!
//! Silencing a finding is squawk's own comment rule: `-- squawk-ignore rule-name` (several
//! separated by commas) on the line before the offending line, or on that line, silences that
//! rule there; `-- squawk-ignore-file rule-name` anywhere in the file silences it in the whole
//! file (without a name: every rule). An unknown name in such a comment is itself reported
//! (`unused-ignore`). One addition for Prisma's files: the ignore may also stand anywhere in
//! the block of comment lines right above the statement (above or below Prisma's own
//! `-- AlterTable`), and then covers every line of that statement.
//!
//! Files: `profile` (the rules and their severities), `run` (one text through squawk).

mod profile;
mod run;

use camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};

pub use profile::{Profile, Severity};
pub use run::{SYNTAX_ERROR, lint_sql};

use crate::migrations::StatusReport;
use crate::project::Project;

/// The config key `lint`: what findings do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LintMode {
    /// Show findings (default); nothing is blocked.
    #[default]
    Warn,
    /// Show findings, and block a push (pre-push hook) over any error-level finding.
    Deny,
    /// Lint nothing.
    Off,
}

/// One thing squawk found in a migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The migration's folder name.
    pub migration: String,
    /// squawk's rule name (`ban-drop-column`), the name an ignore comment takes.
    pub rule: String,
    /// The profile's severity for the rule.
    pub severity: Severity,
    /// squawk's message.
    pub message: String,
    /// squawk's advice, when it has one.
    pub help: Option<String>,
    /// The line in migration.sql (1-based) where the finding starts.
    pub line: usize,
    /// The first line of the statement, trimmed (comments before it left out).
    pub statement: String,
}

/// The findings of one lint run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LintReport {
    /// The migrations linted, in order.
    pub migrations: Vec<String>,
    /// Every finding, by migration then line.
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// The error-level findings (data loss, failures).
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// Errors from [`pending`].
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    /// A pending migration's migration.sql could not be read.
    #[error("cannot read {path} to lint it")]
    Read {
        /// The file.
        path: Utf8PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Hint for LintError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            LintError::Read { .. } => {
                "check the file's permissions, or set lint = \"off\" to skip linting".into()
            }
        })
    }
}

/// Lints the migration.sql of every migration in `status` that `prisma migrate deploy` would
/// run (pending or rolled back), under the project's profile ([`Project::lint_profile`]).
/// Returns an empty report without reading anything when none is pending or `lint = "off"`.
///
/// Errors: [`LintError::Read`] when a pending migration's file cannot be read (a folder
/// without migration.sql is skipped: `status` reports it).
pub fn pending(project: &Project, status: &StatusReport) -> Result<LintReport, LintError> {
    let names: Vec<&str> = status.unapplied().map(|m| m.name.as_str()).collect();
    if names.is_empty() || project.lint_mode() == LintMode::Off {
        return Ok(LintReport::default());
    }
    let dir = project.migrations_dir();
    let mut texts = Vec::new();
    for name in names {
        if status.without_script.iter().any(|n| n == name) {
            continue;
        }
        let path = dir.join(name).join("migration.sql");
        let bytes = std::fs::read(&path).map_err(|source| LintError::Read { path, source })?;
        texts.push((
            name.to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    Ok(scripts(&texts, &project.lint_profile()))
}

/// Lints each `(migration name, migration.sql text)` in order with `profile` (pure).
pub fn scripts(texts: &[(String, String)], profile: &Profile) -> LintReport {
    LintReport {
        migrations: texts.iter().map(|(name, _)| name.clone()).collect(),
        findings: texts
            .iter()
            .flat_map(|(name, sql)| lint_sql(name, sql, profile))
            .collect(),
    }
}

#[cfg(test)]
mod tests;
