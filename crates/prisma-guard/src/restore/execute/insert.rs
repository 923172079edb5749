//! The statement that moves staged rows into a live table (`INSERT … SELECT casts … ON
//! CONFLICT`), and the SQL pieces it shares: the staging and key table names, casts, and the
//! check that a row's parents exist.

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
    let data_type = &table
        .kept
        .iter()
        .find(|k| k.name == column)
        .expect("kept column")
        .data_type;
    format!("CAST(s.{} AS {data_type})", quote_ident(column))
}

/// Whether every parent of a row exists (MATCH SIMPLE: a NULL in the key means no check).
pub(super) fn parents_exist(fks: &[ForeignKeyPlan], value: impl Fn(&str) -> String) -> String {
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
pub(super) fn insert_sql(mode: Mode, index: usize, table: &TablePlan) -> String {
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
    let conflict_key = list(table.conflict_key.iter().map(|c| quote_ident(c)));
    let updates: Vec<String> = table
        .kept
        .iter()
        .filter(|k| !table.conflict_key.contains(&k.name))
        .map(|k| format!("{0} = EXCLUDED.{0}", quote_ident(&k.name)))
        .collect();
    let conflict = match mode {
        Mode::Upsert if !table.conflict_key.is_empty() && !updates.is_empty() => {
            format!(
                "ON CONFLICT ({conflict_key}) DO UPDATE SET {}",
                updates.join(", ")
            )
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
