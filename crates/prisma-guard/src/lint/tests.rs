//! The Prisma profile over SQL strings: each rule on (and at its severity) or off, ignore
//! comments, and Prisma's own migrations from the fixtures.

use super::*;
use crate::migrations::Statements;

fn lint(sql: &str) -> Vec<Finding> {
    lint_sql("20250101000000_m", sql, &Profile::prisma(Statements::Whole))
}

fn rules(sql: &str) -> Vec<(String, Severity)> {
    lint(sql)
        .into_iter()
        .map(|f| (f.rule, f.severity))
        .collect()
}

/// An existing table, as an earlier migration made it, is not created in these files: the
/// locking rules apply to it.
const DROP_COLUMN: &str = "-- AlterTable\nALTER TABLE \"User\" DROP COLUMN \"name\",\nADD COLUMN     \"displayName\" TEXT;\n";

#[test]
fn data_loss_and_failure_rules_are_errors() {
    use Severity::Error;
    for (sql, rule) in [
        (DROP_COLUMN, "ban-drop-column"),
        ("-- DropTable\nDROP TABLE \"Legacy\";\n", "ban-drop-table"),
        (
            "ALTER TABLE \"Post\" ALTER COLUMN \"viewCount\" SET DATA TYPE INTEGER;\n",
            "changing-column-type",
        ),
        (
            "ALTER TABLE \"User\" ADD COLUMN \"slug\" TEXT NOT NULL;\n",
            "adding-required-field",
        ),
        (
            "ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;\n",
            "adding-not-nullable-field",
        ),
        (
            "ALTER TABLE \"User\" RENAME COLUMN \"name\" TO \"displayName\";\n",
            "renaming-column",
        ),
        ("ALTER TABLE \"Old\" RENAME TO \"New\";\n", "renaming-table"),
        (
            "CREATE INDEX CONCURRENTLY \"User_name_idx\" ON \"User\"(\"name\");\nALTER TABLE \"User\" ADD COLUMN \"x\" TEXT;\n",
            "ban-concurrent-index-creation-in-transaction",
        ),
    ] {
        let found = rules(sql);
        assert!(
            found.contains(&(rule.to_string(), Error)),
            "{rule} not reported as an error on {sql:?}: {found:?}"
        );
    }
}

#[test]
fn locking_rules_are_warnings() {
    use Severity::Warning;
    for (sql, rule) in [
        (
            "-- CreateIndex\nCREATE INDEX \"User_name_idx\" ON \"User\"(\"name\");\n",
            "require-concurrent-index-creation",
        ),
        (
            "-- AddForeignKey\nALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;\n",
            "adding-foreign-key-constraint",
        ),
        (
            "ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_views_check\" CHECK (\"viewCount\" >= 0);\n",
            "constraint-missing-not-valid",
        ),
        (
            "DROP INDEX \"User_name_idx\";\n",
            "require-concurrent-index-deletion",
        ),
    ] {
        let found = rules(sql);
        assert!(
            found.contains(&(rule.to_string(), Warning)),
            "{rule} not reported as a warning on {sql:?}: {found:?}"
        );
        assert!(
            !found.iter().any(|(_, s)| *s == Severity::Error),
            "{found:?}"
        );
    }
}

#[test]
fn a_finding_names_its_migration_rule_line_and_statement() {
    let sql = format!("-- a comment\n\n{DROP_COLUMN}");
    let findings = lint(&sql);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = &findings[0];
    assert_eq!(finding.migration, "20250101000000_m");
    assert_eq!(finding.rule, "ban-drop-column");
    assert_eq!(finding.line, 4);
    assert_eq!(
        finding.statement,
        "ALTER TABLE \"User\" DROP COLUMN \"name\","
    );
    assert!(
        finding.message.to_lowercase().contains("drop"),
        "{finding:?}"
    );
}

#[test]
fn split_files_may_create_indexes_concurrently() {
    let sql = "CREATE INDEX CONCURRENTLY \"User_name_idx\" ON \"User\"(\"name\");\n";
    let split = lint_sql("m", sql, &Profile::prisma(Statements::Split));
    assert!(split.is_empty(), "{split:?}");
}

#[test]
fn an_ignore_comment_silences_its_rule_on_the_next_line_only() {
    let sql = "-- squawk-ignore ban-drop-column\nALTER TABLE \"User\" DROP COLUMN \"name\";\n\
               ALTER TABLE \"Post\" DROP COLUMN \"legacyHtml\";\n\
               -- squawk-ignore renaming-column\nDROP TABLE \"Legacy\";\n";
    let findings = lint(sql);
    let found: Vec<(&str, usize)> = findings.iter().map(|f| (f.rule.as_str(), f.line)).collect();
    // The first drop is silenced; the second drop and the table drop (the comment names another
    // rule) are not.
    assert_eq!(found, [("ban-drop-column", 3), ("ban-drop-table", 5)]);
}

#[test]
fn an_ignore_above_prismas_comment_covers_the_whole_statement() {
    let sql = "-- squawk-ignore ban-drop-column\n-- AlterTable\nALTER TABLE \"Post\" DROP COLUMN \"legacyHtml\",\nDROP COLUMN \"body\";\n\
               -- squawk-ignore changing-column-type\n-- AlterTable\nALTER TABLE \"User\" DROP COLUMN \"name\";\n\
               -- squawk-ignore ban-drop-column\n\n-- AlterTable\nALTER TABLE \"User\" DROP COLUMN \"bio\";\n";
    let found: Vec<(String, usize)> = lint(sql).into_iter().map(|f| (f.rule, f.line)).collect();
    // Both drops of the first statement are silenced; the second statement's comment names
    // another rule; a blank line ends the block of comments above the third.
    assert_eq!(
        found,
        [
            ("ban-drop-column".to_string(), 7),
            ("ban-drop-column".to_string(), 11)
        ]
    );
}

#[test]
fn a_file_ignore_silences_its_rule_everywhere() {
    let sql =
        format!("-- squawk-ignore-file ban-drop-column\n{DROP_COLUMN}DROP TABLE \"Legacy\";\n");
    let found = rules(&sql);
    assert_eq!(found, [("ban-drop-table".to_string(), Severity::Error)]);
}

#[test]
fn an_unknown_rule_in_an_ignore_is_reported() {
    let sql = format!("-- squawk-ignore ban-drop-colum\n{DROP_COLUMN}");
    let found = rules(&sql);
    assert!(
        found.contains(&("unused-ignore".to_string(), Severity::Warning)),
        "{found:?}"
    );
    assert!(
        found.contains(&("ban-drop-column".to_string(), Severity::Error)),
        "{found:?}"
    );
}

/// Every migration.sql of the fixture apps: Prisma's own output.
fn fixture_migrations() -> Vec<(String, String)> {
    let root = camino::Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in [
        root.join("example-app/prisma/migrations"),
        root.join("../../tests/fixtures/seeded-app/prisma/migrations"),
    ] {
        for m in crate::migrations::read_folder(&dir).unwrap() {
            all.push((m.name, String::from_utf8(m.script).unwrap()));
        }
    }
    assert!(all.len() >= 10, "{}", all.len());
    all
}

#[test]
fn prisma_style_rules_are_off_on_prismas_own_sql() {
    const STYLE: [&str; 7] = [
        "prefer-timestamp-tz",
        "prefer-bigint-over-int",
        "prefer-bigint-over-smallint",
        "prefer-identity",
        "prefer-text-field",
        "prefer-robust-stmts",
        "ban-char-field",
    ];
    let migrations = fixture_migrations();
    // squawk's defaults do report them on this SQL: the profile is what turns them off.
    let defaults: Vec<String> = migrations
        .iter()
        .flat_map(|(_, sql)| {
            let parse = squawk_syntax::SourceFile::parse(sql);
            squawk_linter::Linter::with_default_rules().lint(&parse, sql)
        })
        .map(|v| v.code.to_string())
        .collect();
    for rule in [
        "prefer-timestamp-tz",
        "prefer-identity",
        "prefer-robust-stmts",
    ] {
        assert!(defaults.iter().any(|r| r == rule), "{rule}: {defaults:?}");
    }
    let report = scripts(&migrations, &Profile::prisma(Statements::Whole));
    for finding in &report.findings {
        assert!(!STYLE.contains(&finding.rule.as_str()), "{finding:?}");
    }
    // A migration that only creates tables, with their indexes and keys, is clean.
    let init: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.migration.ends_with("_init"))
        .collect();
    assert!(init.is_empty(), "{init:?}");
}

#[test]
fn prismas_destructive_fixture_migrations_are_reported() {
    let report = scripts(&fixture_migrations(), &Profile::prisma(Statements::Whole));
    let found = |migration: &str, rule: &str| {
        report
            .findings
            .iter()
            .any(|f| f.migration.ends_with(migration) && f.rule == rule)
    };
    assert!(
        found("_drop_legacy_html_add_status", "ban-drop-column"),
        "{:#?}",
        report.findings
    );
    assert!(report.has_errors());
}

#[test]
fn sql_squawk_cannot_parse_is_one_warning_and_the_rest_is_still_linted() {
    let sql =
        format!("{DROP_COLUMN}\n-- AlterTable\nALTER TABLE \"User\" ADDD COLUMN \"x\" TEXT;\n");
    let findings = lint(&sql);
    let syntax: Vec<&Finding> = findings.iter().filter(|f| f.rule == SYNTAX_ERROR).collect();
    assert_eq!(syntax.len(), 1, "{findings:#?}");
    assert_eq!(syntax[0].severity, Severity::Warning);
    assert_eq!(syntax[0].line, 6);
    assert!(
        syntax[0].message.contains("not linted"),
        "{}",
        syntax[0].message
    );
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "ban-drop-column" && f.line == 2)
    );

    // Silenced like any rule: above the statement, or for the file.
    let above = sql.replace(
        "-- AlterTable\nALTER TABLE \"User\" ADDD",
        "-- AlterTable\n-- squawk-ignore syntax-error\nALTER TABLE \"User\" ADDD",
    );
    let file = format!("-- squawk-ignore-file syntax-error\n{sql}");
    for silenced in [above, file] {
        assert!(
            lint(&silenced).iter().all(|f| f.rule != SYNTAX_ERROR),
            "{silenced}"
        );
    }
    // A file squawk parses has none.
    assert!(lint(DROP_COLUMN).iter().all(|f| f.rule != SYNTAX_ERROR));
}
