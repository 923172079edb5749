//! The preflight: what the planner cannot tell from the two schemas, tested on the snapshot's
//! values before anything is written, so that one run names every table that cannot be
//! restored.
//!
//! For each planned table that needs it ([`plan::checks`]: a column NOT NULL now that allowed
//! NULL in the snapshot, a column whose type changed, or a row filter), the table's data file is
//! streamed (1 MiB batches, hashed against the manifest on the way) into a temporary staging
//! table of text inside a transaction that is rolled back, and tested there set-based: NULLs
//! counted per column in one statement, each changed column cast over all its values (the first
//! value that fails gives PostgreSQL's error), and the filter's rows counted. Nothing is written
//! to the live tables, and the staging tables go with the rollback.

use camino::Utf8Path;
use sqlx::{PgConnection, Row};

use super::RestoreError;
use super::execute::copy_file;
use super::plan::{self, Problem, RestorePlan, TablePlan, Unrestorable};
use crate::catalog::Table;
use crate::error::QueryError;
use crate::snapshot::Manifest;
use crate::sql::quote_ident;

/// Tests the snapshot's values of every planned table that needs it (see the module docs).
///
/// `dir` is the folder of the snapshot `manifest` (the one the plan restores from), `live` the
/// target's catalog. A table with problems moves from [`RestorePlan::tables`] to
/// [`RestorePlan::unrestorable`] (which ends sorted by table name) with every problem found:
/// [`Problem::Nulls`] with the count, [`Problem::Cast`] with PostgreSQL's message. A filtered
/// table gets [`TablePlan::selected`], the snapshot rows its filter selects.
///
/// Errors: [`RestoreError::Corrupt`]/[`RestoreError::RowCount`] for a data file that does not
/// match the manifest, [`RestoreError::Table`] for a filter PostgreSQL refuses or a failed
/// COPY, [`RestoreError::Database`] for the transaction itself.
pub async fn preflight(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    manifest: &Manifest,
    live: &[Table],
    plan: &mut RestorePlan,
) -> Result<(), RestoreError> {
    let mut found = Vec::new();
    let mut selected = Vec::new();
    let needed: Vec<usize> = (0..plan.tables.len())
        .filter(|&i| {
            let table = &plan.tables[i];
            table.filter.is_some() || !checks_of(manifest, live, table).is_empty()
        })
        .collect();
    if needed.is_empty() {
        return Ok(());
    }
    query(conn, "BEGIN", "starting the preflight").await?;
    let outcome = async {
        for index in needed {
            let table = &plan.tables[index];
            let checks = checks_of(manifest, live, table);
            let live = live_table(live, table);
            let (problems, rows) = check_table(conn, dir, index, table, live, &checks).await?;
            if !problems.is_empty() {
                found.push((index, problems));
            } else if rows.is_some() {
                selected.push((index, rows));
            }
        }
        Ok::<(), RestoreError>(())
    }
    .await;
    // Always rolled back: the staging tables and nothing else were written.
    let rolled_back = query(conn, "ROLLBACK", "ending the preflight").await;
    outcome?;
    rolled_back?;
    for (index, rows) in selected {
        plan.tables[index].selected = rows;
    }
    for (index, problems) in found.iter().rev() {
        let table = plan.tables.remove(*index);
        plan.unrestorable.push(Unrestorable {
            table: table.name,
            problems: problems.clone(),
        });
    }
    plan.unrestorable.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(())
}

fn checks_of(manifest: &Manifest, live: &[Table], table: &TablePlan) -> plan::Checks {
    match (manifest.table(&table.name), live_table(live, table)) {
        (Some(entry), Some(live)) => plan::checks(entry, live),
        _ => plan::Checks::default(),
    }
}

fn live_table<'a>(live: &'a [Table], table: &TablePlan) -> Option<&'a Table> {
    live.iter()
        .find(|t| t.name == table.name && t.schema == table.schema)
}

/// Stages one table's data file and tests it: the problems found, and the rows its filter
/// selects (when it has one and every value casts).
async fn check_table(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    index: usize,
    table: &TablePlan,
    live: Option<&Table>,
    checks: &plan::Checks,
) -> Result<(Vec<Problem>, Option<u64>), RestoreError> {
    let staging = format!("pg_temp.\"xtask_preflight_{index}\"");
    let columns: Vec<String> = table
        .snapshot_columns
        .iter()
        .map(|c| format!("{} text", quote_ident(c)))
        .collect();
    sqlx::query(&format!(
        "CREATE TEMP TABLE {staging} ({}) ON COMMIT DROP",
        columns.join(", ")
    ))
    .execute(&mut *conn)
    .await
    .map_err(table_error(table, "creating its preflight staging table"))?;
    copy_file(conn, dir, table, &staging).await?;

    let mut problems = null_counts(conn, &staging, table, live, &checks.not_null).await?;
    for (column, from, to) in &checks.casts {
        let sql = format!(
            "SELECT count(CAST({} AS {to})) FROM {staging}",
            quote_ident(column)
        );
        if let Err(message) = attempt(conn, &sql).await? {
            problems.push(Problem::Cast {
                column: column.clone(),
                from: from.clone(),
                to: to.clone(),
                message,
            });
        }
    }
    let mut selected = None;
    if let (Some(filter), true) = (&table.filter, problems.is_empty()) {
        let typed: Vec<String> = table
            .kept
            .iter()
            .map(|k| {
                let name = quote_ident(&k.name);
                format!("CAST(s.{name} AS {}) AS {name}", k.data_type)
            })
            .collect();
        let sql = format!(
            "SELECT count(*) FROM (SELECT {} FROM {staging} s) AS src WHERE coalesce(({filter}), false)",
            typed.join(", ")
        );
        let row = sqlx::query(&sql)
            .fetch_one(&mut *conn)
            .await
            .map_err(table_error(
                table,
                &format!("evaluating its row filter `{filter}` on the snapshot's rows"),
            ))?;
        selected = Some(count(row.get(0)));
    }
    query(
        conn,
        &format!("DROP TABLE {staging}"),
        "dropping a staging table",
    )
    .await?;
    Ok((problems, selected))
}

/// [`Problem::Nulls`] for each of `columns` that holds NULLs, counted in one statement.
async fn null_counts(
    conn: &mut PgConnection,
    staging: &str,
    table: &TablePlan,
    live: Option<&Table>,
    columns: &[String],
) -> Result<Vec<Problem>, RestoreError> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let counts: Vec<String> = columns
        .iter()
        .map(|c| format!("count(*) FILTER (WHERE {} IS NULL)", quote_ident(c)))
        .collect();
    let row = sqlx::query(&format!("SELECT {} FROM {staging}", counts.join(", ")))
        .fetch_one(&mut *conn)
        .await
        .map_err(table_error(table, "counting NULLs in its snapshot rows"))?;
    Ok(columns
        .iter()
        .enumerate()
        .map(|(i, column)| (column, count(row.get(i))))
        .filter(|(_, rows)| *rows > 0)
        .map(|(column, rows)| Problem::Nulls {
            column: column.clone(),
            rows,
            references: live.and_then(|live| plan::references(live, column)),
        })
        .collect())
}

/// Runs `sql` inside a savepoint: `Ok(Err(message))` with PostgreSQL's message when the server
/// refuses it (the savepoint is rolled back, the transaction goes on).
async fn attempt(conn: &mut PgConnection, sql: &str) -> Result<Result<(), String>, RestoreError> {
    query(conn, "SAVEPOINT xtask_preflight", "setting a savepoint").await?;
    match sqlx::query(sql).execute(&mut *conn).await {
        Ok(_) => {
            query(
                conn,
                "RELEASE SAVEPOINT xtask_preflight",
                "releasing a savepoint",
            )
            .await?;
            Ok(Ok(()))
        }
        Err(sqlx::Error::Database(e)) => {
            query(
                conn,
                "ROLLBACK TO SAVEPOINT xtask_preflight",
                "rolling back to a savepoint",
            )
            .await?;
            Ok(Err(e.message().to_string()))
        }
        Err(e) => Err(QueryError::at("testing a cast")(e).into()),
    }
}

async fn query(conn: &mut PgConnection, sql: &str, action: &str) -> Result<(), RestoreError> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map_err(QueryError::at(action))?;
    Ok(())
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn table_error(table: &TablePlan, action: &str) -> impl FnOnce(sqlx::Error) -> RestoreError {
    let (table, action) = (table.name.clone(), action.to_string());
    move |source| RestoreError::Table {
        table,
        action,
        source,
    }
}
