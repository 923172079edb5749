//! The benchmark run: one generated source database, then `runs` rounds in which every
//! contender runs once, interleaved (A B C … A B C …, the order reversed on every other round so
//! that neither side always runs on a warm cache), then `status` and the pre-push hook over a
//! folder of 600 migrations. Each round also times `predict` of one pending migration from its
//! snapshot, a restore with `--strategy replay` through later migrations and a `rollback` from
//! ahead of the snapshot, each beside the `pg_restore` it is measured against.
//!
//! Our own commands run as child processes of `exe` (this tool's binary, built with
//! optimizations), exactly as a user runs them; `pg_dump`/`pg_restore` come from the server's
//! bin folder. Peak RSS is `VmHWM` of `/proc/<pid>/status`, sampled every millisecond while the
//! child runs. Each restore goes into a new database migrated with the same migrations, and is
//! checked afterwards against the source: per table, row count and an md5 over every row's text
//! in key order. Every database the run creates is dropped at the end, on success or failure.
//!
//! The run's nouns, one file each: the rounds here; the [`report`](BenchReport) they produce;
//! the snapshot contenders (`snapshot.rs`), the restore contenders with the data check
//! (`restore.rs`), the prediction (`predict.rs`), the replay restore (`replay.rs`), the rollback
//! (`rollback.rs`), `status` and the hook (`status.rs`); the settling before each timed
//! contender (`settle.rs`), the child processes they run (`process.rs`), their peak RSS
//! (`rss.rs`) and the databases they create (`databases.rs`).

mod databases;
mod predict;
mod process;
mod replay;
mod report;
mod restore;
mod rollback;
mod rss;
mod settle;
mod snapshot;
mod status;

pub use report::{BenchReport, Figure, Ratio, Stats, names, ratios, targets};
pub use status::STATUS_MIGRATIONS;

use std::time::Instant;

use camino::{Utf8Path, Utf8PathBuf};

use super::BenchError;
use super::generate::{self, TableDigest};
use databases::Databases;
use prisma_guard::catalog;
use prisma_guard::database::DatabaseUrl;
use process::ChildRun;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Scale factor of the generated database (1.0 ≈ 1M rows, ≈ 450 MiB on disk).
    pub scale: f64,
    /// Rounds; each contender runs once per round (at least 1).
    pub runs: usize,
    /// A URL on the server to use, with the right to create databases; its own database is
    /// never written. The benchmark's databases are named `xtask_bench_<pid>_*`.
    pub admin_url: DatabaseUrl,
    /// This tool's binary, run as a child for our snapshot, restore, status and hook.
    pub exe: Utf8PathBuf,
    /// The folder holding `pg_dump` and `pg_restore` (of the server's version or newer).
    pub pg_bin: Utf8PathBuf,
    /// `--jobs` for our snapshot (and `-j` for `pg_dump -Fd`).
    pub jobs: usize,
}

/// Progress callbacks; the engine never prints.
pub trait BenchProgress: Send + Sync {
    /// A step begins (`generating scale 1`, `round 2/3: pg_dump -Fc`, …).
    fn step(&self, _what: &str) {}
}

/// One contender's measures, in round order.
#[derive(Default)]
struct Samples {
    wall: Vec<f64>,
    bytes: Vec<f64>,
    rss: Vec<f64>,
}

/// Adds what `run` measured to the samples of the contender `name` (one of [`names`]).
fn record(samples: &mut [(&str, Samples)], name: &str, run: &ChildRun) {
    let entry = &mut samples
        .iter_mut()
        .find(|(n, _)| *n == name)
        .expect("a name")
        .1;
    entry.wall.push(run.wall.as_secs_f64());
    if let Some(bytes) = run.bytes {
        entry.bytes.push(bytes as f64);
    }
    if let Some(kib) = run.peak_rss_kib {
        entry.rss.push(kib as f64 / 1024.0);
    }
}

/// After a restorer ran into `target`: checks that its data is `expected` (row count and md5 per
/// table), records the run under `name` and drops `target`.
///
/// Errors: [`BenchError::Mismatch`] naming the restorer and the first difference; the database
/// errors of reading the digests and dropping.
async fn check_and_record(
    progress: &dyn BenchProgress,
    round: Round,
    (name, run): (&str, &ChildRun),
    target: &DatabaseUrl,
    expected: &[TableDigest],
    samples: &mut [(&str, Samples)],
    databases: &mut Databases<'_>,
) -> Result<(), BenchError> {
    progress.step(&round.label(&format!("checking the data of {name}")));
    let actual = generate::digests(target).await?;
    if let Some(difference) = generate::first_difference(expected, &actual) {
        return Err(BenchError::Mismatch {
            restorer: name.to_string(),
            difference,
        });
    }
    record(samples, name, run);
    databases.drop_one(target).await
}

/// One round: its index (0-based) among `runs`.
#[derive(Debug, Clone, Copy)]
struct Round {
    index: usize,
    runs: usize,
}

impl Round {
    /// `round i/n: what`, for the progress.
    fn label(self, what: &str) -> String {
        format!("round {}/{}: {what}", self.index + 1, self.runs)
    }

    /// The order in which this round runs `contenders` contenders (`0..contenders`): reversed
    /// every other round, so neither side always runs on a warmer cache.
    fn order(self, contenders: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..contenders).collect();
        if self.index % 2 == 1 {
            order.reverse();
        }
        order
    }
}

/// What the contenders of every round share.
struct Setup<'a> {
    options: &'a BenchOptions,
    progress: &'a dyn BenchProgress,
    /// The project our commands run in.
    project: Utf8PathBuf,
    /// Its migrations folder, the one every restore target is migrated with.
    migrations_dir: Utf8PathBuf,
    /// The generated database.
    source: DatabaseUrl,
    /// The source's digests, which every restore must reproduce.
    expected: Vec<TableDigest>,
    /// Whether the role is a superuser (so `pg_restore --disable-triggers` runs too).
    superuser: bool,
    /// The project's `backups` folder, where our snapshot goes.
    backups: Utf8PathBuf,
    /// `pg_dump -Fc`'s file.
    dump_fc: Utf8PathBuf,
    /// `pg_dump -Fd`'s folder.
    dump_fd: Utf8PathBuf,
    /// The `pg_restore -L` list.
    list: Utf8PathBuf,
}

/// Runs the benchmark (see the module documentation) and returns its report.
///
/// Takes, at scale 1 on 2 cores, about 15 s to generate and 1–2 minutes per round. Every
/// database and temporary folder it creates is removed before it returns, on error too (not when
/// the process is killed: then drop the databases `xtask_bench_<pid>_*` by hand).
/// Errors: [`BenchError::NoTool`] before anything starts; [`BenchError::Connect`],
/// [`BenchError::Database`], [`BenchError::Deploy`], [`BenchError::Io`]; [`BenchError::Command`]
/// when a measured program fails (its stderr included); [`BenchError::Mismatch`] when a restore
/// did not reproduce the source data.
pub async fn run(
    options: &BenchOptions,
    progress: &dyn BenchProgress,
) -> Result<BenchReport, BenchError> {
    for tool in ["pg_dump", "pg_restore"] {
        if !options.pg_bin.join(tool).is_file() {
            return Err(BenchError::NoTool {
                tool,
                dir: options.pg_bin.clone(),
            });
        }
    }
    let mut databases = Databases::new(
        &options.admin_url,
        format!("xtask_bench_{}", std::process::id()),
    );
    let result = run_inner(options, progress, &mut databases).await;
    databases.drop_all().await;
    result
}

async fn run_inner(
    options: &BenchOptions,
    progress: &dyn BenchProgress,
    databases: &mut Databases<'_>,
) -> Result<BenchReport, BenchError> {
    let temp = tempfile::Builder::new()
        .prefix("xtask-bench-")
        .tempdir()
        .map_err(BenchError::io(
            "creating",
            Utf8Path::new("a temporary folder"),
        ))?;
    let dir = Utf8Path::from_path(temp.path())
        .ok_or_else(|| BenchError::Io {
            action: "using",
            path: Utf8PathBuf::from(temp.path().to_string_lossy().into_owned()),
            source: std::io::Error::other("the temporary folder's path is not UTF-8"),
        })?
        .to_owned();
    let project = dir.join("app");
    let migrations_dir = project.join("prisma/migrations");
    generate::write_migrations(&migrations_dir)?;
    write_project(&project)?;
    let predict_project = predict::write_predict_project(&dir)?;

    progress.step(&format!(
        "generating the database at scale {}",
        options.scale
    ));
    let source = databases.create("source").await?;
    let started = Instant::now();
    let counts = generate::generate(&source, &migrations_dir, options.scale).await?;
    let generate_s = started.elapsed().as_secs_f64();
    let expected = generate::digests(&source).await?;
    let (server_version, superuser, database_bytes) = server_facts(&source).await?;
    let setup = Setup {
        options,
        progress,
        backups: project.join("backups"),
        dump_fc: dir.join("dump.fc"),
        dump_fd: dir.join("dump.fd"),
        list: dir.join("restore.list"),
        project,
        migrations_dir,
        source,
        expected,
        superuser,
    };

    let mut samples: Vec<(&str, Samples)> = [
        names::SNAPSHOT,
        names::PG_DUMP_FC,
        names::PG_DUMP_FD,
        names::COPY_FLOOR,
        names::RESTORE,
        names::PG_RESTORE,
        names::PG_RESTORE_DT,
        names::PREDICT,
        names::REPLAY,
        names::PG_RESTORE_MIGRATED,
        names::ROLLBACK,
        names::PG_RESTORE_FULL,
        names::PG_RESTORE_CLEAN,
    ]
    .into_iter()
    .map(|n| (n, Samples::default()))
    .collect();

    let migrated = replay::prepare(&setup, &dir, databases).await?;
    let runs = options.runs.max(1);
    for index in 0..runs {
        let round = Round { index, runs };
        let snapshot_id = snapshot::round(&setup, round, &mut samples).await?;
        restore::round(&setup, round, &snapshot_id, databases, &mut samples).await?;
        predict::round(&setup, round, &predict_project, &snapshot_id, &mut samples).await?;
        replay::round(
            &setup,
            round,
            &migrated,
            &snapshot_id,
            databases,
            &mut samples,
        )
        .await?;
        rollback::round(
            &setup,
            round,
            &migrated,
            &snapshot_id,
            databases,
            &mut samples,
        )
        .await?;
    }

    progress.step(&format!(
        "status and the pre-push hook over {STATUS_MIGRATIONS} migrations"
    ));
    let (status, hook) = status::status_and_hook(options, &dir, databases).await?;

    let mut figures: Vec<Figure> = samples
        .into_iter()
        .filter_map(|(name, s)| {
            Some(Figure {
                name: name.to_string(),
                wall_s: Stats::of(&s.wall)?,
                bytes: Stats::of(&s.bytes),
                peak_rss_mib: Stats::of(&s.rss),
                samples_s: s.wall,
            })
        })
        .collect();
    for (name, walls) in [(names::STATUS, status), (names::HOOK, hook)] {
        figures.push(Figure {
            name: name.to_string(),
            wall_s: Stats::of(&walls).expect("at least one run"),
            bytes: None,
            peak_rss_mib: None,
            samples_s: walls,
        });
    }
    let ratios = ratios(&figures);
    Ok(BenchReport {
        scale: options.scale,
        runs,
        rows: counts.total(),
        database_bytes,
        server_version,
        superuser,
        optimized: !cfg!(debug_assertions),
        figures,
        ratios,
        generate_s,
    })
}

/// Writes the Cargo manifest (built-in deploy) and the Prisma schema our commands find in
/// `project`.
fn write_project(project: &Utf8Path) -> Result<(), BenchError> {
    let manifest = project.join("Cargo.toml");
    std::fs::write(
        &manifest,
        "[workspace]\nmembers = []\n\n[workspace.metadata.prisma-guard]\nmigrate-command = \"builtin\"\n",
    )
    .map_err(BenchError::io("writing", &manifest))?;
    let schema = project.join("prisma/schema.prisma");
    std::fs::write(
        &schema,
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n",
    )
    .map_err(BenchError::io("writing", &schema))
}

/// The server's version, whether the role is a superuser, and the database's size in bytes.
async fn server_facts(url: &DatabaseUrl) -> Result<(String, bool, i64), BenchError> {
    let mut conn = url.connect().await?;
    let version = catalog::server_version(&mut conn)
        .await
        .map_err(BenchError::database("reading the server version"))?;
    let (superuser, bytes): (bool, i64) = sqlx::query_as(
        "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), pg_database_size(current_database())",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(BenchError::database("reading the role and the database size"))?;
    Ok((version, superuser, bytes))
}
