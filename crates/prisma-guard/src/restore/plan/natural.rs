//! Natural keys: which unique key identifies a table's rows across ids ([`NaturalKey`]), and
//! which foreign keys follow a parent to the id its row has in the target
//! ([`TablePlan::follows`]).
//!
//! After a reset whose migrations or seed re-create rows under new ids (the default admin, the
//! products), a snapshot row whose primary key the target lacks but whose natural key a target
//! row holds is the same entity: the executor maps the snapshot's id to the target's and rewrites
//! the children's foreign keys through that map (issue 19). The key is chosen automatically
//! (below) or named per table with `match-on`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{ForeignKeyPlan, RestorePlan, TablePlan};
use crate::catalog::Table;
use crate::config::MatchOn;
use crate::restore::RestoreError;

/// Column names that identify an entity in words (compared case-insensitively).
const NATURAL_NAMES: [&str; 9] = [
    "slug", "email", "key", "name", "code", "username", "handle", "sku", "login",
];

/// The unique key a table's rows are matched on when their primary key differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NaturalKey {
    /// Its columns, in the unique key's order (all kept from the snapshot).
    pub columns: Vec<String>,
    /// Why this key: `match-on`, `a natural column`, `a unique foreign key`, `a unique key`.
    pub reason: String,
}

/// Sets each planned table's [`TablePlan::natural_key`] (from `match_on`, else the automatic
/// choice) and [`TablePlan::follows`].
///
/// The automatic choice, for a table with a primary key the snapshot holds: among its unique
/// keys that hold no primary-key column and whose columns the snapshot holds, first one with a
/// column named like `slug`, `email`, `name` or `key` (`NATURAL_NAMES`), then one made of
/// foreign-key columns (`UserSetting.userId`, a link table's pair), then any; fewer columns
/// first, then the catalog's order.
///
/// Errors: [`RestoreError::MatchOn`] when `match_on` names a table the live schema lacks, or
/// columns that are not one of the table's unique keys, that the snapshot lacks, or on a table
/// without a primary key. A named table outside the selection is not an error.
pub fn natural_keys(
    plan: &mut RestorePlan,
    live: &[Table],
    match_on: &BTreeMap<String, MatchOn>,
) -> Result<(), RestoreError> {
    for (name, columns) in match_on {
        let Some(table) = live.iter().find(|t| &t.name == name) else {
            return Err(RestoreError::MatchOn {
                table: name.clone(),
                problem: "no such table in the live schema".into(),
            });
        };
        if let Some(planned) = plan.tables.iter().find(|t| &t.name == name) {
            configured(planned, table, &columns.columns())?;
        } else {
            configured_columns(table, &columns.columns())?;
        }
    }
    for planned in &mut plan.tables {
        let Some(table) = live.iter().find(|t| t.name == planned.name) else {
            continue;
        };
        planned.natural_key = match match_on.get(&planned.name) {
            Some(columns) => configured(planned, table, &columns.columns())?,
            None => automatic(planned, table),
        };
    }
    let keyed: Vec<(String, String, Vec<String>)> = plan
        .tables
        .iter()
        .filter(|t| t.natural_key.is_some())
        .map(|t| (t.schema.clone(), t.name.clone(), t.primary_key.clone()))
        .collect();
    for planned in &mut plan.tables {
        let Some(table) = live.iter().find(|t| t.name == planned.name) else {
            continue;
        };
        let kept = |c: &String| planned.kept.iter().any(|k| &k.name == c);
        planned.follows = table
            .foreign_keys
            .iter()
            .filter(|fk| fk.columns.iter().all(kept))
            .filter(|fk| {
                keyed.iter().any(|(schema, name, pk)| {
                    schema == &fk.references_schema
                        && name == &fk.references_table
                        && same_set(pk, &fk.references_columns)
                })
            })
            .map(|fk| ForeignKeyPlan {
                name: fk.name.clone(),
                columns: fk.columns.clone(),
                references_schema: fk.references_schema.clone(),
                references_table: fk.references_table.clone(),
                references_columns: fk.references_columns.clone(),
            })
            .collect();
    }
    Ok(())
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|c| b.contains(c))
}

fn unique_keys_text(table: &Table) -> String {
    if table.unique_keys.is_empty() {
        return "it has no unique key besides its primary key".into();
    }
    let keys: Vec<String> = table
        .unique_keys
        .iter()
        .map(|k| format!("({})", k.join(", ")))
        .collect();
    format!("its unique keys are {}", keys.join(", "))
}

/// The columns checked against the live table alone (a table outside the selection).
fn configured_columns(table: &Table, columns: &[String]) -> Result<(), RestoreError> {
    if columns.is_empty() {
        return Ok(());
    }
    if !table.unique_keys.iter().any(|k| same_set(k, columns)) {
        return Err(RestoreError::MatchOn {
            table: table.name.clone(),
            problem: format!(
                "({}) is not a unique key of the table; {}",
                columns.join(", "),
                unique_keys_text(table)
            ),
        });
    }
    Ok(())
}

/// The key `match-on` names for a planned table; `None` for an empty list.
fn configured(
    planned: &TablePlan,
    table: &Table,
    columns: &[String],
) -> Result<Option<NaturalKey>, RestoreError> {
    if columns.is_empty() {
        return Ok(None);
    }
    configured_columns(table, columns)?;
    let problem = |problem: String| RestoreError::MatchOn {
        table: table.name.clone(),
        problem,
    };
    if planned.primary_key.is_empty() {
        return Err(problem(
            "the table has no primary key, so there is no id to map (its rows are matched on that key already)".into(),
        ));
    }
    let kept = |c: &String| planned.kept.iter().any(|k| &k.name == c);
    if let Some(absent) = columns
        .iter()
        .chain(&planned.primary_key)
        .find(|c| !kept(c))
    {
        return Err(problem(format!(
            "the snapshot has no column {absent} (or the table no longer does)"
        )));
    }
    // In the unique key's order, as the catalog lists it.
    let ordered = table
        .unique_keys
        .iter()
        .find(|k| same_set(k, columns))
        .cloned()
        .unwrap_or_else(|| columns.to_vec());
    Ok(Some(NaturalKey {
        columns: ordered,
        reason: "match-on".into(),
    }))
}

/// The automatic choice (see [`natural_keys`]).
fn automatic(planned: &TablePlan, table: &Table) -> Option<NaturalKey> {
    let kept = |c: &String| planned.kept.iter().any(|k| &k.name == c);
    if planned.primary_key.is_empty() || !planned.primary_key.iter().all(kept) {
        return None;
    }
    let fk_column = |c: &String| table.foreign_keys.iter().any(|fk| fk.columns.contains(c));
    let natural = |c: &String| NATURAL_NAMES.contains(&c.to_lowercase().as_str());
    table
        .unique_keys
        .iter()
        .enumerate()
        .filter(|(_, key)| {
            !key.is_empty()
                && key.iter().all(kept)
                && !key.iter().any(|c| planned.primary_key.contains(c))
        })
        .map(|(i, key)| {
            let rank = if key.iter().any(natural) {
                0
            } else if key.iter().all(fk_column) {
                1
            } else {
                2
            };
            (rank, key.len(), i, key)
        })
        .min()
        .map(|(rank, _, _, key)| NaturalKey {
            columns: key.clone(),
            reason: match rank {
                0 => "a natural column",
                1 => "a unique foreign key",
                _ => "a unique key",
            }
            .into(),
        })
}
