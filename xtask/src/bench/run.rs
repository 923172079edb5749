//! The benchmark run: one generated source database, then `runs` rounds in which every
//! contender runs once, interleaved (A B C … A B C …, the order reversed on every other round so
//! that neither side always runs on a warm cache), then `status` and the pre-push hook over a
//! folder of 600 migrations.
//!
//! Our own commands run as child processes of `exe` (this tool's binary, built with
//! optimizations), exactly as a user runs them; `pg_dump`/`pg_restore` come from the server's
//! bin folder. Peak RSS is `VmHWM` of `/proc/<pid>/status`, sampled every millisecond while the
//! child runs. Each restore goes into a new database migrated with the same migrations, and is
//! checked afterwards against the source: per table, row count and an md5 over every row's text
//! in key order. Every database the run creates is dropped at the end, on success or failure.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use futures_util::StreamExt;
use serde::Serialize;

use super::BenchError;
use super::generate;
use prisma_guard::catalog;
use prisma_guard::database::DatabaseUrl;
use prisma_guard::sql::quote_ident;

/// The targets.
pub mod targets {
    /// Snapshot wall ≤ this × `pg_dump -Fc --data-only` wall.
    pub const SNAPSHOT_WALL: f64 = 0.35;
    /// Snapshot size ≤ this × `pg_dump -Fc --data-only` size.
    pub const SNAPSHOT_SIZE: f64 = 1.1;
    /// Snapshot wall ≤ this × the raw COPY read (the "within ~2× of the floor").
    pub const SNAPSHOT_FLOOR: f64 = 2.0;
    /// Restore wall ≤ this × `pg_restore --data-only` wall.
    pub const RESTORE_WALL: f64 = 0.5;
    /// Peak RSS of our snapshot and restore processes, MiB.
    pub const RSS_MIB: f64 = 64.0;
    /// `status` over 600 migrations, milliseconds.
    pub const STATUS_MS: f64 = 50.0;
    /// `pre-migrate --hook pre-push` with nothing pending, milliseconds.
    pub const HOOK_MS: f64 = 500.0;
}

/// Migrations in the folder `status` is timed over.
pub const STATUS_MIGRATIONS: usize = 600;

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

/// Median, minimum and maximum of one measure over the rounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    /// The median (mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Stats {
    /// Stats of `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Stats> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Stats {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

/// One contender's figures over the rounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// What ran, e.g. `pg_dump -Fc --data-only`.
    pub name: String,
    /// Wall time, seconds.
    pub wall_s: Stats,
    /// Artifact size (or bytes read, for the COPY floor), bytes.
    pub bytes: Option<Stats>,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: Option<Stats>,
    /// Wall times of every round, seconds, in round order.
    pub samples_s: Vec<f64>,
}

/// A measured value against its target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    /// What is compared, e.g. `snapshot wall / pg_dump -Fc wall`.
    pub name: String,
    /// The measured value (a ratio of medians, or MiB, or ms).
    pub value: f64,
    /// The target the value must not exceed.
    pub target: f64,
    /// `value <= target`.
    pub met: bool,
}

/// The outcome of a benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// The scale factor.
    pub scale: f64,
    /// Rounds run.
    pub runs: usize,
    /// Rows of the generated database.
    pub rows: i64,
    /// `pg_database_size` of the generated database, bytes.
    pub database_bytes: i64,
    /// The server's `server_version`.
    pub server_version: String,
    /// Whether the role is a superuser (so `--disable-triggers` was measured).
    pub superuser: bool,
    /// Whether this library was built with optimizations (`cfg!(debug_assertions)` off).
    pub optimized: bool,
    /// Figures per contender.
    pub figures: Vec<Figure>,
    /// Ratios against the targets.
    pub ratios: Vec<Ratio>,
    /// Seconds the generator took.
    pub generate_s: f64,
}

/// Names of the contenders, as they appear in the report.
pub mod names {
    /// Our snapshot.
    pub const SNAPSHOT: &str = "snapshot (ours)";
    /// `pg_dump -Fc`.
    pub const PG_DUMP_FC: &str = "pg_dump -Fc --data-only";
    /// `pg_dump -Fd -j N`.
    pub const PG_DUMP_FD: &str = "pg_dump -Fd -j 2 --data-only";
    /// The COPY floor.
    pub const COPY_FLOOR: &str = "COPY read floor (1 connection)";
    /// Our restore.
    pub const RESTORE: &str = "restore (ours)";
    /// `pg_restore --data-only`.
    pub const PG_RESTORE: &str = "pg_restore --data-only";
    /// `pg_restore --data-only --disable-triggers`.
    pub const PG_RESTORE_DT: &str = "pg_restore --data-only --disable-triggers";
    /// Our status.
    pub const STATUS: &str = "status (600 migrations)";
    /// Our hook.
    pub const HOOK: &str = "pre-migrate --hook pre-push (nothing pending)";
}

#[derive(Default)]
struct Samples {
    wall: Vec<f64>,
    bytes: Vec<f64>,
    rss: Vec<f64>,
}

/// Databases created by the run, dropped at the end whatever happens.
struct Databases<'a> {
    admin: &'a DatabaseUrl,
    prefix: String,
    created: Vec<String>,
}

impl Databases<'_> {
    async fn create(&mut self, suffix: &str) -> Result<DatabaseUrl, BenchError> {
        let name = format!("{}_{suffix}", self.prefix);
        let mut conn = self.admin.connect().await?;
        for sql in [
            format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&name)
            ),
            format!("CREATE DATABASE {}", quote_ident(&name)),
        ] {
            sqlx::raw_sql(&sql)
                .execute(&mut conn)
                .await
                .map_err(BenchError::database(&format!("creating database {name}")))?;
        }
        self.created.push(name.clone());
        Ok(self.admin.with_database(&name).with_schema("public"))
    }

    async fn drop_one(&mut self, url: &DatabaseUrl) -> Result<(), BenchError> {
        let name = url.database_name();
        let mut conn = self.admin.connect().await?;
        sqlx::raw_sql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&name)
        ))
        .execute(&mut conn)
        .await
        .map_err(BenchError::database(&format!("dropping database {name}")))?;
        self.created.retain(|n| *n != name);
        Ok(())
    }

    async fn drop_all(&mut self) {
        let Ok(mut conn) = self.admin.connect().await else {
            return;
        };
        for name in std::mem::take(&mut self.created) {
            let sql = format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&name)
            );
            let _ = sqlx::raw_sql(&sql).execute(&mut conn).await;
        }
    }
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
    let mut databases = Databases {
        admin: &options.admin_url,
        prefix: format!("xtask_bench_{}", std::process::id()),
        created: Vec::new(),
    };
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

    let mut samples: Vec<(&str, Samples)> = [
        names::SNAPSHOT,
        names::PG_DUMP_FC,
        names::PG_DUMP_FD,
        names::COPY_FLOOR,
        names::RESTORE,
        names::PG_RESTORE,
        names::PG_RESTORE_DT,
    ]
    .into_iter()
    .map(|n| (n, Samples::default()))
    .collect();
    let record = |samples: &mut Vec<(&str, Samples)>, name: &str, run: &ChildRun| {
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
    };

    let runs = options.runs.max(1);
    let backups = project.join("backups");
    let dump_fc = dir.join("dump.fc");
    let dump_fd = dir.join("dump.fd");
    let list = dir.join("restore.list");
    for round in 0..runs {
        let label = |what: &str| format!("round {}/{runs}: {what}", round + 1);
        // Snapshots: ours, pg_dump -Fc, pg_dump -Fd, the floor; reversed every other round.
        let mut order = [0, 1, 2, 3];
        if round % 2 == 1 {
            order.reverse();
        }
        let mut snapshot_id = None;
        for step in order {
            match step {
                0 => {
                    progress.step(&label(names::SNAPSHOT));
                    let _ = std::fs::remove_dir_all(&backups);
                    let mut command = Command::new(&options.exe);
                    command
                        .args(["snapshot", "--reason", "bench", "--json", "--jobs"])
                        .arg(options.jobs.to_string());
                    let mut run = run_ours(command, &project, &source, "snapshot")?;
                    let summary: serde_json::Value =
                        serde_json::from_str(&run.stdout).map_err(|e| {
                            command_error("xtask snapshot --json", &e.to_string(), &run.stdout)
                        })?;
                    let id = summary["id"].as_str().unwrap_or_default().to_string();
                    run.bytes = Some(dir_bytes(&backups.join(&id))?);
                    record(&mut samples, names::SNAPSHOT, &run);
                    snapshot_id = Some(id);
                }
                1 => {
                    progress.step(&label(names::PG_DUMP_FC));
                    let _ = std::fs::remove_file(&dump_fc);
                    let mut command = pg_command(options, "pg_dump", &source);
                    command.args(["-Fc", "--data-only", "-f", dump_fc.as_str()]);
                    let mut run = run_child(command, "pg_dump -Fc")?;
                    run.bytes = Some(dir_bytes(&dump_fc)?);
                    record(&mut samples, names::PG_DUMP_FC, &run);
                }
                2 => {
                    progress.step(&label(names::PG_DUMP_FD));
                    let _ = std::fs::remove_dir_all(&dump_fd);
                    let mut command = pg_command(options, "pg_dump", &source);
                    command
                        .args(["-Fd", "-j"])
                        .arg(options.jobs.to_string())
                        .args(["--data-only", "-f", dump_fd.as_str()]);
                    let mut run = run_child(command, "pg_dump -Fd")?;
                    run.bytes = Some(dir_bytes(&dump_fd)?);
                    record(&mut samples, names::PG_DUMP_FD, &run);
                }
                _ => {
                    progress.step(&label(names::COPY_FLOOR));
                    let run = copy_floor(&source).await?;
                    record(&mut samples, names::COPY_FLOOR, &run);
                }
            }
        }
        let snapshot_id = snapshot_id.expect("the snapshot ran this round");

        // Restores into fresh migrated databases, checked against the source.
        write_restore_list(options, &dump_fc, &list)?;
        let mut order = vec![0, 1];
        let superuser_round = superuser;
        if superuser_round {
            order.push(2);
        }
        if round % 2 == 1 {
            order.reverse();
        }
        for step in order {
            let target = databases.create(&format!("restore_{round}_{step}")).await?;
            generate::migrate(&target, &migrations_dir).await?;
            let (name, run) = match step {
                0 => {
                    progress.step(&label(names::RESTORE));
                    let mut command = Command::new(&options.exe);
                    command.args([
                        "restore",
                        &snapshot_id,
                        "--yes",
                        "--no-safety-snapshot",
                        "--json",
                    ]);
                    (
                        names::RESTORE,
                        run_ours(command, &project, &target, "restore")?,
                    )
                }
                _ => {
                    let name = if step == 1 {
                        names::PG_RESTORE
                    } else {
                        names::PG_RESTORE_DT
                    };
                    progress.step(&label(name));
                    let mut command = pg_command(options, "pg_restore", &target);
                    command.args(["--data-only", "-L", list.as_str()]);
                    if step == 2 {
                        command.arg("--disable-triggers");
                    }
                    command.arg(dump_fc.as_str());
                    (name, run_child(command, name)?)
                }
            };
            progress.step(&label(&format!("checking the data of {name}")));
            let actual = generate::digests(&target).await?;
            if let Some(difference) = generate::first_difference(&expected, &actual) {
                return Err(BenchError::Mismatch {
                    restorer: name.to_string(),
                    difference,
                });
            }
            record(&mut samples, name, &run);
            databases.drop_one(&target).await?;
        }
    }

    progress.step(&format!(
        "status and the pre-push hook over {STATUS_MIGRATIONS} migrations"
    ));
    let (status, hook) = status_and_hook(options, &dir, databases).await?;

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

/// The ratios of the targets, from the figures present.
pub fn ratios(figures: &[Figure]) -> Vec<Ratio> {
    let find = |name: &str| figures.iter().find(|f| f.name == name);
    let mut ratios = Vec::new();
    let mut push = |name: &str, value: Option<f64>, target: f64| {
        if let Some(value) = value {
            ratios.push(Ratio {
                name: name.to_string(),
                value,
                target,
                met: value <= target,
            });
        }
    };
    let wall = |name: &str| find(name).map(|f| f.wall_s.median);
    let bytes = |name: &str| find(name).and_then(|f| f.bytes).map(|b| b.median);
    let rss = |name: &str| find(name).and_then(|f| f.peak_rss_mib).map(|r| r.max);
    let over = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
    push(
        "snapshot wall / pg_dump -Fc wall",
        over(wall(names::SNAPSHOT), wall(names::PG_DUMP_FC)),
        targets::SNAPSHOT_WALL,
    );
    push(
        "snapshot size / pg_dump -Fc size",
        over(bytes(names::SNAPSHOT), bytes(names::PG_DUMP_FC)),
        targets::SNAPSHOT_SIZE,
    );
    push(
        "snapshot wall / COPY read floor",
        over(wall(names::SNAPSHOT), wall(names::COPY_FLOOR)),
        targets::SNAPSHOT_FLOOR,
    );
    push(
        "restore wall / pg_restore --data-only wall",
        over(wall(names::RESTORE), wall(names::PG_RESTORE)),
        targets::RESTORE_WALL,
    );
    push(
        "snapshot peak RSS, MiB (max)",
        rss(names::SNAPSHOT),
        targets::RSS_MIB,
    );
    push(
        "restore peak RSS, MiB (max)",
        rss(names::RESTORE),
        targets::RSS_MIB,
    );
    push(
        "status wall, ms",
        wall(names::STATUS).map(|s| s * 1000.0),
        targets::STATUS_MS,
    );
    push(
        "pre-push hook wall, ms",
        wall(names::HOOK).map(|s| s * 1000.0),
        targets::HOOK_MS,
    );
    ratios
}

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

/// What one child process did.
struct ChildRun {
    wall: Duration,
    peak_rss_kib: Option<u64>,
    bytes: Option<u64>,
    stdout: String,
}

fn command_error(command: &str, status: &str, output: &str) -> BenchError {
    let tail: String = {
        let chars: Vec<char> = output.chars().collect();
        chars[chars.len().saturating_sub(2000)..].iter().collect()
    };
    BenchError::Command {
        command: command.to_string(),
        status: status.to_string(),
        output: tail.trim().to_string(),
    }
}

/// Runs `command` to its end with stdin empty, measuring wall time and peak RSS (`VmHWM`,
/// sampled every millisecond). Fails unless it exits with 0.
fn run_child(command: Command, what: &str) -> Result<ChildRun, BenchError> {
    run_child_with_input(command, what, Stdio::null())
}

/// [`run_child`] with `stdin` as the child's standard input.
fn run_child_with_input(
    mut command: Command,
    what: &str,
    stdin: Stdio,
) -> Result<ChildRun, BenchError> {
    command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| command_error(what, &format!("cannot start: {e}"), ""))?;
    let drain = |stream: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut stream) = stream {
                let _ = stream.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak: Option<u64> = None;
    let status = loop {
        if let Some(kib) = read_hwm(&status_path) {
            peak = Some(peak.map_or(kib, |p| p.max(kib)));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => return Err(command_error(what, &format!("cannot wait: {e}"), "")),
        }
    };
    let wall = started.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(command_error(what, &status.to_string(), &stderr));
    }
    Ok(ChildRun {
        wall,
        peak_rss_kib: peak,
        bytes: None,
        stdout,
    })
}

/// `VmHWM` of a `/proc/<pid>/status`, KiB.
fn read_hwm(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Our binary in `project`, against `url`.
fn run_ours(
    command: Command,
    project: &Utf8Path,
    url: &DatabaseUrl,
    what: &str,
) -> Result<ChildRun, BenchError> {
    run_ours_with_input(command, project, url, what, Stdio::null())
}

/// [`run_ours`] with `stdin` as the child's standard input.
fn run_ours_with_input(
    mut command: Command,
    project: &Utf8Path,
    url: &DatabaseUrl,
    what: &str,
    stdin: Stdio,
) -> Result<ChildRun, BenchError> {
    command
        .current_dir(project)
        .env("DATABASE_URL", url.expose_secret())
        .env_remove("DIRECT_URL")
        .env("NO_COLOR", "1");
    run_child_with_input(command, &format!("xtask {what}"), stdin)
}

/// A PostgreSQL client program from the server's bin folder, connecting to `url`: the password
/// goes in `PGPASSWORD`, never on the command line, and Prisma's `?schema=` is left out.
fn pg_command(options: &BenchOptions, tool: &str, url: &DatabaseUrl) -> Command {
    let mut command = Command::new(options.pg_bin.join(tool));
    let (target, password) = match url::Url::parse(url.expose_secret()) {
        Ok(mut parsed) => {
            let password = parsed.password().map(str::to_string);
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            (parsed.to_string(), password)
        }
        Err(_) => (url.expose_secret().to_string(), None),
    };
    command.arg("--dbname").arg(target);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
}

/// `pg_restore -l dump` without `_prisma_migrations`' data: the target has its own rows.
fn write_restore_list(
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
async fn status_and_hook(
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
    fn stats_take_median_min_max() {
        let s = Stats::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(Stats::of(&[1.0, 4.0]).unwrap().median, 2.5);
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn ratios_compare_medians_with_targets() {
        let figure = |name: &str, wall: f64, bytes: Option<f64>| Figure {
            name: name.into(),
            wall_s: Stats::of(&[wall]).unwrap(),
            bytes: bytes.and_then(|b| Stats::of(&[b])),
            peak_rss_mib: None,
            samples_s: vec![wall],
        };
        let ratios = ratios(&[
            figure(names::SNAPSHOT, 3.0, Some(100.0)),
            figure(names::PG_DUMP_FC, 10.0, Some(100.0)),
        ]);
        assert_eq!(ratios.len(), 2);
        assert!(ratios[0].met && (ratios[0].value - 0.3).abs() < 1e-9);
        assert!(ratios[1].met);
    }

    #[test]
    fn status_migrations_name_their_table() {
        assert!(status_migration(0).contains("CREATE TABLE \"Bench000\""));
        assert!(status_migration(5).contains("\"Bench001\""));
    }
}
