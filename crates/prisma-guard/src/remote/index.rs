//! `remote.json`: what a pushed snapshot's objects are, as stored — written just before the
//! manifest, read with it.
//!
//! Two checksums, each defined once: the manifest's `sha256` is of the local file (the
//! zstd-compressed CSV or tar, the plaintext of any encryption); an object's `sha256` here is of
//! the bytes in the bucket (the age file when encrypted, else the same bytes as the local
//! file). `snapshots verify` checks the second without a key; a pull checks both.

use serde::{Deserialize, Serialize};

use crate::snapshot::Manifest;

/// The index's file name inside a remote snapshot folder.
pub const INDEX_FILE: &str = "remote.json";

/// The format this version writes and reads.
pub const INDEX_VERSION: u32 = 1;

/// The whole `remote.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteIndex {
    /// [`INDEX_VERSION`].
    pub format_version: u32,
    /// The age recipients (public keys) the objects were encrypted to; empty: not encrypted.
    pub recipients: Vec<String>,
    /// One entry per data file and archive of the manifest, in its order.
    pub objects: Vec<RemoteObject>,
}

/// One pushed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteObject {
    /// The local file, relative to the snapshot folder, as the manifest names it.
    pub file: String,
    /// The object's name relative to the remote snapshot folder: `file`, plus `.age` when
    /// encrypted.
    pub key: String,
    /// Encrypted with age to [`RemoteIndex::recipients`].
    pub encrypted: bool,
    /// The object's size in bytes.
    pub bytes: u64,
    /// SHA-256 of the object's bytes as stored, hex.
    pub sha256: String,
}

impl RemoteIndex {
    /// Whether the objects are encrypted.
    pub fn encrypted(&self) -> bool {
        !self.recipients.is_empty()
    }

    /// Total bytes stored.
    pub fn total_bytes(&self) -> u64 {
        self.objects.iter().map(|o| o.bytes).sum()
    }

    /// The entry for `file`.
    pub fn object(&self, file: &str) -> Option<&RemoteObject> {
        self.objects.iter().find(|o| o.file == file)
    }

    /// Checks that the index has this version and names exactly the manifest's files, each
    /// key being the file (plus `.age`), so no key can point outside the snapshot folder.
    /// The error says what differs.
    pub fn check(&self, manifest: &Manifest) -> Result<(), String> {
        if self.format_version != INDEX_VERSION {
            return Err(format!(
                "format version {}, this tool reads {INDEX_VERSION}",
                self.format_version
            ));
        }
        let files = manifest_files(manifest);
        let listed: Vec<&str> = self.objects.iter().map(|o| o.file.as_str()).collect();
        if files != listed {
            return Err("its files differ from the manifest's".into());
        }
        for object in &self.objects {
            let expected = object_key(&object.file, object.encrypted);
            if object.key != expected {
                return Err(format!("{} is stored as {}", object.file, object.key));
            }
        }
        Ok(())
    }
}

/// The manifest's data files, then archives, then bucket archives, relative to the snapshot folder.
pub fn manifest_files(manifest: &Manifest) -> Vec<&str> {
    let tables = manifest.tables.iter().map(|t| t.file.as_str());
    tables
        .chain(manifest.files.iter().map(|f| f.file.as_str()))
        .chain(manifest.buckets.iter().map(|b| b.file.as_str()))
        .collect()
}

/// The object name for `file`: itself, or with `.age` appended when encrypted.
pub fn object_key(file: &str, encrypted: bool) -> String {
    if encrypted {
        format!("{file}.age")
    } else {
        file.to_string()
    }
}
