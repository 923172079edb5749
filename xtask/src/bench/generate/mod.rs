//! The benchmark's data generator: a Prisma-style database created deterministically at a scale
//! factor (1 ≈ 1M rows, ≈ 450 MiB on disk with indexes, 461 MiB of COPY text).
//!
//! The schema is a Prisma migrations folder embedded in this binary ([`MIGRATIONS`]), written out
//! with [`write_migrations`] and applied with the built-in deploy, so `_prisma_migrations` holds
//! real checksums. Seven tables: `User`, `Post`, `Image` (bytea: 1.5 KiB of SHA-256 output,
//! incompressible, plus 3–5 KiB of a repeating pattern), `Comment` (self-reference `parentId`),
//! `Tag`, Prisma's implicit many-to-many table `_PostToTag` (`"A"`, `"B"`, unique index) and
//! `AuditLog`; enums, jsonb, text[], numeric, timestamps, unique indexes and foreign keys as
//! Prisma creates them. Rows are filled with set-based `INSERT … SELECT … FROM generate_series`;
//! the text comes from a word corpus generated here from a fixed seed. The same scale gives the
//! same rows, byte for byte.
//!
//! Here the schema side: the migrations, the [`TABLES`] and their [`Counts`], and [`generate`];
//! the rows themselves ([`corpus`], [`fill`]) are in `rows.rs`, and the [`digests`] that compare
//! two databases' data in `digest.rs`.

mod digest;
mod rows;

pub use digest::{TableDigest, digests, first_difference};
pub use rows::{corpus, fill};

use camino::Utf8Path;

use super::BenchError;
use prisma_guard::database::DatabaseUrl;
use prisma_guard::migrations::{self, DeployOptions};

/// The embedded migrations folder: `(folder name, migration.sql)`, in order.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20240101000000_init",
        include_str!("../migrations/20240101000000_init/migration.sql"),
    ),
    (
        "20240301000000_audit_log",
        include_str!("../migrations/20240301000000_audit_log/migration.sql"),
    ),
];

/// Prisma's `migration_lock.toml` for the folder.
pub const MIGRATION_LOCK: &str = include_str!("../migrations/migration_lock.toml");

/// The tables the generator fills, in foreign-key order.
pub const TABLES: &[&str] = &[
    "User",
    "Tag",
    "Post",
    "Image",
    "Comment",
    "_PostToTag",
    "AuditLog",
];

/// Rows per table at a scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// `User` rows.
    pub users: i64,
    /// `Tag` rows (at least 10).
    pub tags: i64,
    /// `Post` rows.
    pub posts: i64,
    /// `Image` rows.
    pub images: i64,
    /// `Comment` rows.
    pub comments: i64,
    /// `_PostToTag` rows: 3 tags per post.
    pub post_tags: i64,
    /// `AuditLog` rows.
    pub audit: i64,
}

impl Counts {
    /// The rows at `scale` (1.0 = 1,001,000 rows in all); every table has at least one row.
    pub fn at(scale: f64) -> Counts {
        let n = |base: f64, min: i64| ((base * scale).round() as i64).max(min);
        let posts = n(100_000.0, 1);
        Counts {
            users: n(20_000.0, 1),
            tags: n(1_000.0, 10),
            posts,
            images: n(20_000.0, 1),
            comments: n(300_000.0, 1),
            post_tags: 3 * posts,
            audit: n(260_000.0, 1),
        }
    }

    /// Rows of `table` (one of [`TABLES`]), or `None` for another name.
    pub fn of(&self, table: &str) -> Option<i64> {
        Some(match table {
            "User" => self.users,
            "Tag" => self.tags,
            "Post" => self.posts,
            "Image" => self.images,
            "Comment" => self.comments,
            "_PostToTag" => self.post_tags,
            "AuditLog" => self.audit,
            _ => return None,
        })
    }

    /// All rows.
    pub fn total(&self) -> i64 {
        TABLES.iter().filter_map(|t| self.of(t)).sum()
    }
}

/// Writes the embedded migrations into `migrations_dir` (`<name>/migration.sql` and
/// `migration_lock.toml`), creating the folders.
///
/// Errors: [`BenchError::Io`] naming the path.
pub fn write_migrations(migrations_dir: &Utf8Path) -> Result<(), BenchError> {
    for (name, sql) in MIGRATIONS {
        let dir = migrations_dir.join(name);
        std::fs::create_dir_all(&dir).map_err(BenchError::io("creating", &dir))?;
        let path = dir.join("migration.sql");
        std::fs::write(&path, sql).map_err(BenchError::io("writing", &path))?;
    }
    let lock = migrations_dir.join("migration_lock.toml");
    std::fs::write(&lock, MIGRATION_LOCK).map_err(BenchError::io("writing", &lock))
}

/// Applies the migrations of `migrations_dir` to `url`'s working schema with the built-in deploy
/// (the schema as Prisma would create it, `_prisma_migrations` included), leaving it empty.
///
/// Errors: [`BenchError::Connect`], [`BenchError::Migrations`], [`BenchError::Deploy`].
pub async fn migrate(url: &DatabaseUrl, migrations_dir: &Utf8Path) -> Result<(), BenchError> {
    let local = migrations::read_folder(migrations_dir).map_err(BenchError::Migrations)?;
    let mut conn = url.connect().await?;
    migrations::deploy(&mut conn, url.schema(), &local, DeployOptions::default()).await?;
    Ok(())
}

/// Migrates the (empty) database of `url` with the folder of `migrations_dir` (see
/// [`write_migrations`]) and fills it at `scale`; then moves the sequences past the ids and runs
/// `ANALYZE`. Returns the rows per table. Takes about 10 s per unit of scale on 2 cores.
///
/// Errors: [`BenchError::Connect`], [`BenchError::Migrations`], [`BenchError::Deploy`],
/// [`BenchError::Database`] naming the table being filled.
pub async fn generate(
    url: &DatabaseUrl,
    migrations_dir: &Utf8Path,
    scale: f64,
) -> Result<Counts, BenchError> {
    migrate(url, migrations_dir).await?;
    let counts = Counts::at(scale);
    let mut conn = url.connect().await?;
    fill(&mut conn, &counts, scale).await?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_scale_and_have_floors() {
        let one = Counts::at(1.0);
        assert_eq!(one.total(), 1_001_000);
        let tiny = Counts::at(0.001);
        assert_eq!(tiny.users, 20);
        assert_eq!(tiny.tags, 10);
        assert_eq!(tiny.post_tags, 300);
        assert_eq!(Counts::at(0.0).posts, 1);
    }
}
