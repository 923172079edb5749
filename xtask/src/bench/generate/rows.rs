//! The generated rows: a deterministic word corpus, and the set-based `INSERT … SELECT … FROM
//! generate_series` statements that fill the migrated tables from it.

use sqlx::PgConnection;

use super::{Counts, TABLES};
use crate::bench::BenchError;
use prisma_guard::sql::quote_ident;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_deterministic_ascii() {
        let a = corpus(100_000);
        assert_eq!(a, corpus(100_000));
        assert_eq!(a.len(), 100_000);
        assert!(a.iter().all(|b| b.is_ascii() && *b != b'"' && *b != b'\''));
    }
}
