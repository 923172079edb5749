//! Inference of the standard groups (`admin`, `images`, `analytics`) from the live catalog:
//! table names read word by word, and the columns that say who is an admin.

use std::collections::BTreeMap;

use super::{ADMIN, ANALYTICS, IMAGES};
use crate::catalog::{Column, Table};
use crate::sql::quote_ident;

/// The standard groups, in inference precedence: a table matching several goes into the first.
pub(super) const STANDARD: [(&str, &[&str]); 3] = [
    (
        ANALYTICS,
        &[
            "analytic",
            "event",
            "pageview",
            "metric",
            "log",
            "audit",
            "tracking",
            "visit",
            "impression",
        ],
    ),
    (
        IMAGES,
        &[
            "image",
            "photo",
            "media",
            "asset",
            "upload",
            "carousel",
            "picture",
            "attachment",
            "gallery",
        ],
    ),
    (
        ADMIN,
        &[
            "user",
            "role",
            "permission",
            "setting",
            "config",
            "configuration",
            "prompt",
            "admin",
        ],
    ),
];

/// The inferred group of a table whose name has `words`, by precedence.
pub(super) fn classify(words: &[String]) -> Option<&'static str> {
    let pairs = words.windows(2).map(|pair| pair.concat());
    let terms: Vec<String> = words.iter().cloned().chain(pairs).collect();
    STANDARD
        .iter()
        .find(|(_, set)| terms.iter().any(|term| set.contains(&term.as_str())))
        .map(|(name, _)| *name)
}

/// The words of a table name, lower-cased and singular: `page_views` and `PageView` are both
/// `["page", "view"]`, `HTTPLog2` is `["http", "log"]`.
pub(super) fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphabetic() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if previous.is_lowercase() || (previous.is_uppercase() && next_is_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
        .into_iter()
        .map(|w| singular(w.to_lowercase()))
        .collect()
}

/// `galleries` → `gallery`, `users` → `user`; `address`, `bus` and `media` stay.
fn singular(word: String) -> String {
    if word.len() > 3 && word.ends_with("ies") {
        format!("{}y", &word[..word.len() - 3])
    } else if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_string()
    } else {
        word
    }
}

/// Why no admin filter could be inferred for a user table, in words.
pub(super) const NO_ADMIN_COLUMN: &str = "no column says who is an admin (looked for a `role` enum with an ADMIN label, a `roles` enum list, an `isAdmin`/`admin`/`is_admin` boolean, a text `role`)";

/// The filter that keeps a user table's admins, when its columns say who they are; else why not.
///
/// In this order, the first that fits wins:
/// 1. a `role` column (any case, `user_role` too) of an enum type with an admin label
///    (`ADMIN`, else any label equal to `admin` ignoring case): `"role" = 'ADMIN'`;
/// 2. a `roles` column (or `role`) that is an array of such an enum (Prisma's `roles Role[]`):
///    `'ADMIN' = ANY("roles")`;
/// 3. a boolean `isAdmin`, `is_admin` or `admin` (any case): `"isAdmin"`;
/// 4. a text `role` (`text`, `citext`, `varchar`), compared ignoring case:
///    `lower("role") = 'admin'`; a text list `roles text[]`: any element so.
pub(super) fn admin_filter(
    table: &Table,
    enums: &BTreeMap<String, Vec<String>>,
) -> Result<String, String> {
    let role_columns: Vec<&Column> = table
        .columns
        .iter()
        .filter(|c| is_role_name(&c.name))
        .collect();
    for column in &role_columns {
        if let Some(label) = enums.get(&column.data_type).and_then(|l| admin_label(l)) {
            return Ok(format!(
                "{} = {}",
                quote_ident(&column.name),
                literal(label)
            ));
        }
    }
    for column in &role_columns {
        let element = column.data_type.strip_suffix("[]");
        if let Some(label) = element
            .and_then(|e| enums.get(e))
            .and_then(|l| admin_label(l))
        {
            return Ok(format!(
                "{} = ANY({})",
                literal(label),
                quote_ident(&column.name)
            ));
        }
    }
    if let Some(column) = table.columns.iter().find(|c| {
        let name = c.name.replace('_', "").to_lowercase();
        c.data_type == "boolean" && (name == "isadmin" || name == "admin")
    }) {
        return Ok(quote_ident(&column.name));
    }
    for column in &role_columns {
        let name = quote_ident(&column.name);
        if is_text(&column.data_type) {
            return Ok(format!("lower({name}) = 'admin'"));
        }
        if column.data_type.strip_suffix("[]").is_some_and(is_text) {
            return Ok(format!(
                "EXISTS (SELECT 1 FROM unnest({name}) AS xtask_role WHERE lower(xtask_role) = 'admin')"
            ));
        }
    }
    Err(NO_ADMIN_COLUMN.to_string())
}

/// `role`, `roles`, `Role`, `user_role`, `userRoles`.
fn is_role_name(name: &str) -> bool {
    let name = name.replace('_', "").to_lowercase();
    ["role", "roles", "userrole", "userroles"].contains(&name.as_str())
}

/// The enum label that means admin: `ADMIN` exactly, else one equal to `admin` ignoring case.
fn admin_label(labels: &[String]) -> Option<&str> {
    labels
        .iter()
        .find(|l| *l == "ADMIN")
        .or_else(|| labels.iter().find(|l| l.eq_ignore_ascii_case("admin")))
        .map(String::as_str)
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn is_text(data_type: &str) -> bool {
    data_type == "text" || data_type == "citext" || data_type.starts_with("character varying")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_and_singularize() {
        assert_eq!(words("SystemPrompt"), ["system", "prompt"]);
        assert_eq!(words("page_views"), ["page", "view"]);
        assert_eq!(words("HTTPLog2Entries"), ["http", "log", "entry"]);
        assert_eq!(words("user-settings 2024"), ["user", "setting"]);
        assert_eq!(words("_PostToTag"), ["post", "to", "tag"]);
        assert_eq!(words("Address"), ["address"]);
        assert_eq!(words("Bus"), ["bus"]);
        assert_eq!(words("Galleries"), ["gallery"]);
    }
}
