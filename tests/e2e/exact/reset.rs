//! `reset` with the fixture's builtin reset-command and `reset-restore = ["admin", "images"]`:
//! the rows the migrations seed are the snapshot's afterwards, with no duplicates, twice in a row.

use super::{MIGRATIONS, seeded};
use crate::support::project::SEEDED_APP;
use crate::support::{TempProject, TestDb};

/// Rows of `before."T"` missing from `public."T"` and the reverse, over `columns`, for the rows
/// `filter` selects in both.
async fn difference(db: &TestDb, table: &str, columns: &str, filter: &str) -> (i64, i64) {
    let one_way = |a: &str, b: &str| {
        format!(
            "SELECT count(*) FROM (SELECT {columns} FROM {a}.\"{table}\" WHERE {filter}
             EXCEPT SELECT {columns} FROM {b}.\"{table}\" WHERE {filter}) d"
        )
    };
    (
        db.scalar(&one_way("before", "public")).await,
        db.scalar(&one_way("public", "before")).await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_puts_the_snapshots_seeded_rows_back_twice_in_a_row() {
    let (project, db) = (TempProject::from_fixture(SEEDED_APP), TestDb::new().await);
    seeded(&project, &db).await;
    db.deploy(&project.migrations(), MIGRATIONS).await;
    db.copy_public_to("before").await;
    let admins = "'ADMIN' = ANY(roles::text[])";
    let user_columns =
        "id, email, \"displayName\", roles::text, \"passwordHash\", \"avatarId\", \"createdAt\"";
    let of_admins = "\"userId\" IN (1, 2, 5)";
    // The seeded admin's settings row keeps the reset's random id: it is matched by its unique
    // userId (issue 19).
    let settings_columns = "\"userId\", theme, \"createdAt\"";

    for round in 1..=2 {
        let run = project.xtask(&db, &["reset", "--yes"]);
        run.assert_code(0);
        let stdout = run.stdout();
        assert!(
            stdout.contains("applied 6 migrations"),
            "round {round}: {stdout}"
        );
        // The first reset leaves out the settings rows of the users who are not admins; the
        // second one's snapshot no longer holds them.
        assert_eq!(
            stdout.contains(
                "note: UserSetting: 2 orphan(s) left out by foreign key UserSetting_userId_fkey"
            ),
            round == 1,
            "round {round}: {stdout}"
        );
        for table in ["Setting", "Image"] {
            assert_eq!(
                difference(&db, table, "*", "true").await,
                (0, 0),
                "round {round}: {table}"
            );
        }
        assert_eq!(
            difference(&db, "User", user_columns, admins).await,
            (0, 0),
            "round {round}: the admins, the seeded one with the password it was given"
        );
        assert_eq!(
            difference(&db, "UserSetting", settings_columns, of_admins).await,
            (0, 0),
            "round {round}: the admins' settings rows"
        );
        let counts = db.row_counts("public").await;
        assert_eq!(counts["Setting"], 1, "round {round}: {counts:?}");
        assert_eq!(counts["User"], 3, "round {round}: {counts:?}");
        assert_eq!(
            counts["UserSetting"], 3,
            "round {round}: no duplicates: {counts:?}"
        );
        assert_eq!(counts["Post"], 0, "round {round}: {counts:?}");
        assert_eq!(counts["_prisma_migrations"], 6, "round {round}: {counts:?}");
    }
}
