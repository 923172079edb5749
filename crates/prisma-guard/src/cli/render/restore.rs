//! Rendering for `prisma-guard restore`: the plan before confirmation, the result after.

use crate::database::DatabaseUrl;
use crate::restore::{Mode, Prepared, RestoreReport, Strategy};
use crate::snapshot::Manifest;
use chrono::{DateTime, Utc};
use comfy_table::{Table, presets};
use serde_json::json;

use super::fold::{FOLD_AFTER, SKIPPED_LINES, folded, folded_lines};
use super::restore_notes::{keep_notes, key_json, key_notes, merge_note, natural_notes};
use super::{age, pretty, render};

fn mode_text(mode: Mode) -> &'static str {
    match mode {
        Mode::Merge => "merge (insert rows whose key is absent; existing rows are never changed)",
        Mode::Upsert => "upsert (insert, and overwrite rows with the same primary key)",
        Mode::Replace => {
            "replace (make the selected rows equal to the snapshot's: update rows that differ, insert missing ones, delete only rows whose key the snapshot lacks)"
        }
    }
}

fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Auto => "auto",
        Strategy::Replay => "replay",
        Strategy::Map => "map",
    }
}

/// The lines every restore and rollback plan starts with: the target, the snapshot, and the
/// database it was taken of (marked when that is not the target).
pub(super) fn plan_header(m: &Manifest, url: &DatabaseUrl, now: DateTime<Utc>) -> String {
    let other = m.database.name != url.database_name() || m.database.schema != url.schema();
    format!(
        "target      {} (schema {})\nsnapshot    {} ({}, reason {})\ntaken of    {} (schema {}){}\n",
        url.redacted(),
        url.schema(),
        m.id,
        age(now, m.created_at),
        m.reason,
        m.database.url,
        m.database.schema,
        if other {
            " — another database than the target"
        } else {
            ""
        }
    )
}

/// The plan, shown before anything is written: target, snapshot, migrations since, and per
/// table what will happen.
pub fn plan_text(prepared: &Prepared, url: &DatabaseUrl, now: DateTime<Utc>) -> String {
    let m = &prepared.snapshot.manifest;
    let plan = &prepared.plan;
    let mut text = plan_header(m, url, now);
    text.push_str(&format!("mode        {}\n", mode_text(plan.mode)));
    text.push_str(&format!(
        "strategy    {}: {}\n",
        strategy_name(prepared.strategy.used),
        prepared.strategy.reason
    ));
    if prepared.applied_since.is_empty() {
        text.push_str("migrations  none applied since the snapshot\n");
    } else {
        text.push_str(&format!(
            "migrations  {} applied since the snapshot: {}\n",
            prepared.applied_since.len(),
            folded(&prepared.applied_since, FOLD_AFTER)
        ));
    }
    text.push('\n');
    if plan.tables.is_empty() {
        text.push_str("no tables to restore\n");
    } else {
        let mut table = Table::new();
        table.load_preset(presets::NOTHING);
        table.set_header(["table", "rows", "group", "filter", "schema changes"]);
        for t in &plan.tables {
            let mut changes = Vec::new();
            if !t.dropped.is_empty() {
                changes.push(format!("dropped {}", t.dropped.join(", ")));
            }
            if !t.defaulted.is_empty() {
                changes.push(format!("new {} (default)", t.defaulted.join(", ")));
            }
            if !t.deferred.is_empty() {
                changes.push(format!("{} set last", t.deferred_columns().join(", ")));
            }
            let filter = match (&t.filter, t.selected) {
                (Some(filter), Some(n)) => format!("{filter} (selects {n} of {})", t.snapshot_rows),
                (Some(filter), None) => filter.clone(),
                (None, _) => String::new(),
            };
            table.add_row([
                t.name.clone(),
                t.snapshot_rows.to_string(),
                t.groups.join(", "),
                filter,
                changes.join("; "),
            ]);
        }
        text.push_str(&render(table));
    }
    for t in &plan.tables {
        if let Some(key) = &t.natural_key {
            text.push_str(&format!(
                "match       {}: matched by {} ({}): a row whose id the target lacks takes the id of the row with the same {}\n",
                t.name,
                key.columns.join(", "),
                key.reason,
                key.columns.join(", ")
            ));
        }
    }
    for file in &plan.files {
        let folders: Vec<String> = file.folders.iter().map(|f| f.to_string()).collect();
        text.push_str(&format!(
            "files       {}: {} file(s) into {}{}\n",
            file.group,
            file.entries,
            folders.join(", "),
            if plan.mode == Mode::Merge {
                " (existing files are kept)"
            } else {
                " (existing files are overwritten)"
            }
        ));
    }
    for skipped in &plan.skipped_files {
        text.push_str(&format!(
            "files       {}: NOT restored, {}; its {} file(s) are left out\n",
            skipped.group, skipped.reason, skipped.entries
        ));
    }
    text.push_str(&super::objects::plan_lines(plan));
    if !plan.missing.is_empty() {
        text.push_str(
            "\nnot in the live schema (the restore refuses until they are left out with --exclude):\n",
        );
        for m in &plan.missing {
            text.push_str(&format!(
                "  {}: {} row(s) in the snapshot, no such table now\n",
                m.name, m.rows
            ));
        }
    }
    if !plan.skipped.is_empty() {
        text.push_str("\nskipped:\n");
        let lines: Vec<String> = plan
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.name, s.reason))
            .collect();
        for line in folded_lines(&lines, SKIPPED_LINES) {
            text.push_str(&format!("  {line}\n"));
        }
    }
    // Unrestorable tables are not listed here: the refusal that follows names every one with
    // its reasons, so each is said once.
    text
}

/// The result: per table counts, notes per foreign key, totals, time, and the safety snapshot.
pub fn report_text(report: &RestoreReport, safety: Option<&Manifest>) -> String {
    report_with(report, safety, String::new())
}

/// [`report_text`] for `restore`, whose plan is at hand: each foreign key note is followed by the
/// selection that keeps its rows' parents.
pub fn restore_report_text(
    prepared: &Prepared,
    report: &RestoreReport,
    safety: Option<&Manifest>,
) -> String {
    report_with(report, safety, keep_notes(prepared, report))
}

fn report_with(report: &RestoreReport, safety: Option<&Manifest>, keep: String) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    let replace = report
        .tables
        .iter()
        .any(|t| t.deleted > 0 || t.unchanged > 0);
    let mut header = vec![
        "table",
        "snapshot",
        "inserted",
        "updated",
        "conflicts",
        "orphans",
        "filtered",
    ];
    if replace {
        header.insert(2, "deleted");
        header.insert(5, "unchanged");
    }
    table.set_header(header);
    let mut totals = [0u64; 8];
    for t in &report.tables {
        let values = [
            t.snapshot_rows,
            t.deleted,
            t.inserted,
            t.updated,
            t.unchanged,
            t.conflicts,
            t.orphans,
            t.filtered,
        ];
        for (total, value) in totals.iter_mut().zip(values) {
            *total += value;
        }
        table.add_row(row(&t.name, &values, replace));
    }
    table.add_row(row("total", &totals, replace));
    let mut text = render(table);
    for t in report.tables.iter().filter(|t| t.unlinked > 0) {
        text.push_str(&format!(
            "note: {} row(s) of {} keep a NULL reference: the row they pointed to is not in the database\n",
            t.unlinked, t.name
        ));
    }
    text.push_str(&natural_notes(report));
    text.push_str(&key_notes(report));
    text.push_str(&keep);
    text.push_str(&merge_note(report));
    for f in &report.files {
        text.push_str(&format!(
            "files {}: {} written, {} already there (kept)\n",
            f.group, f.written, f.existing,
        ));
    }
    text.push_str(&super::objects::report_lines(
        &report.buckets,
        report.dry_run,
    ));
    let seconds = report.elapsed_ms as f64 / 1000.0;
    let deleted = if totals[1] > 0 {
        format!(", {} deleted", totals[1])
    } else {
        String::new()
    };
    if report.dry_run {
        text.push_str(&format!(
            "\ndry run: {} rows would be inserted and {} updated{deleted} ({seconds:.2} s); everything was rolled back, nothing changed\n",
            totals[2], totals[3]
        ));
    } else {
        text.push_str(&format!(
            "\nrestored: {} rows inserted, {} updated{deleted} in {seconds:.2} s\n",
            totals[2], totals[3]
        ));
    }
    if let Some(safety) = safety {
        text.push_str(&format!(
            "safety snapshot {} holds the tables as they were; undo with: `prisma-guard restore {} --mode replace`\n",
            safety.id, safety.id
        ));
    }
    text
}

fn row(name: &str, values: &[u64; 8], replace: bool) -> Vec<String> {
    let mut cells = vec![name.to_string()];
    for (i, value) in values.iter().enumerate() {
        if (i == 1 || i == 4) && !replace {
            continue;
        }
        cells.push(value.to_string());
    }
    cells
}

/// `restore --json`: the plan and the result in one object.
pub fn json(
    prepared: &Prepared,
    url: &DatabaseUrl,
    report: &RestoreReport,
    safety: Option<&Manifest>,
) -> String {
    let m = &prepared.snapshot.manifest;
    let plan = &prepared.plan;
    let tables: Vec<serde_json::Value> = plan
        .tables
        .iter()
        .zip(&report.tables)
        .map(|(t, r)| {
            json!({
                "name": t.name,
                "groups": t.groups,
                "filter": t.filter,
                "selected": t.selected,
                "snapshot_rows": r.snapshot_rows,
                "kept": t.kept.iter().map(|k| &k.name).collect::<Vec<_>>(),
                "dropped": t.dropped,
                "defaulted": t.defaulted,
                "deferred": t.deferred_columns(),
                "deleted": r.deleted,
                "inserted": r.inserted,
                "updated": r.updated,
                "conflicts": r.conflicts,
                "unchanged": r.unchanged,
                "differing": r.differing,
                "not_in_snapshot": r.not_in_snapshot,
                "orphans": r.orphans,
                "orphaned": key_json(prepared, r, &r.orphaned),
                "nulled": key_json(prepared, r, &r.nulled),
                "filtered": r.filtered,
                "unlinked": r.unlinked,
                "direct_copy": r.direct,
                "natural_key": r.natural_key,
                "matched": r.matched,
                "followed": r.followed,
                "remapped": r.remapped,
            })
        })
        .collect();
    let sum =
        |f: fn(&crate::restore::TableResult) -> u64| -> u64 { report.tables.iter().map(f).sum() };
    pretty(&json!({
        "snapshot": {
            "id": m.id,
            "created_at": m.created_at,
            "reason": m.reason,
            "taken_of": { "database": m.database.name, "schema": m.database.schema, "url": m.database.url },
        },
        "database": url.redacted(),
        "mode": plan.mode,
        "dry_run": report.dry_run,
        "applied_since": prepared.applied_since,
        "strategy": prepared.strategy,
        "safety_snapshot": safety.map(|s| &s.id),
        "tables": tables,
        "skipped": plan.skipped,
        "missing": plan.missing,
        "unrestorable": plan.unrestorable,
        "files": report.files,
        "skipped_files": plan.skipped_files,
        "buckets": report.buckets,
        "skipped_buckets": plan.skipped_buckets,
        "totals": {
            "snapshot_rows": sum(|t| t.snapshot_rows),
            "deleted": sum(|t| t.deleted),
            "inserted": sum(|t| t.inserted),
            "updated": sum(|t| t.updated),
            "conflicts": sum(|t| t.conflicts),
            "unchanged": sum(|t| t.unchanged),
            "differing": sum(|t| t.differing),
            "not_in_snapshot": sum(|t| t.not_in_snapshot),
            "orphans": sum(|t| t.orphans),
            "nulled": report.tables.iter().flat_map(|t| &t.nulled).map(|k| k.rows).sum::<u64>(),
            "filtered": sum(|t| t.filtered),
            "matched": sum(|t| t.matched),
            "followed": sum(|t| t.followed),
        },
        "elapsed_ms": report.elapsed_ms,
    }))
}

/// `restore --json` for a plan the restore refuses (unrestorable or missing tables): the plan
/// alone, with every unrestorable table and its problems; nothing was run.
pub fn refused_json(prepared: &Prepared, url: &DatabaseUrl, error: &str) -> String {
    let m = &prepared.snapshot.manifest;
    let plan = &prepared.plan;
    pretty(&json!({
        "snapshot": {
            "id": m.id,
            "created_at": m.created_at,
            "reason": m.reason,
            "taken_of": { "database": m.database.name, "schema": m.database.schema, "url": m.database.url },
        },
        "database": url.redacted(),
        "mode": plan.mode,
        "applied_since": prepared.applied_since,
        "strategy": prepared.strategy,
        "refused": error,
        "tables": plan.tables.iter().map(|t| json!({
            "name": t.name,
            "groups": t.groups,
            "filter": t.filter,
            "selected": t.selected,
            "snapshot_rows": t.snapshot_rows,
            "natural_key": t.natural_key.as_ref().map(|k| &k.columns),
        })).collect::<Vec<_>>(),
        "unrestorable": plan.unrestorable,
        "missing": plan.missing,
        "skipped": plan.skipped,
    }))
}
