//! The benchmark's data generator (deterministic, Prisma-shaped) and `cargo xtask bench` at a
//! tiny scale.

use camino::Utf8PathBuf;
use xtask::bench::generate::{self, Counts, TABLES};

use crate::support::{TempProject, TestDb};

#[tokio::test]
async fn generator_is_deterministic_and_prisma_shaped() {
    let temp = tempfile::tempdir().unwrap();
    let migrations = Utf8PathBuf::from_path_buf(temp.path().join("migrations")).unwrap();
    generate::write_migrations(&migrations).unwrap();
    assert!(migrations.join("migration_lock.toml").is_file());

    let scale = 0.001;
    let (first, second) = (TestDb::new().await, TestDb::new().await);
    let counts = generate::generate(first.database_url(), &migrations, scale)
        .await
        .unwrap();
    generate::generate(second.database_url(), &migrations, scale)
        .await
        .unwrap();
    assert_eq!(counts, Counts::at(scale));

    // Row counts per table as the scale says; `_prisma_migrations` as the built-in deploy left it.
    let rows = first.row_counts("public").await;
    for table in TABLES {
        assert_eq!(rows[*table], counts.of(table).unwrap(), "{table}");
    }
    let applied: i64 = first
        .scalar("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND length(checksum) = 64")
        .await;
    assert_eq!(applied, generate::MIGRATIONS.len() as i64);

    // Prisma's shapes: the implicit m2m table and its unique index, the self-reference in use,
    // foreign keys in place (so every inserted row satisfied them).
    let unique: bool = first
        .scalar("SELECT indisunique FROM pg_index WHERE indexrelid = '\"_PostToTag_AB_unique\"'::regclass")
        .await;
    assert!(unique);
    let foreign_keys: i64 = first
        .scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace")
        .await;
    assert_eq!(foreign_keys, 8);
    let replies: i64 = first
        .scalar("SELECT count(*) FROM \"Comment\" c JOIN \"Comment\" p ON p.id = c.\"parentId\"")
        .await;
    assert!(replies > 0);
    let images_compress: bool = first
        .scalar("SELECT bool_and(length(data) > 3000) FROM \"Image\"")
        .await;
    assert!(images_compress);

    // Same scale, same rows: equal digests; and the digest sees a one-value change.
    let a = generate::digests(first.database_url()).await.unwrap();
    let b = generate::digests(second.database_url()).await.unwrap();
    assert_eq!(a.len(), TABLES.len());
    assert_eq!(generate::first_difference(&a, &b), None);
    second
        .execute("UPDATE \"Post\" SET \"rating\" = 1.23 WHERE id = 2")
        .await;
    let changed = generate::digests(second.database_url()).await.unwrap();
    assert_eq!(
        generate::first_difference(&a, &changed).as_deref(),
        Some("Post: same row count, different content")
    );
}

#[test]
fn bench_runs_at_a_tiny_scale_and_prints_ratios() {
    let project = TempProject::new();
    let run = project.xtask_with_env(&["bench", "--scale", "0.001", "--runs", "1"], &[]);
    run.assert_code(0);
    let stdout = run.stdout();
    for line in [
        "snapshot (ours)",
        "pg_dump -Fc --data-only",
        "pg_dump -Fd -j 2 --data-only",
        "COPY read floor",
        "restore (ours)",
        "pg_restore --data-only",
        "status (600 migrations)",
        "pre-migrate --hook pre-push",
        "predict (1 pending migration)",
        "predict wall / pg_restore --data-only wall",
        "rollback (ours, 2 migrations undone)",
        "pg_restore (full, into an empty database)",
        "pg_restore --clean (full, into the migrated data)",
        "rollback wall / full pg_restore wall",
        "rollback wall / pg_restore --clean into the same database",
        "snapshot wall / pg_dump -Fc wall",
        "snapshot size / pg_dump -Fc size",
        "restore wall / pg_restore --data-only wall",
        "snapshot peak RSS, MiB",
        "status wall, ms",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert!(stdout.contains("met"), "{stdout}");
    assert!(
        run.stderr().contains("NOT OPTIMIZED"),
        "a debug build warns loudly"
    );
    assert!(!project.backups_dir().exists());
}
