//! The prediction as a value: per migration whether it applied, per table what changed, and the
//! findings, each naming its migration. Serialized as `--json` prints it.

use serde::Serialize;

/// What the pending migrations do to a snapshot's data ([`super::predict`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Prediction {
    /// The snapshot predicted from (its id).
    pub snapshot: String,
    /// The pending migrations in order: applied on the copy, failed, or not reached after a
    /// failure.
    pub migrations: Vec<MigrationOutcome>,
    /// Every table that changed, from the snapshot's data to the state after the last migration
    /// that applied; exact counts.
    pub tables: Vec<TableChange>,
    /// What each migration did that a user should know, in migration order.
    pub findings: Vec<Finding>,
    /// Wall time of the whole prediction, in milliseconds.
    pub elapsed_ms: u64,
}

impl Prediction {
    /// Whether data would be lost: rows gone, a table with rows dropped, or values lost.
    pub fn loses_data(&self) -> bool {
        self.tables
            .iter()
            .any(|t| t.rows_lost > 0 || t.columns.iter().any(|c| c.values_lost > 0))
    }

    /// The first migration that would fail, if any.
    pub fn failure(&self) -> Option<&MigrationOutcome> {
        self.migrations.iter().find(|m| m.error.is_some())
    }
}

/// One pending migration on the copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationOutcome {
    /// The migration's folder name.
    pub name: String,
    /// Whether it applied on the copy.
    pub applied: bool,
    /// PostgreSQL's error when it failed; `None` when it applied or was not reached.
    pub error: Option<String>,
    /// The rows that make it fail, when the failure is one we can count.
    pub offending: Option<Offending>,
}

impl MigrationOutcome {
    pub(super) fn applied(name: &str) -> MigrationOutcome {
        MigrationOutcome {
            name: name.to_string(),
            applied: true,
            error: None,
            offending: None,
        }
    }

    pub(super) fn not_reached(name: &str) -> MigrationOutcome {
        MigrationOutcome {
            applied: false,
            ..MigrationOutcome::applied(name)
        }
    }
}

/// The rows a failing migration trips over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offending {
    /// The table.
    pub table: String,
    /// The columns concerned.
    pub columns: Vec<String>,
    /// What is wrong with them, e.g. `NULL`, `duplicate`, `orphan`.
    pub problem: String,
    /// Rows concerned (for duplicates: rows in the duplicate groups).
    pub rows: u64,
    /// For duplicates: how many groups of equal values.
    pub groups: Option<u64>,
}

/// How one table changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableChange {
    /// The table.
    pub table: String,
    /// Rows before.
    pub rows_before: u64,
    /// Rows after (0 when dropped).
    pub rows_after: u64,
    /// Rows whose primary key is gone (all of them when dropped; without a usable key, the
    /// drop in the row count).
    pub rows_lost: u64,
    /// Rows whose key is new.
    pub rows_added: u64,
    /// The table is gone.
    pub dropped: bool,
    /// Whether rows were matched by primary key (`false`: counts only).
    pub keyed: bool,
    /// Column changes.
    pub columns: Vec<ColumnChange>,
}

/// One change of one column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnChange {
    /// The column.
    pub column: String,
    /// What happened.
    pub change: ColumnChangeKind,
    /// Values gone: non-null values of a dropped column (less those carried into a column added
    /// with it), values that differ after a type change, non-null values a backfill overwrote,
    /// rows holding a removed enum value.
    pub values_lost: u64,
    /// Values that differ, counted as text over the rows kept (a backfill that fills NULLs
    /// changes values without losing any).
    pub values_changed: u64,
    /// For a type change: the types, `before -> after`; for an enum: the labels removed.
    pub detail: Option<String>,
}

/// The kinds of column change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnChangeKind {
    /// The column is gone.
    Dropped,
    /// The column is new.
    Added,
    /// The column's type changed.
    TypeChanged,
    /// Values changed with the type unchanged (an `UPDATE`, a backfill).
    Updated,
    /// Labels of the column's enum type were removed.
    EnumValueRemoved,
}

/// Something a migration does that the user should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The migration.
    pub migration: String,
    /// What kind of finding.
    pub kind: FindingKind,
    /// The table, when one is concerned.
    pub table: Option<String>,
    /// The column, when one is concerned.
    pub column: Option<String>,
    /// Rows or values concerned.
    pub count: u64,
    /// The finding in words.
    pub message: String,
}

/// The kinds of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Rows whose key is gone.
    RowsLost,
    /// A table with rows dropped.
    TableDropped,
    /// A column with values dropped.
    ColumnDropped,
    /// Values changed by a type change.
    TypeChanged,
    /// Values changed by an update.
    ValuesChanged,
    /// An enum value removed that rows held.
    EnumValueRemoved,
    /// A column dropped and one of the same type added: a rename written as DROP + ADD.
    LikelyRename,
    /// The migration fails on this data.
    Fails,
}

impl Finding {
    pub(super) fn failed(migration: &str, message: &str, offending: Option<&Offending>) -> Finding {
        let counted = offending.map(|o| {
            let columns = o.columns.join(", ");
            match o.groups {
                Some(groups) => format!(
                    "; {} rows of {} in {groups} groups share values of ({columns})",
                    o.rows, o.table
                ),
                None => format!(
                    "; {} rows of {} have {} ({columns})",
                    o.rows, o.table, o.problem
                ),
            }
        });
        Finding {
            migration: migration.to_string(),
            kind: FindingKind::Fails,
            table: offending.map(|o| o.table.clone()),
            column: offending.and_then(|o| o.columns.first().cloned()),
            count: offending.map_or(0, |o| o.rows),
            message: format!(
                "fails on this data: {message}{}",
                counted.unwrap_or_default()
            ),
        }
    }
}
