//! Moving one file between the local disk and the bucket, streamed: a blocking thread reads
//! (and encrypts) or writes (and decrypts) the file in 1 MiB chunks, the async side sends or
//! receives them, so memory holds a few chunks and at most two 8 MiB multipart parts at once,
//! whatever the file's size.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;

use bytes::Bytes;
use camino::{Utf8Path, Utf8PathBuf};
use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::{Identity, Recipients, Remote, RemoteError};
use crate::error::IoError;

/// Bytes per channel message.
const CHUNK: usize = 1 << 20;
/// Bytes per multipart part (S3 needs at least 5 MiB for every part but the last).
const PART: usize = 8 << 20;
/// Parts uploading at once.
const PARTS_IN_FLIGHT: usize = 2;

/// Sizes and SHA-256s of one transfer: of the local file (plaintext) and of the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Transferred {
    pub plain_bytes: u64,
    pub plain_sha256: String,
    pub object_bytes: u64,
    pub object_sha256: String,
}

/// Uploads `local` to `key` as a multipart upload, encrypted when `recipients` has any. A
/// failure aborts the upload, so no object appears.
pub(super) async fn upload(
    remote: &Remote,
    key: &Path,
    local: &Utf8Path,
    recipients: &Recipients,
) -> Result<Transferred, RemoteError> {
    let upload = remote
        .store()
        .put_multipart(key)
        .await
        .map_err(remote.request_error("uploading", key))?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    let (path, recipients) = (local.to_owned(), recipients.clone());
    let reader = tokio::task::spawn_blocking(move || read_file(&path, &recipients, tx));
    let mut failed = None;
    while let Some(chunk) = rx.recv().await {
        if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
            failed = Some(remote.request_error("uploading", key)(e));
            break;
        }
        writer.put(chunk);
    }
    drop(rx);
    let read = reader
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r);
    let outcome = match (failed, read) {
        (Some(error), _) => Err(error),
        (None, Err(source)) => Err(RemoteError::Io(IoError {
            action: "reading",
            path: local.to_owned(),
            source,
        })),
        (None, Ok(sums)) => Ok(sums),
    };
    match outcome {
        Ok(sums) => {
            writer
                .finish()
                .await
                .map_err(remote.request_error("uploading", key))?;
            Ok(sums)
        }
        Err(error) => {
            let _ = writer.abort().await;
            Err(error)
        }
    }
}

/// Reads `path` (encrypting it when there are recipients) into `tx`, hashing both sides.
fn read_file(
    path: &Utf8Path,
    recipients: &Recipients,
    tx: mpsc::Sender<Bytes>,
) -> std::io::Result<Transferred> {
    let mut file = std::fs::File::open(path)?;
    let mut sink = ChunkSender {
        tx,
        buf: Vec::with_capacity(CHUNK),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let (plain_bytes, plain_sha256) = if recipients.is_empty() {
        copy_hashing(&mut file, &mut sink)?
    } else {
        let mut encrypting = recipients.encrypt(&mut sink)?;
        let sums = copy_hashing(&mut file, &mut encrypting)?;
        encrypting.finish()?;
        sums
    };
    sink.send_buffer()?;
    Ok(Transferred {
        plain_bytes,
        plain_sha256,
        object_bytes: sink.bytes,
        object_sha256: hex::encode(sink.hasher.finalize()),
    })
}

/// Copies `from` to `to`, returning the bytes copied and their SHA-256.
fn copy_hashing(from: &mut impl Read, to: &mut impl Write) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0; CHUNK];
    let mut total = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
    to.flush()?;
    Ok((total, hex::encode(hasher.finalize())))
}

/// A writer that hashes what it is given and sends it on in [`CHUNK`]s.
struct ChunkSender {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
    hasher: Sha256,
    bytes: u64,
}

impl ChunkSender {
    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(Bytes::from(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the upload stopped"))
    }
}

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.hasher.update(data);
        self.bytes += data.len() as u64;
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send_buffer()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why a download failed on the local side.
pub(super) enum DownloadError {
    Remote(RemoteError),
    Io(IoError),
    Decrypt(age::DecryptError),
}

/// Downloads `key` into the new file `dest` (0600), decrypting it with `identity` when given.
pub(super) async fn download(
    remote: &Remote,
    key: &Path,
    dest: &Utf8Path,
    identity: Option<Arc<Identity>>,
) -> Result<Transferred, DownloadError> {
    let result = remote
        .store()
        .get(key)
        .await
        .map_err(|e| DownloadError::Remote(remote.request_error("downloading", key)(e)))?;
    let mut stream = result.into_stream();
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let path = dest.to_owned();
    let writer = tokio::task::spawn_blocking(move || write_file(&path, identity.as_deref(), rx));
    let mut hasher = Sha256::new();
    let mut object_bytes = 0u64;
    let mut failed = None;
    loop {
        match stream.try_next().await {
            Ok(Some(chunk)) => {
                hasher.update(&chunk);
                object_bytes += chunk.len() as u64;
                if tx.send(chunk).await.is_err() {
                    break; // the writer stopped: its error says why
                }
            }
            Ok(None) => break,
            Err(e) => {
                failed = Some(remote.request_error("downloading", key)(e));
                break;
            }
        }
    }
    drop(tx);
    let written = writer.await.unwrap_or_else(|e| {
        Err(DownloadError::Io(io_error(
            dest,
            std::io::Error::other(e.to_string()),
        )))
    });
    if let Some(error) = failed {
        return Err(DownloadError::Remote(error));
    }
    let (plain_bytes, plain_sha256) = written?;
    Ok(Transferred {
        plain_bytes,
        plain_sha256,
        object_bytes,
        object_sha256: hex::encode(hasher.finalize()),
    })
}

fn io_error(path: &Utf8Path, source: std::io::Error) -> IoError {
    IoError {
        action: "writing",
        path: path.to_owned(),
        source,
    }
}

/// Writes what `rx` brings into the new file `path`, decrypted when `identity` is given.
fn write_file(
    path: &Utf8PathBuf,
    identity: Option<&Identity>,
    rx: mpsc::Receiver<Bytes>,
) -> Result<(u64, String), DownloadError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| DownloadError::Io(io_error(path, e)))?;
    let mut source = ChunkReader {
        rx,
        current: Bytes::new(),
    };
    let copied = match identity {
        None => copy_hashing(&mut source, &mut file),
        Some(identity) => {
            let mut plain = identity.decrypt(source).map_err(DownloadError::Decrypt)?;
            copy_hashing(&mut plain, &mut file)
        }
    };
    let sums = copied.map_err(|e| {
        // age reports a damaged payload as an I/O error of kind InvalidData.
        if e.kind() == std::io::ErrorKind::InvalidData {
            DownloadError::Decrypt(age::DecryptError::Io(e))
        } else {
            DownloadError::Io(io_error(path, e))
        }
    })?;
    file.sync_all()
        .map_err(|e| DownloadError::Io(io_error(path, e)))?;
    Ok(sums)
}

/// A reader over the chunks a channel brings.
struct ChunkReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
