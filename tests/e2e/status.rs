//! `cargo xtask status`: every migration state produced for real, the table, `--json` and
//! `--check`.

use crate::support::{TempProject, TestDb};

/// Exit codes of `status --check`.
const PENDING: i32 = 10;
const PROBLEMS: i32 = 11;

fn states(json: &serde_json::Value) -> Vec<(String, String)> {
    json["migrations"]
        .as_array()
        .expect("migrations is an array")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn state_of(json: &serde_json::Value, name: &str) -> String {
    states(json)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} not in {json}"))
        .1
}

#[tokio::test]
async fn applied_and_pending() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 4).await;

    let run = project.xtask(&db, &["status"]);
    run.assert_code(0);
    let out = run.stdout();
    let shown = format!("database    {}", db.database_url().redacted());
    assert!(out.contains(&shown), "{out}");
    assert!(
        out.contains("(schema public, from DATABASE_URL in the environment)"),
        "{out}"
    );
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("2024")).collect();
    assert_eq!(lines.len(), 7, "{out}");
    assert!(lines[3].contains("20240422163000_analytics") && lines[3].contains("applied"));
    assert!(
        lines[3].contains(" UTC"),
        "applied at is shown: {}",
        lines[3]
    );
    assert!(lines[4].contains("20240510120000_rename_user_name") && lines[4].contains("pending"));
    assert!(
        out.lines().any(|l| l
            == "4 applied, 3 pending: run `cargo xtask pre-migrate` to snapshot the data before applying them"),
        "{out}"
    );

    project
        .xtask(&db, &["status", "--check"])
        .assert_code(PENDING);
    db.deploy(&project.migrations(), 7).await;
    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(0);
    assert!(
        run.stdout()
            .contains("7 applied: the database is up to date"),
        "{}",
        run.stdout()
    );
}

#[tokio::test]
async fn json_shape() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 2).await;
    let json = project
        .xtask(&db, &["status", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(json["migrations"].as_array().unwrap().len(), 7);
    let first = &json["migrations"][0];
    assert_eq!(first["name"], "20240105093000_init");
    assert_eq!(first["state"], "applied");
    assert!(first["applied_at"].is_string());
    assert_eq!(first["local_checksum"], first["recorded_checksum"]);
    assert_eq!(first["local_checksum"].as_str().unwrap().len(), 64);
    let third = &json["migrations"][2];
    assert_eq!(third["state"], "pending");
    assert!(third["applied_at"].is_null());
    assert_eq!(json["summary"]["applied"], 2);
    assert_eq!(json["summary"]["pending"], 5);
    assert_eq!(json["migrations_table"], true);
    assert_eq!(json["database"]["schema"], "public");
    assert!(json["divergence"].is_null());
}

#[tokio::test]
async fn never_migrated_database() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(PENDING);
    assert!(
        run.stdout().contains(
            "7 pending: the database has never been migrated with Prisma (no _prisma_migrations table in schema \"public\")"
        ),
        "{}",
        run.stdout()
    );
    let exists: Option<String> = db
        .scalar("SELECT to_regclass('public._prisma_migrations')::text")
        .await;
    assert_eq!(exists, None, "status must never create the table");
}

#[tokio::test]
async fn failed_migration() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.add_migration(
        "20250101000000_broken",
        "ALTER TABLE \"Nope\" ADD COLUMN \"x\" INT;",
    );
    db.deploy(&project.migrations(), 7).await;
    let error = db
        .deploy_into("public", &project.migrations(), 8)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("20250101000000_broken"),
        "{error}"
    );
    assert!(
        error.to_string().contains("\"Nope\" does not exist"),
        "{error}"
    );

    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(PROBLEMS);
    assert!(run.stdout().contains("1 failed"), "{}", run.stdout());
    assert!(
        run.stderr()
            .contains("warning: migration 20250101000000_broken failed"),
        "{}",
        run.stderr()
    );
    let logs: String = db
        .scalar("SELECT logs FROM _prisma_migrations WHERE finished_at IS NULL")
        .await;
    assert!(logs.contains("does not exist"), "{logs}");
}

#[tokio::test]
async fn rolled_back_then_reapplied() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let name = "20250101000000_add_column";
    project.add_migration(name, "ALTER TABLE \"Nope\" ADD COLUMN \"x\" INT;");
    db.deploy(&project.migrations(), 7).await;
    db.deploy_into("public", &project.migrations(), 8)
        .await
        .unwrap_err();
    // What `prisma migrate resolve --rolled-back` does.
    db.execute(&format!(
        "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '{name}'"
    ))
    .await;
    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(state_of(&json, name), "rolled_back");
    project
        .xtask(&db, &["status", "--check"])
        .assert_code(PENDING);

    project.add_migration(name, "ALTER TABLE \"User\" ADD COLUMN \"x\" INT;");
    let report = db.deploy(&project.migrations(), 8).await;
    assert_eq!(report.applied, [name]);
    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(state_of(&json, name), "applied");
    assert_eq!(json["migrations"][7]["attempts"], 2);
    project.xtask(&db, &["status", "--check"]).assert_code(0);
}

#[tokio::test]
async fn edited_migration() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let script = project.script(1);
    let mut sql = std::fs::read_to_string(&script).unwrap();
    sql.push_str("\n-- an afterthought\nCREATE INDEX \"Image_url_idx\" ON \"Image\"(\"url\");\n");
    std::fs::write(&script, sql).unwrap();

    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(PROBLEMS);
    let name = project.migration_name(1);
    assert_eq!(
        state_of(&project.xtask(&db, &["status", "--json"]).json(), &name),
        "edited"
    );
    assert!(
        run.stderr()
            .contains(&format!("migration {name} was edited after it was applied"))
    );
}

#[tokio::test]
async fn line_endings_do_not_count_as_edits() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    // Migration 0 recorded from LF, then checked out with CRLF.
    db.deploy(&project.migrations(), 1).await;
    let lf = std::fs::read_to_string(project.script(0)).unwrap();
    assert!(!lf.contains('\r'));
    std::fs::write(project.script(0), lf.replace('\n', "\r\n")).unwrap();
    // Migration 1 recorded from CRLF, then checked out with LF.
    let lf1 = std::fs::read_to_string(project.script(1)).unwrap();
    std::fs::write(project.script(1), lf1.replace('\n', "\r\n")).unwrap();
    db.deploy(&project.migrations(), 2).await;
    std::fs::write(project.script(1), lf1).unwrap();

    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(state_of(&json, &project.migration_name(0)), "applied");
    assert_eq!(state_of(&json, &project.migration_name(1)), "applied");
    assert_ne!(
        json["migrations"][0]["local_checksum"], json["migrations"][0]["recorded_checksum"],
        "the files really differ from what was recorded"
    );
}

#[tokio::test]
async fn legacy_short_checksum() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    // Old Prisma wrote each byte without zero padding: find a migration where that is shorter.
    let (index, legacy) = project
        .migrations()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let bytes = hex::decode(&m.checksum).unwrap();
            (
                i,
                bytes.iter().map(|b| format!("{b:x}")).collect::<String>(),
            )
        })
        .find(|(_, legacy)| legacy.len() < 64)
        .expect("some fixture checksum has a byte below 0x10");
    let name = project.migration_name(index);
    db.execute(&format!(
        "UPDATE _prisma_migrations SET checksum = '{legacy}' WHERE migration_name = '{name}'"
    ))
    .await;
    let json = project
        .xtask(&db, &["status", "--check", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(state_of(&json, &name), "applied");

    db.execute(&format!(
        "UPDATE _prisma_migrations SET checksum = '{}' WHERE migration_name = '{name}'",
        &legacy[1..]
    ))
    .await;
    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(
        state_of(&json, &name),
        "edited",
        "a wrong legacy checksum does not match"
    );
}

#[tokio::test]
async fn missing_locally_and_diverged_histories() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    let deleted = project.migration_name(6);
    std::fs::remove_dir_all(project.migrations_dir().join(&deleted)).unwrap();
    let run = project.xtask(&db, &["status", "--check"]);
    run.assert_code(PROBLEMS);
    assert!(
        run.stdout().contains("6 applied, 1 missing locally"),
        "{}",
        run.stdout()
    );
    assert!(run.stderr().contains(&format!(
        "migration {deleted} is applied to the database but its folder is missing"
    )));

    // Another branch's migration arrives locally: pending and missing at once.
    project.add_migration("20240701000000_other_branch", "SELECT 1;");
    let run = project.xtask(&db, &["status", "--check", "--json"]);
    run.assert_code(PROBLEMS);
    let json = run.json();
    assert_eq!(json["divergence"]["last_common"], project.migration_name(5));
    let run = project.xtask(&db, &["status"]);
    assert!(
        run.stdout().contains(&format!(
            "histories diverge after {}",
            project.migration_name(5)
        )),
        "{}",
        run.stdout()
    );
}

#[tokio::test]
async fn schema_parameter_selects_the_working_schema() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy_into("other", &project.migrations(), 3)
        .await
        .unwrap();
    let tables: i64 = db
        .scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'other' AND tablename = 'User'")
        .await;
    assert_eq!(tables, 1, "the migrations ran in schema other");

    let url = format!("{}?schema=other&connection_limit=3", db.url());
    let json = project
        .xtask_with_env(&["status", "--json"], &[("DATABASE_URL", &url)])
        .assert_code(0)
        .json();
    assert_eq!(json["database"]["schema"], "other");
    assert_eq!(json["summary"]["applied"], 3);
    assert_eq!(json["summary"]["pending"], 4);

    let public = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(
        public["migrations_table"], false,
        "public has no _prisma_migrations"
    );
}

#[tokio::test]
async fn url_from_direct_url_in_env_file() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 1).await;
    // schema.prisma says directUrl = env("DIRECT_URL"): it wins over DATABASE_URL.
    std::fs::write(
        project.root.join(".env"),
        format!("DIRECT_URL={}\n", db.url()),
    )
    .unwrap();
    let run = project.xtask_with_env(
        &["status"],
        &[("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/wrong")],
    );
    run.assert_code(0);
    assert!(
        run.stdout().contains("from DIRECT_URL in .env"),
        "{}",
        run.stdout()
    );
}

/// A table of a group and its filter.
type GroupTable = (String, Option<String>);

/// The groups of a `status --json` document: (name, source, tables).
fn groups(json: &serde_json::Value) -> Vec<(String, String, Vec<GroupTable>)> {
    json["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("groups is an array: {json}"))
        .iter()
        .map(|g| {
            let tables = g["tables"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t["table"].as_str().unwrap().to_string(),
                        t["filter"].as_str().map(str::to_string),
                    )
                })
                .collect();
            (
                g["name"].as_str().unwrap().to_string(),
                g["source"].as_str().unwrap().to_string(),
                tables,
            )
        })
        .collect()
}

fn table_names(tables: &[GroupTable]) -> Vec<&str> {
    tables.iter().map(|(t, _)| t.as_str()).collect()
}

#[tokio::test]
async fn groups_inferred_from_the_catalog() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let json = project
        .xtask(&db, &["status", "--json"])
        .assert_code(0)
        .json();
    let groups = groups(&json);
    let names: Vec<&str> = groups.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(names, ["admin", "analytics", "images"], "{json}");
    let (_, source, admin) = &groups[0];
    assert_eq!(source, "inferred");
    assert_eq!(table_names(admin), ["SystemPrompt", "User"]);
    let user_filter = admin[1].1.as_deref().expect("User has an admin filter");
    assert!(user_filter.contains("ADMIN"), "{user_filter}");
    assert_eq!(admin[0].1, None);
    assert_eq!(groups[1].1, "inferred");
    assert_eq!(table_names(&groups[1].2), ["PageView"]);
    assert_eq!(groups[2].1, "inferred");
    assert_eq!(table_names(&groups[2].2), ["Carousel", "Image"]);
    assert_eq!(json["groups"][0]["folders"], serde_json::json!([]));

    // The filter is valid SQL over the live table and selects the seeded admins.
    let admins: i64 = db
        .scalar(&format!(
            "SELECT count(*) FROM \"User\" WHERE {user_filter}"
        ))
        .await;
    let expected: i64 = db
        .scalar("SELECT count(*) FROM \"User\" WHERE role = 'ADMIN'")
        .await;
    assert!(expected > 0, "the seed has admins");
    assert_eq!(admins, expected);

    // The enum the filter came from, as the catalog reports it.
    let enums = prisma_guard::catalog::enums(&mut db.connect().await, "public")
        .await
        .unwrap();
    assert_eq!(
        enums.get("\"Role\"").map(Vec::as_slice),
        Some(["USER", "EDITOR", "ADMIN"].map(String::from).as_slice()),
        "{enums:?}"
    );

    let out = project.xtask(&db, &["status"]).assert_code(0).stdout();
    assert!(out.contains("Restore groups"), "{out}");
    assert!(out.contains("  admin (inferred from table names)"), "{out}");
    assert!(out.contains("    User WHERE \"role\" = 'ADMIN'"), "{out}");
    assert!(
        out.contains("  images (inferred from table names)"),
        "{out}"
    );
    assert!(
        out.contains("  analytics (inferred from table names)"),
        "{out}"
    );
    assert!(
        out.contains("[workspace.metadata.prisma-guard.groups]"),
        "tells where to correct them: {out}"
    );
    assert!(
        out.contains(r#"  admin = ["SystemPrompt", "User WHERE \"role\" = 'ADMIN'"]"#),
        "{out}"
    );
}

#[tokio::test]
async fn groups_from_config() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    std::fs::write(
        project.root.join("Cargo.toml"),
        "[workspace]\nmembers = []\n\n[workspace.metadata.prisma-guard.groups]\nadmin = [\"SystemPrompt\"]\n",
    )
    .unwrap();
    let json = project
        .xtask(&db, &["status", "--json"])
        .assert_code(0)
        .json();
    let groups = groups(&json);
    let admin = groups.iter().find(|g| g.0 == "admin").expect("admin");
    assert_eq!(admin.1, "config");
    assert_eq!(admin.2, [("SystemPrompt".to_string(), None)]);
    let images = groups.iter().find(|g| g.0 == "images").expect("images");
    assert_eq!(images.1, "inferred");
    assert_eq!(table_names(&images.2), ["Carousel", "Image"]);

    let out = project.xtask(&db, &["status"]).assert_code(0).stdout();
    assert!(out.contains("  admin (config)"), "{out}");
    assert!(
        out.contains("  images (inferred from table names)"),
        "{out}"
    );
    assert!(
        out.contains("  analytics (inferred from table names)"),
        "{out}"
    );
}

#[tokio::test]
async fn groups_with_no_tables() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let json = project
        .xtask(&db, &["status", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(json["groups"], serde_json::json!([]));
    let out = project.xtask(&db, &["status"]).assert_code(0).stdout();
    assert!(out.contains("Restore groups: none"), "{out}");
}
