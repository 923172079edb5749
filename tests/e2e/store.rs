//! The snapshot store and git: a new store ignores itself, an existing one is left alone, and
//! `status` and `pre-migrate` warn when git tracks a file inside a snapshot.

use std::process::Command;

use crate::support::{TempProject, TestDb};

fn git(project: &TempProject, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(&project.root)
        .output()
        .expect("running git");
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn a_new_store_keeps_its_snapshots_out_of_git() {
    let db = TestDb::new().await;
    let project = TempProject::new();
    project.seeded(&db).await;
    git(&project, &["init", "-q"]);
    project
        .xtask(&db, &["snapshot", "--reason", "first"])
        .assert_code(0);
    let ignore = std::fs::read_to_string(project.backups_dir().join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|line| line == "*"), "{ignore}");
    let staged = git(&project, &["add", "-A", "--dry-run"]);
    assert!(!staged.contains("backups"), "{staged}");
    assert!(staged.contains("prisma/schema.prisma"), "{staged}");
    let status = project.xtask(&db, &["status"]).assert_code(0).stderr();
    assert!(!status.contains("git tracks"), "{status}");
}

#[tokio::test]
async fn an_existing_store_is_left_as_it_is_and_tracked_snapshots_are_warned_about() {
    let db = TestDb::new().await;
    let project = TempProject::new();
    project.seeded(&db).await;
    git(&project, &["init", "-q"]);
    // A store the user made, with a README of theirs and no .gitignore.
    let store = project.backups_dir();
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join("README.md"), "our snapshots\n").unwrap();
    project.xtask(&db, &["snapshot"]).assert_code(0);
    assert!(!store.join(".gitignore").exists());
    let id = project.snapshots().pop().unwrap().manifest.id;
    git(&project, &["add", "backups"]);
    let tracked = git(&project, &["ls-files", "backups"]);
    assert!(tracked.contains("manifest.json"), "{tracked}");

    let run = project.xtask(&db, &["status"]).assert_code(0).stderr();
    // All but the README and the store lock's file.
    let count = tracked.lines().count() - 2;
    assert!(tracked.contains("backups/.lock"), "{tracked}");
    assert!(
        run.contains(&format!(
            "warning: git tracks {count} snapshot file(s) in backups (backups/{id}/"
        )),
        "{run}"
    );
    assert!(run.contains("git rm -r --cached backups"), "{run}");
    let run = project.xtask(&db, &["pre-migrate"]).assert_code(0).stderr();
    assert!(run.contains("warning: git tracks "), "{run}");
}
