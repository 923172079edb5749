//! The record of the last scheduled run: `<backups>/.schedule.json`, written by
//! `schedule run` when it ends (success or failure), read by `schedule status` and `status`.
//!
//! A hidden file in the store: the listing ignores it, `prune` never touches it, and it holds no
//! secret (the message is an error's text, whose URLs are redacted).

use camino::{Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::IoError;

/// The record's file name inside the store.
pub const STATE_FILE: &str = ".schedule.json";

/// How a scheduled run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunOutcome {
    /// A snapshot was taken.
    Taken,
    /// The data equals the newest snapshot's; none was kept.
    Unchanged,
    /// The run failed; [`LastRun::message`] says why.
    Failed,
}

/// One scheduled run, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastRun {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The snapshot taken (with [`RunOutcome::Taken`]) or matched ([`RunOutcome::Unchanged`]).
    pub snapshot: Option<String>,
    /// The error, for [`RunOutcome::Failed`].
    pub message: Option<String>,
    /// The last run that succeeded: this one, or the one before a failure.
    pub last_success_at: Option<DateTime<Utc>>,
}

/// `<store>/.schedule.json`.
pub fn path(store: &Utf8Path) -> Utf8PathBuf {
    store.join(STATE_FILE)
}

/// The last run recorded in `store`; `None` when no scheduled run has ended there, or the
/// record is unreadable (it is only informational, and is rewritten by the next run).
pub fn read(store: &Utf8Path) -> Option<LastRun> {
    let text = std::fs::read_to_string(path(store)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Records `run` in `store` (created if missing), keeping the previous success time when `run`
/// failed. Written to a temporary file and renamed, so a reader never sees half a record.
///
/// Errors: [`IoError`] naming the file.
pub fn record(store: &Utf8Path, mut run: LastRun) -> Result<LastRun, IoError> {
    run.last_success_at = match run.outcome {
        RunOutcome::Failed => read(store).and_then(|previous| previous.last_success_at),
        RunOutcome::Taken | RunOutcome::Unchanged => Some(run.finished_at),
    };
    let target = path(store);
    std::fs::create_dir_all(store).map_err(IoError::at("creating", store))?;
    let temp = store.join(format!("{STATE_FILE}.{}", std::process::id()));
    let text = serde_json::to_string_pretty(&run).expect("a run record serializes");
    std::fs::write(&temp, text + "\n").map_err(IoError::at("writing", &temp))?;
    std::fs::rename(&temp, &target).map_err(IoError::at("renaming", &temp))?;
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_keeps_the_last_success() {
        let dir = tempfile::tempdir().unwrap();
        let store = Utf8Path::from_path(dir.path()).unwrap();
        assert_eq!(read(store), None);
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let ok = LastRun {
            started_at: at("2026-12-01T10:00:00Z"),
            finished_at: at("2026-12-01T10:00:05Z"),
            outcome: RunOutcome::Unchanged,
            snapshot: Some("s1".into()),
            message: None,
            last_success_at: None,
        };
        record(store, ok).unwrap();
        let failed = LastRun {
            started_at: at("2026-12-01T11:00:00Z"),
            finished_at: at("2026-12-01T11:00:01Z"),
            outcome: RunOutcome::Failed,
            snapshot: None,
            message: Some("connection refused".into()),
            last_success_at: None,
        };
        record(store, failed).unwrap();
        let last = read(store).unwrap();
        assert_eq!(last.outcome, RunOutcome::Failed);
        assert_eq!(last.last_success_at, Some(at("2026-12-01T10:00:05Z")));
    }
}
