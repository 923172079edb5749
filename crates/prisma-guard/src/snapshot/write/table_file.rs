//! The per-table file writer: a blocking thread that counts rows, hashes, compresses and writes
//! the batches of one table's `COPY` stream.
//!
//! The file is a series of zstd frames of about [`FRAME_BYTES`] of CSV each, compressed whole by
//! one reused context (`ZSTD_compress2`). Concatenated frames are one valid zstd stream (RFC 8878
//! §3.1: every decoder, `zstd -d` and [`zstd::Decoder`] included, reads them in order), and
//! compressing a whole buffer is about 1/6 less CPU than the streaming encoder, whose window
//! wraps around its ring buffer and takes zstd's slower external-dictionary match finder (issue
//! 18: `ZSTD_compressBlock_fast_extDict_generic` was the top symbol of a snapshot's profile), for
//! 0.4 % more bytes at level 2.

use std::fs::File;
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

/// CSV bytes per zstd frame, at least (a frame ends at the first batch boundary past this). At
/// 4 MiB a frame's fresh start costs 0.4 % in size at level 2 against one frame per file, and
/// the writer holds about twice this (the frame and its compressed form).
const FRAME_BYTES: usize = 4 << 20;

/// Writes the table's batches from `receiver` to a new file at `path` (mode 0600) as zstd
/// frames at `level`, counting the CSV's rows and hashing both the CSV (`content_sha256`) and
/// the file (`sha256`), then syncs the file. Errors: [`SnapshotError`] for a failed write,
/// naming the file.
pub(super) fn write_compressed(
    path: &Utf8Path,
    mut receiver: tokio::sync::mpsc::Receiver<InFlight>,
    level: i32,
) -> Result<Written, SnapshotError> {
    let io_err = |action| IoError::at(action, path);
    let file = create_file_private(path)?;
    let mut frames = Frames {
        compressor: zstd::bulk::Compressor::new(level).map_err(io_err("compressing"))?,
        pending: Vec::new(),
        compressed: Vec::new(),
        out: Hashing::new(BufWriter::with_capacity(BATCH_BYTES, file)),
    };
    let mut rows = RowCounter::default();
    let mut content = Sha256::new();
    while let Some(InFlight { bytes, permit }) = receiver.blocking_recv() {
        rows.feed(&bytes);
        content.update(&bytes);
        frames.add(&bytes).map_err(io_err("writing"))?;
        // Freed only now: the budget counts what is read and not yet taken in.
        drop((bytes, permit));
    }
    let (buffered, bytes, sha256) = frames.finish().map_err(io_err("writing"))?.finish();
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

/// The frames of one file: CSV gathered to [`FRAME_BYTES`], then compressed whole.
struct Frames {
    compressor: zstd::bulk::Compressor<'static>,
    /// CSV not yet compressed.
    pending: Vec<u8>,
    /// The last frame, compressed (reused).
    compressed: Vec<u8>,
    out: Hashing<BufWriter<File>>,
}

impl Frames {
    /// Takes in `bytes`. A piece of [`FRAME_BYTES`] or more (a large row arrives whole) is
    /// compressed where it is, a frame per [`FRAME_BYTES`], after what is pending: never copied,
    /// so memory holds it once, as the in-flight budget promises (issue 15).
    fn add(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if bytes.len() >= FRAME_BYTES {
            self.flush()?;
            return bytes.chunks(FRAME_BYTES).try_for_each(|c| self.frame(c));
        }
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= FRAME_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes what is pending as a frame, if anything is.
    fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        self.frame(&pending)?;
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }

    /// Compresses `csv` as one frame and writes it.
    fn frame(&mut self, csv: &[u8]) -> std::io::Result<()> {
        self.compressed.clear();
        self.compressed
            .reserve(zstd::zstd_safe::compress_bound(csv.len()));
        self.compressor
            .compress_to_buffer(csv, &mut self.compressed)?;
        self.out.write_all(&self.compressed)
    }

    /// Writes what is pending (a file always holds at least one frame, so even an empty one
    /// is a valid zstd stream) and returns the hashing writer.
    fn finish(mut self) -> std::io::Result<Hashing<BufWriter<File>>> {
        self.flush()?;
        if self.out.bytes() == 0 {
            self.frame(&[])?;
        }
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// The frames decode, in order, to exactly the CSV given, with a large batch compressed in
    /// place in frames of [`FRAME_BYTES`] and a frame ending past it; and an empty table gives a
    /// valid stream.
    #[test]
    fn frames_decode_to_the_csv_in_order() {
        let dir = tempfile::tempdir().unwrap();
        for sizes in [
            &[][..],
            &[10][..],
            &[3 << 20, 3 << 20, 9 << 20, 5, 1 << 20][..],
        ] {
            let path = camino::Utf8PathBuf::from_path_buf(dir.path().join("t.csv.zst")).unwrap();
            let _ = std::fs::remove_file(&path);
            let (sender, receiver) = tokio::sync::mpsc::channel(64);
            let budget = std::sync::Arc::new(tokio::sync::Semaphore::new(1 << 30));
            let mut expected = Vec::new();
            for (i, size) in sizes.iter().enumerate() {
                let batch: Vec<u8> = (0..*size)
                    .map(|j| {
                        if j % 97 == 96 {
                            b'\n'
                        } else {
                            b'a' + ((i * 7 + j / 13) % 26) as u8
                        }
                    })
                    .collect();
                expected.extend_from_slice(&batch);
                let permit = budget.clone().try_acquire_many_owned(1).unwrap();
                sender
                    .try_send(InFlight {
                        bytes: batch.into(),
                        permit,
                    })
                    .unwrap();
            }
            drop(sender);
            let written = write_compressed(&path, receiver, 2).unwrap();
            let file = std::fs::read(&path).unwrap();
            assert_eq!(written.bytes, file.len() as u64);
            let mut decoded = Vec::new();
            zstd::Decoder::new(file.as_slice())
                .unwrap()
                .read_to_end(&mut decoded)
                .unwrap();
            assert!(
                decoded == expected,
                "{sizes:?}: {} bytes back",
                decoded.len()
            );
            let frames = zstd_frames(&file);
            let want = match sizes.len() {
                0 | 1 => 1,
                // 6 MiB; the 9 MiB batch in place, as 4 + 4 + 1 MiB; then 5 bytes + 1 MiB
                _ => 5,
            };
            assert_eq!(frames, want, "{sizes:?}");
        }
    }

    /// Counts the zstd frames of `file` by their sizes (`ZSTD_findFrameCompressedSize`).
    fn zstd_frames(mut file: &[u8]) -> usize {
        let mut frames = 0;
        while !file.is_empty() {
            let size = zstd::zstd_safe::find_frame_compressed_size(file).unwrap();
            file = &file[size..];
            frames += 1;
        }
        frames
    }
}
