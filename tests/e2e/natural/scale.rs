//! At scale (ignored by default; run with `--ignored`): 20,000 products re-created by the seed
//! under new ids and 40,000 images to follow them: one set-based map and one rewrite per key,
//! whatever the row count. Prints the restore's time.

use super::{SHOP_APP, Scenario};
use crate::support::{TempProject, TestDb};

const PRODUCTS: i64 = 20_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: 60,000 rows"]
async fn twenty_thousand_products_under_new_ids_carry_their_images() {
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
    let started = std::time::Instant::now();
    let report = s
        .restore(&["--mode", "upsert", "--yes", "--json"])
        .assert_code(0)
        .json();
    eprintln!(
        "restore --mode upsert of {} products matched by slug and {} images: {:.2} s (reported {} ms)",
        PRODUCTS,
        PRODUCTS * 2,
        started.elapsed().as_secs_f64(),
        report["elapsed_ms"]
    );
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
