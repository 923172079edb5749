//! How many rows of the live tables the groups' row filters select: what `status` shows next
//! to each filter, so an inferred filter that selects nobody (or everybody) is seen. The one
//! part of `groups` that reads the database; it only reads.

use serde::Serialize;
use sqlx::PgConnection;

use super::Group;
use crate::error::QueryError;
use crate::sql::qualified;

/// One filtered group table, counted in the live database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilterCount {
    /// The group.
    pub group: String,
    /// The table.
    pub table: String,
    /// The filter.
    pub filter: String,
    /// Live rows the filter selects; `None` when PostgreSQL refuses the filter.
    pub selected: Option<u64>,
    /// PostgreSQL's error when it refuses the filter (a column that does not exist, a typo in a
    /// configured filter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Live rows of the table.
    pub rows: u64,
}

/// Counts, for every table entry with a filter in `groups`, the rows of the live table in
/// `schema` the filter selects and all its rows (`count(*) FILTER (WHERE …)`, one statement per
/// table), in a `READ ONLY` transaction: a filter cannot write.
///
/// A table missing from the live schema is left out. Errors: [`QueryError`] when the
/// transaction cannot be opened or a count fails for another reason than the filter.
pub async fn count_filtered(
    conn: &mut PgConnection,
    schema: &str,
    groups: &[Group],
) -> Result<Vec<FilterCount>, QueryError> {
    let entries: Vec<(&Group, &super::GroupTable, &String)> = groups
        .iter()
        .flat_map(|g| {
            g.tables
                .iter()
                .filter_map(move |t| t.filter.as_ref().map(|f| (g, t, f)))
        })
        .collect();
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    run(conn, "BEGIN READ ONLY").await?;
    let mut counts = Vec::new();
    for (group, entry, filter) in entries {
        let table = qualified(schema, &entry.table);
        run(conn, "SAVEPOINT xtask_count").await?;
        let sql = format!(
            "SELECT count(*) FILTER (WHERE coalesce(({filter}), false)), count(*) FROM {table}"
        );
        let selected = match sqlx::query_as::<_, (i64, i64)>(&sql)
            .fetch_one(&mut *conn)
            .await
        {
            Ok((selected, rows)) => (Ok(unsigned(selected)), unsigned(rows)),
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => {
                run(conn, "ROLLBACK TO SAVEPOINT xtask_count").await?;
                continue; // no such table
            }
            Err(sqlx::Error::Database(e)) => {
                run(conn, "ROLLBACK TO SAVEPOINT xtask_count").await?;
                let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(QueryError::at(format!("counting the rows of {table}")))?;
                (Err(e.message().to_string()), unsigned(rows))
            }
            Err(e) => return Err(QueryError::at(format!("counting the rows of {table}"))(e)),
        };
        counts.push(FilterCount {
            group: group.name.clone(),
            table: entry.table.clone(),
            filter: filter.clone(),
            selected: selected.0.as_ref().ok().copied(),
            error: selected.0.err(),
            rows: selected.1,
        });
    }
    run(conn, "ROLLBACK").await?;
    Ok(counts)
}

async fn run(conn: &mut PgConnection, sql: &str) -> Result<(), QueryError> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(QueryError::at(format!("counting group rows ({sql})")))
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
