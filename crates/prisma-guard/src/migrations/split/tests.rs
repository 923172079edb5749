//! The splitter on each lexical form that may hide a `;`.

use super::statements;

#[test]
fn plain_statements_are_split_and_trimmed() {
    let sql = "CREATE TABLE \"A\" (id int);\n\n  CREATE INDEX \"A_id\" ON \"A\"(id) ;\nSELECT 1";
    assert_eq!(
        statements(sql),
        [
            "CREATE TABLE \"A\" (id int)",
            "CREATE INDEX \"A_id\" ON \"A\"(id)",
            "SELECT 1"
        ]
    );
}

#[test]
fn empty_and_comment_only_pieces_are_left_out() {
    let sql = "-- CreateTable\n;;\n/* nothing */;\nSELECT 1;\n-- trailing comment\n";
    assert_eq!(statements(sql), ["SELECT 1"]);
    assert!(statements("").is_empty());
    assert!(statements("  \n-- only a comment").is_empty());
}

#[test]
fn comments_stay_with_their_statement() {
    let sql = "-- AlterTable\nALTER TABLE \"A\" ADD COLUMN b int; -- why\nSELECT 2;";
    assert_eq!(
        statements(sql),
        [
            "-- AlterTable\nALTER TABLE \"A\" ADD COLUMN b int",
            "-- why\nSELECT 2"
        ]
    );
}

#[test]
fn semicolons_in_strings_are_text() {
    let sql = "INSERT INTO t VALUES ('a;b', 'it''s; fine');SELECT ';'";
    assert_eq!(
        statements(sql),
        ["INSERT INTO t VALUES ('a;b', 'it''s; fine')", "SELECT ';'"]
    );
}

#[test]
fn a_backslash_ends_nothing_in_a_standard_string() {
    // standard_conforming_strings: '\' is a one-character string.
    assert_eq!(
        statements(r"SELECT '\'; SELECT 2"),
        [r"SELECT '\'", "SELECT 2"]
    );
}

#[test]
fn escape_strings_skip_backslashed_quotes() {
    let sql = r"SELECT E'a\';b', e'\\'; SELECT 2";
    assert_eq!(statements(sql), [r"SELECT E'a\';b', e'\\'", "SELECT 2"]);
}

#[test]
fn an_e_at_the_end_of_a_word_is_not_an_escape_string() {
    // `type'…'` is a typed literal, not E'' (the word just ends in e).
    let sql = r"SELECT date'2024-01-01', some_type'\'; SELECT 2";
    assert_eq!(
        statements(sql),
        [r"SELECT date'2024-01-01', some_type'\'", "SELECT 2"]
    );
}

#[test]
fn quoted_identifiers_may_hold_semicolons_and_quotes() {
    let sql = "CREATE TABLE \"we;ird\"\"name\" (id int); SELECT 1";
    assert_eq!(
        statements(sql),
        ["CREATE TABLE \"we;ird\"\"name\" (id int)", "SELECT 1"]
    );
}

#[test]
fn dollar_quoted_bodies_are_one_statement() {
    let sql = "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.a := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\nSELECT 2;";
    let got = statements(sql);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].ends_with("$$ LANGUAGE plpgsql"), "{got:?}");
    assert_eq!(got[1], "SELECT 2");
}

#[test]
fn tagged_dollar_quotes_nest_other_tags() {
    let sql = "DO $outer$ BEGIN EXECUTE $q$SELECT ';'$q$; PERFORM '$outer'; END $outer$; SELECT 3";
    assert_eq!(
        statements(sql),
        [
            "DO $outer$ BEGIN EXECUTE $q$SELECT ';'$q$; PERFORM '$outer'; END $outer$",
            "SELECT 3"
        ]
    );
}

#[test]
fn parameters_and_dollars_in_words_are_not_quotes() {
    let sql = "PREPARE p AS SELECT $1; SELECT a$b$c FROM t; SELECT 4";
    assert_eq!(
        statements(sql),
        ["PREPARE p AS SELECT $1", "SELECT a$b$c FROM t", "SELECT 4"]
    );
}

#[test]
fn line_comments_hide_semicolons_and_quotes() {
    let sql = "SELECT 1 -- it's; not the end\n, 2; SELECT 3";
    assert_eq!(
        statements(sql),
        ["SELECT 1 -- it's; not the end\n, 2", "SELECT 3"]
    );
}

#[test]
fn block_comments_nest() {
    let sql = "SELECT /* a /* b; */ still; comment */ 1; SELECT 2";
    assert_eq!(
        statements(sql),
        ["SELECT /* a /* b; */ still; comment */ 1", "SELECT 2"]
    );
}

#[test]
fn a_minus_or_slash_alone_is_an_operator() {
    assert_eq!(
        statements("SELECT 4 - 1; SELECT 4 / 2;"),
        ["SELECT 4 - 1", "SELECT 4 / 2"]
    );
}

#[test]
fn begin_atomic_routine_bodies_keep_their_semicolons() {
    let sql = "CREATE OR REPLACE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN a ELSE 0 END;\n  SELECT a + b;\nEND;\nCREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;\nBEGIN;\nSELECT 5;\nCOMMIT;";
    let got = statements(sql);
    assert_eq!(got.len(), 5, "{got:#?}");
    assert!(got[0].starts_with("CREATE OR REPLACE FUNCTION") && got[0].ends_with("END"));
    assert_eq!(
        got[1],
        "CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END"
    );
    assert_eq!(&got[2..], ["BEGIN", "SELECT 5", "COMMIT"]);
}

#[test]
fn unterminated_constructs_run_to_the_end() {
    assert_eq!(
        statements("SELECT 1; SELECT 'open; "),
        ["SELECT 1", "SELECT 'open;"]
    );
    assert_eq!(statements("SELECT 1; /* open; "), ["SELECT 1"]);
    assert_eq!(
        statements("SELECT 1; SELECT $x$ a;"),
        ["SELECT 1", "SELECT $x$ a;"]
    );
    assert_eq!(statements(r"SELECT E'\"), [r"SELECT E'\"]);
}

#[test]
fn non_ascii_text_is_kept_whole() {
    let sql = "INSERT INTO t VALUES ('héllo; wörld'); SELECT ünïcode FROM \"tä;ble\"; SELECT 'ok'";
    assert_eq!(
        statements(sql),
        [
            "INSERT INTO t VALUES ('héllo; wörld')",
            "SELECT ünïcode FROM \"tä;ble\"",
            "SELECT 'ok'"
        ]
    );
}

#[test]
fn the_example_apps_migrations_split_into_their_statements() {
    let dir =
        camino::Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("example-app/prisma/migrations");
    let migrations = crate::migrations::read_folder(&dir).unwrap();
    for migration in &migrations {
        let text = String::from_utf8(migration.script.clone()).unwrap();
        let got = statements(&text);
        assert!(!got.is_empty(), "{}", migration.name);
        // Each statement is a complete SQL statement: no statement is left with a dangling
        // quote, which a wrong split would leave.
        for statement in &got {
            assert_eq!(statement.matches('\'').count() % 2, 0, "{statement}");
            assert!(!statement.ends_with(';'), "{statement}");
        }
    }
}
