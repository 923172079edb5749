//! The executor: runs a [`RestorePlan`] in one transaction, all or nothing.
//!
//! Every data file (and archive) is checked against the manifest's size and SHA-256 before the
//! transaction begins. Each table's CSV is then streamed (`COPY … FROM STDIN`) into a temporary
//! staging table of text columns and inserted with casts into the live table:
//! `INSERT INTO live (kept) SELECT casts FROM staging WHERE filter AND parents exist ON CONFLICT …`.
//! An empty live table whose columns equal the snapshot's gets the rows copied straight into it
//! when nothing needs checking. Deferred foreign keys are set after every insert; sequences are
//! moved past the restored keys; a dry run rolls everything back and moves no sequence.

use std::io::Read;
use std::time::{Duration, Instant};

use camino::{Utf8Component, Utf8Path, Utf8PathBuf};
use serde::Serialize;
use sqlx::{Connection, PgConnection, Row};

use super::RestoreError;
use super::plan::{ForeignKeyPlan, Mode, RestorePlan, TablePlan};
use crate::error::{IoError, QueryError};
use crate::snapshot::csv::Hashing;
use crate::sql::{qualified, quote_ident};

/// Batch size read from a data file and sent to the server, in bytes.
const BATCH_BYTES: usize = 1 << 20;

/// What happened to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableResult {
    /// The table.
    pub name: String,
    /// Data rows in the snapshot.
    pub snapshot_rows: u64,
    /// Rows deleted first (`replace`).
    pub deleted: u64,
    /// Rows inserted.
    pub inserted: u64,
    /// Existing rows overwritten (`upsert`).
    pub updated: u64,
    /// Rows left out because a row with the same key (or another unique value) exists.
    pub conflicts: u64,
    /// Rows left out because a parent row is neither in the database nor restored.
    pub orphans: u64,
    /// Rows left out by the row filter.
    pub filtered: u64,
    /// Restored rows whose deferred foreign key stayed NULL because its parent is missing.
    pub unlinked: u64,
    /// Whether the rows were copied straight into the (empty) table.
    pub direct: bool,
}

/// What happened to one upload archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileResult {
    /// The group.
    pub group: String,
    /// Files written (or, in a dry run, that would be).
    pub written: u64,
    /// Files that already existed and were kept (`merge`).
    pub existing: u64,
    /// Entries that are neither files nor folders (links, devices), not extracted.
    pub skipped: u64,
}

/// The outcome of a restore.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// Per table, in restore order.
    pub tables: Vec<TableResult>,
    /// Per archive.
    pub files: Vec<FileResult>,
    /// Whether everything was rolled back.
    pub dry_run: bool,
    /// Wall time, in milliseconds.
    pub elapsed_ms: u64,
}

/// Checks every data file and archive of the plan against the manifest (size and SHA-256), and
/// every archive entry's path, before anything is written. Reads each file once.
///
/// Errors: [`RestoreError::Corrupt`] naming the file, [`RestoreError::UnsafeEntry`] for an
/// archive entry outside its folders.
pub fn check_files(dir: &Utf8Path, plan: &RestorePlan) -> Result<(), RestoreError> {
    for table in &plan.tables {
        let path = dir.join(&table.file);
        let mut reader = Hashing::new(open(&path)?);
        std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| corrupt(&path, e))?;
        let (_, bytes, sha256) = reader.finish();
        if bytes != table.bytes || sha256 != table.sha256 {
            return Err(RestoreError::Corrupt {
                file: path,
                problem: format!(
                    "{bytes} bytes with sha256 {sha256}; the manifest says {} bytes with sha256 {}",
                    table.bytes, table.sha256
                ),
            });
        }
    }
    for archive in &plan.files {
        let path = dir.join(&archive.file);
        let mut decoder =
            zstd::Decoder::new(Hashing::new(open(&path)?)).map_err(|e| corrupt(&path, e))?;
        let listed = (|| -> std::io::Result<Vec<Utf8PathBuf>> {
            let mut tar = tar::Archive::new(&mut decoder);
            let mut entries = Vec::new();
            for entry in tar.entries()? {
                entries.push(entry_path(&entry?)?);
            }
            Ok(entries)
        })();
        let mut rest = decoder.finish();
        std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| corrupt(&path, e))?;
        let (_, bytes, sha256) = rest.into_inner().finish();
        if bytes != archive.bytes || sha256 != archive.sha256 {
            return Err(RestoreError::Corrupt {
                file: path,
                problem: "size or sha256 differs from the manifest".into(),
            });
        }
        for entry in listed.map_err(|e| corrupt(&path, e))? {
            entry_target(&entry, &archive.folders).ok_or_else(|| RestoreError::UnsafeEntry {
                archive: path.clone(),
                entry: entry.to_string(),
            })?;
        }
    }
    Ok(())
}

fn open(path: &Utf8Path) -> Result<std::fs::File, RestoreError> {
    std::fs::File::open(path).map_err(|e| corrupt(path, e))
}

fn corrupt(path: &Utf8Path, e: std::io::Error) -> RestoreError {
    RestoreError::Corrupt {
        file: path.to_owned(),
        problem: match e.kind() {
            std::io::ErrorKind::NotFound => "missing".into(),
            _ => format!("cannot read: {e}"),
        },
    }
}

/// An archive entry's path as stored (lossy for non-UTF-8 names, which then match no folder).
fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> std::io::Result<Utf8PathBuf> {
    Ok(Utf8PathBuf::from(
        entry.path()?.to_string_lossy().into_owned(),
    ))
}

/// An archive entry's path when it is relative, never climbs, and lies inside one of `folders`.
fn entry_target(entry: &Utf8Path, folders: &[Utf8PathBuf]) -> Option<Utf8PathBuf> {
    let plain = entry
        .components()
        .all(|c| matches!(c, Utf8Component::Normal(_) | Utf8Component::CurDir));
    let inside = folders.iter().any(|f| entry.starts_with(f));
    (plain && inside).then(|| entry.components().collect())
}

/// Runs `plan` on `conn` in one transaction: committed, or rolled back when `dry_run` or on any
/// error, so a failure leaves the database as it was. Then extracts the archives into
/// `project_root` (after the commit; counted only in a dry run).
///
/// `dir` is the snapshot folder. Errors: [`RestoreError::Corrupt`] / [`RestoreError::UnsafeEntry`]
/// before anything is written, [`RestoreError::OutsideReference`] (`replace`),
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
    check_files_async(dir, plan).await?;
    execute_checked(conn, dir, plan, project_root, dry_run, started).await
}

/// [`check_files`] on a blocking thread.
pub async fn check_files_async(dir: &Utf8Path, plan: &RestorePlan) -> Result<(), RestoreError> {
    let (dir, plan) = (dir.to_owned(), plan.clone());
    tokio::task::spawn_blocking(move || check_files(&dir, &plan))
        .await
        .expect("the check does not panic")
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
    let mut results: Vec<TableResult> = plan
        .tables
        .iter()
        .map(|t| TableResult {
            name: t.name.clone(),
            snapshot_rows: t.snapshot_rows,
            ..TableResult::default()
        })
        .collect();
    if plan.mode == Mode::Replace {
        delete_selected(&mut tx, plan, &mut results).await?;
    }
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
        match restore_bulk(&mut tx, dir, plan, &bulk, &mut attempt).await {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT xtask_bulk")
                    .execute(&mut *tx)
                    .await
                    .map_err(QueryError::at("releasing a savepoint"))?;
                results = attempt;
                restored = true;
            }
            Err(_) => {
                sqlx::query("ROLLBACK TO SAVEPOINT xtask_bulk")
                    .execute(&mut *tx)
                    .await
                    .map_err(QueryError::at("rolling back to a savepoint"))?;
            }
        }
    }
    if !restored {
        restore_tables(&mut tx, dir, plan, None, &mut results).await?;
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

/// `replace`: refuses when a table outside the selection references rows about to go; then
/// clears deferred keys and deletes the selected rows, children before parents.
async fn delete_selected(
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

fn list(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn filter_sql(table: &TablePlan) -> String {
    match &table.filter {
        Some(filter) => format!("coalesce(({filter}), false)"),
        None => "true".into(),
    }
}

fn staging_name(index: usize) -> String {
    format!("pg_temp.\"xtask_restore_{index}\"")
}

fn keys_name(index: usize) -> String {
    format!("pg_temp.\"xtask_restored_keys_{index}\"")
}

/// The tables a restore may load with their foreign keys dropped, and those keys.
#[derive(Debug)]
struct Bulk {
    /// Per plan table: loaded straight (exact columns, no filter, parents restored whole,
    /// empty), even when it has deferred keys (self-references, cycle edges).
    candidates: Vec<bool>,
    /// `(qualified table, constraint name, pg_get_constraintdef)` of every foreign key whose
    /// referencing table is a candidate.
    foreign_keys: Vec<(String, String, String)>,
}

/// The bulk path's tables and keys, or `None` when no table qualifies or the role does not own
/// every table on both ends of those keys (then the per-row path runs, as before).
async fn bulk_plan(
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
async fn restore_bulk(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    plan: &RestorePlan,
    bulk: &Bulk,
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
    restore_tables(conn, dir, plan, Some(&bulk.candidates), results).await?;
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

/// Restores every table of the plan in order, then sets the deferred keys of the tables that
/// went through staging. `bulk` marks the tables whose keys are dropped: those are copied
/// straight even with deferred keys.
async fn restore_tables(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    plan: &RestorePlan,
    bulk: Option<&[bool]>,
    results: &mut [TableResult],
) -> Result<(), RestoreError> {
    for (index, (table, result)) in plan.tables.iter().zip(results.iter_mut()).enumerate() {
        let keys_dropped = bulk.is_some_and(|b| b[index]);
        restore_table(conn, dir, plan, index, table, result, keys_dropped).await?;
    }
    for (index, (table, result)) in plan.tables.iter().zip(results.iter_mut()).enumerate() {
        if result.direct {
            continue; // copied with its keys as they are; nothing is deferred
        }
        for fk in &table.deferred {
            result.unlinked += link(conn, index, table, fk).await?;
        }
    }
    Ok(())
}

/// Restores one table: straight COPY when possible, else staging and `INSERT … SELECT`.
/// `keys_dropped`: its foreign keys are dropped for a bulk load, so deferred keys are copied too.
async fn restore_table(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    plan: &RestorePlan,
    index: usize,
    table: &TablePlan,
    result: &mut TableResult,
    keys_dropped: bool,
) -> Result<(), RestoreError> {
    // A bulk candidate was found empty by `bulk_plan`, and nothing has written to it since.
    if keys_dropped || (can_copy_directly(plan, table) && is_empty(conn, table).await?) {
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
                result.inserted = rows;
                result.direct = true;
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
    let candidates = count("staged") - result.filtered - result.orphans;
    result.conflicts = candidates.saturating_sub(result.inserted + result.updated);
    Ok(())
}

fn can_copy_directly(plan: &RestorePlan, table: &TablePlan) -> bool {
    table.exact
        && table.filter.is_none()
        && table.deferred.is_empty()
        && parents_restored_whole(plan, table)
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

/// Streams the table's data file into `target` (`COPY target FROM STDIN (FORMAT csv, HEADER)`),
/// hashing it on the way: a file that changed since the check aborts the COPY.
pub(crate) async fn copy_file(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    table: &TablePlan,
    target: &str,
) -> Result<u64, RestoreError> {
    let path = dir.join(&table.file);
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(4);
    let reader_path = path.clone();
    let expected = table.sha256.clone();
    let reader = tokio::task::spawn_blocking(move || -> Result<(), RestoreError> {
        let file = open(&reader_path)?;
        let mut decoder =
            zstd::Decoder::new(Hashing::new(file)).map_err(|e| corrupt(&reader_path, e))?;
        loop {
            let mut batch = vec![0; BATCH_BYTES];
            let mut filled = 0;
            while filled < BATCH_BYTES {
                match decoder.read(&mut batch[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) => {
                        let _ = sender.blocking_send(Err(e));
                        return Ok(());
                    }
                }
            }
            if filled == 0 {
                break;
            }
            batch.truncate(filled);
            if sender.blocking_send(Ok(batch)).is_err() {
                return Ok(()); // the COPY failed; its error is reported
            }
        }
        let mut rest = decoder.finish();
        std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| corrupt(&reader_path, e))?;
        let (_, _, sha256) = rest.into_inner().finish();
        if sha256 != expected {
            return Err(RestoreError::Corrupt {
                file: reader_path,
                problem: "it changed while being restored".into(),
            });
        }
        Ok(())
    });

    let sql = format!("COPY {target} FROM STDIN (FORMAT csv, HEADER)");
    let mut copy = conn
        .copy_in_raw(&sql)
        .await
        .map_err(table_error(table, "starting COPY"))?;
    let mut read_error = None;
    while let Some(batch) = receiver.recv().await {
        match batch {
            Ok(batch) => {
                if let Err(e) = copy.send(batch).await {
                    drop(receiver);
                    let _ = reader.await;
                    return Err(table_error(table, "loading its rows")(e));
                }
            }
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    drop(receiver);
    let checked = reader.await.expect("the reader does not panic");
    if let Some(e) = read_error {
        let _ = copy.abort("the data file could not be read").await;
        return Err(corrupt(&path, e));
    }
    if let Err(e) = checked {
        let _ = copy.abort("the data file changed").await;
        return Err(e);
    }
    copy.finish()
        .await
        .map_err(table_error(table, "loading its rows"))
}

/// `CAST(s."col" AS type)`.
fn cast(table: &TablePlan, column: &str) -> String {
    let data_type = &table
        .kept
        .iter()
        .find(|k| k.name == column)
        .expect("kept column")
        .data_type;
    format!("CAST(s.{} AS {data_type})", quote_ident(column))
}

/// Whether every parent of a row exists (MATCH SIMPLE: a NULL in the key means no check).
fn parents_exist(fks: &[ForeignKeyPlan], value: impl Fn(&str) -> String) -> String {
    if fks.is_empty() {
        return "true".into();
    }
    fks.iter()
        .map(|fk| {
            let nulls = fk
                .columns
                .iter()
                .map(|c| format!("{} IS NULL", value(c)))
                .collect::<Vec<_>>()
                .join(" OR ");
            let matches = fk
                .columns
                .iter()
                .zip(&fk.references_columns)
                .map(|(c, r)| format!("p.{} = {}", quote_ident(r), value(c)))
                .collect::<Vec<_>>()
                .join(" AND ");
            format!(
                "({nulls} OR EXISTS (SELECT 1 FROM {} p WHERE {matches}))",
                qualified(&fk.references_schema, &fk.references_table)
            )
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// One statement that inserts the staged rows and returns the counts: staged, filtered,
/// orphans, inserted, updated.
fn insert_sql(mode: Mode, index: usize, table: &TablePlan) -> String {
    let staging = staging_name(index);
    let deferred = table.deferred_columns();
    let typed = list(
        table
            .kept
            .iter()
            .map(|k| format!("{} AS {}", cast(table, &k.name), quote_ident(&k.name))),
    );
    let names = list(table.kept.iter().map(|k| quote_ident(&k.name)));
    let values = list(table.kept.iter().map(|k| {
        if deferred.contains(&k.name) {
            "NULL".to_string()
        } else {
            quote_ident(&k.name)
        }
    }));
    let parents = parents_exist(&table.parents, |c| format!("src.{}", quote_ident(c)));
    let key = list(table.primary_key.iter().map(|c| quote_ident(c)));
    let updates: Vec<String> = table
        .kept
        .iter()
        .filter(|k| !table.primary_key.contains(&k.name))
        .map(|k| format!("{0} = EXCLUDED.{0}", quote_ident(&k.name)))
        .collect();
    let conflict = match mode {
        Mode::Upsert if !table.primary_key.is_empty() && !updates.is_empty() => {
            format!("ON CONFLICT ({key}) DO UPDATE SET {}", updates.join(", "))
        }
        _ => "ON CONFLICT DO NOTHING".into(),
    };
    let returning = if table.deferred.is_empty() {
        "RETURNING (xmax = 0) AS inserted".to_string()
    } else {
        format!("RETURNING (xmax = 0) AS inserted, {key}")
    };
    let keep_keys = if table.deferred.is_empty() {
        String::new()
    } else {
        format!(
            ", keys AS (INSERT INTO {} SELECT {key} FROM ins)",
            keys_name(index)
        )
    };
    let filter = filter_sql(table);
    format!(
        "WITH src AS MATERIALIZED (SELECT {typed} FROM {staging} s),
              pass AS MATERIALIZED (SELECT *, {filter} AS xtask_selected, {parents} AS xtask_linked FROM src),
              ins AS (INSERT INTO {live} ({names}) OVERRIDING SYSTEM VALUE
                      SELECT {values} FROM pass WHERE xtask_selected AND xtask_linked
                      {conflict} {returning}){keep_keys}
         SELECT (SELECT count(*) FROM pass) AS staged,
                (SELECT count(*) FROM pass WHERE NOT xtask_selected) AS filtered,
                (SELECT count(*) FROM pass WHERE xtask_selected AND NOT xtask_linked) AS orphans,
                (SELECT count(*) FROM ins WHERE inserted) AS inserted,
                (SELECT count(*) FROM ins WHERE NOT inserted) AS updated",
        live = table.qualified(),
    )
}

/// After a failed insert: finds the column whose cast fails, so the error names it.
async fn diagnose(
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

/// Sets a deferred foreign key on the restored rows whose parent now exists; returns how many
/// restored rows keep it NULL because the parent is missing.
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
    let not_null = fk
        .columns
        .iter()
        .map(|c| format!("s.{} IS NOT NULL", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let parents = parents_exist(std::slice::from_ref(fk), |c| cast(table, c));
    let sql = format!(
        "WITH candidates AS (
             SELECT count(*) AS n FROM {staging} s JOIN {keys} k ON {join} WHERE {not_null}),
         linked AS (
             UPDATE {live} t SET {set} FROM {staging} s JOIN {keys} k ON {join}
             WHERE {same_row} AND {not_null} AND {parents} RETURNING 1)
         SELECT (SELECT n FROM candidates) - (SELECT count(*) FROM linked)",
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

/// Moves each sequence-fed column's sequence past the largest restored value; never backwards.
async fn move_sequences(conn: &mut PgConnection, table: &TablePlan) -> Result<(), RestoreError> {
    for column in &table.sequences {
        let sql = format!(
            "SELECT setval(seq, GREATEST(top, coalesce(pg_sequence_last_value(seq), top)))
             FROM (SELECT pg_get_serial_sequence($1, $2)::regclass AS seq,
                          (SELECT max({col}) FROM {live})::bigint AS top) x
             WHERE seq IS NOT NULL AND top IS NOT NULL",
            col = quote_ident(column),
            live = table.qualified(),
        );
        sqlx::query(&sql)
            .bind(table.qualified())
            .bind(column)
            .fetch_optional(&mut *conn)
            .await
            .map_err(table_error(
                table,
                &format!("moving the sequence of {column}"),
            ))?;
    }
    Ok(())
}

/// Extracts one archive under `root`. `merge` keeps files that exist; the other modes overwrite.
fn extract(
    dir: &Utf8Path,
    archive: &super::plan::FilePlan,
    root: &Utf8Path,
    mode: Mode,
    dry_run: bool,
) -> Result<FileResult, RestoreError> {
    let path = dir.join(&archive.file);
    let decoder = zstd::Decoder::new(open(&path)?).map_err(IoError::at("extracting", &path))?;
    let mut tar = tar::Archive::new(decoder);
    let mut result = FileResult {
        group: archive.group.clone(),
        ..FileResult::default()
    };
    for entry in tar.entries().map_err(IoError::at("extracting", &path))? {
        let mut entry = entry.map_err(IoError::at("extracting", &path))?;
        let name = entry_path(&entry).map_err(IoError::at("extracting", &path))?;
        let relative =
            entry_target(&name, &archive.folders).ok_or_else(|| RestoreError::UnsafeEntry {
                archive: path.clone(),
                entry: name.to_string(),
            })?;
        let target = root.join(&relative);
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                if !dry_run {
                    std::fs::create_dir_all(&target).map_err(IoError::at("extracting", &target))?;
                }
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if target.exists() && mode == Mode::Merge {
                    result.existing += 1;
                    continue;
                }
                result.written += 1;
                if !dry_run {
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(IoError::at("extracting", parent))?;
                    }
                    entry
                        .unpack(&target)
                        .map_err(IoError::at("extracting", &target))?;
                }
            }
            _ => result.skipped += 1,
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_must_stay_inside_their_folders() {
        let folders = [Utf8PathBuf::from("public/uploads")];
        assert_eq!(
            entry_target(Utf8Path::new("public/uploads/a.png"), &folders),
            Some(Utf8PathBuf::from("public/uploads/a.png"))
        );
        assert!(entry_target(Utf8Path::new("public/uploads/../../etc/x"), &folders).is_none());
        assert!(entry_target(Utf8Path::new("/etc/passwd"), &folders).is_none());
        assert!(entry_target(Utf8Path::new("public/other/a.png"), &folders).is_none());
        assert!(entry_target(Utf8Path::new("public/uploadsX/a.png"), &folders).is_none());
    }

    /// An archive whose entry lies outside its folders is refused by the check, before any
    /// transaction; the same archive with a matching folder passes.
    #[test]
    fn check_files_refuses_an_entry_outside_its_folders() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::create_dir(dir.join("files")).unwrap();
        let mut tar = tar::Builder::new(zstd::Encoder::new(Vec::new(), 1).unwrap());
        let mut header = tar::Header::new_gnu();
        header.set_size(2);
        header.set_cksum();
        tar.append_data(&mut header, "public/other/x.png", &b"hi"[..])
            .unwrap();
        let bytes = tar.into_inner().unwrap().finish().unwrap();
        std::fs::write(dir.join("files/images.tar.zst"), &bytes).unwrap();
        let (_, size, sha256) = {
            let mut h = Hashing::new(std::io::sink());
            std::io::Write::write_all(&mut h, &bytes).unwrap();
            h.finish()
        };
        let plan = |folder: &str| RestorePlan {
            snapshot_id: "s".into(),
            mode: Mode::Merge,
            tables: Vec::new(),
            skipped: Vec::new(),
            unrestorable: Vec::new(),
            outside_references: Vec::new(),
            files: vec![super::super::plan::FilePlan {
                group: "images".into(),
                file: "files/images.tar.zst".into(),
                folders: vec![folder.into()],
                entries: 1,
                bytes: size,
                sha256: sha256.clone(),
            }],
        };
        let err = check_files(dir, &plan("public/uploads")).unwrap_err();
        assert!(
            matches!(&err, RestoreError::UnsafeEntry { entry, .. } if entry == "public/other/x.png"),
            "{err}"
        );
        check_files(dir, &plan("public/other")).unwrap();
    }
}
