//! Rendering for the terminal: the only place (with `main`) that turns values into text.
//! Renderers return strings so they can be tested; `main` prints them.

use crate::database::DatabaseUrl;
use crate::migrations::{MigrationState, StatusReport};
use crate::project::Project;
use crate::restore::groups::{Group, GroupSource};
use crate::snapshot::{Manifest, StoredSnapshot};
use chrono::{DateTime, Utc};
use comfy_table::{Table, presets};
use serde_json::json;

pub mod restore;

/// States in the order the summary lists them.
const STATES: [MigrationState; 6] = [
    MigrationState::Applied,
    MigrationState::Edited,
    MigrationState::Failed,
    MigrationState::RolledBack,
    MigrationState::Pending,
    MigrationState::MissingLocally,
];

/// The status table: migration, state, applied at; one row per migration.
pub fn status_table(report: &StatusReport) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["migration", "state", "applied at"]);
    for m in &report.migrations {
        let applied_at = m
            .applied_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default();
        table.add_row([m.name.as_str(), m.state.label(), applied_at.as_str()]);
    }
    render(table)
}

/// The one-line summary under the table.
pub fn status_summary(report: &StatusReport, schema: &str) -> String {
    let counts: Vec<String> = STATES
        .iter()
        .map(|s| (report.count(*s), s.label()))
        .filter(|(n, _)| *n > 0)
        .map(|(n, label)| format!("{n} {label}"))
        .collect();
    let counts = if counts.is_empty() {
        "no migrations".to_string()
    } else {
        counts.join(", ")
    };
    let verdict = if !report.migrations_table {
        format!(
            "the database has never been migrated with Prisma (no _prisma_migrations table in schema \"{schema}\")"
        )
    } else if let Some(divergence) = &report.divergence {
        match &divergence.last_common {
            Some(name) => format!("histories diverge after {name}"),
            None => "histories diverge from the first migration".to_string(),
        }
    } else if report.has_problems() {
        "needs attention before migrating".to_string()
    } else if report.unapplied().next().is_some() {
        "run `cargo xtask pre-migrate` to snapshot the data before applying them".to_string()
    } else {
        "the database is up to date".to_string()
    };
    format!("{counts}: {verdict}")
}

/// Warnings for problem states, one line each, said in terms of what to do.
pub fn status_warnings(report: &StatusReport) -> Vec<String> {
    let mut warnings = Vec::new();
    for m in &report.migrations {
        match m.state {
            MigrationState::Failed => warnings.push(format!(
                "migration {} failed; Prisma will not apply anything until it is resolved (`npx prisma migrate resolve --rolled-back {}` after fixing the database)",
                m.name, m.name
            )),
            MigrationState::Edited => warnings.push(format!(
                "migration {} was edited after it was applied; restore the applied version from git or create a new migration",
                m.name
            )),
            MigrationState::MissingLocally => warnings.push(format!(
                "migration {} is applied to the database but its folder is missing; pull it from git or check out the branch that has it",
                m.name
            )),
            _ => {}
        }
    }
    if report.divergence.is_some() {
        warnings.push("the database has migrations the folder lacks and the folder has migrations the database lacks: the histories diverge".into());
    }
    warnings
}

/// The `--json` document.
pub fn status_json(
    report: &StatusReport,
    groups: &[Group],
    project: &Project,
    url: &DatabaseUrl,
) -> String {
    let summary: serde_json::Map<String, serde_json::Value> = STATES
        .iter()
        .map(|s| {
            (
                serde_json::to_value(s)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string(),
                report.count(*s).into(),
            )
        })
        .collect();
    let document = json!({
        "database": { "url": url.redacted(), "schema": url.schema(), "source": url.source() },
        "migrations_dir": project.migrations_dir(),
        "migrations_table": report.migrations_table,
        "migrations": report.migrations,
        "divergence": report.divergence,
        "summary": summary,
        "groups": groups,
    });
    serde_json::to_string_pretty(&document).expect("a JSON value always serializes")
}

/// The "Restore groups" section of `status`: each group with where it came from, its tables
/// (with filters) and folders, then the TOML that pins the inferred ones.
pub fn groups_text(groups: &[Group]) -> String {
    const EXAMPLE: &str = r#"admin = ["User WHERE \"role\" = 'ADMIN'", "SystemPrompt"]"#;
    if groups.is_empty() {
        return format!(
            "Restore groups: none (no table name looks like admin, images or analytics data)\n\
             define them in Cargo.toml under [workspace.metadata.prisma-guard.groups], e.g.\n  {EXAMPLE}\n"
        );
    }
    let mut out = String::from("Restore groups\n");
    for group in groups {
        let source = match group.source {
            GroupSource::Config => "config",
            GroupSource::Inferred => "inferred from table names",
        };
        out += &format!("  {} ({source})\n", group.name);
        if group.tables.is_empty() {
            out += "    no tables\n";
        }
        for table in &group.tables {
            out += &format!("    {table}\n");
        }
        for folder in &group.folders {
            out += &format!("    files: {folder}\n");
        }
    }
    let inferred: Vec<&Group> = groups
        .iter()
        .filter(|g| g.source == GroupSource::Inferred)
        .collect();
    if inferred.is_empty() {
        out += "\nfrom [workspace.metadata.prisma-guard.groups] and [workspace.metadata.prisma-guard.files] in Cargo.toml\n";
    } else {
        out +=
            "\npin or correct them in Cargo.toml under [workspace.metadata.prisma-guard.groups]:\n";
        for group in inferred {
            let entries: Vec<String> = group
                .tables
                .iter()
                .map(|t| toml_string(&t.to_string()))
                .collect();
            out += &format!("  {} = [{}]\n", group.name, entries.join(", "));
        }
    }
    out
}

/// A TOML basic string: JSON's string escapes are all valid TOML.
fn toml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

/// The two lines that say which database and migrations folder a command looked at.
pub fn database_header(project: &Project, url: &DatabaseUrl) -> String {
    format!(
        "database    {} (schema {}, from {})\nmigrations  {}\n\n",
        url.redacted(),
        url.schema(),
        url.source(),
        project.display_path(&project.migrations_dir())
    )
}

/// Prints each warning on stderr as `warning: …`.
pub fn warn_all(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

/// Snapshot progress on stderr: a byte bar with the current table; hidden when stderr is not a
/// terminal (indicatif's default) and under `NO_COLOR` it draws without colour.
pub struct SnapshotProgress {
    bar: indicatif::ProgressBar,
    tables: std::sync::atomic::AtomicUsize,
    done: std::sync::atomic::AtomicUsize,
}

impl SnapshotProgress {
    /// A bar that shows nothing until the snapshot starts.
    pub fn new() -> Self {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bytes} read ({binary_bytes_per_sec}){msg}",
            )
            .expect("the template is valid"),
        );
        SnapshotProgress {
            bar,
            tables: 0.into(),
            done: 0.into(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl SnapshotProgress {
    fn show(&self, what: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        let (done, tables) = (self.done.load(Relaxed), self.tables.load(Relaxed));
        self.bar
            .set_message(format!(" {done}/{tables} tables {what}"));
    }
}

impl crate::snapshot::Progress for SnapshotProgress {
    fn start(&self, tables: usize, _estimated_bytes: u64) {
        self.tables
            .store(tables, std::sync::atomic::Ordering::Relaxed);
        self.show("");
        self.bar
            .enable_steady_tick(std::time::Duration::from_millis(120));
    }

    fn advance(&self, table: &str, bytes: u64) {
        self.bar.inc(bytes);
        self.show(table);
    }

    fn table_done(&self, table: &str, _rows: u64) {
        self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.show(table);
    }
}

fn size(bytes: u64) -> String {
    indicatif::BinaryBytes(bytes).to_string()
}

/// What a snapshot saved, and how to bring it back.
pub fn saved_text(project: &Project, manifest: &Manifest, elapsed: std::time::Duration) -> String {
    format!(
        "snapshot {}: {} tables, {} rows, {} in {:.2} s\n  saved in {}\nrestore with: cargo xtask restore {}\n",
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
    text.push_str(&saved_text(project, manifest, elapsed));
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
            "  {}: {rows}{columns}\n    restore with: cargo xtask restore {} --tables {}\n",
            loss.table,
            manifest.id,
            shell_words::quote(&loss.table)
        ));
    }
    text
}

/// The short JSON form of a manifest: id, counts, size.
fn manifest_summary(manifest: &Manifest) -> serde_json::Value {
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
        "restore_command": format!("cargo xtask restore {}", manifest.id),
    })
}

/// `snapshot --json`.
pub fn manifest_summary_json(manifest: &Manifest) -> String {
    pretty(&manifest_summary(manifest))
}

pub(crate) fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).expect("a JSON value always serializes")
}

/// `pre-migrate --json`.
pub fn pre_migrate_json(
    status: &StatusReport,
    manifest: Option<&Manifest>,
    applied: Option<&crate::workflows::Applied>,
    losses: Option<&[crate::workflows::Loss]>,
) -> String {
    pretty(&json!({
        "pending": status.unapplied().map(|m| &m.name).collect::<Vec<_>>(),
        "problems": status.has_problems(),
        "snapshot": manifest.map(manifest_summary),
        "applied": applied.map(|a| &a.migrations),
        "losses": losses,
    }))
}

pub(crate) fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds().max(0);
    match seconds {
        s if s < 60 => format!("{s}s ago"),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 86400 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86400),
    }
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

/// A table as text: two spaces between columns, no trailing blanks.
pub fn render(mut table: Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .lines()
        .map(|line| line.trim_end().to_string() + "\n")
        .collect()
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
        "policy: last {}, daily {}, weekly {}, monthly {}",
        p.keep_last, p.keep_daily, p.keep_weekly, p.keep_monthly
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
