//! Git hooks: installing our `pre-push` hook, and what it checks when git runs it.
//!
//! - [`install`], [`uninstall`], [`status`]: the `pre-push` file in the hooks folder git
//!   actually uses (`git rev-parse --git-path hooks`, which follows `core.hooksPath`). Ours is
//!   recognised by [`MARKER`]; a hook that was there before is kept beside it as
//!   `pre-push.local` ([`KEPT_HOOK`]) and run first by ours.
//! - [`parse_pre_push`] (pure) reads the lines git gives the hook on stdin;
//!   [`check_push`] compares the migrations folder between the remote's commit and the pushed
//!   one with `git diff` and refuses edits and deletions of migrations the remote already has;
//!   [`pre_push`] then snapshots the local database when migrations are pending.
//!
//! Git is run as the `git` command (through xshell); nothing here prints.

use std::collections::BTreeMap;
use std::time::Instant;

use camino::{Utf8Path, Utf8PathBuf};

use super::{PreMigrate, WorkflowError};
use crate::migrations::{self, StatusReport, checksum};
use crate::project::Project;
use crate::snapshot::{self, Progress, SnapshotOptions};

/// The hook we install.
pub const HOOK_NAME: &str = "pre-push";
/// The name a foreign `pre-push` hook is kept under when `install --force` replaces it.
pub const KEPT_HOOK: &str = "pre-push.local";
/// The line that marks a hook file as ours.
pub const MARKER: &str = "# managed-by: cargo-xtask hooks (pre-push)";

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
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done (`write`, `read`, ...).
        action: &'static str,
        /// The file.
        path: Utf8PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
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
            HookError::Io { .. } => "check the folder's permissions".into(),
            HookError::BadInput { .. } => "`--hook pre-push` reads what git gives a pre-push hook on stdin: lines of `<local ref> <local sha> <remote ref> <remote sha>`".into(),
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

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

// ---------------------------------------------------------------------------------------------
// Running git

fn git_raw(dir: &Utf8Path, args: &[&str]) -> Result<std::process::Output, HookError> {
    let command = args.join(" ");
    let sh = xshell::Shell::new().map_err(|e| HookError::Git {
        command: command.clone(),
        output: e.to_string(),
    })?;
    sh.change_dir(dir);
    xshell::cmd!(sh, "git {args...}")
        .quiet()
        .ignore_status()
        .output()
        .map_err(|e| HookError::Git {
            command,
            output: e.to_string(),
        })
}

/// Runs git in `dir`; its stdout with the trailing newline removed.
fn git(dir: &Utf8Path, args: &[&str]) -> Result<String, HookError> {
    let output = git_raw(dir, args)?;
    if !output.status.success() {
        return Err(HookError::Git {
            command: args.join(" "),
            output: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    while text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

/// Runs git in `dir`; `None` when it exits non-zero.
fn git_opt(dir: &Utf8Path, args: &[&str]) -> Result<Option<String>, HookError> {
    match git(dir, args) {
        Ok(text) => Ok(Some(text)),
        Err(HookError::Git { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Installing

/// Where the hook lives for a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookLocation {
    /// The hooks folder git uses (`git rev-parse --git-path hooks`), absolute.
    pub hooks_dir: Utf8PathBuf,
    /// Whether `core.hooksPath` chose it.
    pub hooks_path_configured: bool,
    /// `<hooks_dir>/pre-push`.
    pub hook: Utf8PathBuf,
    /// `<hooks_dir>/pre-push.local`, where a foreign hook is kept.
    pub kept: Utf8PathBuf,
    /// The project root relative to the git work tree's top level (empty when they are the
    /// same); the hook changes into it before running xtask.
    pub project_subdir: String,
}

/// Finds the hooks folder git uses for the repository around `project_root`.
///
/// Errors: [`HookError::NotARepository`] outside a git work tree or without git.
pub fn locate(project_root: &Utf8Path) -> Result<HookLocation, HookError> {
    let not_repo = |e: HookError| match e {
        HookError::Git { command, output } => HookError::NotARepository {
            dir: project_root.to_owned(),
            command,
            output,
        },
        other => other,
    };
    let prefix = git(project_root, &["rev-parse", "--show-prefix"]).map_err(not_repo)?;
    let hooks = git(project_root, &["rev-parse", "--git-path", "hooks"]).map_err(not_repo)?;
    let hooks_path_configured = git_opt(project_root, &["config", "--get", "core.hooksPath"])?
        .is_some_and(|v| !v.is_empty());
    let hooks_dir = project_root.join(hooks);
    Ok(HookLocation {
        hook: hooks_dir.join(HOOK_NAME),
        kept: hooks_dir.join(KEPT_HOOK),
        hooks_dir,
        hooks_path_configured,
        project_subdir: prefix.trim_end_matches('/').to_string(),
    })
}

/// The hook script: POSIX sh, marked with [`MARKER`]. It saves git's stdin, runs a kept
/// `pre-push.local` first with the same stdin and arguments (its failure fails the push), changes
/// into the project root (`project_subdir` below the work tree's top level), then runs
/// `prisma-guard pre-migrate --hook pre-push "$@"` — or `$XTASK_BIN pre-migrate --hook pre-push
/// "$@"` when `XTASK_BIN` names a built binary — with the same stdin.
pub fn script(project_subdir: &str) -> String {
    let cd_subdir = if project_subdir.is_empty() {
        String::new()
    } else {
        format!("cd {} || exit 1\n", sh_quote(project_subdir))
    };
    format!(
        r#"#!/bin/sh
{MARKER}
# Written by `prisma-guard hooks install`; `prisma-guard hooks uninstall` removes it.
# Blocks a push that edits or deletes a Prisma migration the remote already has, and snapshots
# the local database when migrations are pending. A hook that was here before is kept as
# {KEPT_HOOK} and runs first. Set XTASK_BIN to run a built xtask binary instead of cargo.
input=$(cat)
feed() {{ if [ -n "$input" ]; then printf '%s\n' "$input"; fi; }}
kept="$(dirname "$0")/{KEPT_HOOK}"
if [ -x "$kept" ]; then
    feed | "$kept" "$@" || exit $?
fi
if [ -n "$GIT_DIR" ]; then GIT_DIR=$(cd "$GIT_DIR" && pwd) && export GIT_DIR; fi
cd "$(git rev-parse --show-toplevel)" || exit 1
{cd_subdir}if [ -n "$XTASK_BIN" ]; then
    feed | "$XTASK_BIN" pre-migrate --hook pre-push "$@"
else
    feed | cargo xtask pre-migrate --hook pre-push "$@"
fi
"#
    )
}

fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Whether a hook file's text is ours.
pub fn is_ours(text: &str) -> bool {
    text.lines().any(|line| line.trim_end() == MARKER)
}

/// What is at `<hooks>/pre-push`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    /// Our hook; `current` when it is exactly what [`install`] would write now.
    Ours {
        /// Whether it matches the current script.
        current: bool,
    },
    /// A hook we did not write.
    Foreign,
    /// No hook.
    Absent,
}

/// The hook's state, for `hooks status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookStatus {
    /// Where it is (or would be).
    pub location: HookLocation,
    /// What is there.
    pub installed: Installed,
    /// A kept foreign hook (`pre-push.local`) that ours runs first, when present.
    pub chained: Option<Utf8PathBuf>,
}

fn read_hook(path: &Utf8Path) -> Result<Option<String>, HookError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(HookError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        }),
    }
}

/// Reports whether our hook is installed, where, and whether a kept foreign hook is chained.
///
/// Errors: [`HookError::NotARepository`], [`HookError::Io`].
pub fn status(project_root: &Utf8Path) -> Result<HookStatus, HookError> {
    let location = locate(project_root)?;
    let installed = match read_hook(&location.hook)? {
        None => Installed::Absent,
        Some(text) if is_ours(&text) => Installed::Ours {
            current: text == script(&location.project_subdir),
        },
        Some(_) => Installed::Foreign,
    };
    let chained =
        (installed != Installed::Foreign && location.kept.exists()).then(|| location.kept.clone());
    Ok(HookStatus {
        location,
        installed,
        chained,
    })
}

/// What [`install`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallOutcome {
    /// Our hook was written where there was none (or a foreign one, moved aside).
    Installed,
    /// Our hook was there with an older text and was rewritten.
    Updated,
    /// Our hook was there already, unchanged.
    Unchanged,
}

/// The result of [`install`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    /// Where.
    pub location: HookLocation,
    /// What happened.
    pub outcome: InstallOutcome,
    /// A foreign hook this install moved to `pre-push.local`.
    pub moved_aside: Option<Utf8PathBuf>,
    /// A kept foreign hook ours runs first (moved now or earlier).
    pub chained: Option<Utf8PathBuf>,
}

/// Writes our `pre-push` hook (mode 755) into the hooks folder git uses, creating the folder.
/// Idempotent. A hook we did not write is left alone, unless `force`: then it is renamed to
/// `pre-push.local` beside ours, which runs it first.
///
/// Errors: [`HookError::NotARepository`]; [`HookError::Foreign`] without `force`;
/// [`HookError::KeptExists`] when `pre-push.local` is taken; [`HookError::Io`].
pub fn install(project_root: &Utf8Path, force: bool) -> Result<Install, HookError> {
    let location = locate(project_root)?;
    let text = script(&location.project_subdir);
    let io = |action, path: &Utf8Path| {
        let path = path.to_owned();
        move |source| HookError::Io {
            action,
            path,
            source,
        }
    };
    let mut moved_aside = None;
    let outcome = match read_hook(&location.hook)? {
        Some(existing) if existing == text => InstallOutcome::Unchanged,
        Some(existing) if is_ours(&existing) => InstallOutcome::Updated,
        Some(_) if !force => {
            return Err(HookError::Foreign {
                path: location.hook.clone(),
            });
        }
        Some(_) => {
            if location.kept.exists() || location.kept.is_symlink() {
                return Err(HookError::KeptExists {
                    hook: location.hook.clone(),
                    kept: location.kept.clone(),
                });
            }
            std::fs::rename(&location.hook, &location.kept)
                .map_err(io("rename", &location.hook))?;
            moved_aside = Some(location.kept.clone());
            InstallOutcome::Installed
        }
        None => InstallOutcome::Installed,
    };
    if outcome != InstallOutcome::Unchanged {
        std::fs::create_dir_all(&location.hooks_dir).map_err(io("create", &location.hooks_dir))?;
        // Write beside it and rename: git never runs a half-written hook.
        let partial = location.hooks_dir.join(format!(".{HOOK_NAME}.xtask-tmp"));
        std::fs::write(&partial, &text).map_err(io("write", &partial))?;
        make_executable(&partial).map_err(io("chmod", &partial))?;
        std::fs::rename(&partial, &location.hook).map_err(io("write", &location.hook))?;
    }
    let chained = location.kept.exists().then(|| location.kept.clone());
    Ok(Install {
        location,
        outcome,
        moved_aside,
        chained,
    })
}

#[cfg(unix)]
fn make_executable(path: &Utf8Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_path: &Utf8Path) -> std::io::Result<()> {
    Ok(())
}

/// What [`uninstall`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uninstall {
    /// Our hook was removed; a kept foreign hook was put back as `pre-push`.
    Removed {
        /// Where ours was.
        hook: Utf8PathBuf,
        /// The kept hook's former path, when one was put back.
        restored: Option<Utf8PathBuf>,
    },
    /// Our hook is not installed; nothing changed.
    NotInstalled {
        /// Where it would be.
        hook: Utf8PathBuf,
        /// Whether a hook that is not ours is there (left as is).
        foreign: bool,
    },
}

/// Removes our `pre-push` hook, and only ours; a kept `pre-push.local` is renamed back to
/// `pre-push`. Without our hook it changes nothing.
///
/// Errors: [`HookError::NotARepository`], [`HookError::Io`].
pub fn uninstall(project_root: &Utf8Path) -> Result<Uninstall, HookError> {
    let location = locate(project_root)?;
    let hook = location.hook.clone();
    match read_hook(&hook)? {
        Some(text) if is_ours(&text) => {}
        other => {
            return Ok(Uninstall::NotInstalled {
                foreign: other.is_some(),
                hook,
            });
        }
    }
    let io = |action, path: &Utf8Path| {
        let path = path.to_owned();
        move |source| HookError::Io {
            action,
            path,
            source,
        }
    };
    std::fs::remove_file(&hook).map_err(io("remove", &hook))?;
    let restored = if location.kept.exists() || location.kept.is_symlink() {
        std::fs::rename(&location.kept, &hook).map_err(io("rename", &location.kept))?;
        Some(location.kept.clone())
    } else {
        None
    };
    Ok(Uninstall::Removed { hook, restored })
}

// ---------------------------------------------------------------------------------------------
// The pre-push check

/// One line git gives a pre-push hook on stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    /// The local ref pushed, e.g. `refs/heads/main` (`(delete)` for a deletion).
    pub local_ref: String,
    /// Its commit (all zeros for a deletion).
    pub local_sha: String,
    /// The ref updated at the remote.
    pub remote_ref: String,
    /// The remote's current commit (all zeros for a new ref).
    pub remote_sha: String,
}

/// What a [`PushUpdate`] does at the remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushKind {
    /// A ref the remote does not have yet (remote sha all zeros).
    Create,
    /// An existing ref moves.
    Update,
    /// The remote ref is deleted (local sha all zeros).
    Delete,
}

fn is_zero(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}

impl PushUpdate {
    /// Whether it creates, updates or deletes the remote ref.
    pub fn kind(&self) -> PushKind {
        if is_zero(&self.local_sha) {
            PushKind::Delete
        } else if is_zero(&self.remote_sha) {
            PushKind::Create
        } else {
            PushKind::Update
        }
    }
}

/// Parses git's pre-push stdin: one `<local ref> <local sha> <remote ref> <remote sha>` per
/// line; blank lines are skipped. SHAs are 40 (SHA-1) or 64 (SHA-256) hex digits.
///
/// Errors: [`HookError::BadInput`] naming the line.
pub fn parse_pre_push(input: &str) -> Result<Vec<PushUpdate>, HookError> {
    let mut updates = Vec::new();
    for line in input.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |problem: &str| HookError::BadInput {
            line: line.to_string(),
            problem: problem.to_string(),
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local_sha, remote_ref, remote_sha] = fields[..] else {
            return Err(bad("expected 4 fields"));
        };
        for sha in [local_sha, remote_sha] {
            let hex = sha.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex || !(sha.len() == 40 || sha.len() == 64) {
                return Err(bad(&format!("{sha:?} is not a commit id")));
            }
        }
        updates.push(PushUpdate {
            local_ref: local_ref.to_string(),
            local_sha: local_sha.to_lowercase(),
            remote_ref: remote_ref.to_string(),
            remote_sha: remote_sha.to_lowercase(),
        });
    }
    Ok(updates)
}

/// How a push changes a migration the remote has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A file in its folder changed (migration.sql: beyond what Prisma's checksum tolerates).
    Edited,
    /// Its folder, or a file in it, is gone.
    Deleted,
}

impl Change {
    /// `edited` or `deleted`.
    pub fn label(self) -> &'static str {
        match self {
            Change::Edited => "edited",
            Change::Deleted => "deleted",
        }
    }
}

/// A migration a push would change at the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedMigration {
    /// The migration's folder name.
    pub name: String,
    /// Deleted when any of its files is deleted, else edited.
    pub change: Change,
    /// The files concerned, relative to the migration's folder (`migration.sql`).
    pub files: Vec<String>,
    /// The migration's folder as git names it, relative to the project root.
    pub path: String,
    /// The remote ref the push updates.
    pub remote_ref: String,
    /// The remote's commit, which still has the migration as applied.
    pub remote_sha: String,
}

/// One file change from `git diff --name-status -z`, relative to the migrations folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// `A`, `M`, `D`, `T` (renames are off).
    pub status: char,
    /// Path relative to the migrations folder, e.g. `20240101_init/migration.sql`.
    pub path: String,
}

/// Parses `git diff --name-status -z --no-renames` output, keeping the paths below `prefix`
/// (the migrations folder as git prints it, e.g. `prisma/migrations`) relative to it.
pub fn parse_name_status(output: &str, prefix: &str) -> Vec<FileChange> {
    let prefix = format!("{}/", prefix.trim_end_matches('/'));
    let mut fields = output.split('\0').filter(|f| !f.is_empty());
    let mut changes = Vec::new();
    while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
        let Some(relative) = path.strip_prefix(&prefix) else {
            continue;
        };
        changes.push(FileChange {
            status: status.chars().next().unwrap_or('?'),
            path: relative.to_string(),
        });
    }
    changes
}

/// Splits file changes into migrations the push would edit or delete (their files that are
/// modified, type-changed or deleted) and migrations it adds (whose migration.sql is added).
/// Files directly in the migrations folder (`migration_lock.toml`) are ignored, and so are files
/// added beside an existing migration.sql (Prisma reads only migration.sql).
pub fn classify(changes: &[FileChange]) -> (BTreeMap<String, Vec<&FileChange>>, Vec<String>) {
    let mut touched: BTreeMap<String, Vec<&FileChange>> = BTreeMap::new();
    let mut added = Vec::new();
    for change in changes {
        let Some((folder, file)) = change.path.split_once('/') else {
            continue;
        };
        if change.status != 'A' {
            touched.entry(folder.to_string()).or_default().push(change);
        } else if file == "migration.sql" {
            added.push(folder.to_string());
        }
    }
    (touched, added)
}

/// What was checked for one pushed ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefCheck {
    /// The line from git.
    pub update: PushUpdate,
    /// The commit compared against: the remote's, or for a new branch the merge base with the
    /// remote's default branch; `None` when nothing was compared (a deletion, or a new branch
    /// with nothing to compare to: everything it carries is new to the remote).
    pub base: Option<String>,
    /// Migrations the push adds at the remote.
    pub added: Vec<String>,
    /// Why the ref was not compared, when it was not.
    pub note: Option<String>,
}

/// The outcome of [`check_push`] when nothing is blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushCheck {
    /// One per pushed ref, in git's order.
    pub refs: Vec<RefCheck>,
}

impl PushCheck {
    /// Whether every pushed ref is a deletion (nothing to check in the database).
    pub fn only_deletions(&self) -> bool {
        self.refs
            .iter()
            .all(|r| r.update.kind() == PushKind::Delete)
    }

    /// Migrations the push adds at the remote, each once, sorted.
    pub fn added(&self) -> Vec<String> {
        let mut all: Vec<String> = self.refs.iter().flat_map(|r| r.added.clone()).collect();
        all.sort();
        all.dedup();
        all
    }
}

/// Compares the migrations folder between each remote commit and the pushed commit with
/// `git diff --name-status --no-renames <remote> <local> -- <migrations dir>`, run in the
/// project root (which may be a subfolder of the repository). A new branch is compared with its
/// merge base against `refs/remotes/<remote>/HEAD` when that exists, else against nothing
/// (everything it carries is new to the remote); a deletion is not checked. A migration.sql whose
/// new text still matches the old checksum by Prisma's rule (line endings only) is not an edit.
///
/// Errors: [`HookError::EditedMigrations`] naming every migration the push edits or deletes;
/// [`HookError::Git`] when git fails.
pub fn check_push(
    project: &Project,
    updates: &[PushUpdate],
    remote: Option<&str>,
) -> Result<PushCheck, HookError> {
    let root = &project.root;
    let migrations_dir = project.migrations_dir();
    let Ok(relative) = migrations_dir.strip_prefix(root) else {
        let note = "the migrations folder is outside the project root; not checked".to_string();
        let refs = updates
            .iter()
            .map(|u| RefCheck {
                update: u.clone(),
                base: None,
                added: Vec::new(),
                note: Some(note.clone()),
            })
            .collect();
        return Ok(PushCheck { refs });
    };
    let relative = relative.as_str();
    let mut refs = Vec::new();
    let mut blocked = Vec::new();
    let mut empty_tree = None;
    for update in updates {
        let mut check = RefCheck {
            update: update.clone(),
            base: None,
            added: Vec::new(),
            note: None,
        };
        if update.kind() != PushKind::Delete && !is_commit(root, &update.local_sha)? {
            check.note = Some(format!(
                "{} is not a commit; not compared",
                update.local_ref
            ));
            refs.push(check);
            continue;
        }
        let base = match update.kind() {
            PushKind::Delete => {
                refs.push(check);
                continue;
            }
            PushKind::Update => {
                if !is_commit(root, &update.remote_sha)? {
                    check.note = Some(format!(
                        "the remote's commit {} is not in this repository (fetch first); not compared",
                        short(&update.remote_sha)
                    ));
                    refs.push(check);
                    continue;
                }
                Some(update.remote_sha.clone())
            }
            PushKind::Create => new_branch_base(root, &update.local_sha, remote)?,
        };
        let from = match &base {
            Some(sha) => sha.clone(),
            None => empty_tree
                .get_or_insert_with(|| {
                    git(root, &["hash-object", "-t", "tree", "/dev/null"])
                        .unwrap_or_else(|_| "4b825dc642cb6eb9a060e54bf8d69288fbee4904".to_string())
                })
                .clone(),
        };
        let output = git(
            root,
            &[
                "diff",
                "--name-status",
                "-z",
                "--no-renames",
                "--relative",
                &from,
                &update.local_sha,
                "--",
                relative,
            ],
        )?;
        let changes = parse_name_status(&output, relative);
        let (touched, added) = classify(&changes);
        check.added = added;
        for (name, files) in touched {
            let mut edited = Vec::new();
            let mut deleted = Vec::new();
            for file in files {
                let in_folder = &file.path[name.len() + 1..];
                match file.status {
                    'D' => deleted.push(in_folder.to_string()),
                    'M' if in_folder == "migration.sql" => {
                        let path = format!("{relative}/{}", file.path);
                        if !same_checksum(root, &from, &update.local_sha, &path)? {
                            edited.push(in_folder.to_string());
                        }
                    }
                    _ => edited.push(in_folder.to_string()),
                }
            }
            if edited.is_empty() && deleted.is_empty() {
                continue;
            }
            let change = if deleted.is_empty() {
                Change::Edited
            } else {
                Change::Deleted
            };
            deleted.extend(edited);
            blocked.push(BlockedMigration {
                path: format!("{relative}/{name}"),
                name,
                change,
                files: deleted,
                remote_ref: update.remote_ref.clone(),
                remote_sha: from.clone(),
            });
        }
        check.base = base;
        refs.push(check);
    }
    if !blocked.is_empty() {
        return Err(HookError::EditedMigrations { blocked });
    }
    Ok(PushCheck { refs })
}

/// Whether `sha` names a commit (or a tag of one) in the repository.
fn is_commit(root: &Utf8Path, sha: &str) -> Result<bool, HookError> {
    Ok(git_opt(root, &["cat-file", "-e", &format!("{sha}^{{commit}}")])?.is_some())
}

/// For a new branch: the merge base of `local` with `refs/remotes/<remote>/HEAD`, if both exist.
fn new_branch_base(
    root: &Utf8Path,
    local: &str,
    remote: Option<&str>,
) -> Result<Option<String>, HookError> {
    let Some(remote) = remote.filter(|r| !r.contains(['/', ':'])) else {
        return Ok(None);
    };
    let head = format!("refs/remotes/{remote}/HEAD");
    if git_opt(root, &["rev-parse", "--verify", "-q", &head])?.is_none() {
        return Ok(None);
    }
    git_opt(root, &["merge-base", local, &head])
}

/// Whether `path` at `to` still matches the checksum of `path` at `from` by Prisma's rule.
fn same_checksum(root: &Utf8Path, from: &str, to: &str, path: &str) -> Result<bool, HookError> {
    let show = |rev: &str| -> Result<Option<Vec<u8>>, HookError> {
        let output = git_raw(root, &["show", &format!("{rev}:./{path}")])?;
        Ok(output.status.success().then_some(output.stdout))
    };
    let (Some(old), Some(new)) = (show(from)?, show(to)?) else {
        return Ok(false);
    };
    Ok(checksum::matches(&new, &checksum::compute(&old)))
}

/// What the database side of the pre-push hook found and did.
#[derive(Debug)]
pub struct PrePush {
    /// Status, and the snapshot when migrations were pending (reason in the options, normally
    /// `pre-push`).
    pub outcome: PreMigrate,
    /// Migrations the push adds at the remote that the local database has not applied.
    pub unapplied_pushed: Vec<String>,
}

/// The database side of the pre-push hook: migration status of the local database and, when
/// migrations are pending, a snapshot with `options` (never prompts); plus which pushed
/// migrations the local database has not applied.
///
/// Errors: [`WorkflowError`] from connecting, status or snapshot; the hook warns and lets the
/// push through.
pub async fn pre_push(
    project: &Project,
    url: &crate::database::DatabaseUrl,
    check: &PushCheck,
    options: &SnapshotOptions,
    progress: &dyn Progress,
) -> Result<PrePush, WorkflowError> {
    let status = {
        let mut conn = url.connect().await?;
        migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?
    };
    let unapplied_pushed = unapplied_in(&status, &check.added());
    let outcome = if status.unapplied().next().is_none() {
        PreMigrate::NothingPending { status }
    } else {
        let started = Instant::now();
        let manifest =
            snapshot::take(url, &project.backups_dir, &status, options, progress).await?;
        PreMigrate::Taken {
            status,
            manifest: Box::new(manifest),
            elapsed: started.elapsed(),
        }
    };
    Ok(PrePush {
        outcome,
        unapplied_pushed,
    })
}

/// The names in `pushed` the database has not applied: pending, rolled back, or unknown to it.
fn unapplied_in(status: &StatusReport, pushed: &[String]) -> Vec<String> {
    pushed
        .iter()
        .filter(|name| {
            status
                .migrations
                .iter()
                .find(|m| &m.name == *name)
                .is_none_or(|m| m.state.is_unapplied())
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn parses_updates_new_branches_and_deletions() {
        let input = format!(
            "refs/heads/main {A} refs/heads/main {B}\n\
             refs/heads/feature {A} refs/heads/feature {ZERO}\n\
             \n\
             (delete) {ZERO} refs/heads/old {B}\n"
        );
        let updates = parse_pre_push(&input).unwrap();
        assert_eq!(updates.len(), 3);
        assert_eq!(
            updates[0],
            PushUpdate {
                local_ref: "refs/heads/main".into(),
                local_sha: A.into(),
                remote_ref: "refs/heads/main".into(),
                remote_sha: B.into(),
            }
        );
        assert_eq!(updates[0].kind(), PushKind::Update);
        assert_eq!(updates[1].kind(), PushKind::Create);
        assert_eq!(updates[2].kind(), PushKind::Delete);
        assert_eq!(updates[2].local_ref, "(delete)");
    }

    #[test]
    fn empty_input_is_no_updates() {
        assert!(parse_pre_push("").unwrap().is_empty());
        assert!(parse_pre_push("\n\n").unwrap().is_empty());
    }

    #[test]
    fn sha256_ids_are_accepted() {
        let long = "ab".repeat(32);
        let zero = "0".repeat(64);
        let updates = parse_pre_push(&format!("refs/heads/x {long} refs/heads/x {zero}")).unwrap();
        assert_eq!(updates[0].kind(), PushKind::Create);
    }

    #[test]
    fn malformed_lines_are_refused() {
        for line in [
            "refs/heads/main",
            &format!("refs/heads/main {A} refs/heads/main"),
            &format!("refs/heads/main {A} refs/heads/main {B} extra"),
            &format!("refs/heads/main nothex refs/heads/main {B}"),
            &format!("refs/heads/main {} refs/heads/main {B}", &A[..39]),
        ] {
            let error = parse_pre_push(line).unwrap_err();
            assert!(matches!(error, HookError::BadInput { .. }), "{line}");
        }
    }

    #[test]
    fn name_status_keeps_paths_under_the_migrations_folder() {
        let output = "M\0prisma/migrations/20240101_init/migration.sql\0A\0prisma/migrations/20250101_new/migration.sql\0M\0prisma/schema.prisma\0M\0prisma/migrations/migration_lock.toml\0D\0prisma/migrations/20240202_two/migration.sql\0";
        let changes = parse_name_status(output, "prisma/migrations");
        assert_eq!(
            changes,
            vec![
                FileChange {
                    status: 'M',
                    path: "20240101_init/migration.sql".into()
                },
                FileChange {
                    status: 'A',
                    path: "20250101_new/migration.sql".into()
                },
                FileChange {
                    status: 'M',
                    path: "migration_lock.toml".into()
                },
                FileChange {
                    status: 'D',
                    path: "20240202_two/migration.sql".into()
                },
            ]
        );
        let (touched, added) = classify(&changes);
        assert_eq!(added, vec!["20250101_new".to_string()]);
        assert_eq!(
            touched.keys().collect::<Vec<_>>(),
            ["20240101_init", "20240202_two"]
        );
    }

    #[test]
    fn a_file_added_to_an_existing_folder_is_not_an_edit() {
        let changes = vec![
            FileChange {
                status: 'A',
                path: "20240101_init/README.md".into(),
            },
            FileChange {
                status: 'M',
                path: "20240101_init/migration.sql".into(),
            },
        ];
        let (touched, added) = classify(&changes);
        assert!(added.is_empty());
        assert_eq!(touched["20240101_init"].len(), 1);
        assert_eq!(touched["20240101_init"][0].status, 'M');
    }

    #[test]
    fn the_script_is_marked_and_changes_into_the_project() {
        let top = script("");
        assert!(is_ours(&top));
        assert!(top.starts_with("#!/bin/sh\n"));
        assert!(!top.contains("cd '"));
        let sub = script("apps/it's");
        assert!(sub.contains("cd 'apps/it'\\''s' || exit 1\n"), "{sub}");
        assert!(!is_ours("#!/bin/sh\necho hi\n"));
    }
}
