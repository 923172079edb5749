//! The snapshot store: listing the complete snapshots in the backups folder and finding one.
//!
//! A snapshot is listed only when its folder holds a readable manifest; hidden folders (the
//! temporary ones being written) and anything else are ignored.

use camino::{Utf8Path, Utf8PathBuf};

use super::SnapshotError;
use super::manifest::{MANIFEST_FILE, Manifest};
use super::sidecar::{MigrationInfo, SIDECAR_FILE};
use crate::error::IoError;

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
