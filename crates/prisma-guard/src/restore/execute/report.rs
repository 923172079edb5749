//! What a restore reports: per table ([`TableResult`]), per upload archive ([`FileResult`]),
//! and in all ([`RestoreReport`]).

use serde::Serialize;

/// What happened to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableResult {
    /// The table.
    pub name: String,
    /// Data rows in the snapshot.
    pub snapshot_rows: u64,
    /// Rows deleted first (`replace`).
    pub deleted: u64,
    /// Rows inserted.
    pub inserted: u64,
    /// Existing rows overwritten (`upsert`).
    pub updated: u64,
    /// Rows left out because a row with the same key (or another unique value) exists.
    pub conflicts: u64,
    /// Rows left out because a parent row is neither in the database nor restored.
    pub orphans: u64,
    /// Rows left out by the row filter.
    pub filtered: u64,
    /// Restored rows whose deferred foreign key stayed NULL because its parent is missing.
    pub unlinked: u64,
    /// Whether the rows were copied straight into the (empty) table.
    pub direct: bool,
}

/// What happened to one upload archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileResult {
    /// The group.
    pub group: String,
    /// Files written (or, in a dry run, that would be).
    pub written: u64,
    /// Files whose path already existed, as a file, folder or symlink, and were kept (`merge`).
    pub existing: u64,
}

/// The outcome of a restore.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// Per table, in restore order.
    pub tables: Vec<TableResult>,
    /// Per archive.
    pub files: Vec<FileResult>,
    /// Whether everything was rolled back.
    pub dry_run: bool,
    /// Wall time, in milliseconds.
    pub elapsed_ms: u64,
}
