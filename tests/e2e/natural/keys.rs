//! Which key matches: a snapshot row whose slug matches one target row and whose id another is
//! a conflict, listed, and nothing changes; `match-on` picks the key or turns matching off, and
//! a `match-on` that names no unique key is refused before anything is done.

use super::Scenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_matching_two_target_rows_is_a_conflict_and_nothing_changes() {
    let s = Scenario::new().await;
    // The target's product 3 is another entity; the snapshot's product 3 (`pan`) is product 250.
    s.db.execute(
        "INSERT INTO \"Product\" (id, slug, name, price, \"addedById\") VALUES (3, 'wok', 'Wok', 4000, 101), (250, 'pan', 'Pan', 3000, 101)",
    )
    .await;
    let before = s.contents().await;
    for mode in ["merge", "upsert", "replace"] {
        let run = s.restore(&["--mode", mode, "--yes"]);
        run.assert_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains(
                "table Product: 1 snapshot row(s) match one target row by slug and another by their id"
            ),
            "{mode}: {stderr}"
        );
        assert!(
            stderr.contains(
                "id = 3, slug = pan: its key matches the target row id = 250, its id the target row id = 3"
            ),
            "{mode}: {stderr}"
        );
        assert!(stderr.contains("match-on"), "{mode}: the hint: {stderr}");
        assert_eq!(s.contents().await, before, "{mode}: rolled back");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_on_picks_the_key_or_turns_matching_off() {
    let s = Scenario::new().await;
    // Off for Product: the snapshot's hammer and rake meet the seed's slugs and are left out
    // (merge), so their links and images have no parent and are orphans.
    s.configure("[match-on]\nProduct = []\nUser = \"email\"\n");
    let run = s.restore(&["--mode", "merge", "--dry-run", "--json"]);
    let report = run.assert_code(0).json();
    let products = super::entry(&report, "Product");
    assert_eq!(
        products["natural_key"],
        serde_json::json!([]),
        "{products:#}"
    );
    assert_eq!(products["matched"], 0, "{products:#}");
    assert_eq!(super::entry(&report, "Image")["orphans"], 3, "{report:#}");
    assert_eq!(super::entry(&report, "User")["matched"], 1, "{report:#}");

    s.configure("[match-on]\nProduct = [\"slug\"]\n");
    let run = s.restore(&["--mode", "merge", "--dry-run"]);
    run.assert_code(0);
    let stdout = run.stdout();
    assert!(
        stdout.contains("match       Product: matched by slug (match-on)"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("note: Product: matched by slug: 2 row(s) map to new ids; 8 children follow"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_match_on_that_is_no_unique_key_is_refused() {
    let s = Scenario::new().await;
    let before = s.contents().await;
    for (config, message) in [
        (
            "[match-on]\nProduct = \"name\"\n",
            "match-on Product: (name) is not a unique key of the table; its unique keys are (slug)",
        ),
        (
            "[match-on]\nPost = \"title\"\n",
            "match-on Post: (title) is not a unique key of the table; it has no unique key besides its primary key",
        ),
        (
            "[match-on]\nProdukt = \"slug\"\n",
            "match-on Produkt: no such table in the live schema",
        ),
    ] {
        s.configure(config);
        let run = s.restore(&["--mode", "merge", "--yes"]);
        run.assert_code(1);
        let stderr = run.stderr();
        assert!(stderr.contains(message), "{config}: {stderr}");
        assert_eq!(s.contents().await, before, "{config}: nothing changed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_matching_a_target_row_whose_id_another_row_holds_is_a_conflict() {
    let s = Scenario::new().await;
    // The target's `garden` has id 3, the snapshot's `kitchen`'s id: mapping the snapshot's
    // garden (id 2) to it would make two snapshot rows one.
    s.db.execute("INSERT INTO \"Category\" (id, slug, name) VALUES (3, 'garden', 'Garden')")
        .await;
    let before = s.contents().await;
    let run = s.restore(&["--mode", "upsert", "--dry-run"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains(
            "table Category: 1 snapshot row(s) match one target row by slug and another by their id:\n  id = 2, slug = garden: its key matches the target row id = 3, whose id another snapshot row holds"
        ),
        "{stderr}"
    );
    assert_eq!(s.contents().await, before);
}
