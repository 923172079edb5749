//! The sidecar beside a snapshot: the migrations applied and pending, the git branch and commit
//! (none outside a repository), and owner-only permissions.

use prisma_guard::snapshot;

use crate::support::{TempProject, TestDb};

#[tokio::test]
async fn sidecar_records_migrations_and_git() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&project.root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q", "-b", "feature/images"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "start",
    ]);
    let commit = git(&["rev-parse", "HEAD"]);

    let run = project.xtask(&db, &["pre-migrate"]);
    run.assert_code(0);
    let stored = project.snapshots().pop().expect("a snapshot");
    let sidecar = stored.sidecar.expect("a sidecar");
    assert_eq!(sidecar.reason, "pre-migrate");
    assert_eq!(sidecar.command, "cargo xtask pre-migrate");
    let names = |list: &[snapshot::sidecar::MigrationRecord]| {
        list.iter().map(|m| m.name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        names(&sidecar.applied),
        (0..4)
            .map(|i| project.migration_name(i))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        names(&sidecar.pending),
        (4..7)
            .map(|i| project.migration_name(i))
            .collect::<Vec<_>>()
    );
    assert!(
        sidecar
            .applied
            .iter()
            .all(|m| m.finished_at.is_some() && m.checksum == m.local_checksum)
    );
    assert!(
        sidecar
            .pending
            .iter()
            .all(|m| m.checksum.is_none() && m.local_checksum.is_some())
    );
    assert!(
        sidecar.failed.is_empty()
            && sidecar.edited.is_empty()
            && sidecar.missing_locally.is_empty()
    );
    let git_info = sidecar.git.expect("git fields inside a repository");
    assert_eq!(git_info.branch, "feature/images");
    assert_eq!(git_info.commit, commit);
    assert!(git_info.dirty, "the copied fixture is untracked");

    // Files and folders are the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &camino::Utf8Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&stored.path), 0o700);
    assert_eq!(mode(&stored.path.join("manifest.json")), 0o600);
    assert_eq!(
        mode(&stored.path.join(&stored.manifest.tables[0].file)),
        0o600
    );
}

#[tokio::test]
async fn no_git_fields_outside_a_repository() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    if snapshot::sidecar::git_info(&project.root).is_some() {
        return; // the temp folder lies inside some repository on this machine
    }
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let sidecar = project.snapshots().pop().unwrap().sidecar.unwrap();
    assert!(sidecar.git.is_none());
}
