//! `snapshots verify` of a remote copy: every object re-read and hashed against `remote.json`
//! (no key needed: the checksum is of the bytes as stored), and the manifest compared with the
//! local one when the snapshot is local too.

use futures_util::TryStreamExt;
use object_store::ObjectStoreExt;
use sha2::{Digest, Sha256};

use super::{Remote, RemoteError, RemoteSnapshot};
use crate::snapshot::Manifest;
use crate::snapshot::verify::{Problem, VerifyReport};

/// Verifies `snapshot`'s objects in `remote`: each exists, has the size and SHA-256 that
/// `remote.json` records; and, given the `local` manifest of the same id, that the remote
/// manifest equals it. Downloads every object once; never stops at the first problem.
///
/// Errors: [`RemoteError::Request`] when the store cannot be reached at all (a missing object
/// is a problem in the report, not an error).
pub async fn verify(
    remote: &Remote,
    snapshot: &RemoteSnapshot,
    local: Option<&Manifest>,
) -> Result<VerifyReport, RemoteError> {
    let id = &snapshot.manifest.id;
    let mut problems = Vec::new();
    let problem = |file: &str, text: String| Problem {
        file: format!("remote {file}"),
        problem: text,
    };
    for object in &snapshot.index.objects {
        let key = remote.key(id, &object.key);
        let result = match remote.store().get(&key).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => {
                problems.push(problem(&object.key, "missing".into()));
                continue;
            }
            Err(e) => return Err(remote.request_error("downloading", &key)(e)),
        };
        let mut stream = result.into_stream();
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(remote.request_error("downloading", &key))?
        {
            hasher.update(&chunk);
            bytes += chunk.len() as u64;
        }
        if bytes != object.bytes {
            let text = format!("{bytes} bytes, remote.json says {}", object.bytes);
            problems.push(problem(&object.key, text));
        } else if hex::encode(hasher.finalize()) != object.sha256 {
            problems.push(problem(
                &object.key,
                "sha256 differs from remote.json".into(),
            ));
        }
    }
    if local.is_some_and(|m| m != &snapshot.manifest) {
        problems.push(problem(
            crate::snapshot::manifest::MANIFEST_FILE,
            "differs from the local snapshot's manifest".into(),
        ));
    }
    Ok(VerifyReport {
        id: format!("{id} (remote)"),
        files: snapshot.index.objects.len(),
        rows: snapshot.manifest.total_rows(),
        problems,
    })
}
