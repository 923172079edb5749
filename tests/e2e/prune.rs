//! `prune`: real snapshots with synthetic dates (their manifests' `created_at` rewritten), a
//! `--keep` one, a foreign folder and a hidden temporary one; `--dry-run`, a real prune and
//! `auto-prune = true` after `snapshot` and `pre-migrate`.

use camino::Utf8Path;
use prisma_guard::snapshot::{self, NoProgress, SnapshotOptions};

use crate::support::{TempProject, TestDb};

/// Takes a snapshot with the library and returns its id.
async fn take(project: &TempProject, db: &TestDb) -> String {
    let status = {
        let mut conn = db.connect().await;
        prisma_guard::migrations::status(&mut conn, &project.migrations_dir(), "public")
            .await
            .unwrap()
    };
    let options = SnapshotOptions::new("manual", &project.root);
    snapshot::take(
        db.database_url(),
        &project.backups_dir(),
        &status,
        &options,
        &NoProgress,
    )
    .await
    .expect("taking a snapshot")
    .id
}

/// Rewrites the manifest of snapshot `id` to say it was taken at `time` (RFC 3339).
fn set_created_at(project: &TempProject, id: &str, time: &str) {
    let path = project.backups_dir().join(id).join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest["created_at"] = time.into();
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
}

/// The line of a table whose first column is `id`.
fn row<'a>(text: &'a str, id: &str) -> &'a str {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(id))
        .unwrap_or_else(|| panic!("no row {id} in:\n{text}"))
}

fn ids(project: &TempProject) -> Vec<String> {
    project
        .snapshots()
        .into_iter()
        .map(|s| s.manifest.id)
        .collect()
}

/// Every entry of the store, sorted.
fn entries(store: &Utf8Path) -> Vec<String> {
    let mut names: Vec<String> = store
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string())
        .collect();
    names.sort();
    names
}

const NO_RULES: [&str; 8] = [
    "--keep-last",
    "1",
    "--keep-daily",
    "0",
    "--keep-weekly",
    "0",
    "--keep-monthly",
    "0",
];

#[tokio::test]
async fn prune_keeps_the_newest_the_tagged_and_what_is_not_ours() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let mut old = Vec::new();
    for _ in 0..4 {
        old.push(take(&project, &db).await);
    }
    let kept = project
        .xtask(&db, &["snapshot", "--keep", "--tag", "golden", "--json"])
        .assert_code(0)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (id, time) in [
        (&kept, "2025-12-01T09:00:00Z"),
        (&old[0], "2026-01-10T10:00:00Z"),
        (&old[1], "2026-02-15T10:00:00Z"),
        (&old[2], "2026-03-20T08:00:00Z"),
        (&old[3], "2026-03-20T18:00:00Z"),
    ] {
        set_created_at(&project, id, time);
    }
    let store = project.backups_dir();
    // Not ours: a foreign folder, and a hidden temporary one even though it holds a manifest.
    std::fs::create_dir(store.join("notes")).unwrap();
    std::fs::write(store.join("notes/readme.txt"), "keep me").unwrap();
    std::fs::create_dir(store.join(".tmp-x")).unwrap();
    std::fs::copy(
        store.join(&old[0]).join("manifest.json"),
        store.join(".tmp-x/manifest.json"),
    )
    .unwrap();
    let before = entries(&store);
    // Five snapshots, the two folders above, the .gitignore the store wrote for itself and the
    // store lock's file.
    assert_eq!(before.len(), 9, "{before:?}");
    assert!(before.contains(&".gitignore".to_string()), "{before:?}");

    let list = project.xtask(&db, &["snapshots"]).assert_code(0).stdout();
    let line = row(&list, &kept);
    assert!(line.contains("kept forever"), "{list}");

    // The defaults (10 last, ...) keep all five, each with its reasons.
    let plan = project
        .xtask(&db, &["prune", "--dry-run", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["policy"]["keep_last"], 10);
    let decisions = plan["snapshots"].as_array().unwrap();
    assert_eq!(decisions.len(), 5);
    assert_eq!(decisions[0]["id"], old[3].as_str());
    assert_eq!(
        decisions[0]["reasons"],
        serde_json::json!([
            "newest",
            "last",
            "daily 2026-03-20",
            "weekly 2026-W12",
            "monthly 2026-03"
        ])
    );
    assert_eq!(decisions[4]["id"], kept.as_str());
    assert!(
        decisions[4]["reasons"]
            .as_array()
            .unwrap()
            .contains(&"tagged --keep".into())
    );
    assert!(decisions.iter().all(|d| d["keep"] == true));

    // A dry run with every rule off lists what would go, and removes nothing.
    let mut args = vec!["prune", "--dry-run"];
    args.extend(NO_RULES);
    let dry = project.xtask(&db, &args).assert_code(0).stdout();
    for id in &old[..3] {
        let line = row(&dry, id);
        assert!(line.contains("would remove"), "{dry}");
    }
    let newest = row(&dry, &old[3]);
    assert!(
        newest.contains("keep") && newest.contains("newest"),
        "{dry}"
    );
    let tagged = row(&dry, &kept);
    assert!(tagged.contains("tagged --keep"), "{dry}");
    assert!(dry.contains("would remove 3, keep 2"), "{dry}");
    assert_eq!(entries(&store), before);

    // The real prune removes all but the newest and the tagged one, and nothing that is not ours.
    let run = project.xtask(
        &db,
        &["prune"]
            .iter()
            .chain(&NO_RULES)
            .copied()
            .collect::<Vec<_>>(),
    );
    let out = run.assert_code(0).stdout();
    assert!(out.contains("removed 3 snapshot(s)"), "{out}");
    let mut expected = vec![kept.clone(), old[3].clone()];
    assert_eq!(ids(&project), expected);
    expected.extend([
        ".gitignore".to_string(),
        ".lock".to_string(),
        ".tmp-x".to_string(),
        "notes".to_string(),
    ]);
    expected.sort();
    assert_eq!(entries(&store), expected);
    assert_eq!(
        std::fs::read_to_string(store.join("notes/readme.txt")).unwrap(),
        "keep me"
    );

    // Pruning again with nothing to remove changes nothing.
    let again = project.xtask(
        &db,
        &["prune"]
            .iter()
            .chain(&NO_RULES)
            .copied()
            .collect::<Vec<_>>(),
    );
    assert!(
        again
            .assert_code(0)
            .stdout()
            .contains("removed 0 snapshot(s)")
    );
    assert_eq!(entries(&store), expected);
}

#[tokio::test]
async fn auto_prune_after_snapshot_and_pre_migrate() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let manifest = project.root.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text += "\n[workspace.metadata.prisma-guard]\nauto-prune = true\nkeep-last = 2\nkeep-daily = 0\nkeep-weekly = 0\nkeep-monthly = 0\n";
    std::fs::write(&manifest, text).unwrap();
    let mut old = Vec::new();
    for time in [
        "2024-01-01T00:00:00Z",
        "2024-02-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
    ] {
        let id = take(&project, &db).await;
        set_created_at(&project, &id, time);
        old.push(id);
    }

    let run = project.xtask(&db, &["snapshot"]);
    let stderr = run.assert_code(0).stderr();
    assert!(
        stderr.contains("auto-prune: removed 2 snapshot(s)"),
        "{stderr}"
    );
    let after = ids(&project);
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0], old[2]);
    let manual = after[1].clone();

    // The fixture has pending migrations: pre-migrate snapshots, then prunes the oldest.
    let run = project.xtask(&db, &["pre-migrate"]);
    let stderr = run.assert_code(0).stderr();
    assert!(
        stderr.contains("auto-prune: removed 1 snapshot(s)"),
        "{stderr}"
    );
    assert!(stderr.contains(&old[2]), "{stderr}");
    let after = ids(&project);
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0], manual);
    assert!(after[1].ends_with("pre-migrate"), "{after:?}");
}

#[tokio::test]
async fn safety_snapshots_keep_their_own_count_and_never_crowd_out_real_ones() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let mut real = Vec::new();
    for day in 1..=4 {
        let id = take(&project, &db).await;
        set_created_at(&project, &id, &format!("2026-11-0{day}T10:00:00Z"));
        real.push(id);
    }
    // Three failed restores, each leaving its safety snapshot behind, after the last real one.
    let mut safety = Vec::new();
    for hour in 11..=13 {
        project
            .xtask(&db, &["snapshot", "--reason", "pre-restore"])
            .assert_code(0);
        let id = project.snapshots().pop().unwrap().manifest.id;
        set_created_at(&project, &id, &format!("2026-11-04T{hour}:00:00Z"));
        safety.push(id);
    }
    let run = project.xtask(
        &db,
        &[
            "prune",
            "--keep-last",
            "3",
            "--keep-daily",
            "0",
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
            "--keep-safety",
            "1",
        ],
    );
    let out = run.assert_code(0).stdout();
    assert!(out.contains("safety 1)"), "{out}");
    let mut expected = vec![
        real[1].clone(),
        real[2].clone(),
        real[3].clone(),
        safety[2].clone(),
    ];
    expected.sort();
    let mut left = ids(&project);
    left.sort();
    assert_eq!(left, expected, "{out}");
}
