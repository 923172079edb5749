//! Rows matched by a natural key (issue 19) on `tests/fixtures/shop-app`: a snapshot of a
//! developer's data, then the state `prisma migrate reset` with the app's seed leaves (the
//! admin, its settings row, a category and products re-created under NEW ids), reproduced with
//! SQL: drop and recreate `public`, apply the migrations, run `seed.sql` (fast, and the seed
//! exact); `reset` runs the real path once, with the seed as its `seed-command` (`reset.rs`).
//! Then `restore`: the children follow their parents to the new ids. This file: the scenario
//! and the checks every mode shares.

mod keys;
mod modes;
mod reset;
mod scale;

use crate::support::project::Run;
use crate::support::{TempProject, TestDb};

/// The fixture app.
const SHOP_APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/shop-app");

/// The fixture's tables, `_prisma_migrations` aside.
const TABLES: [&str; 8] = [
    "Category",
    "Comment",
    "Image",
    "Post",
    "Product",
    "ProductCategory",
    "User",
    "UserSetting",
];

/// The developer's data snapshotted; then the database reset and seeded.
struct Scenario {
    project: TempProject,
    db: TestDb,
    /// The snapshot of the developer's data.
    id: String,
}

impl Scenario {
    async fn new() -> Scenario {
        let (project, db) = (TempProject::from_fixture(SHOP_APP), TestDb::new().await);
        db.deploy(&project.migrations(), 1).await;
        db.execute(&std::fs::read_to_string(project.root.join("data.sql")).unwrap())
            .await;
        project.xtask(&db, &["snapshot"]).assert_code(0);
        let id = project.snapshots()[0].manifest.id.clone();
        db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await;
        db.deploy(&project.migrations(), 1).await;
        db.execute(&std::fs::read_to_string(project.root.join("seed.sql")).unwrap())
            .await;
        let admin: i32 = db
            .scalar("SELECT id FROM \"User\" WHERE email = 'admin@shop.test'")
            .await;
        assert_eq!(admin, 101, "the seed re-creates the admin under a new id");
        Scenario { project, db, id }
    }

    /// `restore <the snapshot> <args> --no-safety-snapshot`.
    fn restore(&self, args: &[&str]) -> Run {
        let mut all = vec!["restore", self.id.as_str()];
        all.extend_from_slice(args);
        all.push("--no-safety-snapshot");
        self.project.xtask(&self.db, &all)
    }

    /// Rewrites the project's `prisma-guard.toml`: the fixture's keys, then `keys`.
    fn configure(&self, keys: &str) {
        let fixture = std::fs::read_to_string(format!("{SHOP_APP}/prisma-guard.toml")).unwrap();
        std::fs::write(
            self.project.root.join("prisma-guard.toml"),
            format!("{fixture}{keys}\n"),
        )
        .unwrap();
    }

    /// One text value of a query.
    async fn text(&self, sql: &str) -> String {
        self.db
            .scalar::<Option<String>>(sql)
            .await
            .unwrap_or_default()
    }

    /// Every table's contents, as sorted text rows: to compare before and after.
    async fn contents(&self) -> Vec<String> {
        let mut all = Vec::new();
        for table in TABLES {
            all.push(
                self.text(&format!(
                    "SELECT '{table}: ' || coalesce(string_agg(t::text, '; ' ORDER BY t::text), '') FROM \"{table}\" t"
                ))
                .await,
            );
        }
        all
    }
}

/// Whether `merge` kept the target's rows (else they hold the snapshot's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    Target,
    Snapshot,
}

/// The checks every mode shares: each child is attached to its parent's new id, no orphan, no
/// duplicate; `kept` says whose values the matched rows hold.
async fn assert_attached(s: &Scenario, kept: Kept, drill: bool) {
    let counts = s.db.row_counts("public").await;
    let products = if drill { 5 } else { 4 };
    for (table, rows) in [
        ("User", 3),
        ("UserSetting", 3),
        ("Post", 3),
        ("Comment", 3),
        ("Category", 3),
        ("Product", products),
        ("ProductCategory", 5),
        ("Image", 4),
    ] {
        assert_eq!(counts[table], rows, "{table}: no duplicates: {counts:?}");
    }
    let q = |sql: &'static str| s.text(sql);
    assert_eq!(
        q("SELECT string_agg(email || '=' || id, ',' ORDER BY email) FROM \"User\"").await,
        "admin@shop.test=101,alice@shop.test=2,bob@shop.test=3",
        "the admin keeps the seed's id"
    );
    assert_eq!(
        q("SELECT string_agg(p.title || '<-' || u.email, ',' ORDER BY p.id) FROM \"Post\" p JOIN \"User\" u ON u.id = p.\"authorId\"").await,
        "Opening day<-admin@shop.test,New tools in stock<-admin@shop.test,My garden<-alice@shop.test",
        "the admin's posts follow it to its new id"
    );
    assert_eq!(
        q("SELECT string_agg(c.body || '<-' || u.email || '@' || p.title, ',' ORDER BY c.id) FROM \"Comment\" c JOIN \"User\" u ON u.id = c.\"authorId\" JOIN \"Post\" p ON p.id = c.\"postId\"").await,
        "Congratulations!<-alice@shop.test@Opening day,Lovely roses<-admin@shop.test@My garden,When is the sale?<-bob@shop.test@New tools in stock",
    );
    let theme = match kept {
        Kept::Target => "light",
        Kept::Snapshot => "dark",
    };
    assert_eq!(
        q("SELECT string_agg(u.email || ':' || st.id || ':' || st.theme, ',' ORDER BY u.email) FROM \"UserSetting\" st JOIN \"User\" u ON u.id = st.\"userId\"").await,
        format!("admin@shop.test:seed-setting-admin:{theme},alice@shop.test:0b7e2f9e-1111-4c1a-9f00-000000000002:light,bob@shop.test:0b7e2f9e-1111-4c1a-9f00-000000000003:dark"),
        "one settings row per user, the admin's matched by userId after its user's new id"
    );
    let hammer = match kept {
        Kept::Target => "999",
        Kept::Snapshot => "1500",
    };
    let mut want = format!("hammer=201:{hammer},pan=3:3100,rake=202:2200,saw=4:1900");
    if drill {
        want = format!("drill=203:8900,{want}");
    }
    assert_eq!(
        q("SELECT string_agg(slug || '=' || id || ':' || price, ',' ORDER BY slug) FROM \"Product\"").await,
        want
    );
    assert_eq!(
        q("SELECT string_agg(p.slug || ':' || c.slug, ',' ORDER BY p.slug, c.slug) FROM \"ProductCategory\" pc JOIN \"Product\" p ON p.id = pc.\"productId\" JOIN \"Category\" c ON c.id = pc.\"categoryId\"").await,
        "hammer:tools,pan:kitchen,rake:garden,rake:tools,saw:tools",
        "the links follow both their product and their category"
    );
    assert_eq!(
        q("SELECT string_agg(p.slug || ':' || i.url, ',' ORDER BY i.url) FROM \"Image\" i JOIN \"Product\" p ON p.id = i.\"productId\"").await,
        "hammer:/img/hammer-1.jpg,hammer:/img/hammer-2.jpg,rake:/img/rake.jpg,saw:/img/saw.jpg",
        "the images follow their product"
    );
    assert_eq!(
        q("SELECT string_agg(c.slug || '=' || c.id || '^' || coalesce(p.slug, '-'), ',' ORDER BY c.slug) FROM \"Category\" c LEFT JOIN \"Category\" p ON p.id = c.\"parentId\"").await,
        "garden=2^tools,kitchen=3^-,tools=51^-",
        "the self-reference follows the parent category to its new id"
    );
    assert_eq!(
        q("SELECT string_agg(DISTINCT u.email, ',') FROM \"Product\" p JOIN \"User\" u ON u.id = p.\"addedById\"").await,
        "admin@shop.test",
        "every product was added by the admin, under its new id"
    );
    // The deferred cycle edge: merge leaves the seed's admin as it is (no favorite).
    let admin_favorite = match kept {
        Kept::Target => "-",
        Kept::Snapshot => "hammer",
    };
    assert_eq!(
        q("SELECT string_agg(u.email || ':' || coalesce(p.slug, '-'), ',' ORDER BY u.email) FROM \"User\" u LEFT JOIN \"Product\" p ON p.id = u.\"favoriteProductId\"").await,
        format!("admin@shop.test:{admin_favorite},alice@shop.test:rake,bob@shop.test:pan"),
        "the deferred favorite follows the product to its new id"
    );
}

/// The entry of `table` in a restore report's `tables`.
#[track_caller]
fn entry<'a>(report: &'a serde_json::Value, table: &str) -> &'a serde_json::Value {
    report["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no tables list: {report:#}"))
        .iter()
        .find(|t| t["name"] == table)
        .unwrap_or_else(|| panic!("no entry for {table}: {report:#}"))
}

/// The id-map sizes and followers in a JSON report: User maps the admin (its posts, comment,
/// settings row and the four products it added follow), Category `tools` (three links and
/// garden's parent), Product `hammer` and `rake` (three links, three images, two users'
/// favorites), UserSetting the admin's row.
#[track_caller]
fn assert_maps(report: &serde_json::Value) {
    for (table, key, matched, followed) in [
        ("User", "email", 1, 8),
        ("UserSetting", "userId", 1, 0),
        ("Category", "slug", 1, 4),
        ("Product", "slug", 2, 8),
    ] {
        let t = entry(report, table);
        assert_eq!(t["natural_key"], serde_json::json!([key]), "{t:#}");
        assert_eq!(t["matched"], matched, "{table}: {t:#}");
        assert_eq!(t["followed"], followed, "{table}: {t:#}");
        assert_eq!(t["orphans"], 0, "{table}: {t:#}");
    }
    assert_eq!(entry(report, "Image")["remapped"], 3, "{report:#}");
    assert_eq!(entry(report, "Product")["remapped"], 4, "{report:#}");
    assert_eq!(
        entry(report, "User")["remapped"],
        2,
        "favorites: {report:#}"
    );
    assert_eq!(
        entry(report, "ProductCategory")["remapped"],
        6,
        "{report:#}"
    );
    assert_eq!(entry(report, "Post")["natural_key"], serde_json::json!([]));
    assert_eq!(report["totals"]["matched"], 5, "{report:#}");
    assert_eq!(report["totals"]["orphans"], 0, "{report:#}");
}
