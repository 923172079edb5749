//! The pre-push check of the pushed migrations: an edit or a deletion blocks the push, line
//! endings do not, new and deleted branches, and bad hook input or usage.

use super::{Repo, UNREACHABLE, git, install, up_to_date_db};
use crate::support::TempProject;
use crate::support::project::Run;

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
