//! `recipients`: pushed files are age files; a pull needs the identity, refuses a wrong one
//! before anything is written, and gives back the same files with the right one.

use age::secrecy::ExposeSecret;

use super::{Setup, configure};
use crate::support::TempProject;

#[tokio::test]
async fn encrypted_objects_are_unreadable_without_the_identity() {
    let setup = Setup::new().await;
    let url = setup.url();
    let key = age::x25519::Identity::generate();
    configure(
        &setup.project,
        &format!("recipients = [{:?}]", key.to_public().to_string()),
    );
    let id = setup.snapshot();
    let run = setup.run(&["--remote", &url, "snapshots", "push", &id]);
    run.assert_code(0);
    assert!(run.stdout().contains(" encrypted to "), "{}", run.stdout());

    let local = setup.project.snapshots().pop().unwrap();
    let user_file = &local.manifest.table("User").unwrap().file;
    let object = format!("app/dev/{id}/{user_file}.age");
    let keys = setup.bucket.keys().await;
    assert!(keys.contains(&object), "{keys:?}");
    assert!(
        !keys.contains(&format!("app/dev/{id}/{user_file}")),
        "{keys:?}"
    );
    let sealed = setup.bucket.get(&object).await;
    assert!(
        sealed.starts_with(b"age-encryption.org/v1\n"),
        "an age file"
    );
    let plain = std::fs::read(local.path.join(user_file)).unwrap();
    assert!(
        !sealed
            .windows(16)
            .any(|w| plain.windows(16).next() == Some(w)),
        "the object holds no run of the compressed plaintext"
    );
    let mut csv = String::new();
    std::io::Read::read_to_string(&mut zstd::Decoder::new(&plain[..]).unwrap(), &mut csv).unwrap();
    assert!(csv.contains("alice@example.com"));
    assert!(!sealed.windows(17).any(|w| w == b"alice@example.com"));

    let fresh = TempProject::new();
    let pull = |args: &[&str]| {
        let mut all = vec!["--remote", url.as_str()];
        all.extend_from_slice(args);
        setup.run_in(&fresh, &all)
    };
    let run = pull(&["snapshots", "pull", &id]);
    run.assert_code(1);
    assert!(
        run.stderr()
            .contains("is encrypted and no identity was given"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("hint: pass --identity FILE"),
        "{}",
        run.stderr()
    );
    assert!(fresh.snapshots().is_empty());

    let wrong = fresh.root.join("wrong.key");
    let other = age::x25519::Identity::generate();
    std::fs::write(&wrong, format!("{}\n", other.to_string().expose_secret())).unwrap();
    let run = pull(&["--identity", wrong.as_str(), "snapshots", "pull", &id]);
    run.assert_code(1);
    assert!(
        run.stderr().contains(&format!(
            "the identity {wrong} does not decrypt snapshot {id}"
        )),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("AGE-SECRET-KEY"), "{}", run.stderr());
    assert!(fresh.snapshots().is_empty());
    assert!(fresh.leftovers().is_empty(), "{:?}", fresh.leftovers());

    // A restore with the wrong identity changes nothing either.
    let before = setup.db.row_counts("public").await;
    setup.db.execute("DELETE FROM \"Comment\"").await;
    let emptied = setup.db.row_counts("public").await;
    let run = pull(&["--identity", wrong.as_str(), "restore", &id, "--yes"]);
    run.assert_code(1);
    assert_eq!(setup.db.row_counts("public").await, emptied);

    let right = fresh.root.join("right.key");
    std::fs::write(
        &right,
        format!("# created: now\n{}\n", key.to_string().expose_secret()),
    )
    .unwrap();
    let run = pull(&["--identity", right.as_str(), "snapshots", "pull", &id]);
    run.assert_code(0);
    let pulled = fresh.snapshots().pop().unwrap();
    assert_eq!(pulled.manifest, local.manifest);
    assert_eq!(std::fs::read(pulled.path.join(user_file)).unwrap(), plain);
    let run = setup.run_in(&fresh, &["snapshots", "verify", &id]);
    run.assert_code(0);

    // AGE_IDENTITY holding the key restores too.
    let mut env = setup.bucket.env();
    env.push(("DATABASE_URL", setup.db.url()));
    env.push(("AGE_IDENTITY", key.to_string().expose_secret().to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let other_fresh = TempProject::new();
    let run = other_fresh.xtask_with_env(
        &[
            "--remote", &url, "restore", &id, "--yes", "--tables", "Comment",
        ],
        &env,
    );
    run.assert_code(0);
    assert_eq!(
        setup.db.row_counts("public").await["Comment"],
        before["Comment"]
    );
}
