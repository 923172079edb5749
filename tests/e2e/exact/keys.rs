//! `--admin-only` on an app whose users have a nullable avatar into the images group: every
//! admin comes back with the avatar key set to NULL, counted per foreign key with the reason and
//! the selection that keeps it; the settings rows of users left out are orphans, and the report
//! names their foreign key and parent table.

use super::{Scenario, entry};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_only_nulls_avatars_and_names_the_orphans_key() {
    let s = Scenario::new().await;
    let run = s.restore(&[
        "--admin-only",
        "--strategy",
        "replay",
        "--mode",
        "replace",
        "--dry-run",
    ]);
    run.assert_code(0);
    let stdout = run.stdout();
    assert!(
        stdout.contains(
            "note: User: 2 row(s) kept with avatarId set to NULL (foreign key User_avatarId_fkey to Image): Image is not restored (not in the selected groups)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  2 of User keep their avatarId with: --only admin,images"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "note: UserSetting: 2 orphan(s) left out by foreign key UserSetting_userId_fkey (userId to User, NOT NULL)"
        ),
        "{stdout}"
    );

    let run = s.restore(&[
        "--admin-only",
        "--strategy",
        "replay",
        "--mode",
        "replace",
        "--yes",
        "--json",
    ]);
    let report = run.assert_code(0).json();
    let users = entry(&report, "User");
    assert_eq!(users["orphans"], 0, "{users:#}");
    let nulled = &users["nulled"][0];
    assert_eq!(nulled["foreign_key"], "User_avatarId_fkey", "{users:#}");
    assert_eq!(nulled["parent"], "Image", "{users:#}");
    assert_eq!(nulled["rows"], 2, "{users:#}");
    assert_eq!(nulled["keep_with"], "--only admin,images", "{users:#}");
    assert_eq!(report["totals"]["nulled"], 2, "{report:#}");
    let settings = entry(&report, "UserSetting");
    assert_eq!(settings["orphans"], 2, "{settings:#}");
    let orphaned = &settings["orphaned"][0];
    assert_eq!(
        orphaned["foreign_key"], "UserSetting_userId_fkey",
        "{settings:#}"
    );
    assert_eq!(orphaned["parent"], "User", "{settings:#}");
    assert_eq!(orphaned["columns"][0], "userId", "{settings:#}");
    assert_eq!(orphaned["rows"], 2, "{settings:#}");

    // Every admin is back (enum list), none lost as an orphan, each without its avatar.
    let admins: Vec<(i32, Option<i32>)> =
        sqlx::query_as("SELECT id, \"avatarId\" FROM \"User\" ORDER BY id")
            .fetch_all(&mut s.db.connect().await)
            .await
            .unwrap();
    assert_eq!(admins, [(1, None), (2, None), (5, None)]);
    let truth: i64 = s
        .db
        .scalar(
            "SELECT count(*) FROM (SELECT id, email, \"displayName\", \"passwordHash\" FROM truth.\"User\"
              WHERE 'ADMIN' = ANY(roles::text[])
              EXCEPT SELECT id, email, \"displayName\", \"passwordHash\" FROM \"User\") d",
        )
        .await;
    assert_eq!(truth, 0, "the admins are the snapshot's");
}
