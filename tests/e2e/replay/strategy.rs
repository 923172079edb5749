//! `restore --strategy replay|map|auto`: replay carries renames and backfills where map loses
//! them, auto picks replay or falls back to map and says why, a failing or interrupted replay
//! changes nothing and leaves no scratch database.

use std::time::{Duration, Instant};

use super::{run_with_pid, scratch_databases, spawn};
use crate::support::project::{Run, SEEDED};
use crate::support::{TempProject, TestDb};

/// Seeded at migration 4, snapshotted; `expected` holds the seed data migrated to 7 in place
/// (schema `inplace`), then the database is reset (`public` dropped, migrated to 7, empty).
struct Scenario {
    project: TempProject,
    db: TestDb,
    /// The snapshot of the seeded database (migrations 1-4 applied).
    id: String,
}

impl Scenario {
    async fn new() -> Scenario {
        let (project, db) = (TempProject::new(), TestDb::new().await);
        project.seeded(&db).await;
        project.xtask(&db, &["snapshot"]).assert_code(0);
        let id = project.snapshots()[0].manifest.id.clone();
        // What the data should become: migrations 5-7 applied to it in place.
        db.deploy(&project.migrations(), 7).await;
        db.copy_public_to("inplace").await;
        project.wipe_and_migrate(&db).await;
        Scenario { project, db, id }
    }

    fn restore(&self, args: &[&str]) -> Run {
        let mut all = vec!["restore", self.id.as_str()];
        all.extend_from_slice(args);
        self.project.xtask(&self.db, &all)
    }

    /// Rows of `public."T"` missing from, and extra to, `inplace."T"` (every column).
    async fn difference(&self, table: &str) -> (i64, i64) {
        let d = self.db.difference("inplace", table).await;
        (d.missing, d.extra)
    }

    async fn assert_empty(&self) {
        let counts = self.db.row_counts("public").await;
        for table in SEEDED {
            assert_eq!(counts[table], 0, "{table} is untouched: {counts:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_carries_renames_and_backfills_where_map_loses_them() {
    let s = Scenario::new().await;

    let run = s.restore(&["--strategy", "replay", "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["strategy"]["used"], "replay", "{report:#}");
    assert_eq!(report["strategy"]["replayed"].as_array().unwrap().len(), 3);
    for table in SEEDED {
        assert_eq!(
            s.difference(table).await,
            (0, 0),
            "{table}: replay gives exactly the in-place migrated data"
        );
    }
    assert!(
        s.project.leftovers().is_empty(),
        "no hidden folder left: {:?}",
        s.project.leftovers()
    );

    // The same restore matching columns by name: the renamed column and the backfills are lost.
    s.project.wipe_and_migrate(&s.db).await;
    let run = s.restore(&["--strategy", "map", "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["strategy"]["used"], "map", "{report:#}");
    let named: i64 =
        s.db.scalar("SELECT count(*) FROM \"User\" WHERE \"displayName\" IS NOT NULL")
            .await;
    let named_in_place: i64 =
        s.db.scalar("SELECT count(*) FROM inplace.\"User\" WHERE \"displayName\" IS NOT NULL")
            .await;
    assert_eq!(
        (named, named_in_place),
        (0, 5),
        "map drops the renamed column"
    );
    let (missing, _) = s.difference("User").await;
    assert_eq!(
        missing, 5,
        "every user with a name differs from the migrated one"
    );
    let published: i64 =
        s.db.scalar("SELECT count(*) FROM \"Post\" WHERE status = 'PUBLISHED' OR slug IS NOT NULL")
            .await;
    assert_eq!(published, 0, "map misses the backfills");
    assert_ne!(s.difference("Post").await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_picks_replay_and_says_why() {
    let s = Scenario::new().await;
    let run = s.restore(&["--dry-run"]);
    run.assert_code(0);
    let stdout = run.stdout();
    let line = stdout
        .lines()
        .find(|l| l.starts_with("strategy"))
        .unwrap_or_else(|| panic!("a strategy line: {stdout}"));
    assert!(
        line.contains("replay:") && line.contains("the 3 applied since are replayed"),
        "{line}"
    );
    s.assert_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_migration_makes_auto_fall_back_to_map() {
    let s = Scenario::new().await;
    let script = s.project.script(1);
    let mut sql = std::fs::read_to_string(&script).unwrap();
    sql.push_str(
        "\n-- edited after the snapshot\nCREATE INDEX \"Image_url_idx\" ON \"Image\"(\"url\");\n",
    );
    std::fs::write(&script, sql).unwrap();
    let name = s.project.migration_name(1);

    let run = s.restore(&["--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["strategy"]["requested"], "auto");
    assert_eq!(report["strategy"]["used"], "map", "{report:#}");
    let reason = report["strategy"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&name) && reason.contains("changed since the snapshot"),
        "{reason}"
    );
    let users: i64 = s.db.scalar("SELECT count(*) FROM \"User\"").await;
    assert_eq!(users, 6, "the map restore ran");

    // Asked for explicitly, replay refuses with the same reason and changes nothing.
    s.project.wipe_and_migrate(&s.db).await;
    let run = s.restore(&["--strategy", "replay", "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("cannot replay the migrations") && stderr.contains(&name),
        "{stderr}"
    );
    assert!(stderr.contains("--strategy map"), "hint: {stderr}");
    s.assert_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_failing_on_the_snapshot_data_changes_nothing() {
    let s = Scenario::new().await;
    // Fine on the empty tables of the reset database; fails on rows: a NOT NULL column without
    // default.
    let name = "20240701000000_tag_weight";
    s.project.add_migration(
        name,
        "ALTER TABLE \"Tag\" ADD COLUMN \"weight\" INTEGER NOT NULL;",
    );
    s.db.deploy(&s.project.migrations(), 8).await;

    // Asked for by name: `auto` would fall back to map (tests/e2e/plan/fallback.rs).
    let args = ["restore", &s.id, "--strategy", "replay", "--yes"];
    let (run, pid) = run_with_pid(&s.project, &s.db, &args);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!("migration {name} failed while being replayed")),
        "{stderr}"
    );
    assert!(
        stderr.contains("contains null values"),
        "PostgreSQL's error: {stderr}"
    );
    s.assert_empty().await;
    assert_eq!(
        scratch_databases(&s.db, pid).await,
        0,
        "the scratch database is gone"
    );
    assert!(s.project.leftovers().is_empty());
    assert_eq!(
        s.project.snapshots().len(),
        1,
        "no safety snapshot was taken"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_replay_drops_the_scratch_database() {
    let s = Scenario::new().await;
    s.project
        .add_migration("20240701000000_slow", "SELECT pg_sleep(2);");
    s.db.deploy(&s.project.migrations(), 8).await;

    let child = spawn(&s.project, &s.db, &["restore", &s.id, "--yes"]);
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    while scratch_databases(&s.db, pid).await == 0 {
        assert!(Instant::now() < deadline, "no scratch database appeared");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Inside the replay of the slow migration.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    assert_eq!(
        scratch_databases(&s.db, pid).await,
        0,
        "the scratch database is gone"
    );
    assert!(s.project.leftovers().is_empty());
    s.assert_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_replay_restores_exactly_and_leaves_nothing_behind() {
    let s = Scenario::new().await;
    let args = [
        "restore",
        &s.id,
        "--strategy",
        "replay",
        "--yes",
        "--no-safety-snapshot",
        "--json",
    ];
    // Into the empty tables (rows copied straight from the scratch database), then again into
    // the full ones (merge: every row staged from the scratch database, none inserted twice).
    for (pass, inserted) in [("empty", None), ("full", Some(0))] {
        let (run, pid) = run_with_pid(&s.project, &s.db, &args);
        run.assert_code(0);
        let report = run.json();
        assert_eq!(report["strategy"]["used"], "replay", "{pass}: {report:#}");
        if let Some(inserted) = inserted {
            assert_eq!(report["totals"]["inserted"], inserted, "{pass}: {report:#}");
        }
        for table in SEEDED {
            assert_eq!(
                s.difference(table).await,
                (0, 0),
                "{pass}: {table} is exactly the in-place migrated data"
            );
        }
        assert_eq!(
            scratch_databases(&s.db, pid).await,
            0,
            "{pass}: the scratch database is gone"
        );
        assert!(
            s.project.leftovers().is_empty(),
            "{pass}: no hidden folder left: {:?}",
            s.project.leftovers()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_streaming_from_the_scratch_database_drops_it() {
    let s = Scenario::new().await;
    // A large keyed table the target already holds: its rows are streamed from the scratch
    // database into staging for a few seconds (all conflicts).
    s.project.add_migration(
        "20240701000000_big",
        "CREATE TABLE \"Big\" (id INTEGER PRIMARY KEY, pad TEXT NOT NULL); \
         INSERT INTO \"Big\" SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 400000) g;",
    );
    s.db.deploy(&s.project.migrations(), 8).await;

    let child = spawn(&s.project, &s.db, &["restore", &s.id, "--yes"]);
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    // The hidden folder appears once the scratch database is migrated, as the streaming begins.
    while s.project.leftovers().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the replay did not finish migrating"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        scratch_databases(&s.db, pid).await,
        1,
        "it streams from one"
    );
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    assert_eq!(
        scratch_databases(&s.db, pid).await,
        0,
        "the scratch database is gone"
    );
    assert!(
        s.project.leftovers().is_empty(),
        "{:?}",
        s.project.leftovers()
    );
    s.assert_empty().await;
}
