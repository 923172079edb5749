//! `cargo xtask restore`, end to end through the real binary, in the situation it exists for:
//! the fixture app is seeded at migration 4 and snapshotted, then migrated to 7 and reset (the
//! schema dropped and re-migrated, as `prisma migrate reset` does). An untouched copy of the seed
//! data is kept in the schema `orig` of the same database to compare against.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use camino::Utf8PathBuf;
use serde_json::Value;

use crate::support::db::Difference;
use crate::support::project::{Run, SEEDED};
use crate::support::{TempProject, TestDb};

/// Rows in the seeded tables (`_prisma_migrations` not counted).
const SEED_ROWS: i64 = 60;

/// The seed's tag names: a failing cast of `Tag.name` shows one of them.
const TAG_NAMES: [&str; 6] = [
    "rust",
    "postgres",
    "c++",
    "naïve",
    "tag with spaces, and comma",
    "unused",
];

/// Upload files archived with the snapshot when uploads are configured: path, content.
const UPLOADS: [(&str, &[u8]); 3] = [
    ("public/uploads/a.png", b"\x89PNG first"),
    ("public/uploads/2024/cat.png", b"\x89PNG cat \x00\xff"),
    ("public/uploads/dog.jpg", b"\xff\xd8 jpeg dog"),
];

/// A project and database after "seed, snapshot, migrate, reset".
struct Scenario {
    project: TempProject,
    db: TestDb,
    /// The snapshot of the seeded database (migrations 1-4 applied).
    id: String,
}

impl Scenario {
    async fn new() -> Scenario {
        Scenario::build(false).await
    }

    /// With `uploads`, the files of [`UPLOADS`] exist and `images = ["public/uploads"]` is
    /// configured when the snapshot is taken.
    async fn build(uploads: bool) -> Scenario {
        let (project, db) = (TempProject::new(), TestDb::new().await);
        project.seeded(&db).await;
        if uploads {
            project.configure_images(&["public/uploads"]);
            for (path, bytes) in UPLOADS {
                let path = project.root.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, bytes).unwrap();
            }
        }
        project.xtask(&db, &["snapshot"]).assert_code(0);
        let stored = project.snapshots();
        assert_eq!(stored.len(), 1);
        let id = stored[0].manifest.id.clone();
        assert_eq!(stored[0].manifest.files.len(), usize::from(uploads));
        db.copy_public_to("orig").await;
        assert_eq!(db.tables("orig").await, SEEDED);
        // Migrations 5-7, then the reset.
        db.deploy(&project.migrations(), 7).await;
        project.wipe_and_migrate(&db).await;
        let scenario = Scenario { project, db, id };
        scenario.assert_empty().await;
        scenario
    }

    /// `cargo xtask restore <args>` against the test database.
    fn restore(&self, args: &[&str]) -> Run {
        let mut all = vec!["restore"];
        all.extend_from_slice(args);
        self.project.xtask(&self.db, &all)
    }

    /// `cargo xtask restore <the seed snapshot> <args>`: named, because every restore that
    /// writes adds a newer (pre-restore) snapshot to the store.
    fn restore_seed(&self, args: &[&str]) -> Run {
        let mut all = vec![self.id.as_str()];
        all.extend_from_slice(args);
        self.restore(&all)
    }

    /// Rows per table of `public`, `_prisma_migrations` included.
    async fn counts(&self) -> BTreeMap<String, i64> {
        self.db.row_counts("public").await
    }

    /// Every seeded table is empty; `_prisma_migrations` holds the 7 migrations.
    async fn assert_empty(&self) {
        let counts = self.counts().await;
        for table in SEEDED {
            assert_eq!(counts[table], 0, "{table} is empty: {counts:?}");
        }
        assert_eq!(counts["_prisma_migrations"], 7);
    }

    /// `public."T"` equals `orig."T"` over their common columns.
    async fn assert_same(&self, table: &str) {
        let difference = self.db.difference("orig", table).await;
        assert_eq!(
            (difference.missing, difference.extra),
            (0, 0),
            "{table}: rows of the original missing, rows not in the original"
        );
    }

    /// Every seeded table equals the original.
    async fn assert_all_back(&self) {
        for table in SEEDED {
            self.assert_same(table).await;
        }
    }

    fn file(&self, path: &str) -> Utf8PathBuf {
        self.project.root.join(path)
    }
}

/// The entry of `table` in the report's `tables`.
#[track_caller]
fn entry<'a>(report: &'a Value, table: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no tables list: {report:#}"))
        .iter()
        .find(|t| t["name"] == table)
        .unwrap_or_else(|| panic!("no entry for {table}: {report:#}"))
}

/// The names in the report's `tables`, in order.
fn table_names(report: &Value) -> Vec<String> {
    report["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no tables list: {report:#}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// A JSON list of strings.
#[track_caller]
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string: {v}"))
                .to_string()
        })
        .collect()
}

/// A JSON integer.
#[track_caller]
fn int(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("not an integer: {value}"))
}

/// `inserted` per table name.
fn inserted(report: &Value) -> BTreeMap<String, i64> {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), int(&t["inserted"])))
        .collect()
}

/// Whether `text` has `word` as a whole identifier: no letter, digit or `_` on either side (so
/// `Tag` is not found in `_PostToTag`, nor `name` in `displayName`).
fn mentions(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(ident)
            && !text[at + word.len()..].chars().next().is_some_and(ident)
    })
}

#[test]
fn mentions_respects_identifier_boundaries() {
    assert!(mentions("error: \"Tag\".\"name\": bad", "Tag"));
    assert!(mentions("table Tag, column color", "color"));
    assert!(!mentions("_PostToTag references it", "Tag"));
    assert!(!mentions("displayName", "name"));
}

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
async fn full_restore_brings_every_row_back() {
    let s = Scenario::new().await;
    let run = s.restore(&["--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    s.assert_all_back().await;
    let counts = s.counts().await;
    assert_eq!(
        counts["_prisma_migrations"], 7,
        "_prisma_migrations is not restored unless named"
    );
    assert_eq!(int(&report["totals"]["inserted"]), SEED_ROWS);
    assert_eq!(int(&report["totals"]["orphans"]), 0);

    let names = table_names(&report);
    assert!(
        !names.iter().any(|n| n == "_prisma_migrations"),
        "{names:?}"
    );
    let at = |table: &str| {
        names
            .iter()
            .position(|n| n == table)
            .unwrap_or_else(|| panic!("{table} not restored: {names:?}"))
    };
    for (parent, child) in [
        ("User", "Post"),
        ("Post", "Comment"),
        ("User", "Comment"),
        ("Post", "_PostToTag"),
        ("Tag", "_PostToTag"),
        ("User", "PageView"),
    ] {
        assert!(at(parent) < at(child), "{parent} before {child}: {names:?}");
    }
    for table in SEEDED {
        assert_eq!(int(&entry(&report, table)["inserted"]), counts[table]);
    }
    let deferred = |table: &str| strings(&entry(&report, table)["deferred"]);
    assert!(
        deferred("Product").contains(&"mainImageId".to_string())
            || deferred("Image").contains(&"productId".to_string()),
        "one edge of the Product/Image cycle is deferred: {:?} {:?}",
        deferred("Product"),
        deferred("Image")
    );
    assert!(deferred("User").contains(&"invitedById".to_string()));
    assert!(deferred("Comment").contains(&"parentId".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequences_move_past_the_restored_ids() {
    let s = Scenario::new().await;
    s.restore_seed(&["--yes"]).assert_code(0);
    let max_tag: i32 = s.db.scalar("SELECT max(id) FROM orig.\"Tag\"").await;
    let tag: i32 =
        s.db.scalar("INSERT INTO \"Tag\" (\"name\") VALUES ('brand-new') RETURNING id")
            .await;
    assert!(tag > max_tag, "new Tag id {tag}, restored up to {max_tag}");
    let max_user: i32 = s.db.scalar("SELECT max(id) FROM orig.\"User\"").await;
    let user: i32 =
        s.db.scalar(
            "INSERT INTO \"User\" (\"email\", \"passwordHash\", \"updatedAt\")
             VALUES ('new@example.com', 'x', now()) RETURNING id",
        )
        .await;
    assert!(
        user > max_user,
        "new User id {user}, restored up to {max_user}"
    );
    let max_view: i64 = s.db.scalar("SELECT max(id) FROM orig.\"PageView\"").await;
    let view: i64 =
        s.db.scalar(
            "INSERT INTO \"PageView\" (\"sessionId\", \"path\")
             VALUES ('6b1f7a4e-0000-4000-8000-000000000001', '/new') RETURNING id",
        )
        .await;
    assert!(
        view > max_view,
        "new PageView id {view}, restored up to {max_view}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_whose_parents_are_missing_are_orphans() {
    let s = Scenario::new().await;
    let posts = s.project.snapshots()[0]
        .manifest
        .table("Post")
        .unwrap()
        .rows;
    assert_eq!(posts, 7);
    let run = s.restore_seed(&["--tables", "Post", "--yes", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(table_names(&report), ["Post"]);
    let post = entry(&report, "Post");
    assert_eq!(int(&post["snapshot_rows"]), 7);
    assert_eq!(int(&post["inserted"]), 0, "{post}");
    assert_eq!(int(&post["orphans"]), posts as i64, "{post}");
    assert_eq!(int(&report["totals"]["orphans"]), posts as i64);
    s.assert_empty().await;
}

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
async fn replace_refuses_a_table_that_others_reference() {
    let s = Scenario::new().await;
    s.restore_seed(&["--yes"]).assert_code(0);
    let before = s.counts().await;

    let run = s.restore_seed(&["--tables", "User", "--mode", "replace", "--yes"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        ["Post", "Comment", "PageView"]
            .iter()
            .any(|t| mentions(&stderr, t)),
        "names a table that references User: {stderr}"
    );
    assert_eq!(s.counts().await, before);
    s.assert_all_back().await;
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

#[test]
fn unknown_mode_is_a_usage_error() {
    let project = TempProject::new();
    let run = project.xtask_with_env(&["restore", "--mode", "sideways", "--yes"], &[]);
    run.assert_code(2);
    assert!(run.stderr().contains("sideways"), "{}", run.stderr());
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
