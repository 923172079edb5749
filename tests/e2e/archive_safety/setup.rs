//! The snapshot each test edits ([`Setup`]), crafted archives ([`Entry`]) and the project tree.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::Value;

use crate::support::project::Run;
use crate::support::{TempProject, TestDb};

/// Upload files in the snapshot: path, content.
const UPLOADS: [(&str, &[u8]); 3] = [
    ("public/uploads/a.png", b"\x89PNG first"),
    ("public/uploads/2024/cat.png", b"\x89PNG cat"),
    ("public/uploads/dog.jpg", b"\xff\xd8 jpeg dog"),
];

/// A snapshot of the seeded fixture with its uploads, and a folder outside the project.
pub struct Setup {
    pub project: TempProject,
    pub db: TestDb,
    /// The snapshot folder.
    pub snapshot: Utf8PathBuf,
    pub id: String,
    _outside_dir: tempfile::TempDir,
    /// An empty folder outside the project, for symlinks to point at.
    pub outside: Utf8PathBuf,
}

impl Setup {
    pub async fn new() -> Setup {
        let (project, db) = (TempProject::new(), TestDb::new().await);
        project.seeded(&db).await;
        project.configure_images(&["public/uploads"]);
        for (path, bytes) in UPLOADS {
            let path = project.root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        project.xtask(&db, &["snapshot"]).assert_code(0);
        let stored = project.snapshots().pop().unwrap();
        db.execute("DELETE FROM \"SystemPrompt\"").await;
        let outside_dir = tempfile::tempdir().unwrap();
        let outside = Utf8Path::from_path(outside_dir.path()).unwrap().to_owned();
        Setup {
            project,
            db,
            snapshot: stored.path,
            id: stored.manifest.id,
            _outside_dir: outside_dir,
            outside,
        }
    }

    /// `restore <the snapshot> --yes <args>`.
    pub fn restore(&self, args: &[&str]) -> Run {
        let mut all = vec!["restore", self.id.as_str(), "--yes"];
        all.extend_from_slice(args);
        self.project.xtask(&self.db, &all)
    }

    /// `snapshots verify <the snapshot>`.
    pub fn verify(&self) -> Run {
        self.project
            .xtask(&self.db, &["snapshots", "verify", &self.id])
    }

    /// The archive's path as the restore names it.
    pub fn archive(&self) -> Utf8PathBuf {
        self.snapshot.join("files/images.tar.zst")
    }

    pub fn edit_manifest(&self, edit: impl FnOnce(&mut Value)) {
        let path = self.snapshot.join("manifest.json");
        let mut manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut manifest);
        std::fs::write(path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    }

    /// Replaces the archive with one of `entries` and makes the manifest agree with it (size,
    /// SHA-256, files), listing `folders` for it: an edit made with care.
    pub fn replace_archive(&self, entries: &[Entry], folders: &[&str]) {
        let bytes = archive(entries);
        std::fs::write(self.archive(), &bytes).unwrap();
        let files = entries
            .iter()
            .filter(|e| !matches!(e, Entry::Dir(_)))
            .count();
        self.edit_manifest(|m| {
            let archive = &mut m["files"][0];
            archive["bytes"] = bytes.len().into();
            archive["sha256"] = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)).into();
            archive["entries"] = files.into();
            archive["folders"] = folders.iter().map(|f| Value::from(*f)).collect();
        });
    }

    pub async fn counts(&self) -> BTreeMap<String, i64> {
        self.db.row_counts("public").await
    }

    /// The project tree, the snapshot store left out.
    pub fn tree(&self) -> BTreeMap<String, String> {
        tree(&self.project.root)
    }

    pub fn assert_outside_empty(&self) {
        assert_eq!(tree(&self.outside), BTreeMap::new(), "written outside");
    }
}

/// One entry of a crafted archive: a folder, a file with its content and mode, a symlink or a
/// hard link with its target.
pub enum Entry {
    Dir(&'static str),
    File(&'static str, &'static [u8], u32),
    Symlink(&'static str, String),
    HardLink(&'static str, &'static str),
}

fn archive(entries: &[Entry]) -> Vec<u8> {
    let mut tar = tar::Builder::new(zstd::Encoder::new(Vec::new(), 1).unwrap());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let (path, data): (&str, &[u8]) = match entry {
            Entry::Dir(path) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                (path, b"")
            }
            Entry::File(path, data, mode) => {
                header.set_mode(*mode);
                (path, data)
            }
            Entry::Symlink(path, to) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_link_name(to).unwrap();
                (path, b"")
            }
            Entry::HardLink(path, to) => {
                header.set_entry_type(tar::EntryType::Link);
                header.set_link_name(to).unwrap();
                (path, b"")
            }
        };
        header.set_size(data.len() as u64);
        header.set_cksum();
        tar.append_data(&mut header, path, data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// Every path under `root` but `backups/`: a folder, a symlink with its target, or a file with
/// its mode and SHA-256.
fn tree(root: &Utf8Path) -> BTreeMap<String, String> {
    fn walk(root: &Utf8Path, dir: &Utf8Path, out: &mut BTreeMap<String, String>) {
        for entry in dir.read_dir_utf8().unwrap() {
            let path = entry.unwrap().path().to_owned();
            let relative = path.strip_prefix(root).unwrap().to_string();
            if relative == "backups" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                walk(root, &path, out);
                "folder".into()
            } else {
                let bytes = std::fs::read(&path).unwrap();
                format!(
                    "{:o} {}",
                    meta.permissions().mode() & 0o7777,
                    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
                )
            };
            out.insert(relative, what);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}
