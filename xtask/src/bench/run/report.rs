//! The outcome of a run: [`Stats`] of each measure, a [`Figure`] per contender (named as in
//! [`names`]) and the [`Ratio`]s against the issue's [`targets`], gathered in a [`BenchReport`].

use serde::Serialize;

/// The targets.
pub mod targets {
    /// Snapshot wall ≤ this × `pg_dump -Fc --data-only` wall (issue 18; issue 7 asked 0.35).
    pub const SNAPSHOT_WALL: f64 = 0.15;
    /// Snapshot size ≤ this × `pg_dump -Fc --data-only` size.
    pub const SNAPSHOT_SIZE: f64 = 1.1;
    /// Snapshot wall ≤ this × the raw COPY read (the "within ~2× of the floor").
    pub const SNAPSHOT_FLOOR: f64 = 2.0;
    /// Restore wall ≤ this × `pg_restore --data-only` wall (issue 18; issue 7 asked 0.5).
    pub const RESTORE_WALL: f64 = 0.35;
    /// Peak RSS of our snapshot and restore processes, MiB.
    pub const RSS_MIB: f64 = 64.0;
    /// `status` over 600 migrations, milliseconds.
    pub const STATUS_MS: f64 = 50.0;
    /// `pre-migrate --hook pre-push` with nothing pending, milliseconds.
    pub const HOOK_MS: f64 = 500.0;
    /// `predict` of one pending migration ≤ this × `pg_restore --data-only` wall (issue 16).
    pub const PREDICT_WALL: f64 = 1.0;
    /// A replay restore ≤ this × `pg_restore --data-only` of the same migrated data (issue 18).
    pub const REPLAY_WALL: f64 = 1.0;
    /// `rollback` ≤ this × a full `pg_restore` of the snapshot's database into an empty one
    /// (issue 18); the same limit is printed against `pg_restore --clean` into a copy of the
    /// database the rollback replaces, the like-for-like measure (BENCHMARKS.md, 2026-12-04).
    pub const ROLLBACK_WALL: f64 = 1.0;
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
    /// Our prediction of one pending migration from the round's snapshot.
    pub const PREDICT: &str = "predict (1 pending migration)";
    /// Our restore with `--strategy replay` through the two later migrations.
    pub const REPLAY: &str = "restore --strategy replay (ours, 2 later migrations)";
    /// `pg_restore --data-only` of the source's data carried through those migrations.
    pub const PG_RESTORE_MIGRATED: &str = "pg_restore --data-only (migrated data)";
    /// Our rollback of a database two migrations ahead of the snapshot.
    pub const ROLLBACK: &str = "rollback (ours, 2 migrations undone)";
    /// A full `pg_restore` (schema and data) of the source into an empty database.
    pub const PG_RESTORE_FULL: &str = "pg_restore (full, into an empty database)";
    /// The same full `pg_restore` with `--clean --if-exists`, into a copy of the database the
    /// rollback starts from: it drops that database's tables first, as the rollback does.
    pub const PG_RESTORE_CLEAN: &str = "pg_restore --clean (full, into the migrated data)";
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
        "predict wall / pg_restore --data-only wall",
        over(wall(names::PREDICT), wall(names::PG_RESTORE)),
        targets::PREDICT_WALL,
    );
    push(
        "replay restore wall / pg_restore --data-only wall (migrated data)",
        over(wall(names::REPLAY), wall(names::PG_RESTORE_MIGRATED)),
        targets::REPLAY_WALL,
    );
    push(
        "rollback wall / full pg_restore wall",
        over(wall(names::ROLLBACK), wall(names::PG_RESTORE_FULL)),
        targets::ROLLBACK_WALL,
    );
    push(
        "rollback wall / pg_restore --clean into the same database",
        over(wall(names::ROLLBACK), wall(names::PG_RESTORE_CLEAN)),
        targets::ROLLBACK_WALL,
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
        "replay restore peak RSS, MiB (max)",
        rss(names::REPLAY),
        targets::RSS_MIB,
    );
    push(
        "rollback peak RSS, MiB (max)",
        rss(names::ROLLBACK),
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
            figure(names::SNAPSHOT, 1.4, Some(100.0)),
            figure(names::PG_DUMP_FC, 10.0, Some(100.0)),
        ]);
        assert_eq!(ratios.len(), 2);
        assert!(ratios[0].met && (ratios[0].value - 0.14).abs() < 1e-9);
        assert!(ratios[1].met);
        let slow = super::ratios(&[
            figure(names::SNAPSHOT, 1.6, Some(120.0)),
            figure(names::PG_DUMP_FC, 10.0, Some(100.0)),
        ]);
        assert!(!slow[0].met, "0.16 misses the snapshot's 0.15");
        assert!(!slow[1].met, "1.2 x the size misses 1.1");
    }

    /// The rollback is measured against both full restores, each ratio of its own.
    #[test]
    fn rollback_has_a_ratio_against_each_full_restore() {
        let figure = |name: &str, wall: f64| Figure {
            name: name.into(),
            wall_s: Stats::of(&[wall]).unwrap(),
            bytes: None,
            peak_rss_mib: None,
            samples_s: vec![wall],
        };
        let ratios = ratios(&[
            figure(names::ROLLBACK, 10.5),
            figure(names::PG_RESTORE_FULL, 10.0),
            figure(names::PG_RESTORE_CLEAN, 12.0),
        ]);
        let values: Vec<(&str, f64, bool)> = ratios
            .iter()
            .map(|r| (r.name.as_str(), (r.value * 1000.0).round() / 1000.0, r.met))
            .collect();
        assert_eq!(
            values,
            [
                ("rollback wall / full pg_restore wall", 1.05, false),
                (
                    "rollback wall / pg_restore --clean into the same database",
                    0.875,
                    true
                ),
            ]
        );
    }
}
