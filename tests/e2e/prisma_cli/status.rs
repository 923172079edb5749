//! `status --json` (and `--check`) beside `prisma migrate status` on each state the suite can
//! make: Prisma's exit code and the pending, failed and missing names it prints, against ours.
//!
//! Where Prisma 6.19 and we disagree on purpose, both are asserted: an edited applied file, a
//! rolled-back migration and a migration missing locally (alone) are "up to date" to Prisma
//! (exit 0), while we report edited / rolled back / missing locally.

use crate::support::prisma::PrismaStatus;
use crate::support::{PrismaCli, TempProject, TestDb};

/// What our `status` says: names by state, and the `--check` exit code.
struct Ours {
    pending: Vec<String>,
    rolled_back: Vec<String>,
    failed: Vec<String>,
    edited: Vec<String>,
    missing_locally: Vec<String>,
    check: i32,
}

fn ours(project: &TempProject, db: &TestDb) -> Ours {
    let json = project
        .xtask(db, &["status", "--json"])
        .assert_code(0)
        .json();
    let named = |state: &str| -> Vec<String> {
        json["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["state"] == state)
            .map(|m| m["name"].as_str().unwrap().to_string())
            .collect()
    };
    Ours {
        pending: named("pending"),
        rolled_back: named("rolled_back"),
        failed: named("failed"),
        edited: named("edited"),
        missing_locally: named("missing_locally"),
        check: project.xtask(db, &["status", "--check"]).code(),
    }
}

/// Both reports for the project's current state.
fn both(prisma: &PrismaCli, project: &TempProject, db: &TestDb) -> (PrismaStatus, Ours) {
    (prisma.status(project, db), ours(project, db))
}

fn names(project: &TempProject, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| project.migration_name(i)).collect()
}

/// The state left by a migration that fails under the built-in deploy: 7 applied, then
/// `20250101000000_broken` failed.
async fn with_failed(project: &TempProject, db: &TestDb) -> String {
    db.deploy(&project.migrations(), 7).await;
    let name = "20250101000000_broken".to_string();
    project.add_migration(&name, "SELECT * FROM \"NoSuchTable\";\n");
    let err = db.deploy_into("public", &project.migrations(), 8).await;
    assert!(err.is_err(), "the broken migration fails");
    name
}

#[tokio::test]
async fn all_applied() {
    let Some(prisma) = PrismaCli::find("all_applied") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let (theirs, ours) = both(&prisma, &project, &db);
    assert_eq!(theirs.code, 0, "{}", theirs.output);
    assert!(
        theirs.up_to_date && theirs.pending.is_empty(),
        "{}",
        theirs.output
    );
    assert!(ours.pending.is_empty() && ours.failed.is_empty());
    assert_eq!(ours.check, 0);
}

#[tokio::test]
async fn some_pending() {
    let Some(prisma) = PrismaCli::find("some_pending") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 4).await;
    let (theirs, ours) = both(&prisma, &project, &db);
    assert_eq!(theirs.code, 1, "{}", theirs.output);
    assert_eq!(theirs.pending, names(&project, 4..7), "{}", theirs.output);
    assert_eq!(ours.pending, theirs.pending);
    assert_eq!(ours.check, 10);
}

#[tokio::test]
async fn empty_database() {
    let Some(prisma) = PrismaCli::find("empty_database") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let (theirs, ours) = both(&prisma, &project, &db);
    assert_eq!(theirs.code, 1, "{}", theirs.output);
    assert_eq!(theirs.pending, names(&project, 0..7), "{}", theirs.output);
    assert_eq!(ours.pending, theirs.pending);
    assert_eq!(ours.check, 10);
}

#[tokio::test]
async fn a_failed_migration() {
    let Some(prisma) = PrismaCli::find("a_failed_migration") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let broken = with_failed(&project, &db).await;
    let (theirs, ours) = both(&prisma, &project, &db);
    assert_eq!(theirs.code, 1, "{}", theirs.output);
    assert_eq!(
        theirs.failed,
        std::slice::from_ref(&broken),
        "{}",
        theirs.output
    );
    assert!(theirs.pending.is_empty(), "{}", theirs.output);
    assert_eq!(ours.failed, [broken]);
    assert_eq!(ours.check, 11);
}

#[tokio::test]
async fn rolled_back_is_up_to_date_to_prisma_and_rolled_back_to_us() {
    let Some(prisma) = PrismaCli::find("rolled_back") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let broken = with_failed(&project, &db).await;
    // What `prisma migrate resolve --rolled-back` writes (resolve itself needs the native
    // engine, which cannot be downloaded here).
    db.execute(&format!(
        "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '{broken}'"
    ))
    .await;
    let (theirs, ours) = both(&prisma, &project, &db);
    assert_eq!(theirs.code, 0, "{}", theirs.output);
    assert!(
        theirs.up_to_date && theirs.failed.is_empty(),
        "{}",
        theirs.output
    );
    assert_eq!(ours.rolled_back, [broken]);
    assert!(ours.failed.is_empty() && ours.pending.is_empty());
    assert_eq!(
        ours.check, 10,
        "deploy applies it again: it counts as pending"
    );
}

#[tokio::test]
async fn edited_is_up_to_date_to_prisma_and_edited_to_us() {
    let Some(prisma) = PrismaCli::find("edited") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let mut sql = std::fs::read_to_string(project.script(1)).unwrap();
    sql += "\n-- edited after it was applied\n";
    std::fs::write(project.script(1), sql).unwrap();
    let (theirs, ours) = both(&prisma, &project, &db);
    assert_eq!(theirs.code, 0, "{}", theirs.output);
    assert!(
        theirs.up_to_date,
        "Prisma 6.19 does not check: {}",
        theirs.output
    );
    assert_eq!(ours.edited, [project.migration_name(1)]);
    assert_eq!(ours.check, 11);
}

#[tokio::test]
async fn missing_locally_is_up_to_date_to_prisma_and_missing_to_us() {
    let Some(prisma) = PrismaCli::find("missing_locally") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let last = project.migration_name(6);
    std::fs::remove_dir_all(project.migrations_dir().join(&last)).unwrap();
    let (theirs, ours) = both(&prisma, &project, &db);
    assert_eq!(theirs.code, 0, "{}", theirs.output);
    assert!(
        theirs.up_to_date && theirs.missing_locally.is_empty(),
        "{}",
        theirs.output
    );
    assert_eq!(ours.missing_locally, [last]);
    assert!(ours.pending.is_empty());
    assert_eq!(ours.check, 11);
}

#[tokio::test]
async fn diverged() {
    let Some(prisma) = PrismaCli::find("diverged") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let last = project.migration_name(6);
    std::fs::remove_dir_all(project.migrations_dir().join(&last)).unwrap();
    let new = "20250101000000_on_another_branch";
    project.add_migration(new, "CREATE TABLE \"Elsewhere\" (id int);\n");
    let (theirs, ours) = both(&prisma, &project, &db);
    assert_eq!(theirs.code, 1, "{}", theirs.output);
    assert_eq!(theirs.pending, [new], "{}", theirs.output);
    assert_eq!(
        theirs.missing_locally,
        std::slice::from_ref(&last),
        "{}",
        theirs.output
    );
    assert!(
        theirs.output.contains(&format!(
            "last common migration is: {}",
            project.migration_name(5)
        )),
        "{}",
        theirs.output
    );
    assert_eq!(ours.pending, theirs.pending);
    assert_eq!(ours.missing_locally, theirs.missing_locally);
    assert_eq!(ours.check, 11);
}

#[tokio::test]
async fn a_folder_without_migration_sql() {
    let Some(prisma) = PrismaCli::find("a_folder_without_migration_sql") else {
        return;
    };
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let empty = "20250101000000_no_script";
    std::fs::create_dir(project.migrations_dir().join(empty)).unwrap();
    let (theirs, ours) = both(&prisma, &project, &db);
    assert_eq!(theirs.code, 1, "{}", theirs.output);
    assert_eq!(theirs.pending, [empty], "{}", theirs.output);
    assert_eq!(ours.pending, theirs.pending);
    assert_eq!(
        ours.check, 11,
        "a problem: `migrate deploy` stops there (P3015)"
    );
}
