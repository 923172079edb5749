//! `files/<group>.tar.zst`: configured upload folders, archived with their paths relative to the
//! project root so a restore puts each file back where it was; [`paths`] holds the rules of what
//! an archive may hold and where.

pub mod paths;

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use super::SnapshotError;
use super::csv::Hashing;
use super::manifest::FileArchive;
use super::write::{create_dir_private, create_file_private};
use crate::error::IoError;

/// Archives each group's folders into `<dir>/files/<group>.tar.zst`; groups are archived in name
/// order. A folder that does not exist is archived as empty (and the group still gets its
/// archive, so a restore knows there was nothing). Only folders and regular files are archived,
/// in name order: symlinks (never followed below the folder) and special files are left out, as
/// a restore writes nothing else. `entries` counts the regular files.
///
/// Errors: [`SnapshotError::Io`] naming the file that could not be read or written.
pub fn write_all(
    dir: &Utf8Path,
    project_root: &Utf8Path,
    groups: &BTreeMap<String, Vec<Utf8PathBuf>>,
    level: i32,
) -> Result<Vec<FileArchive>, SnapshotError> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    create_dir_private(&dir.join("files"), false)?;
    groups
        .iter()
        .map(|(group, folders)| write_group(dir, project_root, group, folders, level))
        .collect()
}

fn write_group(
    dir: &Utf8Path,
    project_root: &Utf8Path,
    group: &str,
    folders: &[Utf8PathBuf],
    level: i32,
) -> Result<FileArchive, SnapshotError> {
    let file = Utf8PathBuf::from(format!("files/{group}.tar.zst"));
    let path = dir.join(&file);
    let out = create_file_private(&path)?;
    let encoder =
        zstd::Encoder::new(Hashing::new(out), level).map_err(IoError::at("archiving", &path))?;
    let mut tar = tar::Builder::new(encoder);
    tar.follow_symlinks(false);
    let mut entries = 0;
    for folder in folders {
        let source = project_root.join(folder);
        if source.is_dir() {
            entries += append_tree(&mut tar, &source, folder)?;
        }
    }
    let encoder = tar.into_inner().map_err(IoError::at("archiving", &path))?;
    let (file_out, bytes, sha256) = encoder
        .finish()
        .map_err(IoError::at("archiving", &path))?
        .finish();
    file_out
        .sync_all()
        .map_err(IoError::at("archiving", &path))?;
    Ok(FileArchive {
        group: group.to_string(),
        folders: folders.to_vec(),
        file,
        entries,
        bytes,
        sha256,
    })
}

/// Appends the folder `source` as `name`, then its folders and regular files, in name order;
/// returns the regular files appended.
fn append_tree<W: std::io::Write>(
    tar: &mut tar::Builder<W>,
    source: &Utf8Path,
    name: &Utf8Path,
) -> Result<u64, SnapshotError> {
    tar.append_dir(name, source)
        .map_err(IoError::at("archiving", source))?;
    let mut children = source
        .read_dir_utf8()
        .and_then(|read| read.collect::<Result<Vec<_>, _>>())
        .map_err(IoError::at("archiving", source))?;
    children.sort_by(|a, b| a.file_name().cmp(b.file_name()));
    let mut files = 0;
    for child in children {
        let path = name.join(child.file_name());
        // The entry's own type: a symlink is not followed.
        let kind = child
            .file_type()
            .map_err(IoError::at("archiving", child.path()))?;
        if kind.is_dir() {
            files += append_tree(tar, child.path(), &path)?;
        } else if kind.is_file() {
            tar.append_path_with_name(child.path(), &path)
                .map_err(IoError::at("archiving", child.path()))?;
            files += 1;
        }
    }
    Ok(files)
}

/// Every entry of a tar stream: its path (see [`paths::entry_path`]) and type, in archive order.
/// Reads up to the archive's end marker.
pub fn list_entries(
    reader: impl std::io::Read,
) -> std::io::Result<Vec<(Utf8PathBuf, tar::EntryType)>> {
    let mut tar = tar::Archive::new(reader);
    let mut entries = Vec::new();
    for entry in tar.entries()? {
        let entry = entry?;
        entries.push((paths::entry_path(&entry)?, entry.header().entry_type()));
    }
    Ok(entries)
}
