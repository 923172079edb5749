//! The snapshot store: listing the complete snapshots in the backups folder and finding one;
//! finding and removing the hidden folders interrupted runs left behind.
//!
//! A snapshot is listed only when its folder holds a readable manifest; hidden folders (the
//! temporary ones being written) and anything else are ignored.
//!
//! Hidden folders of ours name the process that made them ([`crate::owner`]):
//! `.tmp-<pid>-<start>-<id>` (a snapshot being written), `.replay-<pid>-<start>-<random>` (a
//! replay's carried-forward snapshot) and `.pruning-<pid>-<start>-<id>` (a pruned snapshot being
//! deleted). [`leftovers`] lists those whose owner has ended; [`remove_leftovers`] deletes them.
//! Older versions wrote `.tmp-<id>-<pid>` and `.pruning-<id>-<pid>` (owner alive while a
//! process with that pid exists) and `.replay-<random>`, which names no owner and is never
//! removed. Nothing else in the store is ever touched.

use camino::{Utf8Path, Utf8PathBuf};

use super::SnapshotError;
use super::manifest::{MANIFEST_FILE, Manifest};
use super::sidecar::{MigrationInfo, SIDECAR_FILE};
use crate::error::IoError;
use crate::owner::{Cleanup, Leftover, LeftoverKind, Owner};

/// The prefix of the hidden folder a snapshot is written into.
pub const TEMP_PREFIX: &str = ".tmp-";
/// The prefix of a replay's hidden folder.
pub const REPLAY_PREFIX: &str = ".replay-";
/// The prefix a pruned snapshot's folder is renamed to before it is deleted.
pub const PRUNING_PREFIX: &str = ".pruning-";

/// A complete snapshot in the store.
#[derive(Debug, Clone)]
pub struct StoredSnapshot {
    /// Its folder.
    pub path: Utf8PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Its sidecar (`None` if unreadable).
    pub sidecar: Option<MigrationInfo>,
}

/// The file the store keeps itself out of git with, written when the store is created.
pub const GITIGNORE: &str = ".gitignore";

const GITIGNORE_TEXT: &str = "# Written by prisma-guard: snapshots hold your data (password hashes, tokens, \
                              emails); never commit them.\n*\n";

/// Creates the store folder (0700, parents too) when it is missing, with a [`GITIGNORE`] that
/// ignores everything in it (itself included), so `git add -A` never stages a snapshot. An
/// existing folder is left as it is.
///
/// Errors: [`SnapshotError::Io`] naming the folder or the file.
pub fn create(store: &Utf8Path) -> Result<(), SnapshotError> {
    if store.is_dir() {
        return Ok(());
    }
    super::write::create_dir_private(store, true)?;
    let path = store.join(GITIGNORE);
    std::fs::write(&path, GITIGNORE_TEXT).map_err(crate::error::IoError::at("writing", &path))?;
    Ok(())
}

/// The files inside snapshot folders of `store` that git tracks in the repository around
/// `project_root` (`git ls-files`), relative to the project root. Empty when the project is not
/// in a git work tree or git is not installed: this is a warning, never an error.
pub fn tracked_by_git(project_root: &Utf8Path, store: &Utf8Path) -> Vec<Utf8PathBuf> {
    let relative = store.strip_prefix(project_root).unwrap_or(store);
    let output = std::process::Command::new("git")
        .args(["ls-files", "-z", "--"])
        .arg(relative.as_str())
        .current_dir(project_root)
        .stderr(std::process::Stdio::null())
        .output();
    let Some(output) = output.ok().filter(|o| o.status.success()) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&output.stdout)
        .split('\0')
        .filter(|path| !path.is_empty())
        .map(Utf8PathBuf::from)
        // Files directly in the store (its README, .gitignore) are not snapshot data.
        .filter(|path| {
            path.strip_prefix(relative)
                .is_ok_and(|inner| inner.components().count() > 1)
        })
        .collect()
}

/// Lists the snapshots in `store`, oldest first. A missing store lists nothing.
///
/// Errors: [`SnapshotError::Io`] when the folder cannot be read; a folder with a corrupt or
/// unknown-format manifest is an error too (it is ours and cannot be trusted), naming it.
pub fn list(store: &Utf8Path) -> Result<Vec<StoredSnapshot>, SnapshotError> {
    if !store.is_dir() {
        return Ok(Vec::new());
    }
    let read_err = |source| IoError {
        action: "reading",
        path: store.to_owned(),
        source,
    };
    let mut snapshots = Vec::new();
    for entry in store.read_dir_utf8().map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let hidden = entry.file_name().starts_with('.');
        if hidden || !entry.path().join(MANIFEST_FILE).is_file() {
            continue;
        }
        snapshots.push(open(entry.path())?);
    }
    snapshots.sort_by(|a, b| {
        (a.manifest.created_at, &a.manifest.id).cmp(&(b.manifest.created_at, &b.manifest.id))
    });
    Ok(snapshots)
}

/// Reads one snapshot folder.
pub fn open(path: &Utf8Path) -> Result<StoredSnapshot, SnapshotError> {
    let manifest = Manifest::read(path)?;
    let sidecar = std::fs::read_to_string(path.join(SIDECAR_FILE))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    Ok(StoredSnapshot {
        path: path.to_owned(),
        manifest,
        sidecar,
    })
}

/// Finds a snapshot by id or unique id prefix.
///
/// Errors: [`SnapshotError::NotFound`], [`SnapshotError::Ambiguous`].
pub fn find(store: &Utf8Path, id: &str) -> Result<StoredSnapshot, SnapshotError> {
    let all = list(store)?;
    if let Some(exact) = all.iter().find(|s| s.manifest.id == id) {
        return Ok(exact.clone());
    }
    let matches: Vec<&StoredSnapshot> = all
        .iter()
        .filter(|s| s.manifest.id.starts_with(id))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(SnapshotError::NotFound {
            id: id.to_string(),
            store: store.to_owned(),
        }),
        many => Err(SnapshotError::Ambiguous {
            id: id.to_string(),
            matches: many
                .iter()
                .map(|s| s.manifest.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The newest snapshot. Errors with [`SnapshotError::Empty`] when there is none.
pub fn latest(store: &Utf8Path) -> Result<StoredSnapshot, SnapshotError> {
    list(store)?.pop().ok_or_else(|| SnapshotError::Empty {
        store: store.to_owned(),
    })
}

/// The hidden folders of ours in `store` ([module documentation](self)) whose owner has ended:
/// what [`remove_leftovers`] would remove. Folders of a live owner, hidden folders of other
/// names, files and symlinks are never listed. A missing store lists nothing.
///
/// Errors: [`SnapshotError::Io`] when the folder cannot be read.
pub fn leftovers(store: &Utf8Path) -> Result<Vec<Leftover>, SnapshotError> {
    if !store.is_dir() {
        return Ok(Vec::new());
    }
    let read_err = |source| IoError {
        action: "reading",
        path: store.to_owned(),
        source,
    };
    let mut found = Vec::new();
    for entry in store.read_dir_utf8().map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        // A symlink is not a folder of ours, whatever its name.
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Some((kind, owner)) = ours(entry.file_name()) else {
            continue;
        };
        if owner.is_alive() {
            continue;
        }
        found.push(Leftover {
            kind,
            name: entry.file_name().to_string(),
            pid: owner.pid,
            bytes: Some(size_on_disk(entry.path())),
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Removes the [`leftovers`] of `store` and returns what went. A folder that cannot be removed
/// is reported in [`Cleanup::failed`] and the others are still removed; one already gone (a
/// concurrent cleanup) is skipped.
///
/// Errors: [`SnapshotError::Io`] when the folder cannot be read.
pub fn remove_leftovers(store: &Utf8Path) -> Result<Cleanup, SnapshotError> {
    let mut cleanup = Cleanup::default();
    for leftover in leftovers(store)? {
        match std::fs::remove_dir_all(store.join(&leftover.name)) {
            Ok(()) => cleanup.removed.push(leftover),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let problem = IoError::at("removing", &store.join(&leftover.name))(e);
                cleanup.failed.push((leftover, problem.to_string()));
            }
        }
    }
    Ok(cleanup)
}

/// The kind and owner of a hidden folder of ours, from its name.
fn ours(name: &str) -> Option<(LeftoverKind, Owner)> {
    let (kind, rest, legacy) = [
        (TEMP_PREFIX, LeftoverKind::SnapshotFolder, true),
        (REPLAY_PREFIX, LeftoverKind::ReplayFolder, false),
        (PRUNING_PREFIX, LeftoverKind::PruningFolder, true),
    ]
    .into_iter()
    .find_map(|(prefix, kind, legacy)| Some((kind, name.strip_prefix(prefix)?, legacy)))?;
    if legacy && starts_with_snapshot_time(rest) {
        // `<id>-<pid>` of older versions: no start time recorded.
        let pid = rest.rsplit('-').next()?;
        let pid = pid.bytes().all(|b| b.is_ascii_digit()).then_some(pid)?;
        return Some((
            kind,
            Owner {
                pid: pid.parse().ok()?,
                start: 0,
            },
        ));
    }
    Owner::parse_tag(rest).map(|(owner, _)| (kind, owner))
}

/// Whether `text` starts like a snapshot id (`2026-11-20T…`), which an owner tag never does.
fn starts_with_snapshot_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() > 11
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && b[10] == b'T'
}

/// Bytes of the regular files under `path`, symlinks not followed.
fn size_on_disk(path: &Utf8Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return if meta.is_file() { meta.len() } else { 0 };
    }
    let Ok(entries) = path.read_dir_utf8() else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| size_on_disk(entry.path()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(name: &str) -> Option<(LeftoverKind, u32, u64)> {
        ours(name).map(|(kind, owner)| (kind, owner.pid, owner.start))
    }

    #[test]
    fn names_of_ours_and_their_owners() {
        use LeftoverKind::*;
        let id = "2026-11-20T10-30-45Z-manual";
        assert_eq!(
            owner(&format!(".tmp-41-977-{id}")),
            Some((SnapshotFolder, 41, 977))
        );
        assert_eq!(
            owner(&format!(".tmp-{id}-2-4242")),
            Some((SnapshotFolder, 4242, 0)),
            "an older version's name"
        );
        assert_eq!(
            owner(".replay-41-977-Ab3xYz"),
            Some((ReplayFolder, 41, 977))
        );
        assert_eq!(
            owner(".replay-Ab3xYz"),
            None,
            "names no owner: never ours to remove"
        );
        assert_eq!(
            owner(&format!(".pruning-7-8-{id}")),
            Some((PruningFolder, 7, 8))
        );
        assert_eq!(
            owner(&format!(".pruning-{id}-99")),
            Some((PruningFolder, 99, 0))
        );
        for foreign in [
            ".tmp-x",
            ".git",
            ".tmp-",
            "tmp-1-2-x",
            ".cache-1-2",
            ".tmp-1-x-y",
        ] {
            assert_eq!(owner(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn only_folders_of_ended_owners_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Utf8Path::from_path(dir.path()).unwrap();
        let me = Owner::current();
        let gone = Owner {
            pid: me.pid,
            start: me.start + 1,
        };
        let names = [
            format!(".tmp-{}-x", me.tag()),
            format!(".replay-{}-x", me.tag()),
            format!(".tmp-{}-x", gone.tag()),
            format!(".replay-{}-y", gone.tag()),
            ".replay-abcdef".to_string(),
            ".tmp-x".to_string(),
            "notes".to_string(),
        ];
        for name in &names {
            std::fs::create_dir(store.join(name)).unwrap();
            std::fs::write(store.join(name).join("f"), "12345").unwrap();
        }
        // A symlink named like ours points elsewhere: never followed or removed.
        std::os::unix::fs::symlink(
            store.join("notes"),
            store.join(format!(".tmp-{}-l", gone.tag())),
        )
        .unwrap();
        let cleanup = remove_leftovers(store).unwrap();
        let removed: Vec<&str> = cleanup.removed.iter().map(|l| l.name.as_str()).collect();
        if me.start == 0 {
            assert!(removed.is_empty(), "an unknown start time removes nothing");
            return;
        }
        assert_eq!(
            removed,
            [names[3].as_str(), names[2].as_str()],
            "sorted by name"
        );
        assert!(cleanup.removed.iter().all(|l| l.bytes == Some(5)));
        assert!(cleanup.failed.is_empty());
        let mut left: Vec<String> = store
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string())
            .collect();
        left.sort();
        let mut expected: Vec<String> = [0, 1, 4, 5, 6].iter().map(|&i| names[i].clone()).collect();
        expected.push(format!(".tmp-{}-l", gone.tag()));
        expected.sort();
        assert_eq!(left, expected);
        assert!(store.join("notes/f").is_file());
    }
}
