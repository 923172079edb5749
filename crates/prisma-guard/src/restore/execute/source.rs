//! Where the executor reads a table's rows from: the snapshot folder's data file (`copy.rs`), or,
//! for a streamed replay, the scratch database the replay built, read with
//! `COPY (SELECT <the snapshot's columns>) TO STDOUT` on a second connection — the statement a
//! snapshot writes its data files with, but in the text format, which is what the target's
//! `COPY … FROM STDIN` reads either way (a data file's CSV is rewritten into it, see `text`).
//!
//! A streamed source stands for one snapshot folder (the replay's hidden folder, unique per
//! replay) while its [`StreamRegistration`] lives. [`copy_file`](super::copy_file) asks
//! [`streamed`] first, so every reader of table data — the straight and staged loads, the bulk
//! path, `replace`'s key reads, the preflight — reads the same rows from the same place without
//! a change in its signature: the restore engine stays one engine.

use std::sync::Mutex;

use bytes::{Bytes, BytesMut};
use camino::{Utf8Path, Utf8PathBuf};
use futures_util::StreamExt;
use sqlx::PgConnection;

use super::table_error;
use crate::database::DatabaseUrl;
use crate::restore::RestoreError;
use crate::restore::plan::TablePlan;
use crate::sql::quote_ident;

/// Bytes gathered from the scratch database's COPY before they are sent on to the target.
const BATCH_BYTES: usize = 1 << 20;
/// Batches in flight between the two connections.
const IN_FLIGHT_BATCHES: usize = 4;

/// The snapshot folders whose tables are read from a database, and that database.
static STREAMS: Mutex<Vec<(Utf8PathBuf, DatabaseUrl)>> = Mutex::new(Vec::new());

/// While this lives, the tables of the snapshot folder it was made for are read from its
/// database (see the module documentation); dropping it ends that.
#[derive(Debug)]
pub struct StreamRegistration {
    dir: Utf8PathBuf,
}

impl StreamRegistration {
    /// Reads the tables of the snapshot folder `dir` from `url`'s working schema from now on:
    /// each table's rows are its rows there, in the manifest's columns. `dir` must be unique to
    /// the caller (a fresh temporary folder); a later registration of the same folder wins.
    pub fn new(dir: &Utf8Path, url: DatabaseUrl) -> StreamRegistration {
        let mut streams = STREAMS
            .lock()
            .expect("the stream registry is never poisoned");
        streams.retain(|(d, _)| d != dir);
        streams.push((dir.to_owned(), url));
        StreamRegistration {
            dir: dir.to_owned(),
        }
    }
}

impl Drop for StreamRegistration {
    fn drop(&mut self) {
        if let Ok(mut streams) = STREAMS.lock() {
            streams.retain(|(d, _)| *d != self.dir);
        }
    }
}

/// The database the tables of snapshot folder `dir` are read from, when it is streamed.
pub(crate) fn streamed(dir: &Utf8Path) -> Option<DatabaseUrl> {
    let streams = STREAMS
        .lock()
        .expect("the stream registry is never poisoned");
    streams
        .iter()
        .find(|(d, _)| d == dir)
        .map(|(_, url)| url.clone())
}

/// Streams the table's rows from `source` (a second connection) into `target`
/// (`COPY target FROM STDIN`, in the text format at both ends: the target parses it faster than
/// CSV, see `text`), reading and sending concurrently in batches
/// of about 1 MiB: memory holds a few batches, whatever the table's size. Returns the rows
/// loaded, which must be the manifest's count ([`TablePlan::snapshot_rows`]).
///
/// Errors: [`RestoreError::Connect`] for the source, [`RestoreError::RowCount`] when the counts
/// differ, [`RestoreError::Table`] for either COPY (the target's COPY is aborted when the
/// source's fails).
pub(crate) async fn copy_streamed(
    conn: &mut PgConnection,
    source: &DatabaseUrl,
    table: &TablePlan,
    target: &str,
) -> Result<u64, RestoreError> {
    let mut from = source.connect().await?;
    let columns: Vec<String> = table
        .snapshot_columns
        .iter()
        .map(|c| quote_ident(c))
        .collect();
    let out_sql = format!(
        "COPY (SELECT {} FROM {}) TO STDOUT",
        columns.join(", "),
        crate::sql::qualified(source.schema(), &table.name)
    );
    let in_sql = format!("COPY {target} FROM STDIN");
    let mut copy = conn
        .copy_in_raw(&in_sql)
        .await
        .map_err(table_error(table, "starting COPY"))?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Bytes>(IN_FLIGHT_BATCHES);
    let read = async move {
        let mut out = from.copy_out_raw(&out_sql).await?;
        let mut batch = BytesMut::with_capacity(BATCH_BYTES);
        while let Some(chunk) = out.next().await {
            batch.extend_from_slice(&chunk?);
            // A send fails only when the writer stopped; its error is reported.
            if batch.len() >= BATCH_BYTES && sender.send(batch.split().freeze()).await.is_err() {
                return Ok(());
            }
        }
        if !batch.is_empty() {
            let _ = sender.send(batch.freeze()).await;
        }
        Ok::<(), sqlx::Error>(())
    };
    let write = async {
        let mut receiver = receiver;
        while let Some(batch) = receiver.recv().await {
            copy.send(batch).await?;
        }
        Ok::<(), sqlx::Error>(())
    };
    let (read, write) = tokio::join!(read, write);
    if let Err(e) = write {
        return Err(table_error(table, "loading its rows")(e));
    }
    if let Err(e) = read {
        let _ = copy.abort("the scratch database could not be read").await;
        return Err(table_error(table, "reading it from the scratch database")(
            e,
        ));
    }
    let loaded = copy
        .finish()
        .await
        .map_err(table_error(table, "loading its rows"))?;
    super::copy::counted(table, loaded)
}
