//! The replay contenders of a round (issue 18): `restore <snapshot> --strategy replay` in a copy
//! of the project whose migrations folder holds [`LATER`] — a RENAME COLUMN, an ADD COLUMN with a
//! backfill UPDATE and an ADD COLUMN with a default — into a new database migrated with all of
//! them, against `pg_restore --data-only` of the same data migrated, into another one.
//!
//! The migrated data is made once per run ([`prepare`]): a full `pg_dump -Fc` of the source is
//! restored into a new database, [`LATER`] is deployed there, and that copy's digests are what
//! both contenders must reproduce; its `pg_dump -Fc --data-only` is what `pg_restore` restores.
//! The full dump serves the rollback contenders too (`rollback.rs`).

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};
use prisma_guard::database::DatabaseUrl;

use super::databases::Databases;
use super::process::{pg_command, run_child, run_ours};
use super::restore::write_restore_list;
use super::{Round, Samples, Setup, check_and_record, names, write_project};
use crate::bench::{BenchError, generate, generate::TableDigest};

/// The migrations the replay project holds beyond the source's, `(folder name, SQL)`: the first
/// renames `User.name`, the second adds and backfills `Post.summary` and adds
/// `Comment.edited` with a default. Deterministic, so a replay and the migrated copy agree.
pub(super) const LATER: &[(&str, &str)] = &[
    (
        "20240501000000_rename_user_name",
        "-- AlterTable\nALTER TABLE \"User\" RENAME COLUMN \"name\" TO \"displayName\";\n",
    ),
    (
        "20240502000000_post_summary_comment_edited",
        "-- AlterTable\nALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;\n\n\
         UPDATE \"Post\" SET \"summary\" = left(\"content\", 80);\n\n\
         -- AlterTable\nALTER TABLE \"Comment\" ADD COLUMN \"edited\" BOOLEAN NOT NULL DEFAULT false;\n",
    ),
];

/// The source's data carried through [`LATER`], made once per run by [`prepare`].
pub(super) struct Migrated {
    /// The project whose migrations folder holds the source's migrations and [`LATER`].
    pub(super) project: Utf8PathBuf,
    /// Its migrations folder.
    pub(super) migrations_dir: Utf8PathBuf,
    /// The migrated copy of the source (kept for the run: the rollback's targets are copies).
    pub(super) url: DatabaseUrl,
    /// Its digests, which every replay restore must reproduce.
    pub(super) expected: Vec<TableDigest>,
    /// Its `pg_dump -Fc --data-only`.
    pub(super) dump: Utf8PathBuf,
    /// `pg_restore -l` of that dump without `_prisma_migrations`.
    pub(super) list: Utf8PathBuf,
    /// A full `pg_dump -Fc` (schema and data) of the source.
    pub(super) full_dump: Utf8PathBuf,
}

/// Writes the replay project under `dir`, dumps the source in full, restores that into a new
/// database, deploys [`LATER`] there and dumps its data (see the module documentation).
///
/// Errors: [`BenchError::Command`] when `pg_dump`/`pg_restore` fail; [`BenchError::Io`],
/// [`BenchError::Connect`], [`BenchError::Database`], [`BenchError::Migrations`],
/// [`BenchError::Deploy`].
pub(super) async fn prepare(
    setup: &Setup<'_>,
    dir: &Utf8Path,
    databases: &mut Databases<'_>,
) -> Result<Migrated, BenchError> {
    let options = setup.options;
    setup
        .progress
        .step("migrating a copy of the source for replay and rollback");
    let project = dir.join("replay-app");
    let migrations_dir = project.join("prisma/migrations");
    generate::write_migrations(&migrations_dir)?;
    for (name, sql) in LATER {
        let folder = migrations_dir.join(name);
        std::fs::create_dir_all(&folder).map_err(BenchError::io("creating", &folder))?;
        let path = folder.join("migration.sql");
        std::fs::write(&path, sql).map_err(BenchError::io("writing", &path))?;
    }
    write_project(&project)?;

    let full_dump = dir.join("full.fc");
    let mut command = pg_command(options, "pg_dump", &setup.source);
    command.args(["-Fc", "-f", full_dump.as_str()]);
    run_child(command, "pg_dump -Fc")?;
    let url = databases.create("migrated").await?;
    let mut command = pg_command(options, "pg_restore", &url);
    command.arg(full_dump.as_str());
    run_child(command, "pg_restore")?;
    generate::migrate(&url, &migrations_dir).await?;
    let expected = generate::digests(&url).await?;

    let dump = dir.join("migrated.fc");
    let mut command = pg_command(options, "pg_dump", &url);
    command.args(["-Fc", "--data-only", "-f", dump.as_str()]);
    run_child(command, "pg_dump -Fc --data-only")?;
    let list = dir.join("migrated.list");
    write_restore_list(options, &dump, &list)?;
    Ok(Migrated {
        project,
        migrations_dir,
        url,
        expected,
        dump,
        list,
        full_dump,
    })
}

/// Runs the round's replay contenders once each (reversed on every other round), each into a
/// new database migrated with the replay project's migrations, checks its data against the
/// migrated copy's, records it and drops the database. Our restore restores `snapshot_id`
/// (taken of the source, so every table is replayed through [`LATER`]).
///
/// Errors: [`BenchError::Mismatch`] when the data differs; [`BenchError::Command`] when a
/// program fails; [`BenchError::Connect`], [`BenchError::Database`], [`BenchError::Migrations`],
/// [`BenchError::Deploy`].
pub(super) async fn round(
    setup: &Setup<'_>,
    round: Round,
    migrated: &Migrated,
    snapshot_id: &str,
    databases: &mut Databases<'_>,
    samples: &mut [(&str, Samples)],
) -> Result<(), BenchError> {
    for step in round.order(2) {
        let target = databases
            .create(&format!("replay_{}_{step}", round.index))
            .await?;
        generate::migrate(&target, &migrated.migrations_dir).await?;
        let name = if step == 0 {
            names::REPLAY
        } else {
            names::PG_RESTORE_MIGRATED
        };
        setup.start(round, name).await?;
        let run = if step == 0 {
            let mut command = Command::new(&setup.options.exe);
            command.args([
                "--backups-dir",
                setup.backups.as_str(),
                "restore",
                snapshot_id,
                "--strategy",
                "replay",
                "--yes",
                "--no-safety-snapshot",
                "--json",
            ]);
            let run = run_ours(
                command,
                &migrated.project,
                &target,
                "restore --strategy replay",
            )?;
            if !replayed(&run.stdout) {
                return Err(super::process::command_error(
                    "xtask restore --strategy replay",
                    "the restore did not use the replay strategy",
                    &run.stdout,
                ));
            }
            run
        } else {
            let mut command = pg_command(setup.options, "pg_restore", &target);
            command.args(["--data-only", "-L", migrated.list.as_str()]);
            command.arg(migrated.dump.as_str());
            run_child(command, name)?
        };
        let ran = (name, &run);
        check_and_record(
            setup.progress,
            round,
            ran,
            &target,
            &migrated.expected,
            samples,
            databases,
        )
        .await?;
    }
    Ok(())
}

/// Whether `restore --json`'s output says the replay strategy was used.
fn replayed(json: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
        return false;
    };
    value.pointer("/strategy/used").and_then(|v| v.as_str()) == Some("replay")
}
