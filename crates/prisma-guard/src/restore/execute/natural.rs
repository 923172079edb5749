//! Rows matched by a natural key (issue 19), set-based over the staging tables.
//!
//! After a table is staged: its staged foreign keys into tables mapped already are rewritten
//! through their id maps (`UPDATE staging … FROM map`); then, when it has a natural key, its own
//! id map (`snapshot id → target id`) is computed in a temporary table for the staged rows whose
//! primary key the target lacks but whose natural key a target row holds, and the staged rows'
//! primary keys (and self-references) are rewritten to the target's ids. The insert that follows
//! then meets the target row by its primary key: `merge` keeps it, `upsert` and `replace` update
//! it, and `replace` does not delete it as absent from the snapshot. Deferred cycle edges into
//! tables staged later are rewritten just before they are linked.
//!
//! A staged row whose natural key matches another target row than its primary key does, or a
//! target row whose id another staged row holds, is a conflict: the restore stops with
//! [`RestoreError::NaturalKeyConflict`] listing them (rolled back; merging two entities into one
//! silently is what this refuses).

use std::collections::BTreeSet;

use sqlx::PgConnection;

use super::insert::{cast, staging_name};
use super::report::TableResult;
use super::{filter_sql, list, table_error};
use crate::restore::RestoreError;
use crate::restore::plan::{ForeignKeyPlan, RestorePlan, TablePlan};
use crate::sql::quote_ident;

/// Conflicting rows named in the error, at most.
const LISTED: i64 = 10;

/// The id maps computed so far, per plan table.
#[derive(Debug, Clone, Default)]
pub(super) struct Maps {
    /// Per plan table: the map's rows once computed (`Some(0)` for a table loaded without
    /// one, whose rows match nothing), `None` before.
    sizes: Vec<Option<u64>>,
    /// `(table index, foreign key name)` of the keys rewritten already.
    followed: BTreeSet<(usize, String)>,
}

impl Maps {
    /// No map yet, for `plan`'s tables.
    pub(super) fn new(plan: &RestorePlan) -> Maps {
        Maps {
            sizes: vec![None; plan.tables.len()],
            followed: BTreeSet::new(),
        }
    }

    /// Records that the table at `index` was loaded without staging: an empty table, so its
    /// map is empty.
    pub(super) fn loaded_empty(&mut self, index: usize) {
        self.sizes[index] = Some(0);
    }

    /// Whether the table at `index` may be copied straight (its foreign keys as they are): no
    /// key it holds points into a table whose map has rows or is not computed yet.
    pub(super) fn copy_allowed(&self, plan: &RestorePlan, index: usize) -> bool {
        plan.tables[index].follows.iter().all(|fk| {
            match parent_index(plan, fk) {
                Some(j) if j == index => true, // an empty table's own rows match nothing
                Some(j) => self.sizes[j] == Some(0),
                None => true,
            }
        })
    }
}

fn map_name(index: usize) -> String {
    format!("pg_temp.\"xtask_idmap_{index}\"")
}

fn parent_index(plan: &RestorePlan, fk: &ForeignKeyPlan) -> Option<usize> {
    plan.tables
        .iter()
        .position(|t| t.schema == fk.references_schema && t.name == fk.references_table)
}

/// After the table at `index` is staged: rewrites its keys into mapped tables, computes its own
/// map (refusing conflicts), rewrites its primary key and self-references. Counts go to
/// `results` (`matched`, `remapped`, and the parents' `followed`).
pub(super) async fn after_staging(
    conn: &mut PgConnection,
    plan: &RestorePlan,
    index: usize,
    maps: &mut Maps,
    results: &mut [TableResult],
) -> Result<(), RestoreError> {
    let table = &plan.tables[index];
    follow(conn, plan, index, maps, results, |j| j != index).await?;
    if table.natural_key.is_none() {
        return Ok(());
    }
    refuse_conflicts(conn, index, table).await?;
    let matched = build_map(conn, index, table).await?;
    maps.sizes[index] = Some(matched);
    results[index].matched = matched;
    if matched > 0 {
        let set = list(
            table
                .primary_key
                .iter()
                .enumerate()
                .map(|(k, c)| format!("{} = m.t_{k}::text", quote_ident(c))),
        );
        let on = map_join(table, &table.primary_key, &table.primary_key);
        sqlx::query(&format!(
            "UPDATE {} s SET {set} FROM {} m WHERE {on}",
            staging_name(index),
            map_name(index)
        ))
        .execute(&mut *conn)
        .await
        .map_err(table_error(
            table,
            "moving its staged rows to the target's ids",
        ))?;
    }
    follow(conn, plan, index, maps, results, |j| j == index).await
}

/// Before the deferred keys are linked: rewrites the deferred keys of the table at `index` into
/// tables mapped after it was staged.
pub(super) async fn before_link(
    conn: &mut PgConnection,
    plan: &RestorePlan,
    index: usize,
    maps: &mut Maps,
    results: &mut [TableResult],
) -> Result<(), RestoreError> {
    follow(conn, plan, index, maps, results, |_| true).await
}

/// `CAST(s.fk AS parent type) = m.s_k AND …` for a staged table `s` and the parent's map `m`:
/// `columns[i]` of `s` references `references[i]` of the parent, which is its primary key's
/// column k (the map's `s_k`), cast to that column's type.
fn map_join(parent: &TablePlan, columns: &[String], references: &[String]) -> String {
    columns
        .iter()
        .zip(references)
        .map(|(c, r)| {
            let k = parent
                .primary_key
                .iter()
                .position(|p| p == r)
                .expect("a followed key references the parent's primary key");
            let data_type = &parent
                .kept
                .iter()
                .find(|kept| &kept.name == r)
                .expect("the primary key is kept")
                .data_type;
            format!("CAST(s.{} AS {data_type}) = m.s_{k}", quote_ident(c))
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Rewrites the staged keys of the table at `index` into the mapped tables `which` accepts,
/// each key once.
async fn follow(
    conn: &mut PgConnection,
    plan: &RestorePlan,
    index: usize,
    maps: &mut Maps,
    results: &mut [TableResult],
    which: impl Fn(usize) -> bool,
) -> Result<(), RestoreError> {
    let table = &plan.tables[index];
    for fk in &table.follows {
        let Some(j) = parent_index(plan, fk) else {
            continue;
        };
        if !which(j) || maps.followed.contains(&(index, fk.name.clone())) {
            continue;
        }
        let Some(size) = maps.sizes[j] else { continue };
        maps.followed.insert((index, fk.name.clone()));
        if size == 0 {
            continue;
        }
        let parent = &plan.tables[j];
        let set = list(fk.columns.iter().zip(&fk.references_columns).map(|(c, r)| {
            let k = parent.primary_key.iter().position(|p| p == r).expect("pk");
            format!("{} = m.t_{k}::text", quote_ident(c))
        }));
        let sql = format!(
            "UPDATE {} s SET {set} FROM {} m WHERE {}",
            staging_name(index),
            map_name(j),
            map_join(parent, &fk.columns, &fk.references_columns)
        );
        let done = sqlx::query(&sql)
            .execute(&mut *conn)
            .await
            .map_err(table_error(
                table,
                &format!("moving its foreign key {} to the target's ids", fk.name),
            ))?;
        let rows = done.rows_affected();
        results[index].remapped += rows;
        results[j].followed += rows;
    }
    Ok(())
}

/// `WITH sel AS (…)`: the staged rows the filter selects, with the casts of the primary and
/// natural key columns (every kept column when there is a filter, which may name any).
fn selected(index: usize, table: &TablePlan) -> String {
    let key = table.natural_key.as_ref().expect("a natural key");
    let columns: Vec<&String> = match table.filter {
        Some(_) => table.kept.iter().map(|k| &k.name).collect(),
        None => table
            .primary_key
            .iter()
            .chain(&key.columns)
            .fold(Vec::new(), |mut all, c| {
                if !all.contains(&c) {
                    all.push(c);
                }
                all
            }),
    };
    let typed = list(
        columns
            .iter()
            .map(|c| format!("{} AS {}", cast(table, c), quote_ident(c))),
    );
    format!(
        "sel AS MATERIALIZED (SELECT * FROM (SELECT {typed} FROM {} s) src WHERE {})",
        staging_name(index),
        filter_sql(table)
    )
}

fn equal(columns: &[String], a: &str, b: &str) -> String {
    columns
        .iter()
        .map(|c| format!("{a}.{0} = {b}.{0}", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Creates the table's map (`s_k`: the snapshot's primary key column k, `t_k`: the target's),
/// returns its rows.
async fn build_map(
    conn: &mut PgConnection,
    index: usize,
    table: &TablePlan,
) -> Result<u64, RestoreError> {
    let key = &table.natural_key.as_ref().expect("a natural key").columns;
    let pk = &table.primary_key;
    let columns = list(pk.iter().enumerate().map(|(k, c)| {
        let c = quote_ident(c);
        format!("s.{c} AS s_{k}, t.{c} AS t_{k}")
    }));
    let sql = format!(
        "CREATE TEMP TABLE {map} ON COMMIT DROP AS
         WITH {sel}
         SELECT {columns} FROM sel s JOIN {live} t ON {by_key}
         WHERE NOT EXISTS (SELECT 1 FROM {live} x WHERE {by_id})",
        map = map_name(index),
        sel = selected(index, table),
        live = table.qualified(),
        by_key = equal(key, "t", "s"),
        by_id = equal(pk, "x", "s"),
    );
    sqlx::query(&sql)
        .execute(&mut *conn)
        .await
        .map_err(table_error(table, "mapping its ids by natural key"))?;
    let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", map_name(index)))
        .fetch_one(&mut *conn)
        .await
        .map_err(table_error(table, "counting its id map"))?;
    Ok(rows.max(0) as u64)
}

/// `'id = ' || coalesce(a."id"::text, 'NULL') || ', ' …` over `columns` of `alias`.
fn described(columns: &[String], alias: &str) -> String {
    format!(
        "concat_ws(', ', {})",
        list(columns.iter().map(|c| format!(
            "'{} = ' || coalesce({alias}.{}::text, 'NULL')",
            c.replace('\'', "''"),
            quote_ident(c)
        )))
    )
}

/// Errors with [`RestoreError::NaturalKeyConflict`] when a selected staged row's natural key
/// matches a target row other than the one its primary key matches, or matches (with an id the
/// target lacks) a target row whose id another selected staged row holds.
async fn refuse_conflicts(
    conn: &mut PgConnection,
    index: usize,
    table: &TablePlan,
) -> Result<(), RestoreError> {
    let key = &table.natural_key.as_ref().expect("a natural key").columns;
    let pk = &table.primary_key;
    let row: Vec<String> = pk
        .iter()
        .chain(key.iter())
        .cloned()
        .fold(Vec::new(), |mut all, c| {
            if !all.contains(&c) {
                all.push(c);
            }
            all
        });
    let sql = format!(
        "WITH {sel},
         conflicts AS (
             SELECT {row} || ': ' || CASE
                 WHEN x.xtask_found THEN 'its key matches the target row ' || {t_id} || ', its id the target row ' || {x_id}
                 ELSE 'its key matches the target row ' || {t_id} || ', whose id another snapshot row holds'
             END AS line
             FROM sel s JOIN {live} t ON {by_key}
             LEFT JOIN LATERAL (SELECT true AS xtask_found, x.* FROM {live} x WHERE {by_id}) x ON true
             WHERE (x.xtask_found AND NOT ({same})) OR
                   (x.xtask_found IS NULL AND ({t_pk}) IN (SELECT {o_pk} FROM sel o)))
         SELECT (SELECT count(*) FROM conflicts),
                ARRAY(SELECT line FROM conflicts ORDER BY line LIMIT {LISTED})",
        sel = selected(index, table),
        row = described(&row, "s"),
        t_id = described(pk, "t"),
        x_id = described(pk, "x"),
        live = table.qualified(),
        by_key = equal(key, "t", "s"),
        by_id = equal(pk, "x", "s"),
        same = equal(pk, "x", "t"),
        // `IN` over the key rather than `EXISTS`: a hashed subplan, not a scan per match.
        t_pk = list(pk.iter().map(|c| format!("t.{}", quote_ident(c)))),
        o_pk = list(pk.iter().map(|c| format!("o.{}", quote_ident(c)))),
    );
    let (count, lines): (i64, Vec<String>) = sqlx::query_as(&sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(table_error(table, "checking its natural-key matches"))?;
    if count == 0 {
        return Ok(());
    }
    let mut rows: String = lines.iter().map(|l| format!("\n  {l}")).collect();
    if count > LISTED {
        rows.push_str(&format!("\n  … and {} more", count - LISTED));
    }
    Err(RestoreError::NaturalKeyConflict {
        table: table.name.clone(),
        key: key.join(", "),
        count: count as u64,
        rows,
    })
}
