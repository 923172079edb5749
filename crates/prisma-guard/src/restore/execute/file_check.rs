//! The file check: every data file and archive of a plan against the manifest's size and
//! SHA-256, and every archive entry against where it would land, before anything is written.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use super::targets::target;
use crate::restore::RestoreError;
use crate::restore::plan::{FilePlan, Mode, RestorePlan};
use crate::snapshot::archive::list_entries;
use crate::snapshot::archive::paths::{EntryKind, entry_kind, entry_target, plain_folder};
use crate::snapshot::csv::Hashing;

/// Checks every data file and archive of the plan against the manifest (size and SHA-256), and
/// every archive entry, before anything is written: its folders must be relative paths inside
/// the project, each entry a regular file or folder inside them, and where it lands under
/// `project_root` must be writable by the rules of a restore (no symlink on the way or in the
/// way, nothing replaced in merge mode). Reads each file once.
///
/// Errors: [`RestoreError::Corrupt`] naming the file, [`RestoreError::UnsafeFolder`],
/// [`RestoreError::UnsafeEntry`] for an entry outside its folders,
/// [`RestoreError::EntryType`] for a link or special file, [`RestoreError::UnsafeTarget`]
/// naming the path on disk that stops it.
pub fn check_files(
    dir: &Utf8Path,
    plan: &RestorePlan,
    project_root: &Utf8Path,
) -> Result<(), RestoreError> {
    for table in &plan.tables {
        let path = dir.join(&table.file);
        let mut reader = Hashing::new(open(&path)?);
        std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| corrupt(&path, e))?;
        let (_, bytes, sha256) = reader.finish();
        if bytes != table.bytes || sha256 != table.sha256 {
            return Err(RestoreError::Corrupt {
                file: path,
                problem: format!(
                    "{bytes} bytes with sha256 {sha256}; the manifest says {} bytes with sha256 {}",
                    table.bytes, table.sha256
                ),
            });
        }
    }
    for archive in &plan.files {
        check_archive(dir, archive, project_root, plan.mode)?;
    }
    Ok(())
}

fn check_archive(
    dir: &Utf8Path,
    archive: &FilePlan,
    root: &Utf8Path,
    mode: Mode,
) -> Result<(), RestoreError> {
    let path = dir.join(&archive.file);
    for folder in &archive.folders {
        plain_folder(folder).map_err(|problem| RestoreError::UnsafeFolder {
            archive: archive.file.clone(),
            folder: folder.clone(),
            problem,
        })?;
    }
    let mut decoder =
        zstd::Decoder::new(Hashing::new(open(&path)?)).map_err(|e| corrupt(&path, e))?;
    let listed = list_entries(&mut decoder);
    let mut rest = decoder.finish();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| corrupt(&path, e))?;
    let (_, bytes, sha256) = rest.into_inner().finish();
    if bytes != archive.bytes || sha256 != archive.sha256 {
        return Err(RestoreError::Corrupt {
            file: path,
            problem: "size or sha256 differs from the manifest".into(),
        });
    }
    // What the archive itself writes, so an entry below one of its own files is refused too.
    let mut written: BTreeMap<Utf8PathBuf, EntryKind> = BTreeMap::new();
    for (entry, entry_type) in listed.map_err(|e| corrupt(&path, e))? {
        let relative =
            entry_target(&entry, &archive.folders).ok_or_else(|| RestoreError::UnsafeEntry {
                archive: path.clone(),
                entry: entry.to_string(),
            })?;
        let kind = entry_kind(entry_type).map_err(|kind| RestoreError::EntryType {
            archive: path.clone(),
            entry: entry.to_string(),
            kind,
        })?;
        let refuse = |on: &Utf8Path, problem: String| RestoreError::UnsafeTarget {
            archive: path.clone(),
            entry: entry.to_string(),
            group: archive.group.clone(),
            path: on.to_owned(),
            problem,
        };
        let file_above = relative
            .ancestors()
            .skip(1)
            .find(|a| written.get(*a) == Some(&EntryKind::File));
        if let Some(file) = file_above {
            let problem = "is a file in the same archive, which holds entries below it";
            return Err(refuse(file, problem.into()));
        }
        if mode != Mode::Merge && written.get(&relative).is_some_and(|k| *k != kind) {
            let problem = "is both a file and a folder in the archive";
            return Err(refuse(&relative, problem.into()));
        }
        target(root, &relative, kind, mode).map_err(|r| refuse(&r.path, r.problem))?;
        written.entry(relative).or_insert(kind);
    }
    Ok(())
}

/// [`check_files`] on a blocking thread.
pub async fn check_files_async(
    dir: &Utf8Path,
    plan: &RestorePlan,
    project_root: &Utf8Path,
) -> Result<(), RestoreError> {
    let (dir, plan, root) = (dir.to_owned(), plan.clone(), project_root.to_owned());
    tokio::task::spawn_blocking(move || check_files(&dir, &plan, &root))
        .await
        .expect("the check does not panic")
}

pub(super) fn open(path: &Utf8Path) -> Result<std::fs::File, RestoreError> {
    std::fs::File::open(path).map_err(|e| corrupt(path, e))
}

pub(super) fn corrupt(path: &Utf8Path, e: std::io::Error) -> RestoreError {
    RestoreError::Corrupt {
        file: path.to_owned(),
        problem: match e.kind() {
            std::io::ErrorKind::NotFound => "missing".into(),
            _ => format!("cannot read: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use camino::Utf8Path;
    use tar::EntryType;

    use super::*;

    /// A snapshot folder holding `files/images.tar.zst` with `entries` (path, type), and a plan
    /// extracting it into `folder` in `mode`.
    fn snapshot(
        entries: &[(&str, EntryType)],
        folder: &str,
        mode: Mode,
    ) -> (tempfile::TempDir, RestorePlan) {
        let dir = tempfile::tempdir().unwrap();
        let files = Utf8Path::from_path(dir.path()).unwrap().join("files");
        std::fs::create_dir(&files).unwrap();
        let mut tar = tar::Builder::new(zstd::Encoder::new(Vec::new(), 1).unwrap());
        for (path, kind) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            let data: &[u8] = if *kind == EntryType::Regular {
                b"hi"
            } else {
                b""
            };
            header.set_size(data.len() as u64);
            if *kind == EntryType::Symlink {
                header.set_link_name("/etc").unwrap();
            }
            header.set_cksum();
            tar.append_data(&mut header, path, data).unwrap();
        }
        let bytes = tar.into_inner().unwrap().finish().unwrap();
        std::fs::write(files.join("images.tar.zst"), &bytes).unwrap();
        let (_, size, sha256) = {
            let mut h = Hashing::new(std::io::sink());
            std::io::Write::write_all(&mut h, &bytes).unwrap();
            h.finish()
        };
        let plan = RestorePlan {
            snapshot_id: "s".into(),
            mode,
            tables: Vec::new(),
            skipped: Vec::new(),
            unrestorable: Vec::new(),
            missing: Vec::new(),
            outside_references: Vec::new(),
            files: vec![FilePlan {
                group: "images".into(),
                file: "files/images.tar.zst".into(),
                folders: vec![folder.into()],
                entries: 1,
                bytes: size,
                sha256,
            }],
            skipped_files: Vec::new(),
            buckets: Vec::new(),
            skipped_buckets: Vec::new(),
        };
        (dir, plan)
    }

    fn check(
        entries: &[(&str, EntryType)],
        folder: &str,
        mode: Mode,
        root: &Utf8Path,
    ) -> Result<(), RestoreError> {
        let (dir, plan) = snapshot(entries, folder, mode);
        check_files(Utf8Path::from_path(dir.path()).unwrap(), &plan, root)
    }

    fn root() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap().to_owned();
        (dir, root)
    }

    /// An archive whose entry lies outside its folders is refused by the check, before any
    /// transaction; the same archive with a matching folder passes.
    #[test]
    fn check_files_refuses_an_entry_outside_its_folders() {
        let (_keep, root) = root();
        let entries = [("public/other/x.png", EntryType::Regular)];
        let err = check(&entries, "public/uploads", Mode::Merge, &root).unwrap_err();
        assert!(
            matches!(&err, RestoreError::UnsafeEntry { entry, .. } if entry == "public/other/x.png"),
            "{err}"
        );
        check(&entries, "public/other", Mode::Merge, &root).unwrap();
        let err = check(&entries, "", Mode::Merge, &root).unwrap_err();
        assert!(matches!(err, RestoreError::UnsafeFolder { .. }), "{err}");
    }

    #[test]
    fn links_and_special_files_are_refused() {
        let (_keep, root) = root();
        for (kind, words) in [
            (EntryType::Symlink, "a symlink"),
            (EntryType::Link, "a hard link"),
            (EntryType::Char, "a character device"),
            (EntryType::Fifo, "a named pipe"),
        ] {
            let entries = [("public/uploads/x", kind)];
            let err = check(&entries, "public/uploads", Mode::Merge, &root).unwrap_err();
            assert!(
                err.to_string().ends_with(&format!(
                    "holds public/uploads/x, {words}; a restore writes only regular files and folders"
                )),
                "{err}"
            );
        }
    }

    #[test]
    fn an_entry_below_a_file_of_the_same_archive_is_refused() {
        let (_keep, root) = root();
        let entries = [
            ("public/uploads/a", EntryType::Regular),
            ("public/uploads/a/b", EntryType::Regular),
        ];
        let err = check(&entries, "public/uploads", Mode::Merge, &root).unwrap_err();
        assert!(
            matches!(&err, RestoreError::UnsafeTarget { path, .. } if path == "public/uploads/a"),
            "{err}"
        );
        let entries = [
            ("public/uploads/a", EntryType::Directory),
            ("public/uploads/a", EntryType::Regular),
        ];
        check(&entries, "public/uploads", Mode::Merge, &root).unwrap();
        let err = check(&entries, "public/uploads", Mode::Upsert, &root).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is both a file and a folder in the archive"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_on_the_way_refuses_the_restore() {
        let (_keep, root) = root();
        let (_outside, outside) = super::tests::root();
        std::fs::create_dir_all(root.join("public")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("public/uploads")).unwrap();
        let entries = [
            ("public/uploads", EntryType::Directory),
            ("public/uploads/a.png", EntryType::Regular),
        ];
        let err = check(&entries, "public/uploads", Mode::Merge, &root).unwrap_err();
        assert!(
            matches!(&err, RestoreError::UnsafeTarget { path, entry, .. } if path == "public/uploads" && entry == "public/uploads/a.png"),
            "{err}"
        );
        assert!(
            err.to_string().ends_with(
                ": public/uploads is a symlink; a restore never writes through or over one"
            ),
            "{err}"
        );
        assert_eq!(outside.read_dir().unwrap().count(), 0);
    }
}
