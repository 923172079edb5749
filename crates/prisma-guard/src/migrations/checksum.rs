//! Prisma's migration checksum: SHA-256 of migration.sql, as 64 lower-case hex characters.
//!
//! Source: Prisma's schema engine (`migration-connector/src/checksum.rs`). A recorded checksum
//! matches a script when it equals the hash of the script as is, of the script with CRLF→LF, or
//! of the script with LF→CRLF, because git may rewrite line endings on checkout. A non-empty
//! recorded checksum whose length is not 64 was written by old Prisma versions, which printed
//! each byte as hex without zero-padding.

use sha2::{Digest, Sha256};

/// Length of a current-format checksum, in hex characters.
pub const CHECKSUM_LEN: usize = 64;

/// SHA-256 of `script`, as 64 lower-case hex characters: what Prisma records.
///
/// ```
/// use prisma_guard::migrations::checksum::{compute, matches};
/// let recorded = compute(b"CREATE TABLE \"A\" ();\n");
/// assert_eq!(recorded.len(), 64);
/// // The same file checked out with Windows line endings still matches.
/// assert!(matches(b"CREATE TABLE \"A\" ();\r\n", &recorded));
/// ```
pub fn compute(script: &[u8]) -> String {
    hex::encode(Sha256::digest(script))
}

/// Whether `recorded` (from `_prisma_migrations.checksum`) matches `script`, by Prisma's rule.
///
/// An empty recorded checksum never matches.
pub fn matches(script: &[u8], recorded: &str) -> bool {
    if recorded.is_empty() {
        return false;
    }
    let text = String::from_utf8_lossy(script);
    let variants = [
        Sha256::digest(script),
        Sha256::digest(text.replace("\r\n", "\n").as_bytes()),
        Sha256::digest(text.replace('\n', "\r\n").as_bytes()),
    ];
    variants.iter().any(|digest| {
        if recorded.len() == CHECKSUM_LEN {
            hex::encode(digest) == recorded
        } else {
            legacy_hex(digest) == recorded
        }
    })
}

/// Old Prisma's format: each byte as `{:x}`, so bytes below 0x10 take one character.
fn legacy_hex(digest: &[u8]) -> String {
    digest.iter().map(|byte| format!("{byte:x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_of_the_file() {
        assert_eq!(
            compute(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(matches(b"abc", &compute(b"abc")));
    }

    #[test]
    fn line_endings_either_way() {
        let lf = b"CREATE TABLE \"A\" (\n  id INT\n);\n";
        let crlf = b"CREATE TABLE \"A\" (\r\n  id INT\r\n);\r\n";
        assert!(
            matches(crlf, &compute(lf)),
            "file checked out with CRLF, recorded from LF"
        );
        assert!(
            matches(lf, &compute(crlf)),
            "file with LF, recorded from CRLF"
        );
        assert!(!matches(b"CREATE TABLE \"B\" ();\n", &compute(lf)));
    }

    #[test]
    fn legacy_unpadded_checksum() {
        let script = b"-- legacy\nSELECT 1;\n";
        let digest = Sha256::digest(script);
        let legacy = legacy_hex(&digest);
        assert!(
            digest.iter().any(|b| *b < 0x10),
            "the fixture must have a byte below 0x10"
        );
        assert!(legacy.len() < CHECKSUM_LEN);
        assert!(matches(script, &legacy));
        assert!(!matches(b"other", &legacy));
    }

    #[test]
    fn empty_checksum_never_matches() {
        assert!(!matches(b"", ""));
        assert!(!matches(b"SELECT 1;", ""));
    }
}
