//! A data file's CSV rewritten, as it streams, into `COPY`'s text format, which the server
//! parses faster: loading the bench's tables by hand with `psql`, each into an empty table,
//! took 20–40 % less time as text than as CSV (issue 18; JSON, which CSV quotes and doubles
//! every `"` of, and long values gain most). The work moves to the restore's own process, which
//! had a core mostly idle while the server parsed.
//!
//! The CSV is exactly what `COPY … TO STDOUT (FORMAT csv, HEADER)` writes (PostgreSQL's
//! `CopyAttributeOutCSV`): `,` between fields, `\n` after every record, a NULL as an empty
//! unquoted field, and every other value that is empty or holds `,` `"` `\n` `\r` (or is `\.`)
//! quoted, with `"` doubled. The text format (PostgreSQL docs, "COPY", "Text Format"): `\t`
//! between fields, `\n` after every record, a NULL as `\N`, and `\` `\t` `\n` `\r` inside a
//! value escaped with a backslash. Anything outside what PostgreSQL writes (a quote inside an
//! unquoted field, text after a closing quote, a bare `\r`, a record cut short) is refused, not
//! guessed at: the file is then not a snapshot's.

/// Why a data file is not PostgreSQL's CSV, and where: `offset` counts bytes of the CSV.
#[derive(Debug, thiserror::Error)]
#[error("{problem} at byte {offset} of its CSV")]
pub(crate) struct NotPostgresCsv {
    problem: &'static str,
    offset: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field (the first one of a record when `record_start`).
    FieldStart,
    /// Inside a field that began without a quote.
    Unquoted,
    /// Inside quotes.
    Quoted,
    /// Just after a `"` inside quotes: a second `"` is a literal one, anything else ends the
    /// value.
    QuoteInQuoted,
}

/// The converter of one data file, fed its CSV in chunks of any size (a chunk may end anywhere,
/// inside a field or a `""`).
#[derive(Debug)]
pub(crate) struct CsvToText {
    state: State,
    record_start: bool,
    /// Still inside the header record, which is dropped.
    header: bool,
    /// The table has no columns: its records are empty lines in both formats.
    no_columns: bool,
    /// CSV bytes taken so far.
    offset: u64,
}

/// Bytes that end a run of plain bytes inside quotes, and outside them.
const QUOTED_SPECIAL: [bool; 256] = special(b"\"\\\n\r\t");
const UNQUOTED_SPECIAL: [bool; 256] = special(b"\"\\\n\r\t,");

const fn special(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

impl CsvToText {
    /// A converter for a table of `columns` columns, the header record first.
    pub(crate) fn new(columns: usize) -> Self {
        CsvToText {
            state: State::FieldStart,
            record_start: true,
            header: true,
            no_columns: columns == 0,
            offset: 0,
        }
    }

    /// Appends to `out` the text format of `csv`, the next chunk. Errors: [`NotPostgresCsv`].
    pub(crate) fn convert(
        &mut self,
        mut csv: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), NotPostgresCsv> {
        if self.header {
            let mut dropped = Vec::new();
            let taken = self.run(csv, &mut dropped, true)?;
            csv = &csv[taken..];
            if self.header {
                return Ok(());
            }
        }
        self.run(csv, out, false).map(|_| ())
    }

    /// Checks that the CSV ended after a whole record. Errors: [`NotPostgresCsv`].
    pub(crate) fn finish(&self) -> Result<(), NotPostgresCsv> {
        let whole = self.state == State::FieldStart && self.record_start;
        if whole || self.offset == 0 {
            return Ok(());
        }
        Err(self.error("the data ends inside a record", 0))
    }

    fn error(&self, problem: &'static str, at: usize) -> NotPostgresCsv {
        NotPostgresCsv {
            problem,
            offset: self.offset + at as u64,
        }
    }

    /// Converts `csv` into `out`, up to its end or, with `one_record`, the end of the first
    /// record (then `header` is cleared); returns the bytes taken.
    fn run(
        &mut self,
        csv: &[u8],
        out: &mut Vec<u8>,
        one_record: bool,
    ) -> Result<usize, NotPostgresCsv> {
        let mut at = 0;
        while at < csv.len() {
            let table = match self.state {
                State::Quoted => &QUOTED_SPECIAL,
                State::Unquoted => &UNQUOTED_SPECIAL,
                State::FieldStart | State::QuoteInQuoted => {
                    let ended = self.boundary(csv[at], out).map_err(|p| self.error(p, at))?;
                    if self.state == State::Unquoted {
                        // The byte begins an unquoted value: taken there.
                        continue;
                    }
                    at += 1;
                    if ended && one_record {
                        self.header = false;
                        break;
                    }
                    continue;
                }
            };
            let run = csv[at..]
                .iter()
                .position(|&b| table[b as usize])
                .unwrap_or(csv.len() - at);
            out.extend_from_slice(&csv[at..at + run]);
            at += run;
            let Some(&byte) = csv.get(at) else { break };
            match (self.state, byte) {
                (State::Quoted, b'"') => self.state = State::QuoteInQuoted,
                (State::Unquoted, b',') => {
                    out.push(b'\t');
                    self.state = State::FieldStart;
                }
                (State::Unquoted, b'\n') => {
                    out.push(b'\n');
                    self.state = State::FieldStart;
                    self.record_start = true;
                    at += 1;
                    if one_record {
                        self.header = false;
                        break;
                    }
                    continue;
                }
                (State::Unquoted, b'"') => {
                    return Err(self.error("a quote inside an unquoted value", at));
                }
                (State::Unquoted, b'\r') => {
                    return Err(self.error("a carriage return outside quotes", at));
                }
                (_, byte) => out.extend_from_slice(escape(byte)),
            }
            at += 1;
        }
        self.offset += at as u64;
        Ok(at)
    }

    /// Handles `byte` at a field's start or after a closing quote. Returns whether it ended the
    /// record; a byte that begins an unquoted value is left for the caller (state `Unquoted`).
    fn boundary(&mut self, byte: u8, out: &mut Vec<u8>) -> Result<bool, &'static str> {
        let closing = self.state == State::QuoteInQuoted;
        match byte {
            b'"' if closing => {
                out.push(b'"');
                self.state = State::Quoted;
            }
            b'"' => {
                self.state = State::Quoted;
                self.record_start = false;
            }
            b',' => {
                if !closing {
                    out.extend_from_slice(b"\\N");
                }
                out.push(b'\t');
                self.state = State::FieldStart;
                self.record_start = false;
            }
            b'\n' => {
                let empty_record = self.record_start && self.no_columns;
                if !closing && !empty_record {
                    out.extend_from_slice(b"\\N");
                }
                out.push(b'\n');
                self.state = State::FieldStart;
                self.record_start = true;
                return Ok(true);
            }
            _ if closing => return Err("text after a closing quote"),
            b'\r' => return Err("a carriage return outside quotes"),
            _ => {
                self.state = State::Unquoted;
                self.record_start = false;
            }
        }
        Ok(false)
    }
}

/// The text format of a byte that needs a backslash (those of [`QUOTED_SPECIAL`] but `"`).
fn escape(byte: u8) -> &'static [u8] {
    match byte {
        b'\\' => b"\\\\",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        _ => unreachable!("only special bytes are escaped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert_in(csv: &[u8], columns: usize, splits: &[usize]) -> Result<Vec<u8>, String> {
        let mut converter = CsvToText::new(columns);
        let mut out = Vec::new();
        let mut last = 0;
        for &split in splits.iter().chain([&csv.len()]) {
            converter
                .convert(&csv[last..split], &mut out)
                .map_err(|e| e.to_string())?;
            last = split;
        }
        converter.finish().map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Every way of cutting `csv` in two, and in three, gives `expected`.
    fn check(csv: &str, columns: usize, expected: &str) {
        let csv = csv.as_bytes();
        for a in 0..=csv.len() {
            for b in a..=csv.len() {
                let out = convert_in(csv, columns, &[a, b]).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    expected,
                    "cut at {a} and {b}"
                );
            }
        }
    }

    #[test]
    fn nulls_empty_strings_and_plain_values() {
        check("id,a,b\n1,,\"\"\n2,x,\n", 3, "1\t\\N\t\n2\tx\t\\N\n");
        check(",\n\"\",\n", 2, "\t\\N\n");
        check("a\n\n\"\"\n", 1, "\\N\n\n");
    }

    #[test]
    fn quotes_newlines_tabs_and_backslashes_come_out_escaped() {
        check(
            "a,b\n\"say \"\"hi\"\"\",\"l1\nl2\r\n\"\n\\N,a\\b\tc\n\"\\.\",\"\"\"\"\n",
            2,
            "say \"hi\"\tl1\\nl2\\r\\n\n\\\\N\ta\\\\b\\tc\n\\\\.\t\"\n",
        );
        check(
            "a\n\"{\"\"k\"\": [1, \"\"x,y\"\"]}\"\n",
            1,
            "{\"k\": [1, \"x,y\"]}\n",
        );
        check("a\n\"é\tü\",\n", 2, "é\\tü\t\\N\n");
    }

    #[test]
    fn a_quoted_header_is_dropped_whole() {
        check("\"a\nb\",\"c,\"\"d\"\"\"\n1,2\n", 2, "1\t2\n");
        check("id\n", 1, "");
        check("", 1, "");
    }

    #[test]
    fn a_table_without_columns_keeps_its_empty_lines() {
        check("\n\n\n", 0, "\n\n");
    }

    #[test]
    fn what_postgres_does_not_write_is_refused() {
        for (csv, problem) in [
            ("a\nx\"y\n", "a quote inside an unquoted value at byte 3"),
            ("a\n\"x\"y\n", "text after a closing quote at byte 5"),
            ("a\nx\r\n", "a carriage return outside quotes at byte 3"),
            ("a\n\r\n", "a carriage return outside quotes at byte 2"),
            ("a\n\"x\n", "the data ends inside a record"),
            ("a\nx", "the data ends inside a record"),
        ] {
            let error = convert_in(csv.as_bytes(), 1, &[1]).unwrap_err();
            assert!(error.starts_with(problem), "{csv:?}: {error}");
        }
    }

    /// PostgreSQL's CSV of a value (`CopyAttributeOutCSV`: quoted when empty, when it holds a
    /// delimiter, quote, CR or LF, or is `\.`; NULL unquoted and empty).
    fn csv_value(value: Option<&str>) -> String {
        let Some(v) = value else { return String::new() };
        if v.is_empty() || v == "\\." || v.contains([',', '"', '\r', '\n']) {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v.to_string()
        }
    }

    /// The text format of a value, as the PostgreSQL docs describe it.
    fn text_value(value: Option<&str>) -> String {
        let Some(v) = value else { return "\\N".into() };
        v.replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r")
    }

    /// Random rows of awkward values, cut at random places, convert to what the docs say.
    #[test]
    fn random_rows_convert_as_the_formats_are_specified() {
        let pieces = [
            "",
            "a",
            "\"",
            "\"\"",
            ",",
            "\n",
            "\r",
            "\t",
            "\\",
            "\\N",
            "\\.",
            "é",
            "{\"k\": 1}",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..300 {
            let columns = 1 + next(4);
            let (mut csv, mut text) = (String::new(), String::new());
            csv.push_str(&vec!["c"; columns].join(","));
            csv.push('\n');
            for _ in 0..next(5) {
                let values: Vec<Option<String>> = (0..columns)
                    .map(|_| match next(5) {
                        0 => None,
                        _ => Some((0..next(4)).map(|_| pieces[next(pieces.len())]).collect()),
                    })
                    .collect();
                let line = |f: fn(Option<&str>) -> String, sep: &str| {
                    values
                        .iter()
                        .map(|v| f(v.as_deref()))
                        .collect::<Vec<_>>()
                        .join(sep)
                };
                csv.push_str(&line(csv_value, ","));
                csv.push('\n');
                text.push_str(&line(text_value, "\t"));
                text.push('\n');
            }
            let cuts = {
                let (a, b) = (next(csv.len() + 1), next(csv.len() + 1));
                [a.min(b), a.max(b)]
            };
            let out = convert_in(csv.as_bytes(), columns, &cuts).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                text,
                "{csv:?} cut at {cuts:?}"
            );
        }
    }
}
