//! A snapshot that cannot finish keeps nothing half-written: an unwritable backups folder, the
//! server gone mid-stream, an interrupt.

use crate::support::{TempProject, TestDb};

#[tokio::test]
async fn unwritable_backups_folder_is_a_clear_error() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    std::fs::write(project.root.join("not-a-folder"), "").unwrap();
    let run = project.xtask(&db, &["--backups-dir", "not-a-folder/backups", "snapshot"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(stderr.starts_with("error: creating "), "{stderr}");
    assert!(stderr.contains("not-a-folder/backups"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_gone_mid_stream_keeps_nothing() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute("CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 8) AS pad FROM generate_series(1, 400000) g")
        .await;
    let killer_db = db.database_url().clone();
    let killer = tokio::spawn(async move {
        // Wait until the snapshot is streaming the table, then cut its connection.
        let mut conn = killer_db.connect().await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            let killed: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = 'xtask' AND query LIKE 'COPY%' AND state = 'active'
                   AND datname = current_database()",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            if killed.contains(&true) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        false
    });
    let run = project.xtask(&db, &["snapshot", "--jobs", "1"]);
    assert!(killer.await.unwrap(), "the COPY was seen and terminated");
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains(
            "error: lost the connection to the server while reading table \"public\".\"big\""
        ),
        "{stderr}"
    );
    assert!(
        project.snapshots().is_empty(),
        "no partial snapshot is listed"
    );
    assert!(
        project.leftovers().is_empty(),
        "the temporary folder is removed: {:?}",
        project.leftovers()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_run_keeps_nothing() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute("CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 8) AS pad FROM generate_series(1, 400000) g")
        .await;
    let child = project
        .command(&["snapshot", "--jobs", "1"], &[("DATABASE_URL", &db.url())])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the data file is being written.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let writing = project.leftovers().iter().any(|tmp| {
            let data = project.backups_dir().join(tmp).join("data");
            data.read_dir_utf8().is_ok_and(|mut d| d.next().is_some())
        });
        if writing || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: interrupted"), "{stderr}");
    assert!(project.snapshots().is_empty());
    assert!(project.leftovers().is_empty(), "{:?}", project.leftovers());
}

#[tokio::test]
async fn a_schema_that_does_not_exist_is_an_error_not_an_empty_snapshot() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let url = db.database_url().with_schema("nosuch");
    let run = project.xtask_with_env(
        &["snapshot"],
        &[("DATABASE_URL", url.expose_prisma_secret())],
    );
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with(&format!(
            "error: schema nosuch does not exist in database {}; nothing was kept\n",
            db.name
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: check `?schema=`"), "{stderr}");
    assert!(project.snapshots().is_empty());
    assert!(project.leftovers().is_empty(), "{:?}", project.leftovers());
}
