//! What interrupted runs leave behind: `kill -9` of a snapshot or a replay leaves a hidden
//! folder in the store (and a scratch database on the server) that the next run removes and
//! reports; SIGTERM stops a run as Ctrl-C does; a leftover whose owner still runs is kept;
//! snapshots started in the same second all succeed.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use prisma_guard::owner::{Owner, host};

use crate::support::project::Run;
use crate::support::{TempProject, TestDb};

mod role;
use role::OwnRole;

/// A table of about 100 MB of CSV, so that a snapshot of it takes a few seconds.
const BIG_TABLE: &str = "CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 8) AS pad \
                         FROM generate_series(1, 400000) g";

/// Starts the binary with `DATABASE_URL` set to `url`, without a terminal, its output piped.
fn spawn(project: &TempProject, url: &str, args: &[&str]) -> Child {
    project
        .command(args, &[("DATABASE_URL", url)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends `signal` (`-9`, `-TERM`) to `child`.
fn kill(child: &Child, signal: &str) {
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

/// Waits until `ready` holds (polling), panicking after a minute with `what`.
async fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A hidden folder with a data file being written: `folder` itself for a `.tmp-*` one, or a
/// `.tmp-*` inside it (a replay's).
fn writing_data(folder: &camino::Utf8Path) -> bool {
    let has_data = |dir: &camino::Utf8Path| {
        dir.join("data")
            .read_dir_utf8()
            .is_ok_and(|mut d| d.next().is_some())
    };
    has_data(folder)
        || folder.read_dir_utf8().is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.file_name().starts_with(".tmp-") && has_data(e.path()))
        })
}

/// The store's hidden folders whose name starts with `prefix`.
fn hidden(project: &TempProject, prefix: &str) -> Vec<String> {
    project
        .leftovers()
        .into_iter()
        .filter(|name| name.starts_with(prefix))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_snapshot_leaves_a_folder_the_next_snapshot_removes() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute(BIG_TABLE).await;
    let child = spawn(&project, &db.url(), &["snapshot", "--jobs", "1"]);
    wait_for("the snapshot to write its data file", || {
        hidden(&project, ".tmp-")
            .iter()
            .any(|tmp| writing_data(&project.backups_dir().join(tmp)))
    })
    .await;
    kill(&child, "-9");
    child.wait_with_output().unwrap();
    let left = hidden(&project, ".tmp-");
    assert_eq!(left.len(), 1, "kill -9 leaves the folder: {left:?}");
    let pid = child_pid_in(&left[0]);

    let run = project.xtask(&db, &["snapshot"]);
    run.assert_code(0);
    let stderr = run.stderr();
    assert!(
        stderr.contains("removed 1 leftover of an interrupted run")
            && stderr.contains(&format!("temporary snapshot folder {}", left[0])),
        "{stderr}"
    );
    assert!(left[0].starts_with(&format!(".tmp-{pid}-")));
    assert!(project.leftovers().is_empty(), "{:?}", project.leftovers());
    assert_eq!(project.snapshots().len(), 1);
}

/// The pid a hidden folder's name records (`.tmp-<pid>-…`).
fn child_pid_in(name: &str) -> u32 {
    let rest = name.split_once('-').expect("a prefix").1;
    rest.split('-').next().unwrap().parse().expect("a pid")
}

/// Sends `signal` to a snapshot writing its data file; it must exit with `code`, name the
/// signal and keep nothing.
async fn stop_a_snapshot_with(signal: &str, code: i32, name: &str) {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute(BIG_TABLE).await;
    let child = spawn(&project, &db.url(), &["snapshot", "--jobs", "1"]);
    wait_for("the snapshot to write its data file", || {
        hidden(&project, ".tmp-")
            .iter()
            .any(|tmp| writing_data(&project.backups_dir().join(tmp)))
    })
    .await;
    kill(&child, signal);
    let run = Run(child.wait_with_output().unwrap());
    run.assert_code(code);
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!(
            "error: interrupted by {name}; nothing unfinished was kept"
        )),
        "{stderr}"
    );
    assert!(project.snapshots().is_empty());
    assert!(project.leftovers().is_empty(), "{:?}", project.leftovers());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_snapshot_with_143_and_keeps_nothing() {
    stop_a_snapshot_with("-TERM", 143, "SIGTERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_stops_a_snapshot_with_129_and_keeps_nothing() {
    stop_a_snapshot_with("-HUP", 129, "SIGHUP").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leftover_whose_owner_still_runs_is_kept() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
        .await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    // Named after this test process, which is running: as if a snapshot were being written.
    let me = Owner::current();
    assert_ne!(me.start, 0, "the start time of a process can be read here");
    let recycled = Owner {
        start: me.start + 1,
        ..me
    };
    let store = project.backups_dir();
    let live = [
        format!(".tmp-{}-2026-01-01T00-00-00Z-manual", me.tag()),
        format!(".replay-{}-AbCdEf", me.tag()),
    ];
    // The same pid with another start time: the pid was recycled, its owner is gone.
    let gone = format!(".tmp-{}-2026-01-01T00-00-00Z-manual", recycled.tag());
    for name in live.iter().chain([&gone]) {
        std::fs::create_dir(store.join(name)).unwrap();
        std::fs::write(store.join(name).join("f"), "x").unwrap();
    }
    // Not ours: kept whatever its name.
    std::fs::create_dir(store.join(".tmp-x")).unwrap();

    let run = project.xtask(&db, &["prune", "--dry-run"]);
    run.assert_code(0);
    assert!(
        run.stderr().contains(&format!(
            "would remove 1 leftover of an interrupted run (its process has ended): \
             temporary snapshot folder {gone}"
        )),
        "{}",
        run.stderr()
    );
    assert!(store.join(&gone).is_dir(), "a dry run removes nothing");

    let run = project.xtask(&db, &["snapshot"]);
    run.assert_code(0);
    assert!(
        run.stderr()
            .contains(&format!("temporary snapshot folder {gone}")),
        "{}",
        run.stderr()
    );
    let mut left = project.leftovers();
    left.sort();
    let mut expected = vec![live[0].clone(), live[1].clone(), ".tmp-x".to_string()];
    expected.sort();
    assert_eq!(left, expected);
    let run = project.xtask(&db, &["prune"]);
    run.assert_code(0);
    assert!(!run.stderr().contains("leftover"), "{}", run.stderr());
    assert_eq!(project.leftovers().len(), 3);
    assert_eq!(project.snapshots().len(), 2);
    // Host must not be empty: scratch databases record it.
    assert_eq!(host().len(), 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_snapshots_in_the_same_second_all_succeed() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute(
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000)",
    )
    .await;
    let children: Vec<Child> = (0..4)
        .map(|_| spawn(&project, &db.url(), &["snapshot"]))
        .collect();
    for child in children {
        Run(child.wait_with_output().unwrap()).assert_code(0);
    }
    let snapshots = project.snapshots();
    let mut ids: Vec<String> = snapshots.iter().map(|s| s.manifest.id.clone()).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    for snapshot in &snapshots {
        // Each folder's manifest and sidecar name the id the folder got.
        assert_eq!(
            snapshot.path.file_name(),
            Some(snapshot.manifest.id.as_str())
        );
        let sidecar = snapshot.sidecar.as_ref().expect("a sidecar");
        assert_eq!(sidecar.snapshot_id, snapshot.manifest.id);
    }
    let times: Vec<_> = snapshots.iter().map(|s| s.manifest.created_at).collect();
    assert!(times.is_sorted(), "listed oldest first: {times:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "distinct ids: {ids:?}");
    assert!(project.leftovers().is_empty(), "{:?}", project.leftovers());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_migrate_apply_still_applies_when_its_snapshot_name_is_taken() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    // Folders (not snapshots) named as every pre-migrate snapshot of the next half minute
    // would be: the snapshot must take the name with `-2`.
    let store = project.backups_dir();
    let now = chrono::Utc::now();
    for second in -1..30 {
        let time = now + chrono::Duration::seconds(second);
        let name = format!("{}-pre-migrate", time.format("%Y-%m-%dT%H-%M-%SZ"));
        std::fs::create_dir_all(store.join(&name)).unwrap();
        std::fs::write(store.join(&name).join("notes.txt"), "not a snapshot").unwrap();
    }
    let run = project.xtask(
        &db,
        &["pre-migrate", "--apply", "--migrate-command", "builtin"],
    );
    run.assert_code(0);
    let snapshots = project.snapshots();
    assert_eq!(snapshots.len(), 1);
    let id = &snapshots[0].manifest.id;
    assert!(id.ends_with("-pre-migrate-2"), "{id}");
    assert!(run.stdout().contains(id.as_str()), "{}", run.stdout());
    assert_eq!(snapshots[0].sidecar.as_ref().unwrap().snapshot_id, *id);
    let applied: i64 = db
        .scalar("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")
        .await;
    assert_eq!(
        applied,
        project.migrations().len() as i64,
        "{}",
        run.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_replay_leaves_what_the_next_prune_and_restore_remove() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    // Replayed after the fixture's: a large table with a key, so that streaming its rows from
    // the scratch database into the target (all conflicts there) takes a few seconds.
    project.add_migration(
        "20240701000000_big",
        "CREATE TABLE \"Big\" (id INTEGER PRIMARY KEY, pad TEXT NOT NULL); \
         INSERT INTO \"Big\" SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 400000) g;",
    );
    db.deploy(&project.migrations(), 8).await;
    let role = OwnRole::new(&db).await;

    let child = spawn(&project, &role.url, &["restore", &id, "--yes"]);
    let pid = child.id();
    // The hidden folder appears once the scratch database is migrated, as the restore begins
    // to stream from it.
    wait_for("the replay to migrate the scratch database", || {
        !hidden(&project, ".replay-").is_empty()
    })
    .await;
    kill(&child, "-9");
    child.wait_with_output().unwrap();
    let replay_folders = hidden(&project, ".replay-");
    assert_eq!(replay_folders.len(), 1, "kill -9 leaves the folder");
    assert!(replay_folders[0].starts_with(&format!(".replay-{pid}-")));
    let scratch = role.scratch_databases().await;
    assert_eq!(scratch.len(), 1, "kill -9 leaves the scratch database");
    assert!(
        scratch[0].starts_with(&format!("prisma_guard_scratch_{pid}_")),
        "{scratch:?}"
    );

    // prune does not connect: it removes the folder only.
    let run = project.xtask(&db, &["prune"]);
    run.assert_code(0);
    assert!(
        run.stderr()
            .contains(&format!("replay folder {}", replay_folders[0])),
        "{}",
        run.stderr()
    );
    assert!(project.leftovers().is_empty(), "{:?}", project.leftovers());
    assert_eq!(role.scratch_databases().await, scratch);

    // Beside it: scratch databases of a live owner (this test process), of a recycled pid, of
    // another host, and of an older version (no comment, its process gone).
    let me = Owner::current();
    let recycled = Owner {
        start: me.start + 1,
        ..me
    };
    let uuid = |n: u32| format!("{n:032x}");
    let comment = |owner: &Owner, host: &str| {
        format!(
            "prisma-guard scratch database; owner {} on {host}",
            owner.tag()
        )
    };
    let live = format!("prisma_guard_scratch_{}_{}", me.pid, uuid(1));
    let dead = format!("prisma_guard_scratch_{}_{}", me.pid, uuid(2));
    let elsewhere = format!("prisma_guard_scratch_{}_{}", pid, uuid(3));
    let legacy = format!("xtask_scratch_{}_{}", pid, uuid(4));
    role.fake_scratch(&live, Some(&comment(&me, host()))).await;
    role.fake_scratch(&dead, Some(&comment(&recycled, host())))
        .await;
    role.fake_scratch(
        &elsewhere,
        Some(&comment(&Owner { pid, start: 1 }, "0123456789abcdef")),
    )
    .await;
    role.fake_scratch(&legacy, None).await;

    // The next restore, which connects, drops those whose owner is gone.
    let run = project.xtask_with_env(
        &["restore", &id, "--yes", "--dry-run", "--strategy", "map"],
        &[("DATABASE_URL", &role.url)],
    );
    run.assert_code(0);
    let stderr = run.stderr();
    assert!(
        stderr.contains("removed 3 leftovers of interrupted runs"),
        "{stderr}"
    );
    for gone in [&scratch[0], &dead, &legacy] {
        assert!(
            stderr.contains(&format!("scratch database {gone}")),
            "{gone}: {stderr}"
        );
    }
    let mut kept = vec![live.clone(), elsewhere.clone()];
    kept.sort();
    assert_eq!(role.scratch_databases().await, kept);
    role.drop_all().await;
}
