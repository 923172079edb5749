//! Lint findings for pending migrations, end to end: `status` (text and `--json`), an ignore
//! comment in migration.sql, `lint = "off"`, `pre-migrate`, and the pre-push hook with real git
//! (warns with the default, blocks with `lint = "deny"`).

use crate::support::{TempProject, TestDb};

mod hook;

/// A migration after the fixture's seven, as Prisma writes a removed field.
const DROP_BODY: &str = "20250101000000_drop_body";
const DROP_BODY_SQL: &str = "-- AlterTable\nALTER TABLE \"Post\" DROP COLUMN \"body\";\n";

/// What the text report shows for [`DROP_BODY`].
const DROP_BODY_LINE: &str = "20250101000000_drop_body: line 2: ban-drop-column (error): Dropping a column may break existing clients";

/// The example app with all seven migrations applied and [`DROP_BODY`] (with `sql`) pending.
async fn drop_pending(sql: &str) -> (TempProject, TestDb) {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    project.add_migration(DROP_BODY, sql);
    (project, db)
}

#[tokio::test]
async fn status_shows_the_findings_of_a_pending_drop_column() {
    let (project, db) = drop_pending(DROP_BODY_SQL).await;

    let run = project.xtask(&db, &["status"]);
    run.assert_code(0);
    let out = run.stdout();
    assert!(out.contains("Lint (1 error in 1 migration)\n"), "{out}");
    assert!(
        out.contains(&format!(
            "  {DROP_BODY_LINE}\n      ALTER TABLE \"Post\" DROP COLUMN \"body\";\n"
        )),
        "{out}"
    );
    assert!(out.contains("-- squawk-ignore <rule>"), "{out}");

    let json = project.xtask(&db, &["status", "--json"]).json();
    let lint = &json["lint"];
    assert_eq!(lint["mode"], "warn", "{lint}");
    assert_eq!(lint["migrations"], serde_json::json!([DROP_BODY]), "{lint}");
    let findings = lint["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{lint}");
    let finding = &findings[0];
    assert_eq!(finding["migration"], DROP_BODY);
    assert_eq!(finding["rule"], "ban-drop-column");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["line"], 2);
    assert_eq!(
        finding["statement"],
        "ALTER TABLE \"Post\" DROP COLUMN \"body\";"
    );
}

#[tokio::test]
async fn nothing_pending_lints_nothing() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;

    let run = project.xtask(&db, &["status"]);
    run.assert_code(0);
    assert!(!run.stdout().contains("Lint"), "{}", run.stdout());
    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(json["lint"]["migrations"], serde_json::json!([]));
    assert_eq!(json["lint"]["findings"], serde_json::json!([]));
}

#[tokio::test]
async fn an_ignore_comment_in_the_migration_silences_the_finding() {
    let sql = format!("-- squawk-ignore ban-drop-column\n{DROP_BODY_SQL}");
    let (project, db) = drop_pending(&sql).await;

    let json = project.xtask(&db, &["status", "--json"]).json();
    // Linted, and nothing found.
    assert_eq!(json["lint"]["migrations"], serde_json::json!([DROP_BODY]));
    assert_eq!(
        json["lint"]["findings"],
        serde_json::json!([]),
        "{}",
        json["lint"]
    );
    let run = project.xtask(&db, &["status"]);
    assert!(
        !run.stdout().contains("ban-drop-column"),
        "{}",
        run.stdout()
    );
}

#[tokio::test]
async fn lint_off_lints_nothing() {
    let (project, db) = drop_pending(DROP_BODY_SQL).await;
    project.configure("lint = \"off\"");

    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(json["lint"]["mode"], "off");
    assert_eq!(json["lint"]["findings"], serde_json::json!([]));
}

#[tokio::test]
async fn pre_migrate_shows_the_findings_before_applying() {
    let (project, db) = drop_pending(DROP_BODY_SQL).await;

    // Without --apply, --json carries them too (and nothing is applied).
    let json = project
        .xtask(&db, &["pre-migrate", "--json", "--no-predict"])
        .assert_code(0)
        .json();
    assert_eq!(
        json["lint"]["migrations"],
        serde_json::json!([DROP_BODY]),
        "{json:#}"
    );
    assert_eq!(
        json["lint"]["findings"][0]["rule"], "ban-drop-column",
        "{json:#}"
    );

    let run = project.xtask(
        &db,
        &["pre-migrate", "--apply", "--migrate-command", "builtin"],
    );
    run.assert_code(0);
    let stderr = run.stderr();
    let finding = stderr
        .find(DROP_BODY_LINE)
        .unwrap_or_else(|| panic!("{stderr}"));
    let applying = stderr
        .find("applying migrations with")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(finding < applying, "{stderr}");
    // A warning does not stop the migration: the column is gone.
    let left: i64 = db
        .scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'Post' AND column_name = 'body'")
        .await;
    assert_eq!(left, 0);
}

#[tokio::test]
async fn the_example_apps_pending_migrations_show_as_the_readme_says() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 4).await;

    let run = project.xtask(&db, &["status"]);
    run.assert_code(0);
    let out = run.stdout();
    let lint: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Lint ("))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lint,
        [
            "Lint (2 errors, 1 warning in 3 migrations)",
            "  20240510120000_rename_user_name: line 4: renaming-column (error): Renaming a column may break existing clients",
            "      ALTER TABLE \"User\" RENAME COLUMN \"name\" TO \"displayName\";",
            "  20240603090000_drop_legacy_html_add_status: line 11: ban-drop-column (error): Dropping a column may break existing clients",
            "      ALTER TABLE \"Post\" DROP COLUMN \"legacyHtml\",",
            "  20240617113000_backfill_post_status_and_slug: line 17: require-concurrent-index-creation (warning): During normal index creation, table updates are blocked, but reads are still allowed",
            "      CREATE UNIQUE INDEX \"Post_slug_key\" ON \"Post\"(\"slug\");",
            "  silence one with `-- squawk-ignore <rule>` on the line before it in migration.sql",
        ],
        "{out}"
    );
}
