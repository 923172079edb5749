//! `rollback`: the plan, the result, and `--json`.

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets};
use serde_json::json;

use super::fold::folded;
use super::restore::plan_header;
use super::{pretty, render};
use crate::database::DatabaseUrl;
use crate::restore::rollback::{RollbackPlan, RollbackReport};
use crate::snapshot::Manifest;

/// `rollback`'s plan, shown before anything is written.
pub fn rollback_plan_text(
    plan: &RollbackPlan,
    url: &DatabaseUrl,
    now: DateTime<Utc>,
    dry_run: bool,
) -> String {
    let m = &plan.snapshot.manifest;
    let mut text = plan_header(m, url, now);
    text.push_str(&format!(
        "schema      {} is dropped and rebuilt by the snapshot's {} migrations{}\n",
        url.schema(),
        plan.migrations.len(),
        match plan.migrations.last() {
            Some(last) => format!(" (the last: {})", last.name),
            None => String::new(),
        }
    ));
    if plan.undone.is_empty() {
        text.push_str("migrations  none applied since the snapshot\n");
    } else {
        text.push_str(&format!(
            "migrations  {} applied since the snapshot are undone: {}\n",
            plan.undone.len(),
            folded(&plan.undone, 5)
        ));
    }
    let tables = m.tables.iter().filter(|t| t.name != "_prisma_migrations");
    let (count, rows) = tables.fold((0, 0), |(n, r), t| (n + 1, r + t.rows));
    text.push_str(&format!("data        {rows} rows in {count} tables\n"));
    text.push_str(if plan.history {
        "history     _prisma_migrations gets the snapshot's rows\n"
    } else {
        "history     the snapshot does not hold _prisma_migrations: it keeps the rows the replay writes\n"
    });
    if !m.files.is_empty() {
        text.push_str(
            "files       upload folders are not touched (`prisma-guard restore` brings them back)\n",
        );
    }
    if dry_run {
        text.push_str("dry run     rebuilt in a scratch database, which is then dropped; the target is not touched\n");
    }
    text
}

/// `rollback`'s result.
pub fn rollback_report_text(report: &RollbackReport, safety: Option<&Manifest>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["table", "rows"]);
    let mut total = 0;
    for t in &report.tables {
        total += t.inserted;
        table.add_row([t.name.clone(), t.inserted.to_string()]);
    }
    table.add_row(["total".to_string(), total.to_string()]);
    let mut text = render(table);
    let seconds = report.elapsed_ms as f64 / 1000.0;
    text.push_str(&format!(
        "\n{} {} migrations replayed, {total} rows loaded, {} _prisma_migrations rows put back in {seconds:.2} s\n",
        if report.dry_run {
            "dry run (scratch database, dropped; nothing changed):"
        } else {
            "rolled back:"
        },
        report.migrations.len(),
        report.history_rows,
    ));
    if let Some(safety) = safety {
        text.push_str(&format!(
            "safety snapshot {} holds the database as it was; undo with: `prisma-guard rollback {}`\n",
            safety.id, safety.id
        ));
    }
    text
}

/// `rollback --json`: the plan and the result in one object.
pub fn rollback_json(
    plan: &RollbackPlan,
    url: &DatabaseUrl,
    report: &RollbackReport,
    safety: Option<&Manifest>,
) -> String {
    let m = &plan.snapshot.manifest;
    pretty(&json!({
        "snapshot": {
            "id": m.id,
            "created_at": m.created_at,
            "reason": m.reason,
            "taken_of": { "database": m.database.name, "schema": m.database.schema, "url": m.database.url },
        },
        "database": url.redacted(),
        "dry_run": report.dry_run,
        "migrations": report.migrations,
        "undone": plan.undone,
        "tables": report.tables.iter().map(|t| json!({"name": t.name, "rows": t.inserted})).collect::<Vec<_>>(),
        "history_rows": report.history_rows,
        "safety_snapshot": safety.map(|s| &s.id),
        "elapsed_ms": report.elapsed_ms,
    }))
}
