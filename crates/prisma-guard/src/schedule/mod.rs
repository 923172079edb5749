//! Unattended snapshots: the schedule they run on, the crontab line that runs them, and the
//! record of the last run (issue 20).
//!
//! `schedule = "hourly"` (or `daily`, `weekly`, or five-field cron syntax such as
//! `"*/30 9-18 * * 1-5"`) in the configuration says how often `prisma-guard schedule run`
//! should run. That command is a `snapshot --if-changed` made for cron: it takes the store lock
//! ([`crate::snapshot::lock`]), keeps a snapshot only when the data changed, prunes when
//! `auto-prune` is set, records its outcome in `<backups>/.schedule.json` ([`state`]), and is
//! quiet unless it fails. [`crontab`] writes the line that runs it, marked so it can be found
//! and removed again. `status` warns when the last successful run is older than the schedule
//! allows ([`Schedule::allowed_age`]).

pub mod crontab;
pub mod state;

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

pub use state::{LastRun, RunOutcome};

/// A schedule could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// `schedule` is neither a preset nor five-field cron syntax.
    #[error("schedule = {text:?} is not a schedule: {problem}")]
    Invalid {
        /// The value as written.
        text: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A command needs a schedule and none is configured.
    #[error("no schedule is configured")]
    Missing,
    /// Reading or writing the crontab failed.
    #[error(transparent)]
    Crontab(#[from] crontab::CrontabError),
}

impl crate::error::Hint for ScheduleError {
    fn hint(&self) -> Option<String> {
        match self {
            ScheduleError::Invalid { .. } => Some(
                "use hourly, daily, weekly, or five cron fields (minute hour day-of-month month day-of-week), such as \"0 */2 * * *\"".into(),
            ),
            ScheduleError::Missing => Some(
                "add schedule = \"hourly\" (or daily, weekly, or cron syntax) to [workspace.metadata.prisma-guard] or prisma-guard.toml".into(),
            ),
            ScheduleError::Crontab(e) => e.hint(),
        }
    }
}

/// When scheduled snapshots run: a preset or a five-field cron expression, in the local time of
/// the machine's cron daemon.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// As configured (`hourly`, `"0 */2 * * *"`).
    pub text: String,
    /// The five cron fields it stands for (`0 * * * *` for hourly).
    pub cron: String,
    parsed: croner::Cron,
}

impl Schedule {
    /// Parses `text`: `hourly` (`0 * * * *`), `daily` (`0 0 * * *`), `weekly` (`0 0 * * 0`),
    /// their `@` forms as cron writes them, or five cron fields (croner's syntax: lists,
    /// ranges, steps, names).
    ///
    /// Errors: [`ScheduleError::Invalid`] naming what croner refused, or a field count other
    /// than five (a seconds field is not cron's).
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let trimmed = text.trim();
        let cron = match trimmed.trim_start_matches('@') {
            "hourly" => "0 * * * *".to_string(),
            "daily" => "0 0 * * *".to_string(),
            "weekly" => "0 0 * * 0".to_string(),
            _ => trimmed.to_string(),
        };
        let invalid = |problem: String| ScheduleError::Invalid {
            text: text.to_string(),
            problem,
        };
        let fields = cron.split_whitespace().count();
        if fields != 5 {
            return Err(invalid(format!(
                "cron syntax has five fields, this has {fields}"
            )));
        }
        let parsed = croner::Cron::from_str(&cron).map_err(|e| invalid(e.to_string()))?;
        Ok(Schedule {
            text: trimmed.to_string(),
            cron,
            parsed,
        })
    }

    /// The next `count` times it runs after `after`.
    pub fn next_runs(&self, after: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        self.parsed.iter_after(after).take(count).collect()
    }

    /// How old the last successful run may be before `status` warns: twice the longest gap
    /// between consecutive runs in the week ahead of `now` (at least three runs, so a monthly
    /// schedule counts too), so one missed run is fine and two are not; at least 10 minutes.
    pub fn allowed_age(&self, now: DateTime<Utc>) -> Duration {
        let horizon = now + Duration::days(8);
        let mut runs = Vec::new();
        for run in self.parsed.iter_after(now).take(100_000) {
            runs.push(run);
            if run > horizon && runs.len() >= 3 {
                break;
            }
        }
        let longest = runs
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(Duration::days(1));
        (longest * 2).max(Duration::minutes(10))
    }
}

/// `status`'s check: `Some(age)` of the last successful run (or `None` inside the result for
/// "never ran") when it is older than `schedule` allows at `now`; `None` when it is recent.
pub fn overdue(
    schedule: &Schedule,
    last_success: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<Option<Duration>> {
    match last_success {
        None => Some(None),
        Some(at) => {
            let age = now - at;
            (age > schedule.allowed_age(now)).then_some(Some(age))
        }
    }
}

/// `3 days`, `5 hours`, `12 minutes`: the largest whole unit.
pub fn human_age(age: Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if age.num_days() >= 1 {
        plural(age.num_days(), "day")
    } else if age.num_hours() >= 1 {
        plural(age.num_hours(), "hour")
    } else {
        plural(age.num_minutes().max(0), "minute")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn presets_and_cron_syntax() {
        assert_eq!(Schedule::parse("hourly").unwrap().cron, "0 * * * *");
        assert_eq!(Schedule::parse("@daily").unwrap().cron, "0 0 * * *");
        assert_eq!(Schedule::parse(" weekly ").unwrap().cron, "0 0 * * 0");
        assert_eq!(
            Schedule::parse("*/30 9-18 * * 1-5").unwrap().cron,
            "*/30 9-18 * * 1-5"
        );
        let five = Schedule::parse("0 0 * * * *").unwrap_err().to_string();
        assert!(five.contains("five fields, this has 6"), "{five}");
        let bad = Schedule::parse("61 * * * *").unwrap_err();
        assert!(
            bad.to_string()
                .starts_with("schedule = \"61 * * * *\" is not a schedule")
        );
    }

    #[test]
    fn allowed_age_is_twice_the_longest_gap() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 30, 0).unwrap();
        let hourly = Schedule::parse("hourly").unwrap();
        assert_eq!(hourly.allowed_age(now), Duration::hours(2));
        let runs = hourly.next_runs(now, 2);
        assert_eq!(
            runs[0],
            Utc.with_ymd_and_hms(2026, 12, 1, 11, 0, 0).unwrap()
        );
        // Weekdays only: the weekend gap (Friday 18:00 to Monday 9:00) decides.
        let office = Schedule::parse("0 9-18 * * 1-5").unwrap();
        assert_eq!(office.allowed_age(now), Duration::hours(63) * 2);
        let monthly = Schedule::parse("0 0 1 * *").unwrap();
        assert_eq!(monthly.allowed_age(now), Duration::days(31) * 2);
    }

    #[test]
    fn overdue_after_two_missed_runs() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 30, 0).unwrap();
        let hourly = Schedule::parse("hourly").unwrap();
        assert_eq!(overdue(&hourly, None, now), Some(None));
        assert_eq!(
            overdue(&hourly, Some(now - Duration::minutes(90)), now),
            None
        );
        assert_eq!(
            overdue(&hourly, Some(now - Duration::hours(3)), now),
            Some(Some(Duration::hours(3)))
        );
        assert_eq!(human_age(Duration::hours(3)), "3 hours");
        assert_eq!(human_age(Duration::days(1)), "1 day");
    }
}
