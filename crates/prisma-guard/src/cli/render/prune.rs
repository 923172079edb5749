//! `prune`: the decisions as text and JSON, and auto-prune's one line.

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets};
use serde_json::json;

use super::{age, pretty, render, size};

/// `prune`: one row per snapshot, newest first: id, age, kept or removed, why kept; then a
/// summary line with the policy.
pub fn prune_text(outcome: &crate::snapshot::PruneOutcome, now: DateTime<Utc>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["id", "age", "action", "reasons"]);
    let removed_label = if outcome.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for d in &outcome.decisions {
        let (action, reasons) = if d.keep {
            ("keep", d.reasons.join(", "))
        } else {
            (removed_label, "matched no rule".to_string())
        };
        table.add_row([d.id.clone(), age(now, d.created_at), action.into(), reasons]);
    }
    let p = &outcome.policy;
    let going = outcome.decisions.iter().filter(|d| !d.keep).count();
    let kept = outcome.decisions.len() - going;
    let policy = format!(
        "policy: last {}, daily {}, weekly {}, monthly {}, safety {}",
        p.keep_last, p.keep_daily, p.keep_weekly, p.keep_monthly, p.keep_safety
    );
    let summary = if outcome.dry_run {
        format!("dry run: would remove {going}, keep {kept} ({policy}); nothing was removed\n")
    } else {
        let bytes = outcome.removed.iter().map(|r| r.bytes).sum();
        format!(
            "removed {} snapshot(s), {}; kept {kept} ({policy})\n",
            outcome.removed.len(),
            size(bytes)
        )
    };
    render(table) + "\n" + &summary
}

/// `prune --json`.
pub fn prune_json(outcome: &crate::snapshot::PruneOutcome) -> String {
    pretty(&json!({
        "dry_run": outcome.dry_run,
        "policy": outcome.policy,
        "snapshots": outcome.decisions,
        "removed": outcome.removed,
    }))
}

/// The one stderr line after an automatic prune; `None` when nothing was removed.
pub fn auto_prune_line(outcome: &crate::snapshot::PruneOutcome) -> Option<String> {
    if outcome.removed.is_empty() {
        return None;
    }
    let ids: Vec<&str> = outcome.removed.iter().map(|r| r.id.as_str()).collect();
    let bytes = outcome.removed.iter().map(|r| r.bytes).sum();
    Some(format!(
        "auto-prune: removed {} snapshot(s) ({}): {}",
        ids.len(),
        size(bytes),
        ids.join(", ")
    ))
}
