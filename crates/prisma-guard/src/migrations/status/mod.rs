//! The comparison of local migrations with `_prisma_migrations`, as Prisma Migrate makes it.
//!
//! Per migration, from the rows with its name, in this precedence (failed, then edited, then
//! rolled back, then applied): **failed** — a row with neither `finished_at` nor `rolled_back_at` (it blocks
//! `migrate deploy` with P3009, so it wins over everything, also for a name with no folder);
//! **edited** — applied, but the file does not match the checksum of the *first* row of that
//! name by `started_at`, rolled-back rows included, as Prisma's diagnosis compares it
//! (prisma/prisma#9829: rolled back with an old checksum and re-applied after an edit is
//! edited); **rolled back** — only rolled-back rows (Prisma applies it again); **applied** — a
//! finished row that is not rolled back; **pending** — no row. A name with rows (any, rolled back
//! too) and no folder is **missing locally** (or failed). Pending and missing together: the
//! histories **diverge**.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Listing, LocalMigration, MigrationRow};

/// The state of one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationState {
    /// Finished and not rolled back; the file matches.
    Applied,
    /// In the folder, with no row.
    Pending,
    /// Only rolled-back rows: Prisma will apply it again.
    RolledBack,
    /// Started and neither finished nor rolled back: Prisma refuses to deploy until resolved.
    Failed,
    /// Applied, but migration.sql changed since.
    Edited,
    /// Recorded in the database, but its folder is gone.
    MissingLocally,
}

impl MigrationState {
    /// The word shown in tables: `applied`, `pending`, `rolled back`, …
    pub fn label(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::RolledBack => "rolled back",
            MigrationState::Failed => "failed",
            MigrationState::Edited => "edited",
            MigrationState::MissingLocally => "missing locally",
        }
    }

    /// Whether `prisma migrate deploy` would run it: pending or rolled back.
    pub fn is_unapplied(self) -> bool {
        matches!(self, MigrationState::Pending | MigrationState::RolledBack)
    }

    /// Whether it needs a human: failed, edited or missing locally.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            MigrationState::Failed | MigrationState::Edited | MigrationState::MissingLocally
        )
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStatus {
    /// The migration's folder name.
    pub name: String,
    /// Its state.
    pub state: MigrationState,
    /// `finished_at` of the row that counts; `None` unless applied or edited.
    pub applied_at: Option<DateTime<Utc>>,
    /// The checksum of the local migration.sql (`None` when missing locally).
    pub local_checksum: Option<String>,
    /// The checksum recorded in the row that counts (`None` when pending).
    pub recorded_checksum: Option<String>,
    /// Rows in `_prisma_migrations` with this name.
    pub attempts: usize,
}

/// Pending and missing-locally migrations at once: the local history and the database's diverge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// The last migration both histories share, in folder order (`None`: nothing shared).
    pub last_common: Option<String>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// Whether `_prisma_migrations` exists; `false` means never migrated with Prisma.
    pub migrations_table: bool,
    /// Local migrations in folder order, then missing-locally ones in the order they ran.
    pub migrations: Vec<MigrationStatus>,
    /// Set when the histories diverge.
    pub divergence: Option<Divergence>,
    /// Migration folders without migration.sql (also listed in `migrations`): `prisma migrate
    /// deploy` stops at the first with P3015.
    pub without_script: Vec<String>,
}

impl StatusReport {
    /// Migrations in `state`.
    pub fn in_state(&self, state: MigrationState) -> impl Iterator<Item = &MigrationStatus> {
        self.migrations.iter().filter(move |m| m.state == state)
    }

    /// Migrations `prisma migrate deploy` would run (pending or rolled back), in order.
    pub fn unapplied(&self) -> impl Iterator<Item = &MigrationStatus> {
        self.migrations.iter().filter(|m| m.state.is_unapplied())
    }

    /// Whether any migration is failed, edited or missing locally, a folder has no
    /// migration.sql, or the histories diverge.
    pub fn has_problems(&self) -> bool {
        self.divergence.is_some()
            || !self.without_script.is_empty()
            || self.migrations.iter().any(|m| m.state.is_problem())
    }

    /// How many migrations are in `state`.
    pub fn count(&self, state: MigrationState) -> usize {
        self.in_state(state).count()
    }
}

/// Compares local migrations (in folder order) with the table's rows (`None`: no table).
pub fn compare(local: &[LocalMigration], rows: Option<&[MigrationRow]>) -> StatusReport {
    let all_rows = rows.unwrap_or_default();
    let mut migrations: Vec<MigrationStatus> = local
        .iter()
        .map(|migration| local_status(migration, all_rows))
        .collect();
    let mut missing: Vec<&MigrationRow> = Vec::new();
    for row in all_rows {
        let known = local.iter().any(|m| m.name == row.migration_name)
            || missing
                .iter()
                .any(|m| m.migration_name == row.migration_name);
        if !known {
            missing.push(row);
        }
    }
    migrations.extend(missing.into_iter().map(|first| {
        let rows: Vec<&MigrationRow> = all_rows
            .iter()
            .filter(|r| r.migration_name == first.migration_name)
            .collect();
        let failed = rows.iter().find(|r| is_failed(r));
        let live = rows.iter().find(|r| r.rolled_back_at.is_none());
        MigrationStatus {
            name: first.migration_name.clone(),
            state: if failed.is_some() {
                MigrationState::Failed
            } else {
                MigrationState::MissingLocally
            },
            applied_at: live.and_then(|r| r.finished_at),
            local_checksum: None,
            recorded_checksum: Some(first.checksum.clone()),
            attempts: rows.len(),
        }
    }));
    let divergence = diverges(&migrations).then(|| Divergence {
        last_common: last_common(&migrations),
    });
    StatusReport {
        migrations_table: rows.is_some(),
        migrations,
        divergence,
        without_script: Vec::new(),
    }
}

/// [`compare`] of a whole [`Listing`]: a folder without migration.sql is listed as Prisma's
/// `migrate status` lists it, by its rows (pending without any; never edited, there is no file to
/// compare) in folder order, and named in [`StatusReport::without_script`].
pub fn compare_listing(listing: &Listing, rows: Option<&[MigrationRow]>) -> StatusReport {
    let all_rows = rows.unwrap_or_default();
    let scriptless = |name: &str| listing.without_script.iter().any(|n| n == name);
    // Rows of a scriptless folder are its own, not a migration missing locally.
    let others: Vec<MigrationRow> = all_rows
        .iter()
        .filter(|r| !scriptless(&r.migration_name))
        .cloned()
        .collect();
    let mut report = compare(&listing.migrations, rows.map(|_| others.as_slice()));
    for name in &listing.without_script {
        let own: Vec<&MigrationRow> = all_rows
            .iter()
            .filter(|r| &r.migration_name == name)
            .collect();
        let live = own.iter().find(|r| r.rolled_back_at.is_none());
        let state = if own.iter().any(|r| is_failed(r)) {
            MigrationState::Failed
        } else if live.is_some() {
            MigrationState::Applied
        } else if own.is_empty() {
            MigrationState::Pending
        } else {
            MigrationState::RolledBack
        };
        let at = report
            .migrations
            .iter()
            .position(|m| m.state == MigrationState::MissingLocally || m.name > *name)
            .unwrap_or(report.migrations.len());
        report.migrations.insert(
            at,
            MigrationStatus {
                name: name.clone(),
                state,
                applied_at: live.and_then(|r| r.finished_at),
                local_checksum: None,
                recorded_checksum: own.first().map(|r| r.checksum.clone()),
                attempts: own.len(),
            },
        );
    }
    report.without_script = listing.without_script.clone();
    report
}

fn local_status(migration: &LocalMigration, all_rows: &[MigrationRow]) -> MigrationStatus {
    let rows: Vec<&MigrationRow> = all_rows
        .iter()
        .filter(|r| r.migration_name == migration.name)
        .collect();
    // Rows are ordered by started_at: the first row is the one Prisma's diagnosis compares the
    // file with, rolled back or not (prisma/prisma#9829).
    let live = rows.iter().find(|r| r.rolled_back_at.is_none());
    let failed = rows.iter().find(|r| is_failed(r));
    let first = rows.first();
    let (state, row) = match (failed, live, first) {
        (Some(row), _, _) => (MigrationState::Failed, Some(*row)),
        (None, Some(_), Some(first)) if !migration.matches(&first.checksum) => {
            (MigrationState::Edited, Some(*first))
        }
        (None, Some(row), _) => (MigrationState::Applied, Some(*row)),
        (None, None, _) if rows.is_empty() => (MigrationState::Pending, None),
        (None, None, _) => (MigrationState::RolledBack, rows.last().copied()),
    };
    MigrationStatus {
        name: migration.name.clone(),
        state,
        applied_at: row
            .filter(|_| !state.is_unapplied())
            .and_then(|r| r.finished_at),
        local_checksum: Some(migration.checksum.clone()),
        recorded_checksum: row.map(|r| r.checksum.clone()),
        attempts: rows.len(),
    }
}

/// Started and neither finished nor rolled back.
fn is_failed(row: &MigrationRow) -> bool {
    row.finished_at.is_none() && row.rolled_back_at.is_none()
}

fn diverges(migrations: &[MigrationStatus]) -> bool {
    let any = |f: fn(MigrationState) -> bool| migrations.iter().any(|m| f(m.state));
    any(MigrationState::is_unapplied) && any(|s| s == MigrationState::MissingLocally)
}

/// The last local migration, before the first unapplied one, that the database also has.
fn last_common(migrations: &[MigrationStatus]) -> Option<String> {
    migrations
        .iter()
        .take_while(|m| !m.state.is_unapplied() && m.state != MigrationState::MissingLocally)
        .last()
        .map(|m| m.name.clone())
}

#[cfg(test)]
mod tests;
