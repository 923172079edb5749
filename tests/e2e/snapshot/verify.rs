//! Checking snapshots: `snapshots verify` names each damaged file, `snapshot --if-changed`
//! compares the data with the newest snapshot.

use crate::support::{TempProject, TestDb};

#[tokio::test]
async fn verify_names_the_damaged_file() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let run = project.xtask(&db, &["snapshots", "verify", "--all"]);
    run.assert_code(0);
    assert!(run.stdout().starts_with("ok      "), "{}", run.stdout());

    let stored = project.snapshots().pop().unwrap();
    let file = |name: &str| stored.path.join(&stored.manifest.table(name).unwrap().file);
    // A flipped byte.
    let mut bytes = std::fs::read(file("User")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(file("User"), bytes).unwrap();
    // A truncated file.
    let bytes = std::fs::read(file("Post")).unwrap();
    std::fs::write(file("Post"), &bytes[..bytes.len() / 2]).unwrap();
    // A deleted file.
    std::fs::remove_file(file("Tag")).unwrap();

    let run = project.xtask(&db, &["snapshots", "verify", &stored.manifest.id]);
    run.assert_code(1);
    let out = run.stdout();
    assert!(
        out.contains("data/public.User.csv.zst: sha256 differs from the manifest"),
        "{out}"
    );
    assert!(out.contains("data/public.Post.csv.zst: "), "{out}");
    assert!(out.contains("bytes, manifest says"), "{out}");
    assert!(out.contains("data/public.Tag.csv.zst: missing"), "{out}");
    assert!(
        !out.contains("public.Comment"),
        "intact files are not named: {out}"
    );
}

#[tokio::test]
async fn if_changed_compares_the_data() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project
        .xtask(&db, &["snapshot", "--if-changed"])
        .assert_code(0);
    assert_eq!(
        project.snapshots().len(),
        1,
        "no snapshot yet: one is taken"
    );
    let run = project.xtask(&db, &["snapshot", "--if-changed"]);
    run.assert_code(0);
    assert!(
        run.stdout()
            .starts_with("unchanged: the data equals snapshot "),
        "{}",
        run.stdout()
    );
    assert_eq!(project.snapshots().len(), 1);
    assert!(project.leftovers().is_empty());

    db.execute("UPDATE \"Tag\" SET name = name || '!' WHERE id = 1")
        .await;
    let run = project.xtask(&db, &["snapshot", "--if-changed", "--tag", "after-edit"]);
    run.assert_code(0);
    assert!(run.stdout().starts_with("snapshot "), "{}", run.stdout());
    let all = project.snapshots();
    assert_eq!(all.len(), 2);
    assert_ne!(all[0].manifest.fingerprint, all[1].manifest.fingerprint);
    assert_eq!(all[1].manifest.tag.as_deref(), Some("after-edit"));
    assert!(all[1].manifest.id.ends_with("-manual-after-edit"));
}
