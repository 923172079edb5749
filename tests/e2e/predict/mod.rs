//! `predict` and `pre-migrate`'s prediction, on the `predict-app` fixture: the prediction is
//! compared with what applying the same migrations in place really does, counted with SQL.

mod check;
mod in_place;

use serde_json::Value;

use crate::support::{TempProject, TestDb};

/// The fixture made for the prediction (`tests/fixtures/predict-app`).
pub const PREDICT_APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/predict-app");

/// The fixture at its first migration with the seed's data: six migrations pending.
async fn seeded() -> (TempProject, TestDb) {
    let (project, db) = (TempProject::from_fixture(PREDICT_APP), TestDb::new().await);
    db.deploy(&project.migrations(), 1).await;
    db.execute(&std::fs::read_to_string(project.root.join("seed.sql")).unwrap())
        .await;
    (project, db)
}

/// Adds `line` to the fixture's `prisma-guard.toml`.
fn configure(project: &TempProject, line: &str) {
    let path = project.root.join("prisma-guard.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(path, format!("{text}{line}\n")).unwrap();
}

/// Removes the migration folders whose names end with one of `suffixes`.
fn remove_migrations(project: &TempProject, suffixes: &[&str]) {
    for m in project.migrations() {
        if suffixes.iter().any(|s| m.name.ends_with(s)) {
            std::fs::remove_dir_all(project.migrations_dir().join(&m.name)).unwrap();
        }
    }
}

/// The scratch databases on the test server whose name carries `pid`.
async fn scratch_databases_of(db: &TestDb, pid: u32) -> i64 {
    db.scalar(&format!(
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'prisma\\_guard\\_scratch\\_{pid}\\_%'"
    ))
    .await
}

/// The entry of `table` in the prediction's `tables`.
fn table<'a>(prediction: &'a Value, name: &str) -> &'a Value {
    prediction["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("no table {name} in {prediction:#}"))
}

/// The change `change` of `column` in a table entry.
fn column<'a>(table: &'a Value, name: &str, change: &str) -> &'a Value {
    table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == name && c["change"] == change)
        .unwrap_or_else(|| panic!("no {change} change of {name} in {table:#}"))
}
