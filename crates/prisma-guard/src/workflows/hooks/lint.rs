//! The pre-push hook's lint: the migrations a push adds at the remote, as they are in the
//! pushed commits (not as the working tree has them), under the project's profile; with
//! `lint = "deny"` an error-level finding blocks the push.

use super::git::git_raw;
use super::{HookError, PushCheck};
use crate::lint::{self, LintMode, LintReport};
use crate::project::Project;

/// Lints each migration `check` says the push adds at the remote, reading its migration.sql
/// from the pushed commit with `git show`. An empty report, with git never run, when the push
/// adds no migration or `lint = "off"`; a migration without migration.sql in that commit is
/// skipped, and so is a ref compared against nothing (a new branch without a merge base with
/// the remote's default branch: every migration it has would count as new).
///
/// Errors: [`HookError::LintDenied`] with `lint = "deny"` and any error-level finding;
/// [`HookError::Git`] when git cannot be run.
pub fn lint_pushed(project: &Project, check: &PushCheck) -> Result<LintReport, HookError> {
    let mode = project.lint_mode();
    if mode == LintMode::Off || check.added().is_empty() {
        return Ok(LintReport::default());
    }
    let relative = project
        .migrations_dir()
        .strip_prefix(&project.root)
        .map(|p| p.to_string())
        .unwrap_or_default();
    let mut texts: Vec<(String, String)> = Vec::new();
    // A ref compared against nothing (a new branch with no merge base) lists every migration
    // as added, old ones included: nothing says which are new to the remote, so none is linted.
    for r in check.refs.iter().filter(|r| r.base.is_some()) {
        for name in &r.added {
            if texts.iter().any(|(n, _)| n == name) {
                continue;
            }
            let blob = format!("{}:./{relative}/{name}/migration.sql", r.update.local_sha);
            let output = git_raw(&project.root, &["show", &blob])?;
            if output.status.success() {
                let text = String::from_utf8_lossy(&output.stdout).into_owned();
                texts.push((name.clone(), text));
            }
        }
    }
    texts.sort();
    let report = lint::scripts(&texts, &project.lint_profile());
    if mode == LintMode::Deny && report.has_errors() {
        return Err(HookError::LintDenied { report });
    }
    Ok(report)
}
