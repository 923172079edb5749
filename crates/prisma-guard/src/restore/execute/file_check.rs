//! The file check: every data file and archive of a plan against the manifest's size and
//! SHA-256, before anything is written.

use camino::{Utf8Path, Utf8PathBuf};

use super::archives::{entry_path, entry_target};
use crate::restore::RestoreError;
use crate::restore::plan::RestorePlan;
use crate::snapshot::csv::Hashing;

/// Checks every data file and archive of the plan against the manifest (size and SHA-256), and
/// every archive entry's path, before anything is written. Reads each file once.
///
/// Errors: [`RestoreError::Corrupt`] naming the file, [`RestoreError::UnsafeEntry`] for an
/// archive entry outside its folders.
pub fn check_files(dir: &Utf8Path, plan: &RestorePlan) -> Result<(), RestoreError> {
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
        let path = dir.join(&archive.file);
        let mut decoder =
            zstd::Decoder::new(Hashing::new(open(&path)?)).map_err(|e| corrupt(&path, e))?;
        let listed = (|| -> std::io::Result<Vec<Utf8PathBuf>> {
            let mut tar = tar::Archive::new(&mut decoder);
            let mut entries = Vec::new();
            for entry in tar.entries()? {
                entries.push(entry_path(&entry?)?);
            }
            Ok(entries)
        })();
        let mut rest = decoder.finish();
        std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| corrupt(&path, e))?;
        let (_, bytes, sha256) = rest.into_inner().finish();
        if bytes != archive.bytes || sha256 != archive.sha256 {
            return Err(RestoreError::Corrupt {
                file: path,
                problem: "size or sha256 differs from the manifest".into(),
            });
        }
        for entry in listed.map_err(|e| corrupt(&path, e))? {
            entry_target(&entry, &archive.folders).ok_or_else(|| RestoreError::UnsafeEntry {
                archive: path.clone(),
                entry: entry.to_string(),
            })?;
        }
    }
    Ok(())
}

/// [`check_files`] on a blocking thread.
pub async fn check_files_async(dir: &Utf8Path, plan: &RestorePlan) -> Result<(), RestoreError> {
    let (dir, plan) = (dir.to_owned(), plan.clone());
    tokio::task::spawn_blocking(move || check_files(&dir, &plan))
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

    use super::*;
    use crate::restore::plan::Mode;
    /// An archive whose entry lies outside its folders is refused by the check, before any
    /// transaction; the same archive with a matching folder passes.
    #[test]
    fn check_files_refuses_an_entry_outside_its_folders() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::create_dir(dir.join("files")).unwrap();
        let mut tar = tar::Builder::new(zstd::Encoder::new(Vec::new(), 1).unwrap());
        let mut header = tar::Header::new_gnu();
        header.set_size(2);
        header.set_cksum();
        tar.append_data(&mut header, "public/other/x.png", &b"hi"[..])
            .unwrap();
        let bytes = tar.into_inner().unwrap().finish().unwrap();
        std::fs::write(dir.join("files/images.tar.zst"), &bytes).unwrap();
        let (_, size, sha256) = {
            let mut h = Hashing::new(std::io::sink());
            std::io::Write::write_all(&mut h, &bytes).unwrap();
            h.finish()
        };
        let plan = |folder: &str| RestorePlan {
            snapshot_id: "s".into(),
            mode: Mode::Merge,
            tables: Vec::new(),
            skipped: Vec::new(),
            unrestorable: Vec::new(),
            outside_references: Vec::new(),
            files: vec![crate::restore::plan::FilePlan {
                group: "images".into(),
                file: "files/images.tar.zst".into(),
                folders: vec![folder.into()],
                entries: 1,
                bytes: size,
                sha256: sha256.clone(),
            }],
        };
        let err = check_files(dir, &plan("public/uploads")).unwrap_err();
        assert!(
            matches!(&err, RestoreError::UnsafeEntry { entry, .. } if entry == "public/other/x.png"),
            "{err}"
        );
        check_files(dir, &plan("public/other")).unwrap();
    }
}
