//! Checking a bucket archive against its manifest entry: its size and SHA-256, and each entry
//! (named `objects/<ordinal>`, a regular file) against the object it stands for (size and
//! SHA-256), in one read. Used by `snapshots verify` and before a restore writes anything.

use std::io::Read;

use camino::Utf8Path;
use sha2::{Digest, Sha256};

use crate::remote::RemoteUrl;
use crate::snapshot::csv::Hashing;
use crate::snapshot::manifest::BucketArchive;

/// Every problem of the archive at `path` (empty: it matches `archive`), in words:
/// `missing`, `size or sha256 differs from the manifest`, `objects/00000003 (key a.png):
/// sha256 differs`, `2 objects, manifest says 3`. Reads the file once; never stops at the
/// first problem, but for an archive that cannot be read at all.
pub fn check(path: &Utf8Path, archive: &BucketArchive) -> Vec<String> {
    let mut problems = Vec::new();
    match RemoteUrl::parse(&archive.url, "the manifest's url") {
        Err(e) => problems.push(e.to_string()),
        Ok(url) => {
            let outside = archive.objects.iter();
            for object in outside.filter(|o| super::object_path(&url, &o.key).is_none()) {
                problems.push(format!("the key `{}` would lie outside {url}", object.key));
            }
        }
    }
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            problems.push("missing".into());
            return problems;
        }
        Err(e) => {
            problems.push(format!("cannot read: {e}"));
            return problems;
        }
    };
    let mut decoder = match zstd::Decoder::new(Hashing::new(file)) {
        Ok(decoder) => decoder,
        Err(e) => {
            problems.push(format!("cannot read: {e}"));
            return problems;
        }
    };
    if let Err(e) = check_entries(&mut decoder, archive, &mut problems) {
        problems.push(format!("cannot list its entries: {e}"));
    }
    let mut rest = decoder.finish();
    if let Err(e) = std::io::copy(&mut rest, &mut std::io::sink()) {
        problems.push(format!("cannot read: {e}"));
        return problems;
    }
    let (_, bytes, sha256) = rest.into_inner().finish();
    if bytes != archive.bytes || sha256 != archive.sha256 {
        problems.insert(0, "size or sha256 differs from the manifest".into());
    }
    problems
}

fn check_entries(
    reader: impl Read,
    archive: &BucketArchive,
    problems: &mut Vec<String>,
) -> std::io::Result<()> {
    let mut tar = tar::Archive::new(reader);
    let mut count = 0usize;
    for entry in tar.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let expected = format!("objects/{count:08}");
        let object = archive.objects.get(count);
        count += 1;
        if name != expected || entry.header().entry_type() != tar::EntryType::Regular {
            problems.push(format!(
                "holds {name}, expected the regular file {expected}"
            ));
            continue;
        }
        let Some(object) = object else {
            continue;
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let n = entry.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            bytes += n as u64;
        }
        if bytes != object.bytes || hex::encode(hasher.finalize()) != object.sha256 {
            problems.push(format!(
                "{name} (key {}): size or sha256 differs from the manifest",
                object.key
            ));
        }
    }
    if count != archive.objects.len() {
        problems.push(format!(
            "{count} objects, manifest says {}",
            archive.objects.len()
        ));
    }
    Ok(())
}
