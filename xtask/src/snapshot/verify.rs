//! `snapshots verify`: re-hash every file, decompress it, count its rows, and compare all of it
//! with the manifest.

use std::fs::File;
use std::io::{BufReader, Read};

use camino::Utf8Path;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::StoredSnapshot;
use super::csv::RowCounter;

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
    let problem = report_problem;
    let mut problems = Vec::new();
    for table in &manifest.tables {
        let path = snapshot.path.join(&table.file);
        let (bytes, sha256) = match hash_file(&path) {
            Ok(found) => found,
            Err(e) => {
                problems.push(problem(&table.file, e));
                continue;
            }
        };
        if bytes != table.bytes {
            problems.push(problem(
                &table.file,
                format!("{bytes} bytes, manifest says {}", table.bytes),
            ));
        }
        if sha256 != table.sha256 {
            problems.push(problem(
                &table.file,
                "sha256 differs from the manifest".into(),
            ));
        }
        match decode(&path) {
            Err(e) => problems.push(problem(&table.file, format!("cannot decompress: {e}"))),
            Ok((rows, content)) => {
                report.rows += rows;
                if rows != table.rows {
                    problems.push(problem(
                        &table.file,
                        format!("{rows} rows, manifest says {}", table.rows),
                    ));
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

fn report_problem(file: &Utf8Path, problem: String) -> Problem {
    Problem {
        file: file.to_string(),
        problem,
    }
}

fn open(path: &Utf8Path) -> Result<File, String> {
    File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "missing".to_string(),
        _ => format!("cannot read: {e}"),
    })
}

fn hash_file(path: &Utf8Path) -> Result<(u64, String), String> {
    let mut file = BufReader::new(open(path)?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    let mut bytes = 0;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            return Ok((bytes, hex::encode(hasher.finalize())));
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
}

/// Decompresses a data file, returning its data rows and the SHA-256 of the CSV.
pub fn decode(path: &Utf8Path) -> Result<(u64, String), String> {
    let mut decoder = zstd::Decoder::new(open(path)?).map_err(|e| e.to_string())?;
    let mut counter = RowCounter::default();
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = decoder.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok((counter.rows(), hex::encode(hasher.finalize())));
        }
        counter.feed(&buf[..n]);
        hasher.update(&buf[..n]);
    }
}
