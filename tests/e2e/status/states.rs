//! Every migration state produced for real (applied, pending, never migrated, failed, rolled
//! back, edited, missing locally, diverged), in the table and in `--json`, and the exit codes of
//! `--check`.

use super::state_of;
use crate::support::{TempProject, TestDb};

/// Exit codes of `status --check`.
const PENDING: i32 = 10;
const PROBLEMS: i32 = 11;

#[tokio::test]
async fn applied_and_pending() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 4).await;

    let run = project.xtask(&db, &["status"]);
    run.assert_code(0);
    let out = run.stdout();
    let shown = format!("database    {}", db.database_url().redacted());
    assert!(out.contains(&shown), "{out}");
    assert!(
        out.contains("(schema public, from DATABASE_URL in the environment)"),
        "{out}"
    );
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("2024")).collect();
    assert_eq!(lines.len(), 7, "{out}");
    assert!(lines[3].contains("20240422163000_analytics") && lines[3].contains("applied"));
    assert!(
        lines[3].contains(" UTC"),
        "applied at is shown: {}",
        lines[3]
    );
    assert!(lines[4].contains("20240510120000_rename_user_name") && lines[4].contains("pending"));
    assert!(
        out.lines().any(|l| l
            == "4 applied, 3 pending: run `cargo xtask pre-migrate` to snapshot the data before applying them"),
        "{out}"
    );

    project
        .xtask(&db, &["status", "--check"])
        .assert_code(PENDING);
    db.deploy(&project.migrations(), 7).await;
    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(0);
    assert!(
        run.stdout()
            .contains("7 applied: the database is up to date"),
        "{}",
        run.stdout()
    );
}

#[tokio::test]
async fn json_shape() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 2).await;
    let json = project
        .xtask(&db, &["status", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(json["migrations"].as_array().unwrap().len(), 7);
    let first = &json["migrations"][0];
    assert_eq!(first["name"], "20240105093000_init");
    assert_eq!(first["state"], "applied");
    assert!(first["applied_at"].is_string());
    assert_eq!(first["local_checksum"], first["recorded_checksum"]);
    assert_eq!(first["local_checksum"].as_str().unwrap().len(), 64);
    let third = &json["migrations"][2];
    assert_eq!(third["state"], "pending");
    assert!(third["applied_at"].is_null());
    assert_eq!(json["summary"]["applied"], 2);
    assert_eq!(json["summary"]["pending"], 5);
    assert_eq!(json["migrations_table"], true);
    assert_eq!(json["database"]["schema"], "public");
    assert!(json["divergence"].is_null());
}

#[tokio::test]
async fn never_migrated_database() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(PENDING);
    assert!(
        run.stdout().contains(
            "7 pending: the database has never been migrated with Prisma (no _prisma_migrations table in schema \"public\")"
        ),
        "{}",
        run.stdout()
    );
    let exists: Option<String> = db
        .scalar("SELECT to_regclass('public._prisma_migrations')::text")
        .await;
    assert_eq!(exists, None, "status must never create the table");
}

#[tokio::test]
async fn failed_migration() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.add_migration(
        "20250101000000_broken",
        "ALTER TABLE \"Nope\" ADD COLUMN \"x\" INT;",
    );
    db.deploy(&project.migrations(), 7).await;
    let error = db
        .deploy_into("public", &project.migrations(), 8)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("20250101000000_broken"),
        "{error}"
    );
    assert!(
        error.to_string().contains("\"Nope\" does not exist"),
        "{error}"
    );

    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(PROBLEMS);
    assert!(run.stdout().contains("1 failed"), "{}", run.stdout());
    assert!(
        run.stderr()
            .contains("warning: migration 20250101000000_broken failed"),
        "{}",
        run.stderr()
    );
    let logs: String = db
        .scalar("SELECT logs FROM _prisma_migrations WHERE finished_at IS NULL")
        .await;
    assert!(logs.contains("does not exist"), "{logs}");
}

#[tokio::test]
async fn rolled_back_then_reapplied() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let name = "20250101000000_add_column";
    project.add_migration(name, "ALTER TABLE \"Nope\" ADD COLUMN \"x\" INT;");
    db.deploy(&project.migrations(), 7).await;
    db.deploy_into("public", &project.migrations(), 8)
        .await
        .unwrap_err();
    // What `prisma migrate resolve --rolled-back` does.
    db.execute(&format!(
        "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '{name}'"
    ))
    .await;
    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(state_of(&json, name), "rolled_back");
    project
        .xtask(&db, &["status", "--check"])
        .assert_code(PENDING);

    // Fixed and deployed again: Prisma's diagnosis compares the file with the first row by
    // started_at, the rolled-back one included (prisma/prisma#9829), so it is edited.
    project.add_migration(name, "ALTER TABLE \"User\" ADD COLUMN \"x\" INT;");
    let report = db.deploy(&project.migrations(), 8).await;
    assert_eq!(report.applied, [name]);
    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(state_of(&json, name), "edited");
    assert_eq!(json["migrations"][7]["attempts"], 2);
    project
        .xtask(&db, &["status", "--check"])
        .assert_code(PROBLEMS);
}

#[tokio::test]
async fn edited_migration() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let script = project.script(1);
    let mut sql = std::fs::read_to_string(&script).unwrap();
    sql.push_str("\n-- an afterthought\nCREATE INDEX \"Image_url_idx\" ON \"Image\"(\"url\");\n");
    std::fs::write(&script, sql).unwrap();

    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(PROBLEMS);
    let name = project.migration_name(1);
    assert_eq!(
        state_of(&project.xtask(&db, &["status", "--json"]).json(), &name),
        "edited"
    );
    assert!(
        run.stderr()
            .contains(&format!("migration {name} was edited after it was applied"))
    );
}

#[tokio::test]
async fn missing_locally_and_diverged_histories() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let deleted = project.migration_name(6);
    std::fs::remove_dir_all(project.migrations_dir().join(&deleted)).unwrap();
    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(PROBLEMS);
    assert!(
        run.stdout().contains("6 applied, 1 missing locally"),
        "{}",
        run.stdout()
    );
    assert!(run.stderr().contains(&format!(
        "migration {deleted} is applied to the database but its folder is missing"
    )));

    // Another branch's migration arrives locally: pending and missing at once.
    project.add_migration("20240701000000_other_branch", "SELECT 1;");
    let run = project.xtask(&db, &["status", "--check", "--json"]);
    run.assert_code(PROBLEMS);
    let json = run.json();
    assert_eq!(json["divergence"]["last_common"], project.migration_name(5));
    let run = project.xtask(&db, &["status"]);
    assert!(
        run.stdout().contains(&format!(
            "histories diverge after {}",
            project.migration_name(5)
        )),
        "{}",
        run.stdout()
    );
}
