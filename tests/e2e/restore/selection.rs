//! Restoring part of a snapshot: `--admin-only`, `--skip-images` (tables and upload files),
//! `--skip-analytics`, and a group configured in Cargo.toml instead of the inferred one.

use super::{Scenario, UPLOADS, entry, int, strings, table_names};
use crate::support::project::SEEDED;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_only_brings_back_the_admins_and_prompts() {
    let s = Scenario::new().await;
    let run = s.restore(&["--admin-only", "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();

    let mut conn = s.db.connect().await;
    let users: Vec<(i32, String, Option<i32>)> =
        sqlx::query_as("SELECT id, email, \"invitedById\" FROM \"User\" ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        users,
        [
            (1, "alice@example.com".to_string(), None),
            (2, "bob.obrien@example.com".to_string(), Some(1))
        ],
        "the deferred self-reference is set once both rows are in"
    );
    s.assert_same("SystemPrompt").await;
    let counts = s.counts().await;
    assert_eq!(counts["SystemPrompt"], 4);
    for table in SEEDED {
        if table != "User" && table != "SystemPrompt" {
            assert_eq!(counts[table], 0, "{table} is not in group admin");
        }
    }

    // The report: no id given, so the newest snapshot; what changed in the schema since.
    assert_eq!(report["snapshot"]["id"], s.id.as_str(), "{report:#}");
    assert_eq!(report["snapshot"]["reason"], "manual");
    assert_eq!(report["mode"], "merge");
    assert_eq!(report["dry_run"], false);
    assert_eq!(
        strings(&report["applied_since"]),
        (4..7)
            .map(|i| s.project.migration_name(i))
            .collect::<Vec<_>>()
    );
    let mut names = table_names(&report);
    names.sort();
    assert_eq!(names, ["SystemPrompt", "User"], "{report:#}");
    let user = entry(&report, "User");
    assert!(strings(&user["groups"]).contains(&"admin".to_string()));
    let filter = user["filter"].as_str().expect("User is filtered");
    assert!(
        filter.contains("role") && filter.contains("ADMIN"),
        "{filter}"
    );
    assert_eq!(int(&user["snapshot_rows"]), 6);
    assert_eq!(int(&user["inserted"]), 2);
    assert_eq!(int(&user["filtered"]), 4);
    // Migrations were applied since the snapshot and the files match: `auto` replays them, so
    // the rename carried `name` into `displayName` and the columns match one to one.
    assert_eq!(report["strategy"]["used"], "replay", "{report:#}");
    assert!(strings(&user["dropped"]).is_empty(), "{report:#}");
    assert!(strings(&user["defaulted"]).is_empty(), "{report:#}");
    let names: Vec<Option<String>> =
        sqlx::query_scalar("SELECT \"displayName\" FROM \"User\" ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        names,
        [
            Some("Alice Admin".to_string()),
            Some("Bob O'Brien".to_string())
        ]
    );
    assert_eq!(int(&entry(&report, "SystemPrompt")["inserted"]), 4);
    assert_eq!(int(&report["totals"]["inserted"]), 6);

    // The safety snapshot was taken first.
    let safety = s
        .project
        .snapshots()
        .into_iter()
        .find(|snapshot| snapshot.manifest.reason == "pre-restore")
        .expect("a pre-restore snapshot in the store");
    assert_eq!(report["safety_snapshot"], safety.manifest.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_images_leaves_image_tables_and_uploads_out() {
    let s = Scenario::build(true).await;
    std::fs::remove_dir_all(s.file("public/uploads")).unwrap();

    let run = s.restore_seed(&["--skip-images", "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    let counts = s.counts().await;
    assert_eq!(counts["Image"], 0);
    assert_eq!(counts["Carousel"], 0);
    assert_eq!(counts["User"], 6);
    assert_eq!(counts["SystemPrompt"], 4);
    assert_eq!(counts["PageView"], 10);
    let names = table_names(&report);
    assert!(
        !names.iter().any(|n| n == "Image" || n == "Carousel"),
        "{names:?}"
    );
    for (path, _) in UPLOADS {
        assert!(!s.file(path).exists(), "{path} was extracted");
    }
    for archive in report["files"].as_array().expect("a files list") {
        assert_eq!(int(&archive["written"]), 0, "{report:#}");
    }

    // Now with images: the tables and the files come back; an existing file is kept as it is.
    std::fs::create_dir_all(s.file("public/uploads")).unwrap();
    std::fs::write(s.file("public/uploads/dog.jpg"), b"edited locally").unwrap();
    let run = s.restore_seed(&["--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    let counts = s.counts().await;
    assert_eq!(counts["Image"], 5);
    assert_eq!(counts["Carousel"], 3);
    s.assert_same("Image").await;
    s.assert_same("Carousel").await;
    for (path, bytes) in &UPLOADS[..2] {
        assert_eq!(
            std::fs::read(s.file(path)).unwrap_or_default(),
            *bytes,
            "{path}"
        );
    }
    assert_eq!(
        std::fs::read(s.file("public/uploads/dog.jpg")).unwrap(),
        b"edited locally",
        "merge never overwrites a file"
    );
    let images = report["files"]
        .as_array()
        .expect("a files list")
        .iter()
        .find(|f| f["group"] == "images")
        .unwrap_or_else(|| panic!("no files entry for images: {report:#}"));
    assert_eq!(int(&images["written"]), 2, "{images}");
    assert_eq!(int(&images["existing"]), 1, "{images}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_analytics_leaves_page_views_out() {
    let s = Scenario::new().await;
    s.restore_seed(&["--skip-analytics", "--yes"])
        .assert_code(0);
    let counts = s.counts().await;
    assert_eq!(counts["PageView"], 0);
    for table in SEEDED {
        if table != "PageView" {
            s.assert_same(table).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_group_replaces_the_inferred_one() {
    let s = Scenario::new().await;
    let manifest = s.project.root.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text += "\n[workspace.metadata.prisma-guard.groups]\nadmin = [\"User WHERE \\\"email\\\" LIKE 'alice%'\", \"Tag\"]\n";
    std::fs::write(&manifest, text).unwrap();

    let report = s
        .restore_seed(&["--admin-only", "--yes", "--json"])
        .assert_code(0)
        .json();
    let mut names = table_names(&report);
    names.sort();
    assert_eq!(names, ["Tag", "User"], "{report:#}");
    let emails: Vec<String> = {
        let mut conn = s.db.connect().await;
        sqlx::query_scalar("SELECT email FROM \"User\" ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(emails, ["alice@example.com"]);
    let counts = s.counts().await;
    assert_eq!(counts["Tag"], 6);
    assert_eq!(counts["SystemPrompt"], 0, "not in the configured group");
    let user = entry(&report, "User");
    assert_eq!(int(&user["inserted"]), 1);
    assert_eq!(int(&user["filtered"]), 5);
}
