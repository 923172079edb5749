//! Tables the restore cannot fill ([`Unrestorable`]) and why ([`Problem`]): what the planner
//! sees from the two schemas alone ([`missing_columns`]), and what only the snapshot's values
//! can tell, which the preflight checks ([`checks`]: NOT NULL columns the snapshot may hold
//! NULLs in, columns whose type changed).

use std::fmt;

use serde::Serialize;

use crate::catalog::Table;
use crate::snapshot::TableEntry;

/// A selected table the restore cannot fill, with every reason found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unrestorable {
    /// The table.
    pub table: String,
    /// Why, one entry per column at fault; never empty.
    pub problems: Vec<Problem>,
}

/// Why one column stops a table's restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// A live NOT NULL column without a default that the snapshot lacks (a new required column,
    /// or a new required foreign key).
    MissingColumn {
        /// The live column.
        column: String,
        /// The table it references, when it is (part of) a foreign key.
        references: Option<String>,
    },
    /// A live NOT NULL column the snapshot holds NULLs in (it was nullable then).
    Nulls {
        /// The column.
        column: String,
        /// Snapshot rows holding NULL there, counted in its data file.
        rows: u64,
        /// The table it references, when it is (part of) a foreign key.
        references: Option<String>,
    },
    /// A column whose type changed, and a snapshot value that does not cast to the new one.
    Cast {
        /// The column.
        column: String,
        /// The snapshot's type.
        from: String,
        /// The live type.
        to: String,
        /// PostgreSQL's error for the first value that fails, which quotes it.
        message: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = |references: &Option<String>| match references {
            Some(table) => format!(" (a foreign key to {table})"),
            None => String::new(),
        };
        match self {
            Problem::MissingColumn { column, references } => write!(
                f,
                "new NOT NULL column {column}{} has no default and is not in the snapshot",
                key(references)
            ),
            Problem::Nulls {
                column,
                rows,
                references,
            } => write!(
                f,
                "column {column}{} is NOT NULL now and {rows} snapshot row(s) hold NULL in it",
                key(references)
            ),
            Problem::Cast {
                column,
                from,
                to,
                message,
            } => write!(
                f,
                "column {column} changed type from {from} to {to} and a snapshot value does not cast: {message}"
            ),
        }
    }
}

impl fmt::Display for Unrestorable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let problems: Vec<String> = self.problems.iter().map(|p| p.to_string()).collect();
        write!(f, "{}: {}", self.table, problems.join("; "))
    }
}

/// What the preflight must test in one table's snapshot values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checks {
    /// Kept columns that are NOT NULL now but allowed NULL in the snapshot: count the NULLs.
    pub not_null: Vec<String>,
    /// Kept columns whose type changed: `(column, snapshot type, live type)`; cast each value.
    pub casts: Vec<(String, String, String)>,
}

impl Checks {
    /// Nothing to test.
    pub fn is_empty(&self) -> bool {
        self.not_null.is_empty() && self.casts.is_empty()
    }
}

/// The live NOT NULL columns without a default (neither generated nor identity) that the
/// snapshot table lacks, as [`Problem::MissingColumn`]s.
pub(super) fn missing_columns(entry: &TableEntry, table: &Table) -> Vec<Problem> {
    table
        .columns
        .iter()
        .filter(|c| !c.generated && !c.identity && !c.nullable && c.default.is_none())
        .filter(|c| !entry.columns.iter().any(|s| s.name == c.name))
        .map(|c| Problem::MissingColumn {
            column: c.name.clone(),
            references: references(table, &c.name),
        })
        .collect()
}

/// What the preflight must test for `entry` restored into `table`: columns in both, not
/// generated, that became NOT NULL, or whose type differs (`format_type` spelling).
pub fn checks(entry: &TableEntry, table: &Table) -> Checks {
    let mut checks = Checks::default();
    for snapshot in &entry.columns {
        let Some(live) = table.column(&snapshot.name).filter(|c| !c.generated) else {
            continue;
        };
        if !live.nullable && snapshot.nullable {
            checks.not_null.push(live.name.clone());
        }
        if live.data_type != snapshot.data_type {
            checks.casts.push((
                live.name.clone(),
                snapshot.data_type.clone(),
                live.data_type.clone(),
            ));
        }
    }
    checks
}

/// The table a foreign key through `column` references.
pub fn references(table: &Table, column: &str) -> Option<String> {
    table
        .foreign_keys
        .iter()
        .find(|fk| fk.columns.iter().any(|c| c == column))
        .map(|fk| fk.references_table.clone())
}
