//! `pre-migrate --apply` and `reset` with the real Prisma CLI as `migrate-command` and
//! `reset-command`, as a user's `npx prisma migrate deploy` / `npx prisma migrate reset --force`
//! run them (here the harness's wrapper of the same CLI).

use crate::support::{PrismaCli, TempProject, TestDb};

async fn count(db: &TestDb, sql: &str) -> i64 {
    db.scalar(sql).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_migrate_apply_runs_prisma_migrate_deploy() {
    let Some(prisma) = PrismaCli::find("pre_migrate_apply_runs_prisma_migrate_deploy") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let command = prisma.command_line("migrate deploy");
    project.configure(&format!("migrate-command = {command:?}"));

    let run = project.xtask(&db, &["pre-migrate", "--apply"]);
    run.assert_code(0);
    let (stdout, stderr) = (run.stdout(), run.stderr());
    assert!(
        stderr.contains("prisma.sh migrate deploy") || stdout.contains("prisma.sh migrate deploy"),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("legacyHtml"), "the loss report: {stdout}");
    let snapshots = project.snapshots();
    assert_eq!(snapshots.len(), 1);
    assert_eq!(snapshots[0].manifest.reason, "pre-migrate");
    assert_eq!(snapshots[0].manifest.table("Post").unwrap().rows, 7);

    // Prisma applied the 3 pending migrations: its rows, and both statuses agree.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"
        )
        .await,
        7
    );
    let theirs = prisma.status(&project, &db);
    assert!(theirs.code == 0 && theirs.up_to_date, "{}", theirs.output);
    project.xtask(&db, &["status", "--check"]).assert_code(0);
    // The backfill ran on the seeded posts.
    assert_eq!(
        count(&db, "SELECT count(*) FROM \"Post\" WHERE slug IS NULL").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_runs_prisma_migrate_reset_and_restores_the_admins() {
    let Some(prisma) = PrismaCli::find("reset_runs_prisma_migrate_reset") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    db.deploy(&project.migrations(), 7).await;
    let command = prisma.command_line("migrate reset --force");
    project.configure(&format!("reset-command = {command:?}"));

    let run = project.xtask(&db, &["reset", "--yes"]);
    run.assert_code(0);
    let snapshots = project.snapshots();
    assert_eq!(snapshots.len(), 1);
    assert_eq!(snapshots[0].manifest.reason, "reset");

    // Prisma re-applied all 7 migrations on an empty schema …
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"
        )
        .await,
        7
    );
    for table in ["Post", "Comment", "Image", "Product", "Tag", "PageView"] {
        let rows = count(&db, &format!("SELECT count(*) FROM \"{table}\"")).await;
        assert_eq!(rows, 0, "{table} is reset");
    }
    // … and the admin group came back from the reset snapshot.
    let admins: Vec<String> = sqlx::query_scalar("SELECT email FROM \"User\" ORDER BY id")
        .fetch_all(&mut db.connect().await)
        .await
        .unwrap();
    assert_eq!(admins, ["alice@example.com", "bob.obrien@example.com"]);
    assert_eq!(count(&db, "SELECT count(*) FROM \"SystemPrompt\"").await, 4);
    let theirs = prisma.status(&project, &db);
    assert!(theirs.code == 0 && theirs.up_to_date, "{}", theirs.output);
}
