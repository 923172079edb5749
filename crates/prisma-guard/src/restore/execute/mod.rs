//! The executor: runs a [`RestorePlan`] in one transaction, all or nothing.
//!
//! Every data file (and archive) is checked against the manifest's size and SHA-256 before the
//! transaction begins, and every archive entry against where it would land (`targets`). Each
//! data file's rows are counted as they load: a count that differs from the manifest's stops
//! the restore (rolled back). Each table's CSV is then streamed (`COPY … FROM STDIN`) into a temporary
//! staging table of text columns and inserted with casts into the live table:
//! `INSERT INTO live (kept) SELECT casts FROM staging WHERE filter AND parents exist ON CONFLICT …`
//! (`replace`: the rows whose key the snapshot lacks deleted first, children first; then an
//! `UPDATE` of the rows that differ beside an `INSERT` of the missing ones).
//! An empty live table whose columns equal the snapshot's gets the rows copied straight into it
//! when nothing needs checking; when every such table's keys and indexes may be dropped, they are
//! built again after the load (`bulk`). Deferred foreign keys are set after every insert; sequences are
//! moved past the restored keys; a dry run rolls everything back and moves no sequence.
//!
//! Here the transaction driver; the pieces it drives are its submodules: the report
//! (`report`), the file check (`file_check`), `replace`'s deletes (`replace`), the bulk load
//! with keys and indexes dropped (`bulk`), the id maps of rows matched by a natural key and the
//! rewrite of their children's keys (`natural`), the per-table restore through a staging table
//! (`staging`) and its `INSERT … SELECT` statement (`insert`), the COPY stream (`copy`),
//! sequences (`sequences`), the upload archives (`archives`) and the rules of where their
//! entries may be written (`targets`), the bucket objects (`objects`: survey, check, writes
//! after the commit, driven by [`crate::restore::run`]), and the on-disk compression of large
//! values (`toast`: lz4 where the server has it).

mod archives;
mod bulk;
mod copy;
mod file_check;
mod insert;
mod natural;
mod objects;
mod replace;
mod report;
mod sequences;
mod source;
mod staging;
mod targets;
mod text;
mod toast;

use std::time::{Duration, Instant};

use camino::Utf8Path;
use sqlx::{Connection, PgConnection};

pub(crate) use copy::copy_file;
pub use file_check::{check_files, check_files_async};
pub use objects::{BucketResult, apply as apply_buckets, check as check_buckets, survey};
pub use report::{FileResult, KeyCount, RestoreReport, TableResult};
pub use source::StreamRegistration;

use archives::extract;
use bulk::{bulk_plan, restore_bulk};
use natural::Maps;
use replace::delete_absent;
use sequences::move_sequences;
use staging::restore_tables;

use super::RestoreError;
use super::plan::{Mode, RestorePlan, TablePlan};
use crate::error::QueryError;

/// Runs `plan` on `conn` in one transaction: committed, or rolled back when `dry_run` or on any
/// error, so a failure leaves the database as it was. Then extracts the archives into
/// `project_root` (after the commit; counted only in a dry run).
///
/// `dir` is the snapshot folder. Errors: the file check's (see [`check_files`]) before anything
/// is written, [`RestoreError::OutsideReference`] and [`RestoreError::DeleteRefused`]
/// (`replace`), [`RestoreError::RowCount`] for a
/// data file whose rows differ from the manifest's,
/// [`RestoreError::Cast`] naming table, column and PostgreSQL's message (which holds the value),
/// [`RestoreError::Table`] for any other failure in a table, [`RestoreError::Io`] for files.
pub async fn execute(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    plan: &RestorePlan,
    project_root: &Utf8Path,
    dry_run: bool,
) -> Result<RestoreReport, RestoreError> {
    let started = Instant::now();
    check_files_async(dir, plan, project_root).await?;
    execute_checked(conn, dir, plan, project_root, dry_run, started).await
}

/// [`execute`] without the file check, for a caller that has just run [`check_files`].
/// `started` is when the caller's restore began, for the reported time.
pub async fn execute_checked(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    plan: &RestorePlan,
    project_root: &Utf8Path,
    dry_run: bool,
    started: Instant,
) -> Result<RestoreReport, RestoreError> {
    let mut tx = conn
        .begin()
        .await
        .map_err(QueryError::at("starting the transaction"))?;
    toast::compress_with_lz4(&mut tx).await?;
    let mut results: Vec<TableResult> = plan
        .tables
        .iter()
        .map(|t| TableResult {
            name: t.name.clone(),
            snapshot_rows: t.snapshot_rows,
            natural_key: t
                .natural_key
                .as_ref()
                .map(|k| k.columns.clone())
                .unwrap_or_default(),
            ..TableResult::default()
        })
        .collect();
    let mut maps = Maps::new(plan);
    let staged = if plan.mode == Mode::Replace {
        delete_absent(&mut tx, dir, plan, &mut maps, &mut results).await?
    } else {
        vec![false; plan.tables.len()]
    };
    let mut restored = false;
    if let Some(bulk) = bulk_plan(&mut tx, plan).await? {
        // Set-based checks: the foreign keys of the tables loaded straight are dropped, the rows
        // copied, and the keys added back, validated in one pass each. Any failure (an orphan,
        // a value the checked path would report) returns to the savepoint, and the restore runs
        // the per-row way below, which skips and counts orphans as before.
        sqlx::query("SAVEPOINT xtask_bulk")
            .execute(&mut *tx)
            .await
            .map_err(QueryError::at("setting a savepoint"))?;
        let mut attempt = results.clone();
        let mut attempt_maps = maps.clone();
        match restore_bulk(
            &mut tx,
            dir,
            plan,
            &bulk,
            &staged,
            &mut attempt_maps,
            &mut attempt,
        )
        .await
        {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT xtask_bulk")
                    .execute(&mut *tx)
                    .await
                    .map_err(QueryError::at("releasing a savepoint"))?;
                results = attempt;
                restored = true;
            }
            // The per-row way would count the same rows again.
            Err(e @ RestoreError::RowCount { .. }) => return Err(e),
            Err(_) => {
                sqlx::query("ROLLBACK TO SAVEPOINT xtask_bulk")
                    .execute(&mut *tx)
                    .await
                    .map_err(QueryError::at("rolling back to a savepoint"))?;
            }
        }
    }
    if !restored {
        restore_tables(&mut tx, dir, plan, None, &staged, &mut maps, &mut results).await?;
    }
    if dry_run {
        tx.rollback()
            .await
            .map_err(QueryError::at("rolling back the dry run"))?;
    } else {
        for table in &plan.tables {
            move_sequences(&mut tx, table).await?;
        }
        tx.commit()
            .await
            .map_err(QueryError::at("committing the restore"))?;
    }
    let files = {
        let (dir, archives, root) = (dir.to_owned(), plan.files.clone(), project_root.to_owned());
        let mode = plan.mode;
        tokio::task::spawn_blocking(move || {
            archives
                .iter()
                .map(|archive| extract(&dir, archive, &root, mode, dry_run))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .expect("extraction does not panic")?
    };
    Ok(RestoreReport {
        tables: results,
        files,
        buckets: Vec::new(),
        dry_run,
        elapsed_ms: duration_ms(started.elapsed()),
    })
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn table_error(table: &TablePlan, action: &str) -> impl FnOnce(sqlx::Error) -> RestoreError {
    let (table, action) = (table.name.clone(), action.to_string());
    move |source| RestoreError::Table {
        table,
        action,
        source,
    }
}

fn list(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn filter_sql(table: &TablePlan) -> String {
    match &table.filter {
        Some(filter) => format!("coalesce(({filter}), false)"),
        None => "true".into(),
    }
}

fn parents_restored_whole(plan: &RestorePlan, table: &TablePlan) -> bool {
    table.parents.iter().all(|fk| {
        plan.tables
            .iter()
            .any(|t| t.name == fk.references_table && t.filter.is_none())
    })
}

async fn is_empty(conn: &mut PgConnection, table: &TablePlan) -> Result<bool, RestoreError> {
    sqlx::query_scalar(&format!(
        "SELECT NOT EXISTS (SELECT 1 FROM {})",
        table.qualified()
    ))
    .fetch_one(&mut *conn)
    .await
    .map_err(table_error(table, "reading it"))
}
