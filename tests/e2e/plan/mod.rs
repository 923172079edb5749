//! What the restore plan says before anything is written, end to end on the fixture app with
//! migrations added on top (`TempProject::add_migration`): admin filters inferred from Prisma's
//! shapes (`admins`), every unrestorable table named in one run (`unrestorable`), `auto`
//! falling back to `map` when a replay fails, and long lists folded (`fallback`).

use crate::support::{TempProject, TestDb};

mod admins;
mod fallback;
mod unrestorable;

/// A migration folder name sorting after the fixture's seven: `20250101000000_<n>_<what>`.
fn later(n: usize, what: &str) -> String {
    format!("20250101{n:06}_{what}")
}

/// The "`prisma migrate reset`" situation with every local migration (the fixture's and the
/// added ones): `public` dropped, recreated and migrated, empty.
async fn reset_to_all(project: &TempProject, db: &TestDb) {
    db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        .await;
    let migrations = project.migrations();
    db.deploy(&migrations, migrations.len()).await;
}

/// The stdout line of the plan that starts with `key`.
fn plan_line(text: &str, key: &str) -> String {
    text.lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("a {key} line in:\n{text}"))
        .to_string()
}
