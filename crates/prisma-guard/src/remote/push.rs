//! Pushing a local snapshot: every data file and archive (encrypted when there are
//! recipients), the sidecar, `remote.json`, and the manifest last.

use serde::Serialize;

use super::index::{INDEX_FILE, INDEX_VERSION, RemoteIndex, RemoteObject, object_key};
use super::{Recipients, Remote, RemoteError, transfer};
use crate::error::IoError;
use crate::snapshot::StoredSnapshot;
use crate::snapshot::manifest::MANIFEST_FILE;
use crate::snapshot::sidecar::SIDECAR_FILE;

/// What [`push`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushOutcome {
    /// The snapshot id.
    pub id: String,
    /// Data files and archives uploaded (0 when it was already there).
    pub files: usize,
    /// Bytes uploaded, as stored.
    pub bytes: u64,
    /// Encrypted to the recipients.
    pub encrypted: bool,
    /// The remote store already held this snapshot whole: nothing was uploaded.
    pub already_there: bool,
}

/// Pushes `snapshot` to `remote`, encrypted to `recipients` when there are any.
///
/// Order: each file of the manifest (streamed, its SHA-256 checked against the manifest as it
/// is read), the sidecar, `remote.json`, then any object of an earlier interrupted push that is
/// not part of this one is deleted, and `manifest.json` is written last: until then the
/// snapshot is not listed. A snapshot already there with the same manifest is left alone.
///
/// Errors: [`RemoteError::Conflict`] when the remote store holds another snapshot of that id,
/// [`RemoteError::LocalChanged`] when a local file does not match the manifest (no manifest
/// is written), [`RemoteError::Request`] for a failed request, [`RemoteError::Io`] for a file
/// that cannot be read.
pub async fn push(
    remote: &Remote,
    snapshot: &StoredSnapshot,
    recipients: &Recipients,
) -> Result<PushOutcome, RemoteError> {
    let manifest = &snapshot.manifest;
    let id = manifest.id.as_str();
    let encrypted = !recipients.is_empty();
    if let Some(there) = remote.open_snapshot(id).await? {
        if there.manifest != *manifest {
            return Err(RemoteError::Conflict {
                id: id.to_string(),
                remote: remote.url().to_string(),
            });
        }
        return Ok(PushOutcome {
            id: id.to_string(),
            files: 0,
            bytes: 0,
            encrypted: there.index.encrypted(),
            already_there: true,
        });
    }
    let expected = manifest
        .tables
        .iter()
        .map(|t| (t.file.as_str(), t.bytes, t.sha256.as_str()))
        .chain(
            manifest
                .files
                .iter()
                .map(|f| (f.file.as_str(), f.bytes, f.sha256.as_str())),
        )
        .chain(
            manifest
                .buckets
                .iter()
                .map(|b| (b.file.as_str(), b.bytes, b.sha256.as_str())),
        );
    let mut objects = Vec::new();
    for (file, bytes, sha256) in expected {
        let key = object_key(file, encrypted);
        let local = snapshot.path.join(file);
        let sums = transfer::upload(remote, &remote.key(id, &key), &local, recipients).await?;
        if sums.plain_bytes != bytes || sums.plain_sha256 != sha256 {
            return Err(RemoteError::LocalChanged {
                id: id.to_string(),
                file: file.to_string(),
                problem: format!(
                    "{} bytes read, manifest says {bytes}{}",
                    sums.plain_bytes,
                    if sums.plain_sha256 != sha256 {
                        "; sha256 differs"
                    } else {
                        ""
                    }
                ),
            });
        }
        objects.push(RemoteObject {
            file: file.to_string(),
            key,
            encrypted,
            bytes: sums.object_bytes,
            sha256: sums.object_sha256,
        });
    }
    let sidecar = snapshot.path.join(SIDECAR_FILE);
    if sidecar.is_file() {
        let bytes = std::fs::read(&sidecar).map_err(IoError::at("reading", &sidecar))?;
        remote.put_bytes(id, SIDECAR_FILE, bytes).await?;
    }
    let index = RemoteIndex {
        format_version: INDEX_VERSION,
        recipients: recipients.texts().to_vec(),
        objects,
    };
    let index_json = serde_json::to_vec_pretty(&index).expect("the index serializes");
    remote.put_bytes(id, INDEX_FILE, index_json).await?;
    remove_strays(remote, id, &index).await?;
    let manifest_path = snapshot.path.join(MANIFEST_FILE);
    let manifest_bytes =
        std::fs::read(&manifest_path).map_err(IoError::at("reading", &manifest_path))?;
    remote.put_bytes(id, MANIFEST_FILE, manifest_bytes).await?;
    Ok(PushOutcome {
        id: id.to_string(),
        files: index.objects.len(),
        bytes: index.total_bytes(),
        encrypted,
        already_there: false,
    })
}

/// Deletes the objects in snapshot `id`'s folder that `index` does not name (left by an
/// interrupted push with other settings), so the completed snapshot holds only its own.
async fn remove_strays(remote: &Remote, id: &str, index: &RemoteIndex) -> Result<(), RemoteError> {
    let mut wanted: Vec<object_store::path::Path> = index
        .objects
        .iter()
        .map(|o| remote.key(id, &o.key))
        .collect();
    for file in [SIDECAR_FILE, INDEX_FILE, MANIFEST_FILE] {
        wanted.push(remote.key(id, file));
    }
    for meta in remote.objects(id).await? {
        if !wanted.contains(&meta.location) {
            remote.delete_object(&meta.location).await?;
        }
    }
    Ok(())
}
