//! The restore contenders of a round: our restore, `pg_restore --data-only` (and with
//! `--disable-triggers` for a superuser), each into a new migrated database whose data is then
//! checked to be identical to the source's.

use std::process::Command;

use camino::Utf8Path;

use super::databases::Databases;
use super::process::{pg_command, run_child, run_ours};
use super::{BenchOptions, Round, Samples, Setup, check_and_record, names};
use crate::bench::{BenchError, generate};

/// Runs the round's restore contenders once each (in reverse order on every other round), each
/// into a new database migrated with the source's migrations, checks that its data is the
/// source's, records it and drops the database. Our restore restores `snapshot_id`; the
/// `pg_restore`s restore this round's `pg_dump -Fc`.
///
/// Errors: [`BenchError::Mismatch`] when the data differs; [`BenchError::Command`] when a
/// program fails; [`BenchError::Connect`], [`BenchError::Database`], [`BenchError::Migrations`],
/// [`BenchError::Deploy`], [`BenchError::Io`].
pub(super) async fn round(
    setup: &Setup<'_>,
    round: Round,
    snapshot_id: &str,
    databases: &mut Databases<'_>,
    samples: &mut [(&str, Samples)],
) -> Result<(), BenchError> {
    let Setup {
        options,
        progress,
        project,
        migrations_dir,
        expected,
        superuser,
        dump_fc,
        list,
        ..
    } = setup;
    // Restores into fresh migrated databases, checked against the source.
    write_restore_list(options, dump_fc, list)?;
    // The third contender, `--disable-triggers`, needs a superuser.
    let order = round.order(if *superuser { 3 } else { 2 });
    for step in order {
        let target = databases
            .create(&format!("restore_{}_{step}", round.index))
            .await?;
        generate::migrate(&target, migrations_dir).await?;
        let (name, run) = match step {
            0 => {
                setup.start(round, names::RESTORE).await?;
                let mut command = Command::new(&options.exe);
                command.args([
                    "restore",
                    snapshot_id,
                    "--yes",
                    "--no-safety-snapshot",
                    "--json",
                ]);
                (
                    names::RESTORE,
                    run_ours(command, project, &target, "restore")?,
                )
            }
            _ => {
                let name = if step == 1 {
                    names::PG_RESTORE
                } else {
                    names::PG_RESTORE_DT
                };
                setup.start(round, name).await?;
                let mut command = pg_command(options, "pg_restore", &target);
                command.args(["--data-only", "-L", list.as_str()]);
                if step == 2 {
                    command.arg("--disable-triggers");
                }
                command.arg(dump_fc.as_str());
                (name, run_child(command, name)?)
            }
        };
        let ran = (name, &run);
        check_and_record(*progress, round, ran, &target, expected, samples, databases).await?;
    }
    Ok(())
}

/// `pg_restore -l dump` without `_prisma_migrations`' data: the target has its own rows.
pub(super) fn write_restore_list(
    options: &BenchOptions,
    dump: &Utf8Path,
    list: &Utf8Path,
) -> Result<(), BenchError> {
    let mut command = Command::new(options.pg_bin.join("pg_restore"));
    command.arg("-l").arg(dump.as_str());
    let run = run_child(command, "pg_restore -l")?;
    let kept: String = run
        .stdout
        .lines()
        .filter(|l| !l.contains("_prisma_migrations"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(list, kept).map_err(BenchError::io("writing", list))
}
