//! The restore planner: a snapshot's manifest, the live catalog, the groups and the user's
//! selection in; a [`RestorePlan`] out. Pure: no database, no files, so every rule here is
//! unit-tested.
//!
//! Columns are matched by name (DESIGN.md, "How a restore works"): a snapshot column the live
//! table lacks is dropped, a live column the snapshot lacks takes its default. Tables are ordered
//! parents before children by the live foreign keys; a cycle is broken by deferring a nullable
//! edge (inserted as NULL, set after every insert), and a nullable self-reference is always
//! deferred, because an `INSERT … SELECT` cannot see the rows it is inserting.
//!
//! Here the plan's types and [`plan`] itself; the rules live in submodules: which tables the
//! selection takes (`selection`), one table's plan with its columns matched by name (`table`),
//! the foreign-key order with its deferred cycle edges (`order`), where upload archives may
//! go (`files`), and the natural keys rows are matched on across ids (`natural`, applied after
//! [`plan`] by [`natural_keys`]).
//!
//! A snapshot table the selection takes that the live schema does not have (dropped, or renamed
//! since) is listed in [`RestorePlan::missing`], and the restore refuses while any is listed
//! ([`crate::restore::refuse_missing`]): its rows would be lost without a word. Leaving it out
//! with `--exclude` makes it a skipped table whose reason says it is not in the live schema.

mod files;
mod natural;
mod objects;
mod order;
mod selection;
mod table;
#[cfg(test)]
mod tests;
mod unrestorable;

use std::collections::BTreeSet;

use camino::Utf8PathBuf;
use serde::Serialize;

pub use files::SkippedFiles;
pub use natural::{NaturalKey, natural_keys};
pub use objects::{BucketChanges, BucketPlan, ObjectAction, SkippedBucket};
pub use selection::Selection;
pub use table::{ColumnPlan, ForeignKeyPlan, TablePlan};
pub use unrestorable::{Checks, Problem, Unrestorable, checks, references};

use order::order;
use selection::{files_selected, select};
use table::table_plan;
use unrestorable::missing_columns;

use super::RestoreError;
use super::groups::Group;
use crate::catalog::Table;
use crate::snapshot::Manifest;

/// How rows meet rows that are already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Insert rows whose key is absent; never touch existing rows (`ON CONFLICT DO NOTHING`).
    Merge,
    /// Overwrite rows with the same key (`ON CONFLICT (key) DO UPDATE`: the primary key, else a
    /// unique key).
    Upsert,
    /// Make the selected rows equal to the snapshot's with the fewest writes: update rows whose
    /// key both have and that differ, insert the missing, delete only the selected rows whose
    /// key the snapshot lacks (children first, before any insert).
    Replace,
}

impl Mode {
    /// `merge`, `upsert` or `replace`.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Merge => "merge",
            Mode::Upsert => "upsert",
            Mode::Replace => "replace",
        }
    }
}

/// A snapshot table the restore leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The table.
    pub name: String,
    /// Why, in words: `not selected`, `group images skipped`, `gone from the live schema`, ...
    pub reason: String,
}

/// A snapshot table the selection takes that the live schema does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The table.
    pub name: String,
    /// Its rows in the snapshot.
    pub rows: u64,
}

/// A live table outside the selection whose foreign key points into it: `replace` must not
/// delete rows it references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutsideReference {
    /// The referencing table (outside the selection).
    pub table: String,
    /// Its foreign key.
    pub foreign_key: ForeignKeyPlan,
    /// The referenced table (in the selection).
    pub referenced: String,
}

/// An upload archive to extract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilePlan {
    /// The group.
    pub group: String,
    /// The archive, relative to the snapshot folder.
    pub file: Utf8PathBuf,
    /// The folders it holds, relative to the project root.
    pub folders: Vec<Utf8PathBuf>,
    /// Files archived.
    pub entries: u64,
    /// Its size in bytes and SHA-256, from the manifest.
    #[serde(skip)]
    pub bytes: u64,
    /// See `bytes`.
    #[serde(skip)]
    pub sha256: String,
}

/// What a restore will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestorePlan {
    /// The snapshot restored from.
    pub snapshot_id: String,
    /// The mode.
    pub mode: Mode,
    /// Tables to restore, parents before children.
    pub tables: Vec<TablePlan>,
    /// Snapshot tables left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// Selected tables that cannot be restored, every one with every reason: the planner lists
    /// new required columns; [`crate::restore::preflight`] adds NULLs in columns that are NOT
    /// NULL now and values that do not cast. The restore refuses while any is listed.
    pub unrestorable: Vec<Unrestorable>,
    /// Selected snapshot tables the live schema does not have; the restore refuses while any is
    /// listed (leave them out with `--exclude`).
    pub missing: Vec<Missing>,
    /// For `replace`: live foreign keys from outside the selection into it.
    pub outside_references: Vec<OutsideReference>,
    /// Upload archives to extract.
    pub files: Vec<FilePlan>,
    /// Selected upload archives left out because their folders are not the ones configured now.
    pub skipped_files: Vec<SkippedFiles>,
    /// Bucket archives whose objects go back under their prefix (`files.<group>` entries
    /// `s3://…`), selected like upload archives.
    pub buckets: Vec<BucketPlan>,
    /// Selected bucket archives left out because their prefix is not configured now.
    pub skipped_buckets: Vec<SkippedBucket>,
}

impl RestorePlan {
    /// Rows in the snapshot over the planned tables.
    pub fn snapshot_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.snapshot_rows).sum()
    }
}

/// Builds the restore plan.
///
/// `live` is the catalog of the target's working schema, `groups` the resolved groups.
/// Errors: [`RestoreError::UnknownGroup`] for an `only`/`skip` name no group has,
/// [`RestoreError::UnknownTable`] for a `tables`/`exclude` name in neither the snapshot nor the
/// live schema, [`RestoreError::Cycle`] for a foreign-key cycle with no nullable edge to defer,
/// [`RestoreError::UnsafeFolder`] for a selected archive whose manifest folder is not a relative
/// path inside the project root. Unrestorable and missing tables are not an error here: they
/// are listed in the plan, as are archives whose folders are not in the groups' configured
/// folders ([`Group::folders`], from `files.<group>`).
pub fn plan(
    manifest: &Manifest,
    live: &[Table],
    groups: &[Group],
    selection: &Selection,
    mode: Mode,
) -> Result<RestorePlan, RestoreError> {
    for name in selection.only.iter().chain(&selection.skip) {
        if !groups.iter().any(|g| &g.name == name) {
            return Err(RestoreError::UnknownGroup {
                name: name.clone(),
                known: groups
                    .iter()
                    .map(|g| g.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    for name in selection.tables.iter().chain(&selection.exclude) {
        if manifest.table(name).is_none() && !live.iter().any(|t| &t.name == name) {
            return Err(RestoreError::UnknownTable { name: name.clone() });
        }
    }

    let mut skipped = Vec::new();
    let mut unrestorable = Vec::new();
    let mut missing = Vec::new();
    let mut chosen: Vec<(&crate::snapshot::TableEntry, &Table, Option<String>)> = Vec::new();
    for entry in &manifest.tables {
        let live_table = live.iter().find(|t| t.name == entry.name);
        let selected = match select(entry.name.as_str(), groups, selection) {
            Ok(filter) => filter,
            Err(reason) => {
                let reason = match live_table {
                    Some(_) => reason,
                    None => format!("{reason}; not in the live schema"),
                };
                skipped.push(Skipped {
                    name: entry.name.clone(),
                    reason,
                });
                continue;
            }
        };
        let Some(table) = live_table else {
            missing.push(Missing {
                name: entry.name.clone(),
                rows: entry.rows,
            });
            continue;
        };
        let problems = missing_columns(entry, table);
        if !problems.is_empty() {
            unrestorable.push(Unrestorable {
                table: entry.name.clone(),
                problems,
            });
            continue;
        }
        chosen.push((entry, table, selected));
    }

    let names: BTreeSet<&str> = chosen.iter().map(|(e, _, _)| e.name.as_str()).collect();
    let mut tables: Vec<TablePlan> = chosen
        .iter()
        .map(|(entry, table, filter)| table_plan(entry, table, filter.clone(), groups))
        .collect();
    order(&mut tables)?;

    let outside_references = if mode == Mode::Replace {
        outside_references(live, &names)
    } else {
        Vec::new()
    };
    let (mut files, mut skipped_files) = (Vec::new(), Vec::new());
    for archive in &manifest.files {
        if files_selected(&archive.group, selection) {
            match files::place(archive, groups)? {
                Ok(plan) => files.push(plan),
                Err(skip) => skipped_files.push(skip),
            }
        }
    }
    let (mut buckets, mut skipped_buckets) = (Vec::new(), Vec::new());
    for archive in &manifest.buckets {
        if files_selected(&archive.group, selection) {
            match objects::place(archive, groups)? {
                Ok(plan) => buckets.push(plan),
                Err(skip) => skipped_buckets.push(skip),
            }
        }
    }
    Ok(RestorePlan {
        snapshot_id: manifest.id.clone(),
        mode,
        tables,
        skipped,
        unrestorable,
        missing,
        outside_references,
        files,
        skipped_files,
        buckets,
        skipped_buckets,
    })
}

fn outside_references(live: &[Table], restored: &BTreeSet<&str>) -> Vec<OutsideReference> {
    live.iter()
        .filter(|t| !restored.contains(t.name.as_str()))
        .flat_map(|t| {
            t.foreign_keys
                .iter()
                .filter(|fk| restored.contains(fk.references_table.as_str()))
                .map(move |fk| OutsideReference {
                    table: t.name.clone(),
                    referenced: fk.references_table.clone(),
                    foreign_key: ForeignKeyPlan {
                        name: fk.name.clone(),
                        columns: fk.columns.clone(),
                        references_schema: fk.references_schema.clone(),
                        references_table: fk.references_table.clone(),
                        references_columns: fk.references_columns.clone(),
                    },
                })
        })
        .collect()
}
