//! What to snapshot and how ([`SnapshotOptions`]), and the [`Progress`] callbacks.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use crate::snapshot::sidecar::GitInfo;

/// What to snapshot and how.
#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    /// Why: `manual`, `pre-migrate`, `pre-restore`, ... (part of the id).
    pub reason: String,
    /// A user label.
    pub tag: Option<String>,
    /// Mark the snapshot as kept forever: `prune` never removes it.
    pub keep: bool,
    /// Only these tables (empty: all).
    pub tables: Vec<String>,
    /// Leave these tables out.
    pub exclude: Vec<String>,
    /// The command line, for the sidecar.
    pub command: String,
    /// Connections reading in parallel (at least 1).
    pub jobs: usize,
    /// zstd level (1 = fastest).
    pub zstd_level: i32,
    /// Upload folders per group, relative to `project_root`.
    pub files: BTreeMap<String, Vec<Utf8PathBuf>>,
    /// The project root the folders are relative to.
    pub project_root: Utf8PathBuf,
    /// The git state to record.
    pub git: Option<GitInfo>,
}

impl SnapshotOptions {
    /// Defaults: all tables, 2 connections, zstd level 1, no files, not kept forever.
    ///
    /// Level 1 because a snapshot on 2 cores is bound by CPU, the server's and ours: on the
    /// bench database (BENCHMARKS.md, issue 18) zstd takes a quarter less CPU than at level 2
    /// (our process a fifth less) for 7 % more bytes, still within 1.1 × the size of
    /// `pg_dump -Fc` (zlib level 6).
    pub fn new(reason: &str, project_root: &Utf8Path) -> SnapshotOptions {
        SnapshotOptions {
            reason: reason.to_string(),
            tag: None,
            keep: false,
            tables: Vec::new(),
            exclude: Vec::new(),
            command: String::new(),
            jobs: 2,
            zstd_level: 1,
            files: BTreeMap::new(),
            project_root: project_root.to_owned(),
            git: None,
        }
    }
}

/// Progress callbacks; the engine never prints, the binary draws bars from these.
pub trait Progress: Send + Sync {
    /// The tables about to be read and their estimated total size in bytes.
    fn start(&self, _tables: usize, _estimated_bytes: u64) {}
    /// `bytes` more uncompressed bytes were read from `table`.
    fn advance(&self, _table: &str, _bytes: u64) {}
    /// `table` is complete.
    fn table_done(&self, _table: &str, _rows: u64) {}
}

/// Progress that reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}
