//! The snapshot's folder on disk: private (0600/0700) files and folders, JSON files, and the
//! hidden temporary folder that is renamed into place when complete.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Write};
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

fn write_json<T: serde::Serialize>(path: &Utf8Path, value: &T) -> Result<(), SnapshotError> {
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

/// How many names [`TempDir::persist_unique`] tries (`<id>`, `<id>-2`, ...) before giving up.
const MAX_SUFFIX: u32 = 1000;

/// The hidden folder a snapshot is written into; removed on drop unless persisted.
pub(super) struct TempDir {
    pub(super) path: Utf8PathBuf,
    persisted: bool,
}

impl TempDir {
    /// Creates `.tmp-<pid>-<start>-<id>` in `store` (with `-2`, `-3`, ... should this process
    /// already have one of that name), naming this process as its owner
    /// ([`crate::owner::Owner::tag`]) so that a later run can tell a leftover from a folder
    /// still being written.
    pub(super) fn create(store: &Utf8Path, id: &str) -> Result<TempDir, SnapshotError> {
        let owner = crate::owner::Owner::current().tag();
        let base = store.join(format!(
            "{}{owner}-{id}",
            crate::snapshot::store::TEMP_PREFIX
        ));
        let mut path = base.clone();
        let mut n = 1;
        loop {
            match create_dir_private(&path, false) {
                Ok(()) => break,
                Err(SnapshotError::Io(e))
                    if e.source.kind() == ErrorKind::AlreadyExists && n < MAX_SUFFIX =>
                {
                    n += 1;
                    path = Utf8PathBuf::from(format!("{base}-{n}"));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(TempDir {
            path,
            persisted: false,
        })
    }

    /// Renames the folder into place as `store/<id>`, or `<id>-2`, `<id>-3`, ... when another
    /// snapshot took the name first: a rename onto an existing folder that is not empty fails,
    /// so each name is claimed atomically and a lost race only moves on to the next. Before
    /// each try `finish(folder, id)` writes the files that record the id (manifest, sidecar).
    /// From here on the snapshot is listed and immutable. Returns the id it got.
    ///
    /// Errors: what `finish` returns, [`SnapshotError::Io`] when renaming fails otherwise.
    pub(super) fn persist_unique(
        mut self,
        store: &Utf8Path,
        id: &str,
        mut finish: impl FnMut(&Utf8Path, &str) -> Result<(), SnapshotError>,
    ) -> Result<String, SnapshotError> {
        let mut target = store.join(id);
        for n in 1..=MAX_SUFFIX {
            let candidate = if n == 1 {
                id.to_string()
            } else {
                format!("{id}-{n}")
            };
            target = store.join(&candidate);
            // Skip names in use without rewriting the files; the rename below is the real claim.
            if std::fs::symlink_metadata(&target).is_ok() {
                continue;
            }
            finish(&self.path, &candidate)?;
            match std::fs::rename(&self.path, &target) {
                Ok(()) => {
                    self.persisted = true;
                    return Ok(candidate);
                }
                Err(e) if name_taken(&e) => continue,
                Err(e) => {
                    return Err(IoError::at("renaming the finished snapshot to", &target)(e).into());
                }
            }
        }
        let taken = std::io::Error::new(
            ErrorKind::AlreadyExists,
            format!("{MAX_SUFFIX} snapshots of this name already exist"),
        );
        Err(IoError::at("renaming the finished snapshot to", &target)(taken).into())
    }
}

/// A rename failed because something already holds the target name.
fn name_taken(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::AlreadyExists | ErrorKind::DirectoryNotEmpty | ErrorKind::NotADirectory
    )
}

/// Writes `value` as JSON to `path`, replacing the file if it is there.
pub(super) fn rewrite_json<T: serde::Serialize>(
    path: &Utf8Path,
    value: &T,
) -> Result<(), SnapshotError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            return Err(IoError::at("replacing", path)(e).into());
        }
        _ => {}
    }
    write_json(path, value)
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_taken_during_the_rename_moves_on_and_rewrites_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Utf8Path::from_path(dir.path()).unwrap();
        // Taken before: skipped without a try.
        std::fs::create_dir(store.join("s")).unwrap();
        std::fs::write(store.join("s/manifest.json"), "{}").unwrap();
        let temp = TempDir::create(store, "s").unwrap();
        assert!(
            temp.path
                .file_name()
                .unwrap()
                .starts_with(&format!(".tmp-{}-s", crate::owner::Owner::current().tag()))
        );
        let mut tries = Vec::new();
        let id = temp
            .persist_unique(store, "s", |folder, id| {
                tries.push(id.to_string());
                if id == "s-2" {
                    // Another snapshot renames itself to s-2 between the check and the rename.
                    std::fs::create_dir(store.join("s-2")).unwrap();
                    std::fs::write(store.join("s-2/manifest.json"), "{}").unwrap();
                }
                rewrite_json(&folder.join("id.json"), &id)
            })
            .unwrap();
        assert_eq!(id, "s-3");
        assert_eq!(tries, ["s-2", "s-3"]);
        let written: String =
            serde_json::from_str(&std::fs::read_to_string(store.join("s-3/id.json")).unwrap())
                .unwrap();
        assert_eq!(written, "s-3");
        let names: Vec<String> = store
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string())
            .collect();
        assert_eq!(names.len(), 3, "no temporary folder is left: {names:?}");
    }
}
