//! Snapshot and restore of bucket objects by mode, the dry run, `--skip-images`, and the
//! unreachable bucket.

use super::{BIG, Setup, assert_no_secret_in_files, big, sha256};

/// The `changes` of the one bucket prefix in a restore's `--json`.
fn changes(run: &crate::support::project::Run) -> serde_json::Value {
    let json = run.json();
    let buckets = json["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 1, "{json}");
    buckets[0]["changes"].clone()
}

#[tokio::test]
async fn bucket_objects_deleted_after_the_snapshot_come_back_with_only_images() {
    let setup = Setup::new().await;
    setup.put_objects().await;
    setup.run(&["snapshot"]).assert_code(0);
    let snapshot = setup.project.snapshots().pop().unwrap();
    let bucket = &snapshot.manifest.buckets[0];
    assert_eq!(bucket.group, "images");
    assert_eq!(bucket.url, format!("s3://{}/images", setup.bucket.name));
    let listed: Vec<(&str, u64, &str)> = bucket
        .objects
        .iter()
        .map(|o| (o.key.as_str(), o.bytes, o.sha256.as_str()))
        .collect();
    let (c_sha, big_sha) = (sha256(&[7u8; 1000]), sha256(&big()));
    assert_eq!(
        listed,
        [
            ("a.png", 9, sha256(b"png-bytes").as_str()),
            ("b/c.jpg", 1000, c_sha.as_str()),
            ("big.bin", BIG as u64, big_sha.as_str()),
        ],
        "only the prefix's objects, with their sizes and SHA-256s"
    );
    let archive = snapshot.path.join(&bucket.file);
    assert_eq!(std::fs::metadata(&archive).unwrap().len(), bucket.bytes);
    let verify = setup.run(&["snapshots", "verify", &snapshot.manifest.id]);
    verify.assert_code(0);
    assert_no_secret_in_files(&setup.project.backups_dir());

    // After the snapshot: two deleted, one changed, one added.
    setup.bucket.delete("images/a.png").await;
    setup.bucket.delete("images/big.bin").await;
    setup
        .bucket
        .put("images/b/c.jpg", b"changed".to_vec())
        .await;
    setup
        .bucket
        .put("images/new.txt", b"added later".to_vec())
        .await;
    let after = setup.bucket.keys().await;

    let dry = setup.run(&["restore", "--only", "images", "--dry-run", "--json"]);
    dry.assert_code(0);
    let counts = changes(&dry);
    assert_eq!(counts["put"], 2, "{counts}");
    assert_eq!(counts["put_bytes"], 9 + BIG as u64, "{counts}");
    assert_eq!(counts["kept"], 1, "{counts}");
    assert_eq!(counts["overwrite"], 0, "{counts}");
    assert_eq!(setup.bucket.keys().await, after, "a dry run writes nothing");
    let text = setup.run(&["restore", "--only", "images", "--dry-run"]);
    text.assert_code(0);
    assert!(
        text.stdout()
            .contains("put 2 (9.00 MiB), overwrite 0 (0 B), delete 0 (0 B), unchanged 0, kept 1"),
        "{}",
        text.stdout()
    );

    // --skip-images leaves the bucket alone.
    setup
        .run(&["restore", "--skip-images", "--yes"])
        .assert_code(0);
    assert_eq!(setup.bucket.keys().await, after);

    // merge: the deleted ones come back byte-identical; the changed and the added stay.
    let merge = setup.run(&["restore", "--only", "images", "--yes", "--json"]);
    merge.assert_code(0);
    assert_eq!(changes(&merge)["put"], 2);
    let again = setup.run(&["restore", "--only", "images", "--yes", "--json"]);
    again.assert_code(0);
    let counts = changes(&again);
    assert_eq!(
        (
            counts["put"].as_u64(),
            counts["unchanged"].as_u64(),
            counts["kept"].as_u64()
        ),
        (Some(0), Some(1), Some(2)),
        "a second merge finds a.png unchanged by size and ETag; big.bin came back as a multipart upload (another ETag) and c.jpg differs, so both are kept: {counts}"
    );
    assert_eq!(setup.bucket.get("images/a.png").await, b"png-bytes");
    assert_eq!(setup.bucket.get("images/big.bin").await, big());
    assert_eq!(setup.bucket.get("images/b/c.jpg").await, b"changed");
    assert_eq!(setup.bucket.get("images/new.txt").await, b"added later");

    // upsert: the changed one is overwritten, after a safety snapshot copied it.
    let upsert = setup.run(&[
        "restore", "--only", "images", "--mode", "upsert", "--yes", "--json",
    ]);
    upsert.assert_code(0);
    let counts = changes(&upsert);
    assert_eq!(
        (counts["overwrite"].as_u64(), counts["unchanged"].as_u64()),
        (Some(1), Some(2)),
        "{counts}"
    );
    assert_eq!(setup.bucket.get("images/b/c.jpg").await, vec![7u8; 1000]);
    assert_eq!(setup.bucket.get("images/new.txt").await, b"added later");
    let safety = setup.project.snapshots().pop().unwrap();
    assert_eq!(safety.manifest.reason, "pre-restore");
    let kept: Vec<&str> = safety.manifest.buckets[0]
        .objects
        .iter()
        .map(|o| o.key.as_str())
        .collect();
    assert!(
        kept.contains(&"b/c.jpg") && kept.contains(&"new.txt"),
        "{kept:?}"
    );
    let changed = safety.manifest.buckets[0]
        .objects
        .iter()
        .find(|o| o.key == "b/c.jpg")
        .unwrap();
    assert_eq!(
        changed.sha256,
        sha256(b"changed"),
        "the safety snapshot holds the overwritten content"
    );

    // replace: the object added after the snapshot goes; nothing outside the prefix is touched.
    let replace = setup.run(&[
        "restore", "--only", "images", "--mode", "replace", "--yes", "--json",
    ]);
    replace.assert_code(0);
    let counts = changes(&replace);
    assert_eq!(
        (counts["delete"].as_u64(), counts["put"].as_u64()),
        (Some(1), Some(0)),
        "{counts}"
    );
    assert_eq!(
        setup.bucket.keys().await,
        [
            "images/a.png",
            "images/b/c.jpg",
            "images/big.bin",
            "other/keep.txt"
        ]
    );
    assert_eq!(setup.bucket.get("other/keep.txt").await, b"not ours");
}

#[tokio::test]
async fn an_unreachable_bucket_is_a_clear_error_and_keeps_no_snapshot() {
    let setup = Setup::new().await;
    let manifest = setup.project.root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let missing = format!("{}-missing", setup.bucket.name);
    std::fs::write(&manifest, text.replace(&setup.bucket.name, &missing)).unwrap();
    let run = setup.run(&["snapshot"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!(
            "copying the objects of s3://{missing}/images (files.images) failed; nothing was kept"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: check that the bucket of"),
        "{stderr}"
    );
    assert!(setup.project.snapshots().is_empty());
    assert!(
        setup.project.leftovers().is_empty(),
        "{:?}",
        setup.project.leftovers()
    );
}

#[tokio::test]
async fn a_damaged_bucket_archive_is_named_by_verify_and_refused_before_any_write() {
    let setup = Setup::new().await;
    setup.put_objects().await;
    setup.run(&["snapshot"]).assert_code(0);
    let snapshot = setup.project.snapshots().pop().unwrap();
    let file = snapshot.manifest.buckets[0].file.clone();
    let path = snapshot.path.join(&file);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();

    let verify = setup.run(&["snapshots", "verify", &snapshot.manifest.id]);
    assert_ne!(verify.code(), 0);
    assert!(
        verify.stdout().contains(file.as_str()) || verify.stderr().contains(file.as_str()),
        "{}\n{}",
        verify.stdout(),
        verify.stderr()
    );

    setup.bucket.delete("images/a.png").await;
    let before = setup.bucket.keys().await;
    let run = setup.run(&["restore", "--only", "images", "--yes"]);
    run.assert_code(1);
    assert!(run.stderr().contains(file.as_str()), "{}", run.stderr());
    assert_eq!(setup.bucket.keys().await, before, "nothing was put back");
    assert_eq!(
        setup.project.snapshots().len(),
        1,
        "no safety snapshot either"
    );
}
