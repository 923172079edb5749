//! Streaming helpers for the data files: counting CSV rows across chunk boundaries, and a
//! reader/writer wrapper that hashes and counts the bytes passing through it.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

/// Counts records in PostgreSQL CSV output fed in arbitrary chunks.
///
/// A record ends at a newline outside quotes; quoted fields may hold newlines, and `""` inside
/// quotes toggles twice, so tracking the quote parity is exact for `COPY ... (FORMAT csv)`.
#[derive(Debug, Default, Clone)]
pub struct RowCounter {
    in_quotes: bool,
    lines: u64,
}

impl RowCounter {
    /// Feeds the next chunk.
    pub fn feed(&mut self, chunk: &[u8]) {
        // Fast path: a chunk without quotes only needs its newlines counted.
        if !self.in_quotes && !chunk.contains(&b'"') {
            self.lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            return;
        }
        for &byte in chunk {
            match byte {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => self.lines += 1,
                _ => {}
            }
        }
    }

    /// Data rows seen so far, the header line not counted.
    pub fn rows(&self) -> u64 {
        self.lines.saturating_sub(1)
    }
}

/// A reader or writer that passes bytes through while hashing (SHA-256) and counting them.
pub struct Hashing<T> {
    inner: T,
    hasher: Sha256,
    bytes: u64,
}

impl<T> Hashing<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner reader or writer, the byte count and the hex SHA-256 of everything that
    /// passed through.
    pub fn finish(self) -> (T, u64, String) {
        (self.inner, self.bytes, hex::encode(self.hasher.finalize()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rows_with_quoted_newlines_across_chunks() {
        let csv = b"id,body\n1,\"a\nb\"\n2,\"say \"\"hi\"\"\n\"\n3,plain\n";
        for split in 0..csv.len() {
            let mut counter = RowCounter::default();
            counter.feed(&csv[..split]);
            counter.feed(&csv[split..]);
            assert_eq!(counter.rows(), 3, "split at {split}");
        }
    }

    #[test]
    fn header_only_is_zero_rows() {
        let mut counter = RowCounter::default();
        counter.feed(b"id,name\n");
        assert_eq!(counter.rows(), 0);
    }
}
