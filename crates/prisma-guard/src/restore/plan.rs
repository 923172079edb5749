//! The restore planner: a snapshot's manifest, the live catalog, the groups and the user's
//! selection in; a [`RestorePlan`] out. Pure: no database, no files, so every rule here is
//! unit-tested.
//!
//! Columns are matched by name (DESIGN.md, "How a restore works"): a snapshot column the live
//! table lacks is dropped, a live column the snapshot lacks takes its default. Tables are ordered
//! parents before children by the live foreign keys; a cycle is broken by deferring a nullable
//! edge (inserted as NULL, set after every insert), and a nullable self-reference is always
//! deferred, because an `INSERT … SELECT` cannot see the rows it is inserting.

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8PathBuf;
use serde::Serialize;

use super::RestoreError;
use super::groups::Group;
use crate::catalog::Table;
use crate::migrations::table::TABLE_NAME as MIGRATIONS_TABLE;
use crate::snapshot::Manifest;

/// How rows meet rows that are already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Insert rows whose key is absent; never touch existing rows (`ON CONFLICT DO NOTHING`).
    Merge,
    /// Overwrite rows with the same primary key (`ON CONFLICT (pk) DO UPDATE`).
    Upsert,
    /// Delete the selected tables' rows (those the row filter selects) first, children first.
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

/// What the user asked to restore.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Restore only these groups (`--only`, `--admin-only`), with their row filters.
    pub only: Vec<String>,
    /// Leave these groups out (`--skip`, `--skip-images`, `--skip-analytics`).
    pub skip: Vec<String>,
    /// Restore these tables, unfiltered (`--tables`); with `only`, in addition to its groups.
    pub tables: Vec<String>,
    /// Leave these tables out (`--exclude`).
    pub exclude: Vec<String>,
}

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
    /// The live columns fed by a sequence (serial or identity), moved past the restored keys.
    pub sequences: Vec<String>,
    /// The live columns equal the snapshot's (names, order, types): the rows can be copied
    /// straight into an empty table.
    pub exact: bool,
    /// The live columns that allow NULL.
    #[serde(skip)]
    pub nullable: Vec<String>,
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

/// A snapshot table the restore leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The table.
    pub name: String,
    /// Why, in words: `not selected`, `group images skipped`, `gone from the live schema`, ...
    pub reason: String,
}

/// A selected table the restore cannot fill: live NOT NULL columns without a default that the
/// snapshot lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unrestorable {
    /// The table.
    pub table: String,
    /// The columns.
    pub columns: Vec<String>,
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
    /// Selected tables that cannot be restored; the restore refuses while any is listed.
    pub unrestorable: Vec<Unrestorable>,
    /// For `replace`: live foreign keys from outside the selection into it.
    pub outside_references: Vec<OutsideReference>,
    /// Upload archives to extract.
    pub files: Vec<FilePlan>,
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
/// live schema, [`RestoreError::Cycle`] for a foreign-key cycle with no nullable edge to defer.
/// Unrestorable tables are not an error here: they are listed in the plan.
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
    let mut chosen: Vec<(&crate::snapshot::TableEntry, &Table, Option<String>)> = Vec::new();
    for entry in &manifest.tables {
        let selected = match select(entry.name.as_str(), groups, selection) {
            Ok(filter) => filter,
            Err(reason) => {
                skipped.push(Skipped {
                    name: entry.name.clone(),
                    reason,
                });
                continue;
            }
        };
        let Some(table) = live.iter().find(|t| t.name == entry.name) else {
            skipped.push(Skipped {
                name: entry.name.clone(),
                reason: "gone from the live schema".into(),
            });
            continue;
        };
        let missing: Vec<String> = table
            .columns
            .iter()
            .filter(|c| !c.generated && !c.identity && !c.nullable && c.default.is_none())
            .filter(|c| !entry.columns.iter().any(|s| s.name == c.name))
            .map(|c| c.name.clone())
            .collect();
        if !missing.is_empty() {
            unrestorable.push(Unrestorable {
                table: entry.name.clone(),
                columns: missing,
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
    let files = manifest
        .files
        .iter()
        .filter(|archive| files_selected(&archive.group, selection))
        .map(|archive| FilePlan {
            group: archive.group.clone(),
            file: archive.file.clone(),
            folders: archive.folders.clone(),
            entries: archive.entries,
            bytes: archive.bytes,
            sha256: archive.sha256.clone(),
        })
        .collect();
    Ok(RestorePlan {
        snapshot_id: manifest.id.clone(),
        mode,
        tables,
        skipped,
        unrestorable,
        outside_references,
        files,
    })
}

/// Whether `table` is selected; `Ok(filter)` when it is, `Err(reason)` when not.
fn select(table: &str, groups: &[Group], selection: &Selection) -> Result<Option<String>, String> {
    let named = selection.tables.iter().any(|t| t == table);
    if selection.exclude.iter().any(|t| t == table) {
        return Err("excluded (--exclude)".into());
    }
    if table == MIGRATIONS_TABLE && !named {
        return Err("restored only when named in --tables".into());
    }
    if named {
        return Ok(None);
    }
    let holding = |name: &str| {
        groups
            .iter()
            .find(|g| g.name == name)
            .and_then(|g| g.tables.iter().find(|t| t.table == table))
    };
    if let Some(group) = selection.skip.iter().find(|g| holding(g).is_some()) {
        return Err(format!("group {group} skipped"));
    }
    if !selection.only.is_empty() {
        let entries: Vec<_> = selection.only.iter().filter_map(|g| holding(g)).collect();
        if entries.is_empty() {
            return Err("not in the selected groups".into());
        }
        // Any unfiltered entry selects every row; otherwise a row passes any group's filter.
        let filters: Option<Vec<&String>> = entries.iter().map(|e| e.filter.as_ref()).collect();
        return Ok(filters.map(|filters| match filters.as_slice() {
            [one] => (*one).clone(),
            many => many
                .iter()
                .map(|f| format!("({f})"))
                .collect::<Vec<_>>()
                .join(" OR "),
        }));
    }
    if !selection.tables.is_empty() {
        return Err("not selected".into());
    }
    Ok(None)
}

/// Archives follow their group: restored when the group is selected with `--only`, or when no
/// narrowing is asked and the group is not skipped.
fn files_selected(group: &str, selection: &Selection) -> bool {
    if selection.skip.iter().any(|g| g == group) {
        return false;
    }
    if !selection.only.is_empty() {
        return selection.only.iter().any(|g| g == group);
    }
    selection.tables.is_empty()
}

fn table_plan(
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
        sequences,
        exact,
        nullable: table
            .columns
            .iter()
            .filter(|c| c.nullable)
            .map(|c| c.name.clone())
            .collect(),
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

/// Orders `tables` parents before children by the foreign keys among them, deferring a nullable
/// edge of each cycle (Kahn's algorithm; ties broken by name, so the order is stable).
fn order(tables: &mut [TablePlan]) -> Result<(), RestoreError> {
    let names: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    loop {
        // child -> parents still to come first
        let mut waiting: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for table in tables.iter() {
            let parents = table
                .parents
                .iter()
                .filter(|fk| names.contains(&fk.references_table))
                .map(|fk| fk.references_table.as_str())
                .collect();
            waiting.insert(table.name.as_str(), parents);
        }
        let mut sorted: Vec<String> = Vec::new();
        let mut left = waiting.clone();
        while let Some(next) = left
            .iter()
            .find(|(_, parents)| parents.iter().all(|p| !left.contains_key(p)))
            .map(|(name, _)| *name)
        {
            left.remove(next);
            sorted.push(next.to_string());
        }
        if left.is_empty() {
            tables.sort_by_key(|t| sorted.iter().position(|n| n == &t.name));
            return Ok(());
        }
        // A cycle remains among `left`: defer one nullable edge that lies on it.
        let stuck: BTreeSet<&str> = left.keys().copied().collect();
        let candidate = tables
            .iter()
            .filter(|t| stuck.contains(t.name.as_str()))
            .flat_map(|t| t.parents.iter().map(move |fk| (t, fk)))
            .find(|(t, fk)| {
                stuck.contains(fk.references_table.as_str())
                    && reaches(&left, &fk.references_table, &t.name)
                    && t.deferrable(fk)
            })
            .map(|(t, fk)| (t.name.clone(), fk.name.clone()));
        let Some((child, key)) = candidate else {
            return Err(RestoreError::Cycle {
                tables: stuck.iter().copied().collect::<Vec<_>>().join(", "),
            });
        };
        let table = tables.iter_mut().find(|t| t.name == child).expect("listed");
        let at = table
            .parents
            .iter()
            .position(|fk| fk.name == key)
            .expect("listed");
        let fk = table.parents.remove(at);
        table.deferred.push(fk);
    }
}

/// Whether `to` can be reached from `from` along the waiting edges.
fn reaches(waiting: &BTreeMap<&str, BTreeSet<&str>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from];
    while let Some(node) = stack.pop() {
        if node == to {
            return true;
        }
        if seen.insert(node) {
            if let Some(next) = waiting.get(node) {
                stack.extend(next.iter().copied());
            }
        }
    }
    false
}

impl TablePlan {
    /// A foreign key can be deferred when its columns are nullable and the table's primary key
    /// comes from the snapshot, to find the rows again for the update.
    fn deferrable(&self, fk: &ForeignKeyPlan) -> bool {
        let key_kept = !self.primary_key.is_empty()
            && self
                .primary_key
                .iter()
                .all(|c| self.kept.iter().any(|k| &k.name == c));
        key_kept && fk.columns.iter().all(|c| self.nullable.contains(c))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, ForeignKey};
    use crate::restore::groups::{GroupSource, GroupTable};
    use crate::snapshot::TableEntry;
    use crate::snapshot::manifest::{DatabaseInfo, FORMAT_VERSION, FileArchive};

    fn column(spec: &str) -> Column {
        // "name type [null] [default]"
        let parts: Vec<&str> = spec.split_whitespace().collect();
        Column {
            name: parts[0].into(),
            data_type: parts[1].into(),
            nullable: parts.contains(&"null"),
            default: parts
                .iter()
                .find(|p| p.starts_with("default="))
                .map(|p| p["default=".len()..].to_string()),
            generated: false,
            identity: false,
        }
    }

    fn fk(name: &str, columns: &[&str], parent: &str) -> ForeignKey {
        ForeignKey {
            name: name.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            references_schema: "public".into(),
            references_table: parent.into(),
            references_columns: vec!["id".into()],
        }
    }

    fn table(name: &str, columns: &[&str], foreign_keys: Vec<ForeignKey>) -> Table {
        Table {
            schema: "public".into(),
            name: name.into(),
            columns: columns.iter().map(|c| column(c)).collect(),
            primary_key: vec!["id".into()],
            foreign_keys,
            estimated_bytes: 0,
        }
    }

    fn entry(table: &Table, rows: u64) -> TableEntry {
        TableEntry {
            schema: "public".into(),
            name: table.name.clone(),
            columns: table.columns.clone(),
            primary_key: table.primary_key.clone(),
            rows,
            file: crate::snapshot::manifest::data_file("public", &table.name),
            bytes: 1,
            sha256: "00".into(),
            content_sha256: "00".into(),
        }
    }

    fn manifest(tables: Vec<TableEntry>, files: Vec<FileArchive>) -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            tool_version: "0".into(),
            id: "snap".into(),
            created_at: chrono::Utc::now(),
            reason: "manual".into(),
            tag: None,
            keep: false,
            database: DatabaseInfo {
                url: "postgresql://localhost/app".into(),
                server_version: "15".into(),
                name: "app".into(),
                schema: "public".into(),
            },
            tables,
            files,
            fingerprint: String::new(),
        }
    }

    /// The fixture app's shape at migration 4 (snapshot) and after migration 7 (live).
    fn app() -> (Manifest, Vec<Table>) {
        let user_then = table(
            "User",
            &[
                "id integer default=nextval('\"User_id_seq\"'::regclass)",
                "email text",
                "name text null",
                "role \"Role\" default='USER'",
                "invitedById integer null",
            ],
            vec![fk("User_invitedById_fkey", &["invitedById"], "User")],
        );
        let user_now = table(
            "User",
            &[
                "id integer default=nextval('\"User_id_seq\"'::regclass)",
                "email text",
                "role \"Role\" default='USER'",
                "invitedById integer null",
                "displayName text null",
            ],
            vec![fk("User_invitedById_fkey", &["invitedById"], "User")],
        );
        let post_then = table(
            "Post",
            &[
                "id integer",
                "title text",
                "legacyHtml text null",
                "authorId integer",
            ],
            vec![fk("Post_authorId_fkey", &["authorId"], "User")],
        );
        let post_now = table(
            "Post",
            &[
                "id integer",
                "title text",
                "authorId integer",
                "status \"PostStatus\" default='DRAFT'",
                "slug text null",
            ],
            vec![fk("Post_authorId_fkey", &["authorId"], "User")],
        );
        let comment = table(
            "Comment",
            &["id integer", "postId integer", "parentId integer null"],
            vec![
                fk("Comment_postId_fkey", &["postId"], "Post"),
                fk("Comment_parentId_fkey", &["parentId"], "Comment"),
            ],
        );
        let product = table(
            "Product",
            &["id text", "mainImageId text null"],
            vec![fk("Product_mainImageId_fkey", &["mainImageId"], "Image")],
        );
        let image = table(
            "Image",
            &["id text", "productId text null"],
            vec![fk("Image_productId_fkey", &["productId"], "Product")],
        );
        let prompt = table("SystemPrompt", &["id integer", "content text"], vec![]);
        let views = table("PageView", &["id bigint", "path text"], vec![]);
        let migrations = table(
            "_prisma_migrations",
            &["id text", "migration_name text"],
            vec![],
        );
        let manifest = manifest(
            vec![
                entry(&comment, 7),
                entry(&image, 5),
                entry(&views, 10),
                entry(&post_then, 7),
                entry(&product, 3),
                entry(&prompt, 4),
                entry(&user_then, 6),
                entry(&migrations, 4),
            ],
            vec![FileArchive {
                group: "images".into(),
                folders: vec!["public/uploads".into()],
                file: "files/images.tar.zst".into(),
                entries: 2,
                bytes: 1,
                sha256: "00".into(),
            }],
        );
        let live = vec![
            comment, image, views, post_now, product, prompt, user_now, migrations,
        ];
        (manifest, live)
    }

    fn groups() -> Vec<Group> {
        let group = |name: &str, tables: &[(&str, Option<&str>)]| Group {
            name: name.into(),
            tables: tables
                .iter()
                .map(|(t, f)| GroupTable {
                    table: t.to_string(),
                    filter: f.map(str::to_string),
                })
                .collect(),
            folders: Vec::new(),
            source: GroupSource::Inferred,
        };
        vec![
            group(
                "admin",
                &[("User", Some("\"role\" = 'ADMIN'")), ("SystemPrompt", None)],
            ),
            group("analytics", &[("PageView", None)]),
            group("images", &[("Image", None), ("Product", None)]),
        ]
    }

    fn names(plan: &RestorePlan) -> Vec<&str> {
        plan.tables.iter().map(|t| t.name.as_str()).collect()
    }

    fn table_of<'a>(plan: &'a RestorePlan, name: &str) -> &'a TablePlan {
        plan.tables.iter().find(|t| t.name == name).unwrap()
    }

    #[test]
    fn columns_are_matched_by_name() {
        let (manifest, live) = app();
        let plan = plan(
            &manifest,
            &live,
            &groups(),
            &Selection::default(),
            Mode::Merge,
        )
        .unwrap();
        let user = table_of(&plan, "User");
        let kept: Vec<&str> = user.kept.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(kept, ["id", "email", "role", "invitedById"]);
        assert_eq!(user.dropped, ["name"]);
        assert_eq!(user.defaulted, ["displayName"]);
        assert!(!user.exact);
        assert_eq!(user.sequences, ["id"]);
        let post = table_of(&plan, "Post");
        assert_eq!(post.dropped, ["legacyHtml"]);
        assert_eq!(post.defaulted, ["status", "slug"]);
        assert!(table_of(&plan, "SystemPrompt").exact);
    }

    #[test]
    fn parents_come_first_and_cycles_are_deferred() {
        let (manifest, live) = app();
        let plan = plan(
            &manifest,
            &live,
            &groups(),
            &Selection::default(),
            Mode::Merge,
        )
        .unwrap();
        let order = names(&plan);
        let at = |name: &str| order.iter().position(|n| *n == name).unwrap();
        assert!(
            at("User") < at("Post") && at("Post") < at("Comment"),
            "{order:?}"
        );
        // Self-references are deferred, never ordering edges.
        assert_eq!(table_of(&plan, "User").deferred_columns(), ["invitedById"]);
        assert_eq!(table_of(&plan, "Comment").deferred_columns(), ["parentId"]);
        // Exactly one edge of the Product <-> Image cycle is deferred; the other orders them.
        let image = table_of(&plan, "Image");
        let product = table_of(&plan, "Product");
        assert_eq!(image.deferred_columns(), ["productId"]);
        assert!(product.deferred.is_empty());
        assert!(at("Image") < at("Product"));
        assert_eq!(product.parents[0].references_table, "Image");
    }

    #[test]
    fn a_cycle_without_a_nullable_edge_is_refused() {
        let a = table(
            "A",
            &["id integer", "b integer"],
            vec![fk("A_b", &["b"], "B")],
        );
        let b = table(
            "B",
            &["id integer", "a integer"],
            vec![fk("B_a", &["a"], "A")],
        );
        let manifest = manifest(vec![entry(&a, 1), entry(&b, 1)], vec![]);
        let err = plan(&manifest, &[a, b], &[], &Selection::default(), Mode::Merge).unwrap_err();
        assert!(
            matches!(err, RestoreError::Cycle { ref tables } if tables == "A, B"),
            "{err}"
        );
    }

    #[test]
    fn only_a_group_applies_its_filters() {
        let (manifest, live) = app();
        let selection = Selection {
            only: vec!["admin".into()],
            ..Selection::default()
        };
        let plan = plan(&manifest, &live, &groups(), &selection, Mode::Merge).unwrap();
        assert_eq!(names(&plan), ["SystemPrompt", "User"]);
        assert_eq!(
            table_of(&plan, "User").filter.as_deref(),
            Some("\"role\" = 'ADMIN'")
        );
        assert!(plan.files.is_empty(), "admin has no files");
        let skipped: Vec<&str> = plan.skipped.iter().map(|s| s.name.as_str()).collect();
        assert!(skipped.contains(&"Post") && skipped.contains(&"_prisma_migrations"));
        // A full restore takes every user: filters belong to --only.
        let full = super::plan(
            &manifest,
            &live,
            &groups(),
            &Selection::default(),
            Mode::Merge,
        )
        .unwrap();
        assert_eq!(table_of(&full, "User").filter, None);
    }

    #[test]
    fn filters_of_several_groups_are_ored_and_none_wins() {
        let (manifest, live) = app();
        let mut groups = groups();
        groups.push(Group {
            name: "staff".into(),
            tables: vec![GroupTable {
                table: "User".into(),
                filter: Some("\"role\" = 'EDITOR'".into()),
            }],
            folders: Vec::new(),
            source: GroupSource::Config,
        });
        let only = |g: &[&str]| Selection {
            only: g.iter().map(|g| g.to_string()).collect(),
            ..Selection::default()
        };
        let both = plan(
            &manifest,
            &live,
            &groups,
            &only(&["admin", "staff"]),
            Mode::Merge,
        )
        .unwrap();
        assert_eq!(
            table_of(&both, "User").filter.as_deref(),
            Some("(\"role\" = 'ADMIN') OR (\"role\" = 'EDITOR')")
        );
        groups[3].tables[0].filter = None;
        let unfiltered = plan(
            &manifest,
            &live,
            &groups,
            &only(&["admin", "staff"]),
            Mode::Merge,
        )
        .unwrap();
        assert_eq!(table_of(&unfiltered, "User").filter, None);
    }

    #[test]
    fn skipping_a_group_leaves_out_its_tables_and_files() {
        let (manifest, live) = app();
        let selection = Selection {
            skip: vec!["images".into()],
            ..Selection::default()
        };
        let plan = plan(&manifest, &live, &groups(), &selection, Mode::Merge).unwrap();
        assert!(!names(&plan).contains(&"Image") && !names(&plan).contains(&"Product"));
        assert!(plan.files.is_empty());
        let reason = &plan
            .skipped
            .iter()
            .find(|s| s.name == "Image")
            .unwrap()
            .reason;
        assert_eq!(reason, "group images skipped");
        let all = super::plan(
            &manifest,
            &live,
            &groups(),
            &Selection::default(),
            Mode::Merge,
        )
        .unwrap();
        assert_eq!(all.files.len(), 1);
    }

    #[test]
    fn migrations_table_only_by_name() {
        let (manifest, live) = app();
        let all = plan(
            &manifest,
            &live,
            &groups(),
            &Selection::default(),
            Mode::Merge,
        )
        .unwrap();
        assert!(!names(&all).contains(&"_prisma_migrations"));
        let named = Selection {
            tables: vec!["_prisma_migrations".into()],
            ..Selection::default()
        };
        let named = plan(&manifest, &live, &groups(), &named, Mode::Merge).unwrap();
        assert_eq!(names(&named), ["_prisma_migrations"]);
        assert!(named.files.is_empty(), "--tables restores no files");
    }

    #[test]
    fn new_required_column_makes_a_table_unrestorable_unless_excluded() {
        let (manifest, mut live) = app();
        let prompt = live.iter_mut().find(|t| t.name == "SystemPrompt").unwrap();
        prompt.columns.push(column("key text"));
        prompt.columns.push(column("version integer default=1"));
        let plan_all = plan(
            &manifest,
            &live,
            &groups(),
            &Selection::default(),
            Mode::Merge,
        )
        .unwrap();
        assert_eq!(
            plan_all.unrestorable,
            [Unrestorable {
                table: "SystemPrompt".into(),
                columns: vec!["key".into()]
            }]
        );
        assert!(!names(&plan_all).contains(&"SystemPrompt"));
        let excluded = Selection {
            exclude: vec!["SystemPrompt".into()],
            ..Selection::default()
        };
        let plan_excluded = plan(&manifest, &live, &groups(), &excluded, Mode::Merge).unwrap();
        assert!(plan_excluded.unrestorable.is_empty());
    }

    #[test]
    fn a_table_gone_from_the_schema_is_skipped() {
        let (manifest, mut live) = app();
        live.retain(|t| t.name != "PageView");
        let plan = plan(
            &manifest,
            &live,
            &groups(),
            &Selection::default(),
            Mode::Merge,
        )
        .unwrap();
        let skipped = plan.skipped.iter().find(|s| s.name == "PageView").unwrap();
        assert_eq!(skipped.reason, "gone from the live schema");
    }

    #[test]
    fn unknown_names_are_errors() {
        let (manifest, live) = app();
        let bad_group = Selection {
            only: vec!["admins".into()],
            ..Selection::default()
        };
        let err = plan(&manifest, &live, &groups(), &bad_group, Mode::Merge).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no group admins (groups: admin, analytics, images)"
        );
        let bad_table = Selection {
            exclude: vec!["user".into()],
            ..Selection::default()
        };
        let err = plan(&manifest, &live, &groups(), &bad_table, Mode::Merge).unwrap_err();
        assert!(matches!(err, RestoreError::UnknownTable { ref name } if name == "user"));
    }

    #[test]
    fn replace_lists_references_from_outside_the_selection() {
        let (manifest, live) = app();
        let selection = Selection {
            tables: vec!["User".into()],
            ..Selection::default()
        };
        let plan = plan(&manifest, &live, &groups(), &selection, Mode::Replace).unwrap();
        let outside: Vec<(&str, &str)> = plan
            .outside_references
            .iter()
            .map(|o| (o.table.as_str(), o.foreign_key.name.as_str()))
            .collect();
        assert_eq!(outside, [("Post", "Post_authorId_fkey")]);
    }
}
