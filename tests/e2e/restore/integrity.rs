//! What a restore keeps consistent: every row back in dependency order with the cycles
//! deferred, sequences moved past the restored ids, rows whose parents are missing counted as
//! orphans.

use super::{SEED_ROWS, Scenario, entry, int, strings, table_names};
use crate::support::project::SEEDED;

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
