//! The consistent read: connections that join one exported snapshot, each taking tables from a
//! shared queue and streaming each table's `COPY` to its file writer.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use camino::Utf8Path;
use futures_util::StreamExt;
use sqlx::PgConnection;
use tokio::sync::Semaphore;

use super::table_file::{InFlight, write_compressed};
use super::{BATCH_BYTES, Progress};

/// Batches queued for one table's writer at most (the writer gathers a frame of its own, see
/// `table_file`).
const IN_FLIGHT_BATCHES: usize = 2;
/// Bytes queued for one table's writer at most: a row larger than this waits until the writer
/// has taken everything before it, so memory holds about one copy of the largest row
/// (issue 15, #14), plus a few batches.
const IN_FLIGHT_BYTES: usize = IN_FLIGHT_BATCHES * BATCH_BYTES;
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
    let (sender, receiver) = tokio::sync::mpsc::channel::<InFlight>(IN_FLIGHT_BATCHES);
    let budget = Arc::new(Semaphore::new(IN_FLIGHT_BYTES));
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
    let send = |bytes: Bytes| {
        let (sender, budget) = (&sender, &budget);
        async move {
            context.progress.advance(&table.name, bytes.len() as u64);
            let permits = bytes.len().clamp(1, IN_FLIGHT_BYTES) as u32;
            let permit = budget
                .clone()
                .acquire_many_owned(permits)
                .await
                .expect("the budget is never closed");
            // An error means the writer failed; its error is reported below.
            sender.send(InFlight { bytes, permit }).await.is_ok()
        }
    };
    let streamed = async {
        let mut copy = conn.copy_out_raw(&sql).await.map_err(read_error)?;
        let mut batch = BytesMut::with_capacity(BATCH_BYTES);
        while let Some(chunk) = copy.next().await {
            let chunk = chunk.map_err(read_error)?;
            if chunk.len() >= BATCH_BYTES {
                // A large row arrives whole: pass it on as it is, never copied into a batch.
                if !batch.is_empty() && !send(batch.split().freeze()).await {
                    break;
                }
                if !send(chunk).await {
                    break;
                }
                continue;
            }
            batch.extend_from_slice(&chunk);
            if batch.len() >= BATCH_BYTES && !send(batch.split().freeze()).await {
                break;
            }
        }
        if !batch.is_empty() {
            send(batch.freeze()).await;
        }
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
