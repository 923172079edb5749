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

/// The tables `migration` may change: those its SQL names (`"Name"`, or bare when the name is
/// lower-case), and, transitively, those with a foreign key to one of them (a cascading delete or
/// `SET NULL` reaches them). All tables when the SQL creates a trigger or function or runs a
/// `DO` block, whose effects cannot be read from names. The others are only counted.
pub(super) fn touched(tables: &[Table], migration: &LocalMigration) -> BTreeSet<String> {
    let script = String::from_utf8_lossy(&migration.script);
    let upper = script.to_uppercase();
    if ["TRIGGER", "FUNCTION", "PROCEDURE", "DO $", "CALL "]
        .iter()
        .any(|word| upper.contains(word))
    {
        return tables.iter().map(|t| t.name.clone()).collect();
    }
    let mut names: BTreeSet<String> = tables
        .iter()
        .filter(|t| names_table(&script, &t.name))
        .map(|t| t.name.clone())
        .collect();
    loop {
        let referencing: Vec<String> = tables
            .iter()
            .filter(|t| !names.contains(&t.name))
            .filter(|t| {
                t.foreign_keys
                    .iter()
                    .any(|fk| names.contains(&fk.references_table))
            })
            .map(|t| t.name.clone())
            .collect();
        if referencing.is_empty() {
            return names;
        }
        names.extend(referencing);
    }
}

/// [`touched`] by any of `migrations`.
pub(super) fn touched_by_all(tables: &[Table], migrations: &[LocalMigration]) -> BTreeSet<String> {
    migrations.iter().flat_map(|m| touched(tables, m)).collect()
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

/// Replaces the schema `into` with copies of the `names` of `tables`, every column cast to text,
/// in one batch; each copy analyzed so the comparisons' joins are planned on real sizes.
pub(super) async fn copy_tables(
    conn: &mut PgConnection,
    into: &str,
    tables: &[Table],
    names: &BTreeSet<String>,
) -> Result<(), QueryError> {
    let schema = quote_ident(into);
    let mut sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};\n");
    for table in tables.iter().filter(|t| names.contains(&t.name)) {
        let columns = table
            .columns
            .iter()
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
    copied: &BTreeSet<String>,
) -> Result<BTreeMap<String, u64>, QueryError> {
    let parts: Vec<String> = tables
        .iter()
        .filter(|t| !copied.contains(&t.name))
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
