//! A group's config entry: `"User WHERE role = 'ADMIN'"` read into a [`GroupTable`]
//! ([`parse_entry`]), and written back (its `Display`).

use std::fmt;

use super::GroupTable;
use crate::sql::quote_ident;

/// Parses one config entry: `"User WHERE role = 'ADMIN'"` gives table `User` with filter
/// `role = 'ADMIN'`.
///
/// The entry is split at the first whitespace-delimited `WHERE` (any case); both sides are
/// trimmed, and an empty filter is none. A table name in double quotes (`"My Table" WHERE x`,
/// inner quotes doubled) is unquoted, so a name containing ` where ` can still be written.
/// Never fails: text without `WHERE` is the table name.
pub fn parse_entry(entry: &str) -> GroupTable {
    let entry = entry.trim();
    if let Some((name, after)) = quoted_name(entry) {
        let after = after.trim();
        if after.is_empty() {
            return GroupTable {
                table: name,
                filter: None,
            };
        }
        if let Some(filter) = strip_where(after) {
            return GroupTable {
                table: name,
                filter: non_empty(filter),
            };
        }
    }
    let mut previous_is_space = false;
    for (i, c) in entry.char_indices() {
        // No let chains: the crate supports Rust 1.85.
        if let Some(filter) = strip_where(&entry[i..]).filter(|_| previous_is_space) {
            return GroupTable {
                table: entry[..i].trim().to_string(),
                filter: non_empty(filter),
            };
        }
        previous_is_space = c.is_whitespace();
    }
    GroupTable {
        table: entry.to_string(),
        filter: None,
    }
}

/// `"name"rest` → (`name` with `""` undoubled, `rest`).
fn quoted_name(entry: &str) -> Option<(String, &str)> {
    let rest = entry.strip_prefix('"')?;
    let mut name = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '"' {
            name.push(c);
        } else if chars.peek().is_some_and(|&(_, next)| next == '"') {
            name.push('"');
            chars.next();
        } else {
            return Some((name, &rest[i + 1..]));
        }
    }
    None
}

/// `WHERE <filter>` → `<filter>`, when `text` starts with the keyword followed by whitespace or
/// nothing.
fn strip_where(text: &str) -> Option<&str> {
    let keyword = text.get(..5)?;
    let rest = &text[5..];
    (keyword.eq_ignore_ascii_case("where") && rest.chars().next().is_none_or(char::is_whitespace))
        .then_some(rest)
}

fn non_empty(filter: &str) -> Option<String> {
    let filter = filter.trim();
    (!filter.is_empty()).then(|| filter.to_string())
}

impl fmt::Display for GroupTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_filter = |table: &str| match &self.filter {
            Some(filter) => format!("{table} WHERE {filter}"),
            None => table.to_string(),
        };
        let plain = with_filter(&self.table);
        if parse_entry(&plain).table == self.table {
            f.write_str(&plain)
        } else {
            f.write_str(&with_filter(&quote_ident(&self.table)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::groups::tests::entry;

    #[test]
    fn parse_entry_cases() {
        assert_eq!(
            parse_entry("User WHERE role = 'ADMIN'"),
            entry("User", Some("role = 'ADMIN'"))
        );
        assert_eq!(parse_entry("  SystemPrompt  "), entry("SystemPrompt", None));
        assert_eq!(
            parse_entry("User where  \"role\" = 'ADMIN' "),
            entry("User", Some("\"role\" = 'ADMIN'"))
        );
        assert_eq!(
            parse_entry("User\tWhErE\tx AND y WHERE z"),
            entry("User", Some("x AND y WHERE z")),
            "split at the first WHERE only"
        );
        assert_eq!(parse_entry("Somewhere"), entry("Somewhere", None));
        assert_eq!(parse_entry("Where"), entry("Where", None));
        assert_eq!(
            parse_entry("Elsewhere WHEREabouts"),
            entry("Elsewhere WHEREabouts", None)
        );
        assert_eq!(parse_entry("User WHERE  "), entry("User", None));
        assert_eq!(
            parse_entry("\"My Table\" WHERE x > 1"),
            entry("My Table", Some("x > 1"))
        );
        assert_eq!(parse_entry("\"My Table\""), entry("My Table", None));
        assert_eq!(
            parse_entry("\"Look where \"\"here\"\"\" WHERE x"),
            entry("Look where \"here\"", Some("x"))
        );
    }

    #[test]
    fn display_is_the_entry_form_and_round_trips() {
        for table in [
            entry("User", Some("\"role\" = 'ADMIN'")),
            entry("SystemPrompt", None),
            entry("Look where here", Some("x")),
            entry("\"odd", None),
        ] {
            assert_eq!(parse_entry(&table.to_string()), table, "{table}");
        }
        assert_eq!(
            entry("User", Some("\"role\" = 'ADMIN'")).to_string(),
            "User WHERE \"role\" = 'ADMIN'"
        );
        assert_eq!(
            entry("Look where here", None).to_string(),
            "\"Look where here\""
        );
    }
}
