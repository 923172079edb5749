//! The restore groups status shows: inferred from the catalog, from the config, or none.

use crate::support::{TempProject, TestDb};

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

/// `status` reads names and columns alone (`catalog::table_columns`): the same tables and
/// columns as the full read, a table without columns and a partitioned table included, and
/// the partitions left out.
#[tokio::test]
async fn the_columns_only_read_matches_the_full_read() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    db.execute(
        "CREATE TABLE \"Empty\" ();
         CREATE TABLE \"Event\" (\"id\" int NOT NULL, \"at\" date GENERATED ALWAYS AS (DATE '2020-01-01') STORED)
             PARTITION BY RANGE (\"id\");
         CREATE TABLE \"Event_1\" PARTITION OF \"Event\" FOR VALUES FROM (0) TO (10);
         ALTER TABLE \"User\" DROP COLUMN \"name\";",
    )
    .await;
    let mut conn = db.connect().await;
    let full = prisma_guard::catalog::tables(&mut conn, "public")
        .await
        .unwrap();
    let light = prisma_guard::catalog::table_columns(&mut conn, "public")
        .await
        .unwrap();
    let shape = |tables: &[prisma_guard::catalog::Table]| -> Vec<(String, Vec<prisma_guard::catalog::Column>)> {
        tables
            .iter()
            .map(|t| (t.name.clone(), t.columns.clone()))
            .collect()
    };
    assert_eq!(shape(&light), shape(&full));
    let names: Vec<&str> = light.iter().map(|t| t.name.as_str()).collect();
    assert!(
        names.contains(&"Empty") && names.contains(&"Event"),
        "{names:?}"
    );
    assert!(!names.contains(&"Event_1"), "{names:?}");
    assert!(
        light
            .iter()
            .all(|t| t.primary_key.is_empty() && t.foreign_keys.is_empty())
    );
}
