//! Retention: which snapshots to keep and which to remove, and removing them safely.
//!
//! The policy follows restic's `forget` (and borg's `prune`): snapshots are sorted newest
//! first; `keep_last` keeps the N newest; `keep_daily` keeps the newest snapshot of each of the
//! D most recent UTC days that have snapshots; `keep_weekly` the same by ISO 8601 week;
//! `keep_monthly` by calendar month (UTC). A snapshot kept by several rules lists every
//! reason. On top of the rules, the newest snapshot and any snapshot taken with
//! `snapshot --keep` are always kept. Safety snapshots (reason `pre-restore`) follow the same
//! rules as any other.
//!
//! [`plan`] is pure; [`apply`] deletes. Only complete snapshots of ours (what
//! [`super::list`] returns) are ever candidates: hidden `.tmp-*` folders being written and
//! foreign folders in the store are never touched.

use std::collections::HashSet;

use camino::{Utf8Component, Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use super::manifest::{MANIFEST_FILE, Manifest};
use super::{SnapshotError, StoredSnapshot};
use crate::config::Config;

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

/// Decides which snapshots to keep, as restic's `forget` does (see the module docs).
///
/// Returns one [`Decision`] per candidate, newest first (by `created_at`, then id, as
/// [`super::list`] orders them). The newest candidate is always kept (reason `newest`), even
/// with every count 0, and so is every candidate with `keep` set (reason `tagged --keep`).
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

/// A snapshot [`apply`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// The snapshot id.
    pub id: String,
    /// Bytes of data files and archives it held (from its manifest).
    pub bytes: u64,
}

/// Errors while pruning. Nothing is removed when the checks before removal fail.
#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    /// Listing or reading the store failed.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// A decision names something that is not a complete snapshot of ours in the store.
    #[error("refusing to remove {id}: it is not a complete snapshot in {store}")]
    NotASnapshot {
        /// The id in the decision.
        id: String,
        /// The backups folder.
        store: Utf8PathBuf,
    },
    /// A decision would remove the newest snapshot or one tagged with `snapshot --keep`.
    #[error("refusing to remove {id}: it is {why}")]
    Protected {
        /// The snapshot id.
        id: String,
        /// `the newest snapshot` or `tagged --keep`.
        why: &'static str,
    },
    /// Removing a folder failed part way; it was already hidden, so it is no longer listed.
    #[error("removing {path}")]
    Remove {
        /// The folder being removed.
        path: Utf8PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Hint for PruneError {
    fn hint(&self) -> Option<String> {
        match self {
            PruneError::Snapshot(e) => e.hint(),
            PruneError::NotASnapshot { .. } | PruneError::Protected { .. } => Some(
                "nothing was removed; run `prisma-guard prune --dry-run` to see the current plan"
                    .into(),
            ),
            PruneError::Remove { .. } => Some(
                "the snapshot is no longer listed; delete the hidden folder by hand once the cause is fixed"
                    .into(),
            ),
        }
    }
}

/// Removes the snapshots that `decisions` do not keep from `store`, and returns them.
///
/// Before anything is removed, every removal is checked against the store as it is now: the id
/// must be a snapshot [`super::list`] returns (a complete snapshot of ours, not hidden, not a
/// foreign folder), not the newest one, and not tagged `--keep`; otherwise nothing is removed
/// ([`PruneError::NotASnapshot`], [`PruneError::Protected`]). Each folder is then checked once
/// more (a real folder, directly inside `store`, whose manifest has this id), renamed to a
/// hidden name so it stops being listed at once, and deleted with `remove_dir_all`.
/// Errors: [`PruneError::Snapshot`] when the store cannot be read, [`PruneError::Remove`]
/// when deleting fails (the ones before it stay removed).
pub fn apply(store: &Utf8Path, decisions: &[Decision]) -> Result<Vec<Removed>, PruneError> {
    let listed = super::list(store)?;
    let newest = listed.last().map(|s| s.manifest.id.as_str());
    let mut targets = Vec::new();
    let mut seen = HashSet::new();
    for decision in decisions.iter().filter(|d| !d.keep) {
        if !seen.insert(decision.id.as_str()) {
            continue;
        }
        let Some(snapshot) = listed.iter().find(|s| s.manifest.id == decision.id) else {
            return Err(not_a_snapshot(store, &decision.id));
        };
        if Some(decision.id.as_str()) == newest {
            return Err(PruneError::Protected {
                id: decision.id.clone(),
                why: "the newest snapshot",
            });
        }
        if snapshot.manifest.keep {
            return Err(PruneError::Protected {
                id: decision.id.clone(),
                why: "tagged --keep",
            });
        }
        targets.push(snapshot);
    }
    let mut removed = Vec::new();
    for snapshot in targets {
        let id = &snapshot.manifest.id;
        let path = checked_folder(store, id)?;
        let hidden = store.join(format!(".pruning-{id}-{}", std::process::id()));
        std::fs::rename(&path, &hidden).map_err(|source| PruneError::Remove {
            path: path.clone(),
            source,
        })?;
        std::fs::remove_dir_all(&hidden).map_err(|source| PruneError::Remove {
            path: hidden.clone(),
            source,
        })?;
        removed.push(Removed {
            id: id.clone(),
            bytes: snapshot.manifest.total_bytes(),
        });
    }
    Ok(removed)
}

/// The folder of snapshot `id`, after checking right before removal that it is one plain name
/// directly inside `store`, a real folder (not a symlink), and holds a manifest with this id.
fn checked_folder(store: &Utf8Path, id: &str) -> Result<Utf8PathBuf, PruneError> {
    let single = {
        let mut components = Utf8Path::new(id).components();
        matches!(components.next(), Some(Utf8Component::Normal(_))) && components.next().is_none()
    };
    if !single || id.starts_with('.') {
        return Err(not_a_snapshot(store, id));
    }
    let path = store.join(id);
    let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_dir());
    let manifest_ok = is_dir
        && std::fs::symlink_metadata(path.join(MANIFEST_FILE)).is_ok_and(|m| m.is_file())
        && Manifest::read(&path).is_ok_and(|m| m.id == id && !m.keep);
    let inside = match (path.canonicalize_utf8(), store.canonicalize_utf8()) {
        (Ok(folder), Ok(store)) => folder.parent() == Some(store.as_path()),
        _ => false,
    };
    if manifest_ok && inside {
        Ok(path)
    } else {
        Err(not_a_snapshot(store, id))
    }
}

fn not_a_snapshot(store: &Utf8Path, id: &str) -> PruneError {
    PruneError::NotASnapshot {
        id: id.to_string(),
        store: store.to_owned(),
    }
}

/// What [`prune`] decided and did.
#[derive(Debug, Clone, Serialize)]
pub struct PruneOutcome {
    /// The policy applied.
    pub policy: Policy,
    /// One decision per snapshot in the store, newest first.
    pub decisions: Vec<Decision>,
    /// What was removed (empty in a dry run).
    pub removed: Vec<Removed>,
    /// Nothing was removed on purpose.
    pub dry_run: bool,
}

/// Lists `store`, plans with `policy` and, unless `dry_run`, applies the plan.
///
/// Errors: as [`super::list`] and [`apply`].
pub fn prune(store: &Utf8Path, policy: &Policy, dry_run: bool) -> Result<PruneOutcome, PruneError> {
    let candidates: Vec<Candidate> = super::list(store)?.iter().map(Candidate::from).collect();
    let decisions = plan(&candidates, policy);
    let removed = if dry_run {
        Vec::new()
    } else {
        apply(store, &decisions)?
    };
    Ok(PruneOutcome {
        policy: *policy,
        decisions,
        removed,
        dry_run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .with_timezone(&Utc)
    }

    fn candidate(time: &str) -> Candidate {
        Candidate {
            id: time.to_string(),
            created_at: at(time),
            keep: false,
        }
    }

    fn policy(last: u32, daily: u32, weekly: u32, monthly: u32) -> Policy {
        Policy {
            keep_last: last,
            keep_daily: daily,
            keep_weekly: weekly,
            keep_monthly: monthly,
        }
    }

    struct Case {
        name: &'static str,
        policy: Policy,
        /// Snapshot times (RFC 3339), in any order; `!` marks one tagged `--keep`.
        snapshots: &'static [&'static str],
        /// The times kept, newest first.
        kept: &'static [&'static str],
    }

    fn run(case: &Case) -> Vec<Decision> {
        let candidates: Vec<Candidate> = case
            .snapshots
            .iter()
            .map(|s| {
                let (time, keep) = match s.strip_suffix('!') {
                    Some(time) => (time, true),
                    None => (*s, false),
                };
                Candidate {
                    keep,
                    ..candidate(time)
                }
            })
            .collect();
        plan(&candidates, &case.policy)
    }

    #[test]
    fn table_of_policies() {
        let cases = [
            Case {
                name: "two on one day: daily keeps only the newest of that day",
                policy: policy(0, 2, 0, 0),
                snapshots: &[
                    "2026-11-18T12:00:00Z",
                    "2026-11-19T09:00:00Z",
                    "2026-11-19T18:00:00Z",
                    "2026-11-20T10:00:00Z",
                ],
                kept: &["2026-11-20T10:00:00Z", "2026-11-19T18:00:00Z"],
            },
            Case {
                name: "daily counts days that have snapshots, not calendar days",
                policy: policy(0, 2, 0, 0),
                snapshots: &[
                    "2026-11-01T08:00:00Z",
                    "2026-11-05T08:00:00Z",
                    "2026-11-10T08:00:00Z",
                ],
                kept: &["2026-11-10T08:00:00Z", "2026-11-05T08:00:00Z"],
            },
            Case {
                name: "days are UTC days",
                policy: policy(0, 3, 0, 0),
                snapshots: &[
                    "2026-11-19T23:59:59Z",
                    "2026-11-20T00:00:00Z",
                    "2026-11-20T23:00:00Z",
                ],
                kept: &["2026-11-20T23:00:00Z", "2026-11-19T23:59:59Z"],
            },
            Case {
                // 2024-12-29 is a Sunday in ISO week 2024-W52; Monday 2024-12-30 already
                // belongs to 2025-W01, as does Sunday 2025-01-05; 2025-01-06 starts W02.
                name: "ISO weeks, across a year boundary",
                policy: policy(0, 0, 3, 0),
                snapshots: &[
                    "2024-12-29T12:00:00Z",
                    "2024-12-30T12:00:00Z",
                    "2025-01-05T12:00:00Z",
                    "2025-01-06T12:00:00Z",
                ],
                kept: &[
                    "2025-01-06T12:00:00Z",
                    "2025-01-05T12:00:00Z",
                    "2024-12-29T12:00:00Z",
                ],
            },
            Case {
                name: "weekly stops after W weeks",
                policy: policy(0, 0, 1, 0),
                snapshots: &["2025-01-05T12:00:00Z", "2025-01-06T12:00:00Z"],
                kept: &["2025-01-06T12:00:00Z"],
            },
            Case {
                name: "calendar months, at the boundary second",
                policy: policy(0, 0, 0, 2),
                snapshots: &[
                    "2026-01-31T23:59:59Z",
                    "2026-02-01T00:00:00Z",
                    "2026-02-28T23:59:59Z",
                    "2026-03-01T00:00:00Z",
                ],
                kept: &["2026-03-01T00:00:00Z", "2026-02-28T23:59:59Z"],
            },
            Case {
                name: "keep-last keeps the N newest",
                policy: policy(2, 0, 0, 0),
                snapshots: &[
                    "2026-11-20T10:00:00Z",
                    "2026-11-20T10:00:01Z",
                    "2026-11-20T10:00:02Z",
                    "2026-11-20T10:00:03Z",
                ],
                kept: &["2026-11-20T10:00:03Z", "2026-11-20T10:00:02Z"],
            },
            Case {
                name: "a --keep snapshot survives every count at 0",
                policy: policy(0, 0, 0, 0),
                snapshots: &[
                    "2025-01-01T00:00:00Z!",
                    "2026-06-01T00:00:00Z",
                    "2026-11-20T10:00:00Z",
                ],
                kept: &["2026-11-20T10:00:00Z", "2025-01-01T00:00:00Z"],
            },
            Case {
                name: "the newest is never removed, even with all counts 0",
                policy: policy(0, 0, 0, 0),
                snapshots: &["2026-11-19T10:00:00Z", "2026-11-20T10:00:00Z"],
                kept: &["2026-11-20T10:00:00Z"],
            },
            Case {
                name: "rules combine: the union of what each keeps",
                policy: policy(1, 2, 2, 3),
                snapshots: &[
                    "2026-09-15T10:00:00Z",
                    "2026-10-20T10:00:00Z",
                    "2026-11-02T10:00:00Z",
                    "2026-11-16T10:00:00Z",
                    "2026-11-19T08:00:00Z",
                    "2026-11-20T08:00:00Z",
                    "2026-11-20T18:00:00Z",
                ],
                kept: &[
                    "2026-11-20T18:00:00Z", // newest, last, daily, weekly W47, monthly
                    "2026-11-19T08:00:00Z", // daily (the 16th is in W47 too: not weekly)
                    "2026-11-02T10:00:00Z", // weekly W45
                    "2026-10-20T10:00:00Z", // monthly
                    "2026-09-15T10:00:00Z", // monthly
                ],
            },
            Case {
                name: "nothing to decide",
                policy: Policy::default(),
                snapshots: &[],
                kept: &[],
            },
        ];
        for case in &cases {
            let decisions = run(case);
            assert_eq!(decisions.len(), case.snapshots.len(), "{}", case.name);
            let kept: Vec<&str> = decisions
                .iter()
                .filter(|d| d.keep)
                .map(|d| d.id.as_str())
                .collect();
            assert_eq!(kept, case.kept, "{}: {decisions:#?}", case.name);
            for d in &decisions {
                assert_eq!(d.keep, !d.reasons.is_empty(), "{}: {d:?}", case.name);
            }
        }
    }

    #[test]
    fn decisions_are_newest_first_and_list_every_reason() {
        let decisions = plan(
            &[
                candidate("2026-10-31T10:00:00Z"),
                candidate("2026-11-20T18:00:00Z"),
                candidate("2026-11-20T08:00:00Z"),
            ],
            &policy(1, 7, 4, 12),
        );
        let reasons: Vec<(&str, Vec<&str>)> = decisions
            .iter()
            .map(|d| {
                (
                    d.id.as_str(),
                    d.reasons.iter().map(|r| r.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "2026-11-20T18:00:00Z",
                    vec![
                        "newest",
                        "last",
                        "daily 2026-11-20",
                        "weekly 2026-W47",
                        "monthly 2026-11"
                    ]
                ),
                ("2026-11-20T08:00:00Z", vec![]),
                (
                    "2026-10-31T10:00:00Z",
                    vec!["daily 2026-10-31", "weekly 2026-W44", "monthly 2026-10"]
                ),
            ]
        );
    }

    #[test]
    fn tagged_and_newest_reasons() {
        let mut old = candidate("2020-01-01T00:00:00Z");
        old.keep = true;
        let decisions = plan(
            &[old, candidate("2026-01-01T00:00:00Z")],
            &policy(0, 0, 0, 0),
        );
        assert_eq!(decisions[0].reasons, ["newest"]);
        assert_eq!(decisions[1].reasons, ["tagged --keep"]);
        assert!(decisions.iter().all(|d| d.keep));
    }

    #[test]
    fn policy_from_config_falls_back_per_key() {
        assert_eq!(
            Policy::from_config(&Config::default()),
            policy(10, 7, 4, 12)
        );
        let config = Config {
            keep_last: Some(3),
            keep_monthly: Some(0),
            ..Config::default()
        };
        assert_eq!(Policy::from_config(&config), policy(3, 7, 4, 0));
    }

    /// A snapshot folder with a minimal valid manifest.
    fn fake_snapshot(store: &Utf8Path, id: &str, created_at: &str, keep: bool) {
        let dir = store.join(id);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(dir.join("data/public.T.csv.zst"), b"x").unwrap();
        let manifest = serde_json::json!({
            "format_version": super::super::FORMAT_VERSION,
            "tool_version": "0",
            "id": id,
            "created_at": created_at,
            "reason": "manual",
            "tag": null,
            "keep": keep,
            "database": { "url": "postgresql://localhost/app", "server_version": "16",
                          "name": "app", "schema": "public" },
            "tables": [],
            "fingerprint": "",
        });
        std::fs::write(
            dir.join(MANIFEST_FILE),
            serde_json::to_string(&manifest).unwrap(),
        )
        .unwrap();
    }

    fn entries(store: &Utf8Path) -> Vec<String> {
        let mut names: Vec<String> = store
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string())
            .collect();
        names.sort();
        names
    }

    fn store() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let store = Utf8PathBuf::from_path_buf(dir.path().join("backups")).unwrap();
        std::fs::create_dir(&store).unwrap();
        fake_snapshot(&store, "a", "2026-01-01T00:00:00Z", false);
        fake_snapshot(&store, "b", "2026-02-01T00:00:00Z", true);
        fake_snapshot(&store, "c", "2026-03-01T00:00:00Z", false);
        fake_snapshot(&store, "d", "2026-04-01T00:00:00Z", false);
        std::fs::create_dir(store.join("notes")).unwrap();
        std::fs::write(store.join("notes/readme.txt"), "mine").unwrap();
        fake_snapshot(&store, ".tmp-x", "2020-01-01T00:00:00Z", false);
        (dir, store)
    }

    #[test]
    fn prune_removes_only_unkept_snapshots_of_ours() {
        let (_dir, store) = store();
        let dry = prune(&store, &policy(0, 0, 0, 0), true).unwrap();
        assert!(dry.removed.is_empty());
        assert_eq!(entries(&store), [".tmp-x", "a", "b", "c", "d", "notes"]);
        let outcome = prune(&store, &policy(0, 0, 0, 0), false).unwrap();
        let removed: Vec<&str> = outcome.removed.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(removed, ["c", "a"]);
        assert_eq!(entries(&store), [".tmp-x", "b", "d", "notes"]);
    }

    fn removal(id: &str) -> Decision {
        Decision {
            id: id.into(),
            created_at: at("2026-01-01T00:00:00Z"),
            keep: false,
            reasons: Vec::new(),
        }
    }

    #[test]
    fn apply_refuses_what_is_not_a_removable_snapshot() {
        let (_dir, store) = store();
        for (id, expected) in [
            ("notes", "not a complete snapshot"),
            (".tmp-x", "not a complete snapshot"),
            ("../backups", "not a complete snapshot"),
            ("d", "the newest snapshot"),
            ("b", "tagged --keep"),
        ] {
            // A valid removal first: the refusal must stop everything before it, too.
            let err = apply(&store, &[removal("a"), removal(id)]).unwrap_err();
            assert!(err.to_string().contains(expected), "{id}: {err}");
            assert!(crate::error::Hint::hint(&err).is_some());
        }
        assert_eq!(entries(&store), [".tmp-x", "a", "b", "c", "d", "notes"]);
    }

    #[test]
    fn a_symlinked_snapshot_is_not_followed() {
        let (dir, store) = store();
        let outside = Utf8PathBuf::from_path_buf(dir.path().join("outside")).unwrap();
        std::fs::create_dir(&outside).unwrap();
        fake_snapshot(&outside, "e", "2025-06-01T00:00:00Z", false);
        std::os::unix::fs::symlink(outside.join("e"), store.join("e")).unwrap();
        let err = apply(&store, &[removal("e")]).unwrap_err();
        assert!(err.to_string().contains("not a complete snapshot"), "{err}");
        assert!(outside.join("e/manifest.json").is_file());
    }
}
