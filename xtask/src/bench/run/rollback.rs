//! The rollback contenders of a round (issue 18): `rollback <snapshot>` of a database whose
//! migrations are ahead of the snapshot (a copy of the migrated data, see `replay.rs`), against a
//! full `pg_restore` (schema and data) of the source's `pg_dump -Fc` into an empty database (the
//! issue's measure), and against `pg_restore --clean --if-exists` of the same dump into a copy of
//! the migrated data: like the rollback, it must first drop a database's worth of tables, whose
//! freed blocks the filesystem may have to discard (BENCHMARKS.md, 2026-12-04). All must leave
//! the source's data exactly.

use std::process::Command;

use super::databases::Databases;
use super::process::{pg_command, run_child, run_ours};
use super::replay::Migrated;
use super::{Round, Samples, Setup, check_and_record, names};
use crate::bench::BenchError;

/// Runs the round's rollback contenders once each (reversed on every other round), checks each
/// result against the source's digests, records it and drops the database. The rollback runs in
/// the replay project (whose folder holds the snapshot's migrations and more) on a copy of
/// `migrated.url`, with `--force` since the snapshot was taken of the source database.
///
/// Errors: [`BenchError::Mismatch`] when the data differs; [`BenchError::Command`] when a
/// program fails; [`BenchError::Connect`], [`BenchError::Database`].
pub(super) async fn round(
    setup: &Setup<'_>,
    round: Round,
    migrated: &Migrated,
    snapshot_id: &str,
    databases: &mut Databases<'_>,
    samples: &mut [(&str, Samples)],
) -> Result<(), BenchError> {
    for step in round.order(3) {
        let suffix = format!("rollback_{}_{step}", round.index);
        let (name, target) = match step {
            0 => (
                names::ROLLBACK,
                databases.create_from(&suffix, &migrated.url).await?,
            ),
            1 => (names::PG_RESTORE_FULL, databases.create(&suffix).await?),
            _ => (
                names::PG_RESTORE_CLEAN,
                databases.create_from(&suffix, &migrated.url).await?,
            ),
        };
        setup.start(round, name).await?;
        let run = if step == 0 {
            let mut command = Command::new(&setup.options.exe);
            command.args([
                "--backups-dir",
                setup.backups.as_str(),
                "rollback",
                snapshot_id,
                "--yes",
                "--no-safety-snapshot",
                "--force",
                "--json",
            ]);
            run_ours(command, &migrated.project, &target, "rollback")?
        } else {
            let mut command = pg_command(setup.options, "pg_restore", &target);
            if step == 2 {
                command.args(["--clean", "--if-exists"]);
            }
            command.arg(migrated.full_dump.as_str());
            run_child(command, name)?
        };
        let ran = (name, &run);
        check_and_record(
            setup.progress,
            round,
            ran,
            &target,
            &setup.expected,
            samples,
            databases,
        )
        .await?;
    }
    Ok(())
}
