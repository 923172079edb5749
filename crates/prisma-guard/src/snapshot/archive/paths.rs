//! What an upload archive may hold, and where: an archive folder is a relative path inside the
//! project root (not empty, not absolute, no `..`), an entry lies inside one of its archive's
//! folders, and only regular files and folders are entries a restore writes. Pure: the rules
//! config loading, `snapshots verify` and a restore share.

use camino::{Utf8Component, Utf8Path, Utf8PathBuf};

/// Why a path cannot be an upload folder. Its text follows the folder's name:
/// "`..` climbs out of the project with `..`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FolderProblem {
    /// `""`.
    #[error("is empty")]
    Empty,
    /// `/srv/uploads`.
    #[error("is absolute")]
    Absolute,
    /// `../shared/uploads`, `public/../../x`.
    #[error("climbs out of the project with `..`")]
    Climbs,
    /// `.`: every file of the project would be inside it.
    #[error("is the project root itself")]
    Root,
}

/// `folder` as plain names (`./public/uploads/` is `public/uploads`), or why it is not a folder
/// inside the project root.
pub fn plain_folder(folder: &Utf8Path) -> Result<Utf8PathBuf, FolderProblem> {
    if folder.as_str().is_empty() {
        return Err(FolderProblem::Empty);
    }
    let mut plain = Utf8PathBuf::new();
    for component in folder.components() {
        match component {
            Utf8Component::Normal(name) => plain.push(name),
            Utf8Component::CurDir => {}
            Utf8Component::ParentDir => return Err(FolderProblem::Climbs),
            Utf8Component::RootDir | Utf8Component::Prefix(_) => {
                return Err(FolderProblem::Absolute);
            }
        }
    }
    if plain.as_str().is_empty() {
        Err(FolderProblem::Root)
    } else {
        Ok(plain)
    }
}

/// An archive entry's path as stored (lossy for non-UTF-8 names).
pub fn entry_path<R: std::io::Read>(entry: &tar::Entry<'_, R>) -> std::io::Result<Utf8PathBuf> {
    Ok(Utf8PathBuf::from(
        entry.path()?.to_string_lossy().into_owned(),
    ))
}

/// An archive entry's path as plain names when it is relative, never climbs, and lies inside
/// (or is) one of `folders`; `None` otherwise. A folder that is not a [`plain_folder`] holds
/// nothing.
pub fn entry_target(entry: &Utf8Path, folders: &[Utf8PathBuf]) -> Option<Utf8PathBuf> {
    let plain = entry
        .components()
        .all(|c| matches!(c, Utf8Component::Normal(_) | Utf8Component::CurDir));
    let target: Utf8PathBuf = entry
        .components()
        .filter(|c| matches!(c, Utf8Component::Normal(_)))
        .collect();
    let inside = folders
        .iter()
        .filter_map(|f| plain_folder(f).ok())
        .any(|f| target.starts_with(f));
    (plain && inside).then_some(target)
}

/// The two kinds of archive entry a restore writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Folder,
}

/// The kind of an archive entry a restore writes, or what else it is, in words (`a symlink`,
/// `a hard link`, `a character device`, ...): such an entry is refused.
pub fn entry_kind(kind: tar::EntryType) -> Result<EntryKind, String> {
    use tar::EntryType;
    match kind {
        EntryType::Regular | EntryType::Continuous => Ok(EntryKind::File),
        EntryType::Directory => Ok(EntryKind::Folder),
        EntryType::Symlink => Err("a symlink".into()),
        EntryType::Link => Err("a hard link".into()),
        EntryType::Char => Err("a character device".into()),
        EntryType::Block => Err("a block device".into()),
        EntryType::Fifo => Err("a named pipe".into()),
        EntryType::GNUSparse => Err("a sparse file".into()),
        other => Err(format!(
            "an entry of tar type {:?}",
            char::from(other.as_byte())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_a_relative_path_inside_the_project() {
        let plain = |f: &str| plain_folder(Utf8Path::new(f));
        assert_eq!(plain("public/uploads"), Ok("public/uploads".into()));
        assert_eq!(plain("./public/uploads/"), Ok("public/uploads".into()));
        assert_eq!(plain(""), Err(FolderProblem::Empty));
        assert_eq!(plain("."), Err(FolderProblem::Root));
        assert_eq!(plain("./"), Err(FolderProblem::Root));
        assert_eq!(plain("/srv/uploads"), Err(FolderProblem::Absolute));
        assert_eq!(plain("/"), Err(FolderProblem::Absolute));
        assert_eq!(plain(".."), Err(FolderProblem::Climbs));
        assert_eq!(plain("../shared/uploads"), Err(FolderProblem::Climbs));
        assert_eq!(plain("public/../../x"), Err(FolderProblem::Climbs));
        // Climbing back in is refused too: the rule is "no `..`", not "ends up inside".
        assert_eq!(
            plain("public/../public/uploads"),
            Err(FolderProblem::Climbs)
        );
    }

    #[test]
    fn problems_read_after_the_folder() {
        assert_eq!(FolderProblem::Empty.to_string(), "is empty");
        assert_eq!(
            FolderProblem::Climbs.to_string(),
            "climbs out of the project with `..`"
        );
    }

    #[test]
    fn entries_must_stay_inside_their_folders() {
        let folders = [Utf8PathBuf::from("public/uploads")];
        let target = |e: &str| entry_target(Utf8Path::new(e), &folders);
        assert_eq!(
            target("public/uploads/a.png"),
            Some("public/uploads/a.png".into())
        );
        assert_eq!(
            target("./public/uploads/a.png"),
            Some("public/uploads/a.png".into())
        );
        assert_eq!(target("public/uploads"), Some("public/uploads".into()));
        assert_eq!(target("public/uploads/../../etc/x"), None);
        assert_eq!(target("/etc/passwd"), None);
        assert_eq!(target("public/other/a.png"), None);
        assert_eq!(target("public/uploadsX/a.png"), None);
        assert_eq!(target("public"), None);
    }

    #[test]
    fn an_unsafe_folder_holds_nothing() {
        for folder in ["", ".", "..", "/", "/etc", "../x"] {
            let folders = [Utf8PathBuf::from(folder)];
            for entry in [".git/hooks/pre-commit", "Cargo.toml", "x/a", "etc/passwd"] {
                assert_eq!(
                    entry_target(Utf8Path::new(entry), &folders),
                    None,
                    "{folder:?} holds {entry}"
                );
            }
        }
    }

    #[test]
    fn only_files_and_folders_are_written() {
        use tar::EntryType;
        assert_eq!(entry_kind(EntryType::Regular), Ok(EntryKind::File));
        assert_eq!(entry_kind(EntryType::Directory), Ok(EntryKind::Folder));
        assert_eq!(entry_kind(EntryType::Symlink), Err("a symlink".into()));
        assert_eq!(entry_kind(EntryType::Link), Err("a hard link".into()));
        assert_eq!(entry_kind(EntryType::Block), Err("a block device".into()));
        assert_eq!(entry_kind(EntryType::Fifo), Err("a named pipe".into()));
    }
}
