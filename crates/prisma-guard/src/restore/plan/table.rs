//! One table of the plan ([`TablePlan`]): its columns matched by name between the snapshot
//! and the live table, its foreign keys, primary key and sequences.

use camino::Utf8PathBuf;
use serde::Serialize;

use crate::catalog::Table;
use crate::restore::groups::Group;

/// A foreign key as the restore uses it: the referencing columns and the referenced table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKeyPlan {
    /// The constraint name.
    pub name: String,
    /// Referencing columns (all kept from the snapshot).
    pub columns: Vec<String>,
    /// The referenced table's schema.
    pub references_schema: String,
    /// The referenced table.
    pub references_table: String,
    /// The referenced columns, in key order.
    pub references_columns: Vec<String>,
}

/// A kept column: read from the snapshot, cast to the live type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnPlan {
    /// The name, the same in the snapshot and the live table.
    pub name: String,
    /// The live type as `format_type` prints it, used in the cast.
    #[serde(rename = "type")]
    pub data_type: String,
}

/// One table of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TablePlan {
    /// The live schema.
    pub schema: String,
    /// The table name.
    pub name: String,
    /// The groups that hold this table.
    pub groups: Vec<String>,
    /// The row filter (a SQL boolean expression over the live columns), when selected through
    /// a group that has one.
    pub filter: Option<String>,
    /// Data rows in the snapshot's file.
    pub snapshot_rows: u64,
    /// With a filter: the snapshot rows it selects, counted by the preflight
    /// ([`crate::restore::preflight`]) on the snapshot the plan restores from; `None` without a
    /// filter or before the preflight.
    pub selected: Option<u64>,
    /// The data file, relative to the snapshot folder.
    pub file: Utf8PathBuf,
    /// Its size in bytes and SHA-256, from the manifest.
    #[serde(skip)]
    pub bytes: u64,
    /// See `bytes`.
    #[serde(skip)]
    pub sha256: String,
    /// The snapshot's columns in CSV order (the staging table's columns).
    #[serde(skip)]
    pub snapshot_columns: Vec<String>,
    /// Columns restored: in both the snapshot and the live table.
    pub kept: Vec<ColumnPlan>,
    /// Snapshot columns the live table no longer has: their values are not restored.
    pub dropped: Vec<String>,
    /// Live columns the snapshot lacks: they take their default (or NULL).
    pub defaulted: Vec<String>,
    /// Foreign keys inserted as NULL and set after every insert (cycle edges, self-references).
    pub deferred: Vec<ForeignKeyPlan>,
    /// Foreign keys checked at insert: a row whose parent is missing is skipped as an orphan.
    pub parents: Vec<ForeignKeyPlan>,
    /// The live primary key (empty: none).
    pub primary_key: Vec<String>,
    /// The key rows are matched on (`ON CONFLICT (…)`): the primary key, else the first unique
    /// key whose columns are all NOT NULL, else the first unique key; empty when the table has
    /// none, and then `merge` and `upsert` refuse a table that already holds rows.
    pub conflict_key: Vec<String>,
    /// The live columns fed by a sequence (serial or identity), moved past the restored keys.
    pub sequences: Vec<String>,
    /// The live columns equal the snapshot's (names, order, types): the rows can be copied
    /// straight into an empty table.
    pub exact: bool,
    /// The live columns that allow NULL.
    #[serde(skip)]
    pub nullable: Vec<String>,
    /// The unique key a snapshot row whose primary key the target lacks is matched on, to map
    /// its id to the target row's ([`super::natural_keys`]); `None`: matched by primary key only.
    pub natural_key: Option<super::NaturalKey>,
    /// The foreign keys (parents, deferred edges, self-references) into planned tables that have
    /// a natural key: their staged values are rewritten through the parent's id map.
    pub follows: Vec<ForeignKeyPlan>,
}

impl TablePlan {
    /// `"schema"."name"`.
    pub fn qualified(&self) -> String {
        crate::sql::qualified(&self.schema, &self.name)
    }

    /// Names of the deferred columns.
    pub fn deferred_columns(&self) -> Vec<String> {
        self.deferred
            .iter()
            .flat_map(|k| k.columns.clone())
            .collect()
    }
}

pub(super) fn table_plan(
    entry: &crate::snapshot::TableEntry,
    table: &Table,
    filter: Option<String>,
    groups: &[Group],
) -> TablePlan {
    let in_snapshot = |name: &str| entry.columns.iter().any(|c| c.name == name);
    let kept: Vec<ColumnPlan> = entry
        .columns
        .iter()
        .filter_map(|c| table.column(&c.name))
        .filter(|live| !live.generated)
        .map(|live| ColumnPlan {
            name: live.name.clone(),
            data_type: live.data_type.clone(),
        })
        .collect();
    let dropped = entry
        .columns
        .iter()
        .filter(|c| table.column(&c.name).is_none_or(|live| live.generated))
        .map(|c| c.name.clone())
        .collect();
    let defaulted = table
        .columns
        .iter()
        .filter(|c| !c.generated && !in_snapshot(&c.name))
        .map(|c| c.name.clone())
        .collect();
    let mut parents = Vec::new();
    let mut self_references = Vec::new();
    for fk in &table.foreign_keys {
        if !fk.columns.iter().all(|c| kept.iter().any(|k| &k.name == c)) {
            continue; // a new column: its default is not ours to check
        }
        let plan = ForeignKeyPlan {
            name: fk.name.clone(),
            columns: fk.columns.clone(),
            references_schema: fk.references_schema.clone(),
            references_table: fk.references_table.clone(),
            references_columns: fk.references_columns.clone(),
        };
        if fk.references_table == table.name && fk.references_schema == table.schema {
            self_references.push(plan);
        } else {
            parents.push(plan);
        }
    }
    let sequences = table
        .columns
        .iter()
        .filter(|c| {
            c.identity
                || c.default
                    .as_deref()
                    .is_some_and(|d| d.starts_with("nextval("))
        })
        .map(|c| c.name.clone())
        .collect();
    let exact = entry.columns.len() == table.columns.len()
        && entry
            .columns
            .iter()
            .zip(&table.columns)
            .all(|(s, l)| s.name == l.name && s.data_type == l.data_type && !l.generated);
    let mut plan = TablePlan {
        schema: table.schema.clone(),
        name: table.name.clone(),
        groups: groups
            .iter()
            .filter(|g| g.tables.iter().any(|t| t.table == table.name))
            .map(|g| g.name.clone())
            .collect(),
        filter,
        snapshot_rows: entry.rows,
        selected: None,
        file: entry.file.clone(),
        bytes: entry.bytes,
        sha256: entry.sha256.clone(),
        snapshot_columns: entry.columns.iter().map(|c| c.name.clone()).collect(),
        kept,
        dropped,
        defaulted,
        deferred: Vec::new(),
        parents,
        primary_key: table.primary_key.clone(),
        conflict_key: conflict_key(table),
        sequences,
        exact,
        nullable: table
            .columns
            .iter()
            .filter(|c| c.nullable)
            .map(|c| c.name.clone())
            .collect(),
        natural_key: None,
        follows: Vec::new(),
    };
    // A self-reference that cannot be deferred is left to PostgreSQL, which checks it at the
    // end of the statement.
    for fk in self_references {
        if plan.deferrable(&fk) {
            plan.deferred.push(fk);
        }
    }
    plan
}

/// The key a restore matches rows on (see [`TablePlan::conflict_key`]).
fn conflict_key(table: &Table) -> Vec<String> {
    if !table.primary_key.is_empty() {
        return table.primary_key.clone();
    }
    let not_null = |key: &&Vec<String>| {
        key.iter()
            .all(|name| table.column(name).is_some_and(|c| !c.nullable))
    };
    table
        .unique_keys
        .iter()
        .find(not_null)
        .or(table.unique_keys.first())
        .cloned()
        .unwrap_or_default()
}
