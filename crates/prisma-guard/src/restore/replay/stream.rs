//! Step 4 of a replay, streamed: the manifest of the migrated scratch database ([`manifest`]),
//! whose tables the restore then reads straight from that database (see
//! [`crate::restore::execute::StreamRegistration`]) instead of from a snapshot written and read
//! back, and what keeps the scratch database alive until the restore is done ([`Streamed`]).

use chrono::Utc;
use sqlx::PgConnection;

use super::ScratchDatabase;
use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::migrations::table::TABLE_NAME;
use crate::restore::RestoreError;
use crate::restore::execute::StreamRegistration;
use crate::snapshot::manifest::{self, DatabaseInfo, FORMAT_VERSION, Manifest, TableEntry};

/// What a streamed replay holds while its snapshot is in use, released in this order when the
/// last [`super::Replayed`] clone is dropped (after the restore, on an error, on Ctrl-C): the
/// registration (no more reads), the scratch database (dropped), the hidden folder (removed).
#[derive(Debug)]
pub(super) struct Streamed {
    pub(super) _registration: StreamRegistration,
    pub(super) _scratch: ScratchDatabase,
    pub(super) _folder: tempfile::TempDir,
}

/// The manifest of the replayed data in `url`'s working schema (read on `conn`, which must not
/// be in a transaction that hides the migrations' work): every table but `_prisma_migrations`
/// and `missing`, with its columns in catalog order (the order a snapshot writes), its primary
/// key and its exact row count (`count(*)`: nothing writes to the scratch database any more, so
/// the count is what the COPY will read). The data file names are a snapshot's, but no file is
/// written: sizes and hashes are empty. `files` and `buckets` are the original's.
///
/// Errors: [`RestoreError::Database`] naming what was read.
pub(super) async fn manifest(
    conn: &mut PgConnection,
    url: &DatabaseUrl,
    original: &Manifest,
    missing: &[String],
) -> Result<Manifest, RestoreError> {
    let schema = url.schema();
    let tables = crate::catalog::tables(conn, schema)
        .await
        .map_err(QueryError::at("reading the replayed catalog"))?;
    let mut entries = Vec::new();
    for table in tables
        .into_iter()
        .filter(|t| t.name != TABLE_NAME && !missing.contains(&t.name))
    {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", table.qualified()))
            .fetch_one(&mut *conn)
            .await
            .map_err(QueryError::at(format!(
                "counting the replayed rows of {}",
                table.name
            )))?;
        entries.push(TableEntry {
            file: manifest::data_file(&table.schema, &table.name),
            schema: table.schema,
            name: table.name,
            columns: table.columns,
            primary_key: table.primary_key,
            rows: u64::try_from(rows).unwrap_or_default(),
            bytes: 0,
            sha256: String::new(),
            content_sha256: String::new(),
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let server_version = crate::catalog::server_version(conn)
        .await
        .map_err(QueryError::at("reading the server version"))?;
    let created_at = Utc::now();
    Ok(Manifest {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        id: format!("{}-replayed", original.id),
        created_at,
        reason: "replay".into(),
        tag: None,
        keep: false,
        database: DatabaseInfo {
            url: url.redacted(),
            server_version,
            name: url.database_name(),
            schema: schema.to_string(),
        },
        tables: entries,
        files: original.files.clone(),
        buckets: original.buckets.clone(),
        fingerprint: String::new(),
    })
}
