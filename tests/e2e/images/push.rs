//! A snapshot with bucket objects pushed encrypted and pulled into a fresh store: the objects'
//! archive travels as an age file, and a restore from the pulled snapshot puts them back.

use age::secrecy::ExposeSecret;

use super::{Setup, assert_no_secret_in_files, big};
use crate::support::TempProject;

#[tokio::test]
async fn a_pushed_snapshot_carries_the_objects_encrypted() {
    let setup = Setup::new().await;
    setup.put_objects().await;
    let key = age::x25519::Identity::generate();
    let remote = setup.bucket.url("backups");
    setup.project.configure(&format!(
        "remote = {remote:?}\nrecipients = [{:?}]",
        key.to_public().to_string()
    ));
    setup.run(&["snapshot"]).assert_code(0);
    let local = setup.project.snapshots().pop().unwrap();
    let id = local.manifest.id.clone();
    setup.run(&["snapshots", "push", &id]).assert_code(0);
    let file = &local.manifest.buckets[0].file;
    let sealed = setup.bucket.get(&format!("backups/{id}/{file}.age")).await;
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    assert!(!sealed.windows(9).any(|w| w == b"png-bytes"));

    setup.bucket.delete("images/a.png").await;
    setup.bucket.delete("images/big.bin").await;
    let fresh = TempProject::new();
    std::fs::copy(
        setup.project.root.join("Cargo.toml"),
        fresh.root.join("Cargo.toml"),
    )
    .unwrap();
    let identity = fresh.root.join("id.key");
    std::fs::write(&identity, format!("{}\n", key.to_string().expose_secret())).unwrap();
    let pull = setup.run_in(
        &fresh,
        &["--identity", identity.as_str(), "snapshots", "pull", &id],
    );
    pull.assert_code(0);
    setup
        .run_in(&fresh, &["snapshots", "verify", &id])
        .assert_code(0);
    let restore = setup.run_in(&fresh, &["restore", &id, "--only", "images", "--yes"]);
    restore.assert_code(0);
    assert_eq!(setup.bucket.get("images/a.png").await, b"png-bytes");
    assert_eq!(setup.bucket.get("images/big.bin").await, big());
    assert_no_secret_in_files(&fresh.backups_dir());
    assert_no_secret_in_files(&setup.project.backups_dir());
}
