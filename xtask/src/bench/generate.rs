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

use camino::Utf8Path;
use sqlx::PgConnection;

use super::BenchError;
use prisma_guard::catalog;
use prisma_guard::database::DatabaseUrl;
use prisma_guard::migrations::{self, DeployOptions};
use prisma_guard::sql::quote_ident;

/// The embedded migrations folder: `(folder name, migration.sql)`, in order.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20240101000000_init",
        include_str!("migrations/20240101000000_init/migration.sql"),
    ),
    (
        "20240301000000_audit_log",
        include_str!("migrations/20240301000000_audit_log/migration.sql"),
    ),
];

/// Prisma's `migration_lock.toml` for the folder.
pub const MIGRATION_LOCK: &str = include_str!("migrations/migration_lock.toml");

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
    migrations::deploy(
        &mut conn,
        url.schema(),
        &local,
        DeployOptions { first: None },
    )
    .await?;
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

/// The deterministic text corpus: ASCII words made of syllables, with punctuation, `len` bytes.
/// Larger than zstd's window at scale 1 (16 MiB) so that text compresses as prose does, not as
/// one repeated paragraph.
pub fn corpus(len: usize) -> Vec<u8> {
    const SYLLABLES: &[&str] = &[
        "ka", "lo", "mi", "ten", "ra", "sol", "ve", "dur", "an", "po", "li", "ster", "ma", "qui",
        "nor", "be", "tra", "el", "fi", "gon", "ux", "ha", "pre", "zo", "con", "di", "vin", "ar",
        "mus", "ot", "sen", "ply",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let words: Vec<String> = (0..4096)
        .map(|_| {
            let syllables = 1 + next() % 4;
            (0..syllables)
                .map(|_| SYLLABLES[(next() % SYLLABLES.len() as u64) as usize])
                .collect()
        })
        .collect();
    let mut text = Vec::with_capacity(len + 64);
    let mut in_sentence = 0;
    while text.len() < len {
        // Skewed towards the first words, as word frequencies are.
        let r = next();
        let index = ((r % 4096) * ((r >> 20) % 4096) / 4096) as usize;
        let word = words[index].as_bytes();
        if in_sentence == 0 {
            text.push(word[0].to_ascii_uppercase());
            text.extend_from_slice(&word[1..]);
        } else {
            text.extend_from_slice(word);
        }
        in_sentence += 1;
        let r = next() % 16;
        if in_sentence > 4 && r == 0 {
            text.extend_from_slice(b". ");
            in_sentence = 0;
        } else if r == 1 {
            text.extend_from_slice(b", ");
        } else {
            text.push(b' ');
        }
    }
    text.truncate(len);
    text
}

/// A pseudo-random offset into the corpus for row `g` (SQL expression), leaving `room` bytes.
fn offset(salt: u64, corpus_len: usize, room: usize) -> String {
    format!(
        "((g::bigint * 2654435761 + {salt}) % {})::int + 1",
        corpus_len - room
    )
}

/// A corpus slice of `len` (SQL expression, evaluated per row) as text.
fn words(salt: u64, corpus_len: usize, len: &str) -> String {
    format!(
        "convert_from(substring($1 from {} for {len}), 'UTF8')",
        offset(salt, corpus_len, 2048)
    )
}

/// Fills the migrated, empty tables with `counts` rows (scale only sizes the corpus).
///
/// Errors: [`BenchError::Database`] naming the table.
pub async fn fill(conn: &mut PgConnection, counts: &Counts, scale: f64) -> Result<(), BenchError> {
    let corpus_len = ((16.0 * 1024.0 * 1024.0 * scale) as usize).clamp(64 * 1024, 16 << 20);
    let text = corpus(corpus_len);
    let Counts {
        users,
        tags,
        posts,
        images,
        comments,
        audit,
        ..
    } = *counts;
    let ts = |base: &str, step: &str| format!("timestamp '{base}' + g * interval '{step}'");
    let statements: Vec<(&str, String)> = vec![
        (
            "User",
            format!(
                r#"INSERT INTO "User" ("id", "email", "name", "role", "profile", "balance", "createdAt", "updatedAt")
SELECT g, 'user' || g || '@example.com',
  CASE WHEN g % 10 = 0 THEN NULL ELSE initcap({name}) END,
  (CASE WHEN g % 500 = 1 THEN 'ADMIN' WHEN g % 50 = 0 THEN 'EDITOR' ELSE 'USER' END)::"Role",
  CASE WHEN g % 4 = 0 THEN NULL ELSE jsonb_build_object('bio', {bio}, 'theme', (ARRAY['light', 'dark', 'system'])[1 + g % 3],
    'newsletter', g % 2 = 0, 'visits', g % 977) END,
  ((g::bigint * 7919) % 10000000) / 100.0,
  {created}, {created} + (g % 1000) * interval '1 minute'
FROM generate_series(1, {users}) g"#,
                name = words(11, corpus_len, "8 + g % 17"),
                bio = words(12, corpus_len, "20 + g % 120"),
                created = ts("2023-01-01", "13 seconds"),
            ),
        ),
        (
            "Tag",
            format!(
                r#"INSERT INTO "Tag" ("id", "name")
SELECT g, 'tag-' || g || '-' || substr(md5(g::text), 1, 6) FROM generate_series(1, {tags}) g"#
            ),
        ),
        (
            "Post",
            format!(
                r#"INSERT INTO "Post" ("id", "authorId", "title", "slug", "content", "status", "keywords", "metadata", "rating", "publishedAt", "createdAt", "updatedAt")
SELECT g, 1 + (g::bigint * 7919) % {users},
  initcap({title}),
  'post-' || g || '-' || substr(md5(g::text), 1, 8),
  {content},
  (ARRAY['DRAFT', 'PUBLISHED', 'ARCHIVED'])[1 + g % 3]::"PostStatus",
  CASE WHEN g % 5 = 0 THEN NULL ELSE ARRAY['topic' || g % 13, 'kw' || g % 101, substr(md5(g::text), 1, 6)] END,
  jsonb_build_object('views', (g::bigint * 31) % 100000, 'featured', g % 17 = 0,
    'lang', (ARRAY['en', 'de', 'fr', 'es'])[1 + g % 4], 'seo', jsonb_build_object('score', g % 100)),
  CASE WHEN g % 7 = 0 THEN NULL ELSE ((g::bigint * 13) % 500) / 100.0 END,
  CASE WHEN g % 3 = 1 THEN {published} END,
  {created}, {created} + (g % 5000) * interval '1 second'
FROM generate_series(1, {posts}) g"#,
                title = words(21, corpus_len, "20 + g % 40"),
                content = words(22, corpus_len, "500 + (g * 37) % 600"),
                published = ts("2023-02-01", "17 seconds"),
                created = ts("2023-01-15", "11 seconds"),
            ),
        ),
        (
            "Image",
            format!(
                r#"INSERT INTO "Image" ("id", "postId", "filename", "mimeType", "width", "height", "data", "createdAt")
SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + (g::bigint * 104729) % {posts} END,
  'img_' || g || '.webp', (ARRAY['image/webp', 'image/png', 'image/jpeg'])[1 + g % 3],
  320 + g % 1600, 240 + g % 900,
  (SELECT string_agg(sha256(int4send(g) || int4send(k)), ''::bytea ORDER BY k) FROM generate_series(1, 48) k)
    || decode(repeat(lpad(to_hex(g % 256), 2, '0') || 'ff00c0ffee', 500 + g % 300), 'hex'),
  {created}
FROM generate_series(1, {images}) g"#,
                created = ts("2023-03-01", "29 seconds"),
            ),
        ),
        (
            "Comment",
            format!(
                r#"INSERT INTO "Comment" ("id", "postId", "authorId", "parentId", "body", "createdAt")
SELECT g, 1 + (g::bigint * 7907) % {posts}, 1 + (g::bigint * 6007) % {users},
  CASE WHEN g % 3 = 0 OR g = 1 THEN NULL ELSE g - 1 - ((g::bigint * 7) % least(g - 1, 50))::int END,
  {body}, {created}
FROM generate_series(1, {comments}) g"#,
                body = words(31, corpus_len, "80 + (g * 53) % 320"),
                created = ts("2023-04-01", "7 seconds"),
            ),
        ),
        (
            "_PostToTag",
            format!(
                r#"INSERT INTO "_PostToTag" ("A", "B")
SELECT g, 1 + (g::bigint * 7 + k) % {tags} FROM generate_series(1, {posts}) g, generate_series(0, 2) k"#
            ),
        ),
        (
            "AuditLog",
            format!(
                r#"INSERT INTO "AuditLog" ("id", "userId", "action", "entity", "entityId", "payload", "ip", "createdAt")
SELECT g, CASE WHEN g % 20 = 0 THEN NULL ELSE 1 + (g::bigint * 5003) % {users} END,
  (ARRAY['create', 'update', 'delete', 'login', 'logout'])[1 + g % 5],
  (ARRAY['User', 'Post', 'Comment', 'Image'])[1 + g % 4],
  CASE WHEN g % 5 = 3 THEN NULL ELSE (g::bigint * 17) % 100000 END,
  jsonb_build_object('requestId', md5(g::text), 'changes', jsonb_build_object(
    'field', (ARRAY['title', 'content', 'status', 'role'])[1 + g % 4],
    'from', {from}, 'to', {to}), 'durationMs', (g::bigint * 7) % 5000),
  '10.' || g % 256 || '.' || (g / 256) % 256 || '.' || g % 251,
  {created}
FROM generate_series(1, {audit}) g"#,
                from = words(41, corpus_len, "10 + g % 30"),
                to = words(42, corpus_len, "10 + g % 40"),
                created = ts("2023-05-01", "3 seconds"),
            ),
        ),
    ];
    sqlx::raw_sql("SET synchronous_commit = off")
        .execute(&mut *conn)
        .await
        .map_err(BenchError::database("configuring the session"))?;
    for (table, sql) in statements {
        let query = sqlx::query(&sql);
        let query = if sql.contains("$1") {
            query.bind(text.as_slice())
        } else {
            query
        };
        query
            .execute(&mut *conn)
            .await
            .map_err(BenchError::database(&format!("filling table {table}")))?;
    }
    let mut tail = String::new();
    for table in TABLES.iter().filter(|t| **t != "_PostToTag") {
        let rows = counts.of(table).expect("a generated table");
        tail += &format!(
            "SELECT setval(pg_get_serial_sequence('{}', 'id'), {rows});\n",
            quote_ident(table)
        );
    }
    tail += "ANALYZE;";
    sqlx::raw_sql(&tail)
        .execute(&mut *conn)
        .await
        .map_err(BenchError::database("moving sequences and analyzing"))?;
    Ok(())
}

/// One table's content digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableDigest {
    /// The table's name.
    pub table: String,
    /// Its rows.
    pub rows: i64,
    /// `md5` over the `md5` of every row's text form, in primary-key order (all columns for a
    /// table without one); empty for an empty table.
    pub md5: String,
}

/// The digest of every table of `url`'s working schema but `_prisma_migrations`, by name: two
/// databases hold the same data exactly when their digests are equal.
///
/// Errors: [`BenchError::Connect`], [`BenchError::Database`] naming the table.
pub async fn digests(url: &DatabaseUrl) -> Result<Vec<TableDigest>, BenchError> {
    let mut conn = url.connect().await?;
    let tables = catalog::tables(&mut conn, url.schema())
        .await
        .map_err(BenchError::database("reading the catalog"))?;
    let mut digests = Vec::new();
    for table in tables
        .into_iter()
        .filter(|t| t.name != "_prisma_migrations")
    {
        let order: Vec<String> = if table.primary_key.is_empty() {
            table.columns.iter().map(|c| quote_ident(&c.name)).collect()
        } else {
            table.primary_key.iter().map(|c| quote_ident(c)).collect()
        };
        let order = order
            .iter()
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY {order})), '') FROM {} t",
            table.qualified()
        );
        let (rows, md5): (i64, String) =
            sqlx::query_as(&sql)
                .fetch_one(&mut conn)
                .await
                .map_err(BenchError::database(&format!(
                    "reading table {}",
                    table.name
                )))?;
        digests.push(TableDigest {
            table: table.name,
            rows,
            md5,
        });
    }
    digests.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(digests)
}

/// The first difference between two digest lists, as `table: what differs`, or `None`.
pub fn first_difference(expected: &[TableDigest], actual: &[TableDigest]) -> Option<String> {
    for want in expected {
        match actual.iter().find(|d| d.table == want.table) {
            None => return Some(format!("{}: table missing", want.table)),
            Some(got) if got.rows != want.rows => {
                return Some(format!(
                    "{}: {} rows, expected {}",
                    want.table, got.rows, want.rows
                ));
            }
            Some(got) if got.md5 != want.md5 => {
                return Some(format!("{}: same row count, different content", want.table));
            }
            Some(_) => {}
        }
    }
    actual
        .iter()
        .find(|d| !expected.iter().any(|e| e.table == d.table))
        .map(|d| format!("{}: unexpected table", d.table))
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

    #[test]
    fn corpus_is_deterministic_ascii() {
        let a = corpus(100_000);
        assert_eq!(a, corpus(100_000));
        assert_eq!(a.len(), 100_000);
        assert!(a.iter().all(|b| b.is_ascii() && *b != b'"' && *b != b'\''));
    }

    #[test]
    fn differences_are_named() {
        let d = |table: &str, rows, md5: &str| TableDigest {
            table: table.into(),
            rows,
            md5: md5.into(),
        };
        let base = vec![d("A", 1, "x"), d("B", 2, "y")];
        assert_eq!(first_difference(&base, &base), None);
        assert_eq!(
            first_difference(&base, &[d("A", 1, "x"), d("B", 2, "z")]).unwrap(),
            "B: same row count, different content"
        );
        assert!(first_difference(&base, &[d("A", 1, "x")]).is_some());
    }
}
