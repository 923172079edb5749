//! Awkward values come back exactly (issue 18): the restore rewrites a data file's CSV into
//! COPY's text format as it streams, so every byte CSV quotes and text escapes — NULL against
//! `''`, `\N` and `\.` as text, quotes, commas, tabs, CR and LF, backslashes, arrays, JSON,
//! bytea, a value larger than a batch — is checked on the straight load and through staging.

use super::entry;
use crate::support::{TempProject, TestDb};

/// `Awkward`'s rows: `(id, the SQL of its values)`.
const ROWS: &str = r#"
CREATE TABLE "Awkward" (
    id int PRIMARY KEY, t text, v varchar(40), tags text[], doc jsonb, raw bytea, n numeric,
    at timestamptz
);
INSERT INTO "Awkward" VALUES
    (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (2, '', '', '{}', '{}', '', 0, '2024-01-01 00:00:00+00'),
    (3, E'\\N', E'\\.', ARRAY[NULL, '', 'a,b', 'q"uote', E'back\\slash', E'tab\there', E'nl\nhere', 'NULL'],
        '{"k": "v\"q", "t": "a\tb", "n": null}', '\x00ff5c0a0d092c22'::bytea, -1.5e-20,
        '1999-12-31 23:59:59.999999+00'),
    (4, E'line1\nline2\r\nend\r', 'comma,quote"', ARRAY['{}', '"'], '[1, "two", [3]]',
        convert_to(E'\\x', 'UTF8'), 12345678901234567890.123, 'infinity'),
    (5, E'\t', E'\r', ARRAY[E'\r\n'], '"\\\\"', E'\\\\'::bytea, 'NaN', '-infinity'),
    (6, '"', ',', NULL, '{"é": "€😀"}', NULL, NULL, NULL),
    (7, '""', 'é€😀', NULL, NULL, NULL, NULL, NULL),
    (8, repeat(E'x\\"\n\t,\r', 300000), 'over a batch', NULL, NULL,
        decode(repeat('5c0a', 300000), 'hex'), NULL, NULL);
"#;

/// Seeds the fixture, adds `Awkward`, snapshots it and keeps a copy in `orig`; `keep` is the
/// SQL that empties (or thins) `Awkward` before the restore, `direct` whether the rows must
/// then be copied straight into it.
async fn restored(keep: &str, direct: bool) -> (TempProject, TestDb) {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    db.execute(ROWS).await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    db.copy_public_to("orig").await;
    db.execute(keep).await;
    let run = project.xtask(&db, &["restore", "--yes", "--tables", "Awkward", "--json"]);
    run.assert_code(0);
    assert_eq!(entry(&run.json(), "Awkward")["direct_copy"], direct);
    let difference = db.difference("orig", "Awkward").await;
    assert_eq!((difference.missing, difference.extra), (0, 0));
    (project, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_values_come_back_exactly_on_the_straight_load() {
    let (_project, db) = restored("DELETE FROM \"Awkward\"", true).await;
    let nulls: i64 = db
        .scalar("SELECT count(*) FROM \"Awkward\" WHERE t IS NULL")
        .await;
    assert_eq!(nulls, 1, "only row 1's t is NULL; row 2's is ''");
    let long: i64 = db
        .scalar("SELECT (length(t) + length(raw))::bigint FROM \"Awkward\" WHERE id = 8")
        .await;
    assert_eq!(long, 7 * 300_000 + 2 * 300_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_values_come_back_exactly_through_staging() {
    // A row left in place makes the table non-empty: the rows go through a staging table.
    restored("DELETE FROM \"Awkward\" WHERE id <> 5", false).await;
}

/// A data file that matches its manifest but holds CSV PostgreSQL never writes (here a quote
/// inside an unquoted value, which PostgreSQL's own CSV reader would take as the start of a
/// quoted part) is refused as damaged, naming the file and the byte; the table is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_file_postgres_did_not_write_is_refused_and_changes_nothing() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    db.execute(ROWS).await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let snapshot = &project.snapshots()[0];
    let manifest_path = snapshot.path.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let entry = manifest["tables"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["name"] == "Awkward")
        .unwrap();
    let file = snapshot.path.join(entry["file"].as_str().unwrap());
    let csv = zstd::decode_all(std::fs::File::open(&file).unwrap()).unwrap();
    let csv = String::from_utf8(csv)
        .unwrap()
        .replacen("\n2,", "\n2\"x,", 1);
    let compressed = zstd::encode_all(csv.as_bytes(), 1).unwrap();
    std::fs::write(&file, &compressed).unwrap();
    entry["bytes"] = compressed.len().into();
    entry["sha256"] = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&compressed)).into();
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    db.execute("DELETE FROM \"Awkward\" WHERE id <> 5").await;

    for strategy in ["map", "auto"] {
        let run = project.xtask(
            &db,
            &[
                "restore",
                "--yes",
                "--tables",
                "Awkward",
                "--strategy",
                strategy,
            ],
        );
        run.assert_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains("public.Awkward.csv.zst")
                && stderr.contains(
                    "it is not PostgreSQL's CSV: a quote inside an unquoted value at byte"
                ),
            "{strategy}: {stderr}"
        );
        let ids: String = db
            .scalar("SELECT string_agg(id::text, ',') FROM \"Awkward\"")
            .await;
        assert_eq!(ids, "5", "{strategy}");
    }
}
