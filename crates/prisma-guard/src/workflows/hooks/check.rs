//! The pre-push check: refusing a push that edits or deletes migrations the remote already has.

use camino::Utf8Path;

use super::diff::{classify, parse_name_status};
use super::git::{git, git_opt, git_raw};
use super::push::{PushKind, PushUpdate};
use super::{HookError, short};
use crate::migrations::checksum;
use crate::project::Project;

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
