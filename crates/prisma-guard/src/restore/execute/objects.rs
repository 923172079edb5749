//! Bucket objects at restore time: the survey (list the prefix, decide each key), the check
//! (each archive against the manifest before anything is written) and the writes, which run
//! after the database transaction commits.
//!
//! Deciding a key (see [`survey`]): absent → put. Same size and the ETag recorded at snapshot
//! time → unchanged. Otherwise `merge` keeps it (never overwrites a key); `upsert`/`replace`:
//! another size → overwritten; same size but another ETag → the object is read and its SHA-256
//! compared (one GET, only for these), so an identical object is never rewritten. `replace`
//! also deletes the keys under the prefix that the snapshot lacks — only under that prefix.
//! Writes stream from the archive (objects up to 8 MiB in one PUT, larger ones as multipart
//! uploads of 8 MiB parts); puts come first, deletes last.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use camino::Utf8Path;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;

use crate::error::IoError;
use crate::remote::{Remote, RemoteError, RemoteUrl};
use crate::restore::RestoreError;
use crate::restore::plan::{BucketChanges, BucketPlan, Mode, ObjectAction, RestorePlan};
use crate::snapshot::objects::{object_path, open, prefix_path};

/// Objects up to this size go in one PUT; larger ones as a multipart upload of parts this big.
const PART: usize = 8 << 20;

/// What happened to one prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BucketResult {
    /// The group.
    pub group: String,
    /// The prefix.
    pub url: String,
    /// The counts (in a dry run, what would be done).
    pub changes: BucketChanges,
}

/// Lists each planned prefix and decides every key (see the module's rules), filling in
/// [`BucketPlan::changes`] and the actions. Only reads: one LIST per 1000 keys, and one GET
/// per key whose size matches but whose ETag does not (`upsert`, `replace`).
///
/// Errors: [`RestoreError::BucketRead`] naming the prefix.
pub async fn survey(plan: &mut RestorePlan) -> Result<(), RestoreError> {
    let mode = plan.mode;
    for bucket in &mut plan.buckets {
        let failed = |e| RestoreError::BucketRead {
            group: bucket.group.clone(),
            url: bucket.url.clone(),
            source: Box::new(e),
        };
        let url = RemoteUrl::parse(&bucket.url, "the plan").map_err(failed)?;
        let remote = open(&url).map_err(failed)?;
        let (changes, actions) =
            decide(&remote, &url, bucket, mode)
                .await
                .map_err(|e| RestoreError::BucketRead {
                    group: bucket.group.clone(),
                    url: bucket.url.clone(),
                    source: Box::new(e),
                })?;
        bucket.changes = Some(changes);
        bucket.actions = actions;
    }
    Ok(())
}

async fn decide(
    remote: &Remote,
    url: &RemoteUrl,
    bucket: &BucketPlan,
    mode: Mode,
) -> Result<(BucketChanges, Vec<ObjectAction>), RemoteError> {
    let prefix = prefix_path(url);
    let store = remote.store();
    let mut live: BTreeMap<String, (u64, Option<String>)> = BTreeMap::new();
    let mut listing = store.list(Some(&prefix));
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(remote.request_error("listing", &prefix))?;
        let key = relative(url, &meta.location);
        live.insert(key, (meta.size, meta.e_tag));
    }
    let mut changes = BucketChanges::default();
    let mut actions = Vec::new();
    for (ordinal, object) in bucket.archive.objects.iter().enumerate() {
        let Some((size, etag)) = live.get(&object.key) else {
            changes.put += 1;
            changes.put_bytes += object.bytes;
            actions.push(ObjectAction::Put(ordinal));
            continue;
        };
        let unchanged = *size == object.bytes && etag.is_some() && *etag == object.etag;
        if unchanged || mode == Mode::Merge {
            if unchanged {
                changes.unchanged += 1;
            } else {
                changes.kept += 1;
            }
            continue;
        }
        let same = *size == object.bytes && {
            let location = object_path(url, &object.key).expect("placed keys are safe");
            sha256_of(remote, &location).await? == object.sha256
        };
        if same {
            changes.unchanged += 1;
        } else {
            changes.overwrite += 1;
            changes.overwrite_bytes += object.bytes;
            actions.push(ObjectAction::Overwrite(ordinal));
        }
    }
    if mode == Mode::Replace {
        let keys: BTreeSet<&str> = bucket
            .archive
            .objects
            .iter()
            .map(|o| o.key.as_str())
            .collect();
        for (key, (size, _)) in live.iter().filter(|(k, _)| !keys.contains(k.as_str())) {
            changes.delete += 1;
            changes.delete_bytes += size;
            actions.push(ObjectAction::Delete(key.clone()));
        }
    }
    Ok((changes, actions))
}

/// `location` relative to `url`'s prefix.
fn relative(url: &RemoteUrl, location: &Path) -> String {
    let full = location.as_ref();
    if url.prefix.is_empty() {
        return full.to_string();
    }
    full.strip_prefix(url.prefix.as_str())
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(full)
        .to_string()
}

/// The SHA-256 of an object's content, streamed.
async fn sha256_of(remote: &Remote, location: &Path) -> Result<String, RemoteError> {
    let result = remote
        .store()
        .get(location)
        .await
        .map_err(remote.request_error("downloading", location))?;
    let mut stream = result.into_stream();
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(remote.request_error("downloading", location))?
    {
        hasher.update(&chunk);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Checks every planned bucket archive against the manifest (its SHA-256 and each object's),
/// before anything is written.
///
/// Errors: [`RestoreError::Corrupt`] naming the archive and its first problem.
pub async fn check(dir: &Utf8Path, plan: &RestorePlan) -> Result<(), RestoreError> {
    for bucket in &plan.buckets {
        let path = dir.join(&bucket.file);
        let archive = bucket.archive.clone();
        let checked = path.clone();
        let problems = tokio::task::spawn_blocking(move || {
            crate::snapshot::objects::check(&checked, &archive)
        })
        .await
        .expect("the check does not panic");
        if let Some(problem) = problems.into_iter().next() {
            return Err(RestoreError::Corrupt {
                file: path,
                problem,
            });
        }
    }
    Ok(())
}

/// Makes the surveyed changes (puts and overwrites from the archive in `dir`, then deletes);
/// a dry run only reports them. Run after the database commit.
///
/// Errors: [`RestoreError::BucketWrite`] naming the prefix and how many changes were made.
pub async fn apply(
    dir: &Utf8Path,
    plan: &RestorePlan,
    dry_run: bool,
) -> Result<Vec<BucketResult>, RestoreError> {
    let mut results = Vec::new();
    for bucket in &plan.buckets {
        let changes = bucket.changes.clone().unwrap_or_default();
        if !dry_run && !bucket.actions.is_empty() {
            write_bucket(dir, bucket).await?;
        }
        results.push(BucketResult {
            group: bucket.group.clone(),
            url: bucket.url.clone(),
            changes,
        });
    }
    Ok(results)
}

async fn write_bucket(dir: &Utf8Path, bucket: &BucketPlan) -> Result<(), RestoreError> {
    let total = bucket.actions.len() as u64;
    let failed = |done: u64, e: RemoteError| RestoreError::BucketWrite {
        group: bucket.group.clone(),
        url: bucket.url.clone(),
        done,
        total,
        source: Box::new(e),
    };
    let url = RemoteUrl::parse(&bucket.url, "the plan").map_err(|e| failed(0, e))?;
    let remote = open(&url).map_err(|e| failed(0, e))?;
    let writes: BTreeSet<usize> = bucket
        .actions
        .iter()
        .filter_map(|a| match a {
            ObjectAction::Put(n) | ObjectAction::Overwrite(n) => Some(*n),
            ObjectAction::Delete(_) => None,
        })
        .collect();
    let mut done = 0;
    if !writes.is_empty() {
        let (path, handle) = (dir.join(&bucket.file), Handle::current());
        let (remote, url, bucket) = (remote.clone(), url.clone(), bucket.clone());
        let written = tokio::task::spawn_blocking(move || {
            put_from_archive(&handle, &remote, &url, &path, &bucket, &writes)
        })
        .await
        .expect("writing objects does not panic");
        done = match written {
            Ok(n) => n,
            Err((n, e)) => return Err(failed(n, e)),
        };
    }
    for action in &bucket.actions {
        if let ObjectAction::Delete(key) = action {
            let location = object_path(&url, key).expect("listed keys lie under the prefix");
            remote
                .store()
                .delete(&location)
                .await
                .map_err(|e| failed(done, remote.request_error("deleting", &location)(e)))?;
            done += 1;
        }
    }
    Ok(())
}

/// Streams the archive and puts each entry whose ordinal is in `writes`; runs on a blocking
/// thread, driving the requests with `handle`. Returns the objects written, or how many were
/// written before the error.
fn put_from_archive(
    handle: &Handle,
    remote: &Remote,
    url: &RemoteUrl,
    path: &Utf8Path,
    bucket: &BucketPlan,
    writes: &BTreeSet<usize>,
) -> Result<u64, (u64, RemoteError)> {
    let io = |e: std::io::Error| RemoteError::Io(IoError::at("reading", path)(e));
    let file = std::fs::File::open(path).map_err(|e| (0, io(e)))?;
    let decoder = zstd::Decoder::new(file).map_err(|e| (0, io(e)))?;
    let mut tar = tar::Archive::new(decoder);
    let mut done = 0u64;
    let last = *writes.iter().next_back().expect("called with writes");
    for (ordinal, entry) in tar.entries().map_err(|e| (0, io(e)))?.enumerate() {
        let mut entry = entry.map_err(|e| (done, io(e)))?;
        if !writes.contains(&ordinal) {
            continue;
        }
        let object = &bucket.archive.objects[ordinal];
        let location = object_path(url, &object.key).expect("placed keys are safe");
        put_object(handle, remote, &location, &mut entry, object.bytes).map_err(|e| (done, e))?;
        done += 1;
        if ordinal == last {
            break;
        }
    }
    Ok(done)
}

/// Puts one object read from `from` (`size` bytes): one PUT up to [`PART`], else a multipart
/// upload (aborted on failure, so no partial object appears).
fn put_object(
    handle: &Handle,
    remote: &Remote,
    location: &Path,
    from: &mut impl Read,
    size: u64,
) -> Result<(), RemoteError> {
    let store: &Arc<dyn ObjectStore> = remote.store();
    let uploading = || remote.request_error("uploading", location);
    let reading = |e| {
        RemoteError::Io(IoError::at(
            "reading the archive for",
            Utf8Path::new(location.as_ref()),
        )(e))
    };
    if size <= PART as u64 {
        let mut bytes = Vec::with_capacity(size as usize);
        from.read_to_end(&mut bytes).map_err(reading)?;
        handle
            .block_on(store.put(location, PutPayload::from(Bytes::from(bytes))))
            .map_err(uploading())?;
        return Ok(());
    }
    let upload = handle
        .block_on(store.put_multipart(location))
        .map_err(uploading())?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
    let mut buf = vec![0; 1 << 20];
    let copied: Result<(), RemoteError> = loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(reading(e)),
        };
        if let Err(e) = handle.block_on(writer.wait_for_capacity(2)) {
            break Err(uploading()(e));
        }
        writer.write(&buf[..n]);
    };
    match copied {
        Ok(()) => handle
            .block_on(writer.finish())
            .map(|_| ())
            .map_err(uploading()),
        Err(e) => {
            let _ = handle.block_on(writer.abort());
            Err(e)
        }
    }
}
