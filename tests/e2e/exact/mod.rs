//! Exact restores of an app whose migrations insert rows (`tests/fixtures/seeded-app`): a
//! default admin with a fixed id, a singleton settings row a BEFORE DELETE trigger guards, one
//! settings row per user with a random id, and an avatar foreign key into the images group.
//!
//! The truth is the snapshot's data migrated in place; the target is a database reset to the
//! last migration, which holds the rows those migrations insert. This file: the scenario.

mod keys;
mod replace;
mod reset;
mod rollback;

use crate::support::project::{Run, SEEDED_APP};
use crate::support::{TempProject, TestDb};

/// The fixture's tables, `_prisma_migrations` aside.
const TABLES: [&str; 5] = ["Image", "Post", "Setting", "User", "UserSetting"];

/// The fixture's migrations.
const MIGRATIONS: usize = 6;

/// Migrations applied when the seed data goes in and the snapshot is taken.
const AT_SNAPSHOT: usize = 4;

/// Applies the first 4 migrations and the fixture's seed: a developer's data.
async fn seeded(project: &TempProject, db: &TestDb) {
    db.deploy(&project.migrations(), AT_SNAPSHOT).await;
    let seed = std::fs::read_to_string(project.root.join("seed.sql")).unwrap();
    db.execute(&seed).await;
}

/// Drops and recreates `public` and applies every migration, as `prisma migrate reset` does:
/// only the rows the migrations insert are there.
async fn reset_to_last(project: &TempProject, db: &TestDb) {
    db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        .await;
    db.deploy(&project.migrations(), MIGRATIONS).await;
}

/// Seeded at migration 4 and snapshotted; the truth (migrated in place to 6) copied into the
/// schema `truth`; then reset to migration 6.
struct Scenario {
    project: TempProject,
    db: TestDb,
    /// The snapshot of the seeded database.
    id: String,
}

impl Scenario {
    async fn new() -> Scenario {
        let (project, db) = (TempProject::from_fixture(SEEDED_APP), TestDb::new().await);
        seeded(&project, &db).await;
        project.xtask(&db, &["snapshot"]).assert_code(0);
        let id = project.snapshots()[0].manifest.id.clone();
        db.deploy(&project.migrations(), MIGRATIONS).await;
        db.copy_public_to("truth").await;
        reset_to_last(&project, &db).await;
        let seeded_rows: i64 = db.scalar("SELECT count(*) FROM \"UserSetting\"").await;
        assert_eq!(seeded_rows, 1, "the reset holds the admin's settings row");
        Scenario { project, db, id }
    }

    /// `restore <the snapshot> <args>`.
    fn restore(&self, args: &[&str]) -> Run {
        let mut all = vec!["restore", self.id.as_str()];
        all.extend_from_slice(args);
        self.project.xtask(&self.db, &all)
    }

    /// Rows of `public."T"` missing from, and extra to, `truth."T"` (every column).
    async fn difference(&self, table: &str) -> (i64, i64) {
        let d = self.db.difference("truth", table).await;
        (d.missing, d.extra)
    }

    /// `_prisma_migrations` as text, ordered: what a restore must leave as it is.
    async fn history(&self) -> Vec<String> {
        let mut conn = self.db.connect().await;
        sqlx::query_scalar(
            "SELECT t::text FROM _prisma_migrations t ORDER BY migration_name COLLATE \"C\"",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    }
}

/// The entry of `table` in a restore report's `tables`.
#[track_caller]
fn entry<'a>(report: &'a serde_json::Value, table: &str) -> &'a serde_json::Value {
    report["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no tables list: {report:#}"))
        .iter()
        .find(|t| t["name"] == table)
        .unwrap_or_else(|| panic!("no entry for {table}: {report:#}"))
}
