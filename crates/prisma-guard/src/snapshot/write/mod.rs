//! Taking a snapshot: one consistent read of every table, streamed through zstd to disk.
//!
//! All tables are read in `REPEATABLE READ, READ ONLY` transactions that share one snapshot:
//! the first connection exports it (`pg_export_snapshot()`), the others adopt it with
//! `SET TRANSACTION SNAPSHOT`, as `pg_dump -j` does. Each connection takes tables from a shared
//! queue, largest first. Each table's `COPY (SELECT …) TO STDOUT (FORMAT csv, HEADER)` stream is
//! handed in 1 MiB batches to a blocking thread that counts rows, hashes, compresses and
//! writes, so memory stays flat whatever the table size.
//!
//! Files: `options` ([`SnapshotOptions`], [`Progress`]), `read` (the connections sharing one
//! snapshot, and each table's `COPY`), `table_file` (the writer thread of one table's file),
//! `folder` (private files and folders, the temporary folder renamed into place).

mod folder;
mod options;
mod read;
mod table_file;

use std::collections::VecDeque;
use std::sync::Mutex;

use camino::Utf8Path;
use chrono::Utc;
use futures_util::{StreamExt, TryStreamExt, stream};
use sha2::{Digest, Sha256};

use super::manifest::{DatabaseInfo, FORMAT_VERSION, MANIFEST_FILE, Manifest, TableEntry};
use super::sidecar::{MigrationInfo, SIDECAR_FILE};
use super::{SnapshotError, archive};
use crate::catalog::{self, Table};
use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::migrations::StatusReport;
use folder::{TempDir, rewrite_json};
use read::{DumpContext, join_snapshot, worker};

pub(super) use folder::{create_dir_private, create_file_private};
pub use options::{NoProgress, Progress, SnapshotOptions};

/// Batch size handed from the COPY stream to the writer thread, in bytes.
const BATCH_BYTES: usize = 1 << 20;

/// Takes a snapshot of the working schema of `url` into `store` and returns its manifest.
///
/// `status` is the migration status at this moment, for the sidecar. The snapshot only reads:
/// every transaction is `READ ONLY`. On any error, or when the returned future is dropped
/// (Ctrl-C, SIGTERM), the temporary folder is removed and nothing is listed. Two snapshots
/// started in the same second both succeed, with distinct ids (`-2`, `-3`, ...).
/// Errors: [`SnapshotError::Connect`], [`SnapshotError::Database`] (naming the table),
/// [`SnapshotError::Io`] (naming the file: permission denied, disk full),
/// [`SnapshotError::UnknownTable`] for a `tables`/`exclude` name the schema lacks.
pub async fn take(
    url: &DatabaseUrl,
    store: &Utf8Path,
    status: &StatusReport,
    options: &SnapshotOptions,
    progress: &dyn Progress,
) -> Result<Manifest, SnapshotError> {
    let taken = write(
        url,
        store,
        status,
        options,
        progress,
        Unless::Fingerprint(None),
    )
    .await?;
    Ok(taken.expect("written unless equal to a given fingerprint"))
}

/// [`take`], unless the data equals the newest snapshot's: returns `Ok(None)` and keeps nothing
/// when the content fingerprints (every table's name, columns and CSV content) are equal. Never
/// skips on a guess: the data is read and hashed either way. The newest snapshot is looked up
/// under the store lock, so two runs at once never both keep a snapshot of the same data.
pub async fn take_if_changed(
    url: &DatabaseUrl,
    store: &Utf8Path,
    status: &StatusReport,
    options: &SnapshotOptions,
    progress: &dyn Progress,
) -> Result<Option<Manifest>, SnapshotError> {
    write(url, store, status, options, progress, Unless::Newest).await
}

/// [`take`], unless the data's content fingerprint equals `fingerprint` (that of a snapshot
/// the caller already holds): then `Ok(None)` and nothing is kept. `None` always takes one.
pub async fn take_unless(
    url: &DatabaseUrl,
    store: &Utf8Path,
    status: &StatusReport,
    options: &SnapshotOptions,
    progress: &dyn Progress,
    fingerprint: Option<&str>,
) -> Result<Option<Manifest>, SnapshotError> {
    write(
        url,
        store,
        status,
        options,
        progress,
        Unless::Fingerprint(fingerprint),
    )
    .await
}

/// When a snapshot whose data equals an existing one is not kept.
enum Unless<'a> {
    /// Equal to this fingerprint (`None`: always keep).
    Fingerprint(Option<&'a str>),
    /// Equal to the newest snapshot's in the store, looked up under the lock.
    Newest,
}

async fn write(
    url: &DatabaseUrl,
    store: &Utf8Path,
    status: &StatusReport,
    options: &SnapshotOptions,
    progress: &dyn Progress,
    unless: Unless<'_>,
) -> Result<Option<Manifest>, SnapshotError> {
    super::store::create(store)?;
    // One writer at a time (held until this returns; released on any exit, kill -9 included).
    let _lock = super::lock::StoreLock::acquire(
        store,
        &format!("taking a snapshot ({})", options.reason),
        super::lock::WAIT,
    )?;
    let newest = match unless {
        Unless::Newest => super::store::list(store)?
            .pop()
            .map(|s| s.manifest.fingerprint),
        Unless::Fingerprint(given) => given.map(str::to_string),
    };
    let unless_fingerprint = newest.as_deref();
    let created_at = Utc::now();
    let id = base_id(
        &created_at.format("%Y-%m-%dT%H-%M-%SZ").to_string(),
        options,
    );
    let temp = TempDir::create(store, &id)?;
    create_dir_private(&temp.path.join("data"), false)?;

    let mut main = url.connect().await?;
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut main)
        .await
        .map_err(QueryError::at("starting the snapshot transaction"))?;
    let schema_exists = catalog::schema_exists(&mut main, url.schema())
        .await
        .map_err(QueryError::at("looking up the working schema"))?;
    if !schema_exists {
        return Err(SnapshotError::NoSchema {
            schema: url.schema().to_string(),
            database: url.database_name(),
        });
    }
    let server_version = catalog::server_version(&mut main)
        .await
        .map_err(QueryError::at("reading the server version"))?;
    let tables = select_tables(
        catalog::tables(&mut main, url.schema())
            .await
            .map_err(QueryError::at("reading the catalog"))?,
        options,
        url.schema(),
    )?;
    let mut connections = vec![main];
    let jobs = options.jobs.clamp(1, tables.len().max(1));
    if jobs > 1 {
        let exported: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut connections[0])
            .await
            .map_err(QueryError::at("exporting the snapshot"))?;
        for _ in 1..jobs {
            connections.push(join_snapshot(url, &exported).await?);
        }
    }

    progress.start(
        tables.len(),
        tables.iter().map(|t| t.estimated_bytes.max(0) as u64).sum(),
    );
    let mut queue: Vec<&Table> = tables.iter().collect();
    queue.sort_by_key(|t| std::cmp::Reverse(t.estimated_bytes));
    let queue = Mutex::new(queue.into_iter().collect::<VecDeque<_>>());
    let context = DumpContext {
        dir: &temp.path,
        level: options.zstd_level,
        progress,
    };
    let results: Vec<Vec<TableEntry>> = stream::iter(connections.iter_mut())
        .map(|conn| worker(conn, &queue, &context))
        .buffer_unordered(jobs)
        .try_collect()
        .await?;
    for mut conn in connections {
        let _ = sqlx::raw_sql("COMMIT").execute(&mut conn).await;
    }
    let mut entries: Vec<TableEntry> = results.into_iter().flatten().collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));

    if unless_fingerprint == Some(fingerprint(&entries).as_str()) && options.files.is_empty() {
        return Ok(None);
    }
    let (folders, buckets) = super::objects::split(&options.files)?;
    let files = archive::write_all(
        &temp.path,
        &options.project_root,
        &folders,
        options.zstd_level,
    )?;
    let buckets = super::objects::write_all(&temp.path, &buckets, options.zstd_level).await?;
    let mut manifest = Manifest {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        id: id.clone(),
        created_at,
        reason: options.reason.clone(),
        tag: options.tag.clone(),
        keep: options.keep,
        database: DatabaseInfo {
            url: url.redacted(),
            server_version,
            name: url.database_name(),
            schema: url.schema().to_string(),
        },
        fingerprint: fingerprint(&entries),
        tables: entries,
        files,
        buckets,
    };
    let mut sidecar = MigrationInfo::new(
        status,
        &id,
        &options.reason,
        &options.command,
        options.git.clone(),
    );
    // Another snapshot may take the same name first (same second, same reason): the folder
    // then gets `-2`, `-3`, ..., and the files that record the id are rewritten to match.
    let id = temp.persist_unique(store, &id, |dir, id| {
        manifest.id = id.to_string();
        sidecar.snapshot_id = id.to_string();
        rewrite_json(&dir.join(MANIFEST_FILE), &manifest)?;
        rewrite_json(&dir.join(SIDECAR_FILE), &sidecar)
    })?;
    debug_assert_eq!(manifest.id, id);
    Ok(Some(manifest))
}

/// The id asked for: `<UTC time>-<reason>[-<tag>]`; [`TempDir::persist_unique`] adds `-2`,
/// `-3`, ... when another snapshot has it.
fn base_id(time: &str, options: &SnapshotOptions) -> String {
    let mut base = format!("{time}-{}", slug(&options.reason));
    if let Some(tag) = &options.tag {
        base = format!("{base}-{}", slug(tag));
    }
    base
}

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn select_tables(
    all: Vec<Table>,
    options: &SnapshotOptions,
    schema: &str,
) -> Result<Vec<Table>, SnapshotError> {
    for name in options.tables.iter().chain(&options.exclude) {
        if !all.iter().any(|t| &t.name == name) {
            return Err(SnapshotError::UnknownTable {
                name: name.clone(),
                schema: schema.to_string(),
            });
        }
    }
    Ok(all
        .into_iter()
        .filter(|t| options.tables.is_empty() || options.tables.contains(&t.name))
        .filter(|t| !options.exclude.contains(&t.name))
        .collect())
}

/// SHA-256 over every table's name, column names and types, and content hash.
pub(super) fn fingerprint(entries: &[TableEntry]) -> String {
    let mut hasher = Sha256::new();
    for entry in entries {
        hasher.update(entry.schema.as_bytes());
        hasher.update([0]);
        hasher.update(entry.name.as_bytes());
        for column in &entry.columns {
            hasher.update([0]);
            hasher.update(column.name.as_bytes());
            hasher.update([1]);
            hasher.update(column.data_type.as_bytes());
        }
        hasher.update([2]);
        hasher.update(entry.content_sha256.as_bytes());
        hasher.update([b'\n']);
    }
    hex::encode(hasher.finalize())
}
