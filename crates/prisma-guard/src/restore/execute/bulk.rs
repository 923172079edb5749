//! The bulk load: empty tables whose columns equal the snapshot's are copied straight with
//! their foreign keys dropped, and the keys are added back, each validated in one pass.

use camino::Utf8Path;
use sqlx::PgConnection;

use super::report::TableResult;
use super::staging::restore_tables;
use super::{is_empty, parents_restored_whole};
use crate::error::QueryError;
use crate::restore::RestoreError;
use crate::restore::plan::RestorePlan;
use crate::sql::quote_ident;

/// The tables a restore may load with their foreign keys dropped, and those keys.
#[derive(Debug)]
pub(super) struct Bulk {
    /// Per plan table: loaded straight (exact columns, no filter, parents restored whole,
    /// empty), even when it has deferred keys (self-references, cycle edges).
    candidates: Vec<bool>,
    /// `(qualified table, constraint name, pg_get_constraintdef)` of every foreign key whose
    /// referencing table is a candidate.
    foreign_keys: Vec<(String, String, String)>,
}

/// The bulk path's tables and keys, or `None` when no table qualifies or the role does not own
/// every table on both ends of those keys (then the per-row path runs, as before).
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
    .bind(&names)
    .fetch_all(&mut *conn)
    .await
    .map_err(QueryError::at(
        "reading the foreign keys of the tables to load",
    ))?;
    if rows.is_empty() || rows.iter().any(|(_, _, _, owned)| !owned) {
        return Ok(None);
    }
    Ok(Some(Bulk {
        candidates,
        foreign_keys: rows.into_iter().map(|(t, n, d, _)| (t, n, d)).collect(),
    }))
}

/// Drops the bulk keys, restores every table, adds the keys back (each validated in one pass).
/// Errors: the first failure, naming the table, or the constraint that did not validate.
pub(super) async fn restore_bulk(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    plan: &RestorePlan,
    bulk: &Bulk,
    staged: &[bool],
    maps: &mut super::natural::Maps,
    results: &mut [TableResult],
) -> Result<(), RestoreError> {
    for (table, name, _) in &bulk.foreign_keys {
        sqlx::query(&format!(
            "ALTER TABLE {table} DROP CONSTRAINT {}",
            quote_ident(name)
        ))
        .execute(&mut *conn)
        .await
        .map_err(QueryError::at(format!(
            "dropping foreign key {name} of {table} for the load"
        )))?;
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
    for (table, name, definition) in &bulk.foreign_keys {
        sqlx::query(&format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
            quote_ident(name)
        ))
        .execute(&mut *conn)
        .await
        .map_err(QueryError::at(format!(
            "adding back foreign key {name} of {table} (a row has no parent)"
        )))?;
    }
    Ok(())
}
