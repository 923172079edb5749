//! Removing what a plan does not keep from the store on disk, after checking each folder.

use std::collections::HashSet;

use camino::{Utf8Component, Utf8Path, Utf8PathBuf};
use serde::Serialize;

use super::{Decision, PruneError};
use crate::error::IoError;
use crate::snapshot::manifest::{MANIFEST_FILE, Manifest};

/// A snapshot [`apply`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// The snapshot id.
    pub id: String,
    /// Bytes of data files and archives it held (from its manifest).
    pub bytes: u64,
}

/// Removes the snapshots that `decisions` do not keep from `store`, and returns them.
///
/// Before anything is removed, every removal is checked against the store as it is now: the id
/// must be a snapshot [`crate::snapshot::list`] returns (a complete snapshot of ours, not
/// hidden, not a foreign folder), not the newest one, and not tagged `--keep`; otherwise nothing
/// is removed ([`PruneError::NotASnapshot`], [`PruneError::Protected`]). Each folder is then
/// checked once more (a real folder, directly inside `store`, whose manifest has this id),
/// renamed to a hidden `.pruning-<pid>-<start>-<id>` so it stops being listed at once, and
/// deleted with `remove_dir_all`.
/// Errors: [`PruneError::Snapshot`] when the store cannot be read, [`PruneError::Remove`]
/// when deleting fails (the ones before it stay removed).
pub fn apply(store: &Utf8Path, decisions: &[Decision]) -> Result<Vec<Removed>, PruneError> {
    let listed = crate::snapshot::list(store)?;
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
        // Named after this process, so a prune killed before the delete finished leaves a
        // folder the next run recognises and removes (`store::remove_leftovers`).
        let hidden = store.join(format!(
            "{}{}-{id}",
            crate::snapshot::store::PRUNING_PREFIX,
            crate::owner::Owner::current().tag()
        ));
        std::fs::rename(&path, &hidden).map_err(IoError::at("removing", &path))?;
        std::fs::remove_dir_all(&hidden).map_err(IoError::at("removing", &hidden))?;
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
