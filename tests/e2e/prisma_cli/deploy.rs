//! The built-in deploy beside `prisma migrate deploy`: the same `_prisma_migrations` rows (ids
//! and times aside) and the same schema (`pg_dump --schema-only` of both databases).
//!
//! Prisma 6.19 here runs through `@prisma/adapter-pg`, whose `executeScript` splits a file at
//! every `;` and runs the pieces one by one outside a transaction block: on failure it keeps the
//! statements before the failing one, as Prisma >= 7.4 does on PostgreSQL (the native engine of
//! Prisma 6 sends the whole file as one query, so nothing is kept). Our
//! `migration-statements = "split"` matches the former, `"whole"` the latter.

use std::process::Command;

use crate::support::{PrismaCli, TempProject, TestDb};

/// One `_prisma_migrations` row without its id and times, in `started_at` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub checksum: String,
    pub finished: bool,
    pub rolled_back: bool,
    pub applied_steps_count: i32,
    pub logs: Option<String>,
}

pub async fn rows(db: &TestDb) -> Vec<Row> {
    let mut conn = db.connect().await;
    let rows: Vec<(String, String, bool, bool, i32, Option<String>)> = sqlx::query_as(
        "SELECT migration_name, checksum, finished_at IS NOT NULL, rolled_back_at IS NOT NULL,
                applied_steps_count, logs
         FROM _prisma_migrations ORDER BY started_at, migration_name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("reading _prisma_migrations");
    rows.into_iter()
        .map(
            |(name, checksum, finished, rolled_back, applied_steps_count, logs)| Row {
                name,
                checksum,
                finished,
                rolled_back,
                applied_steps_count,
                logs,
            },
        )
        .collect()
}

/// A PostgreSQL client program (`pg_dump`, `psql`) of the test server's major version, else
/// the one on `PATH`.
pub async fn client_program(db: &TestDb, name: &str) -> String {
    let version: String = db.scalar("SHOW server_version_num").await;
    let major = version.parse::<u32>().unwrap() / 10000;
    pg_cluster::bin_dir(Some(major))
        .map(|dir| dir.join(name))
        .filter(|path| path.is_file())
        .map_or_else(|| name.to_string(), |path| path.to_string())
}

/// The schema of `db` as `pg_dump --schema-only` prints it (`\restrict` keys removed).
pub async fn schema_dump(db: &TestDb) -> String {
    let url = db.url();
    let url = url.split('?').next().unwrap();
    let out = Command::new(client_program(db, "pg_dump").await)
        .args(["--schema-only", "--no-owner", "--no-privileges", "-d", url])
        .output()
        .expect("running pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rows with the `logs` of failed ones reduced to whether they name `needle`: Prisma's adapter
/// and our deploy word PostgreSQL's error differently (see [`a_failed_migration_leaves_the_same_row`]).
fn logs_naming(rows: Vec<Row>, needle: &str) -> Vec<Row> {
    rows.into_iter()
        .map(|row| Row {
            logs: row
                .logs
                .map(|l| format!("names {needle}: {}", l.contains(needle))),
            ..row
        })
        .collect()
}

#[tokio::test]
async fn same_rows_and_schema_as_prisma_deploy() {
    let Some(prisma) = PrismaCli::find("same_rows_and_schema_as_prisma_deploy") else {
        return;
    };
    let project = TempProject::new();
    let (theirs, ours) = (TestDb::new().await, TestDb::new().await);
    prisma
        .run(&project, &theirs, &["migrate", "deploy"])
        .assert_code(0);
    let report = ours.deploy(&project.migrations(), 7).await;
    assert_eq!(report.applied.len(), 7);

    let (their_rows, our_rows) = (rows(&theirs).await, rows(&ours).await);
    assert_eq!(their_rows.len(), 7);
    assert!(
        their_rows
            .iter()
            .all(|r| r.finished && r.applied_steps_count == 1 && r.logs.is_none())
    );
    assert_eq!(our_rows, their_rows);
    assert_eq!(schema_dump(&ours).await, schema_dump(&theirs).await);
}

#[tokio::test]
async fn a_failed_migration_leaves_the_same_row() {
    let Some(prisma) = PrismaCli::find("a_failed_migration_leaves_the_same_row") else {
        return;
    };
    let project = TempProject::new();
    let broken = "20250101000000_broken";
    project.add_migration(
        broken,
        "CREATE TABLE \"Partial\" (id int);\nSELECT * FROM \"NoSuchTable\";\n",
    );
    let (theirs, ours) = (TestDb::new().await, TestDb::new().await);
    let run = prisma.run(&project, &theirs, &["migrate", "deploy"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stderr().contains(broken), "{}", run.stderr());
    let err = ours
        .deploy_into("public", &project.migrations(), 8)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(broken), "{err}");

    let their_rows = rows(&theirs).await;
    let failed = their_rows.last().unwrap();
    assert_eq!(
        (
            failed.name.as_str(),
            failed.finished,
            failed.applied_steps_count
        ),
        (broken, false, 0)
    );
    // Prisma's adapter words it "No such table: NoSuchTable"; PostgreSQL (and so our logs)
    // `relation "NoSuchTable" does not exist`. Both are in `logs`, naming the table.
    assert_eq!(
        logs_naming(rows(&ours).await, "NoSuchTable"),
        logs_naming(their_rows, "NoSuchTable")
    );
    // Prisma 6 via the adapter keeps the statement before the failing one.
    let partial = "SELECT count(*) FROM pg_tables WHERE tablename = 'Partial'";
    assert_eq!(theirs.scalar::<i64>(partial).await, 1);
}

#[tokio::test]
async fn a_rolled_back_migration_is_applied_again_as_prisma_does() {
    let Some(prisma) = PrismaCli::find("a_rolled_back_migration_is_applied_again") else {
        return;
    };
    let project = TempProject::new();
    let broken = "20250101000000_broken";
    project.add_migration(broken, "SELECT * FROM \"NoSuchTable\";\n");
    let (theirs, ours) = (TestDb::new().await, TestDb::new().await);
    prisma
        .run(&project, &theirs, &["migrate", "deploy"])
        .assert_code(1);
    assert!(
        ours.deploy_into("public", &project.migrations(), 8)
            .await
            .is_err()
    );
    let resolve = format!(
        "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '{broken}'"
    );
    theirs.execute(&resolve).await;
    ours.execute(&resolve).await;
    project.add_migration(broken, "CREATE TABLE \"Fixed\" (id int);\n");

    prisma
        .run(&project, &theirs, &["migrate", "deploy"])
        .assert_code(0);
    let report = ours.deploy(&project.migrations(), 8).await;
    assert_eq!(report.applied, [broken]);

    let their_rows = logs_naming(rows(&theirs).await, "NoSuchTable");
    let again: Vec<&Row> = their_rows.iter().filter(|r| r.name == broken).collect();
    assert_eq!(
        again.len(),
        2,
        "a second row for the same name: {their_rows:?}"
    );
    assert!(again[0].rolled_back && again[1].finished && again[0].checksum != again[1].checksum);
    assert_eq!(logs_naming(rows(&ours).await, "NoSuchTable"), their_rows);
    assert_eq!(schema_dump(&ours).await, schema_dump(&theirs).await);
}
