//! `cargo xtask restore`, end to end through the real binary, in the situation it exists for:
//! the fixture app is seeded at migration 4 and snapshotted, then migrated to 7 and reset (the
//! schema dropped and re-migrated, as `prisma migrate reset` does). An untouched copy of the seed
//! data is kept in the schema `orig` of the same database to compare against.
//!
//! This file: the scenario and the report helpers the restore tests share.

use std::collections::BTreeMap;

use camino::Utf8PathBuf;
use serde_json::Value;

use crate::support::project::{Run, SEEDED};
use crate::support::{TempProject, TestDb};

mod bulk;
mod integrity;
mod modes;
mod safety;
mod selection;
mod values;

/// Rows in the seeded tables (`_prisma_migrations` not counted).
const SEED_ROWS: i64 = 60;

/// Upload files archived with the snapshot when uploads are configured: path, content.
const UPLOADS: [(&str, &[u8]); 3] = [
    ("public/uploads/a.png", b"\x89PNG first"),
    ("public/uploads/2024/cat.png", b"\x89PNG cat \x00\xff"),
    ("public/uploads/dog.jpg", b"\xff\xd8 jpeg dog"),
];

/// A project and database after "seed, snapshot, migrate, reset".
struct Scenario {
    project: TempProject,
    db: TestDb,
    /// The snapshot of the seeded database (migrations 1-4 applied).
    id: String,
}

impl Scenario {
    async fn new() -> Scenario {
        Scenario::build(false).await
    }

    /// With `uploads`, the files of [`UPLOADS`] exist and `images = ["public/uploads"]` is
    /// configured when the snapshot is taken.
    async fn build(uploads: bool) -> Scenario {
        let (project, db) = (TempProject::new(), TestDb::new().await);
        project.seeded(&db).await;
        if uploads {
            project.configure_images(&["public/uploads"]);
            for (path, bytes) in UPLOADS {
                let path = project.root.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, bytes).unwrap();
            }
        }
        project.xtask(&db, &["snapshot"]).assert_code(0);
        let stored = project.snapshots();
        assert_eq!(stored.len(), 1);
        let id = stored[0].manifest.id.clone();
        assert_eq!(stored[0].manifest.files.len(), usize::from(uploads));
        db.copy_public_to("orig").await;
        assert_eq!(db.tables("orig").await, SEEDED);
        // Migrations 5-7, then the reset.
        db.deploy(&project.migrations(), 7).await;
        project.wipe_and_migrate(&db).await;
        let scenario = Scenario { project, db, id };
        scenario.assert_empty().await;
        scenario
    }

    /// `cargo xtask restore <args>` against the test database.
    fn restore(&self, args: &[&str]) -> Run {
        let mut all = vec!["restore"];
        all.extend_from_slice(args);
        self.project.xtask(&self.db, &all)
    }

    /// `cargo xtask restore <the seed snapshot> <args>`: named, because every restore that
    /// writes adds a newer (pre-restore) snapshot to the store.
    fn restore_seed(&self, args: &[&str]) -> Run {
        let mut all = vec![self.id.as_str()];
        all.extend_from_slice(args);
        self.restore(&all)
    }

    /// Rows per table of `public`, `_prisma_migrations` included.
    async fn counts(&self) -> BTreeMap<String, i64> {
        self.db.row_counts("public").await
    }

    /// Every seeded table is empty; `_prisma_migrations` holds the 7 migrations.
    async fn assert_empty(&self) {
        let counts = self.counts().await;
        for table in SEEDED {
            assert_eq!(counts[table], 0, "{table} is empty: {counts:?}");
        }
        assert_eq!(counts["_prisma_migrations"], 7);
    }

    /// `public."T"` equals `orig."T"` over their common columns.
    async fn assert_same(&self, table: &str) {
        let difference = self.db.difference("orig", table).await;
        assert_eq!(
            (difference.missing, difference.extra),
            (0, 0),
            "{table}: rows of the original missing, rows not in the original"
        );
    }

    /// Every seeded table equals the original.
    async fn assert_all_back(&self) {
        for table in SEEDED {
            self.assert_same(table).await;
        }
    }

    fn file(&self, path: &str) -> Utf8PathBuf {
        self.project.root.join(path)
    }
}

/// The entry of `table` in the report's `tables`.
#[track_caller]
fn entry<'a>(report: &'a Value, table: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no tables list: {report:#}"))
        .iter()
        .find(|t| t["name"] == table)
        .unwrap_or_else(|| panic!("no entry for {table}: {report:#}"))
}

/// The names in the report's `tables`, in order.
fn table_names(report: &Value) -> Vec<String> {
    report["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no tables list: {report:#}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// A JSON list of strings.
#[track_caller]
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string: {v}"))
                .to_string()
        })
        .collect()
}

/// A JSON integer.
#[track_caller]
fn int(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("not an integer: {value}"))
}

/// Whether `text` has `word` as a whole identifier: no letter, digit or `_` on either side (so
/// `Tag` is not found in `_PostToTag`, nor `name` in `displayName`).
fn mentions(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(ident)
            && !text[at + word.len()..].chars().next().is_some_and(ident)
    })
}

#[test]
fn mentions_respects_identifier_boundaries() {
    assert!(mentions("error: \"Tag\".\"name\": bad", "Tag"));
    assert!(mentions("table Tag, column color", "color"));
    assert!(!mentions("_PostToTag references it", "Tag"));
    assert!(!mentions("displayName", "name"));
}
