//! The pre-push look at the local database: pending migrations take a `pre-push` snapshot,
//! nothing to do passes quickly, an unreachable or unknown database only warns.

use std::time::{Duration, Instant};

use super::{Repo, UNREACHABLE, git_command, install, up_to_date_db};
use crate::support::project::Run;

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
