//! Push, list, pull into a fresh store, and a restore of a remote id that pulls it first.

use super::{Setup, assert_no_secret_in_files, listed};
use crate::support::TempProject;
use crate::support::project::SEEDED;

#[tokio::test]
async fn a_pushed_snapshot_restores_identical_rows_from_a_fresh_store() {
    let setup = Setup::new().await;
    let url = setup.url();
    let id = setup.snapshot();
    let run = setup.run(&["--remote", &url, "snapshots", "push", &id]);
    run.assert_code(0);
    assert!(
        run.stdout().contains(&format!("{id}: pushed ")),
        "{}",
        run.stdout()
    );
    let keys = setup.bucket.keys().await;
    let prefix = format!("app/dev/{id}/");
    assert!(keys.contains(&format!("{prefix}manifest.json")), "{keys:?}");
    assert!(keys.contains(&format!("{prefix}remote.json")), "{keys:?}");
    assert!(
        keys.contains(&format!("{prefix}data/public.User.csv.zst")),
        "{keys:?}"
    );
    // Pushed as they are: the object is the local file.
    let local = setup.project.snapshots().pop().unwrap();
    let user = local.path.join(&local.manifest.table("User").unwrap().file);
    assert_eq!(
        setup
            .bucket
            .get(&format!("{prefix}data/public.User.csv.zst"))
            .await,
        std::fs::read(user).unwrap()
    );

    // Pushing again uploads nothing.
    let again = setup.run(&["--remote", &url, "snapshots", "push", "--all"]);
    again.assert_code(0);
    assert!(again.stdout().contains("already in"), "{}", again.stdout());

    let run = setup.run(&["--remote", &url, "snapshots", "--json"]);
    run.assert_code(0);
    assert_eq!(listed(&run), [(id.clone(), "local+remote".to_string())]);
    let run = setup.run(&["--remote", &url, "snapshots", "verify", &id]);
    run.assert_code(0);
    assert!(
        run.stdout().contains(&format!("ok      {id} (remote)")),
        "{}",
        run.stdout()
    );

    // A fresh checkout: nothing local, the snapshot only remotely.
    setup.db.copy_public_to("orig").await;
    let fresh = TempProject::new();
    let run = setup.run_in(&fresh, &["--remote", &url, "snapshots"]);
    run.assert_code(0);
    assert!(
        run.stdout().contains(&id) && run.stdout().contains("remote"),
        "{}",
        run.stdout()
    );
    setup
        .db
        .execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        .await;
    setup.db.deploy(&fresh.migrations(), 4).await;
    let run = setup.run_in(&fresh, &["--remote", &url, "restore", &id, "--yes"]);
    run.assert_code(0);
    assert!(
        run.stderr().contains(&format!("{id}: pulled ")),
        "{}",
        run.stderr()
    );
    for table in SEEDED {
        let difference = setup.db.difference("orig", table).await;
        assert_eq!((difference.missing, difference.extra), (0, 0), "{table}");
    }
    let pulled = fresh
        .snapshots()
        .into_iter()
        .find(|s| s.manifest.id == id)
        .expect("the pulled snapshot is in the fresh store");
    assert_eq!(pulled.manifest, local.manifest);
    assert!(fresh.leftovers().is_empty(), "{:?}", fresh.leftovers());
    assert_no_secret_in_files(&fresh.root);
    assert_no_secret_in_files(&setup.project.root);
}

#[tokio::test]
async fn push_true_pushes_each_snapshot_and_a_tampered_object_fails_verify() {
    let setup = Setup::new().await;
    super::configure(
        &setup.project,
        &format!("remote = {:?}\npush = true", setup.url()),
    );
    let run = setup.run(&["snapshot"]);
    run.assert_code(0);
    assert!(run.stderr().contains(": pushed "), "{}", run.stderr());
    let id = setup.project.snapshots().pop().unwrap().manifest.id;
    let run = setup.run(&["snapshots", "--json"]);
    assert_eq!(listed(&run), [(id.clone(), "local+remote".to_string())]);

    // pre-migrate (migrations 5-7 are pending) pushes its snapshot too.
    let run = setup.run(&["pre-migrate"]);
    run.assert_code(0);
    let taken = setup.project.snapshots().pop().unwrap().manifest.id;
    assert_ne!(taken, id);
    assert!(
        run.stderr().contains(&format!("{taken}: pushed ")),
        "{}",
        run.stderr()
    );
    // Without credentials the list still shows the local snapshots, and says why not the rest.
    let url = setup.db.url();
    let run = setup.project.xtask_with_env(
        &["snapshots"],
        &[
            ("DATABASE_URL", url.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
            ("AWS_CONFIG_FILE", "/nonexistent"),
        ],
    );
    run.assert_code(0);
    assert!(run.stdout().contains(&id), "{}", run.stdout());
    assert!(
        run.stderr()
            .contains("warning: the remote store is not listed: no S3 credentials"),
        "{}",
        run.stderr()
    );

    // `prune --remote` without a URL: the configured store.
    let run = setup.run(&["prune", "--remote", "--dry-run"]);
    run.assert_code(0);
    assert!(
        run.stdout().contains(&id) && run.stdout().contains("newest"),
        "{}",
        run.stdout()
    );

    let key = format!("app/dev/{id}/data/public.Tag.csv.zst");
    let mut bytes = setup.bucket.get(&key).await;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    setup.bucket.put(&key, bytes).await;
    let run = setup.run(&["snapshots", "verify", &id]);
    run.assert_code(1);
    // (the pre-migrate snapshot is intact: only `id` is verified)
    assert!(
        run.stdout()
            .contains("remote data/public.Tag.csv.zst: sha256 differs from remote.json"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout().contains(&format!("ok      {id}:")),
        "the local copy is intact: {}",
        run.stdout()
    );

    // A pull of the damaged copy writes nothing.
    let fresh = TempProject::new();
    let run = setup.run_in(
        &fresh,
        &["--remote", &setup.url(), "snapshots", "pull", &id],
    );
    run.assert_code(1);
    assert!(run.stderr().contains("is damaged"), "{}", run.stderr());
    assert!(fresh.snapshots().is_empty());
    assert!(fresh.leftovers().is_empty(), "{:?}", fresh.leftovers());
}
