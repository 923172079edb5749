//! Git hooks: installing our `pre-push` hook, and what it checks when git runs it.
//!
//! - [`install`](fn@install), [`uninstall`], [`status`]: the `pre-push` file in the hooks folder
//!   git actually uses (`git rev-parse --git-path hooks`, which follows `core.hooksPath`). Ours
//!   is recognised by [`MARKER`]; a hook that was there before is kept beside it as
//!   `pre-push.local` ([`KEPT_HOOK`]) and run first by ours.
//! - [`parse_pre_push`] (pure) reads the lines git gives the hook on stdin;
//!   [`check_push`] compares the migrations folder between the remote's commit and the pushed
//!   one with `git diff` and refuses edits and deletions of migrations the remote already has;
//!   [`pre_push`](fn@pre_push) then snapshots the local database when migrations are pending;
//!   [`run_pre_push`] is the whole hook, from git's lines to the snapshot.
//!
//! Git is run as the `git` command (through xshell); nothing here prints.
//!
//! Files: `script` (the hook's text and [`MARKER`]), `install` (locating, installing,
//! uninstalling, status), `push` (git's pre-push lines), `diff` (`git diff --name-status`),
//! `check` ([`check_push`]), `lint` ([`lint_pushed`]: the pushed migrations linted, blocking
//! with `lint = "deny"`), `pre_push` (the snapshot step), `git` (running git).

mod check;
mod diff;
mod git;
mod install;
mod lint;
mod pre_push;
mod push;
mod script;

use camino::Utf8PathBuf;

pub use check::{BlockedMigration, Change, PushCheck, RefCheck, check_push};
pub use diff::{FileChange, classify, parse_name_status};
pub use install::{
    HookLocation, HookStatus, Install, InstallOutcome, Installed, Uninstall, install, locate,
    status, uninstall,
};
pub use lint::lint_pushed;
pub use pre_push::{PrePush, PrePushRun, pre_push, run as run_pre_push};
pub use push::{PushKind, PushUpdate, parse_pre_push};
pub use script::{HOOK_NAME, HookRunner, KEPT_HOOK, MARKER, is_ours, script};

/// Errors from installing or running the hook.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The project is not inside a git work tree, or git is not installed.
    #[error("{dir} is not in a git repository (`git {command}` failed: {output})")]
    NotARepository {
        /// Where git was run.
        dir: Utf8PathBuf,
        /// The git arguments.
        command: String,
        /// What git said.
        output: String,
    },
    /// A git command failed.
    #[error("`git {command}` failed: {output}")]
    Git {
        /// The git arguments.
        command: String,
        /// What git said.
        output: String,
    },
    /// A `pre-push` hook that is not ours is in the way.
    #[error("{path} exists and was not written by prisma-guard; it was left as is")]
    Foreign {
        /// The hook file.
        path: Utf8PathBuf,
    },
    /// `--force` would keep the foreign hook as `pre-push.local`, but that name is taken.
    #[error("cannot keep the existing hook {hook}: {kept} exists too; nothing was changed")]
    KeptExists {
        /// The foreign hook.
        hook: Utf8PathBuf,
        /// The file in the way.
        kept: Utf8PathBuf,
    },
    /// Reading or writing a hook file failed.
    // Not transparent: the IoError stays in the chain, so its hint is found.
    #[error("{0}")]
    Io(#[from] crate::error::IoError),
    /// A line on stdin is not `<local ref> <local sha> <remote ref> <remote sha>`.
    #[error("cannot read the pre-push line {line:?}: {problem}")]
    BadInput {
        /// The line.
        line: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The push edits or deletes migrations the remote already has.
    #[error("{}", blocked_message(.blocked))]
    EditedMigrations {
        /// Each migration and what the push does to it.
        blocked: Vec<BlockedMigration>,
    },
    /// With `lint = "deny"`: a pushed migration has an error-level lint finding.
    #[error("{}", denied_message(.report))]
    LintDenied {
        /// The findings of the pushed migrations (errors and warnings).
        report: crate::lint::LintReport,
    },
}

impl crate::error::Hint for HookError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            HookError::NotARepository { .. } => {
                "run it inside your app's git repository (`git init` creates one)".into()
            }
            HookError::Git { .. } => "check that `git` works in the project folder".into(),
            HookError::Foreign { .. } => format!(
                "`prisma-guard hooks install --force` keeps it as {KEPT_HOOK} and runs it from ours"
            ),
            HookError::KeptExists { .. } => {
                format!("merge or remove {KEPT_HOOK} first, then install again")
            }
            HookError::Io(_) => "check the folder's permissions".into(),
            HookError::BadInput { .. } => "`--hook pre-push` reads what git gives a pre-push hook on stdin: lines of `<local ref> <local sha> <remote ref> <remote sha>`".into(),
            HookError::LintDenied { report } => {
                let first = report.errors().next().map_or("<rule>", |f| f.rule.as_str());
                format!(
                    "if the migration is meant to do this, add `-- squawk-ignore {first}` on the \
                     line before the statement in its migration.sql and commit; or set \
                     lint = \"warn\" to be warned only; `git push --no-verify` skips the hook"
                )
            }
            HookError::EditedMigrations { blocked } => {
                let restore = blocked
                    .iter()
                    .map(|b| format!("git checkout {} -- {}", short(&b.remote_sha), b.path))
                    .collect::<Vec<_>>()
                    .join("; ");
                format!(
                    "put the migration back as the remote has it ({restore}), commit, and make \
                     the change in a new migration (`npx prisma migrate dev --create-only`); \
                     `git push --no-verify` skips this check"
                )
            }
        })
    }
}

fn blocked_message(blocked: &[BlockedMigration]) -> String {
    let mut text = String::from(
        "push blocked: it changes migrations the remote already has, and Prisma refuses to \
         deploy an applied migration whose file changed",
    );
    for b in blocked {
        text.push_str(&format!(
            "\n  {} ({}: {}) on {}",
            b.name,
            b.change.label(),
            b.files.join(", "),
            b.remote_ref
        ));
    }
    text
}

fn denied_message(report: &crate::lint::LintReport) -> String {
    let mut text = String::from(
        "push blocked (lint = \"deny\"): pushed migrations would lose data or fail on a filled \
         table",
    );
    for f in report.errors() {
        text.push_str(&format!(
            "\n  {}: line {}: {} ({}): {}",
            f.migration,
            f.line,
            f.rule,
            f.severity.label(),
            f.message.trim_end_matches('.')
        ));
    }
    text
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
