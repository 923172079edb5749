//! Snapshots: the on-disk format, taking one, listing, verifying and pruning them.
//!
//! A snapshot is one folder under the backups folder, named by its UTC time and reason
//! (`2026-11-20T10-30-45Z-pre-migrate`), holding `manifest.json`, the `migration-info.json`
//! sidecar, `data/<schema>.<table>.csv.zst` (one zstd-compressed `COPY ... (FORMAT csv, HEADER)`
//! per table) and `files/<group>.tar.zst` for configured upload folders. It is written into a
//! hidden temporary sibling folder and renamed into place when complete, so a listed snapshot
//! is whole; it is never modified afterwards.

pub mod archive;
pub mod csv;
pub mod lock;
pub mod manifest;
pub mod objects;
pub mod prune;
pub mod sidecar;
pub mod store;
pub mod verify;
mod write;

use camino::Utf8PathBuf;

pub use lock::{LockError, StoreLock};
pub use manifest::{FORMAT_VERSION, Manifest, TableEntry};
pub use prune::{Policy, PruneError, PruneOutcome, prune};
pub use sidecar::{GitInfo, MigrationInfo};
pub use store::{StoredSnapshot, find, latest, leftovers, list, remove_leftovers};
pub use verify::{VerifyReport, check_data_files, verify};
pub use write::{NoProgress, Progress, SnapshotOptions, take, take_if_changed, take_unless};

/// Errors while writing, reading or verifying snapshots.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A file or folder operation failed.
    // Not transparent: the IoError stays in the chain, so its hint is found.
    #[error("{0}")]
    Io(#[from] crate::error::IoError),
    /// A query or the COPY stream failed (server gone, permission denied, ...).
    #[error(transparent)]
    Database(#[from] crate::error::QueryError),
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] crate::database::DatabaseError),
    /// The working schema (`?schema=` in the URL, default `public`) does not exist: a snapshot of
    /// it would be empty and would then become `restore`'s default.
    #[error("schema {schema} does not exist in database {database}; nothing was kept")]
    NoSchema {
        /// The working schema.
        schema: String,
        /// The database's name.
        database: String,
    },
    /// `--tables`/`--exclude` named a table the schema does not have.
    #[error("no table {name} in schema {schema}")]
    UnknownTable {
        /// The name given.
        name: String,
        /// The working schema.
        schema: String,
    },
    /// A manifest or sidecar is not valid JSON of the expected shape.
    #[error("{path} is corrupt: {problem}")]
    Corrupt {
        /// The file.
        path: Utf8PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A manifest of a format version this tool does not know.
    #[error("{path} has format version {found}; this tool reads version {FORMAT_VERSION}")]
    UnknownFormat {
        /// The manifest.
        path: Utf8PathBuf,
        /// The version found.
        found: String,
    },
    /// A manifest names a file outside its snapshot folder.
    #[error("the manifest names {file}, which lies outside the snapshot")]
    UnsafePath {
        /// The offending path.
        file: Utf8PathBuf,
    },
    /// No snapshot with that id.
    #[error("no snapshot {id} in {store}")]
    NotFound {
        /// The id asked for.
        id: String,
        /// The backups folder.
        store: Utf8PathBuf,
    },
    /// An id prefix that matches several snapshots.
    #[error("{id} matches several snapshots: {matches}")]
    Ambiguous {
        /// The prefix asked for.
        id: String,
        /// The ids it matches.
        matches: String,
    },
    /// The backups folder has no snapshot at all.
    #[error("no snapshots in {store}")]
    Empty {
        /// The backups folder.
        store: Utf8PathBuf,
    },
    /// Copying the objects of a bucket prefix of `files.<group>` failed ([`objects`]).
    #[error("copying the objects of {url} (files.{group}) failed; nothing was kept")]
    Bucket {
        /// The group.
        group: String,
        /// The prefix, `s3://bucket/prefix`.
        url: String,
        /// What the store said (no credential in it).
        #[source]
        source: Box<crate::remote::RemoteError>,
    },
    /// Another run holds the store ([`lock`]).
    #[error(transparent)]
    Lock(#[from] LockError),
}

impl crate::error::Hint for SnapshotError {
    fn hint(&self) -> Option<String> {
        match self {
            SnapshotError::Io(e) if e.source.kind() == std::io::ErrorKind::PermissionDenied => {
                Some(
                    "make the backups folder writable, or choose another with --backups-dir".into(),
                )
            }
            SnapshotError::Io(e) if e.is_disk_full() => Some(
                "free disk space (or prune old snapshots) and try again; nothing was kept".into(),
            ),
            SnapshotError::Database(e) if e.is_connection_lost() => {
                Some("nothing was kept; check that the server is up and try again".into())
            }
            SnapshotError::Database(_) => Some(
                "nothing was kept; PostgreSQL's message above says what it refused".into(),
            ),
            SnapshotError::Connect(e) => e.hint(),
            SnapshotError::NoSchema { .. } => Some(
                "check `?schema=` in the database URL (Prisma's default is public); `prisma-guard status` shows which database and schema are used"
                    .into(),
            ),
            SnapshotError::UnknownTable { .. } => Some(
                "`prisma-guard status` lists the schema; names are case-sensitive, as in Prisma"
                    .into(),
            ),
            SnapshotError::Corrupt { .. } | SnapshotError::UnsafePath { .. } => Some(
                "this snapshot cannot be trusted; run `prisma-guard snapshots verify --all`".into(),
            ),
            SnapshotError::UnknownFormat { .. } => {
                Some("use the version of this tool that wrote it".into())
            }
            SnapshotError::NotFound { .. } | SnapshotError::Ambiguous { .. } => {
                Some("`prisma-guard snapshots` lists them".into())
            }
            SnapshotError::Empty { .. } => Some("take one with `prisma-guard snapshot`".into()),
            SnapshotError::Lock(e) => e.hint(),
            SnapshotError::Bucket { url, .. } => Some(format!(
                "check that the bucket of {url} exists and that AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) reach it, as for the remote store"
            )),
            SnapshotError::Io(_) => None,
        }
    }
}
