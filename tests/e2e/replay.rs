//! `restore --strategy replay|map|auto` and `rollback`, end to end through the real binary, on
//! the fixture app: seeded at migration 4 and snapshotted; migration 5 renames `User.name` to
//! `displayName`, migration 7 backfills `Post.status` and `Post.slug` from other columns.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::project::{Run, SEEDED};
use crate::support::{TempProject, TestDb};

/// Seeded at migration 4, snapshotted; `expected` holds the seed data migrated to 7 in place
/// (schema `inplace`), then the database is reset (`public` dropped, migrated to 7, empty).
struct Scenario {
    project: TempProject,
    db: TestDb,
    /// The snapshot of the seeded database (migrations 1-4 applied).
    id: String,
}

impl Scenario {
    async fn new() -> Scenario {
        let (project, db) = (TempProject::new(), TestDb::new().await);
        project.seeded(&db).await;
        project.xtask(&db, &["snapshot"]).assert_code(0);
        let id = project.snapshots()[0].manifest.id.clone();
        // What the data should become: migrations 5-7 applied to it in place.
        db.deploy(&project.migrations(), 7).await;
        db.copy_public_to("inplace").await;
        project.wipe_and_migrate(&db).await;
        Scenario { project, db, id }
    }

    fn restore(&self, args: &[&str]) -> Run {
        let mut all = vec!["restore", self.id.as_str()];
        all.extend_from_slice(args);
        self.project.xtask(&self.db, &all)
    }

    /// Rows of `public."T"` missing from, and extra to, `inplace."T"` (every column).
    async fn difference(&self, table: &str) -> (i64, i64) {
        let d = self.db.difference("inplace", table).await;
        (d.missing, d.extra)
    }

    async fn assert_empty(&self) {
        let counts = self.db.row_counts("public").await;
        for table in SEEDED {
            assert_eq!(counts[table], 0, "{table} is untouched: {counts:?}");
        }
    }
}

/// Runs the binary without a terminal, returning its output and its process id (which scratch
/// database names carry).
fn run_with_pid(project: &TempProject, db: &TestDb, args: &[&str]) -> (Run, u32) {
    let child = spawn(project, db, args);
    let pid = child.id();
    (Run(child.wait_with_output().unwrap()), pid)
}

/// Starts the binary without a terminal, its output piped.
fn spawn(project: &TempProject, db: &TestDb, args: &[&str]) -> std::process::Child {
    project
        .command(args, &[("DATABASE_URL", &db.url())])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Scratch databases a process with `pid` left on the server.
async fn scratch_databases(db: &TestDb, pid: u32) -> i64 {
    db.scalar(&format!(
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'xtask\\_scratch\\_{pid}\\_%'"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_carries_renames_and_backfills_where_map_loses_them() {
    let s = Scenario::new().await;

    let run = s.restore(&["--strategy", "replay", "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["strategy"]["used"], "replay", "{report:#}");
    assert_eq!(report["strategy"]["replayed"].as_array().unwrap().len(), 3);
    for table in SEEDED {
        assert_eq!(
            s.difference(table).await,
            (0, 0),
            "{table}: replay gives exactly the in-place migrated data"
        );
    }
    assert!(
        s.project.leftovers().is_empty(),
        "no hidden folder left: {:?}",
        s.project.leftovers()
    );

    // The same restore matching columns by name: the renamed column and the backfills are lost.
    s.project.wipe_and_migrate(&s.db).await;
    let run = s.restore(&["--strategy", "map", "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["strategy"]["used"], "map", "{report:#}");
    let named: i64 =
        s.db.scalar("SELECT count(*) FROM \"User\" WHERE \"displayName\" IS NOT NULL")
            .await;
    let named_in_place: i64 =
        s.db.scalar("SELECT count(*) FROM inplace.\"User\" WHERE \"displayName\" IS NOT NULL")
            .await;
    assert_eq!(
        (named, named_in_place),
        (0, 5),
        "map drops the renamed column"
    );
    let (missing, _) = s.difference("User").await;
    assert_eq!(
        missing, 5,
        "every user with a name differs from the migrated one"
    );
    let published: i64 =
        s.db.scalar("SELECT count(*) FROM \"Post\" WHERE status = 'PUBLISHED' OR slug IS NOT NULL")
            .await;
    assert_eq!(published, 0, "map misses the backfills");
    assert_ne!(s.difference("Post").await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_picks_replay_and_says_why() {
    let s = Scenario::new().await;
    let run = s.restore(&["--dry-run"]);
    run.assert_code(0);
    let stdout = run.stdout();
    let line = stdout
        .lines()
        .find(|l| l.starts_with("strategy"))
        .unwrap_or_else(|| panic!("a strategy line: {stdout}"));
    assert!(
        line.contains("replay:") && line.contains("the 3 applied since are replayed"),
        "{line}"
    );
    s.assert_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_migration_makes_auto_fall_back_to_map() {
    let s = Scenario::new().await;
    let script = s.project.script(1);
    let mut sql = std::fs::read_to_string(&script).unwrap();
    sql.push_str(
        "\n-- edited after the snapshot\nCREATE INDEX \"Image_url_idx\" ON \"Image\"(\"url\");\n",
    );
    std::fs::write(&script, sql).unwrap();
    let name = s.project.migration_name(1);

    let run = s.restore(&["--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["strategy"]["requested"], "auto");
    assert_eq!(report["strategy"]["used"], "map", "{report:#}");
    let reason = report["strategy"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&name) && reason.contains("changed since the snapshot"),
        "{reason}"
    );
    let users: i64 = s.db.scalar("SELECT count(*) FROM \"User\"").await;
    assert_eq!(users, 6, "the map restore ran");

    // Asked for explicitly, replay refuses with the same reason and changes nothing.
    s.project.wipe_and_migrate(&s.db).await;
    let run = s.restore(&["--strategy", "replay", "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("cannot replay the migrations") && stderr.contains(&name),
        "{stderr}"
    );
    assert!(stderr.contains("--strategy map"), "hint: {stderr}");
    s.assert_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_failing_on_the_snapshot_data_changes_nothing() {
    let s = Scenario::new().await;
    // Fine on the empty tables of the reset database; fails on rows: a NOT NULL column without
    // default.
    let name = "20240701000000_tag_weight";
    s.project.add_migration(
        name,
        "ALTER TABLE \"Tag\" ADD COLUMN \"weight\" INTEGER NOT NULL;",
    );
    s.db.deploy(&s.project.migrations(), 8).await;

    let (run, pid) = run_with_pid(&s.project, &s.db, &["restore", &s.id, "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!("migration {name} failed while being replayed")),
        "{stderr}"
    );
    assert!(
        stderr.contains("contains null values"),
        "PostgreSQL's error: {stderr}"
    );
    s.assert_empty().await;
    assert_eq!(
        scratch_databases(&s.db, pid).await,
        0,
        "the scratch database is gone"
    );
    assert!(s.project.leftovers().is_empty());
    assert_eq!(
        s.project.snapshots().len(),
        1,
        "no safety snapshot was taken"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_replay_drops_the_scratch_database() {
    let s = Scenario::new().await;
    s.project
        .add_migration("20240701000000_slow", "SELECT pg_sleep(2);");
    s.db.deploy(&s.project.migrations(), 8).await;

    let child = spawn(&s.project, &s.db, &["restore", &s.id, "--yes"]);
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    while scratch_databases(&s.db, pid).await == 0 {
        assert!(Instant::now() < deadline, "no scratch database appeared");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Inside the replay of the slow migration.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    assert_eq!(
        scratch_databases(&s.db, pid).await,
        0,
        "the scratch database is gone"
    );
    assert!(s.project.leftovers().is_empty());
    s.assert_empty().await;
}

/// Tables, columns (type, nullability, default), constraints and indexes of `public`, as text.
async fn catalog(db: &TestDb) -> Vec<String> {
    let mut conn = db.connect().await;
    let mut all: Vec<String> = sqlx::query_scalar(
        "SELECT format('%s.%s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                       a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
           AND a.attnum > 0 AND NOT a.attisdropped
         UNION ALL
         SELECT format('%s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
         WHERE connamespace = 'public'::regnamespace
         UNION ALL
         SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
         UNION ALL
         SELECT format('type %s', t.typname) FROM pg_type t
         WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    all.sort();
    all
}

/// `_prisma_migrations` as it stands: id, name, checksum, started, finished.
async fn history(db: &TestDb) -> Vec<(String, String, String, String, Option<String>)> {
    let mut conn = db.connect().await;
    sqlx::query_as(
        "SELECT id, migration_name, checksum, started_at::text, finished_at::text
         FROM _prisma_migrations ORDER BY id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_returns_status_schema_and_rows_to_the_snapshot() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let before = (catalog(&db).await, history(&db).await);
    let status_before = project.xtask(&db, &["status", "--json"]).json();
    db.copy_public_to("orig").await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    // The migration "went wrong", and the data moved on.
    db.deploy(&project.migrations(), 7).await;
    db.execute(
        "DELETE FROM \"SystemPrompt\" WHERE id = 1; UPDATE \"User\" SET email = 'x' WHERE id = 3;",
    )
    .await;
    assert_ne!(catalog(&db).await, before.0);

    // A dry run works in a scratch database: nothing changes here.
    let counts = db.row_counts("public").await;
    let (run, pid) = run_with_pid(&project, &db, &["rollback", &id, "--dry-run"]);
    run.assert_code(0);
    assert!(run.stdout().contains("dry run"), "{}", run.stdout());
    assert!(
        run.stdout()
            .contains("3 applied since the snapshot are undone"),
        "{}",
        run.stdout()
    );
    assert_eq!(db.row_counts("public").await, counts);
    assert_eq!(scratch_databases(&db, pid).await, 0);
    assert_eq!(
        project.snapshots().len(),
        1,
        "a dry run takes no safety snapshot"
    );

    let run = project.xtask(&db, &["rollback", &id, "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(
        report["migrations"].as_array().unwrap().len(),
        4,
        "{report:#}"
    );
    assert_eq!(report["history_rows"], 4);

    assert_eq!(catalog(&db).await, before.0, "the schema is the snapshot's");
    assert_eq!(
        history(&db).await,
        before.1,
        "_prisma_migrations is the snapshot's"
    );
    let status_after = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(status_after["migrations"], status_before["migrations"]);
    for table in SEEDED {
        let d = db.difference("orig", table).await;
        assert_eq!((d.missing, d.extra), (0, 0), "{table} is as it was");
    }
    // The sequences moved past the loaded ids: a new row gets a fresh id.
    db.execute("INSERT INTO \"Tag\" (name) VALUES ('after rollback')")
        .await;
    // The undo: a safety snapshot of everything before the rollback.
    let safety = project
        .snapshots()
        .into_iter()
        .find(|s| s.manifest.reason == "pre-rollback")
        .expect("a pre-rollback snapshot");
    assert_eq!(report["safety_snapshot"], safety.manifest.id.as_str());
    assert!(safety.manifest.table("_prisma_migrations").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_refuses_what_it_cannot_do_and_changes_nothing() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    db.deploy(&project.migrations(), 7).await;
    let counts = db.row_counts("public").await;

    // No terminal and no --yes.
    let run = Run(project
        .command(&["rollback", &id], &[("DATABASE_URL", &db.url())])
        .stdin(Stdio::null())
        .output()
        .unwrap());
    run.assert_code(1);
    assert!(run.stderr().contains("--yes"), "{}", run.stderr());

    // Not this machine.
    let run = project.xtask_with_env(
        &["rollback", &id, "--yes"],
        &[("DATABASE_URL", "postgresql://u:secret@db.example.com/app")],
    );
    run.assert_code(1);
    assert!(run.stderr().contains("not local") && !run.stderr().contains("secret"));

    // A migration the snapshot was taken at changed since: its schema cannot be rebuilt.
    let script = project.script(0);
    let mut sql = std::fs::read_to_string(&script).unwrap();
    sql.push_str("\n-- edited\n");
    std::fs::write(&script, sql).unwrap();
    let run = project.xtask(&db, &["rollback", &id, "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("cannot roll back") && stderr.contains(&project.migration_name(0)),
        "{stderr}"
    );
    assert_eq!(db.row_counts("public").await, counts);
    assert_eq!(project.snapshots().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_refuses_a_snapshot_of_some_tables() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project
        .xtask(&db, &["snapshot", "--tables", "User,_prisma_migrations"])
        .assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    db.deploy(&project.migrations(), 7).await;
    let counts = db.row_counts("public").await;

    let run = project.xtask(&db, &["rollback", &id, "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("does not hold the tables") && stderr.contains("SystemPrompt"),
        "{stderr}"
    );
    assert_eq!(
        db.row_counts("public").await,
        counts,
        "the rollback was undone"
    );
    let applied: i64 = db.scalar("SELECT count(*) FROM _prisma_migrations").await;
    assert_eq!(applied, 7);
}
