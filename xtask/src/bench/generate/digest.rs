//! The data check: a digest per table (row count and an md5 over every row in key order), and
//! the first difference between two databases' digests.

use crate::bench::BenchError;
use prisma_guard::catalog;
use prisma_guard::database::DatabaseUrl;
use prisma_guard::sql::quote_ident;

/// One table's content digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableDigest {
    /// The table's name.
    pub table: String,
    /// Its rows.
    pub rows: i64,
    /// `md5` over the `md5` of every row's text form, in primary-key order (all columns for a
    /// table without one); empty for an empty table.
    pub md5: String,
}

/// The digest of every table of `url`'s working schema but `_prisma_migrations`, by name: two
/// databases hold the same data exactly when their digests are equal.
///
/// Errors: [`BenchError::Connect`], [`BenchError::Database`] naming the table.
pub async fn digests(url: &DatabaseUrl) -> Result<Vec<TableDigest>, BenchError> {
    let mut conn = url.connect().await?;
    let tables = catalog::tables(&mut conn, url.schema())
        .await
        .map_err(BenchError::database("reading the catalog"))?;
    let mut digests = Vec::new();
    for table in tables
        .into_iter()
        .filter(|t| t.name != "_prisma_migrations")
    {
        let order: Vec<String> = if table.primary_key.is_empty() {
            table.columns.iter().map(|c| quote_ident(&c.name)).collect()
        } else {
            table.primary_key.iter().map(|c| quote_ident(c)).collect()
        };
        let order = order
            .iter()
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY {order})), '') FROM {} t",
            table.qualified()
        );
        let (rows, md5): (i64, String) =
            sqlx::query_as(&sql)
                .fetch_one(&mut conn)
                .await
                .map_err(BenchError::database(&format!(
                    "reading table {}",
                    table.name
                )))?;
        digests.push(TableDigest {
            table: table.name,
            rows,
            md5,
        });
    }
    digests.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(digests)
}

/// The first difference between two digest lists, as `table: what differs`, or `None`.
pub fn first_difference(expected: &[TableDigest], actual: &[TableDigest]) -> Option<String> {
    for want in expected {
        match actual.iter().find(|d| d.table == want.table) {
            None => return Some(format!("{}: table missing", want.table)),
            Some(got) if got.rows != want.rows => {
                return Some(format!(
                    "{}: {} rows, expected {}",
                    want.table, got.rows, want.rows
                ));
            }
            Some(got) if got.md5 != want.md5 => {
                return Some(format!("{}: same row count, different content", want.table));
            }
            Some(_) => {}
        }
    }
    actual
        .iter()
        .find(|d| !expected.iter().any(|e| e.table == d.table))
        .map(|d| format!("{}: unexpected table", d.table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_named() {
        let d = |table: &str, rows, md5: &str| TableDigest {
            table: table.into(),
            rows,
            md5: md5.into(),
        };
        let base = vec![d("A", 1, "x"), d("B", 2, "y")];
        assert_eq!(first_difference(&base, &base), None);
        assert_eq!(
            first_difference(&base, &[d("A", 1, "x"), d("B", 2, "z")]).unwrap(),
            "B: same row count, different content"
        );
        assert!(first_difference(&base, &[d("A", 1, "x")]).is_some());
    }
}
