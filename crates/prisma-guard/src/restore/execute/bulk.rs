//! The bulk load: empty tables whose columns equal the snapshot's are copied straight with
//! their foreign keys, primary and unique keys and indexes dropped; then the keys and indexes
//! are built again, once each, the way `pg_restore` orders a full restore (data, then indexes,
//! then foreign keys): building an index once over the loaded rows is several times cheaper
//! than maintaining it row by row during the load (issue 18). All of it runs inside the
//! restore's transaction, behind a savepoint: any failure (an orphan, a duplicate the unique
//! key would refuse) returns to the savepoint, and the caller runs the per-row way instead.

use camino::Utf8Path;
use sqlx::PgConnection;

use super::report::TableResult;
use super::staging::restore_tables;
use super::{is_empty, parents_restored_whole};
use crate::error::QueryError;
use crate::restore::RestoreError;
use crate::restore::plan::RestorePlan;
use crate::sql::quote_ident;

/// `maintenance_work_mem` while the indexes are built, and `work_mem` while the foreign keys
/// are validated (one anti-join each, hashed in memory up to this), unless the server's is
/// higher: enough to sort or hash the keys of a few million rows in memory (PostgreSQL's
/// defaults are 64 MB and 4 MB; at 4 MB a 300k-row validation spills and takes about 1.5 × as
/// long). Set with `set_config(…, true)`, so it ends with the transaction, and put back after.
const INDEX_BUILD_MEMORY: &str = "256MB";

/// A constraint dropped for the load: `ALTER TABLE {table} ADD CONSTRAINT {name} {definition}`
/// puts it back.
#[derive(Debug)]
struct Constraint {
    /// The qualified, quoted table.
    table: String,
    /// The constraint's name.
    name: String,
    /// `pg_get_constraintdef`.
    definition: String,
}

/// The tables a restore may load with their keys and indexes dropped, and those keys.
#[derive(Debug)]
pub(super) struct Bulk {
    /// Per plan table: loaded straight (exact columns, no filter, parents restored whole,
    /// empty), even when it has deferred keys (self-references, cycle edges).
    candidates: Vec<bool>,
    /// Every foreign key whose referencing table is a candidate.
    foreign_keys: Vec<Constraint>,
    /// The primary and unique keys of the candidates that no other table's foreign key needs.
    keys: Vec<Constraint>,
    /// `(qualified index, pg_get_indexdef)` of the candidates' other indexes (Prisma's
    /// `@unique` and `@@index` are plain indexes) that no other table's foreign key needs.
    indexes: Vec<(String, String)>,
}

/// The bulk path's tables, keys and indexes, or `None` when no table qualifies, nothing would be
/// dropped, or the role does not own every table concerned (then the per-row path runs).
pub(super) async fn bulk_plan(
    conn: &mut PgConnection,
    plan: &RestorePlan,
) -> Result<Option<Bulk>, RestoreError> {
    let mut candidates = Vec::with_capacity(plan.tables.len());
    for table in &plan.tables {
        let eligible = table.exact && table.filter.is_none() && parents_restored_whole(plan, table);
        candidates.push(eligible && is_empty(conn, table).await?);
    }
    let names: Vec<String> = plan
        .tables
        .iter()
        .zip(&candidates)
        .filter(|(_, c)| **c)
        .map(|(t, _)| t.qualified())
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    let (foreign_keys, keys_owned) = foreign_keys(conn, &names).await?;
    let (keys, indexes, indexes_owned) = indexes(conn, &names).await?;
    if !keys_owned || !indexes_owned {
        return Ok(None);
    }
    if foreign_keys.is_empty() && keys.is_empty() && indexes.is_empty() {
        return Ok(None);
    }
    Ok(Some(Bulk {
        candidates,
        foreign_keys,
        keys,
        indexes,
    }))
}

/// The foreign keys of the tables `names`, and whether the role owns both ends of every one.
async fn foreign_keys(
    conn: &mut PgConnection,
    names: &[String],
) -> Result<(Vec<Constraint>, bool), RestoreError> {
    let rows: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT format('%I.%I', n.nspname, c.relname), con.conname::text,
                pg_get_constraintdef(con.oid),
                pg_has_role(c.relowner, 'USAGE') AND pg_has_role(r.relowner, 'USAGE')
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_class r ON r.oid = con.confrelid
         WHERE con.contype = 'f' AND con.conrelid = ANY($1::text[]::regclass[])
         ORDER BY 1, 2",
    )
    .bind(names)
    .fetch_all(&mut *conn)
    .await
    .map_err(QueryError::at(
        "reading the foreign keys of the tables to load",
    ))?;
    let owned = rows.iter().all(|(_, _, _, owned)| *owned);
    let keys = rows
        .into_iter()
        .map(|(table, name, definition, _)| Constraint {
            table,
            name,
            definition,
        })
        .collect();
    Ok((keys, owned))
}

/// The primary/unique keys and the plain indexes of the tables `names` that may be dropped for
/// the load, and whether the role owns every such table. Left in place: an index a foreign key
/// of a table outside `names` relies on (`pg_constraint.conindid`; those of the tables in
/// `names` are dropped first), exclusion constraints, partial-index partitions, and the
/// replica-identity or clustered index (dropping would lose that setting).
async fn indexes(
    conn: &mut PgConnection,
    names: &[String],
) -> Result<(Vec<Constraint>, Vec<(String, String)>, bool), RestoreError> {
    let rows: Vec<(String, String, String, Option<String>, bool)> = sqlx::query_as(
        "SELECT format('%I.%I', n.nspname, c.relname),
                format('%I.%I', n.nspname, ic.relname),
                CASE WHEN con.oid IS NULL THEN pg_get_indexdef(i.indexrelid)
                     ELSE pg_get_constraintdef(con.oid) END,
                con.conname::text,
                pg_has_role(c.relowner, 'USAGE')
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
              AND con.contype IN ('p', 'u', 'x')
         WHERE i.indrelid = ANY($1::text[]::regclass[])
           AND i.indisvalid AND NOT i.indisreplident AND NOT i.indisclustered
           AND NOT ic.relispartition
           AND (con.oid IS NULL OR con.contype IN ('p', 'u'))
           AND NOT EXISTS (
               SELECT 1 FROM pg_constraint f
               WHERE f.contype = 'f' AND f.conindid = i.indexrelid
                 AND NOT f.conrelid = ANY($1::text[]::regclass[]))
         ORDER BY 1, 2",
    )
    .bind(names)
    .fetch_all(&mut *conn)
    .await
    .map_err(QueryError::at("reading the indexes of the tables to load"))?;
    let owned = rows.iter().all(|row| row.4);
    let (mut keys, mut indexes) = (Vec::new(), Vec::new());
    for (table, index, definition, constraint, _) in rows {
        match constraint {
            Some(name) => keys.push(Constraint {
                table,
                name,
                definition,
            }),
            None => indexes.push((index, definition)),
        }
    }
    Ok((keys, indexes, owned))
}

/// Drops the bulk keys and indexes, restores every table, then builds the primary and unique
/// keys, the indexes and the foreign keys again (each foreign key validated in one pass).
/// Errors: the first failure, naming the table, the index or the constraint that did not build.
pub(super) async fn restore_bulk(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    plan: &RestorePlan,
    bulk: &Bulk,
    staged: &[bool],
    maps: &mut super::natural::Maps,
    results: &mut [TableResult],
) -> Result<(), RestoreError> {
    for key in &bulk.foreign_keys {
        drop_constraint(conn, key, "foreign key").await?;
    }
    for (index, _) in &bulk.indexes {
        execute(conn, format!("DROP INDEX {index}"), || {
            format!("dropping index {index} for the load")
        })
        .await?;
    }
    for key in &bulk.keys {
        drop_constraint(conn, key, "key").await?;
    }
    restore_tables(
        conn,
        dir,
        plan,
        Some(&bulk.candidates),
        staged,
        maps,
        results,
    )
    .await?;
    let raised = raise_memory(conn).await?;
    for key in &bulk.keys {
        add_constraint(conn, key, "building key").await?;
    }
    for (index, definition) in &bulk.indexes {
        execute(conn, definition.clone(), || {
            format!("building index {index} (a row breaks it)")
        })
        .await?;
    }
    for key in &bulk.foreign_keys {
        add_constraint(conn, key, "adding back foreign key").await?;
    }
    put_memory_back(conn, raised).await
}

/// The settings [`raise_memory`] raises, with their values before.
const MEMORY_SETTINGS: [&str; 2] = ["maintenance_work_mem", "work_mem"];

/// Raises [`MEMORY_SETTINGS`] to [`INDEX_BUILD_MEMORY`] where lower, for this transaction;
/// returns their values before.
async fn raise_memory(conn: &mut PgConnection) -> Result<Vec<String>, RestoreError> {
    let mut before = Vec::with_capacity(MEMORY_SETTINGS.len());
    for setting in MEMORY_SETTINGS {
        let value: String = sqlx::query_scalar("SELECT current_setting($1)")
            .bind(setting)
            .fetch_one(&mut *conn)
            .await
            .map_err(QueryError::at(format!("reading {setting}")))?;
        sqlx::query(
            "SELECT set_config($1, $2, true)
             WHERE pg_size_bytes(current_setting($1)) < pg_size_bytes($2)",
        )
        .bind(setting)
        .bind(INDEX_BUILD_MEMORY)
        .execute(&mut *conn)
        .await
        .map_err(QueryError::at(format!(
            "raising {setting} for the index builds"
        )))?;
        before.push(value);
    }
    Ok(before)
}

async fn put_memory_back(conn: &mut PgConnection, before: Vec<String>) -> Result<(), RestoreError> {
    for (setting, value) in MEMORY_SETTINGS.iter().zip(before) {
        sqlx::query("SELECT set_config($1, $2, true)")
            .bind(setting)
            .bind(value)
            .execute(&mut *conn)
            .await
            .map_err(QueryError::at(format!("putting {setting} back")))?;
    }
    Ok(())
}

async fn drop_constraint(
    conn: &mut PgConnection,
    key: &Constraint,
    what: &str,
) -> Result<(), RestoreError> {
    let Constraint { table, name, .. } = key;
    execute(
        conn,
        format!("ALTER TABLE {table} DROP CONSTRAINT {}", quote_ident(name)),
        || format!("dropping {what} {name} of {table} for the load"),
    )
    .await
}

async fn add_constraint(
    conn: &mut PgConnection,
    key: &Constraint,
    what: &str,
) -> Result<(), RestoreError> {
    let Constraint {
        table,
        name,
        definition,
    } = key;
    execute(
        conn,
        format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
            quote_ident(name)
        ),
        || format!("{what} {name} of {table} (a row breaks it)"),
    )
    .await
}

async fn execute(
    conn: &mut PgConnection,
    statement: String,
    context: impl FnOnce() -> String,
) -> Result<(), RestoreError> {
    sqlx::query(&statement)
        .execute(&mut *conn)
        .await
        .map_err(QueryError::at(context()))?;
    Ok(())
}
