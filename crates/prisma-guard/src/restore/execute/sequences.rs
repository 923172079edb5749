//! Sequences: each sequence-fed column's sequence moved past the restored keys.

use sqlx::PgConnection;

use super::table_error;
use crate::restore::RestoreError;
use crate::restore::plan::TablePlan;
use crate::sql::quote_ident;

/// Moves each sequence-fed column's sequence past the largest restored value; never backwards.
pub(super) async fn move_sequences(
    conn: &mut PgConnection,
    table: &TablePlan,
) -> Result<(), RestoreError> {
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
