//! `--mode replace`, before any row is written: every selected table that holds rows is staged,
//! the references from outside the selection are checked, and only the rows whose key the
//! snapshot lacks are deleted, children before parents. A row the snapshot also has is never
//! deleted: the insert that follows updates it where it differs ([`super::insert`]).

use sqlx::PgConnection;

use super::insert::{cast, differs, matched_key, staging_name};
use super::natural::{Maps, after_staging};
use super::report::TableResult;
use super::staging::{diagnose, stage};
use super::{filter_sql, is_empty, list, table_error};
use crate::error::QueryError;
use crate::restore::RestoreError;
use crate::restore::plan::{RestorePlan, TablePlan};
use crate::sql::{qualified, quote_ident};

/// Stages the tables that hold rows (mapping their ids by natural key, [`super::natural`]),
/// refuses when a table outside the selection references rows
/// about to go ([`RestoreError::OutsideReference`]), sets to NULL the deferred keys that will
/// change (they are set again after the inserts), and deletes the rows the row filter selects
/// whose key the snapshot lacks, children first; a table without a key loses every selected
/// row. Returns, per plan table, whether its staging table is filled.
///
/// Errors: [`RestoreError::DeleteRefused`] naming the row and the database's message when a
/// trigger (or a foreign key) refuses a delete, the staging and query errors.
pub(super) async fn delete_absent(
    conn: &mut PgConnection,
    dir: &camino::Utf8Path,
    plan: &RestorePlan,
    maps: &mut Maps,
    results: &mut [TableResult],
) -> Result<Vec<bool>, RestoreError> {
    let mut staged = vec![false; plan.tables.len()];
    for (index, table) in plan.tables.iter().enumerate() {
        if !matched_key(table).is_empty() && !is_empty(conn, table).await? {
            stage(conn, dir, index, table).await?;
            // Rows matched by a natural key take the target's ids, so they are not deleted.
            after_staging(conn, plan, index, maps, results).await?;
            staged[index] = true;
        }
    }
    let going = |index: usize| going(&plan.tables[index], index, staged[index]);
    for outside in &plan.outside_references {
        let index = plan
            .tables
            .iter()
            .position(|t| t.name == outside.referenced)
            .expect("outside references point into the plan");
        let Some(going) = going(index) else { continue };
        let referenced = &plan.tables[index];
        let fk = &outside.foreign_key;
        let sql = format!(
            "SELECT count(*) FROM {} o WHERE ({}) IN (SELECT {} FROM {} WHERE {going})",
            qualified(&referenced.schema, &outside.table),
            list(fk.columns.iter().map(|c| format!("o.{}", quote_ident(c)))),
            list(fk.references_columns.iter().map(|c| quote_ident(c))),
            referenced.qualified(),
        );
        let rows: i64 = sqlx::query_scalar(&sql)
            .fetch_one(&mut *conn)
            .await
            .map_err(table_error(referenced, "checking references into it"))?;
        if rows > 0 {
            return Err(RestoreError::OutsideReference {
                table: outside.table.clone(),
                foreign_key: fk.name.clone(),
                referenced: outside.referenced.clone(),
                rows: rows as u64,
            });
        }
    }
    for (index, table) in plan.tables.iter().enumerate() {
        if staged[index] {
            clear_changing_deferred(conn, index, table).await?;
        }
    }
    for (index, (table, result)) in plan.tables.iter().zip(results.iter_mut()).enumerate().rev() {
        let Some(going) = going(index) else { continue };
        result.deleted = delete(conn, index, table, &going).await?;
    }
    Ok(staged)
}

/// The condition (over the live table, unaliased) of the rows `replace` deletes: selected by the
/// filter, and with a key the staged snapshot lacks; every selected row of a table without a
/// key the snapshot holds ([`matched_key`]); `None` for a table found empty.
fn going(table: &TablePlan, index: usize, staged: bool) -> Option<String> {
    if matched_key(table).is_empty() {
        return Some(filter_sql(table));
    }
    if !staged {
        return None;
    }
    let live = table.qualified();
    let same = matched_key(table)
        .iter()
        .map(|c| format!("{live}.{} = {}", quote_ident(c), cast(table, c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    Some(format!(
        "{} AND NOT EXISTS (SELECT 1 FROM {} s WHERE {same})",
        filter_sql(table),
        staging_name(index)
    ))
}

/// Sets to NULL the deferred keys whose value differs from the snapshot's, so no kept row
/// points to a row about to be deleted; the link after the inserts sets the snapshot's.
async fn clear_changing_deferred(
    conn: &mut PgConnection,
    index: usize,
    table: &TablePlan,
) -> Result<(), RestoreError> {
    for fk in &table.deferred {
        let same = matched_key(table)
            .iter()
            .map(|c| format!("t.{} = {}", quote_ident(c), cast(table, c)))
            .collect::<Vec<_>>()
            .join(" AND ");
        let differ = fk
            .columns
            .iter()
            .map(|c| differs(table, c, &format!("t.{}", quote_ident(c)), &cast(table, c)))
            .collect::<Vec<_>>()
            .join(" OR ");
        let set = list(
            fk.columns
                .iter()
                .map(|c| format!("{} = NULL", quote_ident(c))),
        );
        let sql = format!(
            "UPDATE {} t SET {set} FROM {} s WHERE {same} AND ({differ})",
            table.qualified(),
            staging_name(index)
        );
        sqlx::query(&sql)
            .execute(&mut *conn)
            .await
            .map_err(table_error(table, "clearing deferred keys before deleting"))?;
    }
    Ok(())
}

/// Deletes the rows `going` selects; a refused delete is traced to the row and the message.
async fn delete(
    conn: &mut PgConnection,
    index: usize,
    table: &TablePlan,
    going: &str,
) -> Result<u64, RestoreError> {
    savepoint(conn, "SAVEPOINT xtask_delete").await?;
    let sql = format!("DELETE FROM {} WHERE {going}", table.qualified());
    match sqlx::query(&sql).execute(&mut *conn).await {
        Ok(done) => {
            savepoint(conn, "RELEASE SAVEPOINT xtask_delete").await?;
            Ok(done.rows_affected())
        }
        Err(error) => {
            savepoint(conn, "ROLLBACK TO SAVEPOINT xtask_delete").await?;
            if matches!(&error, sqlx::Error::Database(e) if e.code().is_some_and(|c| c.starts_with("22")))
            {
                return Err(diagnose(conn, index, table, error).await);
            }
            Err(refused(conn, table, going, error).await)
        }
    }
}

async fn savepoint(conn: &mut PgConnection, sql: &str) -> Result<(), RestoreError> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map_err(QueryError::at("managing a savepoint"))?;
    Ok(())
}

/// After a failed delete (rolled back to its savepoint): deletes the candidate rows one at a
/// time, each rolled back, to name the first the database refuses. Runs only on this error
/// path; the restore itself deletes in one statement.
async fn refused(
    conn: &mut PgConnection,
    table: &TablePlan,
    going: &str,
    error: sqlx::Error,
) -> RestoreError {
    let key_columns = if table.primary_key.is_empty() {
        &table.conflict_key
    } else {
        &table.primary_key
    };
    if key_columns.is_empty() {
        return table_error(table, "deleting rows the snapshot lacks (--mode replace)")(error);
    }
    let described = format!(
        "concat_ws(', ', {})",
        list(key_columns.iter().map(|c| format!(
            "'{} = ' || coalesce({}::text, 'NULL')",
            c.replace('\'', "''"),
            quote_ident(c)
        )))
    );
    let live = table.qualified();
    let sql = format!("SELECT {described} FROM {live} WHERE {going} LIMIT 10000");
    let keys: Vec<String> = match sqlx::query_scalar(&sql).fetch_all(&mut *conn).await {
        Ok(keys) => keys,
        Err(_) => {
            return table_error(table, "deleting rows the snapshot lacks (--mode replace)")(error);
        }
    };
    for key in keys {
        if savepoint(conn, "SAVEPOINT xtask_probe").await.is_err() {
            break;
        }
        let probe = format!("DELETE FROM {live} WHERE {going} AND {described} = $1");
        let failed = sqlx::query(&probe)
            .bind(&key)
            .execute(&mut *conn)
            .await
            .err();
        if savepoint(conn, "ROLLBACK TO SAVEPOINT xtask_probe")
            .await
            .is_err()
        {
            break;
        }
        if let Some(sqlx::Error::Database(e)) = failed {
            return RestoreError::DeleteRefused {
                table: table.name.clone(),
                key,
                message: e.message().to_string(),
            };
        }
    }
    table_error(table, "deleting rows the snapshot lacks (--mode replace)")(error)
}
