//! The before-state of a migration: the catalog, and copies of the tables it may touch, every
//! column as text, in a schema of their own in the scratch database.
//!
//! As text, so that a copy depends on no type, sequence or default of the working schema (a
//! migration may drop and recreate an enum type) and a comparison is the "compare as text" the
//! type-change rule asks for. Unlogged: the scratch database is thrown away.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::PgConnection;

use crate::catalog::{self, Table};
use crate::error::QueryError;
use crate::migrations::{LocalMigration, table::TABLE_NAME};
use crate::sql::{qualified, quote_ident};

/// The working schema's catalog at one moment.
#[derive(Debug, Clone)]
pub(super) struct State {
    /// The tables but `_prisma_migrations`, by name.
    pub tables: Vec<Table>,
    /// Enum types (as `format_type` prints them) and their labels.
    pub enums: BTreeMap<String, Vec<String>>,
}

impl State {
    /// Reads the catalog of `schema` (two catalog queries).
    pub async fn read(conn: &mut PgConnection, schema: &str) -> Result<State, QueryError> {
        let mut tables = catalog::tables(conn, schema)
            .await
            .map_err(QueryError::at("reading the scratch copy's catalog"))?;
        tables.retain(|t| t.name != TABLE_NAME);
        let enums = catalog::enums(conn, schema)
            .await
            .map_err(QueryError::at("reading the scratch copy's enum types"))?;
        Ok(State { tables, enums })
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// What of one table a migration may change, so what its before-state copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scope {
    /// Every column: the migration names the table (or runs code whose effects cannot be read
    /// from names).
    All,
    /// Only these columns (in no particular order): the table is reached through foreign keys
    /// alone, so a cascading delete can remove its rows (seen by its key) and `SET NULL`,
    /// `SET DEFAULT` or `ON UPDATE CASCADE` can rewrite its foreign-key columns; a column
    /// whose type the migration names (an enum, a domain) can change too. Nothing else of it
    /// can, so nothing else is copied or compared.
    Columns(BTreeSet<String>),
}

/// The tables a migration may touch, by name, with what of each is copied.
pub(super) type Touched = BTreeMap<String, Scope>;

/// The tables `migration` may change: those its SQL names (`"Name"`, or bare when the name is
/// lower-case), wholly, and, transitively, those with a foreign key to one of them (a cascading
/// delete or `SET NULL` reaches them), with only their key, foreign-key columns and columns of a
/// type the SQL names ([`Scope::Columns`]). Every table wholly when the SQL creates a trigger or
/// function, runs a `DO` block or calls a procedure, whose effects cannot be read from names.
/// The others are only counted.
pub(super) fn touched(tables: &[Table], migration: &LocalMigration) -> Touched {
    let script = String::from_utf8_lossy(&migration.script);
    let upper = script.to_uppercase();
    if ["TRIGGER", "FUNCTION", "PROCEDURE", "DO $", "CALL "]
        .iter()
        .any(|word| upper.contains(word))
    {
        return tables.iter().map(|t| (t.name.clone(), Scope::All)).collect();
    }
    let mut touched: Touched = tables
        .iter()
        .filter(|t| names_table(&script, &t.name))
        .map(|t| (t.name.clone(), Scope::All))
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
            touched.insert(table.name.clone(), reached(table, &script));
        }
    }
}

/// The columns of a table reached through foreign keys that a migration may change: its key,
/// its foreign-key columns, and the columns whose type the script names.
fn reached(table: &Table, script: &str) -> Scope {
    let mut columns: BTreeSet<String> = table.primary_key.iter().cloned().collect();
    for fk in &table.foreign_keys {
        columns.extend(fk.columns.iter().cloned());
    }
    for column in &table.columns {
        let name = column.data_type.trim_end_matches("[]").trim_matches('"');
        if names_table(script, name) {
            columns.insert(column.name.clone());
        }
    }
    Scope::Columns(columns)
}

/// [`touched`] by any of `migrations`: a table copied wholly by one is copied wholly.
pub(super) fn touched_by_all(tables: &[Table], migrations: &[LocalMigration]) -> Touched {
    let mut all = Touched::new();
    for (name, scope) in migrations.iter().flat_map(|m| touched(tables, m)) {
        let merged = match (all.remove(&name), scope) {
            (None, scope) => scope,
            (Some(Scope::Columns(mut a)), Scope::Columns(b)) => {
                a.extend(b);
                Scope::Columns(a)
            }
            _ => Scope::All,
        };
        all.insert(name, merged);
    }
    all
}

/// `state` with each table of `touched` that is copied in part narrowed to the columns copied,
/// so a comparison looks at those alone (the others were shown unchangeable by [`touched`]).
pub(super) fn narrowed(state: &State, touched: &Touched) -> State {
    let mut state = state.clone();
    for table in &mut state.tables {
        if let Some(Scope::Columns(columns)) = touched.get(&table.name) {
            table.columns.retain(|c| columns.contains(&c.name));
        }
    }
    state
}

fn names_table(script: &str, name: &str) -> bool {
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

/// Replaces the schema `into` with copies of the tables of `touched`, each with the columns its
/// [`Scope`] names, every column cast to text, in one batch; each copy analyzed so the
/// comparisons' joins are planned on real sizes.
pub(super) async fn copy_tables(
    conn: &mut PgConnection,
    into: &str,
    tables: &[Table],
    touched: &Touched,
) -> Result<(), QueryError> {
    let schema = quote_ident(into);
    let mut sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};\n");
    for (table, scope) in tables
        .iter()
        .filter_map(|t| touched.get(&t.name).map(|scope| (t, scope)))
    {
        let columns = table
            .columns
            .iter()
            .filter(|c| match scope {
                Scope::All => true,
                Scope::Columns(columns) => columns.contains(&c.name),
            })
            .map(|c| format!("{0}::text AS {0}", quote_ident(&c.name)))
            .collect::<Vec<_>>()
            .join(", ");
        let copy = qualified(into, &table.name);
        sql += &format!(
            "CREATE UNLOGGED TABLE {copy} AS SELECT {columns} FROM {};\nANALYZE {copy};\n",
            table.qualified()
        );
    }
    sqlx::raw_sql(&sql)
        .execute(&mut *conn)
        .await
        .map_err(QueryError::at(format!("copying the tables into {into}")))?;
    Ok(())
}

/// Rows of each table of `tables` not in `copied`, in one statement.
pub(super) async fn row_counts(
    conn: &mut PgConnection,
    tables: &[Table],
    copied: &Touched,
) -> Result<BTreeMap<String, u64>, QueryError> {
    let parts: Vec<String> = tables
        .iter()
        .filter(|t| !copied.contains_key(&t.name))
        .map(|t| {
            format!(
                "SELECT {}::text, count(*) FROM {}",
                literal(&t.name),
                t.qualified()
            )
        })
        .collect();
    if parts.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(&parts.join(" UNION ALL "))
        .fetch_all(&mut *conn)
        .await
        .map_err(QueryError::at("counting the rows of the tables"))?;
    Ok(rows
        .into_iter()
        .map(|(name, count)| (name, count.max(0) as u64))
        .collect())
}

/// A SQL string literal.
pub(super) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
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

    fn columns(names: &[&str]) -> Scope {
        Scope::Columns(names.iter().map(|n| (*n).to_string()).collect())
    }

    #[test]
    fn a_named_table_is_copied_wholly_a_reached_one_by_key_foreign_keys_and_named_types() {
        let tables = [
            table("User", &[("id", "text"), ("name", "text")], &[]),
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
        let touched = touched(&tables, &migration(sql));
        assert_eq!(touched.get("User"), Some(&Scope::All));
        assert_eq!(touched.get("Post"), Some(&columns(&["id", "authorId"])));
        assert_eq!(
            touched.get("Comment"),
            Some(&columns(&["id", "postId", "status"]))
        );
        assert_eq!(touched.get("Tag"), None);

        // Code whose effects cannot be read from names: every table, wholly.
        let trigger = "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql;";
        let all = super::touched(&tables, &migration(trigger));
        assert!(all.values().all(|scope| *scope == Scope::All));
        assert_eq!(all.len(), 4);

        // Across migrations, a table copied wholly by one stays whole; parts are joined.
        let both = touched_by_all(
            &tables,
            &[migration(sql), migration("DROP TABLE \"Post\";")],
        );
        assert_eq!(both.get("Post"), Some(&Scope::All));
        assert_eq!(both.get("Comment"), Some(&columns(&["id", "postId", "status"])));

        // A comparison sees the columns copied only.
        let state = State {
            tables: tables.to_vec(),
            enums: BTreeMap::new(),
        };
        let narrowed = narrowed(&state, &touched);
        let names = |t: &str| -> Vec<String> {
            let table = narrowed.table(t).expect("table");
            table.columns.iter().map(|c| c.name.clone()).collect()
        };
        assert_eq!(names("Post"), ["id", "authorId"]);
        assert_eq!(names("User"), ["id", "name"]);
        assert_eq!(names("Tag"), ["id", "label"]);
    }

    #[test]
    fn a_table_is_named_quoted_or_bare_in_lower_case() {
        let sql = "ALTER TABLE \"User\" DROP COLUMN \"name\";\nDROP TABLE page_view;";
        assert!(names_table(sql, "User"));
        assert!(names_table(sql, "page_view"));
        assert!(!names_table(sql, "Post"));
        assert!(!names_table(sql, "page"));
        assert!(!names_table(sql, "view"));
        // `name` is a column here, but a table of that name may be touched: it counts.
        assert!(names_table(sql, "name"));
    }
}
