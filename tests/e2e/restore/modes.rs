//! `--mode merge|upsert|replace`: merging twice, upsert overwriting by key, replace making tables
//! equal and refusing to delete rows another table references, an unknown mode, and tables
//! without a primary key.

use super::{SEED_ROWS, Scenario, entry, int, mentions, table_names};
use crate::support::TempProject;
use crate::support::db::Difference;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_twice_inserts_nothing_the_second_time() {
    let s = Scenario::new().await;
    let first = s.restore_seed(&["--yes", "--json"]).assert_code(0).json();
    let inserted = int(&first["totals"]["inserted"]);
    assert_eq!(inserted, SEED_ROWS);
    let second = s.restore_seed(&["--yes", "--json"]).assert_code(0).json();
    assert_eq!(int(&second["totals"]["inserted"]), 0, "{second:#}");
    assert_eq!(int(&second["totals"]["updated"]), 0, "{second:#}");
    assert_eq!(int(&second["totals"]["conflicts"]), inserted, "{second:#}");
    s.assert_all_back().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_overwrites_rows_with_the_same_key() {
    let s = Scenario::new().await;
    s.restore_seed(&["--yes"]).assert_code(0);
    s.db.execute("UPDATE \"SystemPrompt\" SET content = 'changed'")
        .await;
    assert_eq!(s.db.difference("orig", "SystemPrompt").await.missing, 4);

    let run = s.restore_seed(&["--only", "admin", "--mode", "upsert", "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    s.assert_same("SystemPrompt").await;
    assert_eq!(report["mode"], "upsert");
    let prompts = entry(&report, "SystemPrompt");
    assert_eq!(int(&prompts["updated"]), 4, "{prompts}");
    assert_eq!(int(&prompts["inserted"]), 0, "{prompts}");
    let mut names = table_names(&report);
    names.sort();
    assert_eq!(names, ["SystemPrompt", "User"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_deletes_the_selected_tables_rows_first() {
    let s = Scenario::new().await;
    s.restore_seed(&["--yes"]).assert_code(0);
    s.db.execute(
        "UPDATE \"Tag\" SET name = name || '!' WHERE id = 1;
         INSERT INTO \"Tag\" (name) VALUES ('added later');
         DELETE FROM \"_PostToTag\" WHERE \"A\" = 1;
         INSERT INTO \"_PostToTag\" VALUES (7, 6);",
    )
    .await;
    assert_ne!(
        s.db.difference("orig", "Tag").await,
        Difference {
            missing: 0,
            extra: 0
        }
    );

    let run = s.restore_seed(&[
        "--tables",
        "Tag,_PostToTag",
        "--mode",
        "replace",
        "--yes",
        "--json",
    ]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["mode"], "replace");
    s.assert_same("Tag").await;
    s.assert_same("_PostToTag").await;
    s.assert_all_back().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_refuses_a_table_that_others_reference() {
    let s = Scenario::new().await;
    s.restore_seed(&["--yes"]).assert_code(0);
    // Every user is the snapshot's: replace deletes none, so the posts referencing them are fine
    // (before issue 13 it deleted every selected row first and refused).
    let run = s.restore_seed(&["--tables", "User", "--mode", "replace", "--yes", "--json"]);
    let report = run.assert_code(0).json();
    assert_eq!(int(&entry(&report, "User")["deleted"]), 0, "{report:#}");
    s.assert_all_back().await;

    // A user the snapshot lacks, whom a post (outside the selection) references.
    s.db.execute(
        "INSERT INTO \"User\" (id, email, role, \"passwordHash\", \"updatedAt\")
             VALUES (100, 'new@example.com', 'USER', 'x', now());
         INSERT INTO \"Post\" (title, body, \"authorId\", \"updatedAt\")
             VALUES ('by the new user', 'text', 100, now());",
    )
    .await;
    let before = s.counts().await;
    let run = s.restore_seed(&["--tables", "User", "--mode", "replace", "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        mentions(&stderr, "Post") && stderr.contains("1 row(s) of User"),
        "names the table that references the user about to go: {stderr}"
    );
    assert_eq!(s.counts().await, before);
}

#[test]
fn unknown_mode_is_a_usage_error() {
    let project = TempProject::new();
    let run = project.xtask_with_env(&["restore", "--mode", "sideways", "--yes"], &[]);
    run.assert_code(2);
    assert!(run.stderr().contains("sideways"), "{}", run.stderr());
}

#[tokio::test]
async fn tables_without_a_primary_key_are_matched_by_a_unique_key_or_refused() {
    use crate::support::{TempProject, TestDb};
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    db.execute(
        "CREATE TABLE log (at int, line text);
         INSERT INTO log VALUES (1, 'a'), (2, 'b'), (3, 'c');
         CREATE TABLE setting (name text NOT NULL, value text);
         CREATE UNIQUE INDEX setting_name_key ON setting (name);
         INSERT INTO setting VALUES ('theme', 'dark'), ('lang', 'en'), ('tz', 'utc');",
    )
    .await;
    project
        .xtask(&db, &["snapshot", "--tables", "log,setting"])
        .assert_code(0);
    let count = |table: &'static str| {
        let db = &db;
        async move {
            db.scalar::<i64>(&format!("SELECT count(*) FROM {table}"))
                .await
        }
    };
    let restore = |args: &[&str]| {
        let mut all = vec![
            "restore",
            "--strategy",
            "map",
            "--yes",
            "--no-safety-snapshot",
        ];
        all.extend_from_slice(args);
        project.xtask(&db, &all)
    };

    // No key and rows already there: merge and upsert would double them.
    for mode in ["merge", "upsert"] {
        let run = restore(&["--tables", "log", "--mode", mode]);
        run.assert_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.starts_with(&format!(
                "error: table log has no primary key or unique constraint and already holds rows: {mode} cannot tell"
            )),
            "{stderr}"
        );
        assert!(stderr.contains("--exclude log"), "{stderr}");
        assert_eq!(count("log").await, 3);
    }
    // Emptied, it is simply loaded.
    db.execute("DELETE FROM log").await;
    restore(&["--tables", "log"]).assert_code(0);
    assert_eq!(count("log").await, 3);

    // A unique key stands in for the primary key: merge keeps, upsert overwrites, no duplicates.
    db.execute("UPDATE setting SET value = 'light' WHERE name = 'theme'")
        .await;
    restore(&["--tables", "setting"]).assert_code(0);
    assert_eq!(count("setting").await, 3);
    let theme: String = db
        .scalar("SELECT value FROM setting WHERE name = 'theme'")
        .await;
    assert_eq!(theme, "light", "merge leaves existing rows alone");
    restore(&["--tables", "setting", "--mode", "upsert"]).assert_code(0);
    assert_eq!(count("setting").await, 3);
    let theme: String = db
        .scalar("SELECT value FROM setting WHERE name = 'theme'")
        .await;
    assert_eq!(theme, "dark", "upsert overwrites through the unique key");
}
