//! The snapshot's folder on disk: private (0600/0700) files and folders, JSON files, and the
//! hidden temporary folder that is renamed into place when complete.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::IoError;
use crate::snapshot::SnapshotError;

/// Creates a file readable by its owner only (0600).
pub(in crate::snapshot) fn create_file_private(path: &Utf8Path) -> Result<File, SnapshotError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(IoError::at("creating", path))
        .map_err(SnapshotError::Io)
}

/// Creates a folder (0700); `recursive` also creates missing parents.
pub(in crate::snapshot) fn create_dir_private(
    path: &Utf8Path,
    recursive: bool,
) -> Result<(), SnapshotError> {
    if recursive && path.is_dir() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(recursive)
        .mode(0o700)
        .create(path)
        .map_err(IoError::at("creating", path))
        .map_err(SnapshotError::Io)
}

pub(super) fn write_json<T: serde::Serialize>(
    path: &Utf8Path,
    value: &T,
) -> Result<(), SnapshotError> {
    let io_err = |source| {
        SnapshotError::Io(IoError {
            action: "writing",
            path: path.to_owned(),
            source,
        })
    };
    let mut file = create_file_private(path)?;
    serde_json::to_writer_pretty(&mut file, value).map_err(|e| io_err(e.into()))?;
    file.write_all(b"\n").map_err(io_err)?;
    file.sync_all().map_err(io_err)
}

/// The hidden folder a snapshot is written into; removed on drop unless persisted.
pub(super) struct TempDir {
    pub(super) path: Utf8PathBuf,
    persisted: bool,
}

impl TempDir {
    pub(super) fn create(store: &Utf8Path, id: &str) -> Result<TempDir, SnapshotError> {
        let path = store.join(format!(".tmp-{id}-{}", std::process::id()));
        create_dir_private(&path, false)?;
        Ok(TempDir {
            path,
            persisted: false,
        })
    }

    /// Renames the folder into place: from here on the snapshot is listed and immutable.
    pub(super) fn persist(mut self, target: &Utf8Path) -> Result<(), SnapshotError> {
        std::fs::rename(&self.path, target)
            .map_err(IoError::at("renaming the finished snapshot to", target))?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
