//! `cargo xtask pre-migrate`, the main job, end to end through the real binary.

use crate::support::{TempProject, TestDb};

#[tokio::test]
async fn nothing_pending_takes_nothing() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let run = project.xtask(&db, &["pre-migrate", "--check"]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "nothing pending: 7 migrations applied; no snapshot taken (--force takes one anyway)\n"
    );
    assert!(project.snapshots().is_empty());

    project
        .xtask(&db, &["pre-migrate", "--force"])
        .assert_code(0);
    assert_eq!(project.snapshots().len(), 1, "--force snapshots anyway");
}

#[tokio::test]
async fn pending_migrations_are_snapshotted_first() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let run = project.xtask(&db, &["pre-migrate"]);
    run.assert_code(0);
    let stored = project.snapshots().pop().expect("a snapshot");
    let id = &stored.manifest.id;
    assert!(id.ends_with("-pre-migrate"), "{id}");
    let out = run.stdout();
    assert!(
        out.starts_with("3 pending migrations:\n  20240510120000_rename_user_name\n"),
        "{out}"
    );
    assert!(
        out.contains(&format!("snapshot {id}: 11 tables, 64 rows, ")),
        "{out}"
    );
    assert!(
        out.contains(&format!("restore with: `cargo xtask restore {id}`\n")),
        "{out}"
    );
    assert_eq!(stored.manifest.reason, "pre-migrate");

    // Pending is 10; the prediction's 12 (these migrations drop a filled column) is tested in
    // `predict::check`.
    project
        .xtask(&db, &["pre-migrate", "--check", "--no-predict"])
        .assert_code(10);
    project
        .xtask(&db, &["pre-migrate", "--check"])
        .assert_code(12);
    let json = project
        .xtask(&db, &["pre-migrate", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(json["pending"].as_array().unwrap().len(), 3);
    assert_eq!(json["snapshot"]["rows"], 64);
    assert_eq!(json["snapshot"]["tables"], 11);
}

#[tokio::test]
async fn an_unchanged_database_reuses_the_snapshot_and_still_applies() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project.xtask(&db, &["pre-migrate"]).assert_code(0);
    let first = project.snapshots().pop().unwrap().manifest.id;

    // Changed data is snapshotted again, even with the same pending migrations.
    db.execute(r#"DELETE FROM "PageView""#).await;
    let json = project
        .xtask(&db, &["pre-migrate", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(json["snapshot_reused"], false);
    let second = json["snapshot"]["id"].as_str().unwrap().to_string();
    assert_ne!(second, first);

    // As the README shows: pre-migrate, then pre-migrate --apply. The data has not changed.
    let run = project.xtask(
        &db,
        &["pre-migrate", "--apply", "--migrate-command", "builtin"],
    );
    let out = run.assert_code(0).stdout();
    assert!(
        out.contains(&format!(
            "unchanged since snapshot {second} (same data, same pending migrations; compared in "
        )),
        "{out}"
    );
    assert!(out.contains("applied 3 migration(s):"), "{out}");
    let ids: Vec<_> = project
        .snapshots()
        .into_iter()
        .map(|s| s.manifest.id)
        .collect();
    assert_eq!(ids, [first, second], "no third, identical snapshot");
}

#[tokio::test]
async fn failed_migration_warns_but_still_snapshots() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.add_migration("20250101000000_broken", "SELECT * FROM \"Nope\";");
    db.deploy(&project.migrations(), 7).await;
    db.deploy_into("public", &project.migrations(), 8)
        .await
        .unwrap_err();
    project.add_migration("20250201000000_next", "SELECT 1;");
    let run = project.xtask(&db, &["pre-migrate"]);
    run.assert_code(0);
    assert!(
        run.stderr()
            .contains("warning: migration 20250101000000_broken failed"),
        "{}",
        run.stderr()
    );
    assert_eq!(project.snapshots().len(), 1);
}

#[tokio::test]
async fn apply_builtin_reports_lost_rows() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project.add_migration(
        "20250101000000_prune_analytics",
        "DELETE FROM \"PageView\" WHERE \"userId\" IS NULL;\nDROP TABLE \"Carousel\";\n",
    );
    let before: i64 = db.scalar("SELECT count(*) FROM \"PageView\"").await;
    let anonymous: i64 = db
        .scalar("SELECT count(*) FROM \"PageView\" WHERE \"userId\" IS NULL")
        .await;
    assert!(
        anonymous > 0 && anonymous < before,
        "the fixture has both kinds of page views"
    );

    let run = project.xtask(
        &db,
        &["pre-migrate", "--apply", "--migrate-command", "builtin"],
    );
    run.assert_code(0);
    let out = run.stdout();
    let id = project.snapshots().pop().unwrap().manifest.id;
    assert!(out.contains("applied 4 migration(s):"), "{out}");
    assert!(
        out.contains(&format!(
            "  PageView: {anonymous} of {before} rows lost\n    restore with: `cargo xtask restore {id} --tables PageView`\n"
        )),
        "{out}"
    );
    assert!(out.contains("  Carousel: table dropped (3 rows)"), "{out}");
    assert!(
        out.contains("  Post: rows kept, dropped columns: legacyHtml"),
        "{out}"
    );
    project.xtask(&db, &["status", "--check"]).assert_code(0);
}

#[tokio::test]
async fn apply_external_command_gets_the_url_and_failure_keeps_the_snapshot() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    // A stand-in for `npx prisma migrate deploy` that fails after checking what it was given.
    let script = project.root.join("fake-prisma.sh");
    std::fs::write(&script, "#!/bin/sh\necho \"deploying to ${DATABASE_URL%%@*}\"\necho 'P3018 migration failed' >&2\nexit 1\n").unwrap();
    let run = project.xtask(
        &db,
        &[
            "pre-migrate",
            "--apply",
            "--migrate-command",
            &format!("sh {script}"),
        ],
    );
    run.assert_code(1);
    let stderr = run.stderr();
    let id = project
        .snapshots()
        .pop()
        .expect("the snapshot is kept")
        .manifest
        .id;
    assert!(
        stderr.contains(&format!("error: the snapshot {id} is kept")),
        "{stderr}"
    );
    assert!(stderr.contains("P3018 migration failed"), "{stderr}");
    assert!(
        stderr.contains("deploying to postgresql://"),
        "the command saw DATABASE_URL: {stderr}"
    );
}

#[tokio::test]
async fn never_migrated_database_is_all_pending() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute("CREATE TABLE legacy (id int PRIMARY KEY); INSERT INTO legacy VALUES (1), (2);")
        .await;
    let run = project.xtask(&db, &["pre-migrate"]);
    run.assert_code(0);
    assert!(
        run.stdout().starts_with("7 pending migrations:"),
        "{}",
        run.stdout()
    );
    let stored = project.snapshots().pop().unwrap();
    assert_eq!(stored.manifest.table("legacy").unwrap().rows, 2);
    assert!(!stored.sidecar.unwrap().migrations_table);
}
