//! How a migration file runs (`migration-statements`): statement by statement outside a
//! transaction block for an app on Prisma >= 7.4, the whole file as one query before. A file with
//! `CREATE INDEX CONCURRENTLY` among other statements deploys and replays under the former and
//! fails under the latter, as Prisma 6's native engine fails it; a failing file keeps the
//! statements before the failure exactly as the real Prisma CLI (through its adapter) keeps them.

use super::deploy::{rows, schema_dump};
use crate::support::{PrismaCli, TempProject, TestDb};

const CONCURRENTLY: &str = "20250101000000_audit_concurrently";

/// The fixture with a migration 8 that builds an index concurrently between other statements,
/// and `package.json` naming Prisma `version`.
fn project(version: &str) -> TempProject {
    let project = TempProject::new();
    project.package_json(version, "");
    project.add_migration(
        CONCURRENTLY,
        "-- CreateTable\nCREATE TABLE \"Audit\" (\"id\" SERIAL PRIMARY KEY, \"note\" TEXT NOT NULL DEFAULT 'a;b');\n\n\
         -- CreateIndex\nCREATE INDEX CONCURRENTLY \"Audit_note_idx\" ON \"Audit\"(\"note\");\n\n\
         INSERT INTO \"Audit\" (\"note\") VALUES ('it''s; done');\n",
    );
    project.configure("migrate-command = \"builtin\"");
    project
}

async fn index_is_valid(db: &TestDb) -> bool {
    db.scalar(
        "SELECT coalesce(bool_and(i.indisvalid), false) FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'Audit_note_idx'",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prisma_7_4_semantics_deploy_concurrently() {
    let (project, db) = (project("^7.4.0"), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    project
        .xtask(&db, &["pre-migrate", "--apply"])
        .assert_code(0);
    assert!(index_is_valid(&db).await);
    let note: String = db.scalar("SELECT note FROM \"Audit\"").await;
    assert_eq!(note, "it's; done");
    project.xtask(&db, &["status", "--check"]).assert_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_file_semantics_fail_as_prisma_6_does() {
    let (project, db) = (project("6.19.3"), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let run = project.xtask(&db, &["pre-migrate", "--apply"]);
    run.assert_code(1);
    assert!(
        run.stderr()
            .contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction block"),
        "{}",
        run.stderr()
    );
    // One implicit transaction: nothing of the file stayed; the row is failed.
    let audit = "SELECT count(*) FROM pg_tables WHERE tablename = 'Audit'";
    assert_eq!(db.scalar::<i64>(audit).await, 0);
    let last = rows(&db).await.pop().unwrap();
    assert_eq!((last.name.as_str(), last.finished), (CONCURRENTLY, false));

    // The key overrides the version.
    db.execute(&format!(
        "DELETE FROM _prisma_migrations WHERE migration_name = '{CONCURRENTLY}'"
    ))
    .await;
    project.configure("migration-statements = \"split\"");
    project
        .xtask(&db, &["pre-migrate", "--apply"])
        .assert_code(0);
    assert!(index_is_valid(&db).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_runs_files_as_the_apps_prisma_does() {
    for (version, replays) in [("7.4.0", true), ("6.19.3", false)] {
        let (project, db) = (project(version), TestDb::new().await);
        project.seeded(&db).await;
        project.xtask(&db, &["snapshot"]).assert_code(0);
        let id = project.snapshots()[0].manifest.id.clone();
        project.wipe_and_migrate(&db).await;
        project.configure("migration-statements = \"split\"");
        project
            .xtask(&db, &["pre-migrate", "--apply"])
            .assert_code(0);
        // Now the replay runs as the app's version says.
        let manifest = project.root.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(
            &manifest,
            text.replace("migration-statements = \"split\"", ""),
        )
        .unwrap();

        let run = project.xtask(
            &db,
            &[
                "restore",
                &id,
                "--strategy",
                "replay",
                "--admin-only",
                "--yes",
                "--json",
            ],
        );
        if replays {
            run.assert_code(0);
            assert_eq!(run.json()["strategy"]["used"], "replay");
            let admins: i64 = db.scalar("SELECT count(*) FROM \"User\"").await;
            assert_eq!(admins, 2);
        } else {
            run.assert_code(1);
            let stderr = run.stderr();
            assert!(
                stderr.contains(CONCURRENTLY) && stderr.contains("CONCURRENTLY cannot run"),
                "{stderr}"
            );
            let users: i64 = db.scalar("SELECT count(*) FROM \"User\"").await;
            assert_eq!(users, 0, "the target is untouched");
        }
    }
}

#[tokio::test]
async fn a_failing_file_keeps_what_the_real_cli_keeps() {
    let Some(prisma) = PrismaCli::find("a_failing_file_keeps_what_the_real_cli_keeps") else {
        return;
    };
    // Prisma 6.19 through adapter-pg runs statement by statement: split semantics.
    let project = TempProject::new();
    project.add_migration(
        "20250101000000_half",
        "CREATE TABLE \"Half\" (id int);\nINSERT INTO \"Half\" VALUES (1);\nSELECT * FROM \"NoSuchTable\";\nCREATE TABLE \"Never\" (id int);\n",
    );
    project.configure("migration-statements = \"split\"\nmigrate-command = \"builtin\"");
    let (theirs, ours) = (TestDb::new().await, TestDb::new().await);
    prisma
        .run(&project, &theirs, &["migrate", "deploy"])
        .assert_code(1);
    project
        .xtask(&ours, &["pre-migrate", "--apply"])
        .assert_code(1);
    assert_eq!(schema_dump(&ours).await, schema_dump(&theirs).await);
    for db in [&theirs, &ours] {
        assert_eq!(db.scalar::<i64>("SELECT count(*) FROM \"Half\"").await, 1);
    }
    let (t, o) = (rows(&theirs).await, rows(&ours).await);
    assert_eq!(t.len(), 8);
    let strip = |rows: Vec<super::deploy::Row>| -> Vec<_> {
        rows.into_iter()
            .map(|r| {
                (
                    r.name,
                    r.checksum,
                    r.finished,
                    r.applied_steps_count,
                    r.logs.is_some(),
                )
            })
            .collect()
    };
    assert_eq!(strip(o), strip(t));
}
