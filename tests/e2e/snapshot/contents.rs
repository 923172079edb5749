//! What a snapshot holds: every table byte-identical to a fresh COPY, one consistent view while
//! rows are inserted, awkward table names and `--exclude`, an empty database, upload folders.

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
