//! `cargo xtask hooks` and `pre-migrate --hook pre-push`, end to end: real git (a bare remote
//! and a repository in the fixture app's temp copy), the hook installed by the real binary, and
//! real `git push`es that run it. The hook runs `$XTASK_BIN` (this build) instead of
//! `cargo xtask`, which a temp repository cannot run.
//!
//! This file: the git repository harness and the helpers the hook tests share.

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

use crate::support::project::Run;
use crate::support::{TempProject, TestDb};

mod checks;
mod database;
mod install;

/// A URL nothing listens on.
const UNREACHABLE: &str = "postgresql://postgres@127.0.0.1:1/nowhere";

/// `git` in `dir`, isolated from the user's and the system's git configuration.
fn git_command(dir: &Utf8Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("XTASK_BIN")
        .env_remove("DATABASE_URL")
        .env_remove("DIRECT_URL")
        .env("NO_COLOR", "1");
    command
}

/// Runs git and panics unless it succeeds; its stdout, trimmed.
#[track_caller]
fn git(dir: &Utf8Path, args: &[&str]) -> String {
    let run = Run(git_command(dir, args).output().expect("running git"));
    run.assert_code(0);
    run.stdout().trim().to_string()
}

/// A git repository around a temp copy of the fixture app (the project root is `work`, the
/// repository's top level is `top`), with a bare remote `origin` that has `main`.
pub(crate) struct Repo {
    pub(crate) project: TempProject,
    /// The repository's top level.
    top: Utf8PathBuf,
    /// The project root (`top`, or a folder below it).
    work: Utf8PathBuf,
    _remote_dir: tempfile::TempDir,
    remote: Utf8PathBuf,
}

impl Repo {
    /// The fixture app at the repository's top level.
    pub(crate) fn new() -> Repo {
        Repo::with_subdir(None)
    }

    /// With `subdir`, the app is moved into that folder of the repository.
    fn with_subdir(subdir: Option<&str>) -> Repo {
        let project = TempProject::new();
        let top = project.root.clone();
        let work = match subdir {
            None => top.clone(),
            Some(sub) => {
                let work = top.join(sub);
                let first = sub.split('/').next().unwrap();
                let entries: Vec<_> = top.read_dir_utf8().unwrap().map(|e| e.unwrap()).collect();
                std::fs::create_dir_all(&work).unwrap();
                for entry in entries {
                    if entry.file_name() != first {
                        std::fs::rename(entry.path(), work.join(entry.file_name())).unwrap();
                    }
                }
                work
            }
        };
        let remote_dir = tempfile::tempdir().unwrap();
        let remote = Utf8PathBuf::from_path_buf(remote_dir.path().join("remote.git")).unwrap();
        git(&top, &["init", "-q", "--bare", remote.as_str()]);
        git(&top, &["init", "-q", "-b", "main"]);
        git(&top, &["config", "user.name", "Hook Test"]);
        git(&top, &["config", "user.email", "hooks@example.com"]);
        std::fs::write(work.join(".gitignore"), "backups/\n").unwrap();
        git(&top, &["add", "."]);
        git(&top, &["commit", "-q", "-m", "the app"]);
        git(&top, &["remote", "add", "origin", remote.as_str()]);
        git(&top, &["push", "-q", "-u", "origin", "main"]);
        Repo {
            project,
            top,
            work,
            _remote_dir: remote_dir,
            remote,
        }
    }

    /// The real binary, run in the project root, with `env` set.
    fn xtask(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.project.command(args, env);
        command.current_dir(&self.work);
        Run(command.output().expect("running xtask"))
    }

    /// `<project root>/prisma/migrations`.
    fn migrations_dir(&self) -> Utf8PathBuf {
        self.work.join("prisma/migrations")
    }

    /// The migrations as the library reads them.
    fn migrations(&self) -> Vec<prisma_guard::migrations::LocalMigration> {
        prisma_guard::migrations::read_folder(&self.migrations_dir()).unwrap()
    }

    /// The folder name of the `index`-th migration (0-based).
    fn migration_name(&self, index: usize) -> String {
        self.migrations()[index].name.clone()
    }

    /// Writes `sql` as a migration folder's migration.sql.
    pub(crate) fn write_migration(&self, name: &str, sql: &str) {
        let dir = self.migrations_dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("migration.sql"), sql).unwrap();
    }

    /// Appends to an existing migration.sql.
    fn edit_migration(&self, name: &str) {
        let path = self.migrations_dir().join(name).join("migration.sql");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("\nALTER TABLE \"User\" ADD COLUMN \"nickname\" TEXT;\n");
        std::fs::write(path, text).unwrap();
    }

    /// Commits everything.
    pub(crate) fn commit(&self, message: &str) {
        git(&self.top, &["add", "-A"]);
        git(&self.top, &["commit", "-q", "-m", message]);
    }

    /// A real `git push` with the hook's environment: `XTASK_BIN` is this build,
    /// `DATABASE_URL` is `url`.
    pub(crate) fn push(&self, url: &str, args: &[&str]) -> Run {
        let mut full = vec!["push"];
        full.extend_from_slice(args);
        let mut command = git_command(&self.top, &full);
        command
            .env("XTASK_BIN", env!("CARGO_BIN_EXE_xtask"))
            .env("DATABASE_URL", url);
        Run(command.output().expect("running git push"))
    }

    /// The remote's commit for `branch` (`None` when it has no such branch).
    pub(crate) fn remote_commit(&self, branch: &str) -> Option<String> {
        let output = git_command(
            &self.top,
            &[
                "--git-dir",
                self.remote.as_str(),
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
        )
        .output()
        .unwrap();
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// The local commit of `rev`.
    pub(crate) fn local_commit(&self, rev: &str) -> String {
        git(&self.top, &["rev-parse", rev])
    }

    /// The default hooks folder's pre-push.
    fn hook_path(&self) -> Utf8PathBuf {
        self.top.join(".git/hooks/pre-push")
    }

    /// The complete snapshots in the project's store.
    pub(crate) fn snapshots(&self) -> Vec<prisma_guard::snapshot::StoredSnapshot> {
        prisma_guard::snapshot::list(&self.work.join("backups")).expect("listing snapshots")
    }
}

/// A database with all 7 fixture migrations applied: nothing pending.
pub(crate) async fn up_to_date_db(repo: &Repo) -> TestDb {
    let db = TestDb::new().await;
    db.deploy(&repo.migrations(), 7).await;
    db
}

pub(crate) fn install(repo: &Repo, args: &[&str]) -> Run {
    let mut full = vec!["hooks", "install"];
    full.extend_from_slice(args);
    repo.xtask(&full, &[])
}
