//! What a restore reports: per table ([`TableResult`]) with its counts per foreign key
//! ([`KeyCount`]), per upload archive ([`FileResult`]), and in all ([`RestoreReport`]).

use serde::Serialize;

use crate::restore::plan::RestorePlan;

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
    /// Existing rows overwritten (`upsert`), or changed to the snapshot's values because they
    /// differed (`replace`).
    pub updated: u64,
    /// Rows the table already held with the snapshot's values, left as they are (`replace`).
    pub unchanged: u64,
    /// Rows left out because a row with the same key (or another unique value) exists.
    pub conflicts: u64,
    /// Of the conflicts, those whose row in the table differs from the snapshot's (`merge`:
    /// `--mode replace` would change them).
    pub differing: u64,
    /// Rows the row filter selects in the table whose key the snapshot lacks (`merge`: `--mode
    /// replace` would delete them); counted before the restore's inserts.
    pub not_in_snapshot: u64,
    /// Rows left out because a parent row is neither in the database nor restored (a NOT NULL
    /// foreign key); per foreign key in `orphaned`.
    pub orphans: u64,
    /// Per NOT NULL foreign key with orphans: the rows it left out (a row can miss several
    /// parents, so these may add up to more than `orphans`).
    pub orphaned: Vec<KeyCount>,
    /// Per nullable foreign key: restored rows kept with that key set to NULL because the row it
    /// pointed to is neither in the database nor restored.
    pub nulled: Vec<KeyCount>,
    /// Rows left out by the row filter.
    pub filtered: u64,
    /// Restored rows whose deferred foreign key stayed NULL because its parent is missing.
    pub unlinked: u64,
    /// Whether the rows were copied straight into the (empty) table.
    pub direct: bool,
    /// Snapshot rows whose primary key the target lacks and whose natural key
    /// ([`crate::restore::plan::TablePlan::natural_key`]) a target row holds: the same entity
    /// under a new id. The size of the table's id map; `merge` keeps those target rows (they
    /// count among `conflicts`), `upsert` and `replace` update them.
    pub matched: u64,
    /// Rows of other tables (and self-references of this one) whose foreign key was rewritten
    /// through this table's id map: the children that follow their parent to its new id, per
    /// key (a row with two such keys counts twice).
    pub followed: u64,
    /// This table's rows whose foreign keys were rewritten through a parent's id map, per key.
    pub remapped: u64,
    /// The natural key's columns (empty: matched by primary key only), from the plan.
    pub natural_key: Vec<String>,
}

/// Rows of one table counted for one of its foreign keys (orphans, or keys set to NULL).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeyCount {
    /// The constraint name.
    pub foreign_key: String,
    /// Its referencing columns.
    pub columns: Vec<String>,
    /// The referenced (parent) table.
    pub parent: String,
    /// Rows counted.
    pub rows: u64,
    /// Why the parents are absent, in words: `Image is not restored (group images skipped)`,
    /// `Image is not in the snapshot`, `their Image rows are not among the restored ones`.
    pub reason: String,
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
    /// Per bucket prefix: objects put, overwritten, deleted (written after the commit).
    pub buckets: Vec<super::BucketResult>,
    /// Whether everything was rolled back.
    pub dry_run: bool,
    /// Wall time, in milliseconds.
    pub elapsed_ms: u64,
}

/// Why rows of `parent` that restored rows point to are absent, in words (see
/// [`KeyCount::reason`]).
pub(super) fn absent_reason(plan: &RestorePlan, parent: &str) -> String {
    if let Some(skipped) = plan.skipped.iter().find(|s| s.name == parent) {
        return format!("{parent} is not restored ({})", skipped.reason);
    }
    match plan.tables.iter().find(|t| t.name == parent) {
        Some(t) if t.filter.is_some() => {
            format!("their {parent} rows are neither in the database nor selected by its filter")
        }
        Some(_) => format!("their {parent} rows are neither in the database nor in the snapshot"),
        None => format!("{parent} is not in the snapshot, and the rows are not in the database"),
    }
}
