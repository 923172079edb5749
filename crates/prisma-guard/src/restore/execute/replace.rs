//! `--mode replace`: the check for references from outside the selection, then the deletes.

use sqlx::PgConnection;

use super::report::TableResult;
use super::{filter_sql, list, table_error};
use crate::restore::RestoreError;
use crate::restore::plan::RestorePlan;
use crate::sql::{qualified, quote_ident};

/// `replace`: refuses when a table outside the selection references rows about to go; then
/// clears deferred keys and deletes the selected rows, children before parents.
pub(super) async fn delete_selected(
    conn: &mut PgConnection,
    plan: &RestorePlan,
    results: &mut [TableResult],
) -> Result<(), RestoreError> {
    for outside in &plan.outside_references {
        let referenced = plan
            .tables
            .iter()
            .find(|t| t.name == outside.referenced)
            .expect("outside references point into the plan");
        let fk = &outside.foreign_key;
        let sql = format!(
            "SELECT count(*) FROM {} o WHERE ({}) IN (SELECT {} FROM {} WHERE {})",
            qualified(&referenced.schema, &outside.table),
            list(fk.columns.iter().map(|c| format!("o.{}", quote_ident(c)))),
            list(fk.references_columns.iter().map(|c| quote_ident(c))),
            referenced.qualified(),
            filter_sql(referenced),
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
    for table in &plan.tables {
        for fk in &table.deferred {
            let sql = format!(
                "UPDATE {} SET {} WHERE {}",
                table.qualified(),
                list(
                    fk.columns
                        .iter()
                        .map(|c| format!("{} = NULL", quote_ident(c)))
                ),
                filter_sql(table),
            );
            sqlx::query(&sql)
                .execute(&mut *conn)
                .await
                .map_err(table_error(table, "clearing deferred keys before deleting"))?;
        }
    }
    for (table, result) in plan.tables.iter().zip(results.iter_mut()).rev() {
        let sql = format!(
            "DELETE FROM {} WHERE {}",
            table.qualified(),
            filter_sql(table)
        );
        result.deleted = sqlx::query(&sql)
            .execute(&mut *conn)
            .await
            .map_err(table_error(table, "deleting its rows (--mode replace)"))?
            .rows_affected();
    }
    Ok(())
}
