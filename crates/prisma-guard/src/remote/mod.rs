//! The remote store: snapshots pushed to an S3-compatible bucket (AWS S3, Cloudflare R2,
//! MinIO), optionally encrypted with age, and pulled back into the local store.
//!
//! Layout under `s3://bucket/prefix`: one folder per snapshot id holding the same files as the
//! local snapshot — `data/…csv.zst` and `files/…tar.zst` (with `.age` appended when encrypted),
//! `migration-info.json` — then `remote.json` ([`index`]: each object, its size and SHA-256 as
//! stored, and whether it is encrypted) and, written last, `manifest.json`. A remote snapshot
//! is listed only when its manifest exists, so it is whole or absent: an interrupted push
//! leaves objects without a manifest, never listed, and the next push of that snapshot uploads
//! them again and then the manifest ([`push()`]).
//!
//! Files stream through fixed-size parts (multipart upload, 8 MiB parts); memory does not grow
//! with a file's size. Credentials come from the AWS variables and files only
//! ([`credentials`]) and never appear in output or errors.

pub mod credentials;
pub mod crypt;
pub mod index;
pub mod prune;
pub mod pull;
pub mod push;
pub mod store;
mod transfer;
pub mod url;
pub mod verify;

pub use credentials::AwsSettings;
pub use crypt::{Identity, Recipients};
pub use index::{RemoteIndex, RemoteObject};
pub use prune::prune;
pub use pull::{PullOutcome, pull};
pub use push::{PushOutcome, push};
pub use store::{Remote, RemoteSnapshot};
pub use url::RemoteUrl;
pub use verify::verify;

use crate::error::IoError;
use crate::snapshot::SnapshotError;

/// Errors of the remote store. None of them holds a credential.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// A command needs the remote store and none is configured.
    #[error("no remote store is configured")]
    NoRemote,
    /// `--remote` or the key `remote` is not an `s3://bucket/prefix` URL.
    #[error("{source_name} `{url}` is not a remote store URL: {problem}")]
    BadUrl {
        /// The text given.
        url: String,
        /// Where it came from (`--remote`, `remote`).
        source_name: String,
        /// What is wrong.
        problem: String,
    },
    /// Neither the AWS variables nor the profile files give a key pair.
    #[error(
        "no S3 credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set and profile {profile} has no keys"
    )]
    NoCredentials {
        /// The profile looked up (`AWS_PROFILE`, default `default`).
        profile: String,
    },
    /// A request to the store failed (unreachable, refused, no such bucket, ...).
    #[error("{action} {location} failed: {source}")]
    Request {
        /// What was being done: `listing`, `uploading`, `downloading`, `deleting`, `connecting to`.
        action: &'static str,
        /// The object or prefix, as `s3://bucket/key`.
        location: String,
        /// The client's error.
        #[source]
        source: object_store::Error,
    },
    /// No remote snapshot with that id.
    #[error("no snapshot {id} in {remote}")]
    NotFound {
        /// The id asked for.
        id: String,
        /// The remote store.
        remote: String,
    },
    /// An id prefix matching several remote snapshots.
    #[error("{id} matches several remote snapshots: {matches}")]
    Ambiguous {
        /// The prefix.
        id: String,
        /// The ids it matches.
        matches: String,
    },
    /// The local store or snapshot failed.
    #[error(transparent)]
    Local(#[from] SnapshotError),
    /// A local file or folder operation failed.
    #[error("{0}")]
    Io(#[from] IoError),
    /// A local data file does not match its manifest while being pushed.
    #[error(
        "{file} of snapshot {id} does not match its manifest ({problem}); the push stopped before the manifest, so nothing is listed remotely"
    )]
    LocalChanged {
        /// The snapshot.
        id: String,
        /// The file, relative to the snapshot.
        file: String,
        /// What differs.
        problem: String,
    },
    /// The remote copy of a snapshot differs from the local one.
    #[error("{remote} already holds a different snapshot {id}")]
    Conflict {
        /// The snapshot id.
        id: String,
        /// The remote store.
        remote: String,
    },
    /// A remote object or JSON file is not what its index says.
    #[error("the remote copy of {id} is damaged: {key}: {problem}")]
    Corrupt {
        /// The snapshot id.
        id: String,
        /// The object key, relative to the snapshot.
        key: String,
        /// What is wrong.
        problem: String,
    },
    /// A configured recipient is not an age X25519 public key.
    #[error("recipient `{recipient}` is not an age public key (age1…): {problem}")]
    BadRecipient {
        /// The text given.
        recipient: String,
        /// The parser's message.
        problem: String,
    },
    /// The snapshot is encrypted and no identity was given.
    #[error("snapshot {id} is encrypted and no identity was given")]
    NoIdentity {
        /// The snapshot id.
        id: String,
    },
    /// The identity file cannot be read or holds no age identity.
    #[error("cannot use the identity {path}: {problem}")]
    BadIdentity {
        /// The file (or `AGE_IDENTITY`).
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// The identity given is not one the snapshot was encrypted to.
    #[error(
        "the identity {path} does not decrypt snapshot {id}: it was encrypted to other recipients"
    )]
    WrongIdentity {
        /// The snapshot id.
        id: String,
        /// The identity file.
        path: String,
    },
    /// Decrypting an object failed after its header was accepted (truncated or altered).
    #[error("decrypting {key} of snapshot {id} failed: {problem}")]
    Decrypt {
        /// The snapshot id.
        id: String,
        /// The object key, relative to the snapshot.
        key: String,
        /// age's message.
        problem: String,
    },
    /// The pulled snapshot does not verify against its manifest.
    #[error("the pulled snapshot {id} does not match its manifest: {problems}")]
    PulledDamaged {
        /// The snapshot id.
        id: String,
        /// The problems, `file: problem; …`.
        problems: String,
    },
}

impl crate::error::Hint for RemoteError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            RemoteError::NoRemote => {
                "set `remote = \"s3://bucket/prefix\"` in [workspace.metadata.prisma-guard] (or prisma-guard.toml), or pass --remote s3://bucket/prefix".into()
            }
            RemoteError::BadUrl { .. } => {
                "write it as s3://bucket/prefix; the endpoint and keys come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into()
            }
            RemoteError::NoCredentials { .. } => {
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for R2 or MinIO), or AWS_PROFILE naming a profile of ~/.aws/credentials".into()
            }
            RemoteError::Request { .. } => {
                "check AWS_ENDPOINT_URL, AWS_REGION, the keys and that the bucket exists; nothing listed remotely changed (a push is completed by running it again)".into()
            }
            RemoteError::NotFound { .. } | RemoteError::Ambiguous { .. } => {
                "`prisma-guard snapshots` lists local and remote snapshots".into()
            }
            RemoteError::Local(e) => return e.hint(),
            RemoteError::Io(_) => return None,
            RemoteError::LocalChanged { .. } => {
                "run `prisma-guard snapshots verify ID`; a damaged snapshot cannot be pushed".into()
            }
            RemoteError::Conflict { .. } => {
                "snapshots are immutable; remove the remote one with `prune --remote` or push to another prefix".into()
            }
            RemoteError::Corrupt { .. } | RemoteError::PulledDamaged { .. } => {
                "nothing was written to the local store; push the snapshot again from a machine that has it".into()
            }
            RemoteError::BadRecipient { .. } => {
                "recipients are age public keys, as `age-keygen -y KEYFILE` prints them".into()
            }
            RemoteError::NoIdentity { .. } => {
                "pass --identity FILE (an age identity file, as `age-keygen` writes) or set AGE_IDENTITY".into()
            }
            RemoteError::BadIdentity { .. } => {
                "give the file `age-keygen -o FILE` wrote (it holds a line AGE-SECRET-KEY-1…)".into()
            }
            RemoteError::WrongIdentity { .. } => {
                "use the identity whose public key is in `recipients`; nothing was written".into()
            }
            RemoteError::Decrypt { .. } => {
                "the object was altered or truncated; nothing was written to the local store".into()
            }
        })
    }
}
