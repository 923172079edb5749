//! The statement that moves staged rows into a live table (`INSERT … SELECT casts … ON
//! CONFLICT`, and for `replace` an `UPDATE` of the rows that differ beside it), and the SQL
//! pieces it shares: the staging and key table names, casts, the check that a row's parents
//! exist, and the comparison of two values.
//!
//! A row whose parent is missing through a NOT NULL foreign key is an orphan and left out; through
//! a nullable one it is kept with that key set to NULL. The statement returns, besides the row
//! counts, one count per foreign key of [`TablePlan::parents`] (`by_key`): its orphans, or the
//! written rows whose key it set to NULL.

use super::{filter_sql, list};
use crate::restore::plan::{ForeignKeyPlan, Mode, TablePlan};
use crate::sql::{qualified, quote_ident};

pub(super) fn staging_name(index: usize) -> String {
    format!("pg_temp.\"xtask_restore_{index}\"")
}

pub(super) fn keys_name(index: usize) -> String {
    format!("pg_temp.\"xtask_restored_keys_{index}\"")
}

/// `CAST(s."col" AS type)`.
pub(super) fn cast(table: &TablePlan, column: &str) -> String {
    format!(
        "CAST(s.{} AS {})",
        quote_ident(column),
        data_type(table, column)
    )
}

fn data_type<'a>(table: &'a TablePlan, column: &str) -> &'a str {
    &table
        .kept
        .iter()
        .find(|k| k.name == column)
        .expect("kept column")
        .data_type
}

/// `left IS DISTINCT FROM right` for a kept column; types without an equality operator (json,
/// xml, the geometric ones) are compared as text.
pub(super) fn differs(table: &TablePlan, column: &str, left: &str, right: &str) -> String {
    let base = data_type(table, column).trim_end_matches("[]");
    let no_equality = matches!(
        base,
        "json" | "xml" | "point" | "line" | "lseg" | "box" | "path" | "polygon" | "circle"
    );
    if no_equality {
        format!("({left})::text IS DISTINCT FROM ({right})::text")
    } else {
        format!("({left}) IS DISTINCT FROM ({right})")
    }
}

/// `a.k1 = b.k1 AND a.k2 = b.k2` over `columns`.
pub(super) fn same_key(columns: &[String], a: &str, b: &str) -> String {
    columns
        .iter()
        .map(|c| format!("{a}.{0} = {b}.{0}", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Whether the parent of one row exists (MATCH SIMPLE: a NULL in the key means no check).
fn parent_exists(fk: &ForeignKeyPlan, value: &impl Fn(&str) -> String) -> String {
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
}

/// Whether every parent of a row exists.
pub(super) fn parents_exist(fks: &[ForeignKeyPlan], value: impl Fn(&str) -> String) -> String {
    if fks.is_empty() {
        return "true".into();
    }
    fks.iter()
        .map(|fk| parent_exists(fk, &value))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The key rows are matched on between the snapshot and the table: the conflict key, when the
/// snapshot holds all of its columns; else empty (a new key column takes its default, so no
/// snapshot row can be matched to a row of the table).
pub(super) fn matched_key(table: &TablePlan) -> &[String] {
    let kept = |c: &String| table.kept.iter().any(|k| &k.name == c);
    if table.conflict_key.iter().all(kept) {
        &table.conflict_key
    } else {
        &[]
    }
}

/// Whether a missing parent sets the key to NULL (every column of it allows NULL) rather than
/// making the row an orphan.
pub(super) fn nulls_missing(table: &TablePlan, fk: &ForeignKeyPlan) -> bool {
    fk.columns.iter().all(|c| table.nullable.contains(c))
}

/// The value written for `column` from the pass row `p`: NULL for a deferred key, NULL for a
/// nullable key whose parent is missing.
fn value(table: &TablePlan, column: &str) -> String {
    if table.deferred_columns().iter().any(|c| c == column) {
        return "NULL".into();
    }
    let flags: Vec<String> = table
        .parents
        .iter()
        .enumerate()
        .filter(|(_, fk)| nulls_missing(table, fk) && fk.columns.iter().any(|c| c == column))
        .map(|(j, _)| format!("p.xtask_fk_{j}"))
        .collect();
    let column = format!("p.{}", quote_ident(column));
    if flags.is_empty() {
        column
    } else {
        format!("CASE WHEN {} THEN {column} END", flags.join(" AND "))
    }
}

/// One statement that writes the staged rows and returns the counts: staged, filtered,
/// orphans, inserted, updated, unchanged, differing, not_in_snapshot, by_key.
///
/// `merge` and `upsert` insert with `ON CONFLICT`; `replace` (on a table with a key) updates the
/// rows whose key the table has and whose values differ, and inserts the rest.
pub(super) fn insert_sql(mode: Mode, index: usize, table: &TablePlan) -> String {
    let live = table.qualified();
    let typed = list(
        table
            .kept
            .iter()
            .map(|k| format!("{} AS {}", cast(table, &k.name), quote_ident(&k.name))),
    );
    let flags: String = table
        .parents
        .iter()
        .enumerate()
        .map(|(j, fk)| {
            let exists = parent_exists(fk, &|c: &str| format!("src.{}", quote_ident(c)));
            format!(", {exists} AS xtask_fk_{j}")
        })
        .collect();
    let linked: Vec<String> = (0..table.parents.len())
        .filter(|j| !nulls_missing(table, &table.parents[*j]))
        .map(|j| format!("xtask_fk_{j}"))
        .collect();
    let linked = if linked.is_empty() {
        "true".to_string()
    } else {
        linked.join(" AND ")
    };
    let names = list(table.kept.iter().map(|k| quote_ident(&k.name)));
    let values = list(table.kept.iter().map(|k| value(table, &k.name)));
    let key = matched_key(table);
    let replacing = mode == Mode::Replace && !key.is_empty();
    let returned: Vec<String> =
        table
            .primary_key
            .iter()
            .chain(key.iter())
            .fold(Vec::new(), |mut all, c| {
                if !all.contains(c) {
                    all.push(c.clone());
                }
                all
            });
    let returning = list(returned.iter().map(|c| quote_ident(c)));
    let returning = |inserted: &str| {
        if returned.is_empty() {
            format!("RETURNING {inserted} AS xtask_inserted")
        } else {
            format!("RETURNING {inserted} AS xtask_inserted, {returning}")
        }
    };
    let selected = "p.xtask_selected AND p.xtask_linked";
    let mut writes = if replacing {
        let changed: Vec<&str> = table
            .kept
            .iter()
            .map(|k| k.name.as_str())
            .filter(|c| !key.iter().any(|k| k == c))
            .filter(|c| !table.deferred_columns().iter().any(|d| d == c))
            .collect();
        let returned_t = list(returned.iter().map(|c| format!("t.{}", quote_ident(c))));
        let update = if changed.is_empty() {
            // Only key columns: a row is there or not.
            format!(
                "upd AS (SELECT false AS xtask_inserted, {returned_t} FROM {live} t WHERE false)"
            )
        } else {
            let set = list(
                changed
                    .iter()
                    .map(|c| format!("{} = {}", quote_ident(c), value(table, c))),
            );
            let differ = changed
                .iter()
                .map(|c| differs(table, c, &format!("t.{}", quote_ident(c)), &value(table, c)))
                .collect::<Vec<_>>()
                .join(" OR ");
            format!(
                "upd AS (UPDATE {live} t SET {set} FROM pass p
                         WHERE {selected} AND {} AND ({differ})
                         RETURNING false AS xtask_inserted, {returned_t})",
                same_key(key, "t", "p")
            )
        };
        format!(
            "{update},
             ins AS (INSERT INTO {live} ({names}) OVERRIDING SYSTEM VALUE
                     SELECT {values} FROM pass p
                     WHERE {selected} AND NOT EXISTS (SELECT 1 FROM {live} t WHERE {})
                     ON CONFLICT DO NOTHING {}),
             written AS (SELECT * FROM ins UNION ALL SELECT * FROM upd)",
            same_key(key, "t", "p"),
            returning("true"),
        )
    } else {
        let conflict_key = &table.conflict_key;
        let updates: Vec<String> = table
            .kept
            .iter()
            .filter(|k| !conflict_key.contains(&k.name))
            .map(|k| format!("{0} = EXCLUDED.{0}", quote_ident(&k.name)))
            .collect();
        let conflict = match mode {
            Mode::Upsert if !conflict_key.is_empty() && !updates.is_empty() => format!(
                "ON CONFLICT ({}) DO UPDATE SET {}",
                list(conflict_key.iter().map(|c| quote_ident(c))),
                updates.join(", ")
            ),
            _ => "ON CONFLICT DO NOTHING".into(),
        };
        format!(
            "ins AS (INSERT INTO {live} ({names}) OVERRIDING SYSTEM VALUE
                     SELECT {values} FROM pass p WHERE {selected}
                     {conflict} {}),
             written AS (SELECT * FROM ins)",
            returning("(xmax = 0)"),
        )
    };
    if !table.deferred.is_empty() {
        let pk = list(table.primary_key.iter().map(|c| quote_ident(c)));
        // `replace` sets the deferred keys of every row it keeps, changed or not.
        let from = if replacing {
            format!("pass p WHERE {selected}")
        } else {
            "ins".into()
        };
        writes.push_str(&format!(
            ", keys AS (INSERT INTO {} SELECT {pk} FROM {from})",
            keys_name(index)
        ));
    }
    let by_key = list(table.parents.iter().enumerate().map(|(j, fk)| {
        if !nulls_missing(table, fk) {
            format!("(SELECT count(*) FROM pass p WHERE p.xtask_selected AND NOT p.xtask_fk_{j})")
        } else if key.is_empty() {
            format!("(SELECT count(*) FROM pass p WHERE {selected} AND NOT p.xtask_fk_{j})")
        } else {
            format!(
                "(SELECT count(*) FROM pass p JOIN written w ON {} WHERE {selected} AND NOT p.xtask_fk_{j})",
                same_key(key, "w", "p")
            )
        }
    }));
    let existing = if replacing {
        format!(
            "(SELECT count(*) FROM pass p WHERE {selected} AND EXISTS (SELECT 1 FROM {live} t WHERE {}))
             - (SELECT count(*) FROM upd)",
            same_key(key, "t", "p")
        )
    } else {
        "0::bigint".into()
    };
    let (differing, absent) = if mode == Mode::Merge && !key.is_empty() {
        let differ = table
            .kept
            .iter()
            .map(|k| {
                let c = quote_ident(&k.name);
                differs(table, &k.name, &format!("t.{c}"), &format!("p.{c}"))
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let this_row: Vec<String> = key
            .iter()
            .map(|c| format!("{live}.{}", quote_ident(c)))
            .collect();
        let same_as_live = key
            .iter()
            .zip(&this_row)
            .map(|(c, l)| format!("k.{} = {l}", quote_ident(c)))
            .collect::<Vec<_>>()
            .join(" AND ");
        (
            format!(
                "(SELECT count(*) FROM pass p JOIN {live} t ON {} WHERE {selected} AND ({differ}))",
                same_key(key, "t", "p")
            ),
            format!(
                "(SELECT count(*) FROM {live} WHERE {} AND NOT EXISTS (SELECT 1 FROM src k WHERE {same_as_live}))",
                filter_sql(table)
            ),
        )
    } else {
        ("0::bigint".to_string(), "0::bigint".to_string())
    };
    format!(
        "WITH src AS MATERIALIZED (SELECT {typed} FROM {staging} s),
              pass AS MATERIALIZED (SELECT *, {linked} AS xtask_linked
                  FROM (SELECT *, {filter} AS xtask_selected{flags} FROM src) f),
              {writes}
         SELECT (SELECT count(*) FROM pass) AS staged,
                (SELECT count(*) FROM pass WHERE NOT xtask_selected) AS filtered,
                (SELECT count(*) FROM pass WHERE xtask_selected AND NOT xtask_linked) AS orphans,
                (SELECT count(*) FROM written WHERE xtask_inserted) AS inserted,
                (SELECT count(*) FROM written WHERE NOT xtask_inserted) AS updated,
                {existing} AS unchanged,
                {differing} AS differing,
                {absent} AS not_in_snapshot,
                ARRAY[{by_key}]::bigint[] AS by_key",
        staging = staging_name(index),
        filter = filter_sql(table),
    )
}
