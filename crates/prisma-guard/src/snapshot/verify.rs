//! `snapshots verify`: re-hash every file, decompress it, count its rows, and compare all of it
//! with the manifest.

use std::fs::File;
use std::io::Read;

use camino::Utf8Path;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::StoredSnapshot;
use super::csv::{Hashing, RowCounter};

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
    for archive in &manifest.files {
        let path = snapshot.path.join(&archive.file);
        match hash_file(&path) {
            Err(e) => problems.push(problem(&archive.file, e)),
            Ok((bytes, sha256)) if bytes != archive.bytes || sha256 != archive.sha256 => problems
                .push(problem(
                    &archive.file,
                    "size or sha256 differs from the manifest".into(),
                )),
            Ok(_) => {}
        }
    }
    report.files = manifest.tables.len() + manifest.files.len();
    report.problems = problems;
    report
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

fn hash_file(path: &Utf8Path) -> Result<(u64, String), String> {
    let mut file = Hashing::new(open(path)?);
    std::io::copy(&mut file, &mut std::io::sink()).map_err(read_error)?;
    let (_, bytes, sha256) = file.finish();
    Ok((bytes, sha256))
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
