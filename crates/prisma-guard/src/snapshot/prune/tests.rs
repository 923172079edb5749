//! Tests of the policy table, the plan's reasons, and removal from a store on disk.

use camino::{Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Utc};

use super::*;
use crate::config::Config;
use crate::snapshot::manifest::MANIFEST_FILE;

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
        safety: false,
    }
}

fn policy(last: u32, daily: u32, weekly: u32, monthly: u32) -> Policy {
    Policy {
        keep_last: last,
        keep_daily: daily,
        keep_weekly: weekly,
        keep_monthly: monthly,
        keep_safety: 3,
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
    // The store lock's file stays: it is how the next writer waits for this one.
    assert_eq!(entries(&store), [".lock", ".tmp-x", "b", "d", "notes"]);
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
