//! Pulling a remote snapshot into the local store: downloaded (and decrypted) into a hidden
//! temporary folder, checked object by object and then as a whole, renamed into place.

use std::os::unix::fs::DirBuilderExt;
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use super::transfer::{self, DownloadError};
use super::{Identity, Remote, RemoteError};
use crate::error::IoError;
use crate::snapshot::manifest::MANIFEST_FILE;
use crate::snapshot::sidecar::SIDECAR_FILE;
use crate::snapshot::{StoredSnapshot, store::TEMP_PREFIX};

/// What [`pull`] did.
#[derive(Debug, Clone)]
pub struct PullOutcome {
    /// The snapshot, now in the local store.
    pub snapshot: StoredSnapshot,
    /// It was already in the local store: nothing was downloaded.
    pub already_local: bool,
    /// Objects downloaded.
    pub files: usize,
    /// Bytes downloaded, as stored.
    pub bytes: u64,
}

/// A summary for `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct PullSummary<'a> {
    /// The snapshot id.
    pub id: &'a str,
    /// Where it is now.
    pub path: &'a Utf8Path,
    /// See [`PullOutcome::already_local`].
    pub already_local: bool,
    /// See [`PullOutcome::files`].
    pub files: usize,
    /// See [`PullOutcome::bytes`].
    pub bytes: u64,
}

impl PullOutcome {
    /// The JSON summary.
    pub fn summary(&self) -> PullSummary<'_> {
        PullSummary {
            id: &self.snapshot.manifest.id,
            path: &self.snapshot.path,
            already_local: self.already_local,
            files: self.files,
            bytes: self.bytes,
        }
    }
}

/// Pulls remote snapshot `id` (or a unique prefix) into `store`, decrypting with `identity`.
///
/// Each object's size and SHA-256 are checked against `remote.json` as it streams in, then the
/// whole snapshot is verified against its manifest ([`crate::snapshot::verify()`]) before it is
/// renamed into place; on any error the temporary folder is removed and the store is as it
/// was. A snapshot already in the local store is not downloaded again.
///
/// Errors: as [`Remote::find`]; [`RemoteError::NoIdentity`] for an encrypted snapshot without
/// an identity, [`RemoteError::WrongIdentity`] when it does not decrypt it,
/// [`RemoteError::Decrypt`] and [`RemoteError::Corrupt`] for damaged objects,
/// [`RemoteError::PulledDamaged`] when the result does not verify, [`RemoteError::Io`] and
/// [`RemoteError::Local`] for the local store.
pub async fn pull(
    remote: &Remote,
    id: &str,
    store: &Utf8Path,
    identity: Option<Arc<Identity>>,
) -> Result<PullOutcome, RemoteError> {
    let found = remote.find(id).await?;
    let id = found.manifest.id.clone();
    // The id names the local folder: a plain name, never a path (`find` checked that the
    // manifest names the folder it is in).
    if id.is_empty() || id.starts_with('.') || id.contains(['/', '\\']) {
        return Err(RemoteError::Corrupt {
            id: id.clone(),
            key: MANIFEST_FILE.into(),
            problem: "its id is not a plain folder name".into(),
        });
    }
    let target = store.join(&id);
    if target.join(MANIFEST_FILE).is_file() {
        return Ok(PullOutcome {
            snapshot: crate::snapshot::store::open(&target)?,
            already_local: true,
            files: 0,
            bytes: 0,
        });
    }
    if found.index.encrypted() && identity.is_none() {
        return Err(RemoteError::NoIdentity { id });
    }
    crate::snapshot::store::create(store)?;
    let temp = TempFolder::create(store, &id)?;
    for object in &found.index.objects {
        let dest = temp.path.join(&object.file);
        if let Some(parent) = dest.parent() {
            create_private_dirs(parent)?;
        }
        let key = remote.key(&id, &object.key);
        let key_identity = if object.encrypted {
            identity.clone()
        } else {
            None
        };
        let sums = transfer::download(remote, &key, &dest, key_identity)
            .await
            .map_err(|e| download_error(e, &id, &object.key, identity.as_deref()))?;
        if sums.object_bytes != object.bytes || sums.object_sha256 != object.sha256 {
            return Err(RemoteError::Corrupt {
                id,
                key: object.key.clone(),
                problem: format!(
                    "{} bytes downloaded, remote.json says {} (or its sha256 differs)",
                    sums.object_bytes, object.bytes
                ),
            });
        }
    }
    for file in [MANIFEST_FILE, SIDECAR_FILE] {
        if let Some(text) = remote.get_text(&id, file).await? {
            let path = temp.path.join(file);
            write_private(&path, text.as_bytes())?;
        }
    }
    let pulled = crate::snapshot::store::open(&temp.path)?;
    let report = tokio::task::spawn_blocking({
        let pulled = pulled.clone();
        move || crate::snapshot::verify(&pulled)
    })
    .await
    .map_err(|e| {
        RemoteError::Io(IoError::at("verifying", &temp.path)(std::io::Error::other(
            e.to_string(),
        )))
    })?;
    if !report.ok() {
        let problems = report
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.file, p.problem))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(RemoteError::PulledDamaged { id, problems });
    }
    temp.persist(&target)?;
    Ok(PullOutcome {
        snapshot: crate::snapshot::store::open(&target)?,
        already_local: false,
        files: found.index.objects.len(),
        bytes: found.index.total_bytes(),
    })
}

fn download_error(
    error: DownloadError,
    id: &str,
    key: &str,
    identity: Option<&Identity>,
) -> RemoteError {
    match error {
        DownloadError::Remote(e) => e,
        DownloadError::Io(e) => RemoteError::Io(e),
        DownloadError::Decrypt(age::DecryptError::NoMatchingKeys) => RemoteError::WrongIdentity {
            id: id.to_string(),
            path: identity.map_or_else(String::new, |i| i.source.clone()),
        },
        DownloadError::Decrypt(e) => RemoteError::Decrypt {
            id: id.to_string(),
            key: key.to_string(),
            problem: e.to_string(),
        },
    }
}

fn create_private_dirs(path: &Utf8Path) -> Result<(), RemoteError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(IoError::at("creating", path))?;
    Ok(())
}

fn write_private(path: &Utf8Path, bytes: &[u8]) -> Result<(), RemoteError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(IoError::at("creating", path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(IoError::at("writing", path))?;
    Ok(())
}

/// The hidden `.tmp-<pid>-<start>-<id>` folder a pull writes into (the name a snapshot being
/// written has, so the leftovers of a killed pull are removed as a killed snapshot's are);
/// removed on drop unless persisted.
struct TempFolder {
    path: Utf8PathBuf,
    persisted: bool,
}

impl TempFolder {
    fn create(store: &Utf8Path, id: &str) -> Result<TempFolder, RemoteError> {
        let owner = crate::owner::Owner::current().tag();
        let random = uuid::Uuid::new_v4().simple().to_string();
        let path = store.join(format!("{TEMP_PREFIX}{owner}-pull{}-{id}", &random[..8]));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(IoError::at("creating", &path))?;
        Ok(TempFolder {
            path,
            persisted: false,
        })
    }

    /// Renames the folder to `target`; when another run put the snapshot there first, this
    /// copy is dropped and theirs kept.
    fn persist(mut self, target: &Utf8Path) -> Result<(), RemoteError> {
        match std::fs::rename(&self.path, target) {
            Ok(()) => {
                self.persisted = true;
                Ok(())
            }
            Err(_) if target.join(MANIFEST_FILE).is_file() => Ok(()),
            Err(e) => Err(RemoteError::Io(IoError::at("renaming", &self.path)(e))),
        }
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
