//! The consistent read: connections that join one exported snapshot, each taking tables from a
//! shared queue and streaming each table's `COPY` to its file writer.

use std::collections::VecDeque;
use std::sync::Mutex;

use camino::Utf8Path;
use futures_util::StreamExt;
use sqlx::PgConnection;

use super::table_file::write_compressed;
use super::{BATCH_BYTES, Progress};
use crate::catalog::Table;
use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::snapshot::SnapshotError;
use crate::snapshot::manifest::{self, TableEntry};

pub(super) async fn join_snapshot(
    url: &DatabaseUrl,
    exported: &str,
) -> Result<PgConnection, SnapshotError> {
    let mut conn = url.connect().await?;
    let sql = format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '{}'",
        exported.replace('\'', "''")
    );
    sqlx::raw_sql(&sql)
        .execute(&mut conn)
        .await
        .map_err(QueryError::at("joining the exported snapshot"))?;
    Ok(conn)
}

/// What every worker needs: the snapshot's folder, the zstd level, the progress callbacks.
pub(super) struct DumpContext<'a> {
    pub(super) dir: &'a Utf8Path,
    pub(super) level: i32,
    pub(super) progress: &'a dyn Progress,
}

pub(super) async fn worker(
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

    let read_error = |source| QueryError {
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
