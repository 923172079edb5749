//! In bulk: 2,000 products re-created by the seed under new ids and 4,000 images to follow
//! them, through one set-based map and one rewrite per key whatever the row count. (Its speed
//! is the benchmark's business, not a test's.)

use super::{SHOP_APP, Scenario};
use crate::support::{TempProject, TestDb};

const PRODUCTS: i64 = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_products_under_new_ids_carry_their_images() {
    let (project, db) = (TempProject::from_fixture(SHOP_APP), TestDb::new().await);
    db.deploy(&project.migrations(), 1).await;
    db.execute(&format!(
        "INSERT INTO \"User\" (id, email, name) VALUES (1, 'admin@shop.test', 'Admin');
         INSERT INTO \"Product\" (id, slug, name, price, \"addedById\")
           SELECT i, 'p-' || i, 'Product ' || i, i, 1 FROM generate_series(1, {PRODUCTS}) i;
         INSERT INTO \"Image\" (id, url, \"productId\")
           SELECT i, '/img/' || i || '.jpg', (i + 1) / 2 FROM generate_series(1, {}) i;",
        PRODUCTS * 2
    ))
    .await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        .await;
    db.deploy(&project.migrations(), 1).await;
    db.execute(&format!(
        "INSERT INTO \"User\" (id, email, name) VALUES (500, 'admin@shop.test', 'Admin (seed)');
         INSERT INTO \"Product\" (id, slug, name, price, \"addedById\")
           SELECT 100000 + i, 'p-' || i, 'Seeded ' || i, 0, 500 FROM generate_series(1, {PRODUCTS}) i;"
    ))
    .await;
    let s = Scenario { project, db, id };
    let report = s
        .restore(&["--mode", "upsert", "--yes", "--json"])
        .assert_code(0)
        .json();
    let products = super::entry(&report, "Product");
    assert_eq!(products["matched"], PRODUCTS, "{products:#}");
    assert_eq!(products["followed"], PRODUCTS * 2, "{products:#}");
    let orphans: i64 =
        s.db.scalar("SELECT count(*) FROM \"Image\" i WHERE i.\"productId\" <= 100000")
            .await;
    assert_eq!(orphans, 0, "every image points to a seeded product id");
    let count: i64 = s.db.scalar("SELECT count(*) FROM \"Image\"").await;
    assert_eq!(count, PRODUCTS * 2);
}
