//! `rollback` rebuilds the schema with the snapshot's migrations, which insert rows of their own
//! (a default admin, the settings row, a settings row with a random id per user): afterwards
//! every table is the snapshot's exactly, not those rows beside or instead of it.

use super::{MIGRATIONS, TABLES, seeded};
use crate::support::project::SEEDED_APP;
use crate::support::{TempProject, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_gives_the_snapshot_not_the_rows_its_migrations_insert() {
    let (project, db) = (TempProject::from_fixture(SEEDED_APP), TestDb::new().await);
    seeded(&project, &db).await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    db.copy_public_to("then").await;
    db.deploy(&project.migrations(), MIGRATIONS).await;

    project
        .xtask(&db, &["rollback", &id, "--yes", "--no-safety-snapshot"])
        .assert_code(0);
    for table in TABLES {
        let d = db.difference("then", table).await;
        assert_eq!((d.missing, d.extra), (0, 0), "{table} is the snapshot's");
    }
    let hash: String = db
        .scalar("SELECT \"passwordHash\" FROM \"User\" WHERE id = 1")
        .await;
    assert_eq!(
        hash, "$2b$10$the-password-the-admin-chose",
        "the admin's own password"
    );
}
