//! A `map` restore whose live schema tightened since the snapshot: one dry run names every
//! table that cannot be restored, each reason once, and `--json` lists them all.

use super::{later, reset_to_all};
use crate::support::{TempProject, TestDb};

/// After the fixture's migrations: `Comment` gains a required foreign key the snapshot lacks,
/// `User.invitedById` (NULL for the first user) and `PageView.durationMs` become NOT NULL, and
/// `PageView.path` (paths like `/posts/1`) becomes an integer.
const TIGHTEN: &str = "\
ALTER TABLE \"Comment\" ADD COLUMN \"moderatorId\" INTEGER NOT NULL REFERENCES \"User\"(\"id\");
ALTER TABLE \"User\" ALTER COLUMN \"invitedById\" SET NOT NULL;
ALTER TABLE \"PageView\" ALTER COLUMN \"durationMs\" SET NOT NULL;
ALTER TABLE \"PageView\" ALTER COLUMN \"path\" TYPE INTEGER USING 0;
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_map_dry_run_names_every_unrestorable_table_at_once() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let null_durations: i64 = db
        .scalar("SELECT count(*) FROM \"PageView\" WHERE \"durationMs\" IS NULL")
        .await;
    assert!(null_durations > 0);
    project.xtask(&db, &["snapshot"]).assert_code(0);
    project.add_migration(&later(1, "tighten"), TIGHTEN);
    reset_to_all(&project, &db).await;

    let run = project.xtask(&db, &["restore", "--strategy", "map", "--dry-run"]);
    run.assert_code(1);
    let (stdout, stderr) = (run.stdout(), run.stderr());
    let expected = [
        "Comment: new NOT NULL column moderatorId (a foreign key to User) has no default and is not in the snapshot".to_string(),
        format!(
            "PageView: column durationMs is NOT NULL now and {null_durations} snapshot row(s) hold NULL in it; \
             column path changed type from text to integer and a snapshot value does not cast: invalid input syntax for type integer: \"/\""
        ),
        "User: column invitedById (a foreign key to User) is NOT NULL now and 1 snapshot row(s) hold NULL in it".to_string(),
    ];
    assert!(
        stderr.contains("error: cannot restore 3 of the selected tables:"),
        "{stderr}"
    );
    let all = format!("{stdout}{stderr}");
    for line in &expected {
        assert_eq!(
            all.matches(line.as_str()).count(),
            1,
            "said exactly once: {line}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("--exclude Comment,PageView,User"),
        "{stderr}"
    );
    assert!(
        project.snapshots().len() == 1,
        "a refused restore takes no safety snapshot"
    );

    // --json: the plan with every unrestorable table and its problems on stdout.
    let run = project.xtask(
        &db,
        &["restore", "--strategy", "map", "--dry-run", "--json"],
    );
    run.assert_code(1);
    let json = run.json();
    let tables: Vec<&str> = json["unrestorable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["table"].as_str().unwrap())
        .collect();
    assert_eq!(tables, ["Comment", "PageView", "User"], "{json:#}");
    let page_view = &json["unrestorable"][1]["problems"];
    assert_eq!(page_view[0]["problem"], "nulls", "{json:#}");
    assert_eq!(page_view[0]["rows"], null_durations);
    assert_eq!(page_view[1]["problem"], "cast");
    assert_eq!(page_view[1]["to"], "integer");

    // Leaving them out restores the rest.
    let run = project.xtask(
        &db,
        &[
            "restore",
            "--strategy",
            "map",
            "--dry-run",
            "--exclude",
            "Comment,PageView,User",
        ],
    );
    // Post references User, which is left out: its rows are orphans, not an error.
    run.assert_code(0);
}
