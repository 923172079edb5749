//! Restore groups: named sets of tables, each optionally with a row filter, plus upload folders.
//!
//! A group comes from `[workspace.metadata.prisma-guard.groups]` (`admin = ["User WHERE role = 'ADMIN'",
//! "SystemPrompt"]`) and `[workspace.metadata.prisma-guard.files]` (`images = ["public/uploads"]`).
//! The standard groups `admin`, `images` and `analytics` that are not configured are inferred
//! from the live catalog's table names, word by word (`SystemPrompt` is "system" + "prompt";
//! `Blog` is not "log"), and for user tables from their columns (a `role` enum with `ADMIN`, a
//! `roles Role[]` list, an `isAdmin` boolean, a text `role`). A user table whose columns do not
//! say who is an admin is left out of `admin` and listed in [`Group::uninferred`] rather than
//! restored whole. `prisma-guard status` shows the result so the user can pin or correct it.
//!
//! Here the group types and [`resolve`]; the config entry syntax is in `entry`, the inference
//! from names and columns in `inference`. All of it is pure but `count` ([`count_filtered`]),
//! which counts in the live tables the rows each filter selects, read-only.

mod count;
mod entry;
mod inference;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8PathBuf;

pub use count::{FilterCount, count_filtered};
pub use entry::parse_entry;

use inference::{STANDARD, admin_filter, classify, words};

use crate::catalog::Table;
use crate::config::Config;

/// The group `--admin-only` restores.
pub const ADMIN: &str = "admin";
/// The group `--skip-images` leaves out.
pub const IMAGES: &str = "images";
/// The group of analytics tables.
pub const ANALYTICS: &str = "analytics";

/// Prisma's own bookkeeping: never inferred into a group.
const MIGRATIONS_TABLE: &str = "_prisma_migrations";

/// One table of a group, with an optional row filter (a SQL boolean expression over the live
/// table's columns).
///
/// Its [`Display`](std::fmt::Display) is the config entry form (`User WHERE "role" = 'ADMIN'`),
/// which [`parse_entry`] reads back into the same value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupTable {
    /// The table name, unquoted, in the working schema.
    pub table: String,
    /// The row filter, e.g. `"role" = 'ADMIN'`; `None` takes every row.
    pub filter: Option<String>,
}

/// Where a group came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupSource {
    /// `[workspace.metadata.prisma-guard.groups]` (or, for a group with only folders,
    /// `[workspace.metadata.prisma-guard.files]`).
    Config,
    /// Inferred from the live catalog's table and column names.
    Inferred,
}

/// A named group: its tables and its upload folders.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Group {
    /// The group name (`admin`, `images`, `analytics`, or any configured name).
    pub name: String,
    /// The tables: in config order when configured, by name when inferred.
    pub tables: Vec<GroupTable>,
    /// Upload folders from `[workspace.metadata.prisma-guard.files]`, relative to the project root.
    pub folders: Vec<Utf8PathBuf>,
    /// Where the tables came from.
    pub source: GroupSource,
    /// Inferred groups only: user tables left out because no column says which rows are
    /// admins (rather than restoring every user as an admin).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uninferred: Vec<Uninferred>,
}

/// A table inference would have put in a group, left out because its row filter could not be
/// inferred.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Uninferred {
    /// The table.
    pub table: String,
    /// Why, in words (which columns were looked for).
    pub reason: String,
}

/// Resolves the restore groups of a project. Pure: `tables` and `enums` are the live catalog
/// ([`crate::catalog::tables`], [`crate::catalog::enums`]).
///
/// - A group in `config.groups` is taken as configured (entries through [`parse_entry`]), with
///   source [`GroupSource::Config`]; this also holds for `admin`, `images` and `analytics`.
/// - Each standard group (`admin`, `images`, `analytics`) that is not configured is inferred
///   from the table names, with source [`GroupSource::Inferred`]; one that ends up with no
///   tables and no folders is left out.
/// - `config.files[g]` become the folders of group `g`; a group with only folders has source
///   [`GroupSource::Config`].
///
/// Inference splits a table name into words (at `_`, `-`, spaces, digits and camelCase
/// boundaries), lower-cases them and drops a plural, then looks each word, and each pair of
/// adjacent words joined (`PageView` → `pageview`), up in the groups' word sets. A table goes
/// into at most one inferred group, analytics before images before admin (`UserEvent` is
/// analytics). `_prisma_migrations` and tables named in any configured group are never
/// inferred. In `admin`, a table whose words include "user" gets a filter when its columns show
/// who is an admin, first fit wins: a `role` enum with an admin label, found ignoring case
/// (`"role" = 'ADMIN'`), a `roles` list of such an enum (`'ADMIN' = ANY("roles")`), a boolean
/// `is_admin`/`isAdmin`/`admin` (`"isAdmin"`), a text `role` (`lower("role") = 'admin'`) or
/// text list. A user table with none of these is not put in `admin` but listed in its
/// [`Group::uninferred`], so `--admin-only` never restores every user as an admin.
///
/// `enums` maps an enum type, spelled as `format_type` prints it (the same string as
/// [`crate::catalog::Column::data_type`], e.g. `"Role"`), to its labels. The groups are sorted
/// by name.
pub fn resolve(
    config: &Config,
    tables: &[Table],
    enums: &BTreeMap<String, Vec<String>>,
) -> Vec<Group> {
    let configured: BTreeSet<String> = config
        .groups
        .values()
        .flatten()
        .map(|entry| parse_entry(entry).table)
        .collect();
    let mut sorted: Vec<&Table> = tables.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut inferred: BTreeMap<&str, Vec<GroupTable>> = BTreeMap::new();
    let mut uninferred: BTreeMap<&str, Vec<Uninferred>> = BTreeMap::new();
    for table in sorted {
        if table.name == MIGRATIONS_TABLE || configured.contains(&table.name) {
            continue;
        }
        let words = words(&table.name);
        let Some(group) = classify(&words) else {
            continue;
        };
        if config.groups.contains_key(group) {
            continue;
        }
        let filter = if group == ADMIN && words.iter().any(|w| w == "user") {
            match admin_filter(table, enums) {
                Ok(filter) => Some(filter),
                Err(reason) => {
                    uninferred.entry(group).or_default().push(Uninferred {
                        table: table.name.clone(),
                        reason,
                    });
                    continue;
                }
            }
        } else {
            None
        };
        inferred.entry(group).or_default().push(GroupTable {
            table: table.name.clone(),
            filter,
        });
    }

    let names: BTreeSet<&str> = STANDARD
        .iter()
        .map(|(name, _)| *name)
        .chain(config.groups.keys().map(String::as_str))
        .chain(config.files.keys().map(String::as_str))
        .collect();
    let mut groups = Vec::new();
    for name in names {
        let folders = config.files.get(name).cloned().unwrap_or_default();
        let left_out = uninferred.remove(name).unwrap_or_default();
        let (tables, source) = match config.groups.get(name) {
            Some(entries) => (
                entries.iter().map(|e| parse_entry(e)).collect(),
                GroupSource::Config,
            ),
            None => {
                let tables = inferred.remove(name).unwrap_or_default();
                if tables.is_empty() && folders.is_empty() && left_out.is_empty() {
                    continue;
                }
                let source = if tables.is_empty() && left_out.is_empty() {
                    GroupSource::Config
                } else {
                    GroupSource::Inferred
                };
                (tables, source)
            }
        };
        groups.push(Group {
            name: name.to_string(),
            tables,
            folders,
            source,
            uninferred: left_out,
        });
    }
    groups
}
