//! Splitting a migration.sql into its statements, as Prisma >= 7.4 runs a file on PostgreSQL
//! (prisma-engines #5799: one statement at a time, outside a transaction block, which is what
//! lets `CREATE INDEX CONCURRENTLY` run in a multi-statement migration).
//!
//! A small lexer of PostgreSQL's SQL, enough to find the `;` that end statements: it skips
//! `'…'` strings (`''` inside), `E'…'` strings (backslash escapes), `"…"` identifiers, dollar
//! quotes (`$$…$$`, `$tag$…$tag$`), `--` line comments and nested `/* … */` block comments, and
//! the `BEGIN ATOMIC … END` body of a SQL-standard `CREATE FUNCTION`/`PROCEDURE` (`;` inside it
//! belongs to the body, as psql reads it). Why our own: `sqlparser` would have to parse every
//! statement (Prisma's splitter falls back to the whole file when it cannot, prisma-engines
//! #5847) and `pg_query` needs a C build; finding boundaries needs only the lexical rules.

/// The statements of `script`, in order, each without its ending `;` and trimmed; pieces that
/// hold only whitespace and comments are left out. An unterminated string, identifier, dollar
/// quote or comment runs to the end of the script (PostgreSQL then reports the error when the
/// statement runs).
pub fn statements(script: &str) -> Vec<&str> {
    let mut lexer = Lexer {
        bytes: script.as_bytes(),
        at: 0,
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut meaningful = false;
    let mut body = Body::default();
    while let Some(token) = lexer.next() {
        match token {
            Token::Semicolon if body.depth == 0 => {
                if meaningful {
                    out.push(script[start..lexer.at - 1].trim());
                }
                start = lexer.at;
                meaningful = false;
                body = Body::default();
            }
            Token::Semicolon | Token::Comment => {}
            Token::Word(range) => {
                meaningful = true;
                body.word(&script[range]);
            }
            Token::Other => {
                meaningful = true;
                body.other();
            }
        }
    }
    if meaningful {
        out.push(script[start..].trim());
    }
    out
}

/// What the lexer found.
enum Token {
    /// A `;` outside strings, identifiers and comments.
    Semicolon,
    /// A comment (skipped).
    Comment,
    /// An unquoted word (keyword or identifier), by byte range.
    Word(std::ops::Range<usize>),
    /// Anything else: a string, a quoted identifier, a dollar quote, a number, an operator.
    Other,
}

struct Lexer<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Lexer<'_> {
    fn next(&mut self) -> Option<Token> {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
        let &byte = self.bytes.get(self.at)?;
        let next = self.bytes.get(self.at + 1).copied();
        let start = self.at;
        self.at += 1;
        Some(match (byte, next) {
            (b';', _) => Token::Semicolon,
            (b'-', Some(b'-')) => {
                self.skip_line();
                Token::Comment
            }
            (b'/', Some(b'*')) => {
                self.skip_block_comment();
                Token::Comment
            }
            (b'\'', _) => {
                self.skip_quoted(b'\'', false);
                Token::Other
            }
            (b'"', _) => {
                self.skip_quoted(b'"', false);
                Token::Other
            }
            (b'e' | b'E', Some(b'\'')) => {
                self.at += 1;
                self.skip_quoted(b'\'', true);
                Token::Other
            }
            (b'$', _) => {
                if let Some(tag) = self.dollar_tag(start) {
                    self.skip_dollar_quoted(tag);
                }
                Token::Other
            }
            (b, _) if is_word_start(b) => {
                while self.bytes.get(self.at).is_some_and(|&b| is_word_part(b)) {
                    self.at += 1;
                }
                Token::Word(start..self.at)
            }
            _ => Token::Other,
        })
    }

    fn skip_line(&mut self) {
        while self.bytes.get(self.at).is_some_and(|&b| b != b'\n') {
            self.at += 1;
        }
    }

    /// After `/`: skips `* … */`, nested as PostgreSQL nests them.
    fn skip_block_comment(&mut self) {
        self.at += 1;
        let mut depth = 1;
        while depth > 0 && self.at < self.bytes.len() {
            match (self.bytes[self.at], self.bytes.get(self.at + 1)) {
                (b'/', Some(b'*')) => (depth += 1, self.at += 2).1,
                (b'*', Some(b'/')) => (depth -= 1, self.at += 2).1,
                _ => self.at += 1,
            }
        }
    }

    /// After the opening `quote`: skips to the closing one; a doubled quote is part of the
    /// text, and with `backslash` (E'' strings) so is any byte after a `\`.
    fn skip_quoted(&mut self, quote: u8, backslash: bool) {
        while let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            if backslash && b == b'\\' {
                self.at += 1;
            } else if b == quote {
                if self.bytes.get(self.at) != Some(&quote) {
                    return;
                }
                self.at += 1;
            }
        }
    }

    /// At a `$` (already consumed, at `start`): the byte range of the whole opening tag (`$$`
    /// or `$name$`) when it opens a dollar quote, consuming it; `None` for a parameter (`$1`)
    /// or a `$` inside a word (PostgreSQL allows `$` in identifiers after the first character).
    fn dollar_tag(&mut self, start: usize) -> Option<std::ops::Range<usize>> {
        if start > 0 && is_word_part(self.bytes[start - 1]) {
            return None;
        }
        let mut end = self.at;
        if self.bytes.get(end).is_some_and(|&b| is_word_start(b)) {
            while self
                .bytes
                .get(end)
                .is_some_and(|&b| is_word_part(b) && b != b'$')
            {
                end += 1;
            }
        }
        if self.bytes.get(end) != Some(&b'$') {
            return None;
        }
        self.at = end + 1;
        Some(start..end + 1)
    }

    /// After an opening dollar `tag`: skips to the same tag closing it.
    fn skip_dollar_quoted(&mut self, tag: std::ops::Range<usize>) {
        let tag = &self.bytes[tag];
        while self.at < self.bytes.len() {
            if self.bytes[self.at..].starts_with(tag) {
                self.at += tag.len();
                return;
            }
            self.at += 1;
        }
    }
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_word_part(b: u8) -> bool {
    is_word_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Tracks a SQL-standard routine body: in a statement that starts `CREATE [OR REPLACE]
/// FUNCTION|PROCEDURE`, `BEGIN` (and `CASE` inside it) opens a block that `END` closes, and a
/// `;` inside a block does not end the statement (psql's rule).
#[derive(Default)]
struct Body {
    /// Words of the statement seen so far, up to the routine keyword.
    head: u8,
    routine: bool,
    depth: u32,
}

impl Body {
    fn word(&mut self, word: &str) {
        let is = |k: &str| word.eq_ignore_ascii_case(k);
        match self.head {
            0 => self.head = if is("create") { 1 } else { 9 },
            1 if is("or") => self.head = 2,
            2 if is("replace") => self.head = 3,
            1 | 3 => {
                self.routine = is("function") || is("procedure");
                self.head = 9;
            }
            _ => {}
        }
        if !self.routine {
            return;
        }
        if is("begin") || (is("case") && self.depth > 0) {
            self.depth += 1;
        } else if is("end") && self.depth > 0 {
            self.depth -= 1;
        }
    }

    fn other(&mut self) {
        if self.head < 9 {
            self.head = 9;
        }
    }
}

#[cfg(test)]
mod tests;
