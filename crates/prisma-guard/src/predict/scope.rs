//! What a pending migration may change: the tables it names or reaches through foreign keys,
//! and which of their columns ([`touched`]), read from its SQL and the catalog; and a catalog
//! narrowed to those columns for the comparison ([`narrowed`]).

use std::collections::{BTreeMap, BTreeSet};

use super::copy::State;
use crate::catalog::Table;
use crate::migrations::LocalMigration;

/// What of one table a migration may change, so what its before-state copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scope {
    /// Every column.
    All,
    /// Every column but these, which the migration cannot change (see [`touched`]). Never
    /// empty: that is [`Scope::All`].
    Except(BTreeSet<String>),
}

/// The tables a migration may touch, by name, with what of each is copied.
pub(super) type Touched = BTreeMap<String, Scope>;

/// The tables `migration` may change, and which of their columns:
/// - a table its SQL names (`"Name"`, or bare when the name is lower-case), with its key, its
///   foreign-key and generated columns, the columns the SQL names (those an `UPDATE … SET`,
///   `ALTER COLUMN` or `DROP COLUMN` changes) and those of a type the SQL names (an enum, a
///   domain); its rows are seen by the key, so deletes and inserts count whole;
/// - transitively, a table with a foreign key to one of them, with the same columns: a
///   cascading delete removes its rows, and `SET NULL`, `SET DEFAULT` or `ON UPDATE CASCADE`
///   rewrite only its foreign-key columns.
///
/// Every table, wholly, when the SQL creates a trigger, function or rule, runs a `DO` block or
/// calls a procedure, or when the schema has triggers or rules already ([`State::code`]):
/// their effects cannot be read from names. The others are only counted.
pub(super) fn touched(state: &State, migration: &LocalMigration) -> Touched {
    let tables = &state.tables;
    let script = String::from_utf8_lossy(&migration.script);
    let upper = script.to_uppercase();
    let code = ["TRIGGER", "FUNCTION", "PROCEDURE", "RULE", "DO $", "CALL "]
        .iter()
        .any(|word| upper.contains(word));
    if code || state.code {
        return tables
            .iter()
            .map(|t| (t.name.clone(), Scope::All))
            .collect();
    }
    let mut touched: Touched = tables
        .iter()
        .filter(|t| names_identifier(&script, &t.name))
        .map(|t| (t.name.clone(), columns_named(t, &script)))
        .collect();
    loop {
        let referencing: Vec<&Table> = tables
            .iter()
            .filter(|t| !touched.contains_key(&t.name))
            .filter(|t| {
                t.foreign_keys
                    .iter()
                    .any(|fk| touched.contains_key(&fk.references_table))
            })
            .collect();
        if referencing.is_empty() {
            return touched;
        }
        for table in referencing {
            touched.insert(table.name.clone(), columns_named(table, &script));
        }
    }
}

/// What of `table` `script` may change: its key, its foreign-key and generated columns, the
/// columns it names, and those of a type it names; the other columns are left out.
fn columns_named(table: &Table, script: &str) -> Scope {
    let kept = |column: &crate::catalog::Column| {
        let type_name = column.data_type.trim_end_matches("[]").trim_matches('"');
        column.generated
            || table.primary_key.contains(&column.name)
            || table
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.contains(&column.name))
            || names_identifier(script, &column.name)
            || names_identifier(script, type_name)
    };
    let left_out: BTreeSet<String> = table
        .columns
        .iter()
        .filter(|c| !kept(c))
        .map(|c| c.name.clone())
        .collect();
    match left_out.is_empty() {
        true => Scope::All,
        false => Scope::Except(left_out),
    }
}

/// [`touched`] by any of `migrations`: a column copied for one is copied.
pub(super) fn touched_by_all(state: &State, migrations: &[LocalMigration]) -> Touched {
    let mut all = Touched::new();
    for (name, scope) in migrations.iter().flat_map(|m| touched(state, m)) {
        let merged = match (all.remove(&name), scope) {
            (None, scope) => scope,
            (Some(Scope::Except(a)), Scope::Except(b)) => {
                let both: BTreeSet<String> = a.intersection(&b).cloned().collect();
                match both.is_empty() {
                    true => Scope::All,
                    false => Scope::Except(both),
                }
            }
            _ => Scope::All,
        };
        all.insert(name, merged);
    }
    all
}

/// `state` without the columns `touched` leaves out of the copies, so a comparison looks at the
/// others alone (those were shown unchangeable by [`touched`]). Columns a migration adds stay.
pub(super) fn narrowed(state: &State, touched: &Touched) -> State {
    let mut state = state.clone();
    for table in &mut state.tables {
        if let Some(Scope::Except(left_out)) = touched.get(&table.name) {
            table.columns.retain(|c| !left_out.contains(&c.name));
        }
    }
    state
}

/// Whether `script` names the identifier `name`: quoted, or bare as a whole word when `name` is
/// lower-case (PostgreSQL folds unquoted names to lower case). Text in comments and strings
/// counts too, which only copies more.
fn names_identifier(script: &str, name: &str) -> bool {
    if script.contains(&format!("\"{name}\"")) {
        return true;
    }
    let bare = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    bare && script.match_indices(name).any(|(at, _)| {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let before = script[..at].chars().next_back().is_none_or(|c| !word(c));
        let after = script[at + name.len()..]
            .chars()
            .next()
            .is_none_or(|c| !word(c));
        before && after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, columns: &[(&str, &str)], fks: &[(&str, &str)]) -> Table {
        Table {
            schema: "public".into(),
            name: name.into(),
            columns: columns
                .iter()
                .map(|(name, data_type)| crate::catalog::Column {
                    name: (*name).into(),
                    data_type: (*data_type).into(),
                    nullable: true,
                    default: None,
                    generated: false,
                    identity: false,
                })
                .collect(),
            primary_key: vec!["id".into()],
            unique_keys: Vec::new(),
            foreign_keys: fks
                .iter()
                .map(|(column, parent)| crate::catalog::ForeignKey {
                    name: format!("{name}_{column}_fkey"),
                    columns: vec![(*column).into()],
                    references_schema: "public".into(),
                    references_table: (*parent).into(),
                    references_columns: vec!["id".into()],
                })
                .collect(),
            estimated_bytes: 0,
        }
    }

    fn migration(sql: &str) -> LocalMigration {
        LocalMigration {
            name: "20240101000000_m".into(),
            script_path: "migration.sql".into(),
            script: sql.as_bytes().to_vec(),
            checksum: String::new(),
        }
    }

    fn except(names: &[&str]) -> Scope {
        Scope::Except(names.iter().map(|n| (*n).to_string()).collect())
    }

    fn state(tables: &[Table], code: bool) -> State {
        State {
            tables: tables.to_vec(),
            enums: BTreeMap::new(),
            code,
        }
    }

    #[test]
    fn a_touched_table_is_copied_by_its_key_foreign_keys_and_the_columns_and_types_named() {
        let tables = [
            table(
                "User",
                &[("id", "text"), ("name", "text"), ("bio", "text")],
                &[],
            ),
            table(
                "Post",
                &[("id", "text"), ("authorId", "text"), ("content", "text")],
                &[("authorId", "User")],
            ),
            table(
                "Comment",
                &[
                    ("id", "text"),
                    ("postId", "text"),
                    ("body", "text"),
                    ("status", "\"Status\"[]"),
                ],
                &[("postId", "Post")],
            ),
            table("Tag", &[("id", "text"), ("label", "text")], &[]),
        ];
        let sql = "ALTER TABLE \"User\" DROP COLUMN \"name\";\nALTER TYPE \"Status\" RENAME VALUE 'A' TO 'B';";
        let plain = state(&tables, false);
        let touched = touched(&plain, &migration(sql));
        assert_eq!(touched.get("User"), Some(&except(&["bio"])));
        assert_eq!(touched.get("Post"), Some(&except(&["content"])));
        assert_eq!(touched.get("Comment"), Some(&except(&["body"])));
        assert_eq!(touched.get("Tag"), None);

        // Code whose effects cannot be read from names, in the SQL or in the schema already:
        // every table, wholly.
        let trigger =
            "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql;";
        for all in [
            super::touched(&plain, &migration(trigger)),
            super::touched(&state(&tables, true), &migration(sql)),
        ] {
            assert_eq!(all.len(), 4);
            assert!(all.values().all(|scope| *scope == Scope::All));
        }

        // Across migrations, a column copied for one is copied.
        let update = migration("UPDATE \"Post\" SET \"content\" = '';");
        let joined = touched_by_all(&plain, &[migration(sql), update.clone()]);
        assert_eq!(joined.get("Post"), Some(&Scope::All));
        assert_eq!(joined.get("Comment"), Some(&except(&["body"])));
        let whole = touched_by_all(&plain, &[migration(sql), migration(trigger)]);
        assert_eq!(whole.get("Comment"), Some(&Scope::All));

        // A comparison sees the columns copied only.
        let narrowed = narrowed(&plain, &touched);
        let names = |t: &str| -> Vec<String> {
            let table = narrowed.table(t).expect("table");
            table.columns.iter().map(|c| c.name.clone()).collect()
        };
        assert_eq!(names("User"), ["id", "name"]);
        assert_eq!(names("Post"), ["id", "authorId"]);
        assert_eq!(names("Tag"), ["id", "label"]);
    }

    #[test]
    fn a_name_is_found_quoted_or_bare_in_lower_case() {
        let sql = "ALTER TABLE \"User\" DROP COLUMN \"name\";\nDROP TABLE page_view;";
        assert!(names_identifier(sql, "User"));
        assert!(names_identifier(sql, "page_view"));
        assert!(!names_identifier(sql, "Post"));
        assert!(!names_identifier(sql, "page"));
        assert!(!names_identifier(sql, "view"));
        // `name` is a column here, but a table of that name may be touched: it counts.
        assert!(names_identifier(sql, "name"));
    }
}
