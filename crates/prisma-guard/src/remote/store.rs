//! Opening the bucket, and the snapshots in it: listing (only those whose manifest exists),
//! finding one by id or prefix, reading and writing its small JSON files.

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::index::{INDEX_FILE, RemoteIndex};
use super::{AwsSettings, RemoteError, RemoteUrl};
use crate::snapshot::Manifest;
use crate::snapshot::manifest::MANIFEST_FILE;

/// An opened remote store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Remote {
    url: RemoteUrl,
    store: Arc<dyn ObjectStore>,
}

/// A complete snapshot in the remote store.
#[derive(Debug, Clone)]
pub struct RemoteSnapshot {
    /// Its manifest, as pushed (the local manifest, unchanged).
    pub manifest: Manifest,
    /// Its objects: sizes, checksums, encryption.
    pub index: RemoteIndex,
}

impl Remote {
    /// Builds the S3 client for `url` with `settings` (path-style requests, so any
    /// S3-compatible endpoint works; `http://` endpoints allowed; 3 retries within 30 s). Makes
    /// no request.
    ///
    /// Errors: [`RemoteError::Request`] when the client cannot be built (a malformed endpoint).
    pub fn open(url: &RemoteUrl, settings: &AwsSettings) -> Result<Remote, RemoteError> {
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&url.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(&settings.secret_access_key)
            .with_retry(object_store::RetryConfig {
                backoff: Default::default(),
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
            })
            .with_client_options(
                object_store::ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(10))
                    .with_timeout(Duration::from_secs(300)),
            );
        if let Some(token) = &settings.session_token {
            builder = builder.with_token(token);
        }
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder.build().map_err(|source| RemoteError::Request {
            action: "connecting to",
            location: url.to_string(),
            source,
        })?;
        Ok(Remote {
            url: url.clone(),
            store: Arc::new(store),
        })
    }

    /// The store's URL.
    pub fn url(&self) -> &RemoteUrl {
        &self.url
    }

    /// The S3 client, for the bucket copies of `files.<group>` ([`crate::snapshot::objects`]).
    pub(crate) fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The key of `file` (a `/`-separated path relative to the snapshot) of snapshot `id`.
    pub fn key(&self, id: &str, file: &str) -> Path {
        let prefix = self.url.prefix.split('/').filter(|p| !p.is_empty());
        Path::from_iter(prefix.chain([id]).chain(file.split('/')))
    }

    /// The folder of snapshot `id`.
    fn folder(&self, id: &str) -> Path {
        let prefix = self.url.prefix.split('/').filter(|p| !p.is_empty());
        Path::from_iter(prefix.chain([id]))
    }

    /// `s3://bucket/key`, for messages.
    pub fn show(&self, key: &Path) -> String {
        format!("s3://{}/{}", self.url.bucket, key)
    }

    pub(crate) fn request_error(
        &self,
        action: &'static str,
        key: &Path,
    ) -> impl FnOnce(object_store::Error) -> RemoteError + use<> {
        let location = self.show(key);
        move |source| RemoteError::Request {
            action,
            location,
            source,
        }
    }

    /// The ids of the snapshot folders under the prefix, complete or not, sorted.
    pub async fn folders(&self) -> Result<Vec<String>, RemoteError> {
        let prefix = Path::from_iter(self.url.prefix.split('/').filter(|p| !p.is_empty()));
        let listing = self
            .store
            .list_with_delimiter(Some(&prefix))
            .await
            .map_err(self.request_error("listing", &prefix))?;
        let mut ids: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .filter(|id| !id.starts_with('.'))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The complete snapshots (those whose manifest exists), oldest first as the local list.
    /// One LIST request, then two GETs per snapshot.
    ///
    /// Errors: [`RemoteError::Request`] when listing or reading fails,
    /// [`RemoteError::Corrupt`] for a manifest or index that does not parse.
    pub async fn list(&self) -> Result<Vec<RemoteSnapshot>, RemoteError> {
        let mut snapshots = Vec::new();
        for id in self.folders().await? {
            if let Some(snapshot) = self.open_snapshot(&id).await? {
                snapshots.push(snapshot);
            }
        }
        snapshots.sort_by(|a, b| {
            (a.manifest.created_at, &a.manifest.id).cmp(&(b.manifest.created_at, &b.manifest.id))
        });
        Ok(snapshots)
    }

    /// Snapshot `id` when it is complete (its manifest exists), else `None`.
    pub async fn open_snapshot(&self, id: &str) -> Result<Option<RemoteSnapshot>, RemoteError> {
        let Some(text) = self.get_text(id, MANIFEST_FILE).await? else {
            return Ok(None);
        };
        let corrupt = |file: &str, problem: String| RemoteError::Corrupt {
            id: id.to_string(),
            key: file.to_string(),
            problem,
        };
        let manifest = Manifest::parse(&text, MANIFEST_FILE.into())
            .map_err(|e| corrupt(MANIFEST_FILE, e.to_string()))?;
        let index_text = self
            .get_text(id, INDEX_FILE)
            .await?
            .ok_or_else(|| corrupt(INDEX_FILE, "missing, though the manifest exists".into()))?;
        let index: RemoteIndex =
            serde_json::from_str(&index_text).map_err(|e| corrupt(INDEX_FILE, e.to_string()))?;
        index.check(&manifest).map_err(|p| corrupt(INDEX_FILE, p))?;
        if manifest.id != id {
            return Err(corrupt(
                MANIFEST_FILE,
                format!("it names snapshot {}", manifest.id),
            ));
        }
        Ok(Some(RemoteSnapshot { manifest, index }))
    }

    /// Finds a complete remote snapshot by id or unique id prefix.
    ///
    /// Errors: [`RemoteError::NotFound`], [`RemoteError::Ambiguous`], and as [`Remote::list`].
    pub async fn find(&self, id: &str) -> Result<RemoteSnapshot, RemoteError> {
        if let Some(exact) = self.open_snapshot(id).await? {
            return Ok(exact);
        }
        let all = self.list().await?;
        let matches: Vec<&RemoteSnapshot> = all
            .iter()
            .filter(|s| s.manifest.id.starts_with(id))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(RemoteError::NotFound {
                id: id.to_string(),
                remote: self.url.to_string(),
            }),
            many => Err(RemoteError::Ambiguous {
                id: id.to_string(),
                matches: many
                    .iter()
                    .map(|s| s.manifest.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The text of `file` of snapshot `id`; `None` when the object does not exist.
    pub(super) async fn get_text(
        &self,
        id: &str,
        file: &str,
    ) -> Result<Option<String>, RemoteError> {
        let key = self.key(id, file);
        let result = match self.store.get(&key).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.request_error("downloading", &key)(e)),
        };
        let bytes = result
            .bytes()
            .await
            .map_err(self.request_error("downloading", &key))?;
        String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| RemoteError::Corrupt {
                id: id.to_string(),
                key: file.to_string(),
                problem: "not UTF-8 text".into(),
            })
    }

    /// Writes a small JSON or text `file` of snapshot `id` in one request.
    pub(super) async fn put_bytes(
        &self,
        id: &str,
        file: &str,
        bytes: Vec<u8>,
    ) -> Result<(), RemoteError> {
        let key = self.key(id, file);
        self.store
            .put(&key, PutPayload::from(bytes))
            .await
            .map_err(self.request_error("uploading", &key))?;
        Ok(())
    }

    /// Deletes snapshot `id`: its manifest first (so it stops being listed at once), then
    /// every other object in its folder. Returns the objects deleted.
    pub(super) async fn delete_snapshot(&self, id: &str) -> Result<usize, RemoteError> {
        let manifest = self.key(id, MANIFEST_FILE);
        match self.store.delete(&manifest).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(self.request_error("deleting", &manifest)(e)),
        }
        let folder = self.folder(id);
        let keys: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&folder))
            .try_collect()
            .await
            .map_err(self.request_error("listing", &folder))?;
        for meta in &keys {
            match self.store.delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.request_error("deleting", &meta.location)(e)),
            }
        }
        Ok(keys.len() + 1)
    }

    /// Deletes one object; one already gone is fine.
    pub(super) async fn delete_object(&self, key: &Path) -> Result<(), RemoteError> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.request_error("deleting", key)(e)),
        }
    }

    /// Every object of snapshot folder `id` with its size and time, complete or not.
    pub(super) async fn objects(
        &self,
        id: &str,
    ) -> Result<Vec<object_store::ObjectMeta>, RemoteError> {
        let folder = self.folder(id);
        self.store
            .list(Some(&folder))
            .try_collect()
            .await
            .map_err(self.request_error("listing", &folder))
    }
}
