//! `auto` falls back to `map` when a migration fails on the snapshot's data, and says so in the
//! strategy line; `--strategy replay` still stops. The plan folds its long `migrations` line;
//! `--json` has every migration.

use super::{later, plan_line, reset_to_all};
use crate::support::{TempProject, TestDb};

/// After the fixture's seven: a check every seeded tag name breaks (an empty table passes it),
/// then five migrations that change nothing.
fn add_migrations(project: &TempProject) {
    project.add_migration(
        &later(1, "short_tags"),
        "ALTER TABLE \"Tag\" ADD CONSTRAINT \"Tag_short\" CHECK (length(\"name\") < 2);\n",
    );
    for n in 2..7 {
        project.add_migration(&later(n, "noop"), "SELECT 1;\n");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_falls_back_to_map_with_the_reason_and_folds_the_migrations() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    add_migrations(&project);
    reset_to_all(&project, &db).await;
    let failing = later(1, "short_tags");

    // The failing table is left out; the replay still runs every migration, fails, and auto
    // restores by matching names instead.
    let run = project.xtask(
        &db,
        &[
            "restore",
            "--dry-run",
            "--exclude",
            "Tag,_PostToTag",
            "--json",
        ],
    );
    run.assert_code(0);
    let plan = run.stderr();
    let strategy = plan_line(&plan, "strategy");
    assert!(
        strategy.starts_with(
            "strategy    map: replay failed, so columns are matched by name: migration "
        ) && strategy.contains(&failing)
            && strategy.contains("check constraint \"Tag_short\""),
        "{strategy}"
    );
    let migrations = plan_line(&plan, "migrations");
    assert!(
        migrations.starts_with("migrations  9 applied since the snapshot: ")
            && migrations.ends_with(", … and 4 more"),
        "{migrations}"
    );
    assert_eq!(
        migrations.matches(", ").count(),
        5,
        "five shown: {migrations}"
    );
    let json = run.json();
    assert_eq!(json["strategy"]["used"], "map", "{json:#}");
    assert_eq!(json["strategy"]["requested"], "auto");
    assert_eq!(
        json["applied_since"].as_array().unwrap().len(),
        9,
        "{json:#}"
    );
    let users: i64 = db.scalar("SELECT count(*) FROM \"User\"").await;
    assert_eq!(users, 0, "a dry run writes nothing");

    // Asked for by name, replay stops with the migration and PostgreSQL's error.
    let run = project.xtask(
        &db,
        &[
            "restore",
            "--strategy",
            "replay",
            "--dry-run",
            "--exclude",
            "Tag,_PostToTag",
        ],
    );
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!(
            "error: migration {failing} failed while being replayed"
        )) && stderr.contains("Tag_short"),
        "{stderr}"
    );
}
