//! The notes under a restore's report: per foreign key, the rows kept with a NULL key or left
//! out as orphans, why, and the selection that keeps them; and what `merge` left as it was.

use serde_json::json;

use crate::restore::execute::KeyCount;
use crate::restore::{Prepared, RestoreReport, TableResult};

/// One line per foreign key with orphans or keys set to NULL: how many, which key, and why.
pub(super) fn key_notes(report: &RestoreReport) -> String {
    let mut text = String::new();
    for t in &report.tables {
        for k in &t.nulled {
            text.push_str(&format!(
                "note: {}: {} row(s) kept with {} set to NULL (foreign key {} to {}): {}\n",
                t.name,
                k.rows,
                k.columns.join(", "),
                k.foreign_key,
                k.parent,
                k.reason
            ));
        }
        for k in &t.orphaned {
            text.push_str(&format!(
                "note: {}: {} orphan(s) left out by foreign key {} ({} to {}, NOT NULL): {}\n",
                t.name,
                k.rows,
                k.foreign_key,
                k.columns.join(", "),
                k.parent,
                k.reason
            ));
        }
    }
    text
}

/// One line per table matched by a natural key whose rows took the target's ids: `Product:
/// matched by slug: 12 row(s) map to new ids; 31 children follow`.
pub(super) fn natural_notes(report: &RestoreReport) -> String {
    let mut text = String::new();
    for t in &report.tables {
        if t.natural_key.is_empty() || (t.matched == 0 && t.followed == 0) {
            continue;
        }
        text.push_str(&format!(
            "note: {}: matched by {}: {} row(s) map to new ids; {} children follow\n",
            t.name,
            t.natural_key.join(", "),
            t.matched,
            t.followed
        ));
    }
    text
}

/// `merge`: the tables where the snapshot and the database disagree, which merge leaves alone.
pub(super) fn merge_note(report: &RestoreReport) -> String {
    let tables: Vec<String> = report
        .tables
        .iter()
        .filter(|t| t.differing > 0 || t.not_in_snapshot > 0)
        .map(|t| {
            format!(
                "{} ({} differ, {} not in the snapshot)",
                t.name, t.differing, t.not_in_snapshot
            )
        })
        .collect();
    if tables.is_empty() {
        return String::new();
    }
    let differing: u64 = report.tables.iter().map(|t| t.differing).sum();
    let absent: u64 = report.tables.iter().map(|t| t.not_in_snapshot).sum();
    format!(
        "note: merge kept {differing} existing row(s) that differ from the snapshot's and {absent} row(s) the snapshot lacks: {}; `--mode replace` makes these tables equal to the snapshot\n",
        tables.join(", ")
    )
}

/// The selection that restores the parents a foreign key missed, as flags (`--only
/// admin,images`), or `None` when the snapshot does not hold the parent table.
pub(super) fn keep_with(prepared: &Prepared, table: &str, key: &KeyCount) -> Option<String> {
    let plan = &prepared.plan;
    let parent = &key.parent;
    let skipped = plan.skipped.iter().find(|s| &s.name == parent);
    if let Some(skipped) = skipped {
        if let Some(group) = skipped
            .reason
            .strip_prefix("group ")
            .and_then(|r| r.strip_suffix(" skipped"))
        {
            return Some(format!("without --skip {group}"));
        }
        if skipped.reason.starts_with("excluded") {
            return Some(format!("without --exclude {parent}"));
        }
    } else if !plan.tables.iter().any(|t| &t.name == parent) {
        return None;
    }
    let holding = |name: &str| -> Vec<String> {
        prepared
            .groups
            .iter()
            .filter(|g| g.tables.iter().any(|t| t.table == name))
            .map(|g| g.name.clone())
            .collect()
    };
    let parents = holding(parent);
    if parents.is_empty() {
        return Some(format!("--tables {parent} added to this selection"));
    }
    let mut groups: Vec<String> = plan
        .tables
        .iter()
        .find(|t| t.name == table)
        .map(|t| t.groups.clone())
        .unwrap_or_default();
    for group in parents {
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    Some(format!("--only {}", groups.join(",")))
}

/// For `restore`: under each foreign key that set keys to NULL or left orphans, the selection
/// that brings their parents back.
pub(super) fn keep_notes(prepared: &Prepared, report: &RestoreReport) -> String {
    let mut text = String::new();
    for t in &report.tables {
        for k in t.nulled.iter().chain(&t.orphaned) {
            if let Some(flags) = keep_with(prepared, &t.name, k) {
                text.push_str(&format!(
                    "  {} of {} keep their {} with: {flags}\n",
                    k.rows,
                    t.name,
                    k.columns.join(", ")
                ));
            }
        }
    }
    text
}

pub(super) fn key_json(
    prepared: &Prepared,
    t: &TableResult,
    keys: &[KeyCount],
) -> Vec<serde_json::Value> {
    keys.iter()
        .map(|k| {
            json!({
                "foreign_key": k.foreign_key,
                "columns": k.columns,
                "parent": k.parent,
                "rows": k.rows,
                "reason": k.reason,
                "keep_with": keep_with(prepared, &t.name, k),
            })
        })
        .collect()
}
