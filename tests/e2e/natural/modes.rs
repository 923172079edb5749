//! `restore` in each mode after the reset with the seed: merge keeps the seed's rows, upsert and
//! replace update them through their natural key; in every mode the children arrive attached to
//! the new ids, counted in the report (text and JSON). `--dry-run` counts the same and changes
//! nothing.

use super::{Kept, Scenario, assert_attached, assert_maps};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_keeps_the_seeds_rows_and_attaches_the_children_to_them() {
    let s = Scenario::new().await;
    let run = s.restore(&["--mode", "merge", "--yes"]);
    run.assert_code(0);
    let stdout = run.stdout();
    assert!(
        stdout.contains("match       Product: matched by slug (a natural column)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("match       UserSetting: matched by userId (a unique foreign key)"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("note: Product: matched by slug: 2 row(s) map to new ids; 8 children follow"),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: User: matched by email: 1 row(s) map to new ids; 8 children follow"),
        "{stdout}"
    );
    assert!(!stdout.contains("orphan(s)"), "{stdout}");
    assert_attached(&s, Kept::Target, true).await;

    // Again: everything is there, under the ids it has now; nothing is added.
    let again = s.restore(&["--mode", "merge", "--yes", "--json"]);
    let report = again.assert_code(0).json();
    assert_eq!(report["totals"]["inserted"], 0, "{report:#}");
    assert_attached(&s, Kept::Target, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_updates_the_seeds_rows_through_their_natural_key() {
    let s = Scenario::new().await;
    let run = s.restore(&["--mode", "upsert", "--yes", "--json"]);
    let report = run.assert_code(0).json();
    assert_maps(&report);
    let products = super::entry(&report, "Product");
    assert_eq!(products["updated"], 2, "{products:#}");
    assert_eq!(products["inserted"], 2, "{products:#}");
    assert_attached(&s, Kept::Snapshot, true).await;
    let name: String =
        s.db.scalar("SELECT name FROM \"User\" WHERE id = 101")
            .await;
    assert_eq!(name, "Admin", "the snapshot's values, on the seed's row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_keeps_matched_rows_and_deletes_only_the_unmatched() {
    let s = Scenario::new().await;
    let run = s.restore(&["--mode", "replace", "--yes", "--json"]);
    let report = run.assert_code(0).json();
    assert_maps(&report);
    let products = super::entry(&report, "Product");
    assert_eq!(
        products["deleted"], 1,
        "only drill, which the snapshot lacks: {products:#}"
    );
    for table in ["User", "UserSetting", "Category", "ProductCategory"] {
        assert_eq!(
            super::entry(&report, table)["deleted"],
            0,
            "{table}: matched rows are the snapshot's: {report:#}"
        );
    }
    assert_attached(&s, Kept::Snapshot, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_counts_the_maps_and_changes_nothing() {
    let s = Scenario::new().await;
    let before = s.contents().await;
    for mode in ["merge", "upsert", "replace"] {
        let run = s.restore(&["--mode", mode, "--dry-run", "--json"]);
        let report = run.assert_code(0).json();
        assert_eq!(report["dry_run"], true);
        assert_maps(&report);
        assert_eq!(
            s.contents().await,
            before,
            "{mode}: a dry run changes nothing"
        );
    }
    let run = s.restore(&["--mode", "upsert", "--dry-run"]);
    run.assert_code(0);
    assert!(
        run.stdout().contains(
            "note: Category: matched by slug: 1 row(s) map to new ids; 4 children follow"
        ),
        "{}",
        run.stdout()
    );
    assert_eq!(s.contents().await, before);
}
