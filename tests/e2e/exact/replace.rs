//! `restore --strategy replay --mode replace` after a reset: every table exactly the truth, the
//! seeded rows replaced (the singleton's delete guard never fires), `_prisma_migrations` kept,
//! sequences ahead; a second run writes nothing; merge says what it leaves; a delete a trigger
//! refuses stops the restore naming the row and the trigger's message.

use super::{MIGRATIONS, Scenario, TABLES, entry, reset_to_last, seeded};
use crate::support::project::SEEDED_APP;
use crate::support::{TempProject, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_with_replace_gives_exactly_the_truth() {
    let s = Scenario::new().await;
    let history = s.history().await;
    assert_eq!(history.len(), MIGRATIONS);

    let run = s.restore(&[
        "--strategy",
        "replay",
        "--mode",
        "replace",
        "--yes",
        "--json",
    ]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["strategy"]["used"], "replay", "{report:#}");
    for table in TABLES.iter().filter(|t| **t != "UserSetting") {
        assert_eq!(
            s.difference(table).await,
            (0, 0),
            "{table}: rows of the truth missing, rows the truth lacks"
        );
    }
    // The admin's settings row is matched by its unique userId (issue 19): the reset's row keeps
    // its random id and takes the snapshot's values; every other column is the truth's.
    let without_id = "SELECT \"userId\", theme, \"createdAt\" FROM";
    let one_way = |a: &str, b: &str| {
        format!(
            "SELECT count(*) FROM ({without_id} {a}.\"UserSetting\" EXCEPT {without_id} {b}.\"UserSetting\") d"
        )
    };
    assert_eq!(s.db.scalar::<i64>(&one_way("truth", "public")).await, 0);
    assert_eq!(s.db.scalar::<i64>(&one_way("public", "truth")).await, 0);
    // The reset's own rows were replaced: the admin, its settings row (matched by userId) and
    // the settings row updated in place.
    let settings = entry(&report, "UserSetting");
    assert_eq!(settings["deleted"], 0, "{settings:#}");
    assert_eq!(settings["matched"], 1, "{settings:#}");
    assert_eq!(entry(&report, "Setting")["updated"], 1, "{report:#}");
    assert_eq!(entry(&report, "Setting")["deleted"], 0, "{report:#}");
    assert_eq!(entry(&report, "User")["updated"], 1, "{report:#}");
    assert_eq!(
        s.history().await,
        history,
        "_prisma_migrations is untouched"
    );
    for (sequence, table) in [
        ("Image_id_seq", "Image"),
        ("Post_id_seq", "Post"),
        ("User_id_seq", "User"),
    ] {
        let last = s.db.sequences().await[sequence].0;
        let top: i32 =
            s.db.scalar(&format!("SELECT max(id) FROM \"{table}\""))
                .await;
        assert!(
            last >= i64::from(top),
            "{sequence} at {last}, {table} holds {top}"
        );
    }

    // Again: everything is equal already, so nothing is written.
    let again = s.restore(&[
        "--strategy",
        "replay",
        "--mode",
        "replace",
        "--yes",
        "--json",
    ]);
    let again = again.assert_code(0).json();
    for total in ["inserted", "updated", "deleted"] {
        assert_eq!(again["totals"][total], 0, "{total}: {again:#}");
    }
    assert_eq!(
        again["totals"]["unchanged"], again["totals"]["snapshot_rows"],
        "{again:#}"
    );
    for table in TABLES.iter().filter(|t| **t != "UserSetting") {
        assert_eq!(
            s.difference(table).await,
            (0, 0),
            "{table} after the second run"
        );
    }
    assert_eq!(s.db.scalar::<i64>(&one_way("truth", "public")).await, 0);
    assert_eq!(s.db.scalar::<i64>(&one_way("public", "truth")).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_names_what_it_leaves_and_points_to_replace() {
    let s = Scenario::new().await;
    let run = s.restore(&["--strategy", "replay", "--yes", "--no-safety-snapshot"]);
    run.assert_code(0);
    let stdout = run.stdout();
    let note = stdout
        .lines()
        .find(|l| l.starts_with("note: merge kept"))
        .unwrap_or_else(|| panic!("a merge note: {stdout}"));
    // The seeded admin (another password) and the settings row differ; the reset's settings row
    // for the admin (a random id) is the snapshot's, matched by its unique userId (issue 19).
    assert!(
        note.contains("User (1 differ, 0 not in the snapshot)"),
        "{note}"
    );
    assert!(
        note.contains("Setting (1 differ, 0 not in the snapshot)"),
        "{note}"
    );
    assert!(
        note.contains("UserSetting (1 differ, 0 not in the snapshot)"),
        "{note}"
    );
    assert!(
        note.ends_with("`--mode replace` makes these tables equal to the snapshot"),
        "{note}"
    );
    assert_ne!(
        s.difference("Setting").await,
        (0, 0),
        "merge keeps the seeded settings row"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_delete_stops_replace_naming_the_row_and_the_trigger() {
    let (project, db) = (TempProject::from_fixture(SEEDED_APP), TestDb::new().await);
    seeded(&project, &db).await;
    db.deploy(&project.migrations(), MIGRATIONS).await;
    // A snapshot without the singleton (taken while the guard was off).
    db.execute(
        "ALTER TABLE \"Setting\" DISABLE TRIGGER \"Setting_keep_singleton\";
         DELETE FROM \"Setting\";
         INSERT INTO \"Setting\" (id, \"siteName\") VALUES (2, 'Second');
         ALTER TABLE \"Setting\" ENABLE TRIGGER \"Setting_keep_singleton\";",
    )
    .await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    reset_to_last(&project, &db).await;

    let run = project.xtask(
        &db,
        &[
            "restore",
            &id,
            "--mode",
            "replace",
            "--yes",
            "--no-safety-snapshot",
        ],
    );
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with(
            "error: table Setting: the row id = 1 is not in the snapshot, and the database refuses to delete it (--mode replace): the settings row (id 1) cannot be deleted"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("hint: nothing was changed"), "{stderr}");
    assert!(stderr.contains("--mode upsert"), "{stderr}");
    let rows: Vec<(i32, String)> = sqlx::query_as("SELECT id, \"siteName\" FROM \"Setting\"")
        .fetch_all(&mut db.connect().await)
        .await
        .unwrap();
    assert_eq!(rows, [(1, "My App".to_string())], "rolled back");
    let users: i64 = db.scalar("SELECT count(*) FROM \"User\"").await;
    assert_eq!(users, 1, "no table was restored");
}
