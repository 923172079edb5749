//! `status`: the migrations table, the summary, warnings, restore groups and `--json`.

use comfy_table::{Table, presets};
use serde_json::json;

use super::{render, toml_string};
use crate::database::DatabaseUrl;
use crate::migrations::{MigrationState, StatusReport};
use crate::project::Project;
use crate::restore::groups::{FilterCount, Group, GroupSource};

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
        "run `prisma-guard pre-migrate` to snapshot the data before applying them".to_string()
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
    for name in &report.without_script {
        warnings.push(format!(
            "migration folder {name} has no migration.sql: `prisma migrate deploy` stops there (P3015); restore the file from git or remove the folder"
        ));
    }
    if report.divergence.is_some() {
        warnings.push("the database has migrations the folder lacks and the folder has migrations the database lacks: the histories diverge".into());
    }
    warnings
}

/// The `--json` document; `lint` holds the findings in pending migrations ([`crate::lint`]).
pub fn status_json(
    report: &StatusReport,
    groups: &[Group],
    counts: &[FilterCount],
    lint: &crate::lint::LintReport,
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
        "group_filter_counts": counts,
        "lint": super::lint::lint_json(project.lint_mode(), lint),
    });
    serde_json::to_string_pretty(&document).expect("a JSON value always serializes")
}

/// The "Restore groups" section of `status`: each group with where it came from, its tables
/// (with filters, and the live rows each filter selects, from `counts`), the user tables whose
/// admins could not be inferred, its folders, then the TOML that pins the inferred ones.
pub fn groups_text(groups: &[Group], counts: &[FilterCount]) -> String {
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
            let count = counts
                .iter()
                .find(|c| c.group == group.name && c.table == table.table);
            let selects = match count {
                Some(FilterCount {
                    selected: Some(n),
                    rows,
                    ..
                }) => format!("  (selects {n} of the {rows} rows now in the database)"),
                Some(FilterCount {
                    error: Some(error), ..
                }) => format!("  (the database refuses this filter: {error})"),
                _ => String::new(),
            };
            out += &format!("    {table}{selects}\n");
        }
        for left_out in &group.uninferred {
            out += &format!(
                "    {} left out: admins could not be inferred, {}; pin a filter\n",
                left_out.table, left_out.reason
            );
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
