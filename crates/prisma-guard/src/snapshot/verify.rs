//! `snapshots verify`: re-hash every file, decompress it, count its rows, and compare all of it
//! with the manifest, whose fingerprint must match the tables it lists (a renamed table shows); an upload archive's folders must be relative paths inside the project,
//! and its entries regular files and folders inside them (the rules of
//! [`super::archive::paths`]); a bucket archive's objects must match their sizes and SHA-256s
//! ([`super::objects::check`]).

use std::fs::File;
use std::io::Read;

use camino::Utf8Path;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::StoredSnapshot;
use super::archive::list_entries;
use super::archive::paths::{EntryKind, entry_kind, entry_target, plain_folder};
use super::csv::{Hashing, RowCounter};
use super::manifest::FileArchive;

/// One mismatch, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, relative to the snapshot folder.
    pub file: String,
    /// What is wrong, e.g. `missing`, `sha256 differs`, `3 rows, manifest says 4`.
    pub problem: String,
}

/// The result of verifying one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The snapshot id.
    pub id: String,
    /// Files checked.
    pub files: usize,
    /// Rows counted over all data files.
    pub rows: u64,
    /// Every mismatch; empty means the snapshot is intact.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies every data file and archive of `snapshot` against its manifest. Reads everything;
/// never stops at the first problem, so the report names them all.
pub fn verify(snapshot: &StoredSnapshot) -> VerifyReport {
    let manifest = &snapshot.manifest;
    let mut report = VerifyReport {
        id: manifest.id.clone(),
        files: 0,
        rows: 0,
        problems: Vec::new(),
    };
    let mut problems = Vec::new();
    for table in &manifest.tables {
        let scanned = match scan_data_file(&snapshot.path.join(&table.file)) {
            Ok(scanned) => scanned,
            Err(e) => {
                problems.push(problem(&table.file, e));
                continue;
            }
        };
        if scanned.bytes != table.bytes {
            let text = format!("{} bytes, manifest says {}", scanned.bytes, table.bytes);
            problems.push(problem(&table.file, text));
        }
        if scanned.sha256 != table.sha256 {
            problems.push(problem(
                &table.file,
                "sha256 differs from the manifest".into(),
            ));
        }
        match scanned.decoded {
            Err(e) => problems.push(problem(&table.file, format!("cannot decompress: {e}"))),
            Ok((rows, content)) => {
                report.rows += rows;
                if rows != table.rows {
                    let text = format!("{rows} rows, manifest says {}", table.rows);
                    problems.push(problem(&table.file, text));
                }
                if content != table.content_sha256 {
                    problems.push(problem(
                        &table.file,
                        "content sha256 differs from the manifest".into(),
                    ));
                }
            }
        }
    }
    if super::write::fingerprint(&manifest.tables) != manifest.fingerprint {
        let text = "the fingerprint differs from the tables listed: a table's name, columns or content sha256 was edited";
        problems.push(problem(
            Utf8Path::new(super::manifest::MANIFEST_FILE),
            text.into(),
        ));
    }
    for archive in &manifest.files {
        check_archive(&snapshot.path.join(&archive.file), archive, &mut problems);
    }
    for bucket in &manifest.buckets {
        let path = snapshot.path.join(&bucket.file);
        for text in super::objects::check(&path, bucket) {
            problems.push(problem(&bucket.file, text));
        }
    }
    report.files = manifest.tables.len() + manifest.files.len() + manifest.buckets.len();
    report.problems = problems;
    report
}

/// The quick check before a replay, a rollback or a prediction loads `snapshot` into a scratch
/// database: the manifest's fingerprint, and each data file's size and SHA-256 (one read, no
/// decompression). Returns the first problem, or `None`.
///
/// Not the rows nor the content hash, unlike [`verify`]: the load streams every file through
/// the same hash (a file changed in between stops it) and checks its row count against the
/// manifest (`RestoreError::RowCount`), so decompressing here as well only doubled the work.
pub fn check_data_files(snapshot: &StoredSnapshot) -> Option<Problem> {
    let manifest = &snapshot.manifest;
    if super::write::fingerprint(&manifest.tables) != manifest.fingerprint {
        let text = "the fingerprint differs from the tables listed: a table's name, columns or content sha256 was edited";
        return Some(problem(
            Utf8Path::new(super::manifest::MANIFEST_FILE),
            text.into(),
        ));
    }
    manifest.tables.iter().find_map(|table| {
        let hashed = open(&snapshot.path.join(&table.file)).and_then(|file| {
            let mut reader = Hashing::new(file);
            std::io::copy(&mut reader, &mut std::io::sink()).map_err(read_error)?;
            Ok(reader.finish())
        });
        match hashed {
            Err(e) => Some(problem(&table.file, e)),
            Ok((_, bytes, sha256)) if bytes != table.bytes || sha256 != table.sha256 => {
                Some(problem(
                    &table.file,
                    "size or sha256 differs from the manifest".into(),
                ))
            }
            Ok(_) => None,
        }
    })
}

/// An archive's folders, its size and SHA-256, and each entry's type and place.
fn check_archive(path: &Utf8Path, archive: &FileArchive, problems: &mut Vec<Problem>) {
    let file = &archive.file;
    for folder in &archive.folders {
        if let Err(e) = plain_folder(folder) {
            let text = format!(
                "the folder `{folder}` {e}; a restore extracts only into relative folders inside the project"
            );
            problems.push(problem(file, text));
        }
    }
    let scanned = match scan_archive(path) {
        Ok(scanned) => scanned,
        Err(e) => return problems.push(problem(file, e)),
    };
    if scanned.bytes != archive.bytes || scanned.sha256 != archive.sha256 {
        problems.push(problem(
            file,
            "size or sha256 differs from the manifest".into(),
        ));
    }
    let entries = match scanned.entries {
        Ok(entries) => entries,
        Err(e) => return problems.push(problem(file, format!("cannot list its entries: {e}"))),
    };
    let mut files = 0;
    for (entry, kind) in entries {
        match entry_kind(kind) {
            Ok(EntryKind::File) => files += 1,
            Ok(EntryKind::Folder) => {}
            Err(what) => {
                files += 1;
                let text =
                    format!("holds {entry}, {what}; only regular files and folders are restored");
                problems.push(problem(file, text));
            }
        }
        if entry_target(&entry, &archive.folders).is_none() {
            let text = format!("holds {entry}, which lies outside its folders");
            problems.push(problem(file, text));
        }
    }
    if files != archive.entries {
        let text = format!("{files} files, manifest says {}", archive.entries);
        problems.push(problem(file, text));
    }
}

/// One read of an archive: its size and SHA-256, and its entries' paths and types (or why they
/// could not be listed).
struct ScannedArchive {
    bytes: u64,
    sha256: String,
    entries: std::io::Result<Vec<(camino::Utf8PathBuf, tar::EntryType)>>,
}

fn scan_archive(path: &Utf8Path) -> Result<ScannedArchive, String> {
    let mut decoder = zstd::Decoder::new(Hashing::new(open(path)?)).map_err(read_error)?;
    let entries = list_entries(&mut decoder);
    let mut rest = decoder.finish();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(read_error)?;
    let (_, bytes, sha256) = rest.into_inner().finish();
    Ok(ScannedArchive {
        bytes,
        sha256,
        entries,
    })
}

fn problem(file: &Utf8Path, text: String) -> Problem {
    Problem {
        file: file.to_string(),
        problem: text,
    }
}

fn open(path: &Utf8Path) -> Result<File, String> {
    File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "missing".to_string(),
        _ => format!("cannot read: {e}"),
    })
}

fn read_error(e: std::io::Error) -> String {
    format!("cannot read: {e}")
}

/// One read of a data file: its size and SHA-256, and what decompressing it gave.
struct Scanned {
    bytes: u64,
    sha256: String,
    /// Data rows and the SHA-256 of the CSV, or why it could not be decompressed.
    decoded: Result<(u64, String), String>,
}

/// Hashes the compressed bytes while decompressing them, so each file is read once; bytes the
/// decoder leaves unread (after an error) are still hashed.
fn scan_data_file(path: &Utf8Path) -> Result<Scanned, String> {
    let mut decoder = zstd::Decoder::new(Hashing::new(open(path)?)).map_err(read_error)?;
    let decoded = decode(&mut decoder);
    let mut rest = decoder.finish();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(read_error)?;
    let (_, bytes, sha256) = rest.into_inner().finish();
    Ok(Scanned {
        bytes,
        sha256,
        decoded,
    })
}

/// Reads decompressed CSV to the end, returning its data rows and its SHA-256.
fn decode(reader: &mut impl Read) -> Result<(u64, String), String> {
    let mut counter = RowCounter::default();
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = reader.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok((counter.rows(), hex::encode(hasher.finalize())));
        }
        counter.feed(&buf[..n]);
        hasher.update(&buf[..n]);
    }
}
