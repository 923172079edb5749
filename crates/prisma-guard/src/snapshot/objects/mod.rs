//! Bucket prefixes in `files.<group>` (`images = ["s3://app-uploads/images/"]`): every object
//! under the prefix copied INTO the snapshot as `files/<group>.bucket-<n>.tar.zst` (a zstd tar
//! whose entries are named `objects/<ordinal>`), each object's key, size, SHA-256 and ETag
//! recorded in the manifest ([`BucketArchive`]).
//!
//! The snapshot stays self-contained: `snapshots push` carries the archive (encrypted like any
//! other file), `snapshots verify` re-hashes it and every object in it. Objects stream from the
//! GET response into the archive through a blocking thread (1 MiB at a time): memory does not
//! grow with an object's size. The SHA-256 is computed while streaming (an ETag is not a
//! content hash for multipart uploads). Keys, endpoint and region come from the AWS variables
//! ([`AwsSettings::from_env`]), as for the remote store; never from the configuration.

mod check;

pub use check::check;

use std::collections::BTreeMap;
use std::io::Read;

use bytes::Bytes;
use camino::{Utf8Path, Utf8PathBuf};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;

use super::SnapshotError;
use super::csv::Hashing;
use super::manifest::{BucketArchive, BucketObject};
use super::write::{create_dir_private, create_file_private};
use crate::error::IoError;
use crate::remote::{AwsSettings, Remote, RemoteError, RemoteUrl};

/// Upload folders per group, relative to the project root.
pub type Folders = BTreeMap<String, Vec<Utf8PathBuf>>;
/// Bucket prefixes per group.
pub type Buckets = BTreeMap<String, Vec<RemoteUrl>>;

/// Splits `files.<group>` into upload folders and bucket prefixes (entries starting with
/// `s3://`). A group with only bucket prefixes has no folder entry, so it gets no folder
/// archive.
///
/// Errors: [`SnapshotError::Bucket`] for a bucket entry that is not an `s3://bucket/prefix` URL.
pub fn split(
    files: &BTreeMap<String, Vec<Utf8PathBuf>>,
) -> Result<(Folders, Buckets), SnapshotError> {
    let (mut folders, mut buckets) = (BTreeMap::new(), BTreeMap::new());
    for (group, entries) in files {
        let mut local = Vec::new();
        let mut remote = Vec::new();
        for entry in entries {
            if RemoteUrl::is_remote(entry.as_str()) {
                let url = RemoteUrl::parse(entry.as_str(), &format!("files.{group}"))
                    .map_err(|e| bucket_error(group, entry.as_str(), e))?;
                remote.push(url);
            } else {
                local.push(entry.clone());
            }
        }
        if !local.is_empty() || remote.is_empty() {
            folders.insert(group.clone(), local);
        }
        if !remote.is_empty() {
            buckets.insert(group.clone(), remote);
        }
    }
    Ok((folders, buckets))
}

fn bucket_error(group: &str, url: &str, source: RemoteError) -> SnapshotError {
    SnapshotError::Bucket {
        group: group.to_string(),
        url: url.to_string(),
        source: Box::new(source),
    }
}

/// The archive name of the `n`-th (from 1) bucket prefix of `group`.
pub fn archive_file(group: &str, n: usize) -> Utf8PathBuf {
    format!("files/{group}.bucket-{n}.tar.zst").into()
}

/// The key prefix of `url` as an object path (empty: the bucket's root).
pub fn prefix_path(url: &RemoteUrl) -> Path {
    Path::from_iter(url.prefix.split('/').filter(|p| !p.is_empty()))
}

/// The full key of `key` (relative to `url`'s prefix), refusing a key with an empty, `.` or
/// `..` segment, so it always lies under the prefix. `None` when refused.
pub fn object_path(url: &RemoteUrl, key: &str) -> Option<Path> {
    if key.is_empty()
        || key
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return None;
    }
    let full = match url.prefix.as_str() {
        "" => key.to_string(),
        prefix => format!("{prefix}/{key}"),
    };
    Path::parse(full).ok()
}

/// Opens `url` with the AWS settings of the process environment.
///
/// Errors: [`RemoteError::NoCredentials`], [`RemoteError::Request`] (a malformed endpoint).
pub fn open(url: &RemoteUrl) -> Result<Remote, RemoteError> {
    let settings = AwsSettings::from_env(&|name| std::env::var(name).ok())?;
    Remote::open(url, &settings)
}

/// Copies every object under each group's bucket prefixes into `<dir>/files/`, groups in name
/// order, prefixes in the order configured. One LIST request per 1000 objects, one GET per
/// object.
///
/// Errors: [`SnapshotError::Bucket`] naming the group and prefix (no credentials, the bucket
/// unreachable or missing, a request failing, an object changing while it is read),
/// [`SnapshotError::Io`] for the archive file.
pub(super) async fn write_all(
    dir: &Utf8Path,
    buckets: &BTreeMap<String, Vec<RemoteUrl>>,
    level: i32,
) -> Result<Vec<BucketArchive>, SnapshotError> {
    if buckets.is_empty() {
        return Ok(Vec::new());
    }
    create_dir_private(&dir.join("files"), true)?;
    let mut archives = Vec::new();
    for (group, urls) in buckets {
        for (n, url) in urls.iter().enumerate() {
            let failed = |e| bucket_error(group, &url.to_string(), e);
            let remote = open(url).map_err(failed)?;
            let file = archive_file(group, n + 1);
            let (path, url_owned) = (dir.join(&file), url.clone());
            let handle = Handle::current();
            let copied = tokio::task::spawn_blocking(move || {
                copy_prefix(&handle, &remote, &url_owned, &path, level)
            })
            .await
            .expect("copying a bucket prefix does not panic");
            let (bytes, sha256, objects) = match copied {
                Ok(done) => done,
                Err(Failure::Io(e)) => return Err(e.into()),
                Err(Failure::Remote(e)) => return Err(failed(e)),
            };
            archives.push(BucketArchive {
                group: group.clone(),
                url: url.to_string(),
                file,
                bytes,
                sha256,
                objects,
            });
        }
    }
    Ok(archives)
}

/// Why copying a prefix failed.
enum Failure {
    Io(IoError),
    Remote(RemoteError),
}

impl From<IoError> for Failure {
    fn from(e: IoError) -> Failure {
        Failure::Io(e)
    }
}

type Copied = (u64, String, Vec<BucketObject>);

/// Lists `url`'s prefix and streams each object into the archive at `path`; runs on a blocking
/// thread, driving the requests with `handle`.
fn copy_prefix(
    handle: &Handle,
    remote: &Remote,
    url: &RemoteUrl,
    path: &Utf8Path,
    level: i32,
) -> Result<Copied, Failure> {
    let store = remote.store().clone();
    let prefix = prefix_path(url);
    let out = create_file_private(path).map_err(|e| match e {
        SnapshotError::Io(e) => Failure::Io(e),
        other => Failure::Io(IoError::at("creating", path)(std::io::Error::other(
            other.to_string(),
        ))),
    })?;
    let archiving = |e| IoError::at("archiving into", path)(e);
    let encoder = zstd::Encoder::new(Hashing::new(out), level).map_err(archiving)?;
    let mut tar = tar::Builder::new(encoder);
    let mut listing = store.list(Some(&prefix));
    let mut objects = Vec::new();
    while let Some(meta) = handle.block_on(listing.next()) {
        let meta =
            meta.map_err(|e| Failure::Remote(remote.request_error("listing", &prefix)(e)))?;
        let key = relative_key(url, &meta.location);
        let object = copy_object(
            handle,
            &store,
            remote,
            &meta.location,
            objects.len(),
            &mut tar,
        )?;
        objects.push(BucketObject { key, ..object });
    }
    let encoder = tar.into_inner().map_err(archiving)?;
    let (file, bytes, sha256) = encoder.finish().map_err(archiving)?.finish();
    file.sync_all().map_err(archiving)?;
    Ok((bytes, sha256, objects))
}

/// `location` relative to `url`'s prefix.
fn relative_key(url: &RemoteUrl, location: &Path) -> String {
    let full = location.as_ref();
    match url.prefix.as_str() {
        "" => full.to_string(),
        prefix => full
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(full)
            .to_string(),
    }
}

/// GETs one object and streams it into the archive as entry `objects/<ordinal>`; the key is
/// left empty for the caller.
fn copy_object<W: std::io::Write>(
    handle: &Handle,
    store: &std::sync::Arc<dyn ObjectStore>,
    remote: &Remote,
    location: &Path,
    ordinal: usize,
    tar: &mut tar::Builder<W>,
) -> Result<BucketObject, Failure> {
    let downloading = || remote.request_error("downloading", location);
    let result = handle
        .block_on(store.get(location))
        .map_err(|e| Failure::Remote(downloading()(e)))?;
    let size = result.meta.size;
    let etag = result.meta.e_tag.clone();
    let mut reader = StreamReader {
        handle,
        stream: result.into_stream(),
        current: Bytes::new(),
        hasher: Sha256::new(),
        bytes: 0,
        error: None,
    };
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(0);
    let name = format!("objects/{ordinal:08}");
    let appended = tar.append_data(&mut header, &name, &mut reader);
    if let Some(e) = reader.error.take() {
        return Err(Failure::Remote(downloading()(e)));
    }
    appended.map_err(|e| Failure::Io(IoError::at("archiving", Utf8Path::new(&name))(e)))?;
    if reader.bytes != size {
        let changed = std::io::Error::other(format!(
            "{} bytes read, the store announced {size}: the object changed while it was copied",
            reader.bytes
        ));
        return Err(Failure::Io(IoError::at(
            "copying",
            Utf8Path::new(&remote.show(location)),
        )(changed)));
    }
    Ok(BucketObject {
        key: String::new(),
        bytes: size,
        sha256: hex::encode(reader.hasher.finalize()),
        etag,
    })
}

/// A reader over a GET response's body, hashing what it yields.
struct StreamReader<'h> {
    handle: &'h Handle,
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    current: Bytes,
    hasher: Sha256,
    bytes: u64,
    /// The request's error, kept for the message (the reader can only return an I/O error).
    error: Option<object_store::Error>,
}

impl Read for StreamReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => {
                    self.error = Some(e);
                    return Err(std::io::Error::other("the download failed"));
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        let chunk = self.current.split_to(n);
        self.hasher.update(&chunk);
        self.bytes += n as u64;
        out[..n].copy_from_slice(&chunk);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_split_into_folders_and_bucket_prefixes() {
        let files = BTreeMap::from([
            (
                "images".to_string(),
                vec!["public/uploads".into(), "s3://app-uploads/images/".into()],
            ),
            ("docs".to_string(), vec!["s3://app-docs".into()]),
            ("empty".to_string(), vec![]),
        ]);
        let (folders, buckets) = split(&files).unwrap();
        assert_eq!(
            folders,
            BTreeMap::from([
                ("images".to_string(), vec!["public/uploads".into()]),
                ("empty".to_string(), vec![]),
            ])
        );
        assert_eq!(buckets["images"][0].to_string(), "s3://app-uploads/images");
        assert_eq!(buckets["docs"][0].prefix, "");
        let bad = BTreeMap::from([("images".to_string(), vec!["s3://A/x".into()])]);
        let error = split(&bad).unwrap_err().to_string();
        assert!(
            error.contains("s3://A/x") && error.contains("files.images"),
            "{error}"
        );
    }

    #[test]
    fn keys_stay_under_their_prefix() {
        let url = RemoteUrl::parse("s3://app-uploads/images/", "t").unwrap();
        assert_eq!(
            object_path(&url, "a/b.png").unwrap().as_ref(),
            "images/a/b.png"
        );
        for bad in ["", "../x", "a//b", "./a", "a/.."] {
            assert!(object_path(&url, bad).is_none(), "{bad}");
        }
        let root = RemoteUrl::parse("s3://app-uploads", "t").unwrap();
        assert_eq!(object_path(&root, "x").unwrap().as_ref(), "x");
        assert_eq!(
            relative_key(&url, &Path::parse("images/a/b.png").unwrap()),
            "a/b.png"
        );
    }
}
