//! `prune --remote`: the retention policy over the remote snapshots.

use super::{Setup, listed};

#[tokio::test]
async fn prune_remote_keeps_what_the_policy_keeps() {
    let setup = Setup::new().await;
    let url = setup.url();
    let ids: Vec<String> = (0..3)
        .map(|i| {
            setup
                .run(&["snapshot", "--tag", &format!("n{i}")])
                .assert_code(0);
            setup.project.snapshots().pop().unwrap().manifest.id
        })
        .collect();
    setup
        .run(&["--remote", &url, "snapshots", "push", "--all"])
        .assert_code(0);
    let policy = [
        "--keep-last",
        "1",
        "--keep-daily",
        "0",
        "--keep-weekly",
        "0",
        "--keep-monthly",
        "0",
    ];
    let mut args = vec!["prune", "--remote", url.as_str(), "--dry-run"];
    args.extend(policy);
    let run = setup.run(&args);
    run.assert_code(0);
    assert!(run.stdout().contains("would remove 2"), "{}", run.stdout());
    assert_eq!(
        setup
            .bucket
            .keys()
            .await
            .iter()
            .filter(|k| k.ends_with("manifest.json"))
            .count(),
        3
    );

    args.retain(|a| *a != "--dry-run");
    let run = setup.run(&args);
    run.assert_code(0);
    assert!(
        run.stdout().contains("removed 2 snapshot(s)"),
        "{}",
        run.stdout()
    );
    let keys = setup.bucket.keys().await;
    assert!(
        keys.iter()
            .all(|k| k.starts_with(&format!("app/dev/{}/", ids[2]))),
        "only the newest is left: {keys:?}"
    );
    let run = setup.run(&["--remote", &url, "snapshots", "--json"]);
    let where_: Vec<String> = listed(&run).into_iter().map(|(_, w)| w).collect();
    assert_eq!(
        where_,
        ["local", "local", "local+remote"],
        "local snapshots are untouched"
    );
}
