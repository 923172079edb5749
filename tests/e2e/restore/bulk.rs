//! The bulk load into empty tables (issue 18): keys and indexes are dropped, the rows copied,
//! and everything built again once — the schema afterwards is the one before, and a row the
//! rebuilt unique index refuses sends the restore down the checked per-row way instead.

use super::{Scenario, entry, int};

/// Every index and constraint of `public`: `(name, definition, oid)`, by name.
const SCHEMA_OBJECTS: &str = "
    SELECT coalesce(string_agg(format('%s %s %s', name, definition, oid), E'\\n' ORDER BY name), '')
    FROM (SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition,
                 i.indexrelid AS oid
          FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          WHERE c.relnamespace = 'public'::regnamespace
          UNION ALL
          SELECT con.conrelid::regclass::text || '.' || con.conname, pg_get_constraintdef(con.oid),
                 con.oid
          FROM pg_constraint con
          WHERE con.connamespace = 'public'::regnamespace) objects";

/// The lines of [`SCHEMA_OBJECTS`] without their oids, and the oid of `name`.
fn without_oids(objects: &str) -> Vec<String> {
    objects
        .lines()
        .map(|line| line.rsplit_once(' ').unwrap().0.to_string())
        .collect()
}

fn oid_of(objects: &str, name: &str) -> String {
    let line = objects
        .lines()
        .find(|line| line.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in:\n{objects}"));
    line.rsplit_once(' ').unwrap().1.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_indexes_are_built_again_after_the_load() {
    let s = Scenario::new().await;
    let before: String = s.db.scalar(SCHEMA_OBJECTS).await;
    s.restore(&["--yes"]).assert_code(0);
    s.assert_all_back().await;
    let after: String = s.db.scalar(SCHEMA_OBJECTS).await;
    assert_eq!(without_oids(&after), without_oids(&before));
    // Built again, not kept: the primary key's and the unique index's oids are new.
    for name in ["\"User_pkey\"", "\"User_email_key\""] {
        assert_ne!(oid_of(&after, name), oid_of(&before, name), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_the_rebuilt_unique_index_refuses_falls_back_to_the_checked_load() {
    let s = Scenario::new().await;
    // One prompt at most: the snapshot's four cannot all go in.
    s.db.execute("CREATE UNIQUE INDEX prompt_one ON \"SystemPrompt\" ((true))")
        .await;
    let run = s.restore(&["--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    let prompts = entry(&report, "SystemPrompt");
    assert_eq!(int(&prompts["inserted"]), 1, "{prompts}");
    assert_eq!(int(&prompts["conflicts"]), 3, "{prompts}");
    let count: i64 = s.db.scalar("SELECT count(*) FROM \"SystemPrompt\"").await;
    assert_eq!(count, 1);
    let index: bool =
        s.db.scalar("SELECT to_regclass('public.prompt_one') IS NOT NULL")
            .await;
    assert!(index, "the index the load had to respect is still there");
    for table in ["User", "Post", "Comment"] {
        s.assert_same(table).await;
    }
}

/// Large values come back compressed with lz4 where the column names no method (the server here
/// is built with lz4, as Debian's is): by the straight load (`SystemPrompt`) and through
/// staging (`Post`, whose columns changed). On the straight load a column that names a method
/// keeps it (through staging a value keeps the staging table's: PostgreSQL does not recompress a
/// value moved between tables). The values are the originals, and the session's setting is left
/// as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_values_are_compressed_with_lz4_unless_the_column_names_a_method() {
    let (project, db) = (
        crate::support::TempProject::new(),
        crate::support::TestDb::new().await,
    );
    project.seeded(&db).await;
    // Compressible and over the TOAST threshold (about 2 KB).
    db.execute(
        "UPDATE \"SystemPrompt\" SET \"content\" = repeat('content ', 2000), \"description\" = repeat('about ', 2000);
         UPDATE \"Post\" SET \"body\" = repeat('body ', 2000);",
    )
    .await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    db.copy_public_to("orig").await;
    project.wipe_and_migrate(&db).await;
    db.execute("ALTER TABLE \"SystemPrompt\" ALTER COLUMN \"description\" SET COMPRESSION pglz")
        .await;
    project.xtask(&db, &["restore", "--yes"]).assert_code(0);
    let methods = |sql: &'static str| {
        let db = &db;
        async move { db.scalar::<String>(sql).await }
    };
    assert_eq!(
        methods("SELECT string_agg(DISTINCT pg_column_compression(\"content\") || '/' || pg_column_compression(\"description\"), ',') FROM \"SystemPrompt\"").await,
        "lz4/pglz"
    );
    assert_eq!(
        methods("SELECT string_agg(DISTINCT pg_column_compression(\"body\"), ',') FROM \"Post\"")
            .await,
        "lz4"
    );
    for table in ["SystemPrompt", "Post"] {
        let difference = db.difference("orig", table).await;
        assert_eq!((difference.missing, difference.extra), (0, 0), "{table}");
    }
    let setting: String = db.scalar("SHOW default_toast_compression").await;
    assert_eq!(setting, "pglz");
}
