//! Snapshots: byte-identical data, one consistent view, the sidecar, verify, --if-changed, and
//! bad input that must leave nothing half-written.

use std::io::Read;

use futures_util::TryStreamExt;
use prisma_guard::migrations::StatusReport;
use prisma_guard::snapshot::{self, NoProgress, SnapshotOptions};

use crate::support::project::SEEDED;
use crate::support::{TempProject, TestDb};

async fn status(project: &TempProject, db: &TestDb) -> StatusReport {
    let mut conn = db.connect().await;
    prisma_guard::migrations::status(&mut conn, &project.migrations_dir(), "public")
        .await
        .unwrap()
}

async fn take(project: &TempProject, db: &TestDb, options: &SnapshotOptions) -> snapshot::Manifest {
    let status = status(project, db).await;
    snapshot::take(
        db.database_url(),
        &project.backups_dir(),
        &status,
        options,
        &NoProgress,
    )
    .await
    .expect("taking a snapshot")
}

fn decompress(path: &camino::Utf8Path) -> Vec<u8> {
    let mut out = Vec::new();
    zstd::Decoder::new(std::fs::File::open(path).unwrap())
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

async fn copy_out(db: &TestDb, table: &str) -> Vec<u8> {
    let mut conn = db.connect().await;
    let sql = format!("COPY {table} TO STDOUT (FORMAT csv, HEADER)");
    let chunks: Vec<_> = conn
        .copy_out_raw(&sql)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    chunks.concat()
}

#[tokio::test]
async fn every_table_round_trips_byte_identical() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let manifest = take(
        &project,
        &db,
        &SnapshotOptions::new("manual", &project.root),
    )
    .await;
    let names: Vec<&str> = manifest.tables.iter().map(|t| t.name.as_str()).collect();
    let mut expected = SEEDED.to_vec();
    expected.push("_prisma_migrations");
    assert_eq!(names, expected);
    let dir = project.backups_dir().join(&manifest.id);
    for table in &manifest.tables {
        let ours = decompress(&dir.join(&table.file));
        let fresh = copy_out(&db, &prisma_guard::sql::qualified("public", &table.name)).await;
        assert!(ours == fresh, "{} differs from a fresh COPY", table.name);
        let count: i64 = db
            .scalar(&format!(
                "SELECT count(*) FROM {}",
                prisma_guard::sql::qualified("public", &table.name)
            ))
            .await;
        assert_eq!(
            table.rows, count as u64,
            "{}: rows in the manifest",
            table.name
        );
    }
    assert_eq!(manifest.table("User").unwrap().rows, 6);
    assert_eq!(manifest.table("PageView").unwrap().rows, 10);
    assert_eq!(manifest.table("_prisma_migrations").unwrap().rows, 4);
    let user = manifest.table("User").unwrap();
    assert_eq!(user.primary_key, ["id"]);
    let created = user.columns.iter().find(|c| c.name == "createdAt").unwrap();
    assert_eq!(created.data_type, "timestamp(3) without time zone");
    assert_eq!(created.default.as_deref(), Some("CURRENT_TIMESTAMP"));
    assert!(!created.nullable);
    assert_eq!(manifest.database.schema, "public");
    assert!(!manifest.database.url.contains("password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_consistent_view_while_rows_are_inserted() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute(
        "CREATE TABLE parent (id bigint PRIMARY KEY, pad text);
         CREATE TABLE child (id bigserial PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parent(id));
         CREATE TABLE filler (id bigint, pad text);
         INSERT INTO parent SELECT g, repeat('p', 200) FROM generate_series(1, 150000) g;
         INSERT INTO filler SELECT g, repeat('f', 200) FROM generate_series(1, 150000) g;",
    )
    .await;
    let writer_db = db.database_url().clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer_stop = stop.clone();
    // The writer runs on its own thread and runtime, inserting parent+child pairs, each pair
    // in one transaction.
    let writer = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut conn = writer_db.connect().await.unwrap();
            let mut next = 1_000_000i64;
            while !writer_stop.load(std::sync::atomic::Ordering::Relaxed) {
                let sql = format!(
                    "BEGIN; INSERT INTO parent VALUES ({next}, 'new'); INSERT INTO child (parent_id) VALUES ({next}); COMMIT;"
                );
                sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
                next += 1;
            }
            next - 1_000_000
        })
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    for jobs in [1, 2] {
        let mut options = SnapshotOptions::new("manual", &project.root);
        options.jobs = jobs;
        let manifest = take(&project, &db, &options).await;
        let dir = project.backups_dir().join(&manifest.id);
        let parents = String::from_utf8(decompress(
            &dir.join(&manifest.table("parent").unwrap().file),
        ))
        .unwrap();
        let children = String::from_utf8(decompress(
            &dir.join(&manifest.table("child").unwrap().file),
        ))
        .unwrap();
        let parent_ids: std::collections::HashSet<&str> = parents
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        let orphans = children
            .lines()
            .skip(1)
            .filter(|l| !parent_ids.contains(l.split(',').nth(1).unwrap()))
            .count();
        assert_eq!(
            orphans, 0,
            "jobs {jobs}: children without their parent in the snapshot"
        );
        assert!(
            manifest.table("child").unwrap().rows > 0,
            "the writer was inserting during the snapshot"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(writer.join().unwrap() > 0);
}

#[tokio::test]
async fn sidecar_records_migrations_and_git() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&project.root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q", "-b", "feature/images"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "start",
    ]);
    let commit = git(&["rev-parse", "HEAD"]);

    let run = project.xtask(&db, &["pre-migrate"]);
    run.assert_code(0);
    let stored = project.snapshots().pop().expect("a snapshot");
    let sidecar = stored.sidecar.expect("a sidecar");
    assert_eq!(sidecar.reason, "pre-migrate");
    assert_eq!(sidecar.command, "cargo xtask pre-migrate");
    let names = |list: &[snapshot::sidecar::MigrationRecord]| {
        list.iter().map(|m| m.name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        names(&sidecar.applied),
        (0..4)
            .map(|i| project.migration_name(i))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        names(&sidecar.pending),
        (4..7)
            .map(|i| project.migration_name(i))
            .collect::<Vec<_>>()
    );
    assert!(
        sidecar
            .applied
            .iter()
            .all(|m| m.finished_at.is_some() && m.checksum == m.local_checksum)
    );
    assert!(
        sidecar
            .pending
            .iter()
            .all(|m| m.checksum.is_none() && m.local_checksum.is_some())
    );
    assert!(
        sidecar.failed.is_empty()
            && sidecar.edited.is_empty()
            && sidecar.missing_locally.is_empty()
    );
    let git_info = sidecar.git.expect("git fields inside a repository");
    assert_eq!(git_info.branch, "feature/images");
    assert_eq!(git_info.commit, commit);
    assert!(git_info.dirty, "the copied fixture is untracked");

    // Files and folders are the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &camino::Utf8Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&stored.path), 0o700);
    assert_eq!(mode(&stored.path.join("manifest.json")), 0o600);
    assert_eq!(
        mode(&stored.path.join(&stored.manifest.tables[0].file)),
        0o600
    );
}

#[tokio::test]
async fn no_git_fields_outside_a_repository() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    if snapshot::sidecar::git_info(&project.root).is_some() {
        return; // the temp folder lies inside some repository on this machine
    }
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let sidecar = project.snapshots().pop().unwrap().sidecar.unwrap();
    assert!(sidecar.git.is_none());
}

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

#[tokio::test]
async fn awkward_table_names_and_selection() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute(
        "CREATE TABLE \"we\"\"ird näme 🚀\" (id int PRIMARY KEY, \"a b\" text);
         INSERT INTO \"we\"\"ird näme 🚀\" VALUES (1, 'x'), (2, NULL);
         CREATE TABLE \"a/../../escape\" (id int);
         CREATE VIEW v AS SELECT 1 AS one;",
    )
    .await;
    let manifest = take(
        &project,
        &db,
        &SnapshotOptions::new("manual", &project.root),
    )
    .await;
    let names: Vec<&str> = manifest.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["a/../../escape", "we\"ird näme 🚀"],
        "views are skipped"
    );
    let weird = manifest.table("we\"ird näme 🚀").unwrap();
    assert_eq!(weird.rows, 2);
    assert_eq!(weird.file, "data/public.we%22ird näme %F0%9F%9A%80.csv.zst");
    assert_eq!(
        manifest.table("a/../../escape").unwrap().file,
        "data/public.a%2F%2E%2E%2F%2E%2E%2Fescape.csv.zst"
    );
    let stored = project.snapshots().pop().unwrap();
    assert!(snapshot::verify(&stored).ok());

    let mut options = SnapshotOptions::new("manual", &project.root);
    options.exclude = vec!["a/../../escape".into()];
    let manifest = take(&project, &db, &options).await;
    assert_eq!(manifest.tables.len(), 1);
    options.exclude = vec!["Nope".into()];
    let status = status(&project, &db).await;
    let error = snapshot::take(
        db.database_url(),
        &project.backups_dir(),
        &status,
        &options,
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert_eq!(error.to_string(), "no table Nope in schema public");
}

#[tokio::test]
async fn empty_database_gives_an_empty_snapshot() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let run = project.xtask(&db, &["snapshot"]);
    run.assert_code(0);
    assert!(
        run.stdout().contains(": 0 tables, 0 rows"),
        "{}",
        run.stdout()
    );
    let stored = project.snapshots().pop().unwrap();
    assert!(
        stored.sidecar.unwrap().pending.len() == 7,
        "never migrated: everything pending"
    );
}

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
        stderr.contains("error: reading table \"public\".\"big\""),
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

#[tokio::test]
async fn upload_folders_are_archived() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    project.seeded(&db).await;
    let uploads = project.root.join("public/uploads/2024");
    std::fs::create_dir_all(&uploads).unwrap();
    std::fs::write(uploads.join("cat.png"), b"\x89PNG fake").unwrap();
    std::fs::write(project.root.join("public/uploads/dog.jpg"), b"jpeg").unwrap();
    std::fs::write(
        project.root.join("Cargo.toml"),
        "[workspace]\n\n[workspace.metadata.prisma-guard]\nfiles.images = [\"public/uploads\"]\n",
    )
    .unwrap();
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let stored = project.snapshots().pop().unwrap();
    let archive = &stored.manifest.files[0];
    assert_eq!(archive.group, "images");
    assert_eq!(archive.file, "files/images.tar.zst");
    assert_eq!(archive.entries, 2);
    let bytes = std::fs::read(stored.path.join(&archive.file)).unwrap();
    assert_eq!(
        archive.sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
    );
    let mut tar = tar::Archive::new(zstd::Decoder::new(&bytes[..]).unwrap());
    let mut names: Vec<String> = tar
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.header().entry_type().is_file())
        .map(|e| e.path().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["public/uploads/2024/cat.png", "public/uploads/dog.jpg"]
    );

    std::fs::write(stored.path.join(&archive.file), b"tampered").unwrap();
    let run = project.xtask(&db, &["snapshots", "verify", &stored.manifest.id]);
    run.assert_code(1);
    assert!(
        run.stdout()
            .contains("files/images.tar.zst: size or sha256 differs"),
        "{}",
        run.stdout()
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

/// Peak resident memory (VmHWM) of a child process, sampled until it exits, in KiB.
fn peak_rss_kib(mut child: std::process::Child) -> (std::process::ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[tokio::test]
async fn memory_stays_flat_as_tables_grow() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let mut peaks = Vec::new();
    for rows in [200_000, 1_200_000] {
        db.execute(&format!(
            "DROP TABLE IF EXISTS events; CREATE TABLE events AS
             SELECT g AS id, md5(g::text) AS payload, now() AS at FROM generate_series(1, {rows}) g"
        ))
        .await;
        let child = project
            .command(&["snapshot", "--jobs", "1"], &[("DATABASE_URL", &db.url())])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let (status, peak) = peak_rss_kib(child);
        assert!(status.success());
        assert_eq!(
            project
                .snapshots()
                .pop()
                .unwrap()
                .manifest
                .table("events")
                .unwrap()
                .rows,
            rows
        );
        peaks.push(peak);
    }
    // 6x the rows (about 85 MB of CSV at the larger size) may not cost more than a few MiB.
    assert!(
        peaks[1] < peaks[0] + 8 * 1024,
        "peak RSS grew with the table: {} KiB at 200k rows, {} KiB at 1.2M rows",
        peaks[0],
        peaks[1]
    );
    eprintln!(
        "peak RSS: {} KiB at 200k rows, {} KiB at 1.2M rows",
        peaks[0], peaks[1]
    );
}
