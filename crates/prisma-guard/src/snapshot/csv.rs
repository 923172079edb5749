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
    /// Feeds the next chunk. Jumps from quote to quote (and, outside quotes, newline) with
    /// `memchr`, so a chunk costs about one vectorised scan, not a branch per byte.
    pub fn feed(&mut self, mut chunk: &[u8]) {
        // Fast path: a chunk without quotes only needs its newlines counted.
        if !self.in_quotes && memchr::memchr(b'"', chunk).is_none() {
            self.lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
            return;
        }
        loop {
            let found = match self.in_quotes {
                true => memchr::memchr(b'"', chunk),
                false => memchr::memchr2(b'"', b'\n', chunk),
            };
            let Some(at) = found else { return };
            match chunk[at] {
                b'"' => self.in_quotes = !self.in_quotes,
                _ => self.lines += 1,
            }
            chunk = &chunk[at + 1..];
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

    /// Bytes that passed through so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
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

    /// The byte-by-byte count the fast one must equal.
    fn naive(csv: &[u8]) -> u64 {
        let (mut in_quotes, mut lines) = (false, 0u64);
        for &byte in csv {
            match byte {
                b'"' => in_quotes = !in_quotes,
                b'\n' if !in_quotes => lines += 1,
                _ => {}
            }
        }
        lines.saturating_sub(1)
    }

    #[test]
    fn counts_as_the_byte_by_byte_rule_in_any_chunks() {
        let mut csv = b"id,payload,body\n".to_vec();
        for i in 0..200u32 {
            let row = match i % 4 {
                0 => format!("{i},\"{{\"\"k\"\": {i}}}\",plain\n"),
                1 => format!("{i},,\"two\nlines \"\"quoted\"\"\"\n"),
                2 => format!("{i},x,y\n"),
                _ => format!("{i},\"\",\"\"\"\"\n"),
            };
            csv.extend_from_slice(row.as_bytes());
        }
        assert_eq!(naive(&csv), 200);
        for size in [1, 2, 3, 7, 64, 1000, csv.len()] {
            let mut counter = RowCounter::default();
            for chunk in csv.chunks(size) {
                counter.feed(chunk);
            }
            assert_eq!(counter.rows(), 200, "chunks of {size}");
        }
    }

    #[test]
    fn header_only_is_zero_rows() {
        let mut counter = RowCounter::default();
        counter.feed(b"id,name\n");
        assert_eq!(counter.rows(), 0);
    }
}
