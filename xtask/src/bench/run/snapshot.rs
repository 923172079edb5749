//! The snapshot contenders of a round: our snapshot, `pg_dump -Fc`, `pg_dump -Fd -j N` and the
//! COPY read floor, all reading the source database.

use std::process::Command;
use std::time::Instant;

use camino::Utf8Path;
use futures_util::StreamExt;
use prisma_guard::catalog;
use prisma_guard::database::DatabaseUrl;
use prisma_guard::sql::quote_ident;

use super::process::{ChildRun, command_error, pg_command, run_child, run_ours};
use super::{Round, Samples, Setup, names, record};
use crate::bench::BenchError;

/// Runs the round's snapshot contenders once each (in reverse order on every other round) and
/// records them; returns the id of our snapshot, for the round's restore.
///
/// Errors: [`BenchError::Command`] when a program fails, [`BenchError::Io`] measuring what it
/// wrote, and those of [`copy_floor`].
pub(super) async fn round(
    setup: &Setup<'_>,
    round: Round,
    samples: &mut [(&str, Samples)],
) -> Result<String, BenchError> {
    let Setup {
        options,
        project,
        source,
        backups,
        dump_fc,
        dump_fd,
        ..
    } = setup;
    // Snapshots: ours, pg_dump -Fc, pg_dump -Fd, the floor; reversed every other round.
    let order = round.order(4);
    let mut snapshot_id = None;
    for step in order {
        match step {
            0 => {
                setup.start(round, names::SNAPSHOT).await?;
                let _ = std::fs::remove_dir_all(backups);
                let mut command = Command::new(&options.exe);
                command
                    .args(["snapshot", "--reason", "bench", "--json", "--jobs"])
                    .arg(options.jobs.to_string());
                let mut run = run_ours(command, project, source, "snapshot")?;
                let summary: serde_json::Value =
                    serde_json::from_str(&run.stdout).map_err(|e| {
                        command_error("xtask snapshot --json", &e.to_string(), &run.stdout)
                    })?;
                let id = summary["id"].as_str().unwrap_or_default().to_string();
                run.bytes = Some(dir_bytes(&backups.join(&id))?);
                record(samples, names::SNAPSHOT, &run);
                snapshot_id = Some(id);
            }
            1 => {
                setup.start(round, names::PG_DUMP_FC).await?;
                let _ = std::fs::remove_file(dump_fc);
                let mut command = pg_command(options, "pg_dump", source);
                command.args(["-Fc", "--data-only", "-f", dump_fc.as_str()]);
                let mut run = run_child(command, "pg_dump -Fc")?;
                run.bytes = Some(dir_bytes(dump_fc)?);
                record(samples, names::PG_DUMP_FC, &run);
            }
            2 => {
                setup.start(round, names::PG_DUMP_FD).await?;
                let _ = std::fs::remove_dir_all(dump_fd);
                let mut command = pg_command(options, "pg_dump", source);
                command
                    .args(["-Fd", "-j"])
                    .arg(options.jobs.to_string())
                    .args(["--data-only", "-f", dump_fd.as_str()]);
                let mut run = run_child(command, "pg_dump -Fd")?;
                run.bytes = Some(dir_bytes(dump_fd)?);
                record(samples, names::PG_DUMP_FD, &run);
            }
            _ => {
                setup.start(round, names::COPY_FLOOR).await?;
                let run = copy_floor(source).await?;
                record(samples, names::COPY_FLOOR, &run);
            }
        }
    }
    Ok(snapshot_id.expect("the snapshot ran this round"))
}

/// Total bytes of a file, or of every file under a folder.
fn dir_bytes(path: &Utf8Path) -> Result<u64, BenchError> {
    let meta = std::fs::metadata(path).map_err(BenchError::io("measuring", path))?;
    if meta.is_file() {
        return Ok(meta.len());
    }
    let mut total = 0;
    for entry in path
        .read_dir_utf8()
        .map_err(BenchError::io("reading", path))?
    {
        let entry = entry.map_err(BenchError::io("reading", path))?;
        total += dir_bytes(entry.path())?;
    }
    Ok(total)
}

/// Every table `COPY (SELECT cols) TO STDOUT (FORMAT csv, HEADER)` as our snapshot runs it, read
/// and thrown away, on one connection in one `REPEATABLE READ` transaction.
async fn copy_floor(url: &DatabaseUrl) -> Result<ChildRun, BenchError> {
    let mut conn = url.connect().await?;
    let started = Instant::now();
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut conn)
        .await
        .map_err(BenchError::database(
            "starting the COPY floor's transaction",
        ))?;
    let tables = catalog::tables(&mut conn, url.schema())
        .await
        .map_err(BenchError::database("reading the catalog"))?;
    let mut bytes = 0u64;
    for table in &tables {
        let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
        let sql = format!(
            "COPY (SELECT {} FROM {}) TO STDOUT (FORMAT csv, HEADER)",
            columns.join(", "),
            table.qualified()
        );
        let action = format!("reading table {}", table.name);
        let mut copy = conn
            .copy_out_raw(&sql)
            .await
            .map_err(BenchError::database(&action))?;
        while let Some(chunk) = copy.next().await {
            let chunk = chunk.map_err(BenchError::database(&action))?;
            bytes += chunk.len() as u64;
        }
    }
    sqlx::raw_sql("COMMIT")
        .execute(&mut conn)
        .await
        .map_err(BenchError::database("ending the COPY floor's transaction"))?;
    Ok(ChildRun {
        wall: started.elapsed(),
        peak_rss_kib: None,
        bytes: Some(bytes),
        stdout: String::new(),
    })
}
