//! The remote store: the merged local/remote list, push and pull summaries, remote prune's
//! extra line.

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets};
use serde_json::json;

use super::{age, pretty, render, size};
use crate::remote::{PullOutcome, PushOutcome, RemoteSnapshot};
use crate::snapshot::{Manifest, StoredSnapshot};

/// One snapshot of the merged list: where it is, and its manifest.
pub struct Listed<'a> {
    /// Its manifest (the local one when it is in both places).
    pub manifest: &'a Manifest,
    /// The local copy.
    pub local: Option<&'a StoredSnapshot>,
    /// The remote copy.
    pub remote: Option<&'a RemoteSnapshot>,
}

impl Listed<'_> {
    fn place(&self) -> &'static str {
        match (self.local.is_some(), self.remote.is_some()) {
            (true, true) => "local+remote",
            (true, false) => "local",
            _ => "remote",
        }
    }

    fn encrypted(&self) -> bool {
        self.remote.is_some_and(|r| r.index.encrypted())
    }
}

/// Local and remote snapshots, one entry per id, oldest first.
pub fn merge<'a>(local: &'a [StoredSnapshot], remote: &'a [RemoteSnapshot]) -> Vec<Listed<'a>> {
    let mut all: Vec<Listed<'a>> = local
        .iter()
        .map(|s| Listed {
            manifest: &s.manifest,
            local: Some(s),
            remote: remote.iter().find(|r| r.manifest.id == s.manifest.id),
        })
        .collect();
    for r in remote {
        if !local.iter().any(|s| s.manifest.id == r.manifest.id) {
            all.push(Listed {
                manifest: &r.manifest,
                local: None,
                remote: Some(r),
            });
        }
    }
    all.sort_by(|a, b| {
        (a.manifest.created_at, &a.manifest.id).cmp(&(b.manifest.created_at, &b.manifest.id))
    });
    all
}

/// `snapshots` with a remote store: the local columns plus where each one is.
pub fn listing_table(all: &[Listed], now: DateTime<Utc>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["id", "age", "reason", "tables", "rows", "size", "where"]);
    for s in all {
        let m = s.manifest;
        let mut reason = match &m.tag {
            Some(tag) => format!("{} ({tag})", m.reason),
            None => m.reason.clone(),
        };
        if m.keep {
            reason.push_str(", kept forever");
        }
        let place = if s.encrypted() {
            format!("{} (encrypted)", s.place())
        } else {
            s.place().to_string()
        };
        table.add_row([
            m.id.clone(),
            age(now, m.created_at),
            reason,
            m.tables.len().to_string(),
            m.total_rows().to_string(),
            size(m.total_bytes()),
            place,
        ]);
    }
    render(table)
}

/// `snapshots --json` with a remote store: each entry also has `where` (`local`, `remote` or
/// `local+remote`), `local`, `remote` and `encrypted`.
pub fn listing_json(all: &[Listed], remote: &str) -> String {
    let list: Vec<serde_json::Value> = all
        .iter()
        .map(|s| {
            let mut value = super::snapshot::manifest_summary(s.manifest);
            value["where"] = json!(s.place());
            value["local"] = json!(s.local.is_some());
            value["remote"] = json!(s.remote.is_some());
            value["encrypted"] = json!(s.encrypted());
            value["path"] = json!(s.local.map(|l| &l.path));
            value["remote_bytes"] = json!(s.remote.map(|r| r.index.total_bytes()));
            value
        })
        .collect();
    pretty(&json!({ "remote": remote, "snapshots": list }))
}

/// One line per push.
pub fn push_line(outcome: &PushOutcome, remote: &str) -> String {
    if outcome.already_there {
        format!("{}: already in {remote}; nothing uploaded\n", outcome.id)
    } else {
        format!(
            "{}: pushed {} file(s), {}{} to {remote}\n",
            outcome.id,
            outcome.files,
            size(outcome.bytes),
            if outcome.encrypted { " encrypted" } else { "" }
        )
    }
}

/// What a pull did.
pub fn pull_line(outcome: &PullOutcome, remote: &str, shown_path: &str) -> String {
    let id = &outcome.snapshot.manifest.id;
    if outcome.already_local {
        format!("{id}: already in the local store ({shown_path}); nothing downloaded\n")
    } else {
        format!(
            "{id}: pulled {} file(s), {} from {remote}, verified\n  saved in {shown_path}\n",
            outcome.files,
            size(outcome.bytes)
        )
    }
}

/// The line `prune --remote` adds for abandoned pushes; `None` when there were none.
pub fn abandoned_line(abandoned: &[String], dry_run: bool) -> Option<String> {
    if abandoned.is_empty() {
        return None;
    }
    Some(format!(
        "{} the objects of {} interrupted push(es) older than {} h: {}\n",
        if dry_run { "would remove" } else { "removed" },
        abandoned.len(),
        crate::remote::prune::ABANDONED_AFTER_HOURS,
        abandoned.join(", ")
    ))
}
