//! Taking a snapshot: one consistent read of every table, streamed through zstd to disk.
//!
//! All tables are read in `REPEATABLE READ, READ ONLY` transactions that share one snapshot:
//! the first connection exports it (`pg_export_snapshot()`), the others adopt it with
//! `SET TRANSACTION SNAPSHOT`, as `pg_dump -j` does. Each connection takes tables from a shared
//! queue, largest first. Each table's `COPY (SELECT …) TO STDOUT (FORMAT csv, HEADER)` stream is
//! handed in 1 MiB batches to a blocking thread that counts rows, hashes, compresses and
//! writes, so memory stays flat whatever the table size.

use std::collections::{BTreeMap, VecDeque};
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::Mutex;

use camino::{Utf8Path, Utf8PathBuf};
use chrono::Utc;
use futures_util::{StreamExt, TryStreamExt, stream};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use super::csv::{Hashing, RowCounter};
use super::manifest::{self, DatabaseInfo, FORMAT_VERSION, MANIFEST_FILE, Manifest, TableEntry};
use super::sidecar::{GitInfo, MigrationInfo, SIDECAR_FILE};
use super::{SnapshotError, archive};
use crate::catalog::{self, Table};
use crate::database::DatabaseUrl;
use crate::migrations::StatusReport;

/// Batch size handed from the COPY stream to the writer thread, in bytes.
const BATCH_BYTES: usize = 1 << 20;

/// What to snapshot and how.
#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    /// Why: `manual`, `pre-migrate`, `pre-restore`, ... (part of the id).
    pub reason: String,
    /// A user label.
    pub tag: Option<String>,
    /// Mark the snapshot as kept forever: `prune` never removes it.
    pub keep: bool,
    /// Only these tables (empty: all).
    pub tables: Vec<String>,
    /// Leave these tables out.
    pub exclude: Vec<String>,
    /// The command line, for the sidecar.
    pub command: String,
    /// Connections reading in parallel (at least 1).
    pub jobs: usize,
    /// zstd level (1 = fastest).
    pub zstd_level: i32,
    /// Upload folders per group, relative to `project_root`.
    pub files: BTreeMap<String, Vec<Utf8PathBuf>>,
    /// The project root the folders are relative to.
    pub project_root: Utf8PathBuf,
    /// The git state to record.
    pub git: Option<GitInfo>,
}

impl SnapshotOptions {
    /// Defaults: all tables, 2 connections, zstd level 3, no files, not kept forever.
    pub fn new(reason: &str, project_root: &Utf8Path) -> SnapshotOptions {
        SnapshotOptions {
            reason: reason.to_string(),
            tag: None,
            keep: false,
            tables: Vec::new(),
            exclude: Vec::new(),
            command: String::new(),
            jobs: 2,
            zstd_level: 3,
            files: BTreeMap::new(),
            project_root: project_root.to_owned(),
            git: None,
        }
    }
}

/// Progress callbacks; the engine never prints, the binary draws bars from these.
pub trait Progress: Send + Sync {
    /// The tables about to be read and their estimated total size in bytes.
    fn start(&self, _tables: usize, _estimated_bytes: u64) {}
    /// `bytes` more uncompressed bytes were read from `table`.
    fn advance(&self, _table: &str, _bytes: u64) {}
    /// `table` is complete.
    fn table_done(&self, _table: &str, _rows: u64) {}
}

/// Progress that reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// Takes a snapshot of the working schema of `url` into `store` and returns its manifest.
///
/// `status` is the migration status at this moment, for the sidecar. The snapshot only reads:
/// every transaction is `READ ONLY`. On any error, or when the returned future is dropped
/// (Ctrl-C), the temporary folder is removed and nothing is listed.
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
    let taken = write(url, store, status, options, progress, None).await?;
    Ok(taken.expect("written unless equal to a given fingerprint"))
}

/// [`take`], unless the data equals the newest snapshot's: returns `Ok(None)` and keeps nothing
/// when the content fingerprints (every table's name, columns and CSV content) are equal. Never
/// skips on a guess: the data is read and hashed either way.
pub async fn take_if_changed(
    url: &DatabaseUrl,
    store: &Utf8Path,
    status: &StatusReport,
    options: &SnapshotOptions,
    progress: &dyn Progress,
) -> Result<Option<Manifest>, SnapshotError> {
    let latest = super::store::list(store)?.pop();
    let fingerprint = latest.as_ref().map(|s| s.manifest.fingerprint.as_str());
    write(url, store, status, options, progress, fingerprint).await
}

async fn write(
    url: &DatabaseUrl,
    store: &Utf8Path,
    status: &StatusReport,
    options: &SnapshotOptions,
    progress: &dyn Progress,
    unless_fingerprint: Option<&str>,
) -> Result<Option<Manifest>, SnapshotError> {
    super::store::create(store)?;
    let created_at = Utc::now();
    let id = unique_id(
        store,
        &created_at.format("%Y-%m-%dT%H-%M-%SZ").to_string(),
        options,
    );
    let temp = TempDir::create(store, &id)?;
    create_dir_private(&temp.path.join("data"), false)?;

    let mut main = url.connect().await?;
    let db_err = |action: &str| {
        let action = action.to_string();
        move |source| SnapshotError::Database { action, source }
    };
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut main)
        .await
        .map_err(db_err("starting the snapshot transaction"))?;
    let server_version = catalog::server_version(&mut main)
        .await
        .map_err(db_err("reading the server version"))?;
    let tables = select_tables(
        catalog::tables(&mut main, url.schema())
            .await
            .map_err(db_err("reading the catalog"))?,
        options,
        url.schema(),
    )?;
    let mut connections = vec![main];
    let jobs = options.jobs.clamp(1, tables.len().max(1));
    if jobs > 1 {
        let exported: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut connections[0])
            .await
            .map_err(db_err("exporting the snapshot"))?;
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
    let files = archive::write_all(
        &temp.path,
        &options.project_root,
        &options.files,
        options.zstd_level,
    )?;
    let manifest = Manifest {
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
    };
    let sidecar = MigrationInfo::new(
        status,
        &id,
        &options.reason,
        &options.command,
        options.git.clone(),
    );
    write_json(&temp.path.join(MANIFEST_FILE), &manifest)?;
    write_json(&temp.path.join(SIDECAR_FILE), &sidecar)?;
    temp.persist(&store.join(&id))?;
    Ok(Some(manifest))
}

/// The id: `<UTC time>-<reason>[-<tag>]`, with `-2`, `-3`, ... when taken twice in a second.
fn unique_id(store: &Utf8Path, time: &str, options: &SnapshotOptions) -> String {
    let mut base = format!("{time}-{}", slug(&options.reason));
    if let Some(tag) = &options.tag {
        base = format!("{base}-{}", slug(tag));
    }
    let taken = |id: &str| store.join(id).exists();
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .expect("an unused id exists")
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

async fn join_snapshot(url: &DatabaseUrl, exported: &str) -> Result<PgConnection, SnapshotError> {
    let mut conn = url.connect().await?;
    let sql = format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '{}'",
        exported.replace('\'', "''")
    );
    sqlx::raw_sql(&sql)
        .execute(&mut conn)
        .await
        .map_err(|source| SnapshotError::Database {
            action: "joining the exported snapshot".into(),
            source,
        })?;
    Ok(conn)
}

struct DumpContext<'a> {
    dir: &'a Utf8Path,
    level: i32,
    progress: &'a dyn Progress,
}

async fn worker(
    conn: &mut PgConnection,
    queue: &Mutex<VecDeque<&Table>>,
    context: &DumpContext<'_>,
) -> Result<Vec<TableEntry>, SnapshotError> {
    let mut done = Vec::new();
    loop {
        let next = queue.lock().expect("queue lock").pop_front();
        let Some(table) = next else { return Ok(done) };
        done.push(dump_table(conn, table, context).await?);
    }
}

/// What the writer thread returns for one table.
struct Written {
    rows: u64,
    bytes: u64,
    sha256: String,
    content_sha256: String,
}

async fn dump_table(
    conn: &mut PgConnection,
    table: &Table,
    context: &DumpContext<'_>,
) -> Result<TableEntry, SnapshotError> {
    let file = manifest::data_file(&table.schema, &table.name);
    let path = context.dir.join(&file);
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let level = context.level;
    let writer_path = path.clone();
    let writer =
        tokio::task::spawn_blocking(move || write_compressed(&writer_path, receiver, level));

    let read_error = |source| SnapshotError::Database {
        action: format!("reading table {}", table.qualified()),
        source,
    };
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| crate::sql::quote_ident(&c.name))
        .collect();
    let sql = format!(
        "COPY (SELECT {} FROM {}) TO STDOUT (FORMAT csv, HEADER)",
        columns.join(", "),
        table.qualified()
    );
    let streamed = async {
        let mut copy = conn.copy_out_raw(&sql).await.map_err(read_error)?;
        let mut batch = Vec::with_capacity(BATCH_BYTES);
        while let Some(chunk) = copy.next().await {
            batch.extend_from_slice(&chunk.map_err(read_error)?);
            if batch.len() >= BATCH_BYTES {
                context.progress.advance(&table.name, batch.len() as u64);
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_BYTES));
                if sender.send(full).await.is_err() {
                    break; // the writer failed; its error is reported below
                }
            }
        }
        context.progress.advance(&table.name, batch.len() as u64);
        let _ = sender.send(batch).await;
        Ok(())
    };
    let streamed: Result<(), SnapshotError> = streamed.await;
    drop(sender);
    let written = writer.await.expect("the writer thread does not panic");
    streamed?;
    let written = written?;
    context.progress.table_done(&table.name, written.rows);
    Ok(TableEntry {
        schema: table.schema.clone(),
        name: table.name.clone(),
        columns: table.columns.clone(),
        primary_key: table.primary_key.clone(),
        rows: written.rows,
        file,
        bytes: written.bytes,
        sha256: written.sha256,
        content_sha256: written.content_sha256,
    })
}

fn write_compressed(
    path: &Utf8Path,
    mut receiver: tokio::sync::mpsc::Receiver<Vec<u8>>,
    level: i32,
) -> Result<Written, SnapshotError> {
    let io_err = |action| {
        let path = path.to_owned();
        move |source| SnapshotError::Io {
            action,
            path,
            source,
        }
    };
    let file = create_file_private(path)?;
    let hashing = Hashing::new(BufWriter::with_capacity(BATCH_BYTES, file));
    let mut encoder = zstd::Encoder::new(hashing, level).map_err(io_err("compressing"))?;
    let mut rows = RowCounter::default();
    let mut content = Sha256::new();
    while let Some(batch) = receiver.blocking_recv() {
        rows.feed(&batch);
        content.update(&batch);
        encoder.write_all(&batch).map_err(io_err("writing"))?;
    }
    let hashing = encoder.finish().map_err(io_err("writing"))?;
    let (buffered, bytes, sha256) = hashing.finish();
    let file = buffered
        .into_inner()
        .map_err(|e| io_err("writing")(e.into_error()))?;
    file.sync_all().map_err(io_err("syncing"))?;
    Ok(Written {
        rows: rows.rows(),
        bytes,
        sha256,
        content_sha256: hex::encode(content.finalize()),
    })
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

/// Creates a file readable by its owner only (0600).
pub(super) fn create_file_private(path: &Utf8Path) -> Result<File, SnapshotError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| SnapshotError::Io {
            action: "creating",
            path: path.to_owned(),
            source,
        })
}

/// Creates a folder (0700); `recursive` also creates missing parents.
pub(super) fn create_dir_private(path: &Utf8Path, recursive: bool) -> Result<(), SnapshotError> {
    if recursive && path.is_dir() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(recursive)
        .mode(0o700)
        .create(path)
        .map_err(|source| SnapshotError::Io {
            action: "creating",
            path: path.to_owned(),
            source,
        })
}

fn write_json<T: serde::Serialize>(path: &Utf8Path, value: &T) -> Result<(), SnapshotError> {
    let io_err = |source| SnapshotError::Io {
        action: "writing",
        path: path.to_owned(),
        source,
    };
    let mut file = create_file_private(path)?;
    serde_json::to_writer_pretty(&mut file, value).map_err(|e| io_err(e.into()))?;
    file.write_all(b"\n").map_err(io_err)?;
    file.sync_all().map_err(io_err)
}

/// The hidden folder a snapshot is written into; removed on drop unless persisted.
struct TempDir {
    path: Utf8PathBuf,
    persisted: bool,
}

impl TempDir {
    fn create(store: &Utf8Path, id: &str) -> Result<TempDir, SnapshotError> {
        let path = store.join(format!(".tmp-{id}-{}", std::process::id()));
        create_dir_private(&path, false)?;
        Ok(TempDir {
            path,
            persisted: false,
        })
    }

    /// Renames the folder into place: from here on the snapshot is listed and immutable.
    fn persist(mut self, target: &Utf8Path) -> Result<(), SnapshotError> {
        std::fs::rename(&self.path, target).map_err(|source| SnapshotError::Io {
            action: "renaming the finished snapshot to",
            path: target.to_owned(),
            source,
        })?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
