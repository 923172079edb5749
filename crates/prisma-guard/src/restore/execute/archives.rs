//! Upload archives: where an entry may land, and extracting an archive into the project.

use std::io::Read;

use camino::{Utf8Component, Utf8Path, Utf8PathBuf};

use super::file_check::open;
use super::report::FileResult;
use crate::error::IoError;
use crate::restore::RestoreError;
use crate::restore::plan::{FilePlan, Mode};

/// An archive entry's path as stored (lossy for non-UTF-8 names, which then match no folder).
pub(super) fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> std::io::Result<Utf8PathBuf> {
    Ok(Utf8PathBuf::from(
        entry.path()?.to_string_lossy().into_owned(),
    ))
}

/// An archive entry's path when it is relative, never climbs, and lies inside one of `folders`.
pub(super) fn entry_target(entry: &Utf8Path, folders: &[Utf8PathBuf]) -> Option<Utf8PathBuf> {
    let plain = entry
        .components()
        .all(|c| matches!(c, Utf8Component::Normal(_) | Utf8Component::CurDir));
    let inside = folders.iter().any(|f| entry.starts_with(f));
    (plain && inside).then(|| entry.components().collect())
}

/// Extracts one archive under `root`. `merge` keeps files that exist; the other modes overwrite.
pub(super) fn extract(
    dir: &Utf8Path,
    archive: &FilePlan,
    root: &Utf8Path,
    mode: Mode,
    dry_run: bool,
) -> Result<FileResult, RestoreError> {
    let path = dir.join(&archive.file);
    let decoder = zstd::Decoder::new(open(&path)?).map_err(IoError::at("extracting", &path))?;
    let mut tar = tar::Archive::new(decoder);
    let mut result = FileResult {
        group: archive.group.clone(),
        ..FileResult::default()
    };
    for entry in tar.entries().map_err(IoError::at("extracting", &path))? {
        let mut entry = entry.map_err(IoError::at("extracting", &path))?;
        let name = entry_path(&entry).map_err(IoError::at("extracting", &path))?;
        let relative =
            entry_target(&name, &archive.folders).ok_or_else(|| RestoreError::UnsafeEntry {
                archive: path.clone(),
                entry: name.to_string(),
            })?;
        let target = root.join(&relative);
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                if !dry_run {
                    std::fs::create_dir_all(&target).map_err(IoError::at("extracting", &target))?;
                }
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if target.exists() && mode == Mode::Merge {
                    result.existing += 1;
                    continue;
                }
                result.written += 1;
                if !dry_run {
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(IoError::at("extracting", parent))?;
                    }
                    entry
                        .unpack(&target)
                        .map_err(IoError::at("extracting", &target))?;
                }
            }
            _ => result.skipped += 1,
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_must_stay_inside_their_folders() {
        let folders = [Utf8PathBuf::from("public/uploads")];
        assert_eq!(
            entry_target(Utf8Path::new("public/uploads/a.png"), &folders),
            Some(Utf8PathBuf::from("public/uploads/a.png"))
        );
        assert!(entry_target(Utf8Path::new("public/uploads/../../etc/x"), &folders).is_none());
        assert!(entry_target(Utf8Path::new("/etc/passwd"), &folders).is_none());
        assert!(entry_target(Utf8Path::new("public/other/a.png"), &folders).is_none());
        assert!(entry_target(Utf8Path::new("public/uploadsX/a.png"), &folders).is_none());
    }
}
