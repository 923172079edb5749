//! `rollback`: schema, `_prisma_migrations` and rows back to the snapshot (a dry run changes
//! nothing), and the refusals that change nothing.

use std::process::Stdio;

use super::{run_with_pid, scratch_databases};
use crate::support::project::{Run, SEEDED};
use crate::support::{TempProject, TestDb};

/// Tables, columns (type, nullability, default), constraints and indexes of `public`, as text.
async fn catalog(db: &TestDb) -> Vec<String> {
    let mut conn = db.connect().await;
    let mut all: Vec<String> = sqlx::query_scalar(
        "SELECT format('%s.%s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                       a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
           AND a.attnum > 0 AND NOT a.attisdropped
         UNION ALL
         SELECT format('%s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
         WHERE connamespace = 'public'::regnamespace
         UNION ALL
         SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
         UNION ALL
         SELECT format('type %s', t.typname) FROM pg_type t
         WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    all.sort();
    all
}

/// `_prisma_migrations` as it stands: id, name, checksum, started, finished.
async fn history(db: &TestDb) -> Vec<(String, String, String, String, Option<String>)> {
    let mut conn = db.connect().await;
    sqlx::query_as(
        "SELECT id, migration_name, checksum, started_at::text, finished_at::text
         FROM _prisma_migrations ORDER BY id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_returns_status_schema_and_rows_to_the_snapshot() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let before = (catalog(&db).await, history(&db).await);
    let status_before = project.xtask(&db, &["status", "--json"]).json();
    db.copy_public_to("orig").await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    // The migration "went wrong", and the data moved on.
    db.deploy(&project.migrations(), 7).await;
    db.execute(
        "DELETE FROM \"SystemPrompt\" WHERE id = 1; UPDATE \"User\" SET email = 'x' WHERE id = 3;",
    )
    .await;
    assert_ne!(catalog(&db).await, before.0);

    // A dry run works in a scratch database: nothing changes here.
    let counts = db.row_counts("public").await;
    let (run, pid) = run_with_pid(&project, &db, &["rollback", &id, "--dry-run"]);
    run.assert_code(0);
    assert!(run.stdout().contains("dry run"), "{}", run.stdout());
    assert!(
        run.stdout()
            .contains("3 applied since the snapshot are undone"),
        "{}",
        run.stdout()
    );
    assert_eq!(db.row_counts("public").await, counts);
    assert_eq!(scratch_databases(&db, pid).await, 0);
    assert_eq!(
        project.snapshots().len(),
        1,
        "a dry run takes no safety snapshot"
    );

    let run = project.xtask(&db, &["rollback", &id, "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(
        report["migrations"].as_array().unwrap().len(),
        4,
        "{report:#}"
    );
    assert_eq!(report["history_rows"], 4);

    assert_eq!(catalog(&db).await, before.0, "the schema is the snapshot's");
    assert_eq!(
        history(&db).await,
        before.1,
        "_prisma_migrations is the snapshot's"
    );
    let status_after = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(status_after["migrations"], status_before["migrations"]);
    for table in SEEDED {
        let d = db.difference("orig", table).await;
        assert_eq!((d.missing, d.extra), (0, 0), "{table} is as it was");
    }
    // The sequences moved past the loaded ids: a new row gets a fresh id.
    db.execute("INSERT INTO \"Tag\" (name) VALUES ('after rollback')")
        .await;
    // The undo: a safety snapshot of everything before the rollback.
    let safety = project
        .snapshots()
        .into_iter()
        .find(|s| s.manifest.reason == "pre-rollback")
        .expect("a pre-rollback snapshot");
    assert_eq!(report["safety_snapshot"], safety.manifest.id.as_str());
    assert!(safety.manifest.table("_prisma_migrations").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_refuses_what_it_cannot_do_and_changes_nothing() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    db.deploy(&project.migrations(), 7).await;
    let counts = db.row_counts("public").await;

    // No terminal and no --yes.
    let run = Run(project
        .command(&["rollback", &id], &[("DATABASE_URL", &db.url())])
        .stdin(Stdio::null())
        .output()
        .unwrap());
    run.assert_code(1);
    assert!(run.stderr().contains("--yes"), "{}", run.stderr());

    // Not this machine.
    let run = project.xtask_with_env(
        &["rollback", &id, "--yes"],
        &[("DATABASE_URL", "postgresql://u:secret@db.example.com/app")],
    );
    run.assert_code(1);
    assert!(run.stderr().contains("not local") && !run.stderr().contains("secret"));

    // A migration the snapshot was taken at changed since: its schema cannot be rebuilt.
    let script = project.script(0);
    let mut sql = std::fs::read_to_string(&script).unwrap();
    sql.push_str("\n-- edited\n");
    std::fs::write(&script, sql).unwrap();
    let run = project.xtask(&db, &["rollback", &id, "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("cannot roll back") && stderr.contains(&project.migration_name(0)),
        "{stderr}"
    );
    assert_eq!(db.row_counts("public").await, counts);
    assert_eq!(project.snapshots().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_refuses_a_snapshot_of_some_tables() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project
        .xtask(&db, &["snapshot", "--tables", "User,_prisma_migrations"])
        .assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    db.deploy(&project.migrations(), 7).await;
    let counts = db.row_counts("public").await;

    let run = project.xtask(&db, &["rollback", &id, "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("does not hold the tables") && stderr.contains("SystemPrompt"),
        "{stderr}"
    );
    assert_eq!(
        db.row_counts("public").await,
        counts,
        "the rollback was undone"
    );
    let applied: i64 = db.scalar("SELECT count(*) FROM _prisma_migrations").await;
    assert_eq!(applied, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_to_a_snapshot_of_another_database_needs_force() {
    let (project, source, target) = (TempProject::new(), TestDb::new().await, TestDb::new().await);
    project.seeded(&source).await;
    project.xtask(&source, &["snapshot"]).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    db_with_rows(&project, &target).await;
    let counts = target.row_counts("public").await;

    let run = project.xtask(&target, &["rollback", &id, "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with(&format!(
            "error: the snapshot was taken of database {} (schema public), not of {} (schema public)",
            source.name, target.name
        )),
        "{stderr}"
    );
    assert!(stderr.contains("pass --force"), "{stderr}");
    assert_eq!(target.row_counts("public").await, counts);
    assert_eq!(
        project.snapshots().len(),
        1,
        "no safety snapshot before the refusal"
    );

    // The plan says where the snapshot came from; --force goes ahead.
    let run = project.xtask(
        &target,
        &["rollback", &id, "--yes", "--force", "--no-safety-snapshot"],
    );
    let out = run.assert_code(0).stdout();
    assert!(
        out.contains("taken of    postgresql://")
            && out.contains(&format!(
                "/{} (schema public) — another database than the target",
                source.name
            )),
        "{out}"
    );
    assert_eq!(
        target.row_counts("public").await,
        source.row_counts("public").await
    );
}

/// All 7 migrations and a few rows of its own.
async fn db_with_rows(project: &TempProject, db: &TestDb) {
    db.deploy(&project.migrations(), 7).await;
    db.execute(r#"INSERT INTO "Tag" ("name") VALUES ('only-in-target')"#)
        .await;
}
