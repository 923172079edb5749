//! Whether the target's migration history extends the snapshot's, with local files that match
//! the recorded checksums; if so, the [`ReplayPlan`]. Pure.

use crate::migrations::{self, LocalMigration, MigrationRow};
use crate::snapshot::MigrationInfo;

/// The migrations a replay applies: what the snapshot had, then what the target gained since.
#[derive(Debug, Clone)]
pub struct ReplayPlan {
    /// The snapshot's applied migrations, in order, each matching its recorded checksum.
    pub at_snapshot: Vec<LocalMigration>,
    /// Applied in the target since the snapshot, in the target's order of application.
    pub since: Vec<LocalMigration>,
}

/// Which migrations the snapshot was taken at: the sidecar's applied migrations as local files,
/// each checked against the checksum `_prisma_migrations` held then.
///
/// Errors (the reason, in words) when there is no sidecar, when the snapshot's history had a
/// failed, edited or locally missing migration, or when a file is gone or changed since.
pub fn at_snapshot(
    sidecar: Option<&MigrationInfo>,
    local: &[LocalMigration],
) -> Result<Vec<LocalMigration>, String> {
    let Some(sidecar) = sidecar else {
        return Err("the snapshot has no migration-info.json sidecar".into());
    };
    if !sidecar.migrations_table {
        return Err("the snapshot's database had no _prisma_migrations table".into());
    }
    let troubled = [
        (&sidecar.failed, "was failed"),
        (&sidecar.edited, "had been edited after it was applied"),
        (&sidecar.missing_locally, "had no local folder"),
    ];
    for (records, what) in troubled {
        if let Some(record) = records.first() {
            return Err(format!(
                "migration {} {what} when the snapshot was taken",
                record.name
            ));
        }
    }
    sidecar
        .applied
        .iter()
        .map(|record| {
            let file = local.iter().find(|m| m.name == record.name).ok_or_else(|| {
                format!("migration {} is no longer in the migrations folder", record.name)
            })?;
            let recorded = record.checksum.as_deref().unwrap_or_default();
            if !file.matches(recorded) {
                return Err(format!(
                    "the local file of migration {} changed since the snapshot (its checksum differs from the one recorded then)",
                    record.name
                ));
            }
            Ok(file.clone())
        })
        .collect()
}

/// Decides whether the target's history can be replayed on the snapshot. Pure.
///
/// `target` is the target's `_prisma_migrations` (`None`: no table). Replay is possible when
/// [`at_snapshot`] is, the target has no failed migration, every migration applied at the
/// snapshot is still applied in the target (its history extends the snapshot's), and every
/// migration applied since has a local file matching the target's recorded checksum.
/// Errors: the reason it is not possible, in words.
pub fn check(
    sidecar: Option<&MigrationInfo>,
    local: &[LocalMigration],
    target: Option<&[MigrationRow]>,
) -> Result<ReplayPlan, String> {
    let at_snapshot = at_snapshot(sidecar, local)?;
    let Some(rows) = target else {
        return Err("the target has no _prisma_migrations table".into());
    };
    let applied = migrations::table::applied(rows);
    if let Some(failed) = rows.iter().find(|r| {
        r.finished_at.is_none()
            && r.rolled_back_at.is_none()
            && !applied.iter().any(|a| a.migration_name == r.migration_name)
    }) {
        return Err(format!(
            "migration {} is failed in the target",
            failed.migration_name
        ));
    }
    for migration in &at_snapshot {
        if !applied.iter().any(|r| r.migration_name == migration.name) {
            return Err(format!(
                "the target's history does not extend the snapshot's: {} was applied at the snapshot and is not applied in the target",
                migration.name
            ));
        }
    }
    let mut since = Vec::new();
    for row in applied {
        if at_snapshot.iter().any(|m| m.name == row.migration_name) {
            continue;
        }
        let file = local
            .iter()
            .find(|m| m.name == row.migration_name)
            .ok_or_else(|| {
                format!(
                    "migration {} is applied in the target but not in the migrations folder",
                    row.migration_name
                )
            })?;
        if !file.matches(&row.checksum) {
            return Err(format!(
                "the local file of migration {} differs from the one the target applied (checksum)",
                row.migration_name
            ));
        }
        since.push(file.clone());
    }
    Ok(ReplayPlan { at_snapshot, since })
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;
    use chrono::Utc;

    use super::*;
    use crate::migrations::checksum;
    use crate::snapshot::sidecar::MigrationRecord;

    fn migration(name: &str, sql: &str) -> LocalMigration {
        LocalMigration {
            name: name.into(),
            script_path: Utf8PathBuf::from(format!("{name}/migration.sql")),
            script: sql.as_bytes().to_vec(),
            checksum: checksum::compute(sql.as_bytes()),
        }
    }

    fn record(m: &LocalMigration) -> MigrationRecord {
        MigrationRecord {
            name: m.name.clone(),
            checksum: Some(m.checksum.clone()),
            local_checksum: Some(m.checksum.clone()),
            finished_at: Some(Utc::now()),
        }
    }

    fn sidecar(applied: &[&LocalMigration]) -> MigrationInfo {
        MigrationInfo {
            snapshot_id: "s".into(),
            reason: "manual".into(),
            taken_at: Utc::now(),
            command: String::new(),
            migrations_table: true,
            applied: applied.iter().map(|m| record(m)).collect(),
            pending: Vec::new(),
            failed: Vec::new(),
            edited: Vec::new(),
            rolled_back: Vec::new(),
            missing_locally: Vec::new(),
            git: None,
        }
    }

    fn row(m: &LocalMigration, finished: bool) -> MigrationRow {
        MigrationRow {
            id: uuid::Uuid::new_v4().to_string(),
            checksum: m.checksum.clone(),
            finished_at: finished.then(Utc::now),
            migration_name: m.name.clone(),
            logs: None,
            rolled_back_at: None,
            started_at: Utc::now(),
            applied_steps_count: i32::from(finished),
        }
    }

    fn folder() -> Vec<LocalMigration> {
        vec![
            migration("1_init", "CREATE TABLE a (id int);"),
            migration("2_rename", "ALTER TABLE a RENAME id TO key;"),
            migration("3_backfill", "UPDATE a SET key = key + 1;"),
        ]
    }

    #[test]
    fn replays_what_the_target_gained_since_in_its_order() {
        let local = folder();
        let sidecar = sidecar(&[&local[0]]);
        let rows = [
            row(&local[0], true),
            row(&local[2], true),
            row(&local[1], true),
        ];
        let plan = check(Some(&sidecar), &local, Some(&rows)).unwrap();
        let names = |ms: &[LocalMigration]| ms.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&plan.at_snapshot), ["1_init"]);
        assert_eq!(names(&plan.since), ["3_backfill", "2_rename"]);
    }

    #[test]
    fn a_file_changed_since_the_snapshot_is_named() {
        let mut local = folder();
        let sidecar = sidecar(&[&local[0], &local[1]]);
        let rows = [row(&local[0], true), row(&local[1], true)];
        local[1] = migration("2_rename", "ALTER TABLE a RENAME id TO other;");
        let reason = check(Some(&sidecar), &local, Some(&rows)).unwrap_err();
        assert!(
            reason.contains("2_rename") && reason.contains("changed since the snapshot"),
            "{reason}"
        );
        // Line endings alone do not count, as in Prisma's checksum.
        let mut crlf = folder();
        crlf[1] = migration("2_rename", "ALTER TABLE a RENAME id TO key;\r\n");
        let lf = migration("2_rename", "ALTER TABLE a RENAME id TO key;\n");
        let sidecar = self::sidecar(&[&crlf[0], &lf]);
        let rows = [row(&crlf[0], true), row(&lf, true)];
        check(Some(&sidecar), &crlf, Some(&rows)).unwrap();
    }

    #[test]
    fn the_target_must_extend_the_snapshot_history() {
        let local = folder();
        let sidecar = sidecar(&[&local[0], &local[1]]);
        let reason = check(Some(&sidecar), &local, Some(&[row(&local[0], true)])).unwrap_err();
        assert!(
            reason.contains("does not extend") && reason.contains("2_rename"),
            "{reason}"
        );
        let reason = check(Some(&sidecar), &local, None).unwrap_err();
        assert!(reason.contains("no _prisma_migrations"), "{reason}");
        let rows = [
            row(&local[0], true),
            row(&local[1], true),
            row(&local[2], false),
        ];
        let reason = check(Some(&sidecar), &local, Some(&rows)).unwrap_err();
        assert!(reason.contains("3_backfill is failed"), "{reason}");
    }

    #[test]
    fn without_a_sidecar_or_a_local_file_there_is_no_replay() {
        let local = folder();
        let reason = check(None, &local, Some(&[])).unwrap_err();
        assert!(reason.contains("sidecar"), "{reason}");
        let sidecar = sidecar(&[&local[0]]);
        let extra = migration("4_gone", "SELECT 1;");
        let rows = [row(&local[0], true), row(&extra, true)];
        let reason = check(Some(&sidecar), &local, Some(&rows)).unwrap_err();
        assert!(reason.contains("4_gone") && reason.contains("not in the migrations folder"));
        let reason = check(Some(&sidecar), &local[1..], Some(&rows)).unwrap_err();
        assert!(reason.contains("1_init is no longer"), "{reason}");
    }
}
