//! `reset` runs the app's seed where the reset command does not (the built-in reset, or an app
//! on Prisma >= 7), after the reset and before the restore, and reports the seeded rows the
//! restore then replaced or kept.

use crate::support::{TempProject, TestDb};

/// Seeded at migration 4, then migrated to 7; a Prisma 7 app whose seed (`seed-command`, here a
/// psql script standing in for `npx prisma db seed`) writes two prompts, one with the id of a
/// prompt the snapshot holds.
async fn app_with_seed() -> (TempProject, TestDb) {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    db.deploy(&project.migrations(), 7).await;
    project.package_json("7.4.0", r#""prisma": { "seed": "tsx prisma/seed.ts" }"#);
    let psql = super::deploy::client_program(&db, "psql").await;
    std::fs::write(
        project.root.join("seed.sh"),
        format!(
            "#!/bin/sh\nexec '{psql}' \"${{DATABASE_URL%%\\?*}}\" -q -v ON_ERROR_STOP=1 -f prisma/seed-data.sql\n"
        ),
    )
    .unwrap();
    std::fs::write(
        project.root.join("prisma/seed-data.sql"),
        "INSERT INTO \"SystemPrompt\" (id, key, content, \"updatedAt\") VALUES \
         (1, 'seeded.default', 'from the seed', now()), (100, 'seeded.only', 'from the seed', now());\n",
    )
    .unwrap();
    project.configure("reset-command = \"builtin\"\nseed-command = \"sh seed.sh\"");
    (project, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_seeds_before_restoring_and_says_what_the_restore_kept() {
    let (project, db) = app_with_seed().await;
    let run = project.xtask(&db, &["reset", "--yes", "--mode", "merge"]);
    run.assert_code(0);
    let stdout = run.stdout();
    assert!(
        stdout.contains("running the app's seed: sh seed.sh"),
        "{stdout}"
    );
    assert!(stdout.contains("seeded: 2 rows in 1 tables"), "{stdout}");
    assert!(
        stdout.contains("SystemPrompt: of 2 seeded rows, the restore replaced 0 and kept 1"),
        "{stdout}"
    );
    // merge: the seeded row 1 stays, the snapshot's 2-4 come back beside the seed's 100.
    let prompts: Vec<(i32, String)> =
        sqlx::query_as("SELECT id, key FROM \"SystemPrompt\" ORDER BY id")
            .fetch_all(&mut db.connect().await)
            .await
            .unwrap();
    let ids: Vec<i32> = prompts.iter().map(|p| p.0).collect();
    assert_eq!(ids, [1, 2, 3, 4, 100]);
    assert_eq!(prompts[0].1, "seeded.default");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_reset_makes_the_seeded_tables_equal_to_the_snapshot() {
    let (project, db) = app_with_seed().await;
    let run = project.xtask(&db, &["reset", "--yes"]);
    run.assert_code(0);
    assert!(
        run.stdout()
            .contains("SystemPrompt: of 2 seeded rows, the restore replaced 2 and kept 0"),
        "{}",
        run.stdout()
    );
    // replace: the seed's row 1 takes the snapshot's values, its row 100 (a key the snapshot
    // lacks) is deleted, the snapshot's 2-4 come back.
    let prompts: Vec<(i32, String)> =
        sqlx::query_as("SELECT id, key FROM \"SystemPrompt\" ORDER BY id")
            .fetch_all(&mut db.connect().await)
            .await
            .unwrap();
    let ids: Vec<i32> = prompts.iter().map(|p| p.0).collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_eq!(prompts[0].1, "assistant.default");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_replaces_the_seeded_rows_and_none_skips_the_seed() {
    let (project, db) = app_with_seed().await;
    let run = project.xtask(&db, &["reset", "--yes", "--mode", "upsert"]);
    run.assert_code(0);
    assert!(
        run.stdout()
            .contains("SystemPrompt: of 2 seeded rows, the restore replaced 1 and kept 0"),
        "{}",
        run.stdout()
    );
    let key: String = db
        .scalar("SELECT key FROM \"SystemPrompt\" WHERE id = 1")
        .await;
    assert_eq!(
        key, "assistant.default",
        "the snapshot's row replaced the seed's"
    );

    project.configure("seed-command = \"none\"\nreset-restore = []");
    // Two keys of the same name would be invalid TOML: drop the earlier seed-command.
    let manifest = project.root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("seed-command = \"sh seed.sh\"\n", ""),
    )
    .unwrap();
    let run = project.xtask(&db, &["reset", "--yes"]);
    run.assert_code(0);
    assert!(
        !run.stdout().contains("running the app's seed"),
        "{}",
        run.stdout()
    );
    let prompts: i64 = db.scalar("SELECT count(*) FROM \"SystemPrompt\"").await;
    assert_eq!(prompts, 0, "neither seeded nor restored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_seed_restores_nothing_and_keeps_the_snapshot() {
    let (project, db) = app_with_seed().await;
    std::fs::write(
        project.root.join("prisma/seed-data.sql"),
        "SELECT * FROM nope;\n",
    )
    .unwrap();
    let run = project.xtask(&db, &["reset", "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    let id = &project.snapshots()[0].manifest.id;
    assert!(
        stderr.contains("the seed failed; nothing was restored")
            && stderr.contains(&format!("restore {id}"))
            && stderr.contains("relation \"nope\" does not exist"),
        "{stderr}"
    );
    let users: i64 = db.scalar("SELECT count(*) FROM \"User\"").await;
    assert_eq!(users, 0, "reset, not restored");
}
