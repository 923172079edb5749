//! `status` and the pre-push hook, timed over a committed folder of [`STATUS_MIGRATIONS`]
//! applied migrations.

use std::process::Command;

use camino::Utf8Path;

use super::databases::Databases;
use super::process::{run_child, run_ours, run_ours_with_input};
use super::{BenchOptions, write_project};
use crate::bench::{BenchError, generate};

/// Migrations in the folder `status` is timed over.
pub const STATUS_MIGRATIONS: usize = 600;

/// The text of generated migration `i` (0-based) of the status folder: every 4th creates a
/// table, the others add a column or an index to it.
fn status_migration(i: usize) -> String {
    let table = format!("Bench{:03}", i / 4);
    match i % 4 {
        0 => format!(
            "-- CreateTable\nCREATE TABLE \"{table}\" (\n    \"id\" SERIAL NOT NULL,\n    \"label\" TEXT NOT NULL,\n    \"createdAt\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n\n    CONSTRAINT \"{table}_pkey\" PRIMARY KEY (\"id\")\n);\n"
        ),
        1 => format!("-- AlterTable\nALTER TABLE \"{table}\" ADD COLUMN \"note\" TEXT;\n"),
        2 => format!(
            "-- CreateIndex\nCREATE INDEX \"{table}_label_idx\" ON \"{table}\"(\"label\");\n"
        ),
        _ => format!(
            "-- AlterTable\nALTER TABLE \"{table}\" ADD COLUMN \"score\" DECIMAL(10,2) NOT NULL DEFAULT 0;\n"
        ),
    }
}

/// Times `status` and `pre-migrate --hook pre-push` over a committed folder of
/// [`STATUS_MIGRATIONS`] applied migrations; `max(runs, 5)` times each. The hook reads the line
/// git gives it for `git push origin main` when the remote already has the commit: the full
/// path (git diff of the migrations folder, then status against the database), nothing pending.
/// Returns their wall times, seconds.
pub(super) async fn status_and_hook(
    options: &BenchOptions,
    dir: &Utf8Path,
    databases: &mut Databases<'_>,
) -> Result<(Vec<f64>, Vec<f64>), BenchError> {
    let project = dir.join("status-app");
    let migrations_dir = project.join("prisma/migrations");
    let base = chrono::NaiveDate::from_ymd_opt(2022, 1, 1)
        .expect("a valid date")
        .and_hms_opt(0, 0, 0)
        .expect("a valid time");
    for i in 0..STATUS_MIGRATIONS {
        let time = base + chrono::Duration::hours(i as i64);
        let folder = migrations_dir.join(format!("{}_step_{i:03}", time.format("%Y%m%d%H%M%S")));
        std::fs::create_dir_all(&folder).map_err(BenchError::io("creating", &folder))?;
        let path = folder.join("migration.sql");
        std::fs::write(&path, status_migration(i)).map_err(BenchError::io("writing", &path))?;
    }
    let lock = migrations_dir.join("migration_lock.toml");
    std::fs::write(&lock, generate::MIGRATION_LOCK).map_err(BenchError::io("writing", &lock))?;
    write_project(&project)?;
    let url = databases.create("status").await?;
    generate::migrate(&url, &migrations_dir).await?;
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
            "commit",
            "-q",
            "-m",
            "migrations",
        ],
    ] {
        let mut command = Command::new("git");
        command.args(args).current_dir(&project);
        run_child(command, &format!("git {}", args.join(" ")))?;
    }
    let head = run_child(
        {
            let mut command = Command::new("git");
            command.args(["rev-parse", "HEAD"]).current_dir(&project);
            command
        },
        "git rev-parse HEAD",
    )?
    .stdout;
    let push_line = project.join("pre-push-input");
    let head = head.trim();
    std::fs::write(
        &push_line,
        format!("refs/heads/main {head} refs/heads/main {head}\n"),
    )
    .map_err(BenchError::io("writing", &push_line))?;
    let (mut status, mut hook) = (Vec::new(), Vec::new());
    for _ in 0..options.runs.max(5) {
        let mut command = Command::new(&options.exe);
        command.arg("status");
        status.push(
            run_ours(command, &project, &url, "status")?
                .wall
                .as_secs_f64(),
        );
        let mut command = Command::new(&options.exe);
        command.args([
            "pre-migrate",
            "--hook",
            "pre-push",
            "origin",
            "file:///dev/null",
        ]);
        let input =
            std::fs::File::open(&push_line).map_err(BenchError::io("reading", &push_line))?;
        hook.push(
            run_ours_with_input(
                command,
                &project,
                &url,
                "pre-migrate --hook pre-push",
                input.into(),
            )?
            .wall
            .as_secs_f64(),
        );
    }
    databases.drop_one(&url).await?;
    Ok((status, hook))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_migrations_name_their_table() {
        assert!(status_migration(0).contains("CREATE TABLE \"Bench000\""));
        assert!(status_migration(5).contains("\"Bench001\""));
    }
}
