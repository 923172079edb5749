//! What a restore refuses or undoes, changing nothing: a dry run, a corrupt data file, a
//! failing cast, no terminal without `--yes`, a remote host, a table it cannot map.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{SEED_ROWS, Scenario, int, mentions};
use crate::support::project::Run;

/// The seed's tag names: a failing cast of `Tag.name` shows one of them.
const TAG_NAMES: [&str; 6] = [
    "rust",
    "postgres",
    "c++",
    "naïve",
    "tag with spaces, and comma",
    "unused",
];

/// `inserted` per table name.
fn inserted(report: &Value) -> BTreeMap<String, i64> {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), int(&t["inserted"])))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_reports_and_changes_nothing() {
    let s = Scenario::new().await;
    let counts = s.counts().await;
    let sequences = s.db.sequences().await;
    assert!(sequences.len() >= 7, "{sequences:?}");

    let run = s.restore_seed(&["--dry-run", "--json"]);
    run.assert_code(0);
    let dry = run.json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["safety_snapshot"], Value::Null);
    assert_eq!(int(&dry["totals"]["inserted"]), SEED_ROWS);
    assert_eq!(s.counts().await, counts);
    assert_eq!(
        s.db.sequences().await,
        sequences,
        "sequences are not moved by a dry run"
    );
    assert_eq!(s.project.snapshots().len(), 1, "no snapshot taken");
    assert!(s.project.leftovers().is_empty());

    let real = s.restore_seed(&["--yes", "--json"]).assert_code(0).json();
    assert_eq!(inserted(&dry), inserted(&real));
    s.assert_all_back().await;
    assert_ne!(
        s.db.sequences().await,
        sequences,
        "the real restore moves them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_data_file_is_caught_before_any_write() {
    let s = Scenario::new().await;
    let stored = s.project.snapshots().pop().unwrap();
    let file = &stored.manifest.table("Tag").unwrap().file;
    assert_eq!(file, "data/public.Tag.csv.zst");
    let path = stored.path.join(file);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();

    let run = s.restore_seed(&["--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("public.Tag.csv.zst"), "{stderr}");
    s.assert_empty().await;
    assert_eq!(
        s.project.snapshots().len(),
        1,
        "refused before the safety snapshot too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_cast_rolls_back_every_table() {
    let s = Scenario::new().await;
    s.db.execute("ALTER TABLE \"Tag\" ALTER COLUMN \"name\" TYPE integer USING 0")
        .await;

    let run = s.restore_seed(&["--yes", "--no-safety-snapshot"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(mentions(&stderr, "Tag"), "names the table: {stderr}");
    assert!(mentions(&stderr, "name"), "names the column: {stderr}");
    assert!(
        TAG_NAMES.iter().any(|value| stderr.contains(value)),
        "shows the value that failed: {stderr}"
    );
    s.assert_empty().await;
    assert_eq!(
        s.project.snapshots().len(),
        1,
        "--no-safety-snapshot takes none"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_or_yes_it_refuses() {
    let s = Scenario::new().await;
    let output = s
        .project
        .command(&["restore", &s.id], &[("DATABASE_URL", &s.db.url())])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run(output);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(stderr.contains("--yes"), "{stderr}");
    s.assert_empty().await;
    assert_eq!(
        s.project.snapshots().len(),
        1,
        "no safety snapshot for a refusal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_host_is_refused_without_connecting() {
    let s = Scenario::new().await;
    // A name (never resolved) and an unroutable address (a connection attempt would hang).
    for url in [
        "postgresql://postgres@db.example.com:5432/app",
        "postgresql://postgres@192.0.2.1:5432/app",
    ] {
        let started = Instant::now();
        let run = s
            .project
            .xtask_with_env(&["restore", &s.id, "--yes", "--database-url", url], &[]);
        let elapsed = started.elapsed();
        run.assert_code(1);
        let stderr = run.stderr();
        assert!(stderr.contains("--allow-remote"), "{url}: {stderr}");
        assert!(
            elapsed < Duration::from_secs(5),
            "{url}: refused after {elapsed:?}, as if it tried to connect"
        );
    }
    s.assert_empty().await;
    assert_eq!(s.project.snapshots().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmappable_table_is_named_and_can_be_excluded() {
    let s = Scenario::new().await;
    s.db.execute("ALTER TABLE \"Tag\" ADD COLUMN \"color\" TEXT NOT NULL")
        .await;

    let run = s.restore_seed(&["--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(mentions(&stderr, "Tag"), "{stderr}");
    assert!(mentions(&stderr, "color"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(stderr.contains("--exclude"), "{stderr}");
    s.assert_empty().await;

    s.restore_seed(&["--exclude", "Tag,_PostToTag", "--yes"])
        .assert_code(0);
    let counts = s.counts().await;
    assert_eq!(counts["Tag"], 0);
    assert_eq!(counts["_PostToTag"], 0);
    assert_eq!(counts["User"], 6);
    assert_eq!(counts["Post"], 7);
    s.assert_same("Post").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_gone_mid_restore_says_the_connection_was_lost_and_nothing_changed() {
    use crate::support::{TempProject, TestDb};
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    db.execute(
        "CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 8) AS pad \
         FROM generate_series(1, 400000) g; ALTER TABLE big ADD PRIMARY KEY (id)",
    )
    .await;
    project
        .xtask(&db, &["snapshot", "--tables", "big"])
        .assert_code(0);
    db.execute("DELETE FROM big WHERE id > 10").await;

    let killer_db = db.database_url().clone();
    let killer = tokio::spawn(async move {
        // Wait until the restore is loading the table, then cut its connection.
        let mut conn = killer_db.connect().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let killed: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE pid <> pg_backend_pid() AND datname = current_database()
                   AND state = 'active' AND (query LIKE 'COPY%' OR query LIKE 'INSERT%')",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            if killed.contains(&true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        false
    });
    let run = project.xtask(
        &db,
        &[
            "restore",
            "--tables",
            "big",
            "--strategy",
            "map",
            "--yes",
            "--no-safety-snapshot",
        ],
    );
    assert!(killer.await.unwrap(), "the load was seen and terminated");
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("error: lost the connection to the server while "),
        "{stderr}"
    );
    assert!(stderr.contains("hint: nothing was changed"), "{stderr}");
    let left: i64 = db.scalar("SELECT count(*) FROM big").await;
    assert_eq!(left, 10, "the restore's transaction never committed");
}
