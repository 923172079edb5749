//! `manifest.json`: what a snapshot holds, enough to verify and restore it without the database
//! it came from.

use camino::{Utf8Component, Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::SnapshotError;
use crate::catalog::Column;
use crate::error::IoError;

/// The manifest format this version writes and reads. Bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// The manifest's file name inside a snapshot folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] at the time of writing.
    pub format_version: u32,
    /// The version of this tool that wrote it.
    pub tool_version: String,
    /// The snapshot id, also its folder name (`2026-11-20T10-30-45Z-pre-migrate`).
    pub id: String,
    /// When the consistent read began.
    pub created_at: DateTime<Utc>,
    /// Why it was taken: `manual`, `pre-migrate`, `pre-restore`, `pre-push`, `reset`, ...
    pub reason: String,
    /// A user label (`snapshot --tag`).
    pub tag: Option<String>,
    /// Kept forever: `prune` never removes it (`snapshot --keep`). Absent in older manifests
    /// and written only when true, so the format version stays 1.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep: bool,
    /// Where the data came from.
    pub database: DatabaseInfo,
    /// One entry per table, ordered by name.
    pub tables: Vec<TableEntry>,
    /// Archived upload folders.
    #[serde(default)]
    pub files: Vec<FileArchive>,
    /// Copies of the objects under a group's bucket prefixes (`files.images =
    /// ["s3://bucket/prefix/"]`), one archive per prefix. Absent in older manifests and written
    /// only when there are any, so the format version stays 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<BucketArchive>,
    /// SHA-256 over every table's name, columns and uncompressed CSV: equal fingerprints mean
    /// equal data (used by `snapshot --if-changed`).
    pub fingerprint: String,
}

/// The source database, without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    /// The URL with its password redacted.
    pub url: String,
    /// `SHOW server_version`.
    pub server_version: String,
    /// The database name.
    pub name: String,
    /// The working schema the tables were read from.
    pub schema: String,
}

/// One table's data file and what it should contain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    /// The schema.
    pub schema: String,
    /// The table name, unquoted.
    pub name: String,
    /// Columns in the order of the CSV, with types as `format_type` printed them.
    pub columns: Vec<Column>,
    /// Primary key columns (empty: none).
    pub primary_key: Vec<String>,
    /// Data rows in the file (the CSV header not counted).
    pub rows: u64,
    /// The data file, relative to the snapshot folder: `data/<schema>.<table>.csv.zst`.
    pub file: Utf8PathBuf,
    /// Size of the compressed file, in bytes.
    pub bytes: u64,
    /// SHA-256 of the compressed file, hex.
    pub sha256: String,
    /// SHA-256 of the uncompressed CSV, hex.
    pub content_sha256: String,
}

/// An archive of a group's upload folders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileArchive {
    /// The group (`images`).
    pub group: String,
    /// The folders archived, relative to the project root; entries keep these prefixes.
    pub folders: Vec<Utf8PathBuf>,
    /// The archive, relative to the snapshot folder: `files/<group>.tar.zst`.
    pub file: Utf8PathBuf,
    /// Files archived.
    pub entries: u64,
    /// Size of the archive, in bytes.
    pub bytes: u64,
    /// SHA-256 of the archive, hex.
    pub sha256: String,
}

/// The objects under one bucket prefix, copied into the snapshot as
/// `files/<group>.bucket-<n>.tar.zst`: a tar of regular files named `objects/<ordinal>` (eight
/// digits, from 0, in the order of [`BucketArchive::objects`]), compressed with zstd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketArchive {
    /// The group (`images`).
    pub group: String,
    /// The prefix the objects were listed under, `s3://bucket/prefix` (no secret in it).
    pub url: String,
    /// The archive, relative to the snapshot folder.
    pub file: Utf8PathBuf,
    /// Size of the archive, in bytes.
    pub bytes: u64,
    /// SHA-256 of the archive, hex.
    pub sha256: String,
    /// Every object under the prefix at snapshot time, sorted by key.
    pub objects: Vec<BucketObject>,
}

/// One object copied from a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketObject {
    /// The key relative to the prefix (`avatars/1.png` for `s3://b/images/avatars/1.png`).
    pub key: String,
    /// Its size, in bytes.
    pub bytes: u64,
    /// SHA-256 of its content, hex, computed while it was copied.
    pub sha256: String,
    /// The ETag the store gave (not a content hash for multipart uploads; used only to skip
    /// reading an unchanged object at restore time).
    #[serde(default)]
    pub etag: Option<String>,
}

impl BucketArchive {
    /// Total bytes of the objects (not of the archive).
    pub fn object_bytes(&self) -> u64 {
        self.objects.iter().map(|o| o.bytes).sum()
    }
}

impl Manifest {
    /// Total data rows over all tables.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Total bytes of data files and archives.
    pub fn total_bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.bytes).sum::<u64>()
            + self.files.iter().map(|f| f.bytes).sum::<u64>()
            + self.buckets.iter().map(|b| b.bytes).sum::<u64>()
    }

    /// The entry for table `name`.
    pub fn table(&self, name: &str) -> Option<&TableEntry> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Reads and validates `<dir>/manifest.json`.
    ///
    /// Errors: [`SnapshotError::Io`] when unreadable, [`SnapshotError::Corrupt`] when it is not
    /// a manifest, [`SnapshotError::UnknownFormat`] for another format version,
    /// [`SnapshotError::UnsafePath`] when a file it names would lie outside the snapshot.
    pub fn read(dir: &Utf8Path) -> Result<Manifest, SnapshotError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(IoError::at("reading", &path))?;
        Manifest::parse(&text, path)
    }

    /// Parses and validates a manifest's text (read from `path`, named in errors), as
    /// [`Manifest::read`] does: the same errors but [`SnapshotError::Io`].
    pub fn parse(text: &str, path: Utf8PathBuf) -> Result<Manifest, SnapshotError> {
        let version: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SnapshotError::Corrupt {
                path: path.clone(),
                problem: e.to_string(),
            })?;
        let found = version.get("format_version").and_then(|v| v.as_u64());
        if found != Some(FORMAT_VERSION.into()) {
            return Err(SnapshotError::UnknownFormat {
                path,
                found: found.map_or("none".into(), |v| v.to_string()),
            });
        }
        let manifest: Manifest =
            serde_json::from_value(version).map_err(|e| SnapshotError::Corrupt {
                path: path.clone(),
                problem: e.to_string(),
            })?;
        let files = manifest.tables.iter().map(|t| &t.file);
        let buckets = manifest.buckets.iter().map(|b| &b.file);
        for file in files
            .chain(manifest.files.iter().map(|f| &f.file))
            .chain(buckets)
        {
            check_inside(file)?;
        }
        Ok(manifest)
    }
}

/// Refuses a path that is absolute or climbs out with `..`.
pub fn check_inside(file: &Utf8Path) -> Result<(), SnapshotError> {
    let safe = file
        .components()
        .all(|c| matches!(c, Utf8Component::Normal(_)));
    if safe && !file.as_str().is_empty() {
        Ok(())
    } else {
        Err(SnapshotError::UnsafePath {
            file: file.to_owned(),
        })
    }
}

/// The data file name for a table: `data/<schema>.<table>.csv.zst`, with every character that
/// is not a letter, digit, `_`, `-` or space written as `%XX`, so any table name is safe.
pub fn data_file(schema: &str, table: &str) -> Utf8PathBuf {
    format!("data/{}.{}.csv.zst", encode(schema), encode(table)).into()
}

fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() || matches!(c, '_' | '-' | ' ') {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_file_names_are_safe() {
        assert_eq!(data_file("public", "User"), "data/public.User.csv.zst");
        assert_eq!(
            data_file("public", "_PostToTag"),
            "data/public._PostToTag.csv.zst"
        );
        assert_eq!(
            data_file("public", "a/../b"),
            "data/public.a%2F%2E%2E%2Fb.csv.zst"
        );
        assert_eq!(
            data_file("public", "Ünïcode \"q\""),
            "data/public.Ünïcode %22q%22.csv.zst"
        );
    }

    #[test]
    fn keep_is_optional_and_written_only_when_set() {
        let old = serde_json::json!({
            "format_version": 1, "tool_version": "0.1.0", "id": "s",
            "created_at": "2026-11-20T10:30:45Z", "reason": "manual", "tag": null,
            "database": { "url": "u", "server_version": "16", "name": "app", "schema": "public" },
            "tables": [], "fingerprint": "",
        });
        let mut manifest: Manifest = serde_json::from_value(old.clone()).unwrap();
        assert!(!manifest.keep);
        let written = serde_json::to_value(&manifest).unwrap();
        assert!(written.get("keep").is_none(), "{written}");
        manifest.keep = true;
        assert_eq!(serde_json::to_value(&manifest).unwrap()["keep"], true);
    }

    #[test]
    fn paths_outside_the_snapshot_are_refused() {
        assert!(check_inside(Utf8Path::new("data/public.User.csv.zst")).is_ok());
        assert!(check_inside(Utf8Path::new("../etc/passwd")).is_err());
        assert!(check_inside(Utf8Path::new("/etc/passwd")).is_err());
        assert!(check_inside(Utf8Path::new("data/../../x")).is_err());
        assert!(check_inside(Utf8Path::new("")).is_err());
    }
}
