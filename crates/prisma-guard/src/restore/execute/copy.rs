//! The COPY stream: a table's data file, decompressed, hashed and rewritten from CSV into
//! COPY's text format (`text`, which the server parses faster) on a blocking thread, sent to
//! `COPY … FROM STDIN` in batches.

use std::io::Read;

use camino::Utf8Path;
use sqlx::PgConnection;

use super::file_check::{corrupt, open};
use super::table_error;
use super::text::CsvToText;
use crate::restore::RestoreError;
use crate::restore::plan::TablePlan;
use crate::snapshot::csv::Hashing;

/// Batch size read from a data file and sent to the server, in bytes.
const BATCH_BYTES: usize = 1 << 20;

/// Streams the table's data file into `target` (`COPY target FROM STDIN`, text format: the
/// file's CSV is rewritten on the way by [`CsvToText`]), hashing it on the way: a file that
/// changed since the check aborts the COPY. Returns the rows loaded, which must be the
/// manifest's count ([`TablePlan::snapshot_rows`]).
///
/// Errors: [`RestoreError::RowCount`] when they differ, [`RestoreError::Corrupt`] (also for CSV
/// that PostgreSQL does not write), [`RestoreError::Table`] for the COPY.
pub(crate) async fn copy_file(
    conn: &mut PgConnection,
    dir: &Utf8Path,
    table: &TablePlan,
    target: &str,
) -> Result<u64, RestoreError> {
    if let Some(source) = super::source::streamed(dir) {
        return super::source::copy_streamed(conn, &source, table, target).await;
    }
    let path = dir.join(&table.file);
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(4);
    let reader_path = path.clone();
    let expected = table.sha256.clone();
    let mut text = CsvToText::new(table.snapshot_columns.len());
    let reader = tokio::task::spawn_blocking(move || -> Result<(), RestoreError> {
        let file = open(&reader_path)?;
        let mut decoder =
            zstd::Decoder::new(Hashing::new(file)).map_err(|e| corrupt(&reader_path, e))?;
        let mut csv = vec![0; BATCH_BYTES];
        loop {
            let mut filled = 0;
            while filled < BATCH_BYTES {
                match decoder.read(&mut csv[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) => {
                        let _ = sender.blocking_send(Err(e));
                        return Ok(());
                    }
                }
            }
            let mut batch = Vec::with_capacity(filled + filled / 8);
            let converted = match filled {
                0 => text.finish(),
                _ => text.convert(&csv[..filled], &mut batch),
            };
            if let Err(e) = converted {
                // Dropping the sender ends the COPY's input; this error aborts it.
                return Err(RestoreError::Corrupt {
                    file: reader_path,
                    problem: format!("it is not PostgreSQL's CSV: {e}"),
                });
            }
            if filled == 0 {
                break;
            }
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

    let sql = format!("COPY {target} FROM STDIN");
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
        let _ = copy
            .abort("the data file changed or is not PostgreSQL's CSV")
            .await;
        return Err(e);
    }
    let loaded = copy
        .finish()
        .await
        .map_err(table_error(table, "loading its rows"))?;
    counted(table, loaded)
}

/// `loaded` when it is the manifest's row count of `table`, else [`RestoreError::RowCount`].
pub(super) fn counted(table: &TablePlan, loaded: u64) -> Result<u64, RestoreError> {
    if loaded != table.snapshot_rows {
        return Err(RestoreError::RowCount {
            table: table.name.clone(),
            file: table.file.clone(),
            loaded,
            manifest: table.snapshot_rows,
        });
    }
    Ok(loaded)
}
