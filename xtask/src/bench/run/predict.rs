//! The prediction contender of a round (issue 16): `predict <snapshot>` in a copy of the project
//! whose migrations folder holds one migration more, [`PENDING`] — the kind Prisma writes for a
//! rename (DROP + ADD) beside a backfill. The prediction rebuilds the round's snapshot in a
//! scratch database, runs the migration there and compares the tables it touches; it is timed
//! against `pg_restore --data-only` of the same data (the goal: ≤ 1.0 ×).

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

use super::process::run_ours;
use super::{Round, Samples, Setup, names, record, write_project};
use crate::bench::{BenchError, generate};

/// The pending migration's folder name and SQL: `User.name` renamed by DROP + ADD, and
/// `Post.summary` added and backfilled from every post's content.
const PENDING: (&str, &str) = (
    "20240401000000_rename_and_backfill",
    "-- AlterTable\nALTER TABLE \"User\" DROP COLUMN \"name\",\nADD COLUMN \"displayName\" TEXT;\n\n\
     -- AlterTable\nALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;\n\n\
     UPDATE \"Post\" SET \"summary\" = left(\"content\", 80);\n",
);

/// Writes the prediction's project under `dir`: the source's migrations plus [`PENDING`].
/// Returns its root.
pub(super) fn write_predict_project(dir: &Utf8Path) -> Result<Utf8PathBuf, BenchError> {
    let project = dir.join("predict-app");
    let migrations_dir = project.join("prisma/migrations");
    generate::write_migrations(&migrations_dir)?;
    let (name, sql) = PENDING;
    let folder = migrations_dir.join(name);
    std::fs::create_dir_all(&folder).map_err(BenchError::io("creating", &folder))?;
    let path = folder.join("migration.sql");
    std::fs::write(&path, sql).map_err(BenchError::io("writing", &path))?;
    write_project(&project)?;
    Ok(project)
}

/// Runs `predict <snapshot_id> --json` once against the source (reading the snapshot from the
/// round's store) and records its wall time and peak RSS. Checks that the prediction saw the
/// rename's lost values, so a prediction that did nothing cannot pass for a fast one.
///
/// Errors: [`BenchError::Command`] when it fails or predicts no loss.
pub(super) async fn round(
    setup: &Setup<'_>,
    round: Round,
    project: &Utf8Path,
    snapshot_id: &str,
    samples: &mut [(&str, Samples)],
) -> Result<(), BenchError> {
    setup.start(round, names::PREDICT).await?;
    let mut command = Command::new(&setup.options.exe);
    command.args([
        "--backups-dir",
        setup.backups.as_str(),
        "predict",
        snapshot_id,
        "--json",
    ]);
    let run = run_ours(command, project, &setup.source, "predict")?;
    if name_values_lost(&run.stdout).unwrap_or(0) == 0 {
        return Err(super::process::command_error(
            "xtask predict",
            "no lost values predicted for the dropped User.name",
            &run.stdout,
        ));
    }
    record(samples, names::PREDICT, &run);
    Ok(())
}

/// `values_lost` of `User.name` in `predict --json`'s output.
fn name_values_lost(json: &str) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let user = value["prediction"]["tables"]
        .as_array()?
        .iter()
        .find(|t| t["table"] == "User")?;
    let name = user["columns"]
        .as_array()?
        .iter()
        .find(|c| c["column"] == "name")?;
    name["values_lost"].as_u64()
}
