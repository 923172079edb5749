//! `--admin-only` with the admin filter inferred from Prisma's shapes: a `role Role` enum, a
//! `roles Role[]` enum list, an `isAdmin Boolean`, a text role. Every admin comes back, nobody
//! else; the plan and `status` show the filter with the rows it selects.

use super::{later, reset_to_all};
use crate::support::{TempProject, TestDb};

/// Seeds the fixture (users 1 and 2 are ADMIN, 3 EDITOR, 4-6 USER), migrates it to the end
/// plus `extra` (the admin column's new shape) in place, snapshots it, and resets the database
/// to the same migrations, empty. Returns the project and database.
async fn snapshotted(extra: Option<&str>) -> (TempProject, TestDb) {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    if let Some(sql) = extra {
        project.add_migration(&later(1, "admin_shape"), sql);
    }
    project.seeded(&db).await;
    let migrations = project.migrations();
    db.deploy(&migrations, migrations.len()).await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    reset_to_all(&project, &db).await;
    (project, db)
}

async fn user_ids(db: &TestDb) -> Vec<i32> {
    let mut conn = db.connect().await;
    sqlx::query_scalar("SELECT id FROM \"User\" ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

/// Restores `--admin-only` and checks exactly `admins` came back, with `filter` shown and the
/// rows it selects in the plan and the JSON.
async fn assert_admin_only(project: &TempProject, db: &TestDb, filter: &str, admins: &[i32]) {
    let run = project.xtask(db, &["restore", "--admin-only", "--yes", "--json"]);
    run.assert_code(0);
    assert_eq!(user_ids(db).await, admins, "every admin and nobody else");
    let report = run.json();
    let user = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "User")
        .unwrap_or_else(|| panic!("User restored: {report:#}"));
    assert_eq!(user["filter"], filter, "{report:#}");
    assert_eq!(user["selected"], admins.len(), "{report:#}");
    assert_eq!(user["inserted"], admins.len(), "{report:#}");
    let plan = run.stderr();
    assert!(
        plan.contains(&format!("{filter} (selects {} of 6)", admins.len())),
        "the plan shows the filter with the rows it selects:\n{plan}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_enum_selects_its_admin_label() {
    let (project, db) = snapshotted(None).await;
    assert_admin_only(&project, &db, "\"role\" = 'ADMIN'", &[1, 2]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enum_list_selects_every_user_holding_admin() {
    // Prisma's `roles Role[]`: user 3 is an editor and an admin.
    let (project, db) = snapshotted(Some(
        "ALTER TABLE \"User\" ADD COLUMN \"roles\" \"Role\"[] NOT NULL DEFAULT ARRAY[]::\"Role\"[];\n\
         UPDATE \"User\" SET \"roles\" = CASE WHEN id = 3 THEN ARRAY['EDITOR', 'ADMIN']::\"Role\"[] ELSE ARRAY[\"role\"] END;\n\
         ALTER TABLE \"User\" DROP COLUMN \"role\";\n",
    ))
    .await;

    // status shows the inferred filter with the rows it selects in the live table.
    let filled = TestDb::new().await;
    project.seeded(&filled).await;
    let migrations = project.migrations();
    filled.deploy(&migrations, migrations.len()).await;
    let status = project.xtask(&filled, &["status"]);
    status.assert_code(0);
    assert!(
        status.stdout().contains(
            "User WHERE 'ADMIN' = ANY(\"roles\")  (selects 3 of the 6 rows now in the database)"
        ),
        "{}",
        status.stdout()
    );

    assert_admin_only(&project, &db, "'ADMIN' = ANY(\"roles\")", &[1, 2, 3]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_is_admin_boolean_selects_its_admins() {
    let (project, db) = snapshotted(Some(
        "ALTER TABLE \"User\" ADD COLUMN \"isAdmin\" BOOLEAN NOT NULL DEFAULT false;\n\
         UPDATE \"User\" SET \"isAdmin\" = (\"role\" = 'ADMIN' OR id = 4);\n\
         ALTER TABLE \"User\" DROP COLUMN \"role\";\n",
    ))
    .await;
    assert_admin_only(&project, &db, "\"isAdmin\"", &[1, 2, 4]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_column_no_user_is_restored_and_the_plan_says_why() {
    let (project, db) = snapshotted(Some("ALTER TABLE \"User\" DROP COLUMN \"role\";\n")).await;
    let run = project.xtask(&db, &["restore", "--admin-only", "--yes", "--json"]);
    run.assert_code(0);
    assert!(user_ids(&db).await.is_empty(), "not every user as an admin");
    let report = run.json();
    let skipped = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "User")
        .unwrap_or_else(|| panic!("User skipped: {report:#}"));
    let reason = skipped["reason"].as_str().unwrap();
    assert!(
        reason
            .starts_with("group admin could not infer its admins: no column says who is an admin"),
        "{reason}"
    );
    let prompts: i64 = db.scalar("SELECT count(*) FROM \"SystemPrompt\"").await;
    assert_eq!(prompts, 4, "the rest of group admin is restored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_role_matches_admin_in_any_case() {
    let (project, db) = snapshotted(Some(
        "ALTER TABLE \"User\" ALTER COLUMN \"role\" DROP DEFAULT;\n\
         ALTER TABLE \"User\" ALTER COLUMN \"role\" TYPE TEXT USING (CASE WHEN id = 2 THEN 'admin' ELSE \"role\"::text END);\n",
    ))
    .await;
    assert_admin_only(&project, &db, "lower(\"role\") = 'admin'", &[1, 2]).await;
}
