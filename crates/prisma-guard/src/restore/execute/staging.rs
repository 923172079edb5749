//! The per-table restore: straight COPY into an empty exact table when nothing needs checking,
//! else COPY into a staging table of text (unless `replace` staged it already) and `INSERT …
//! SELECT` with casts; then the deferred foreign keys are linked.

use camino::Utf8Path;
use sqlx::{PgConnection, Row};

use super::copy::copy_file;
use super::insert::{
    cast, differs, insert_sql, keys_name, nulls_missing, parents_exist, staging_name,
};
use super::natural::{Maps, after_staging, before_link};
use super::report::{KeyCount, TableResult, absent_reason};
use super::{is_empty, list, parents_restored_whole, table_error};
use crate::error::QueryError;
use crate::restore::Mode;
use crate::restore::RestoreError;
use crate::restore::plan::{ForeignKeyPlan, RestorePlan, TablePlan};
use crate::sql::quote_ident;

/// Restores every table of the plan in order, then sets the deferred keys of the tables that
/// went through staging. `bulk` marks the tables whose keys are dropped: those are copied
/// straight even with deferred keys. `staged` marks the tables whose staging table `replace`
/// has filled already (and mapped, [`super::natural`]); `maps` holds the id maps so far.
pub(super) async fn restore_tables(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    plan: &RestorePlan,
    bulk: Option<&[bool]>,
    staged: &[bool],
    maps: &mut Maps,
    results: &mut [TableResult],
) -> Result<(), RestoreError> {
    for index in 0..plan.tables.len() {
        let how = How {
            keys_dropped: bulk.is_some_and(|b| b[index]),
            staged: staged.get(index).copied().unwrap_or(false),
        };
        restore_table(conn, dir, plan, index, maps, results, how).await?;
    }
    for (index, table) in plan.tables.iter().enumerate() {
        if results[index].direct {
            continue; // copied with its keys as they are; nothing is deferred
        }
        before_link(conn, plan, index, maps, results).await?;
        for fk in &table.deferred {
            results[index].unlinked += link(conn, index, table, fk).await?;
        }
    }
    Ok(())
}

/// How one table is restored.
#[derive(Debug, Clone, Copy)]
struct How {
    /// Its foreign keys are dropped for a bulk load, so deferred keys are copied too.
    keys_dropped: bool,
    /// Its staging table is filled already (`replace`).
    staged: bool,
}

/// Restores one table: straight COPY when possible, else staging and `INSERT … SELECT`.
async fn restore_table(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    plan: &RestorePlan,
    index: usize,
    maps: &mut Maps,
    results: &mut [TableResult],
    how: How,
) -> Result<(), RestoreError> {
    let table = &plan.tables[index];
    // A bulk candidate was found empty by `bulk_plan`, and nothing has written to it since.
    // Keys into a table whose rows took new ids must go through staging to follow them.
    let direct = maps.copy_allowed(plan, index)
        && (how.keys_dropped
            || (!how.staged && can_copy_directly(plan, table) && is_empty(conn, table).await?));
    if direct {
        sqlx::query("SAVEPOINT xtask_direct")
            .execute(&mut *conn)
            .await
            .map_err(QueryError::at("setting a savepoint"))?;
        let columns = list(table.snapshot_columns.iter().map(|c| quote_ident(c)));
        let target = format!("{} ({columns})", table.qualified());
        match copy_file(conn, dir, table, &target).await {
            Ok(rows) => {
                sqlx::query("RELEASE SAVEPOINT xtask_direct")
                    .execute(&mut *conn)
                    .await
                    .map_err(QueryError::at("releasing a savepoint"))?;
                results[index].inserted = rows;
                results[index].direct = true;
                maps.loaded_empty(index);
                return Ok(());
            }
            // A missing parent or a value the type refuses: take the checked path, which skips
            // orphans and names the failing column.
            Err(RestoreError::Table { .. }) => {
                sqlx::query("ROLLBACK TO SAVEPOINT xtask_direct")
                    .execute(&mut *conn)
                    .await
                    .map_err(QueryError::at("rolling back to a savepoint"))?;
            }
            Err(other) => return Err(other),
        }
    }

    // Without a key, ON CONFLICT never fires: the snapshot's rows would be added beside the
    // table's own (issue 15, #11).
    let matches_rows = matches!(plan.mode, Mode::Merge | Mode::Upsert);
    if matches_rows && table.conflict_key.is_empty() && !is_empty(conn, table).await? {
        return Err(RestoreError::NoKey {
            table: table.name.clone(),
            mode: plan.mode,
        });
    }
    if !how.staged {
        stage(conn, dir, index, table).await?;
        after_staging(conn, plan, index, maps, results).await?;
    }
    let result = &mut results[index];
    if !table.deferred.is_empty() {
        let key = list(table.primary_key.iter().map(|c| quote_ident(c)));
        sqlx::query(&format!(
            "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {key} FROM {} WITH NO DATA",
            keys_name(index),
            table.qualified()
        ))
        .execute(&mut *conn)
        .await
        .map_err(table_error(table, "creating its key table"))?;
    }

    sqlx::query("SAVEPOINT xtask_insert")
        .execute(&mut *conn)
        .await
        .map_err(QueryError::at("setting a savepoint"))?;
    let counts = match sqlx::query(&insert_sql(plan.mode, index, table))
        .fetch_one(&mut *conn)
        .await
    {
        Ok(row) => row,
        Err(error) => {
            sqlx::query("ROLLBACK TO SAVEPOINT xtask_insert")
                .execute(&mut *conn)
                .await
                .map_err(QueryError::at("rolling back to a savepoint"))?;
            return Err(diagnose(conn, index, table, error).await);
        }
    };
    let count = |name: &str| -> u64 { counts.get::<i64, _>(name).max(0) as u64 };
    result.filtered = count("filtered");
    result.orphans = count("orphans");
    result.inserted = count("inserted");
    result.updated = count("updated");
    result.unchanged = count("unchanged");
    result.differing = count("differing");
    result.not_in_snapshot = count("not_in_snapshot");
    let candidates = count("staged") - result.filtered - result.orphans;
    result.conflicts =
        candidates.saturating_sub(result.inserted + result.updated + result.unchanged);
    let by_key: Vec<i64> = counts.get("by_key");
    for (fk, rows) in table.parents.iter().zip(by_key) {
        if rows <= 0 {
            continue;
        }
        let counted = KeyCount {
            foreign_key: fk.name.clone(),
            columns: fk.columns.clone(),
            parent: fk.references_table.clone(),
            rows: rows as u64,
            reason: absent_reason(plan, &fk.references_table),
        };
        if nulls_missing(table, fk) {
            result.nulled.push(counted);
        } else {
            result.orphaned.push(counted);
        }
    }
    Ok(())
}

/// Creates the table's staging table (text columns, in the snapshot's order) and copies its
/// data file into it.
pub(super) async fn stage(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    index: usize,
    table: &TablePlan,
) -> Result<(), RestoreError> {
    let staging = staging_name(index);
    let columns = list(
        table
            .snapshot_columns
            .iter()
            .map(|c| format!("{} text", quote_ident(c))),
    );
    sqlx::query(&format!(
        "CREATE TEMP TABLE {staging} ({columns}) ON COMMIT DROP"
    ))
    .execute(&mut *conn)
    .await
    .map_err(table_error(table, "creating its staging table"))?;
    copy_file(conn, dir, table, &staging).await?;
    Ok(())
}

fn can_copy_directly(plan: &RestorePlan, table: &TablePlan) -> bool {
    table.exact
        && table.filter.is_none()
        && table.deferred.is_empty()
        && parents_restored_whole(plan, table)
}

/// After a failed statement over the staged rows: finds the column whose cast fails, so the
/// error names it; else [`RestoreError::Table`] with `error`.
pub(super) async fn diagnose(
    conn: &mut PgConnection,
    index: usize,
    table: &TablePlan,
    error: sqlx::Error,
) -> RestoreError {
    let is_data_error = matches!(
        &error,
        sqlx::Error::Database(e) if e.code().is_some_and(|c| c.starts_with("22"))
    );
    if is_data_error {
        for column in &table.kept {
            if sqlx::query("SAVEPOINT xtask_cast")
                .execute(&mut *conn)
                .await
                .is_err()
            {
                break;
            }
            let sql = format!(
                "SELECT count({}) FROM {} s",
                cast(table, &column.name),
                staging_name(index)
            );
            let failed = sqlx::query(&sql).execute(&mut *conn).await.err();
            let _ = sqlx::query("ROLLBACK TO SAVEPOINT xtask_cast")
                .execute(&mut *conn)
                .await;
            if let Some(sqlx::Error::Database(e)) = failed {
                return RestoreError::Cast {
                    table: table.name.clone(),
                    column: column.name.clone(),
                    data_type: column.data_type.clone(),
                    message: e.message().to_string(),
                };
            }
        }
    }
    RestoreError::Table {
        table: table.name.clone(),
        action: "inserting its rows".into(),
        source: error,
    }
}

/// Sets a deferred foreign key, where it differs, on the restored rows whose parent now exists;
/// returns how many restored rows keep it NULL because the parent is missing.
async fn link(
    conn: &mut PgConnection,
    index: usize,
    table: &TablePlan,
    fk: &ForeignKeyPlan,
) -> Result<u64, RestoreError> {
    let staging = staging_name(index);
    let keys = keys_name(index);
    let join = table
        .primary_key
        .iter()
        .map(|c| format!("k.{} = {}", quote_ident(c), cast(table, c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let same_row = table
        .primary_key
        .iter()
        .map(|c| format!("t.{0} = k.{0}", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let set = list(
        fk.columns
            .iter()
            .map(|c| format!("{} = {}", quote_ident(c), cast(table, c))),
    );
    let differ = fk
        .columns
        .iter()
        .map(|c| differs(table, c, &format!("t.{}", quote_ident(c)), &cast(table, c)))
        .collect::<Vec<_>>()
        .join(" OR ");
    let not_null = fk
        .columns
        .iter()
        .map(|c| format!("s.{} IS NOT NULL", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let parents = parents_exist(std::slice::from_ref(fk), |c| cast(table, c));
    let sql = format!(
        "WITH unlinked AS (
             SELECT count(*) AS n FROM {staging} s JOIN {keys} k ON {join}
             WHERE {not_null} AND NOT {parents}),
         -- Runs though not read: PostgreSQL executes every data-modifying WITH once.
         linked AS (
             UPDATE {live} t SET {set} FROM {staging} s JOIN {keys} k ON {join}
             WHERE {same_row} AND {not_null} AND {parents} AND ({differ}) RETURNING 1)
         SELECT n FROM unlinked",
        live = table.qualified(),
    );
    let unlinked: i64 = sqlx::query_scalar(&sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(table_error(
            table,
            &format!("setting its foreign key {}", fk.name),
        ))?;
    Ok(unlinked.max(0) as u64)
}
