//! Temporary: replaced by the groups branch (resolution and inference).

use camino::Utf8PathBuf;
use serde::Serialize;

/// One table of a group, with an optional row filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTable {
    /// The table name.
    pub table: String,
    /// A SQL boolean expression over the live table's columns.
    pub filter: Option<String>,
}

/// Where a group came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupSource {
    /// `[workspace.metadata.xtask.groups]`.
    Config,
    /// Inferred from table names.
    Inferred,
}

/// A named set of tables and folders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The name.
    pub name: String,
    /// Its tables.
    pub tables: Vec<GroupTable>,
    /// Its upload folders.
    pub folders: Vec<Utf8PathBuf>,
    /// Where it came from.
    pub source: GroupSource,
}

/// Parses `"User WHERE role = 'ADMIN'"`.
pub fn parse_entry(entry: &str) -> GroupTable {
    match entry.find(" WHERE ") {
        Some(i) => GroupTable {
            table: entry[..i].trim().to_string(),
            filter: Some(entry[i + 7..].trim().to_string()),
        },
        None => GroupTable {
            table: entry.trim().to_string(),
            filter: None,
        },
    }
}

/// Resolves groups (config only, until the groups branch lands).
pub fn resolve(
    config: &crate::config::Config,
    _tables: &[crate::catalog::Table],
    _enums: &std::collections::BTreeMap<String, Vec<String>>,
) -> Vec<Group> {
    config
        .groups
        .iter()
        .map(|(name, entries)| Group {
            name: name.clone(),
            tables: entries.iter().map(|e| parse_entry(e)).collect(),
            folders: config.files.get(name).cloned().unwrap_or_default(),
            source: GroupSource::Config,
        })
        .collect()
}
