//! The per-table file writer: a blocking thread that counts rows, hashes, compresses and writes
//! the batches of one table's `COPY` stream.

use std::io::{BufWriter, Write};

use camino::Utf8Path;
use sha2::{Digest, Sha256};

use super::BATCH_BYTES;
use super::folder::create_file_private;
use crate::error::IoError;
use crate::snapshot::SnapshotError;
use crate::snapshot::csv::{Hashing, RowCounter};

/// A piece of one table's `COPY` stream on its way to the writer, holding its share of the
/// in-flight byte budget until it has been written.
pub(super) struct InFlight {
    pub(super) bytes: bytes::Bytes,
    pub(super) permit: tokio::sync::OwnedSemaphorePermit,
}

/// What the writer thread returns for one table.
pub(super) struct Written {
    pub(super) rows: u64,
    pub(super) bytes: u64,
    pub(super) sha256: String,
    pub(super) content_sha256: String,
}

pub(super) fn write_compressed(
    path: &Utf8Path,
    mut receiver: tokio::sync::mpsc::Receiver<InFlight>,
    level: i32,
) -> Result<Written, SnapshotError> {
    let io_err = |action| IoError::at(action, path);
    let file = create_file_private(path)?;
    let hashing = Hashing::new(BufWriter::with_capacity(BATCH_BYTES, file));
    let mut encoder = zstd::Encoder::new(hashing, level).map_err(io_err("compressing"))?;
    let mut rows = RowCounter::default();
    let mut content = Sha256::new();
    while let Some(InFlight { bytes, permit }) = receiver.blocking_recv() {
        rows.feed(&bytes);
        content.update(&bytes);
        encoder.write_all(&bytes).map_err(io_err("writing"))?;
        // Freed only now: the budget counts what is read and not yet written.
        drop((bytes, permit));
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
