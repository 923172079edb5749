//! `cargo xtask hooks` and `pre-migrate --hook pre-push`, end to end: real git (a bare remote
//! and a repository in the fixture app's temp copy), the hook installed by the real binary, and
//! real `git push`es that run it. The hook runs `$XTASK_BIN` (this build) instead of
//! `cargo xtask`, which a temp repository cannot run.

use std::process::Command;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

use crate::support::project::Run;
use crate::support::{TempProject, TestDb};

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
struct Repo {
    project: TempProject,
    /// The repository's top level.
    top: Utf8PathBuf,
    /// The project root (`top`, or a folder below it).
    work: Utf8PathBuf,
    _remote_dir: tempfile::TempDir,
    remote: Utf8PathBuf,
}

impl Repo {
    /// The fixture app at the repository's top level.
    fn new() -> Repo {
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
    fn write_migration(&self, name: &str, sql: &str) {
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
    fn commit(&self, message: &str) {
        git(&self.top, &["add", "-A"]);
        git(&self.top, &["commit", "-q", "-m", message]);
    }

    /// A real `git push` with the hook's environment: `XTASK_BIN` is this build,
    /// `DATABASE_URL` is `url`.
    fn push(&self, url: &str, args: &[&str]) -> Run {
        let mut full = vec!["push"];
        full.extend_from_slice(args);
        let mut command = git_command(&self.top, &full);
        command
            .env("XTASK_BIN", env!("CARGO_BIN_EXE_xtask"))
            .env("DATABASE_URL", url);
        Run(command.output().expect("running git push"))
    }

    /// The remote's commit for `branch` (`None` when it has no such branch).
    fn remote_commit(&self, branch: &str) -> Option<String> {
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
    fn local_commit(&self, rev: &str) -> String {
        git(&self.top, &["rev-parse", rev])
    }

    /// The default hooks folder's pre-push.
    fn hook_path(&self) -> Utf8PathBuf {
        self.top.join(".git/hooks/pre-push")
    }

    /// The complete snapshots in the project's store.
    fn snapshots(&self) -> Vec<prisma_guard::snapshot::StoredSnapshot> {
        prisma_guard::snapshot::list(&self.work.join("backups")).expect("listing snapshots")
    }
}

/// A database with all 7 fixture migrations applied: nothing pending.
async fn up_to_date_db(repo: &Repo) -> TestDb {
    let db = TestDb::new().await;
    db.deploy(&repo.migrations(), 7).await;
    db
}

fn install(repo: &Repo, args: &[&str]) -> Run {
    let mut full = vec!["hooks", "install"];
    full.extend_from_slice(args);
    repo.xtask(&full, &[])
}

#[tokio::test]
async fn an_edited_pushed_migration_is_blocked() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    install(&repo, &[]).assert_code(0);
    let before = repo.remote_commit("main");
    let name = repo.migration_name(0);
    repo.edit_migration(&name);
    repo.commit("edit the first migration");

    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    assert_ne!(run.code(), 0, "the push must fail:\n{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains("push blocked: it changes migrations the remote already has"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{name} (edited: migration.sql) on refs/heads/main"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: put the migration back"), "{stderr}");
    assert_eq!(
        repo.remote_commit("main"),
        before,
        "the remote is unchanged"
    );
    assert!(repo.snapshots().is_empty());
}

#[tokio::test]
async fn a_deleted_pushed_migration_is_blocked() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    install(&repo, &[]).assert_code(0);
    let before = repo.remote_commit("main");
    let name = repo.migration_name(6);
    std::fs::remove_dir_all(repo.migrations_dir().join(&name)).unwrap();
    repo.commit("drop the last migration");

    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    assert_ne!(run.code(), 0, "the push must fail:\n{}", run.stderr());
    assert!(
        run.stderr().contains(&format!(
            "{name} (deleted: migration.sql) on refs/heads/main"
        )),
        "{}",
        run.stderr()
    );
    assert_eq!(
        repo.remote_commit("main"),
        before,
        "the remote is unchanged"
    );
}

#[tokio::test]
async fn line_endings_alone_are_not_an_edit() {
    // Prisma's checksum accepts a migration.sql checked out with CRLF: so does the hook.
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    install(&repo, &[]).assert_code(0);
    let path = repo
        .migrations_dir()
        .join(repo.migration_name(1))
        .join("migration.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace('\n', "\r\n")).unwrap();
    repo.commit("CRLF");
    repo.push(&db.url(), &["-q", "origin", "main"])
        .assert_code(0);
    assert_eq!(repo.remote_commit("main"), Some(repo.local_commit("HEAD")));
}

#[tokio::test]
async fn a_new_migration_with_the_database_behind_takes_a_snapshot() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    install(&repo, &[]).assert_code(0);
    repo.write_migration(
        "20250101000000_add_nickname",
        "ALTER TABLE \"User\" ADD COLUMN \"nickname\" TEXT;\n",
    );
    repo.commit("a new migration");

    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    run.assert_code(0);
    let stderr = run.stderr();
    let snapshots = repo.snapshots();
    assert_eq!(snapshots.len(), 1, "{stderr}");
    let manifest = &snapshots[0].manifest;
    assert_eq!(manifest.reason, "pre-push");
    assert!(manifest.id.ends_with("-pre-push"), "{}", manifest.id);
    assert!(
        stderr.contains("pre-push: the local database has pending migrations; snapshot taken"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("snapshot {}: ", manifest.id)),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning: this push carries migrations your local database has not applied: 20250101000000_add_nickname"
        ),
        "{stderr}"
    );
    assert_eq!(repo.remote_commit("main"), Some(repo.local_commit("HEAD")));
    let sidecar = snapshots[0].sidecar.as_ref().expect("a sidecar");
    assert_eq!(sidecar.reason, "pre-push");
    assert_eq!(sidecar.pending.len(), 1);
}

#[tokio::test]
async fn nothing_to_do_passes_quickly() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    install(&repo, &[]).assert_code(0);
    std::fs::write(repo.work.join("NOTES.md"), "no migration here\n").unwrap();
    repo.commit("notes");

    let started = Instant::now();
    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    let elapsed = started.elapsed();
    run.assert_code(0);
    assert!(
        run.stderr().contains(
            "pre-push: no pushed migration is edited; nothing pending in the local database"
        ),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());
    assert!(repo.snapshots().is_empty());
    assert!(
        elapsed < Duration::from_secs(5),
        "the push with the hook took {elapsed:?}"
    );
    assert_eq!(repo.remote_commit("main"), Some(repo.local_commit("HEAD")));
}

#[test]
fn an_unreachable_database_warns_and_lets_the_push_through() {
    let repo = Repo::new();
    install(&repo, &[]).assert_code(0);
    repo.write_migration("20250101000000_more", "SELECT 1;\n");
    repo.commit("a new migration");

    let run = repo.push(UNREACHABLE, &["-q", "origin", "main"]);
    run.assert_code(0);
    let stderr = run.stderr();
    assert!(
        stderr.contains("warning: cannot check the local database (cannot connect to postgresql://postgres@127.0.0.1:1/nowhere: the server is unreachable); the push goes on"),
        "{stderr}"
    );
    assert_eq!(repo.remote_commit("main"), Some(repo.local_commit("HEAD")));

    // No URL at all: the same.
    std::fs::write(repo.work.join("NOTES.md"), "more\n").unwrap();
    repo.commit("notes");
    let mut command = git_command(&repo.top, &["push", "-q", "origin", "main"]);
    command.env("XTASK_BIN", env!("CARGO_BIN_EXE_xtask"));
    let run = Run(command.output().unwrap());
    run.assert_code(0);
    assert!(
        run.stderr()
            .contains("warning: cannot check the local database (no database URL found"),
        "{}",
        run.stderr()
    );
}

#[tokio::test]
async fn new_branches_and_deletions() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    install(&repo, &[]).assert_code(0);

    // A new branch with a new migration: nothing at the remote is edited.
    git(&repo.top, &["checkout", "-q", "-b", "feature"]);
    repo.write_migration("20250101000000_feature", "SELECT 1;\n");
    repo.commit("feature migration");
    let run = repo.push(UNREACHABLE, &["-q", "origin", "feature"]);
    run.assert_code(0);
    assert!(repo.remote_commit("feature").is_some());

    // Deleting it at the remote: nothing to check, not even the database.
    let run = repo.push(UNREACHABLE, &["-q", "origin", "--delete", "feature"]);
    run.assert_code(0);
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());
    assert_eq!(repo.remote_commit("feature"), None);

    // A new branch that edits a migration `main` has: compared with the merge base against
    // origin/HEAD, so it is blocked.
    git(&repo.top, &["remote", "set-head", "origin", "main"]);
    git(&repo.top, &["checkout", "-q", "-b", "rewrite", "main"]);
    let name = repo.migration_name(2);
    repo.edit_migration(&name);
    repo.commit("edit a pushed migration on a new branch");
    let run = repo.push(&db.url(), &["-q", "origin", "rewrite"]);
    assert_ne!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains(&format!(
            "{name} (edited: migration.sql) on refs/heads/rewrite"
        )),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.remote_commit("rewrite"), None);
}

#[test]
fn a_foreign_hook_is_kept_only_with_force_and_still_runs() {
    let repo = Repo::new();
    let hook = repo.hook_path();
    let marker = repo.top.join("foreign-ran");
    let foreign =
        format!("#!/bin/sh\n# the team's own hook\necho \"$@\" > '{marker}'\ncat >> '{marker}'\n");
    std::fs::write(&hook, &foreign).unwrap();
    make_executable(&hook);

    // Without --force: refused, left as is.
    let run = install(&repo, &[]);
    run.assert_code(1);
    assert!(
        run.stderr()
            .contains("was not written by prisma-guard; it was left as is"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr()
            .contains("hint: `cargo xtask hooks install --force` keeps it")
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);

    // With --force: kept beside ours as pre-push.local.
    let run = install(&repo, &["--force"]);
    run.assert_code(0);
    assert!(
        run.stdout().contains(
            "the hook that was there is kept as .git/hooks/pre-push.local; ours runs it first"
        ),
        "{}",
        run.stdout()
    );
    let kept = hook.with_file_name("pre-push.local");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), foreign);
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains(prisma_guard::workflows::hooks::MARKER)
    );
    let status = repo.xtask(&["hooks", "status"], &[]);
    status.assert_code(0);
    assert!(
        status
            .stdout()
            .contains("pre-push hook: installed at .git/hooks/pre-push")
            && status
                .stdout()
                .contains("chained: .git/hooks/pre-push.local runs first"),
        "{}",
        status.stdout()
    );

    // It still runs, with git's arguments and stdin.
    std::fs::write(repo.work.join("NOTES.md"), "x\n").unwrap();
    repo.commit("notes");
    let run = repo.push(UNREACHABLE, &["-q", "origin", "main"]);
    run.assert_code(0);
    let seen = std::fs::read_to_string(&marker).expect("the foreign hook ran");
    let head = repo.local_commit("HEAD");
    assert!(
        seen.starts_with(&format!("origin {}\n", repo.remote)),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("refs/heads/main {head} refs/heads/main ")),
        "{seen}"
    );
    assert_eq!(repo.remote_commit("main"), Some(head));

    // Its failure fails the push.
    std::fs::write(&kept, "#!/bin/sh\necho 'the team says no' >&2\nexit 3\n").unwrap();
    std::fs::write(repo.work.join("NOTES.md"), "y\n").unwrap();
    repo.commit("more notes");
    let before = repo.remote_commit("main");
    let run = repo.push(UNREACHABLE, &["-q", "origin", "main"]);
    assert_ne!(run.code(), 0);
    assert!(
        run.stderr().contains("the team says no"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.remote_commit("main"), before);
    std::fs::write(&kept, &foreign).unwrap();

    // Uninstall removes ours and puts the foreign hook back.
    let run = repo.xtask(&["hooks", "uninstall"], &[]);
    run.assert_code(0);
    assert!(
        run.stdout()
            .contains("put .git/hooks/pre-push.local back as .git/hooks/pre-push"),
        "{}",
        run.stdout()
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);
    assert!(!kept.exists());
    let run = repo.xtask(&["hooks", "uninstall"], &[]);
    run.assert_code(0);
    assert!(
        run.stdout()
            .contains("the pre-push hook there is not ours; it was left as is"),
        "{}",
        run.stdout()
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);
}

#[test]
fn install_is_idempotent_and_uninstall_removes_only_ours() {
    let repo = Repo::new();
    let hook = repo.hook_path();
    let run = repo.xtask(&["hooks", "status"], &[]);
    run.assert_code(0);
    assert!(
        run.stdout().starts_with("pre-push hook: not installed"),
        "{}",
        run.stdout()
    );

    let run = install(&repo, &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "installed the pre-push hook at .git/hooks/pre-push\n"
    );
    let first = std::fs::read_to_string(&hook).unwrap();
    assert!(first.starts_with("#!/bin/sh\n"));
    assert!(is_executable(&hook));
    let run = install(&repo, &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "the pre-push hook is already installed at .git/hooks/pre-push\n"
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), first);
    let entries: Vec<String> = hook
        .parent()
        .unwrap()
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string())
        .filter(|n| !n.ends_with(".sample"))
        .filter(|n| n.starts_with("pre-push") || n.contains("xtask"))
        .collect();
    assert_eq!(entries, ["pre-push"], "nothing else is left beside it");

    // An older version of ours is updated in place.
    std::fs::write(&hook, first.replace("cargo xtask", "cargo  xtask")).unwrap();
    let status = repo.xtask(&["hooks", "status"], &[]);
    assert!(
        status.stdout().contains("from another version"),
        "{}",
        status.stdout()
    );
    install(&repo, &[]).assert_code(0);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), first);

    let run = repo.xtask(&["hooks", "uninstall"], &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "removed the pre-push hook .git/hooks/pre-push\n"
    );
    assert!(!hook.exists());
    let run = repo.xtask(&["hooks", "uninstall"], &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "the pre-push hook is not installed at .git/hooks/pre-push\n"
    );
}

#[tokio::test]
async fn core_hooks_path_is_respected() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    git(&repo.top, &["config", "core.hooksPath", ".githooks"]);
    let run = install(&repo, &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "installed the pre-push hook at .githooks/pre-push\n"
    );
    assert!(repo.top.join(".githooks/pre-push").is_file());
    assert!(!repo.hook_path().exists());
    let status = repo.xtask(&["hooks", "status"], &[]);
    assert!(
        status
            .stdout()
            .contains("pre-push hook: installed at .githooks/pre-push (core.hooksPath)"),
        "{}",
        status.stdout()
    );

    // git runs it from there.
    let name = repo.migration_name(3);
    repo.edit_migration(&name);
    repo.commit("edit");
    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    assert_ne!(run.code(), 0);
    assert!(run.stderr().contains(&name), "{}", run.stderr());
}

#[tokio::test]
async fn a_project_in_a_subfolder_of_the_repository() {
    let repo = Repo::with_subdir(Some("apps/shop"));
    let db = up_to_date_db(&repo).await;
    let run = install(&repo, &[]);
    run.assert_code(0);
    let hook = std::fs::read_to_string(repo.hook_path()).unwrap();
    assert!(hook.contains("cd 'apps/shop' || exit 1\n"), "{hook}");

    // A new migration: the database in the subfolder's project is behind, so it snapshots there.
    repo.write_migration("20250101000000_sub", "SELECT 1;\n");
    repo.commit("new migration");
    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    run.assert_code(0);
    assert_eq!(repo.snapshots().len(), 1, "{}", run.stderr());

    // An edit is found with the subfolder's path.
    let name = repo.migration_name(0);
    repo.edit_migration(&name);
    repo.commit("edit");
    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    assert_ne!(run.code(), 0);
    assert!(
        run.stderr().contains(&format!(
            "{name} (edited: migration.sql) on refs/heads/main"
        )),
        "{}",
        run.stderr()
    );
}

#[test]
fn hook_input_errors_and_usage() {
    let repo = Repo::new();
    // Only pre-push is a hook name.
    repo.xtask(&["pre-migrate", "--hook", "pre-commit"], &[])
        .assert_code(2);
    // Hook arguments need --hook.
    repo.xtask(&["pre-migrate", "origin"], &[]).assert_code(2);
    // Outside a git repository, install says so.
    let plain = TempProject::new();
    let run = plain.xtask_with_env(&["hooks", "install"], &[("GIT_CEILING_DIRECTORIES", "/")]);
    run.assert_code(1);
    assert!(
        run.stderr().contains("is not in a git repository"),
        "{}",
        run.stderr()
    );
    // Garbage on stdin is an error, not a silent pass.
    let mut command = repo
        .project
        .command(&["pre-migrate", "--hook", "pre-push"], &[]);
    command
        .current_dir(&repo.work)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"refs/heads/main not-a-sha\n").unwrap();
    }
    let run = Run(child.wait_with_output().unwrap());
    run.assert_code(1);
    assert!(
        run.stderr().contains("cannot read the pre-push line"),
        "{}",
        run.stderr()
    );
}

#[cfg(unix)]
fn make_executable(path: &Utf8Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
fn is_executable(path: &Utf8Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o111 != 0
}
