//! Introspection of the live database: the tables of the working schema, their columns with
//! PostgreSQL types (`format_type`), nullability and defaults, primary keys and foreign keys.
//!
//! Only ordinary and partitioned tables are listed (`relkind` `r`/`p`); views, materialized
//! views and foreign tables hold no data of their own to snapshot. Partitions are left out: their
//! rows are read through the partitioned parent, as `pg_dump --load-via-partition-root` does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

/// A column as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The column name.
    pub name: String,
    /// The type as `format_type` prints it, e.g. `timestamp(3) without time zone`, `"Role"`,
    /// `text[]`, `numeric(65,30)`.
    #[serde(rename = "type")]
    pub data_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default expression, if any (`nextval(...)`, `CURRENT_TIMESTAMP`, ...).
    pub default: Option<String>,
    /// A generated column (`GENERATED ALWAYS AS ... STORED`): never written on restore.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generated: bool,
    /// An identity column (`GENERATED ... AS IDENTITY`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity: bool,
}

/// A foreign key of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The constraint name.
    pub name: String,
    /// The referencing columns, in key order.
    pub columns: Vec<String>,
    /// The referenced table's schema.
    pub references_schema: String,
    /// The referenced table.
    pub references_table: String,
    /// The referenced columns, in key order.
    pub references_columns: Vec<String>,
}

/// A table of the working schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The schema.
    pub schema: String,
    /// The table name, unquoted.
    pub name: String,
    /// Columns in their physical order (dropped columns left out).
    pub columns: Vec<Column>,
    /// Primary key columns in key order; empty when the table has none.
    pub primary_key: Vec<String>,
    /// The other unique keys (unique constraints and unique indexes without a predicate or an
    /// expression — what Prisma's `@unique` and `@@unique` create), by index name; each in key
    /// order.
    #[serde(default)]
    pub unique_keys: Vec<Vec<String>>,
    /// Foreign keys, by constraint name.
    pub foreign_keys: Vec<ForeignKey>,
    /// The table's data on disk in bytes, heap plus TOAST (`pg_relation_size` of each; indexes
    /// are left out: COPY does not read them, and sizing them costs a file lookup each), to
    /// schedule big tables first.
    pub estimated_bytes: i64,
}

impl Table {
    /// `"schema"."name"`, quoted for SQL.
    pub fn qualified(&self) -> String {
        crate::sql::qualified(&self.schema, &self.name)
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(sqlx::FromRow)]
struct TableRow {
    name: String,
    estimated_bytes: i64,
}

#[derive(sqlx::FromRow)]
struct ColumnRow {
    table_name: String,
    name: String,
    data_type: String,
    not_null: bool,
    default_expr: Option<String>,
    generated: bool,
    identity: bool,
}

/// A row of [`table_columns`]: a table and one of its columns, or NULLs for a table without.
#[derive(sqlx::FromRow)]
struct TableColumnRow {
    table_name: String,
    name: Option<String>,
    data_type: Option<String>,
    not_null: bool,
    default_expr: Option<String>,
    generated: bool,
    identity: bool,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    table_name: String,
    name: String,
    kind: String,
    columns: Vec<String>,
    references_schema: Option<String>,
    references_table: Option<String>,
    references_columns: Option<Vec<String>>,
}

/// Lists the tables of `schema` with columns and keys, ordered by name.
///
/// Three catalog queries whatever the number of tables (keys: primary, foreign and unique in one). Errors: the driver's error when a query
/// fails (for example on a server older than PostgreSQL 10, which lacks `attidentity`).
pub async fn tables(conn: &mut PgConnection, schema: &str) -> Result<Vec<Table>, sqlx::Error> {
    let rows: Vec<TableRow> = sqlx::query_as(
        "SELECT c.relname AS name,
                pg_relation_size(c.oid) + CASE WHEN c.reltoastrelid = 0 THEN 0
                  ELSE pg_relation_size(c.reltoastrelid) END AS estimated_bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         ORDER BY c.relname COLLATE \"C\"",
    )
    .bind(schema)
    .fetch_all(&mut *conn)
    .await?;
    let columns: Vec<ColumnRow> = sqlx::query_as(
        "SELECT c.relname AS table_name, a.attname AS name,
                format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null,
                pg_get_expr(d.adbin, d.adrelid) AS default_expr,
                a.attgenerated <> '' AS generated, a.attidentity <> '' AS identity
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY c.relname, a.attnum",
    )
    .bind(schema)
    .fetch_all(&mut *conn)
    .await?;
    let keys: Vec<KeyRow> = sqlx::query_as(
        "SELECT c.relname AS table_name, k.conname AS name, k.contype::text AS kind,
                array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n
                      ORDER BY u.i) AS columns,
                rn.nspname::text AS references_schema, rc.relname::text AS references_table,
                CASE WHEN k.contype = 'f' THEN
                  array(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
                        JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n
                        ORDER BY u.i) END AS references_columns
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_class rc ON rc.oid = k.confrelid
         LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
         WHERE n.nspname = $1 AND k.contype IN ('p', 'f')
         UNION ALL
         SELECT c.relname, ic.relname, 'u',
                array(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n
                      ORDER BY u.o),
                NULL, NULL, NULL
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND i.indisunique AND NOT i.indisprimary AND i.indisvalid
           AND i.indpred IS NULL AND i.indexprs IS NULL
         ORDER BY 1, 2",
    )
    .bind(schema)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| assemble(schema, row, &columns, &keys))
        .collect())
}

/// Lists the tables of `schema` with their columns only, ordered by name: the same tables and
/// columns as [`tables`], with `primary_key`, `unique_keys` and `foreign_keys` empty and
/// `estimated_bytes` 0.
///
/// One catalog query, for a caller that looks at names and columns alone (`status`'s restore
/// groups, issue 18): the keys query and `pg_relation_size` (a file lookup per table) are most
/// of [`tables`]' time on a schema of a few hundred tables. Errors: the driver's error when the
/// query fails.
pub async fn table_columns(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<Vec<Table>, sqlx::Error> {
    let rows: Vec<TableColumnRow> = sqlx::query_as(
        "SELECT c.relname::text AS table_name, a.attname::text AS name,
                format_type(a.atttypid, a.atttypmod) AS data_type,
                coalesce(a.attnotnull, false) AS not_null,
                pg_get_expr(d.adbin, d.adrelid) AS default_expr,
                coalesce(a.attgenerated <> '', false) AS generated,
                coalesce(a.attidentity <> '', false) AS identity
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         ORDER BY c.relname COLLATE \"C\", a.attnum",
    )
    .bind(schema)
    .fetch_all(&mut *conn)
    .await?;
    let mut tables: Vec<Table> = Vec::new();
    for row in rows {
        if tables.last().is_none_or(|t| t.name != row.table_name) {
            tables.push(Table {
                schema: schema.to_string(),
                name: row.table_name,
                columns: Vec::new(),
                primary_key: Vec::new(),
                unique_keys: Vec::new(),
                foreign_keys: Vec::new(),
                estimated_bytes: 0,
            });
        }
        // A table without columns has one row, with NULLs for the column.
        if let (Some(name), Some(data_type), Some(table)) =
            (row.name, row.data_type, tables.last_mut())
        {
            table.columns.push(Column {
                name,
                data_type,
                nullable: !row.not_null,
                default: row.default_expr,
                generated: row.generated,
                identity: row.identity,
            });
        }
    }
    Ok(tables)
}

fn assemble(schema: &str, row: TableRow, columns: &[ColumnRow], keys: &[KeyRow]) -> Table {
    let columns = columns
        .iter()
        .filter(|c| c.table_name == row.name)
        .map(|c| Column {
            name: c.name.clone(),
            data_type: c.data_type.clone(),
            nullable: !c.not_null,
            default: c.default_expr.clone(),
            generated: c.generated,
            identity: c.identity,
        })
        .collect();
    let keys: Vec<&KeyRow> = keys.iter().filter(|k| k.table_name == row.name).collect();
    let primary_key = keys
        .iter()
        .find(|k| k.kind == "p")
        .map(|k| k.columns.clone())
        .unwrap_or_default();
    let unique_keys = keys
        .iter()
        .filter(|k| k.kind == "u")
        .map(|k| k.columns.clone())
        .collect();
    let foreign_keys = keys
        .iter()
        .filter(|k| k.kind == "f")
        .map(|k| ForeignKey {
            name: k.name.clone(),
            columns: k.columns.clone(),
            references_schema: k.references_schema.clone().unwrap_or_default(),
            references_table: k.references_table.clone().unwrap_or_default(),
            references_columns: k.references_columns.clone().unwrap_or_default(),
        })
        .collect();
    Table {
        schema: schema.to_string(),
        name: row.name,
        columns,
        primary_key,
        unique_keys,
        foreign_keys,
        estimated_bytes: row.estimated_bytes,
    }
}

/// Every enum type of `schema` with its labels in declaration order (`enumsortorder`), keyed by
/// the type as `format_type` prints it: the same string as [`Column::data_type`] for a column
/// of that type (e.g. `"Role"`, quoted because of the capital letter).
///
/// One catalog query. An enum without labels maps to an empty list. Errors: the driver's error
/// when the query fails.
pub async fn enums(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<BTreeMap<String, Vec<String>>, sqlx::Error> {
    let rows: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT format_type(t.oid, NULL) AS name,
                coalesce(array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
                           FILTER (WHERE e.enumlabel IS NOT NULL), '{}') AS labels
         FROM pg_type t
         JOIN pg_namespace n ON n.oid = t.typnamespace
         LEFT JOIN pg_enum e ON e.enumtypid = t.oid
         WHERE n.nspname = $1 AND t.typtype = 'e'
         GROUP BY t.oid",
    )
    .bind(schema)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Whether `schema` exists in the connected database (`pg_namespace`, exact name).
pub async fn schema_exists(conn: &mut PgConnection, schema: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
        .bind(schema)
        .fetch_one(conn)
        .await
}

/// The server's version string (`SHOW server_version`), e.g. `15.19 (Debian 15.19-0+deb12u1)`.
pub async fn server_version(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SHOW server_version")
        .fetch_one(conn)
        .await
}
