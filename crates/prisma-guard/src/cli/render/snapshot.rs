//! Snapshots: the saved summary, `pre-migrate`'s text and JSON, the lost-data report, the list,
//! `show` and `verify`.

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets};
use serde_json::json;

use super::{age, pretty, render, size};
use crate::migrations::StatusReport;
use crate::project::Project;
use crate::snapshot::{Manifest, StoredSnapshot};

/// What a snapshot saved, and how to bring it back.
pub fn saved_text(project: &Project, manifest: &Manifest, elapsed: std::time::Duration) -> String {
    format!(
        "snapshot {}: {} tables, {} rows, {} in {:.2} s\n  saved in {}\nrestore with: `prisma-guard restore {}`\n",
        manifest.id,
        manifest.tables.len(),
        manifest.total_rows(),
        size(manifest.total_bytes()),
        elapsed.as_secs_f64(),
        project.display_path(&project.backups_dir.join(&manifest.id)),
        manifest.id
    )
}

/// `pre-migrate`'s report: what is pending, then what was saved.
pub fn pre_migrate_text(
    project: &Project,
    status: &StatusReport,
    manifest: &Manifest,
    elapsed: std::time::Duration,
    reused: bool,
) -> String {
    let pending: Vec<&str> = status.unapplied().map(|m| m.name.as_str()).collect();
    let mut text = if pending.is_empty() {
        "nothing pending; snapshot taken because of --force\n".to_string()
    } else {
        let mut text = format!(
            "{} pending migration{}:\n",
            pending.len(),
            if pending.len() == 1 { "" } else { "s" }
        );
        for name in pending {
            text.push_str(&format!("  {name}\n"));
        }
        text
    };
    if reused {
        text.push_str(&format!(
            "unchanged since snapshot {0} (same data, same pending migrations; compared in {1:.2} s): \
             no new snapshot kept\nrestore with: `prisma-guard restore {0}`\n",
            manifest.id,
            elapsed.as_secs_f64()
        ));
    } else {
        text.push_str(&saved_text(project, manifest, elapsed));
    }
    text
}

/// What `--apply` did and what the migrations lost.
pub fn applied_text(
    manifest: &Manifest,
    applied: &crate::workflows::Applied,
    losses: &[crate::workflows::Loss],
) -> String {
    let mut text = String::new();
    if !applied.migrations.is_empty() {
        text.push_str(&format!(
            "applied {} migration(s):\n",
            applied.migrations.len()
        ));
        for name in &applied.migrations {
            text.push_str(&format!("  {name}\n"));
        }
    }
    if losses.is_empty() {
        text.push_str("no table lost rows or columns\n");
        return text;
    }
    text.push_str("data lost by the migrations (the snapshot still has it):\n");
    for loss in losses {
        let rows = match loss.rows_after {
            None => format!("table dropped ({} rows)", loss.rows_before),
            Some(after) if after < loss.rows_before => {
                format!(
                    "{} of {} rows lost",
                    loss.rows_before - after,
                    loss.rows_before
                )
            }
            Some(_) => "rows kept".to_string(),
        };
        let columns = if loss.dropped_columns.is_empty() {
            String::new()
        } else {
            format!(", dropped columns: {}", loss.dropped_columns.join(", "))
        };
        text.push_str(&format!(
            "  {}: {rows}{columns}\n    restore with: `prisma-guard restore {} --tables {}`\n",
            loss.table,
            manifest.id,
            shell_words::quote(&loss.table)
        ));
    }
    text
}

/// The short JSON form of a manifest: id, counts, size.
pub(crate) fn manifest_summary(manifest: &Manifest) -> serde_json::Value {
    json!({
        "id": manifest.id,
        "created_at": manifest.created_at,
        "reason": manifest.reason,
        "tag": manifest.tag,
        "keep": manifest.keep,
        "tables": manifest.tables.len(),
        "rows": manifest.total_rows(),
        "bytes": manifest.total_bytes(),
        "fingerprint": manifest.fingerprint,
        "restore_command": format!("{} restore {}", crate::cli::program::name(), manifest.id),
    })
}

/// `snapshot --json`.
pub fn manifest_summary_json(manifest: &Manifest) -> String {
    pretty(&manifest_summary(manifest))
}

/// `pre-migrate --json`.
pub fn pre_migrate_json(
    status: &StatusReport,
    manifest: Option<(&Manifest, bool)>,
    applied: Option<&crate::workflows::Applied>,
    losses: Option<&[crate::workflows::Loss]>,
) -> String {
    pretty(&json!({
        "pending": status.unapplied().map(|m| &m.name).collect::<Vec<_>>(),
        "problems": status.has_problems(),
        "snapshot": manifest.map(|(m, _)| manifest_summary(m)),
        "snapshot_reused": manifest.map(|(_, reused)| reused),
        "applied": applied.map(|a| &a.migrations),
        "losses": losses,
    }))
}

/// `snapshots`: one row per snapshot, oldest first.
pub fn snapshots_table(all: &[StoredSnapshot], now: DateTime<Utc>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header([
        "id",
        "age",
        "reason",
        "tables",
        "rows",
        "size",
        "pending then",
    ]);
    for s in all {
        let m = &s.manifest;
        let mut reason = match &m.tag {
            Some(tag) => format!("{} ({tag})", m.reason),
            None => m.reason.clone(),
        };
        if m.keep {
            reason.push_str(", kept forever");
        }
        let pending = s
            .sidecar
            .as_ref()
            .map_or("?".to_string(), |c| c.unapplied().count().to_string());
        table.add_row([
            m.id.clone(),
            age(now, m.created_at),
            reason,
            m.tables.len().to_string(),
            m.total_rows().to_string(),
            size(m.total_bytes()),
            pending,
        ]);
    }
    render(table)
}

/// `snapshots --json`.
pub fn snapshots_json(all: &[StoredSnapshot]) -> String {
    let list: Vec<serde_json::Value> = all
        .iter()
        .map(|s| {
            let mut value = manifest_summary(&s.manifest);
            value["pending"] = json!(
                s.sidecar
                    .as_ref()
                    .map(|c| c.unapplied().map(|m| &m.name).collect::<Vec<_>>())
            );
            value["path"] = json!(s.path);
            value
        })
        .collect();
    pretty(&json!({ "snapshots": list }))
}

/// `snapshots show --json`: manifest and sidecar as they are on disk.
pub fn show_json(snapshot: &StoredSnapshot) -> String {
    pretty(&json!({ "manifest": snapshot.manifest, "migration_info": snapshot.sidecar }))
}

/// `snapshots show`: the manifest and sidecar, readably.
pub fn show_text(snapshot: &StoredSnapshot, now: DateTime<Utc>) -> String {
    let m = &snapshot.manifest;
    let mut text = format!(
        "snapshot    {}\ntaken       {} ({})\nreason      {}{}\ndatabase    {} (schema {}, PostgreSQL {})\nsize        {} rows, {}\n",
        m.id,
        m.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
        age(now, m.created_at),
        m.reason,
        m.tag
            .as_ref()
            .map(|t| format!(" (tag {t})"))
            .unwrap_or_default()
            + if m.keep {
                ", kept forever (--keep)"
            } else {
                ""
            },
        m.database.url,
        m.database.schema,
        m.database.server_version,
        m.total_rows(),
        size(m.total_bytes()),
    );
    if let Some(sidecar) = &snapshot.sidecar {
        if let Some(git) = &sidecar.git {
            let dirty = if git.dirty {
                ", uncommitted changes"
            } else {
                ""
            };
            text.push_str(&format!(
                "git         {} at {}{dirty}\n",
                git.branch,
                &git.commit[..git.commit.len().min(12)]
            ));
        }
        text.push_str(&format!("command     {}\n", sidecar.command));
        text.push_str(&format!(
            "migrations  {} applied, {} pending",
            sidecar.applied.len(),
            sidecar.unapplied().count()
        ));
        for (label, list) in [
            ("failed", &sidecar.failed),
            ("edited", &sidecar.edited),
            ("missing locally", &sidecar.missing_locally),
        ] {
            if !list.is_empty() {
                text.push_str(&format!(", {} {label}", list.len()));
            }
        }
        text.push('\n');
        for record in sidecar.unapplied() {
            text.push_str(&format!("  pending   {}\n", record.name));
        }
    }
    text.push('\n');
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["table", "rows", "columns", "size"]);
    for t in &m.tables {
        table.add_row([
            t.name.clone(),
            t.rows.to_string(),
            t.columns.len().to_string(),
            size(t.bytes),
        ]);
    }
    for f in &m.files {
        table.add_row([
            format!("files: {}", f.group),
            format!("{} files", f.entries),
            String::new(),
            size(f.bytes),
        ]);
    }
    for b in &m.buckets {
        table.add_row([
            format!("objects: {} ({})", b.group, b.url),
            format!("{} objects", b.objects.len()),
            String::new(),
            size(b.bytes),
        ]);
    }
    text.push_str(&render(table));
    text
}

/// `snapshots verify`: one line per snapshot, then each problem naming its file.
pub fn verify_text(reports: &[crate::snapshot::VerifyReport]) -> String {
    let mut text = String::new();
    for report in reports {
        if report.ok() {
            text.push_str(&format!(
                "ok      {}: {} files, {} rows\n",
                report.id, report.files, report.rows
            ));
        } else {
            text.push_str(&format!(
                "FAILED  {}: {} problem(s)\n",
                report.id,
                report.problems.len()
            ));
            for problem in &report.problems {
                text.push_str(&format!("  {}: {}\n", problem.file, problem.problem));
            }
        }
    }
    if reports.is_empty() {
        text.push_str("no snapshots to verify\n");
    }
    text
}
