//! The retention policy, and the pure plan of which snapshots it keeps.

use chrono::{DateTime, Datelike, Utc};
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
}

impl Default for Policy {
    /// 10 last, 7 daily, 4 weekly, 12 monthly.
    fn default() -> Policy {
        Policy {
            keep_last: 10,
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 12,
        }
    }
}

impl Policy {
    /// The policy from `keep-last`, `keep-daily`, `keep-weekly` and `keep-monthly` in
    /// `[workspace.metadata.prisma-guard]`, each falling back to [`Policy::default`].
    pub fn from_config(config: &Config) -> Policy {
        let default = Policy::default();
        Policy {
            keep_last: config.keep_last.unwrap_or(default.keep_last),
            keep_daily: config.keep_daily.unwrap_or(default.keep_daily),
            keep_weekly: config.keep_weekly.unwrap_or(default.keep_weekly),
            keep_monthly: config.keep_monthly.unwrap_or(default.keep_monthly),
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
}

impl From<&StoredSnapshot> for Candidate {
    fn from(snapshot: &StoredSnapshot) -> Candidate {
        Candidate {
            id: snapshot.manifest.id.clone(),
            created_at: snapshot.manifest.created_at,
            keep: snapshot.manifest.keep,
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
    /// `last`, `daily 2026-11-20`, `weekly 2026-W47`, `monthly 2026-11`. Empty when removed.
    pub reasons: Vec<String>,
}

/// Decides which snapshots to keep, as restic's `forget` does (see the docs of the
/// [`prune`](mod@crate::snapshot::prune) module).
///
/// Returns one [`Decision`] per candidate, newest first (by `created_at`, then id, as
/// [`crate::snapshot::list`] orders them). The newest candidate is always kept (reason
/// `newest`), even with every count 0, and so is every candidate with `keep` set (reason
/// `tagged --keep`).
/// Pure: reads no clock and no disk.
pub fn plan(candidates: &[Candidate], policy: &Policy) -> Vec<Decision> {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));

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
