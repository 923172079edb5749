//! The pre-push hook's lint with real git: the migrations a push adds are linted as committed;
//! the default warns and lets the push go, `lint = "deny"` blocks it over an error-level finding
//! until the migration carries an ignore comment.

use super::{DROP_BODY, DROP_BODY_LINE, DROP_BODY_SQL};
use crate::hooks::{Repo, install, up_to_date_db};

#[tokio::test]
async fn the_hook_warns_and_lets_the_push_go_by_default() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    install(&repo, &[]).assert_code(0);
    repo.write_migration(DROP_BODY, DROP_BODY_SQL);
    repo.commit("drop Post.body");

    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    run.assert_code(0);
    let stderr = run.stderr();
    assert!(stderr.contains(DROP_BODY_LINE), "{stderr}");
    assert_eq!(repo.remote_commit("main"), Some(repo.local_commit("HEAD")));
}

#[tokio::test]
async fn lint_deny_blocks_the_push_until_the_finding_is_silenced() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    repo.project.configure("lint = \"deny\"");
    repo.commit("lint = deny");
    install(&repo, &[]).assert_code(0);
    let before = repo.remote_commit("main");
    repo.write_migration(DROP_BODY, DROP_BODY_SQL);
    repo.commit("drop Post.body");

    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("error: push blocked (lint = \"deny\"): pushed migrations would lose data or fail on a filled table"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("  {DROP_BODY_LINE}")), "{stderr}");
    assert!(
        stderr.contains("add `-- squawk-ignore ban-drop-column` on the line before the statement"),
        "{stderr}"
    );
    assert_eq!(
        repo.remote_commit("main"),
        before,
        "the push did not happen"
    );
    let store = repo.project.root.join("backups");
    assert!(
        !store.exists() || repo.snapshots().is_empty(),
        "blocked before any snapshot"
    );

    // The file in the working tree is not what is pushed: the committed text is linted.
    repo.write_migration(
        DROP_BODY,
        &format!("-- squawk-ignore ban-drop-column\n{DROP_BODY_SQL}"),
    );
    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    run.assert_code(1);

    repo.commit("accept dropping Post.body");
    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    run.assert_code(0);
    assert!(
        !run.stderr().contains("ban-drop-column"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.remote_commit("main"), Some(repo.local_commit("HEAD")));
}

#[tokio::test]
async fn a_new_branch_with_nothing_to_compare_to_is_not_linted() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    repo.project.configure("lint = \"deny\"");
    repo.commit("lint = deny");
    install(&repo, &[]).assert_code(0);

    // Without origin/HEAD a new branch is compared against nothing: all seven migrations count
    // as added, and the history's own rename and drop must not block it.
    let run = repo.push(&db.url(), &["-q", "origin", "HEAD:refs/heads/feature"]);
    run.assert_code(0);
    assert!(
        !run.stderr().contains("renaming-column"),
        "{}",
        run.stderr()
    );
    assert_eq!(
        repo.remote_commit("feature"),
        Some(repo.local_commit("HEAD"))
    );
}
