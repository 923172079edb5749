//! A push killed midway (SIGKILL while it waits on a data file) lists nothing remotely; the
//! next push completes it.

use std::time::{Duration, Instant};

use super::{Setup, listed};
use crate::support::TempProject;

#[tokio::test]
async fn a_killed_push_is_not_listed_and_the_next_push_completes_it() {
    let setup = Setup::new().await;
    let url = setup.url();
    let id = setup.snapshot();
    let local = setup.project.snapshots().pop().unwrap();
    let first = &local.manifest.tables.first().unwrap().file;
    let last = local.path.join(&local.manifest.tables.last().unwrap().file);
    // The last data file becomes a FIFO: the push uploads the others, then blocks opening it.
    let real = std::fs::read(&last).unwrap();
    std::fs::remove_file(&last).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&last)
        .status()
        .unwrap();
    assert!(made.success());

    let mut env = setup.bucket.env();
    env.push(("DATABASE_URL", setup.db.url()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut child = setup
        .project
        .command(&["--remote", &url, "snapshots", "push", &id], &env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let uploaded = format!("app/dev/{id}/{first}");
    let started = Instant::now();
    while !setup.bucket.keys().await.contains(&uploaded) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the push uploaded nothing"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let keys = setup.bucket.keys().await;
    assert!(keys.contains(&uploaded), "{keys:?}");
    assert!(
        !keys.iter().any(|k| k.ends_with("manifest.json")),
        "{keys:?}"
    );
    let run = setup.run(&["--remote", &url, "snapshots", "--json"]);
    run.assert_code(0);
    assert_eq!(listed(&run), [(id.clone(), "local".to_string())]);
    let fresh = TempProject::new();
    let run = setup.run_in(&fresh, &["--remote", &url, "snapshots", "pull", &id]);
    run.assert_code(1);
    assert!(
        run.stderr().contains(&format!("no snapshot {id} in {url}")),
        "{}",
        run.stderr()
    );

    std::fs::remove_file(&last).unwrap();
    std::fs::write(&last, real).unwrap();
    let run = setup.run(&["--remote", &url, "snapshots", "push", &id]);
    run.assert_code(0);
    assert!(
        run.stdout().contains(&format!("{id}: pushed ")),
        "{}",
        run.stdout()
    );
    let run = setup.run(&["--remote", &url, "snapshots", "--json"]);
    assert_eq!(listed(&run), [(id.clone(), "local+remote".to_string())]);
    let run = setup.run_in(&fresh, &["--remote", &url, "snapshots", "pull", &id]);
    run.assert_code(0);
    assert_eq!(fresh.snapshots().pop().unwrap().manifest, local.manifest);
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    let setup = Setup::new().await;
    let id = setup.snapshot();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut env = setup.bucket.env();
    env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", endpoint));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = setup
        .project
        .xtask_with_env(&["--remote", &setup.url(), "snapshots", "push", &id], &env);
    run.assert_code(1);
    super::assert_no_secret(&run);
    let stderr = run.stderr();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(&setup.url()) || stderr.contains("127.0.0.1"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: check AWS_ENDPOINT_URL"), "{stderr}");
}
