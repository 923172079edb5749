//! Comparing the text copies of a before-state with the working schema after a migration, by
//! primary key, in SQL: per table one pass over the copy joined to the table (rows lost, values
//! changed, dropped, carried, enum values held) and one for the rows added.

use std::collections::BTreeMap;

use sqlx::{PgConnection, Row};

use super::copy::{State, literal};
use super::model::{ColumnChange, ColumnChangeKind, TableChange};
use super::scope::Touched;
use crate::catalog::Table;
use crate::error::QueryError;
use crate::sql::{qualified, quote_ident};

/// One before/after pair: the copies in `copies` against the working schema now.
pub(super) struct Comparison<'a> {
    /// The schema holding the before-state copies.
    pub copies: &'a str,
    /// The catalog before.
    pub before: &'a State,
    /// The catalog after.
    pub after: &'a State,
    /// The tables copied into `copies`; `before` and `after` are narrowed to the columns
    /// copied ([`super::scope::narrowed`]).
    pub copied: &'a Touched,
    /// Rows before of the tables not copied.
    pub counts: &'a BTreeMap<String, u64>,
}

/// What one aggregate of the main pass counts.
enum Slot {
    Lost,
    After,
    Added,
    Changed(usize),
    Overwritten(usize),
    NonNull(usize),
    Carried(usize),
    EnumHeld(usize, String),
}

impl Comparison<'_> {
    /// Every table of the before-state that changed, in name order.
    pub async fn tables(&self, conn: &mut PgConnection) -> Result<Vec<TableChange>, QueryError> {
        let mut changes = Vec::new();
        for table in &self.before.tables {
            let change = match (
                self.copied.contains_key(&table.name),
                self.after.table(&table.name),
            ) {
                (false, after) => self.counted(conn, table, after).await?,
                (true, None) => Some(self.dropped(conn, table).await?),
                (true, Some(after)) => self.keyed(conn, table, after).await?,
            };
            changes.extend(change);
        }
        Ok(changes)
    }

    /// A table the migration does not name: only its row count is compared.
    async fn counted(
        &self,
        conn: &mut PgConnection,
        table: &Table,
        after: Option<&Table>,
    ) -> Result<Option<TableChange>, QueryError> {
        let rows_before = self.counts.get(&table.name).copied().unwrap_or(0);
        let rows_after = match after {
            Some(after) => count(conn, &after.qualified()).await?,
            None => 0,
        };
        if after.is_some() && rows_after == rows_before {
            return Ok(None);
        }
        Ok(Some(TableChange {
            table: table.name.clone(),
            rows_before,
            rows_after,
            rows_lost: rows_before.saturating_sub(rows_after),
            rows_added: rows_after.saturating_sub(rows_before),
            dropped: after.is_none(),
            keyed: false,
            columns: Vec::new(),
        }))
    }

    async fn dropped(
        &self,
        conn: &mut PgConnection,
        table: &Table,
    ) -> Result<TableChange, QueryError> {
        let rows_before = count(conn, &qualified(self.copies, &table.name)).await?;
        Ok(TableChange {
            table: table.name.clone(),
            rows_before,
            rows_after: 0,
            rows_lost: rows_before,
            rows_added: 0,
            dropped: true,
            keyed: true,
            columns: Vec::new(),
        })
    }

    /// One pass over the copy left-joined to the table by key, one over the table for new keys.
    /// Retyped values are compared in the old type, or as text when a value does not cast back.
    async fn keyed(
        &self,
        conn: &mut PgConnection,
        before: &Table,
        after: &Table,
    ) -> Result<Option<TableChange>, QueryError> {
        match self.keyed_as(conn, before, after, true).await {
            Err(error) if matches!(error.source, sqlx::Error::Database(_)) => {
                self.keyed_as(conn, before, after, false).await
            }
            other => other,
        }
    }

    async fn keyed_as(
        &self,
        conn: &mut PgConnection,
        before: &Table,
        after: &Table,
        typed: bool,
    ) -> Result<Option<TableChange>, QueryError> {
        let key = &before.primary_key;
        let keyed = !key.is_empty() && key.iter().all(|k| after.column(k).is_some());
        let added: Vec<&crate::catalog::Column> = after
            .columns
            .iter()
            .filter(|c| before.column(&c.name).is_none())
            .collect();
        let mut slots = Vec::new();
        // Keyed: one pass, the copy full-joined to the table (`?b`: a row of the copy, `?m`: a
        // row of the table).
        let mut aggregates = vec![match keyed {
            true => "count(b.\"?b\")".to_string(),
            false => "count(*)".to_string(),
        }];
        let mut joined = Vec::new();
        if keyed {
            slots.extend([Slot::Lost, Slot::After, Slot::Added]);
            aggregates.push("count(*) FILTER (WHERE b.\"?b\" AND w.\"?m\" IS NULL)".into());
            aggregates.push("count(w.\"?m\")".into());
            aggregates.push("count(*) FILTER (WHERE b.\"?b\" IS NULL)".into());
        }
        let removed = self.removed_labels();
        for (i, column) in before.columns.iter().enumerate() {
            let b = format!("b.{}", quote_ident(&column.name));
            match after.column(&column.name) {
                Some(a) if keyed => {
                    let w = format!("w.\"?v{i}\"");
                    // A retyped value is cast back to the old type, so 10 and 10.00 are equal.
                    let back = match typed && a.data_type != column.data_type {
                        true => format!("::{}", column.data_type),
                        false => String::new(),
                    };
                    joined.push(format!(
                        "{}{back}::text AS \"?v{i}\"",
                        quote_ident(&column.name)
                    ));
                    let differs = format!("b.\"?b\" AND w.\"?m\" AND {b} IS DISTINCT FROM {w}");
                    aggregates.push(format!("count(*) FILTER (WHERE {differs})"));
                    aggregates.push(format!(
                        "count(*) FILTER (WHERE {b} IS NOT NULL AND {differs})"
                    ));
                    slots.push(Slot::Changed(i));
                    slots.push(Slot::Overwritten(i));
                }
                Some(_) => {}
                None => {
                    aggregates.push(format!("count({b})"));
                    slots.push(Slot::NonNull(i));
                    let same: Vec<String> = added
                        .iter()
                        .filter(|a| a.data_type == column.data_type)
                        .map(|a| format!("w.{}", quote_ident(&format!("?x{}", a.name))))
                        .collect();
                    if keyed && !same.is_empty() {
                        let carried = same
                            .iter()
                            .map(|x| format!("{b} = {x}"))
                            .collect::<Vec<_>>()
                            .join(" OR ");
                        aggregates
                            .push(format!("count(*) FILTER (WHERE w.\"?m\" AND ({carried}))"));
                        slots.push(Slot::Carried(i));
                    }
                }
            }
            if let Some((name, labels)) = enum_of(&column.data_type, &removed) {
                let list = labels
                    .iter()
                    .map(|l| literal(l))
                    .collect::<Vec<_>>()
                    .join(", ");
                let held = if column.data_type.ends_with("[]") {
                    format!("{b}::text[] && ARRAY[{list}]::text[]")
                } else {
                    format!("{b} IN ({list})")
                };
                aggregates.push(format!("count(*) FILTER (WHERE {held})"));
                slots.push(Slot::EnumHeld(i, format!("{name}: {}", labels.join(", "))));
            }
        }
        let copy = qualified(self.copies, &before.name);
        let mut from = match keyed {
            true => format!("(SELECT true AS \"?b\", * FROM {copy}) b"),
            false => format!("{copy} b"),
        };
        if keyed {
            let keys: Vec<String> = (0..key.len()).map(|i| format!("\"?k{i}\"")).collect();
            let mut select = vec!["true AS \"?m\"".to_string()];
            for (i, k) in key.iter().enumerate() {
                select.push(format!("{}::text AS {}", quote_ident(k), keys[i]));
            }
            select.extend(joined);
            for a in &added {
                select.push(format!(
                    "{}::text AS {}",
                    quote_ident(&a.name),
                    quote_ident(&format!("?x{}", a.name))
                ));
            }
            let on = key
                .iter()
                .zip(&keys)
                .map(|(k, alias)| format!("b.{} = w.{alias}", quote_ident(k)))
                .collect::<Vec<_>>()
                .join(" AND ");
            from += &format!(
                " FULL JOIN (SELECT {} FROM {}) w ON {on}",
                select.join(", "),
                after.qualified()
            );
        }
        let sql = format!("SELECT {} FROM {from}", aggregates.join(", "));
        let action = || QueryError::at(format!("comparing table {} before and after", before.name));
        let row = sqlx::query(&sql)
            .fetch_one(&mut *conn)
            .await
            .map_err(action())?;
        let value = |i: usize| -> Result<u64, QueryError> {
            Ok(row.try_get::<i64, _>(i).map_err(action())?.max(0) as u64)
        };
        let rows_before = value(0)?;
        let (rows_after, rows_added) = match keyed {
            true => (0, 0),
            false => self.unkeyed_counts(conn, before, after).await?,
        };
        let mut change = TableChange {
            table: before.name.clone(),
            rows_before,
            rows_after,
            rows_lost: rows_before.saturating_sub(rows_after),
            rows_added,
            dropped: false,
            keyed,
            columns: Vec::new(),
        };
        let mut by_column: BTreeMap<usize, [u64; 4]> = BTreeMap::new();
        for (n, slot) in slots.iter().enumerate() {
            let v = value(n + 1)?;
            match slot {
                Slot::Lost => change.rows_lost = v,
                Slot::After => change.rows_after = v,
                Slot::Added => change.rows_added = v,
                Slot::Changed(i) => by_column.entry(*i).or_default()[0] = v,
                Slot::Overwritten(i) => by_column.entry(*i).or_default()[1] = v,
                Slot::NonNull(i) => by_column.entry(*i).or_default()[2] = v,
                Slot::Carried(i) => by_column.entry(*i).or_default()[3] = v,
                Slot::EnumHeld(i, detail) => change.columns.push(ColumnChange {
                    column: before.columns[*i].name.clone(),
                    change: ColumnChangeKind::EnumValueRemoved,
                    values_lost: v,
                    values_changed: 0,
                    detail: Some(detail.clone()),
                }),
            }
        }
        for (i, [changed, overwritten, non_null, carried]) in by_column {
            let column = &before.columns[i];
            let (kind, values_lost, values_changed, detail) = match after.column(&column.name) {
                None => (
                    ColumnChangeKind::Dropped,
                    non_null.saturating_sub(carried),
                    non_null,
                    None,
                ),
                Some(a) if a.data_type != column.data_type => (
                    ColumnChangeKind::TypeChanged,
                    overwritten,
                    changed,
                    Some(format!("{} -> {}", column.data_type, a.data_type)),
                ),
                Some(_) if changed > 0 => (ColumnChangeKind::Updated, overwritten, changed, None),
                Some(_) => continue,
            };
            change.columns.push(ColumnChange {
                column: column.name.clone(),
                change: kind,
                values_lost,
                values_changed,
                detail,
            });
        }
        for a in &added {
            change.columns.push(ColumnChange {
                column: a.name.clone(),
                change: ColumnChangeKind::Added,
                values_lost: 0,
                values_changed: 0,
                detail: None,
            });
        }
        let unchanged = change.columns.is_empty()
            && change.rows_lost == 0
            && change.rows_added == 0
            && change.rows_after == rows_before;
        Ok((!unchanged).then_some(change))
    }

    /// Without a key: rows in the table now, and its growth.
    async fn unkeyed_counts(
        &self,
        conn: &mut PgConnection,
        before: &Table,
        after: &Table,
    ) -> Result<(u64, u64), QueryError> {
        let rows = count(conn, &after.qualified()).await?;
        let copy = count(conn, &qualified(self.copies, &before.name)).await?;
        Ok((rows, rows.saturating_sub(copy)))
    }

    /// Enum types (by name) whose labels the after-state lacks, with those labels.
    fn removed_labels(&self) -> BTreeMap<&str, Vec<&str>> {
        self.before
            .enums
            .iter()
            .filter_map(|(name, labels)| {
                let now = self.after.enums.get(name)?;
                let gone: Vec<&str> = labels
                    .iter()
                    .filter(|l| !now.contains(l))
                    .map(String::as_str)
                    .collect();
                (!gone.is_empty()).then_some((name.as_str(), gone))
            })
            .collect()
    }
}

/// The enum a column of type `data_type` (the enum, or an array of it) uses, when it lost labels.
fn enum_of<'a>(
    data_type: &str,
    removed: &'a BTreeMap<&str, Vec<&str>>,
) -> Option<(&'a str, &'a [&'a str])> {
    let base = data_type.strip_suffix("[]").unwrap_or(data_type);
    removed
        .get_key_value(base)
        .map(|(name, labels)| (*name, labels.as_slice()))
}

async fn count(conn: &mut PgConnection, table: &str) -> Result<u64, QueryError> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await
        .map_err(QueryError::at(format!("counting the rows of {table}")))?;
    Ok(n.max(0) as u64)
}
