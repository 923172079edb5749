//! `files/<group>.tar.zst`: configured upload folders, archived with their paths relative to the
//! project root so a restore puts each file back where it was.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use super::SnapshotError;
use super::csv::Hashing;
use super::manifest::FileArchive;
use super::write::{create_dir_private, create_file_private};
use crate::error::IoError;

/// Archives each group's folders into `<dir>/files/<group>.tar.zst`; groups are archived in name
/// order. A folder that does not exist is archived as empty (and the group still gets its
/// archive, so a restore knows there was nothing). Symlinks are stored as links, not followed.
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
            entries += count_files(&source);
            tar.append_dir_all(folder, &source)
                .map_err(IoError::at("archiving", &source))?;
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

fn count_files(dir: &Utf8Path) -> u64 {
    let Ok(read) = dir.read_dir_utf8() else {
        return 0;
    };
    read.filter_map(Result::ok)
        .map(|entry| match entry.file_type() {
            Ok(t) if t.is_dir() => count_files(entry.path()),
            Ok(_) => 1,
            Err(_) => 0,
        })
        .sum()
}
