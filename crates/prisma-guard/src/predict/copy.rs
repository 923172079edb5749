//! The before-state of a migration: the catalog, and copies of the tables it may touch (the
//! columns [`super::scope`] chose), every column as text, in a schema of their own in the
//! scratch database.
//!
//! As text, so that a copy depends on no type, sequence or default of the working schema (a
//! migration may drop and recreate an enum type) and a comparison is the "compare as text" the
//! type-change rule asks for. Unlogged: the scratch database is thrown away.

use std::collections::BTreeMap;

use sqlx::PgConnection;

use super::scope::{Scope, Touched};
use crate::catalog::{self, Table};
use crate::error::QueryError;
use crate::migrations::table::TABLE_NAME;
use crate::sql::{qualified, quote_ident};

/// The working schema's catalog at one moment.
#[derive(Debug, Clone)]
pub(super) struct State {
    /// The tables but `_prisma_migrations`, by name.
    pub tables: Vec<Table>,
    /// Enum types (as `format_type` prints them) and their labels.
    pub enums: BTreeMap<String, Vec<String>>,
    /// Whether a table of the schema has a trigger or a rule, or the database an event trigger:
    /// then a statement can change what it does not name, so every table is copied wholly.
    pub code: bool,
}

impl State {
    /// Reads the catalog of `schema` (three catalog queries).
    pub async fn read(conn: &mut PgConnection, schema: &str) -> Result<State, QueryError> {
        let mut tables = catalog::tables(conn, schema)
            .await
            .map_err(QueryError::at("reading the scratch copy's catalog"))?;
        tables.retain(|t| t.name != TABLE_NAME);
        let enums = catalog::enums(conn, schema)
            .await
            .map_err(QueryError::at("reading the scratch copy's enum types"))?;
        let code = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                            JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = $1 AND NOT t.tgisinternal)
                 OR EXISTS (SELECT 1 FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
                            JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = $1 AND r.rulename <> '_RETURN')
                 OR EXISTS (SELECT 1 FROM pg_event_trigger)",
        )
        .bind(schema)
        .fetch_one(&mut *conn)
        .await
        .map_err(QueryError::at(
            "reading the scratch copy's triggers and rules",
        ))?;
        Ok(State {
            tables,
            enums,
            code,
        })
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
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
                Scope::Except(left_out) => !left_out.contains(&c.name),
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
