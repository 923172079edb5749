//! The retention policy, and the pure plan of which snapshots it keeps.
//!
//! Safety snapshots (reasons `pre-restore` and `pre-rollback`, taken of the state a restore or
//! rollback replaced) have their own rule, so that a few failed restores never crowd real
//! snapshots out of `keep-last` (issue 15, #12): the newest `keep-safety` of them are kept, but
//! none taken more than [`SAFETY_MAX_AGE_DAYS`] days before the newest real snapshot.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::snapshot::StoredSnapshot;

/// How many snapshots each rule keeps. Counts are numbers of snapshots (`last`) or of
/// distinct UTC days, ISO weeks and calendar months that have snapshots; 0 disables a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Keep the N newest snapshots (`keep-last`, default 10).
    pub keep_last: u32,
    /// Keep the newest snapshot of each of the D most recent UTC days with snapshots
    /// (`keep-daily`, default 7).
    pub keep_daily: u32,
    /// Keep the newest snapshot of each of the W most recent ISO weeks with snapshots
    /// (`keep-weekly`, default 4).
    pub keep_weekly: u32,
    /// Keep the newest snapshot of each of the M most recent calendar months with snapshots
    /// (`keep-monthly`, default 12).
    pub keep_monthly: u32,
    /// Keep the N newest safety snapshots (`keep-safety`, default 3); they count for no other
    /// rule.
    pub keep_safety: u32,
}

/// The reasons of safety snapshots: `restore` and `rollback` take them of what they replace.
pub const SAFETY_REASONS: [&str; 2] = ["pre-restore", "pre-rollback"];

/// A safety snapshot taken more than this many days before the newest real snapshot is removed,
/// whatever `keep-safety` says.
pub const SAFETY_MAX_AGE_DAYS: i64 = 7;

impl Default for Policy {
    /// 10 last, 7 daily, 4 weekly, 12 monthly; 3 safety snapshots.
    fn default() -> Policy {
        Policy {
            keep_last: 10,
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 12,
            keep_safety: 3,
        }
    }
}

impl Policy {
    /// The policy from `keep-last`, `keep-daily`, `keep-weekly`, `keep-monthly` and
    /// `keep-safety` in the configuration, each falling back to [`Policy::default`].
    pub fn from_config(config: &Config) -> Policy {
        let default = Policy::default();
        Policy {
            keep_last: config.keep_last.unwrap_or(default.keep_last),
            keep_daily: config.keep_daily.unwrap_or(default.keep_daily),
            keep_weekly: config.keep_weekly.unwrap_or(default.keep_weekly),
            keep_monthly: config.keep_monthly.unwrap_or(default.keep_monthly),
            keep_safety: config.keep_safety.unwrap_or(default.keep_safety),
        }
    }
}

/// What [`plan`] needs of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The snapshot id (its folder name).
    pub id: String,
    /// When it was taken (the manifest's `created_at`), UTC.
    pub created_at: DateTime<Utc>,
    /// Tagged with `snapshot --keep`: never removed.
    pub keep: bool,
    /// A safety snapshot ([`SAFETY_REASONS`]): only the `keep-safety` rule applies to it.
    pub safety: bool,
}

impl From<&StoredSnapshot> for Candidate {
    fn from(snapshot: &StoredSnapshot) -> Candidate {
        Candidate {
            id: snapshot.manifest.id.clone(),
            created_at: snapshot.manifest.created_at,
            keep: snapshot.manifest.keep,
            safety: SAFETY_REASONS.contains(&snapshot.manifest.reason.as_str()),
        }
    }
}

/// The verdict on one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The snapshot id.
    pub id: String,
    /// When it was taken, UTC.
    pub created_at: DateTime<Utc>,
    /// Kept (`true`) or to be removed.
    pub keep: bool,
    /// Why it is kept, one entry per rule that keeps it: `newest`, `tagged --keep`,
    /// `last`, `daily 2026-11-20`, `weekly 2026-W47`, `monthly 2026-11`, `safety`. Empty when
    /// removed.
    pub reasons: Vec<String>,
}

/// Decides which snapshots to keep, as restic's `forget` does (see the docs of the
/// [`prune`](mod@crate::snapshot::prune) module).
///
/// Returns one [`Decision`] per candidate, newest first (by `created_at`, then id, as
/// [`crate::snapshot::list`] orders them). The newest candidate is always kept (reason
/// `newest`), even with every count 0, and so is every candidate with `keep` set (reason
/// `tagged --keep`). The calendar and `last` rules count real snapshots only; a safety snapshot
/// is kept (reason `safety`) when it is among the `keep_safety` newest safety snapshots and not
/// taken more than [`SAFETY_MAX_AGE_DAYS`] days before the newest real one.
/// Pure: reads no clock and no disk.
pub fn plan(candidates: &[Candidate], policy: &Policy) -> Vec<Decision> {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let newest_real = sorted.iter().find(|c| !c.safety).map(|c| c.created_at);
    let oldest_safety = newest_real.map(|t| t - Duration::days(SAFETY_MAX_AGE_DAYS));
    let mut safety = policy.keep_safety;

    let mut last = policy.keep_last;
    let mut daily = Bucket::new(policy.keep_daily);
    let mut weekly = Bucket::new(policy.keep_weekly);
    let mut monthly = Bucket::new(policy.keep_monthly);
    sorted
        .iter()
        .enumerate()
        .map(|(index, candidate)| {
            let t = candidate.created_at;
            let mut reasons = Vec::new();
            if index == 0 {
                reasons.push("newest".to_string());
            }
            if candidate.keep {
                reasons.push("tagged --keep".to_string());
            }
            if candidate.safety {
                let recent = oldest_safety.is_none_or(|oldest| t >= oldest);
                if safety > 0 && recent {
                    reasons.push("safety".to_string());
                }
                safety = safety.saturating_sub(1);
                return Decision {
                    id: candidate.id.clone(),
                    created_at: t,
                    keep: !reasons.is_empty(),
                    reasons,
                };
            }
            if last > 0 {
                last -= 1;
                reasons.push("last".to_string());
            }
            let week = t.iso_week();
            let rules = [
                (&mut daily, format!("daily {}", t.format("%Y-%m-%d"))),
                (
                    &mut weekly,
                    format!("weekly {}-W{:02}", week.year(), week.week()),
                ),
                (&mut monthly, format!("monthly {}", t.format("%Y-%m"))),
            ];
            for (bucket, label) in rules {
                if bucket.take(&label) {
                    reasons.push(label);
                }
            }
            Decision {
                id: candidate.id.clone(),
                created_at: t,
                keep: !reasons.is_empty(),
                reasons,
            }
        })
        .collect()
}

/// One calendar rule: keeps the first (newest) snapshot of each new period while periods
/// remain.
struct Bucket {
    remaining: u32,
    current: Option<String>,
}

impl Bucket {
    fn new(count: u32) -> Bucket {
        Bucket {
            remaining: count,
            current: None,
        }
    }

    /// Whether the snapshot in `period` (newest first) is kept by this rule.
    fn take(&mut self, period: &str) -> bool {
        if self.remaining == 0 || self.current.as_deref() == Some(period) {
            return false;
        }
        self.current = Some(period.to_string());
        self.remaining -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(id: &str, time: &str, safety: bool) -> Candidate {
        Candidate {
            id: id.into(),
            created_at: time.parse().unwrap(),
            keep: false,
            safety,
        }
    }

    fn kept(decisions: &[Decision]) -> Vec<&str> {
        decisions
            .iter()
            .filter(|d| d.keep)
            .map(|d| d.id.as_str())
            .collect()
    }

    #[test]
    fn safety_snapshots_do_not_crowd_out_real_ones() {
        let policy = Policy {
            keep_last: 3,
            keep_daily: 0,
            keep_weekly: 0,
            keep_monthly: 0,
            keep_safety: 2,
        };
        let candidates = [
            at("m1", "2026-11-01T10:00:00Z", false),
            at("m2", "2026-11-02T10:00:00Z", false),
            at("m3", "2026-11-03T10:00:00Z", false),
            at("m4", "2026-11-04T10:00:00Z", false),
            at("r1", "2026-11-04T11:00:00Z", true),
            at("r2", "2026-11-04T12:00:00Z", true),
            at("r3", "2026-11-04T13:00:00Z", true),
        ];
        let decisions = plan(&candidates, &policy);
        // The three newest real ones, and the two newest safety ones (r3 is also the newest).
        assert_eq!(kept(&decisions), ["r3", "r2", "m4", "m3", "m2"]);
        let r3 = decisions.iter().find(|d| d.id == "r3").unwrap();
        assert_eq!(r3.reasons, ["newest", "safety"]);
    }

    #[test]
    fn safety_snapshots_older_than_a_week_before_the_newest_real_one_go() {
        let policy = Policy::default();
        let candidates = [
            at("r-old", "2026-11-01T10:00:00Z", true),
            at("r-recent", "2026-11-08T10:00:00Z", true),
            at("m", "2026-11-09T10:00:00Z", false),
        ];
        assert_eq!(kept(&plan(&candidates, &policy)), ["m", "r-recent"]);
        // With no real snapshot at all, only the count applies.
        let only = [at("r-old", "2026-11-01T10:00:00Z", true)];
        assert_eq!(kept(&plan(&only, &policy)), ["r-old"]);
    }
}
