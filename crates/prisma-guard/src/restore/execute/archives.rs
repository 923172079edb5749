//! Extracting an upload archive into the project, after the database commit. The file check has
//! already refused anything unsafe; the same rules ([`super::targets`]) are applied again to
//! each entry as it is written, so a symlink that appeared in between is never followed.
//! Files are created new (never opened through a link) with default permissions: an archive's
//! modes, owners and times are not applied.

use std::io::{ErrorKind, Read};

use camino::{Utf8Path, Utf8PathBuf};

use super::file_check::open;
use super::report::FileResult;
use super::targets::{Target, create_folders, target};
use crate::error::IoError;
use crate::restore::RestoreError;
use crate::restore::plan::{FilePlan, Mode};
use crate::snapshot::archive::paths::{EntryKind, entry_kind, entry_path, entry_target};

/// Extracts one archive under `root`. `merge` keeps every entry that exists; the other modes
/// overwrite regular files. A dry run only counts.
///
/// Errors: [`RestoreError::UnsafeEntry`] / [`RestoreError::EntryType`] for an entry the file
/// check would have refused, [`RestoreError::Io`] for a write that fails, or a path that stopped
/// being safe since the check (the database restore is committed by then).
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
        let kind =
            entry_kind(entry.header().entry_type()).map_err(|kind| RestoreError::EntryType {
                archive: path.clone(),
                entry: name.to_string(),
                kind,
            })?;
        let decision = target(root, &relative, kind, mode).map_err(|refused| IoError {
            action: "extracting",
            path: root.join(&refused.path),
            source: std::io::Error::other(format!(
                "{} {} (it changed since the check)",
                refused.path, refused.problem
            )),
        })?;
        let file = kind == EntryKind::File;
        if decision == Target::Keep {
            result.existing += u64::from(file);
            continue;
        }
        if dry_run {
            result.written += u64::from(file);
            continue;
        }
        let destination = root.join(&relative);
        if !file {
            create_folders(root, &relative).map_err(IoError::at("extracting", &destination))?;
            continue;
        }
        if let Some(parent) = relative.parent() {
            create_folders(root, parent).map_err(IoError::at("extracting", &destination))?;
        }
        if write_file(&mut entry, &destination, mode)? {
            result.written += 1;
        } else {
            result.existing += 1;
        }
    }
    Ok(result)
}

/// Writes one file: created new, so a symlink put there since the check is not followed. In
/// merge mode a file that appeared meanwhile is kept (returns false); otherwise the regular
/// file there is removed first.
fn write_file(
    entry: &mut impl Read,
    destination: &Utf8PathBuf,
    mode: Mode,
) -> Result<bool, RestoreError> {
    if mode != Mode::Merge {
        match std::fs::symlink_metadata(destination) {
            Ok(meta) if meta.file_type().is_file() => {
                std::fs::remove_file(destination).map_err(IoError::at("extracting", destination))?
            }
            _ => {}
        }
    }
    let mut out = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(destination)
    {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::AlreadyExists && mode == Mode::Merge => return Ok(false),
        Err(e) => return Err(IoError::at("extracting", destination)(e).into()),
    };
    std::io::copy(entry, &mut out).map_err(IoError::at("extracting", destination))?;
    Ok(true)
}
