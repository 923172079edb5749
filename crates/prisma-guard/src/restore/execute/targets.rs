//! Where an archive entry lands on disk, and whether it may be written there: the rules that
//! keep a restore from writing through or over a symlink, or replacing what exists in merge
//! mode. The file check runs them on every entry before the database transaction; the
//! extraction runs them again as it writes, and creates folders one level at a time.
//!
//! - Every existing component of the entry's path below the project root, but the entry's own
//!   last one, must be a real folder: a symlink (to a folder or dangling) or a file there
//!   refuses the entry.
//! - In merge mode an entry whose path exists, as anything (file, folder, symlink, dangling
//!   symlink, special file), is kept: nothing is replaced.
//! - In the other modes a file entry overwrites only a regular file and a folder entry meets
//!   only a folder; a symlink or anything else there refuses the entry.

use std::io::ErrorKind;

use camino::{Utf8Path, Utf8PathBuf};

use crate::restore::plan::Mode;
use crate::snapshot::archive::paths::EntryKind;

/// What a restore does with one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// Create it (nothing is there), or overwrite the regular file there (upsert, replace).
    Write,
    /// Leave what is there: any existing entry in merge mode, an existing folder otherwise.
    Keep,
}

/// Why an entry may not be written: the path on disk (relative to the project root) and what is
/// wrong there, in words that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refused {
    /// The path on disk, relative to the project root.
    pub path: Utf8PathBuf,
    /// `is a symlink; a restore never writes through or over one`, ...
    pub problem: String,
}

const SYMLINK: &str = "is a symlink; a restore never writes through or over one";

/// Decides what to do with the entry `relative` (plain names, see
/// [`crate::snapshot::archive::paths::entry_target`]) of kind `kind` under `root` in `mode`,
/// reading what exists on the way (never following a symlink).
pub(super) fn target(
    root: &Utf8Path,
    relative: &Utf8Path,
    kind: EntryKind,
    mode: Mode,
) -> Result<Target, Refused> {
    let names: Vec<&str> = relative.iter().collect();
    let mut shown = Utf8PathBuf::new();
    for (index, name) in names.iter().enumerate() {
        shown.push(name);
        let refuse = |problem: &str| Refused {
            path: shown.clone(),
            problem: problem.to_string(),
        };
        let found = match std::fs::symlink_metadata(root.join(&shown)) {
            Ok(meta) => meta.file_type(),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Target::Write),
            Err(e) => return Err(refuse(&format!("cannot be read ({e})"))),
        };
        let last = index + 1 == names.len();
        if !last {
            if found.is_symlink() {
                return Err(refuse(SYMLINK));
            }
            if !found.is_dir() {
                return Err(refuse("is not a folder"));
            }
            continue;
        }
        if mode == Mode::Merge {
            return Ok(Target::Keep);
        }
        if found.is_symlink() {
            return Err(refuse(SYMLINK));
        }
        return match (kind, found.is_dir(), found.is_file()) {
            (EntryKind::Folder, true, _) => Ok(Target::Keep),
            (EntryKind::Folder, false, _) => Err(refuse(
                "is not a folder, and the archive holds a folder there",
            )),
            (EntryKind::File, _, true) => Ok(Target::Write),
            (EntryKind::File, true, _) => {
                Err(refuse("is a folder, and the archive holds a file there"))
            }
            (EntryKind::File, false, false) => Err(refuse("is not a regular file")),
        };
    }
    // An empty path is never an entry target (it names no file).
    Err(Refused {
        path: relative.to_owned(),
        problem: "is not a path inside a folder".into(),
    })
}

/// Creates the folders of `relative` under `root` one level at a time, each only after checking
/// that what exists there is a real folder (not a symlink).
pub(super) fn create_folders(root: &Utf8Path, relative: &Utf8Path) -> std::io::Result<()> {
    let mut path = root.to_owned();
    for name in relative {
        path.push(name);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_dir() => continue,
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(std::io::Error::other(format!("{path} {SYMLINK}")));
            }
            Ok(_) => return Err(std::io::Error::other(format!("{path} is not a folder"))),
            Err(e) if e.kind() == ErrorKind::NotFound => std::fs::create_dir(&path)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    /// A project whose `public/uploads` holds a file, a folder, a symlink to the folder
    /// `outside` (returned) and a dangling symlink.
    fn project() -> (tempfile::TempDir, Utf8PathBuf, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let base = Utf8Path::from_path(dir.path()).unwrap();
        let (root, outside) = (base.join("project"), base.join("outside"));
        std::fs::create_dir_all(root.join("public/uploads/real")).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(root.join("public/uploads/a.png"), b"a").unwrap();
        symlink(&outside, root.join("public/uploads/sub")).unwrap();
        symlink("nowhere", root.join("public/uploads/dangling")).unwrap();
        (dir, root, outside)
    }

    fn check(root: &Utf8Path, entry: &str, kind: EntryKind, mode: Mode) -> Result<Target, Refused> {
        target(root, Utf8Path::new(entry), kind, mode)
    }

    #[test]
    fn new_paths_are_written_and_merge_keeps_anything_that_exists() {
        let (_dir, root, _) = project();
        for mode in [Mode::Merge, Mode::Upsert, Mode::Replace] {
            let new = check(&root, "public/uploads/new/b.png", EntryKind::File, mode);
            assert_eq!(new, Ok(Target::Write));
        }
        for entry in [
            "public/uploads/a.png",
            "public/uploads/real",
            "public/uploads/sub",
            "public/uploads/dangling",
        ] {
            for kind in [EntryKind::File, EntryKind::Folder] {
                assert_eq!(
                    check(&root, entry, kind, Mode::Merge),
                    Ok(Target::Keep),
                    "{entry}"
                );
            }
        }
    }

    #[test]
    fn nothing_is_written_through_a_symlink() {
        let (_dir, root, _) = project();
        for mode in [Mode::Merge, Mode::Upsert] {
            let err = check(&root, "public/uploads/sub/x.png", EntryKind::File, mode).unwrap_err();
            assert_eq!(err.path, "public/uploads/sub");
            assert_eq!(err.problem, SYMLINK);
            let err =
                check(&root, "public/uploads/dangling/x", EntryKind::Folder, mode).unwrap_err();
            assert_eq!(err.path, "public/uploads/dangling");
        }
        let err = check(
            &root,
            "public/uploads/a.png/x",
            EntryKind::File,
            Mode::Merge,
        )
        .unwrap_err();
        assert_eq!(
            (err.path.as_str(), err.problem.as_str()),
            ("public/uploads/a.png", "is not a folder")
        );
    }

    #[test]
    fn overwriting_modes_replace_only_regular_files() {
        let (_dir, root, _) = project();
        let file = |entry| check(&root, entry, EntryKind::File, Mode::Upsert);
        assert_eq!(file("public/uploads/a.png"), Ok(Target::Write));
        assert_eq!(
            file("public/uploads/dangling").unwrap_err().problem,
            SYMLINK
        );
        assert_eq!(file("public/uploads/sub").unwrap_err().problem, SYMLINK);
        assert_eq!(
            file("public/uploads/real").unwrap_err().problem,
            "is a folder, and the archive holds a file there"
        );
        let folder = |entry| check(&root, entry, EntryKind::Folder, Mode::Replace);
        assert_eq!(folder("public/uploads/real"), Ok(Target::Keep));
        assert_eq!(
            folder("public/uploads/a.png").unwrap_err().problem,
            "is not a folder, and the archive holds a folder there"
        );
        assert_eq!(folder("public/uploads/sub").unwrap_err().problem, SYMLINK);
    }

    #[test]
    fn folders_are_created_only_below_real_folders() {
        let (_dir, root, outside) = project();
        create_folders(&root, Utf8Path::new("public/uploads/new/deeper")).unwrap();
        assert!(root.join("public/uploads/new/deeper").is_dir());
        let err = create_folders(&root, Utf8Path::new("public/uploads/sub/x")).unwrap_err();
        assert!(
            err.to_string().ends_with(
                "public/uploads/sub is a symlink; a restore never writes through or over one"
            ),
            "{err}"
        );
        assert_eq!(
            outside.read_dir().unwrap().count(),
            0,
            "nothing was created outside"
        );
    }
}
