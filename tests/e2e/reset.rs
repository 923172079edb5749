//! `cargo xtask reset`: snapshot, the reset command, then the chosen groups restored.

use crate::support::{TempProject, TestDb};

/// Seed at migration 4, then migrations 5-7: a developer's database with data, up to date.
async fn up_to_date() -> (TempProject, TestDb) {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    db.deploy(&project.migrations(), 7).await;
    (project, db)
}

async fn count(db: &TestDb, table: &str) -> i64 {
    db.scalar(&format!("SELECT count(*) FROM \"{table}\""))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_reset_keeps_the_admins_and_prompts() {
    let (project, db) = up_to_date().await;
    let run = project.xtask(&db, &["reset", "--reset-command", "builtin", "--yes"]);
    run.assert_code(0);
    let stdout = run.stdout();
    assert!(stdout.contains("applied 7 migrations"), "{stdout}");

    let snapshots = project.snapshots();
    assert_eq!(
        snapshots.len(),
        1,
        "the reset snapshot, and no safety snapshot"
    );
    assert_eq!(snapshots[0].manifest.reason, "reset");
    assert_eq!(snapshots[0].manifest.table("Post").unwrap().rows, 7);

    let applied: i64 = db
        .scalar("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")
        .await;
    assert_eq!(applied, 7);
    let admins: Vec<(i32, String)> = sqlx::query_as("SELECT id, email FROM \"User\" ORDER BY id")
        .fetch_all(&mut db.connect().await)
        .await
        .unwrap();
    assert_eq!(
        admins,
        [
            (1, "alice@example.com".to_string()),
            (2, "bob.obrien@example.com".to_string())
        ]
    );
    assert_eq!(count(&db, "SystemPrompt").await, 4);
    for table in ["Post", "Comment", "Image", "Product", "Tag", "PageView"] {
        assert_eq!(count(&db, table).await, 0, "{table} is reset");
    }
    // The app can insert through the sequence afterwards.
    let id: i32 = db
        .scalar("INSERT INTO \"SystemPrompt\" (key, content, \"updatedAt\") VALUES ('new', 'x', now()) RETURNING id")
        .await;
    assert!(id > 4, "{id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_and_config_choose_what_comes_back() {
    let (project, db) = up_to_date().await;
    project
        .xtask(
            &db,
            &["reset", "--reset-command", "builtin", "--all", "--yes"],
        )
        .assert_code(0);
    // Post, Comment and the rest are back (Post's renamed/backfilled columns as the map allows).
    assert_eq!(count(&db, "Post").await, 7);
    assert_eq!(count(&db, "User").await, 6);
    assert_eq!(count(&db, "PageView").await, 10);

    let manifest = std::fs::read_to_string(project.root.join("Cargo.toml")).unwrap();
    std::fs::write(
        project.root.join("Cargo.toml"),
        format!("{manifest}\n[workspace.metadata.prisma-guard]\nreset-command = \"builtin\"\nreset-restore = []\n"),
    )
    .unwrap();
    let run = project.xtask(&db, &["reset", "--yes"]);
    run.assert_code(0);
    assert!(
        run.stdout().contains("nothing restored"),
        "{}",
        run.stdout()
    );
    assert_eq!(count(&db, "User").await, 0);
    assert_eq!(count(&db, "SystemPrompt").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_reset_command_restores_nothing_and_keeps_the_snapshot() {
    let (project, db) = up_to_date().await;
    let before = db.row_counts("public").await;
    let run = project.xtask(&db, &["reset", "--reset-command", "false", "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    let snapshots = project.snapshots();
    assert_eq!(snapshots.len(), 1);
    let id = &snapshots[0].manifest.id;
    assert!(
        stderr.contains(&format!("cargo xtask restore {id}")),
        "gives the restore command: {stderr}"
    );
    assert_eq!(
        db.row_counts("public").await,
        before,
        "nothing restored or changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_refuses_without_yes_or_on_a_remote_host() {
    let (project, db) = up_to_date().await;
    let before = db.row_counts("public").await;
    let output = project
        .command(
            &["reset", "--reset-command", "builtin"],
            &[("DATABASE_URL", &db.url())],
        )
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let run = crate::support::project::Run(output);
    run.assert_code(1);
    assert!(run.stderr().contains("--yes"), "{}", run.stderr());

    let remote = project.xtask_with_env(
        &["reset", "--yes", "--reset-command", "builtin"],
        &[(
            "DATABASE_URL",
            "postgresql://postgres:pw@db.example.com:5432/app",
        )],
    );
    remote.assert_code(1);
    let stderr = remote.stderr();
    assert!(
        stderr.contains("not local") && !stderr.contains("pw@"),
        "{stderr}"
    );
    assert!(project.snapshots().is_empty());
    assert_eq!(db.row_counts("public").await, before);
}
