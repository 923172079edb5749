//! What the user asked to restore ([`Selection`]), and which snapshot tables and upload
//! archives it takes.

use crate::migrations::table::TABLE_NAME as MIGRATIONS_TABLE;
use crate::restore::groups::Group;

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

/// Whether `table` is selected; `Ok(filter)` when it is, `Err(reason)` when not.
pub(super) fn select(
    table: &str,
    groups: &[Group],
    selection: &Selection,
) -> Result<Option<String>, String> {
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
            let uninferred = selection.only.iter().find_map(|name| {
                let group = groups.iter().find(|g| &g.name == name)?;
                let left_out = group.uninferred.iter().find(|u| u.table == table)?;
                Some(format!(
                    "group {name} could not infer its admins: {}; pin a filter under [workspace.metadata.prisma-guard.groups] (e.g. {name} = [\"{table} WHERE <condition>\"])",
                    left_out.reason
                ))
            });
            return Err(uninferred.unwrap_or_else(|| "not in the selected groups".into()));
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
pub(super) fn files_selected(group: &str, selection: &Selection) -> bool {
    if selection.skip.iter().any(|g| g == group) {
        return false;
    }
    if !selection.only.is_empty() {
        return selection.only.iter().any(|g| g == group);
    }
    selection.tables.is_empty()
}
